"""The search index as a Python object: build, load, search, add articles.

A `SearchIndex` is immutable once loaded: searches from many threads share
it without locks, and adding an article produces a *new* `SearchIndex` (and
a new on-disk generation) that the caller swaps in at once. The bot keeps
its one current index in `index.service.IndexService`.

A search is a straight line: parse the question (`index.query`), correct
its unknown words (`index.spelling.Speller`), weigh its terms
(`weighted_terms`), rank the sentences (`index.ranking`), and read the
texts of the page (`index.texts`). When nothing matches, the corrected
question is checked for hits (ranked, not searched in full) and travels in
`SearchResult.suggestion` ("did you mean").
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import delta, detect, languages, news, spelling, store
from .analysis import Analyzer
from .build import Accumulator, BuildReport
from .config import IndexConfig, RuntimeSettings, current_runtime
from .corpus import Article, CorpusError, fingerprint, text_hash
from .filters import parse_filters
from .hits import Hit, SearchResult, new_hit
from .pipeline import build_generation
from .multilingual import analyze_question, main_language
from .postings import Field, Postings
from .query import MAX_QUERY_CHARS, NOTE_PHRASE_FALLBACK, ParsedQuery, matches_phrase, parse_query
from .ranking import Ranked, Ranker, RankingParams
from .texts import TextStore

MAX_K = 50
DEFAULT_PARAMS = RankingParams()
Progress = Callable[[int, int], None]
# why a page is empty (SearchResult.message; the bot translates these by value, bot.i18n)
NO_WORDS = "None of the question's words occur in the articles."
NO_MORE = "No more results."
ALL_EXCLUDED = "Every matching sentence contains an excluded word."
NO_MATCH = "No sentence matches the question."


@dataclass
class IndexStats:
    articles: int
    sentences: int
    terms: int
    bytes_on_disk: int
    built_at: float
    build_seconds: float
    corpus: str
    fingerprint: str
    skipped: list[dict] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)  # language code -> articles


def write_index(corpus: Path, root: Path, progress: Progress | None = None, config: IndexConfig | None = None,
                workers: int | None = None, memory_mb: int | None = None) -> BuildReport:
    """Read the corpus folder into a new generation of `root` (written atomically), without loading it
    (a build process that only writes, as the CLI and the bot's rebuild child, never holds the index).

    `config` says how articles are read and analysed (default `IndexConfig()`;
    its folders are replaced by `corpus` and `root`). `workers` processes
    analyse the articles (default: one per core for a corpus of some size);
    the build holds about `memory_mb` (default $BUILD_MEMORY_MB) and spills
    the rest to disk (`index.pipeline`). The index is the same for any
    number of workers and any budget."""
    started = time.perf_counter()
    config = (config or IndexConfig()).at(corpus, root)
    analyzer = config.make_analyzer()
    stamp = fingerprint(corpus)
    reports: list[BuildReport] = []

    def fill(folder: Path) -> None:
        reports.append(build_generation(
            folder, config, analyzer,
            lambda acc: _meta(config, stamp, acc, analyzer, time.perf_counter() - started),
            progress, workers, memory_mb))

    store.write_generation(root, fill)
    report = reports[0]
    report.seconds = time.perf_counter() - started
    return report


class SearchIndex:
    """A loaded index generation: memory-mapped arrays, vocabulary, and the texts in SQLite."""

    def __init__(self, config: IndexConfig, generation: Path, meta: dict, arrays: dict[str, np.ndarray],
                 vocab: Mapping[str, int], texts: TextStore, params: RankingParams = DEFAULT_PARAMS, *,
                 ranker: Ranker | None = None) -> None:
        self.config = config     # as built: articles added later are read and analysed the same way
        self.root = config.root
        self.generation = generation
        self.meta = meta
        self.arrays = arrays
        self.vocab = vocab
        self.params = params
        # the index's languages (code -> articles): its main language's analyzer reads questions
        # and texts, `analyze_question` adds the other languages' readings of a question, and
        # with several languages each hit is highlighted by its article's analyzer
        self.languages: dict[str, int] = dict(meta.get("languages") or {"en": meta.get("articles", 0)})
        self.base_analyzer: Analyzer = config.make_analyzer()
        self.analyzer: Analyzer = self.base_analyzer.for_language(main_language(self.languages))
        self.texts = texts
        self._article_langs = (texts.article_languages() if len(self.languages) > 1 else None)
        self.speller = spelling.Speller(vocab, self.analyzer, texts.words, params.typo, params.typo_expansions)
        self.ranker = ranker if ranker is not None else _ranker(arrays, len(vocab), params)
        self.segments: delta.Segments | None = None   # set by `load` (index.delta)

    # ----- loading and building -------------------------------------------------
    @classmethod
    def load(cls, root: Path, params: RankingParams = DEFAULT_PARAMS, runtime: RuntimeSettings | None = None,
             previous: "SearchIndex | None" = None, generation: Path | None = None) -> "SearchIndex":
        """Open the current generation (or `generation`; `runtime`: default `current_runtime()`); raises
        IndexMissing or IndexCorrupt (with a reason). With a delta segment (`index.delta`), the main one
        of `previous` is reused when the same."""
        gen = generation or store.current_generation(root)
        runtime = runtime or (previous.config.runtime if previous is not None else None)
        if delta.has_delta(gen):
            return delta.load(cls, gen, root, params, previous, runtime)
        index = cls.load_plain(gen, root, params, runtime)
        index.segments = delta.Segments(index, delta.main_key(gen))
        return index

    @classmethod
    def load_plain(cls, gen: Path, root: Path, params: RankingParams = DEFAULT_PARAMS,
                   runtime: RuntimeSettings | None = None) -> "SearchIndex":
        """The main segment of generation `gen` (all of it, for a generation without a delta)."""
        texts = TextStore(gen)
        try:
            meta = texts.meta()
            if meta.get("format_version") != store.FORMAT_VERSION:
                raise store.IndexCorrupt(f"index format {meta.get('format_version')!r}, "
                                         f"this version reads {store.FORMAT_VERSION!r}: rebuild the index")
            config = _stored_config(meta, root, runtime or current_runtime())
            analyzer = config.make_analyzer()
            if meta.get("analyzer_version") != analyzer.version:
                raise store.IndexCorrupt(f"index built with analyzer {meta.get('analyzer_version')!r}, "
                                         f"current analyzer is {analyzer.version!r}")
            vocab = texts.vocabulary()
            arrays = store.load_arrays(gen)
            if len(arrays["sent_article"]) != meta.get("sentences"):
                raise store.IndexCorrupt("sentence count does not match the metadata")
            index = cls(config, gen, meta, arrays, vocab, texts, params)
        except BaseException:
            texts.close()
            raise
        index._warm()
        return index

    def _warm(self) -> None:
        """Derive now what the first search would otherwise pay for: each field's weighing
        (`Field.model`: no weight is held, `index.weighing`), the kernels' tables (with the
        skip blocks' maxima) and the duplicate-text groups."""
        ranker = self.ranker
        ranker.duplicates  # noqa: B018 (cached properties)
        ranker.warm()
        for code in self.languages:   # a German lexicon, the Thai dictionary: at start, not on a question
            languages.warm(code, self.config.languages)
        if len(self.languages) > 1:   # every question is then language-identified: the model now (0.5 s)
            detect.load()
        # what load read in full but queries read sparsely or never: out of our resident set
        store.release(self.arrays, ("s_tfs", "p_tfs", "t_tfs", "s_docs", "p_docs", "t_docs",
                                    "sent_len", "para_len", "title_len", "sent_hash"))

    @classmethod
    def build(cls, corpus: Path, root: Path, progress: Progress | None = None,
              params: RankingParams = DEFAULT_PARAMS, config: IndexConfig | None = None,
              workers: int | None = None, memory_mb: int | None = None) -> tuple["SearchIndex", BuildReport]:
        """`write_index`, then load the new generation."""
        report = write_index(corpus, root, progress, config, workers, memory_mb)
        return cls.load(root, params, (config or IndexConfig()).runtime), report

    def add_articles(self, articles: list[Article], corpus: Path,
                     replaced: Iterable[int] = ()) -> tuple["SearchIndex", int]:
        """A new index with these articles added and the `replaced` article ids hidden, and the number
        of sentences added. They go into the delta segment (`index.delta`): the main one is not
        re-analysed, rewritten or reloaded. The corpus fingerprint is refreshed (the caller saved the files)."""
        sentences = delta.add(self, articles, corpus, set(replaced))
        return SearchIndex.load(self.root, self.params, previous=self), sentences

    @property
    def delta_sentences(self) -> int:
        """Sentences in the delta segment (0: none, everything is in the main one)."""
        return 0 if self.segments is None else self.segments.delta_sentences

    def merged(self) -> "SearchIndex | None":
        """The index with its delta merged into the main segment (a new generation, switched to
        atomically); None without a delta. Slow at scale: the service runs it aside (`index.merging`)."""
        return SearchIndex.load(self.root, self.params, self.config.runtime) if self.segments and delta.merge(self) \
            else None

    def find_article_texts(self, bodies: Sequence[str]) -> list[str | None]:
        """For each body, the id of an indexed article with the same text (`index.corpus.text_hash`) or None."""
        keys = [text_hash(body) for body in bodies]
        found = self.texts.articles_with_hashes(keys)
        return [found.get(key) for key in keys]

    def stale_reason(self, corpus: Path, config: IndexConfig | None = None) -> str | None:
        """Why this index does not reflect `corpus` read with `config` (None when it does)."""
        if Path(self.meta.get("corpus", "")) != corpus.resolve():
            return f"it was built from {self.meta.get('corpus')}"
        if config is not None and (changed := config.difference(self.meta.get("config"))):
            return changed
        if self.meta.get("fingerprint") != fingerprint(corpus):
            return "the corpus changed since it was built"
        return None

    # ----- searching -----------------------------------------------------------
    def search(self, query: str, k: int = 5, offset: int = 0) -> SearchResult:
        """Ranked hits for a free-text question; never raises for any string."""
        k = max(1, min(int(k), MAX_K))
        offset = max(0, int(offset))
        text, filters = parse_filters(query, self.config.runtime.today(), news.facts(self).any_dated)  # dates, source:, order, speaker
        reading = analyze_question(text[:MAX_QUERY_CHARS], self.base_analyzer, self.languages)
        parsed = parse_query(text, reading.analyzer)
        echo = query[:MAX_QUERY_CHARS]  # the question as asked (cut), so batch callers can match lines
        if early := news.empty_range_message(filters) or (None if parsed.searchable else parsed.reason):
            return SearchResult(echo, (), 0, offset, early, filters=filters)
        correction = self.speller.correct(parsed)
        terms = weighted_terms(parsed, correction.weights, self.vocab, self.params.name_boost, reading.extra)
        got = news.rank_question(self, parsed, terms, filters, offset, k)   # the words, the filters
        if phrase_missed := bool(parsed.phrases and terms and not got.ranked.total):  # no sentence has the
            parsed = replace(parsed, phrases=())      # exact phrase: search its words, and say so
            got = news.rank_question(self, parsed, terms, filters, offset, k)
        ranked, excluded_all = got.outcome
        hits = self._hits(ranked, set(parsed.terms) | set(correction.weights) | set(reading.extra), offset)
        # with hits: the question as searched, when stand-ins for unknown words were searched;
        # with none at all: the corrected question, when it has hits ("did you mean")
        suggestion = correction.corrected if ranked.total else self._did_you_mean(query, parsed, correction)
        message = (NOTE_PHRASE_FALLBACK if phrase_missed else None) if hits else \
            (news.filtered_out_message(got, filters) or _no_hits_message(bool(terms), ranked, offset, excluded_all))
        return SearchResult(echo, tuple(hits), ranked.total, offset, message, suggestion, terms=parsed.terms,
                            filters=filters, undated_left_out=got.undated)

    def _rank(self, parsed: ParsedQuery, terms: list[tuple[int, float]], offset: int,
              k: int) -> tuple[Ranked, bool]:
        """The page of ranked sentences, and whether excluded words removed every match."""
        excluded = [self.vocab[t] for t in parsed.excluded if t in self.vocab]
        if not parsed.phrases:
            ranked, matched_before_exclusion = self.ranker.top(terms, excluded, offset, k)
            return ranked, matched_before_exclusion > 0 and ranked.total == 0
        # the candidates' texts decide: the numpy path, which materialises them
        ids, scores = self.ranker.score(terms)
        matched_before_exclusion = len(ids)
        ids, scores = self.ranker.exclude(ids, scores, excluded)
        excluded_all = matched_before_exclusion > 0 and len(ids) == 0
        # words outside the vocabulary are stopwords or absent: the text check settles them
        required = {self.vocab[w] for phrase in parsed.phrases for w in phrase if w in self.vocab}
        ids, scores = self.ranker.require(ids, scores, sorted(required))
        return self.ranker.page(ids, scores, offset, k, lambda sid: self._has_phrases(sid, parsed)), excluded_all

    def _did_you_mean(self, query: str, parsed: ParsedQuery, correction: spelling.Correction) -> str | None:
        """The corrected question, when it differs from the one asked and has hits.

        Checked by ranking, not by a full search: the corrected question's
        unknown words are those without a near word, so it has no stand-ins.
        """
        corrected = self.speller.suggestion(parsed, correction)
        if corrected is None or _same_question(corrected, query):
            return None
        again = parse_query(corrected, self.analyzer)
        terms = weighted_terms(again, {}, self.vocab, self.params.name_boost) if again.searchable else []
        return corrected if terms and self._rank(again, terms, 0, 1)[0].ids else None

    def _has_phrases(self, sid: int, parsed: ParsedQuery) -> bool:
        text = self.texts.texts([sid])[sid]
        lang = self._language_of(int(self.arrays["sent_article"][sid]))
        analyzer = self.analyzer if lang is None else self.base_analyzer.for_language(lang)
        words = [w for tok in analyzer.tokens(text) for w in tok.words]
        return all(matches_phrase(words, phrase) for phrase in parsed.phrases)

    # ----- reading texts -------------------------------------------------------
    def _hits(self, ranked: Ranked, query_terms: set[str], offset: int) -> list[Hit]:
        return make_hits(self, ranked, query_terms, offset)

    def highlights(self, text: str, terms: set[str], lang: str | None = None) -> tuple[tuple[int, int], ...]:
        """Spans of the words of `text` (in language `lang`) that matched one of the query terms."""
        analyzer = self.analyzer if lang is None else self.base_analyzer.for_language(lang)
        return analyzer.matching_spans(text, terms)

    def _language_of(self, article: int) -> str | None:
        """An article's language in an index of several (None: the index's one language)."""
        return None if self._article_langs is None else self._article_langs[article]

    @property
    def db(self):  # noqa: ANN201 - sqlite3.Connection: this thread's read-only connection (tests, benchmarks)
        return self.texts.db

    @property
    def lexicon(self) -> spelling.Lexicon:
        """The indexed surface words with their counts (loaded on first use)."""
        return self.speller.lexicon

    def context(self, sentence_id: int, width: int = 2) -> list[tuple[int, str]]:
        """The sentences of the same paragraph around one sentence: (sentence id, text)."""
        return self.texts.context(sentence_id, width)

    def sentence(self, sentence_id: int, terms: tuple[str, ...] = ()) -> Hit | None:
        """One sentence as a hit (for buttons that refer back to it)."""
        if not 0 <= sentence_id < self.meta["sentences"]:
            return None
        hits = self._hits(Ranked((sentence_id,), (0.0,), ((),), 1), set(terms), 0)
        return hits[0] if hits else None

    def example_question(self) -> str | None:
        """A question with hits here, preferring a speaker ("Lavrov said" -> "What did Lavrov say?")."""
        for text in self.texts.article_openings():
            for question in _example_questions(self.analyzer.tokens(text), text):
                if self.search(question, k=1).hits:
                    return question
        return None

    def stats(self) -> IndexStats:
        size = sum(p.stat().st_size for p in self.generation.iterdir() if p.is_file())
        return IndexStats(self.meta["articles"], self.meta["sentences"], len(self.vocab), size,
                          self.meta.get("updated_at", self.meta["built_at"]), self.meta["build_seconds"],
                          self.meta["corpus"], self.meta["fingerprint"], self.texts.skipped(),
                          dict(self.languages))

    def close(self) -> None:
        self.texts.close()



def make_hits(index: SearchIndex, ranked: Ranked, query_terms: set[str], offset: int) -> list[Hit]:
    """The page's `Hit` records: texts, neighbours, articles and highlights in one read of the text
    store (two when a hit has duplicates: their articles are the second)."""
    if not ranked.ids:
        return []
    rows, refs = index.texts.page(ranked.ids)
    dups = {d for dup in ranked.duplicates for d in dup}
    dup_article, dup_refs = index.texts.articles_of(dups) if dups else ({}, {})
    refs = {**dup_refs, **refs}
    hits = []
    for n, (sid, score, dup_ids) in enumerate(zip(ranked.ids, ranked.scores, ranked.duplicates)):
        _, art, para, idx, start, end, section, text, speaker, before, after = rows[sid]
        hits.append(new_hit(
            rank=offset + n + 1, score=score, text=text, article=refs[art],
            paragraph=para, sentence=idx, start=start, end=end,
            highlights=index.highlights(text, query_terms, index._language_of(art)), section=section,
            before=before, after=after, sentence_id=sid, speaker=speaker,
            also_in=tuple(refs[dup_article[d]] for d in dup_ids if dup_article.get(d, art) != art),
        ))
    return hits


def weighted_terms(parsed: ParsedQuery, stand_ins: Mapping[str, float], vocab: Mapping[str, int],
                   name_boost: float, other_languages: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
    """The query-term weights w_t of the ranking model (see `index.ranking`), by term id.

    w_t = (count of t in the question, a name counting `name_boost`) plus the
    weight the stand-ins for unknown question words add (`spelling.Correction.weights`)
    plus, in an index of several languages, the weight of the terms only the other
    languages' analyses of the question produced (`index.multilingual`).
    """
    counts: dict[int, float] = {}
    for term in parsed.terms:
        tid = vocab.get(term)
        if tid is not None:
            counts[tid] = counts.get(tid, 0.0) + (name_boost if term in parsed.names else 1.0)
    for term, weight in stand_ins.items():
        tid = vocab[term]
        counts[tid] = counts.get(tid, 0.0) + weight
    for term, weight in (other_languages or {}).items():
        tid = vocab.get(term)
        if tid is not None and term not in parsed.excluded:
            counts[tid] = counts.get(tid, 0.0) + weight
    return sorted(counts.items())


def _no_hits_message(any_terms: bool, ranked: Ranked, offset: int, excluded_all: bool) -> str:
    if not any_terms:
        return NO_WORDS
    return (NO_MORE if ranked.total and offset else ALL_EXCLUDED if excluded_all else
            NO_MATCH)  # a phrase no sentence has was searched as its words


def _same_question(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _stored_config(meta: dict, root: Path, runtime: RuntimeSettings) -> IndexConfig:
    try:
        return IndexConfig.of_identity(meta["config"], Path(meta["corpus"]), root, runtime)
    except (KeyError, TypeError, ValueError) as exc:
        raise store.IndexCorrupt(f"index configuration unreadable: {exc!r}") from exc


def _ranker(arrays: dict[str, np.ndarray], n_terms: int, params: RankingParams) -> Ranker:
    fields = {}
    for prefix, lengths in (("s", "sent_len"), ("p", "para_len"), ("t", "title_len")):
        postings = Postings(arrays[f"{prefix}_ptr"], arrays[f"{prefix}_docs"], arrays[f"{prefix}_tfs"])
        if postings.n_terms != n_terms:
            raise store.IndexCorrupt(f"postings {prefix} cover {postings.n_terms} terms, vocabulary has {n_terms}")
        fields[prefix] = Field(postings, np.asarray(arrays[lengths]), params.bm25)
    return Ranker(fields["s"], fields["p"], fields["t"], arrays["sent_para"],
                  arrays["sent_article"], arrays["sent_hash"], params, article_day=np.asarray(arrays["article_day"]))


def _example_questions(tokens: list, text: str) -> list[str]:
    """Candidate questions: capitalised words before a reporting verb first, then frequent names."""
    speakers, counts = [], {}
    for prev, tok, nxt in zip([None] + tokens[:-1], tokens, tokens[1:] + [None]):
        word = text[tok.start:tok.end]
        at_start = prev is None or text[prev.end:tok.start].strip(" ")[-1:] in (".", "!", "?", "\n")
        if not (tok.capitalized and tok.terms and word.isalpha()) or at_start:
            continue
        if nxt is not None and {"say", "tell"} & set(nxt.terms):
            speakers.append(f"What did {word} say?")
        counts[word] = counts.get(word, 0) + 1
    frequent = sorted(counts, key=lambda w: -counts[w])[:3]
    return list(dict.fromkeys(speakers + [f"What about {w}?" for w in frequent]))


def _meta(config: IndexConfig, stamp: str, acc: Accumulator, analyzer: Analyzer, seconds: float) -> dict:
    return {
        "format_version": store.FORMAT_VERSION,
        "analyzer_version": analyzer.version,
        "config": config.identity(),
        "corpus": str(config.corpus.resolve()),
        "fingerprint": stamp,
        "articles": acc.n_articles,
        "sentences": acc.n_sentences,
        "terms": len(acc.vocab),
        "built_at": time.time(),
        "build_seconds": seconds,
        "languages": acc.language_counts(),
    }


def log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_index(corpus: Path, root: Path, log: Callable[[str], None] = log_stderr,
               progress: Progress | None = None, params: RankingParams = DEFAULT_PARAMS,
               config: IndexConfig | None = None) -> SearchIndex:
    """Load the index, or build it first when missing, stale or unusable (saying why).

    Built with another `config` (default `IndexConfig()`) is stale too."""
    config = (config or IndexConfig()).at(corpus, root)
    try:
        index = SearchIndex.load(root, params, config.runtime)
    except store.IndexMissing:
        log(f"No index at {root}; building it from {corpus} ...")
    except store.IndexCorrupt as exc:
        log(f"The index at {root} is unusable ({exc}); rebuilding it from {corpus} ...")
    else:
        reason = index.stale_reason(corpus, config)
        if reason is None:
            return index
        index.close()
        log(f"The index at {root} is stale ({reason}); rebuilding it ...")
    index, report = SearchIndex.build(corpus, root, progress, params, config)
    log(report.summary())
    return index


__all__ = ["SearchIndex", "open_index", "IndexStats", "CorpusError", "MAX_K"]
