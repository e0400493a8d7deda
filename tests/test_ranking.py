"""The served score is the stated model of `index.ranking`, recomputed the slow way.

Everything is recomputed from the texts, independently of the index arrays:
sentences, paragraphs and titles are re-analysed from the database rows, each
field is scored term by term with rank-bm25's own ``get_scores`` (the model
`BM25Params` stands for), the query-term weights are rebuilt from the parsed
question (names, repeats) and the typo stand-ins by brute force over the
lexicon with the scalar edit distance. Then for every sentence::

    score(s) = sum_t w_t * (S_t(s) + neighbour * (S_t(prev) + S_t(next))
                            + paragraph * P_t(paragraph) + title * T_t(article))

and the candidates are the sentences with sum_t w_t * S_t(s) > 0. A unit
(sentence, paragraph, title) that holds none of the query terms scores 0.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import OSA

from index import spelling
from index.bm25 import BM25Params, reference_model
from index.engine import SearchIndex, weighted_terms
from index.query import parse_query
from index.ranking import RankingParams

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

EXTRA = {
    "minsk.md": "# Talks in Minsk stall\n\nTalks on the crisis in Minsk stalled on Thursday. "
                "Lavrov said mediation was not needed.\n\nHe added that the opposition should talk.\n\n"
                "Officials in Minsk said the talks would resume. The crisis deepened.\n",
    "plane.md": "# Government plane flies to Minsk\n\nA government plane landed in Minsk. It flew back to Moscow "
                "on Wednesday.\n\nFlight tracking data showed the route. The plane carried officials.\n",
    "eu.md": "# EU prepares sanctions\n\nThe European Union prepared sanctions against Belarus. Putin warned "
             "against interference.\n\nMediators from the EU were not invited. Sanctions could follow soon.\n",
}

QUESTIONS = [
    "what did Lavrov say about mediation",
    "What did Putin warn against?",
    "plane Minsk Moscow flight",
    "Lavrof mediaton crisis",          # two typos: stand-ins
    "sanctions sanctions Belarus EU",  # a repeated word
    "talks talks in Minsk",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "seed.txt").write_text((SEEDS / "000_57659c863e939540.txt").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    for name, text in EXTRA.items():
        (corpus / name).write_text(text, encoding="utf-8")
    root = tmp_path_factory.mktemp("index")
    SearchIndex.build(corpus, root)
    return root


def slow_fields(index: SearchIndex) -> tuple[list[list[str]], list[int], list[list[str]], list[int], list[list[str]]]:
    """Sentence terms, paragraph of each sentence, paragraph terms, article of each sentence, title terms."""
    an = index.analyzer
    rows = index.db.execute('SELECT s.id, s.article, s.paragraph, substr(article_text(a.text), s.start + 1, s."end" - s.start) '
                            "FROM sentences s JOIN articles a ON a.id = s.article ORDER BY s.id").fetchall()
    sentences = [an.analyze(text) for _, _, _, text in rows]
    keys: dict[tuple[int, int], int] = {}
    para_of = [keys.setdefault((art, par), len(keys)) for _, art, par, _ in rows]
    paragraphs: list[list[str]] = [[] for _ in keys]
    for terms, p in zip(sentences, para_of):
        paragraphs[p].extend(terms)
    titles = [an.analyze(t) for (t,) in index.db.execute("SELECT title FROM articles ORDER BY id")]
    return sentences, para_of, paragraphs, [art for _, art, _, _ in rows], titles


def slow_weights(index: SearchIndex, question: str) -> dict[str, float]:
    """w_t rebuilt from the question: counts, names, and brute-force typo stand-ins."""
    p, an, vocab = index.params, index.analyzer, index.vocab
    parsed = parse_query(question, an)
    w: dict[str, float] = {}
    for term in parsed.terms:
        if term in vocab:
            w[term] = w.get(term, 0.0) + (p.name_boost if term in parsed.names else 1.0)
    lexicon = dict(index.db.execute("SELECT word, freq FROM words"))
    for m in spelling.WORD_RE.finditer(parsed.text):
        typed = m.group()
        terms = an.analyze(typed)
        if len(typed) < spelling.MIN_CORRECTED or not terms or any(t in vocab for t in terms):
            continue
        if not set(terms) & set(parsed.terms) or not p.typo or not any(t in vocab for t in parsed.terms):
            continue
        word = spelling.fold(typed)
        limit = spelling.max_edits(word)
        near = [(OSA.distance(word, other, score_cutoff=limit), -freq, other) for other, freq in lexicon.items()
                if any(t in vocab for t in an.analyze(other))]
        near = sorted(c for c in near if 0 < c[0] <= limit)
        best = [c for c in near if c[0] == near[0][0]][:p.typo_expansions] if near else []
        for _, _, other in best:
            for term in set(an.analyze(other)):
                if term in vocab:
                    w[term] = w.get(term, 0.0) + p.typo
    return w


def field_scores(model: object, docs: list[list[str]], weights: dict[str, float]) -> np.ndarray:
    """sum_t w_t * get_scores([t]) per document; 0 for a document holding none of the terms.

    (The zero only matters for BM25Plus, whose constant share rank-bm25 gives
    every document: a unit that matches nothing lends its context nothing.)
    """
    out = np.zeros(len(docs))
    for term, weight in weights.items():
        out += weight * np.asarray(model.get_scores([term]))  # type: ignore[attr-defined]
    holds = np.array([not set(d).isdisjoint(weights) for d in docs], dtype=bool)
    return np.where(holds, out, 0.0)


def slow_scores(index: SearchIndex, question: str) -> tuple[np.ndarray, np.ndarray]:
    """(candidate mask, served score) of every sentence, the slow way: candidates have S > 0."""
    p = index.params
    sentences, para_of, paragraphs, art_of, titles = slow_fields(index)
    weights = slow_weights(index, question)
    s, par, tit = (field_scores(reference_model(docs, p.bm25), docs, weights)
                   for docs in (sentences, paragraphs, titles))
    total = np.zeros(len(sentences))
    for i in range(len(sentences)):
        prev = s[i - 1] if i > 0 and para_of[i - 1] == para_of[i] else 0.0
        nxt = s[i + 1] if i + 1 < len(s) and para_of[i + 1] == para_of[i] else 0.0
        total[i] = s[i] + p.neighbour * (prev + nxt) + p.paragraph * par[para_of[i]] + p.title * tit[art_of[i]]
    return s > 1e-12, total


PARAMS = [
    RankingParams(),  # the product's defaults
    RankingParams(bm25=BM25Params(variant="okapi", k1=1.2, b=0.5), neighbour=0.3, paragraph=0.5, title=1.0,
                  name_boost=2.0, typo=0.5, typo_expansions=3),
    RankingParams(bm25=BM25Params(variant="plus"), typo=0.0),
]


@pytest.mark.parametrize("params", PARAMS, ids=["defaults", "other-weights", "plus-no-typo"])
@pytest.mark.parametrize("question", QUESTIONS)
def test_served_scores_equal_the_stated_model(built: Path, params: RankingParams, question: str) -> None:
    index = SearchIndex.load(built, params)
    candidate, expected = slow_scores(index, question)
    candidates = np.flatnonzero(candidate)
    result = index.search(question, k=50)
    assert result.total == len(candidates)  # no two sentences of this corpus share a text
    got = {h.sentence_id: h.score for h in result.hits}
    for sid, score in got.items():
        assert score == pytest.approx(expected[sid], rel=1e-5, abs=1e-9), (sid, question)
    order = sorted(candidates.tolist(), key=lambda i: (-expected[i], i))[:len(result.hits)]
    ranked = [h.sentence_id for h in result.hits]
    # same order, up to scores equal within float32 rounding of the postings
    assert [round(expected[i], 4) for i in ranked] == [round(expected[i], 4) for i in order]


def weights_of(index: SearchIndex, question: str) -> list[tuple[int, float]]:
    parsed = parse_query(question, index.analyzer)
    return weighted_terms(parsed, index.speller.correct(parsed).weights, index.vocab, index.params.name_boost)


def test_typo_stand_ins_weigh_typo_each(built: Path) -> None:
    index = SearchIndex.load(built, RankingParams(typo=0.7, typo_expansions=1))
    weights = dict(weights_of(index, "Lavrof mediaton crisis"))
    vocab = index.vocab
    assert weights == {vocab["lavrov"]: pytest.approx(0.7), vocab[index.analyzer.term("mediation")]: pytest.approx(0.7),
                       vocab["crisi"]: 1.0}
    off = SearchIndex.load(built, RankingParams(typo=0.0))
    assert weights_of(off, "Lavrof mediaton crisis") == [(vocab["crisi"], 1.0)]


def test_a_question_of_unknown_words_only_gets_a_suggestion_not_a_guess(built: Path) -> None:
    index = SearchIndex.load(built)
    assert weights_of(index, "Lavrof mediaton") == []
    result = index.search("Lavrof mediaton")
    assert result.hits == () and result.suggestion == "Lavrov mediation"


def test_excluded_and_known_words_get_no_stand_ins(built: Path) -> None:
    index = SearchIndex.load(built)
    parsed = parse_query("mediation -Lavrof", index.analyzer)
    assert index.speller.correct(parsed).stand_ins == ()
    assert index.speller.correct(parse_query("Lavrov mediation", index.analyzer)).stand_ins == ()


def test_results_for_a_typo_say_what_was_searched(built: Path) -> None:
    index = SearchIndex.load(built)
    result = index.search("what did Lavrof say about mediaton")
    assert result.hits and result.suggestion == "what did Lavrov say about mediation"
    assert any("Lavrov" in h.text[a:b] for h in result.hits for a, b in h.highlights)
    assert index.search("what did Lavrov say about mediation").suggestion is None


def test_names_weigh_name_boost(built: Path) -> None:
    index = SearchIndex.load(built, RankingParams(name_boost=2.0))
    weights = dict(weights_of(index, "what did Lavrov say about Minsk talks"))
    v = index.vocab
    assert weights[v["lavrov"]] == 2.0 and weights[v["minsk"]] == 2.0 and weights[v["talk"]] == 1.0
    assert Counter(weights.values())[1.0] == 2  # talk, say
