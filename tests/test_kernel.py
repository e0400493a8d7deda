"""The compiled ranking (`index.kernel`, `Ranker.top`) equals the numpy path bit for bit.

`Ranker.top` scores only the sentences that can still reach the page (bounds
per term and per paragraph) and keeps the best in a heap; the numpy path
(`Ranker.score` + `exclude` + `page`) scores every candidate and sorts. On
real indexes built from random corpora (a small Zipf vocabulary, so scores tie
often; repeated sentences, so texts collapse; titles; one-sentence and long
paragraphs) both must give the same ids, scores, duplicates, total and match
count, for every BM25 variant, with fields weighted zero, fractional and
repeated query weights, exclusions, later pages, after an added article,
from several threads, with the paragraph postings added up on the helper
thread or not, and past the wrap of the per-thread stamps. With filters
(per article, per sentence) and article days (ties to the newer article, or
newest first) both also equal the options' meaning spelt out by brute force.
"""
from __future__ import annotations

import random
import string
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import VERB_FOLDS, Analyzer, AnalyzerOptions
from index.bm25 import BM25Params
from index.corpus import Article
from index import ranking
from index.engine import SearchIndex
from index.ranking import Ranker, RankingParams

WORDS = ("minsk talks crisis lavrov mediation plane moscow flight sanctions belarus union officials "
         "resume warned opposition border election protest minister court river harbour").split()
SIGN_OFF = "Reporting by the newsroom desk."


def _sentence(rng: random.Random) -> str:
    weights = [1.0 / (i + 1) for i in range(len(WORDS))]
    words = rng.choices(WORDS, weights=weights, k=rng.randint(2, 9))
    return " ".join(words).capitalize() + "."


def _article(rng: random.Random, n: int) -> str:
    title = " ".join(rng.choices(WORDS, k=rng.randint(1, 4))).title()
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        sentences = [_sentence(rng) for _ in range(rng.choice([1, 1, 2, 3, 6]))]
        if rng.random() < 0.15:
            sentences.append(SIGN_OFF)  # the same text in many articles: hits collapse
        paragraphs.append(" ".join(sentences))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    rng = random.Random(11)
    corpus = tmp_path_factory.mktemp("kernel-corpus")
    for n in range(160):
        (corpus / f"a{n:03d}.md").write_text(_article(rng, n), encoding="utf-8")
    root = tmp_path_factory.mktemp("kernel-index")
    SearchIndex.build(corpus, root, workers=1)
    return corpus, root


PARAMS = [
    RankingParams(),
    RankingParams(bm25=BM25Params(variant="okapi", k1=1.5, b=0.75)),
    RankingParams(bm25=BM25Params(variant="plus")),
    RankingParams(bm25=BM25Params(variant="l", k1=1.2)),
    RankingParams(neighbour=0.0, paragraph=0.0, title=0.0),
    RankingParams(neighbour=0.4, paragraph=0.0, title=2.0),
    RankingParams(neighbour=0.0, paragraph=3.0, title=0.0),
]


def _queries(index: SearchIndex, rng: random.Random, n: int) -> list[tuple[list[tuple[int, float]], list[int]]]:
    vocab = [index.vocab[w] for w in sorted(index.vocab)]
    out = []
    for _ in range(n):
        chosen = rng.sample(vocab, rng.randint(1, min(6, len(vocab))))
        if rng.random() < 0.5:  # rarest first, and the other way round
            chosen.sort(key=lambda t: (int(index.ranker.df[t]), t), reverse=rng.random() < 0.5)
        terms = [(t, rng.choice([1.0, 1.0, 2.0, 0.5, 1.5])) for t in chosen]
        excluded = rng.sample(vocab, rng.choice([0, 0, 0, 1, 2]))
        out.append((terms, excluded))
    return out


def _numpy_path(index: SearchIndex, terms, excluded, offset: int, k: int):
    r = index.ranker
    ids, scores = r.score(terms)
    matched = len(ids)
    ids, scores = r.exclude(ids, scores, excluded)
    return r.page(ids, scores, offset, k), matched


def _same(index: SearchIndex, terms, excluded, offset: int, k: int) -> None:
    want, want_matched = _numpy_path(index, terms, excluded, offset, k)
    got, got_matched = index.ranker.top(terms, excluded, offset, k)
    assert got == want, (terms, excluded, offset, k)
    assert got_matched == want_matched


@pytest.fixture(params=["one thread", "paragraphs aside"])
def threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """"paragraphs aside": the paragraph postings are added up on the helper thread at any size
    (`Ranker.top`), as a million sentences would have them."""
    if request.param == "paragraphs aside":
        monkeypatch.setattr(ranking, "PARALLEL_MIN_POSTINGS", 0)
    return request.param


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.bm25.variant}-n{p.neighbour}-p{p.paragraph}-t{p.title}")
def test_top_equals_numpy_path(corpus_index: tuple[Path, Path], params: RankingParams, threads: str) -> None:
    _, root = corpus_index
    index = SearchIndex.load(root, params=params)
    rng = random.Random(params.paragraph * 7 + params.title * 3 + len(params.bm25.variant))
    queries = _queries(index, rng, 300)  # > 255 questions: the byte stamps wrap around
    for n, (terms, excluded) in enumerate(queries):
        offset, k = [(0, 10), (0, 1), (3, 5), (10, 10), (40, 3)][n % 5]
        _same(index, terms, excluded, offset, k)
    index.close()


def test_single_common_word_and_duplicates(corpus_index: tuple[Path, Path]) -> None:
    _, root = corpus_index
    index = SearchIndex.load(root)
    common = index.vocab[index.analyzer.term("minsk")]
    sign_off = [index.vocab[t] for t in index.analyzer.analyze(SIGN_OFF)]
    for terms in ([(common, 1.0)], [(t, 1.0) for t in sign_off], [(common, 1.0), (sign_off[0], 3.0)],
                  [(sign_off[0], 3.0), (common, 1.0)]):
        for offset in (0, 2, 9):
            _same(index, terms, [], offset, 10)
    ranked, _ = index.ranker.top([(t, 1.0) for t in sign_off], [], 0, 3)
    assert ranked.duplicates and len(ranked.duplicates[0]) > 1  # the sign-off's copies, collapsed
    index.close()


def test_top_after_adding_an_article(corpus_index: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, root = corpus_index
    import shutil
    work_corpus, work_root = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus, work_corpus)
    shutil.copytree(root, work_root)
    index = SearchIndex.load(work_root)
    text = "# Harbour election\n\nThe harbour election drew a protest. Lavrov warned the court.\n\n" + SIGN_OFF + "\n"
    (work_corpus / "new.md").write_text(text, encoding="utf-8")
    article = Article(id="new", title="Harbour election", path="new.md", text=text, body_start=text.index("The"))
    bigger, added = index.add_articles([article], work_corpus)
    assert added >= 2
    for terms, excluded in _queries(bigger, random.Random(5), 60):
        _same(bigger, terms, excluded, 0, 10)
    hits = bigger.search("harbour election protest").hits
    assert hits and "harbour election drew a protest" in hits[0].text
    bigger.close()
    index.close()


def test_threads_get_what_one_thread_gets(corpus_index: tuple[Path, Path], threads: str) -> None:
    _, root = corpus_index
    index = SearchIndex.load(root)
    queries = _queries(index, random.Random(8), 120)
    serial = [index.ranker.top(t, e, 0, 10) for t, e in queries]
    results: dict[int, list] = {}

    def run(n: int) -> None:
        results[n] = [index.ranker.top(t, e, 0, 10) for t, e in queries]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == serial for n in range(4))
    index.close()


# ---- filters and dates (issue 13's hooks): inside the ranking, exact pages and totals --------


def _dated(index: SearchIndex, rng: random.Random, undated: float = 0.2, n_days: int = 5,
           days: np.ndarray | None = None) -> Ranker:
    """The index's ranker with a day per article: few distinct days (scores tie across them), some undated."""
    r = index.ranker
    if days is None:
        days = np.array([ranking.UNDATED if rng.random() < undated else 18_000 + rng.randrange(n_days)
                         for _ in range(r.titles.n_docs)], np.int32)
    return Ranker(r.sentences, r.paragraphs, r.titles, r.sent_para, r.sent_article, r.sent_hash, r.params,
                  article_day=days)


def _options(r: Ranker, rng: random.Random) -> dict:
    """Random filters (per article, per sentence, both or none; uint8 or bool) and order."""
    opts: dict = {"by_date": rng.random() < 0.4}
    share = rng.choice([0.05, 0.3, 0.7, 0.95, 0.995])
    if rng.random() < 0.6:
        mask = np.array([rng.random() < share for _ in range(r.titles.n_docs)])
        if share > 0.99:                       # a few articles out (tombstones): `ranking._few_dropped`
            mask[rng.sample(range(r.titles.n_docs), 3)] = False
        opts["allow_articles"] = mask if rng.random() < 0.3 else mask.astype(np.uint8)
    if rng.random() < 0.4:
        opts["allow_sentences"] = np.array([rng.random() < share for _ in range(r.sentences.n_docs)], np.uint8)
    return opts


def _numpy_with(r: Ranker, terms, excluded, offset: int, k: int, opts: dict):
    filters = {key: v for key, v in opts.items() if key != "by_date"}
    ids, scores = r.score(terms, **filters)
    matched = len(ids)
    ids, scores = r.exclude(ids, scores, excluded)
    return r.page(ids, scores, offset, k, by_date=opts.get("by_date", False)), matched


def _brute(r: Ranker, terms, excluded, offset: int, k: int, opts: dict):
    """The options' meaning, spelt out over every candidate of the unfiltered numpy path."""
    a_ok, s_ok = opts.get("allow_articles"), opts.get("allow_sentences")
    ids, scores = r.score(terms)
    art = r.sent_article
    allowed = [(int(i), float(s)) for i, s in zip(ids, scores)
               if (a_ok is None or a_ok[art[i]]) and (s_ok is None or s_ok[i])]
    bad = {int(d) for t in excluded for d in r.sentences.postings.docs_of(t)}
    cands = [(i, s) for i, s in allowed if i not in bad]

    def day(i: int) -> int:
        return 0 if r.article_day is None else int(r.article_day[art[i]])

    if opts.get("by_date"):
        cands.sort(key=lambda c: (-day(c[0]), -c[1], c[0]))
    else:
        cands.sort(key=lambda c: (-c[1], -day(c[0]), c[0]))
    groups: dict[int, list[tuple[int, float]]] = {}
    for i, s in cands:
        groups.setdefault(int(r.sent_hash[i]), []).append((i, s))
    chosen = list(groups.values())[offset:offset + k]
    return ranking.Ranked(tuple(g[0][0] for g in chosen), tuple(g[0][1] for g in chosen),
                          tuple(tuple(i for i, _ in g[1:]) for g in chosen), len(groups)), len(allowed)


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.bm25.variant}-n{p.neighbour}-p{p.paragraph}-t{p.title}")
def test_filters_and_dates_equal_numpy_path(corpus_index: tuple[Path, Path], params: RankingParams,
                                            threads: str) -> None:
    _, root = corpus_index
    index = SearchIndex.load(root, params=params)
    rng = random.Random(params.paragraph * 5 + params.title * 11 + len(params.bm25.variant))
    r = _dated(index, rng)
    for n, (terms, excluded) in enumerate(_queries(index, rng, 160)):
        offset, k = [(0, 10), (0, 1), (3, 5), (10, 10), (40, 3)][n % 5]
        opts = _options(r, rng)
        want = _numpy_with(r, terms, excluded, offset, k, opts)
        assert want == _brute(r, terms, excluded, offset, k, opts), (terms, excluded, opts)
        assert r.top(terms, excluded, offset, k, **opts) == want, (terms, excluded, offset, k, opts)
    index.close()


def test_dates_break_ties_and_order_by_date(corpus_index: tuple[Path, Path]) -> None:
    """Equal days order as no days; without days `by_date` changes nothing; a common word by date
    lists the newest articles first, undated last, with an unchanged total."""
    _, root = corpus_index
    index = SearchIndex.load(root)
    r = index.ranker
    same_day = _dated(index, random.Random(0), days=np.full(r.titles.n_docs, 19_000, np.int32))
    for terms, excluded in _queries(index, random.Random(3), 80):
        plain = r.top(terms, excluded, 0, 10)
        assert same_day.top(terms, excluded, 0, 10) == plain
        assert r.top(terms, excluded, 0, 10, by_date=True) == plain
    dated = _dated(index, random.Random(4), undated=0.3)
    common = [(index.vocab[index.analyzer.term("minsk")], 1.0)]
    everything = dated.top(common, [], 0, 1)[0].total
    by_score, _ = dated.top(common, [], 0, everything)
    by_date, _ = dated.top(common, [], 0, everything, by_date=True)
    days = [int(dated.article_day[r.sent_article[i]]) for i in by_date.ids]
    assert days == sorted(days, reverse=True) and days[-1] == ranking.UNDATED
    def every(ranked: ranking.Ranked) -> list[int]:  # (which twin shows a text depends on the order)
        return sorted(list(ranked.ids) + [d for dups in ranked.duplicates for d in dups])

    assert by_date.total == by_score.total and every(by_date) == every(by_score)
    index.close()


def test_filters_leave_exact_totals_and_bad_masks_are_refused(corpus_index: tuple[Path, Path]) -> None:
    _, root = corpus_index
    index = SearchIndex.load(root)
    r = index.ranker
    common = [(index.vocab[index.analyzer.term("minsk")], 1.0)]
    nothing = np.zeros(r.titles.n_docs, np.uint8)
    ranked, matched = r.top(common, [], 0, 10, allow_articles=nothing)
    assert (ranked.ids, ranked.total, matched) == ((), 0, 0)
    one = nothing.copy()
    one[int(r.sent_article[r.sentences.postings.docs_of(common[0][0])[0]])] = 1
    ranked, matched = r.top(common, [], 0, 100, allow_articles=one)
    assert ranked.ids and {int(r.sent_article[i]) for i in ranked.ids} == {int(np.flatnonzero(one)[0])}
    assert (ranked, matched) == _brute(r, common, [], 0, 100, {"allow_articles": one})
    for bad in (np.ones(r.titles.n_docs + 1, np.uint8), np.ones((r.titles.n_docs, 1), np.uint8)):
        with pytest.raises(ValueError):
            r.top(common, [], 0, 10, allow_articles=bad)
    with pytest.raises(TypeError):
        r.top(common, [], 0, 10, allow_sentences=np.ones(r.sentences.n_docs, np.float64))
    with pytest.raises(ValueError):
        _dated(index, random.Random(1), days=np.zeros(r.titles.n_docs - 1, np.int32))
    index.close()


# ---- the highlighter's shortcut: stemmers keep a plain word's first letter ------------

TRICKY = tuple(("dying lying tying ued oed aed ied ieds ies ability possibility relational organization happy cried agreed hopping hoping generalization sensitivity mobility  skies skis news howe atlas cosmos bias andes idly gently ugly early only singly "
          "sky innings outing canning proceed exceed succeed yes yields youth ies ied ties dies y ys"
          ).split())


@settings(max_examples=600, deadline=None)
@given(word=st.one_of(st.sampled_from(TRICKY),
                      st.text(alphabet="aeiouybcdlnrstgmph", min_size=1, max_size=12),
                      st.text(alphabet=string.ascii_letters, min_size=1, max_size=18)))
def test_stems_without_their_last_letter_begin_the_word(word: str) -> None:
    """`Analyzer.matching_spans` skips stemming a new plain word that starts with no query term
    minus its last letter: the stemmers cut endings and change at most the last letter left
    (but for the three listed words)."""
    for stem in ("snowball", "porter", "none"):
        analyzer = Analyzer(AnalyzerOptions(stem=stem))
        for form in (word, word.upper(), word.capitalize()):
            lower = form.lower()
            if lower in VERB_FOLDS or lower in ("dying", "lying", "tying"):
                continue
            for term in analyzer.analyze(form):
                assert lower.startswith(term[:-1]), (stem, form, term)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(TRICKY + ("Lavrov", "said", "went", "ex-Soviet", "U.S.", "Москва",
                                                "mediation", "mediators", "3.5", "don't")), max_size=20),
       query=st.lists(st.sampled_from(["lavrov", "say", "go", "die", "sky", "soviet", "us", "mediat", "москва",
                                       "news", "3.5", "ugli", "i", "u", "lie", "tie", "ie"]), max_size=4))
def test_matching_spans_with_cold_caches(words: list[str], query: list[str]) -> None:
    """A fresh analyzer (nothing cached) highlights what the full analysis would."""
    text = " ".join(words)
    terms = set(query)
    slow = tuple((t.start, t.end) for t in Analyzer().tokens(text) if not terms.isdisjoint(t.terms))
    assert Analyzer().matching_spans(text, terms) == slow
