"""The search index as a Python object: build, load, search, add articles.

A `SearchIndex` is immutable once loaded: searches from many threads share
it without locks, and adding an article produces a *new* `SearchIndex` (and
a new on-disk generation) that the caller swaps in at once. The bot keeps
its one current index in `index.service.IndexService`.
"""
from __future__ import annotations

import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config, spelling, store
from .analysis import DEFAULT_ANALYZER, Analyzer
from .build import Accumulator, BuildReport, accumulate, full_arrays, paragraph_field
from .corpus import Article, CorpusError, fingerprint, read_corpus
from .hits import ArticleRef, Hit, SearchResult
from .postings import Field, Postings
from .query import MAX_QUERY_CHARS, ParsedQuery, matches_phrase, parse_query
from .ranking import Ranked, Ranker, RankingParams

MAX_K = 50
DEFAULT_PARAMS = RankingParams()
Progress = Callable[[int, int], None]


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


class SearchIndex:
    """A loaded index generation: memory-mapped arrays, vocabulary, and the texts in SQLite."""

    def __init__(self, root: Path, generation: Path, meta: dict, arrays: dict[str, np.ndarray],
                 vocab: dict[str, int], params: RankingParams = DEFAULT_PARAMS,
                 analyzer: Analyzer = DEFAULT_ANALYZER) -> None:
        self.root = root
        self.generation = generation
        self.meta = meta
        self.arrays = arrays
        self.vocab = vocab
        self.params = params
        self.analyzer = analyzer
        self._local = threading.local()
        # Opened now, while the generation folder surely exists: the next write sweeps the folder
        # (Linux keeps an open file readable), and a thread that first reads texts after that
        # could not open its own connection any more. See `db`.
        self._keeper = store.open_db(generation / store.DB_NAME)
        self._lexicon: spelling.Lexicon | None = None
        self._lexicon_lock = threading.Lock()
        bm = params.bm25
        n_terms = len(vocab)
        fields = {}
        for prefix, lengths in (("s", "sent_len"), ("p", "para_len"), ("t", "title_len")):
            postings = Postings(arrays[f"{prefix}_ptr"], arrays[f"{prefix}_docs"], arrays[f"{prefix}_tfs"])
            if postings.n_terms != n_terms:
                raise store.IndexCorrupt(f"postings {prefix} cover {postings.n_terms} terms, vocabulary has {n_terms}")
            fields[prefix] = Field(postings, np.asarray(arrays[lengths]), bm)
        self.ranker = Ranker(fields["s"], fields["p"], fields["t"], arrays["sent_para"],
                             arrays["sent_article"], arrays["sent_hash"], params)

    # ----- loading and building -------------------------------------------------
    @classmethod
    def load(cls, root: Path, params: RankingParams = DEFAULT_PARAMS,
             analyzer: Analyzer = DEFAULT_ANALYZER) -> "SearchIndex":
        """Open the current generation; raises IndexMissing or IndexCorrupt (with a reason)."""
        gen = store.current_generation(root)
        conn = store.open_db(gen / store.DB_NAME)
        try:
            meta = store.read_meta(conn)
            if meta.get("format_version") != store.FORMAT_VERSION:
                raise store.IndexCorrupt(f"index format {meta.get('format_version')!r}, "
                                         f"this version reads {store.FORMAT_VERSION!r}")
            if meta.get("analyzer_version") != analyzer.version:
                raise store.IndexCorrupt(f"index built with analyzer {meta.get('analyzer_version')!r}, "
                                         f"current analyzer is {analyzer.version!r}")
            try:
                vocab = dict(conn.execute("SELECT term, id FROM terms"))
            except sqlite3.DatabaseError as exc:
                raise store.IndexCorrupt(f"vocabulary unreadable: {exc}") from exc
        finally:
            conn.close()
        arrays = store.load_arrays(gen)
        if len(arrays["sent_article"]) != meta.get("sentences"):
            raise store.IndexCorrupt("sentence count does not match the metadata")
        index = cls(root, gen, meta, arrays, vocab, params, analyzer)
        index._warm()
        return index

    def _warm(self) -> None:
        """Derive now what the first search would otherwise pay for: the BM25 weights
        of the fields the ranking parameters use, and the duplicate-text groups."""
        ranker = self.ranker
        ranker.sentences.weights  # noqa: B018 (cached properties)
        if self.params.paragraph:
            ranker.paragraphs.weights  # noqa: B018
        if self.params.title:
            ranker.titles.weights  # noqa: B018
        ranker.duplicates  # noqa: B018
        ranker.warm()
        # what load read in full but queries read sparsely or never: out of our resident set
        store.release(self.arrays, ("s_tfs", "p_tfs", "t_tfs", "s_docs", "p_docs", "t_docs",
                                    "sent_len", "para_len", "title_len", "sent_hash"))

    @classmethod
    def build(cls, corpus: Path, root: Path, progress: Progress | None = None,
              params: RankingParams = DEFAULT_PARAMS, analyzer: Analyzer = DEFAULT_ANALYZER,
              boilerplate: tuple[str, ...] | None = None,
              workers: int | None = None) -> tuple["SearchIndex", BuildReport]:
        """Read the corpus folder, write a new generation atomically, and load it.

        `workers` processes analyse the articles (default: one per core for a
        corpus of some size; see `index.build.accumulate`); the index is the same
        for any number."""
        started = time.perf_counter()
        if boilerplate is None:
            boilerplate = config.boilerplate_patterns()  # $BOILERPLATE_FILE adds patterns
        stamp = fingerprint(corpus)
        read = read_corpus(corpus)
        total = len(read.articles)
        acc = accumulate(read.articles, analyzer, boilerplate,
                         (lambda n: progress(n, total)) if progress else None, workers=workers)
        seconds = time.perf_counter() - started
        meta = _meta(corpus, stamp, acc, analyzer, seconds)

        def fill(folder: Path) -> None:
            # the postings (numpy sorts, which release the GIL) are built in a thread
            # while this one writes the database: the two longest serial steps overlap
            with ThreadPoolExecutor(1) as pool:
                arrays = pool.submit(full_arrays, acc)
                conn = store.create_db(folder / store.DB_NAME)
                with conn:
                    _insert_rows(conn, acc, meta)
                    conn.executemany("INSERT INTO skipped VALUES (?, ?, ?)",
                                     [(s.path, s.line, s.reason) for s in read.skipped])
                conn.close()
                store.save_arrays(folder, arrays.result())

        store.write_generation(root, fill)
        report = BuildReport(acc.n_articles, acc.n_sentences, len(acc.vocab), read.files,
                             read.skipped, time.perf_counter() - started)
        return cls.load(root, params, analyzer), report

    def add_articles(self, articles: list[Article], corpus: Path) -> tuple["SearchIndex", int]:
        """A new index with these articles appended (a delta: nothing else is re-analysed).

        Returns the new index and the number of sentences added. The corpus
        fingerprint is refreshed, since the caller saved the articles' files.
        """
        n_terms_before = len(self.vocab)
        acc = Accumulator(vocab=dict(self.vocab), first_article=self.meta["articles"],
                          first_sentence=self.meta["sentences"], first_paragraph=len(self.arrays["para_len"]))
        accumulate(articles, self.analyzer, acc=acc, workers=1)
        n_terms = len(acc.vocab)
        old = {k: np.asarray(v) for k, v in self.arrays.items()}
        new = acc.sentence_arrays()
        arrays: dict[str, np.ndarray] = {}
        for name in ("sent_article", "sent_para", "sent_len", "sent_hash", "title_len"):
            arrays[name] = np.concatenate([old[name], new[name]])
        s = _widen(Postings(old["s_ptr"], old["s_docs"], old["s_tfs"]), n_terms).extended(*acc.triples("s"), n_terms)
        t = _widen(Postings(old["t_ptr"], old["t_docs"], old["t_tfs"]), n_terms).extended(*acc.triples("t"), n_terms)
        p, para_len = paragraph_field(s, arrays["sent_para"], arrays["sent_len"], acc.n_paragraphs)
        arrays.update(para_len=para_len, s_ptr=s.ptr, s_docs=s.docs, s_tfs=s.tfs,
                      p_ptr=p.ptr, p_docs=p.docs, p_tfs=p.tfs, t_ptr=t.ptr, t_docs=t.docs, t_tfs=t.tfs)
        meta = dict(self.meta)
        meta.update(articles=acc.n_articles, sentences=acc.n_sentences, terms=n_terms,
                    fingerprint=fingerprint(corpus), updated_at=time.time())
        source_db = self.generation / store.DB_NAME

        def fill(folder: Path) -> None:
            store.save_arrays(folder, arrays)
            target = folder / store.DB_NAME
            src = sqlite3.connect(f"file:{source_db}?mode=ro", uri=True)
            dst = sqlite3.connect(target)
            src.backup(dst)
            src.close()
            with dst:
                _insert_rows(dst, acc, meta, first_new_term=n_terms_before)
            dst.close()

        store.write_generation(self.root, fill)
        return SearchIndex.load(self.root, self.params, self.analyzer), acc.n_sentences - acc.first_sentence

    def find_article_text(self, body: str) -> str | None:
        """The id of an indexed article whose body is this text, if any (uploads are not indexed twice)."""
        key = " ".join(body.split())
        for ext_id, text, start in self.db.execute("SELECT ext_id, text, body_start FROM articles "
                                                    "WHERE length(text) BETWEEN ? AND ?",
                                                    (len(body) // 2, len(body) * 2 + 2000)):
            if " ".join(text[start:].split()) == key:
                return ext_id
        return None

    def stale_reason(self, corpus: Path) -> str | None:
        """Why this index does not reflect `corpus` (None when it does)."""
        if Path(self.meta.get("corpus", "")) != corpus.resolve():
            return f"it was built from {self.meta.get('corpus')}"
        if self.meta.get("fingerprint") != fingerprint(corpus):
            return "the corpus changed since it was built"
        return None

    # ----- searching -----------------------------------------------------------
    def search(self, query: str, k: int = 5, offset: int = 0) -> SearchResult:
        """Ranked hits for a free-text question; never raises for any string."""
        k = max(1, min(int(k), MAX_K))
        offset = max(0, int(offset))
        parsed = parse_query(query, self.analyzer)
        echo = query[:MAX_QUERY_CHARS]  # the question as asked (cut), so batch callers can match lines
        if not parsed.searchable:
            return SearchResult(echo, (), 0, offset, parsed.reason)
        stand_ins = self._stand_ins(parsed)
        typo = self._typo_terms(stand_ins)
        terms = self._weighted_terms(parsed, typo)
        if not terms:
            return SearchResult(echo, (), 0, offset, "None of the question's words occur in the articles.",
                                terms=parsed.terms)
        excluded = [self.vocab[t] for t in parsed.excluded if t in self.vocab]
        if parsed.phrases:  # the candidates' texts decide: the numpy path, which materialises them
            ids, scores = self.ranker.score(terms)
            matched_before_exclusion = len(ids)
            ids, scores = self.ranker.exclude(ids, scores, excluded)
            excluded_all = matched_before_exclusion > 0 and len(ids) == 0
            # words outside the vocabulary are stopwords or absent: the text check settles them
            required = {self.vocab[w] for phrase in parsed.phrases for w in phrase if w in self.vocab}
            ids, scores = self.ranker.require(ids, scores, sorted(required))
            ranked = self.ranker.page(ids, scores, offset, k, lambda sid: self._has_phrases(sid, parsed))
        else:
            ranked, matched_before_exclusion = self.ranker.top(terms, excluded, offset, k)
            excluded_all = matched_before_exclusion > 0 and ranked.total == 0
        hits = self._hits(ranked, set(parsed.terms) | set(typo), offset)
        message = None
        if not hits:
            message = ("No more results." if ranked.total and offset else
                       "Every matching sentence contains an excluded word." if excluded_all else
                       "No sentence matches the question." if not parsed.phrases else
                       "No sentence contains the quoted phrase.")
        # the question as searched, when stand-ins for unknown words were searched and found something
        corrected = (spelling.replace_words(parsed.text, [(u, found[0].word) for u, found in stand_ins])
                     if stand_ins and ranked.total else None)
        return SearchResult(echo, tuple(hits), ranked.total, offset, message, corrected, terms=parsed.terms)

    def _weighted_terms(self, parsed: ParsedQuery,
                        typo: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """The query-term weights w_t of the ranking model (see `index.ranking`).

        w_t = (count of t in the question, a name counting `name_boost`) plus,
        for question words absent from the vocabulary, their stand-ins
        (`_typo_terms`; computed here unless given).
        """
        counts: dict[int, float] = {}
        boost = self.params.name_boost
        for term in parsed.terms:
            tid = self.vocab.get(term)
            if tid is not None:
                counts[tid] = counts.get(tid, 0.0) + (boost if term in parsed.names else 1.0)
        for term, weight in (self._typo_terms(self._stand_ins(parsed)) if typo is None else typo).items():
            tid = self.vocab[term]
            counts[tid] = counts.get(tid, 0.0) + weight
        return sorted(counts.items())

    # ----- spelling --------------------------------------------------------------
    @property
    def lexicon(self) -> spelling.Lexicon:
        """The indexed surface words with their counts (loaded on first use)."""
        lexicon = self._lexicon
        if lexicon is None:
            with self._lexicon_lock:
                if self._lexicon is None:
                    conn = store.open_db(self.generation / store.DB_NAME)
                    try:
                        self._lexicon = spelling.load_lexicon(conn)
                    finally:
                        conn.close()
                lexicon = self._lexicon
        return lexicon

    def _searchable(self, word: str) -> bool:
        return any(t in self.vocab for t in self.analyzer.analyze(word))

    def _stand_ins(self, parsed: ParsedQuery) -> list[tuple[spelling.UnknownWord, list[spelling.Candidate]]]:
        """Searched question words absent from the vocabulary, each with its nearest indexed words.

        At most `typo_expansions` words each (`spelling.Lexicon.nearest`);
        none when `typo` is 0. Excluded words and words cut from a long
        question are not searched, so they get none. Nor does a question none
        of whose words is indexed ("Lavrof"): rather than answer a pure guess,
        it gets no hits, and `suggest` offers the corrected question to confirm.
        """
        p = self.params
        if p.typo <= 0 or p.typo_expansions <= 0:
            return []
        searched = set(parsed.terms)
        if not any(t in self.vocab for t in searched):
            return []
        out = []
        for unknown in spelling.unknown_words(parsed.text, self.analyzer.analyze, self.vocab.__contains__):
            if searched.isdisjoint(self.analyzer.analyze(unknown.typed)):
                continue
            found = self.lexicon.nearest(unknown.folded, most=p.typo_expansions, keep=self._searchable)
            if found:
                out.append((unknown, found))
        return out

    def _typo_terms(self, stand_ins: list[tuple[spelling.UnknownWord, list[spelling.Candidate]]]
                    ) -> dict[str, float]:
        """term -> weight added for the stand-ins: `typo` per term of each stand-in word."""
        out: dict[str, float] = {}
        for _, found in stand_ins:
            for cand in found:
                for term in set(self.analyzer.analyze(cand.word)):
                    if term in self.vocab:
                        out[term] = out.get(term, 0.0) + self.params.typo
        return out

    def suggest(self, query: str) -> str | None:
        """"Did you mean": the question with unknown words replaced by the nearest indexed words.

        None unless some word of the question is not in the vocabulary, an
        indexed word is close to it (`spelling.max_edits`), and the corrected
        question has hits. Words keep their capitalisation ("Lavrof" -> "Lavrov").
        """
        parsed = parse_query(query, self.analyzer)
        fixes: list[tuple[spelling.UnknownWord, str]] = []
        for unknown in spelling.unknown_words(parsed.text, self.analyzer.analyze, self.vocab.__contains__):
            best = self.lexicon.nearest(unknown.folded, most=1, keep=self._searchable)
            if best:
                fixes.append((unknown, best[0].word))
        if not fixes:
            return None
        corrected = spelling.replace_words(parsed.text, fixes)
        if corrected == parsed.text or not self.search(corrected, k=1).hits:
            return None
        return corrected

    def _has_phrases(self, sid: int, parsed: ParsedQuery) -> bool:
        text = self._texts([sid])[sid]
        words = [w for tok in self.analyzer.tokens(text) for w in tok.words]
        return all(matches_phrase(words, phrase) for phrase in parsed.phrases)

    # ----- reading texts -------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = store.open_db(self.generation / store.DB_NAME)
            except store.IndexCorrupt:
                conn = self._keeper     # swept by a newer generation: share the one opened at load
            self._local.conn = conn
        return conn

    def _texts(self, ids: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT s.id, substr(a.text, s.start + 1, s."end" - s.start) FROM sentences s '
            f"JOIN articles a ON a.id = s.article WHERE s.id IN ({marks})", ids)
        return dict(rows)

    def _hits(self, ranked: Ranked, query_terms: set[str], offset: int) -> list[Hit]:
        if not ranked.ids:
            return []
        wanted = set(ranked.ids) | {d for dup in ranked.duplicates for d in dup}
        around = sorted(wanted | {i - 1 for i in ranked.ids} | {i + 1 for i in ranked.ids})
        marks = ",".join("?" * len(around))
        # one query: the sentences, their texts and their articles' references
        rows, refs = {}, {}
        for r in self.db.execute(
                f'SELECT s.id, s.article, s.paragraph, s.idx, s.start, s."end", s.section, '
                f"substr(a.text, s.start + 1, s.\"end\" - s.start), a.ext_id, a.title, a.path, a.url, "
                f"a.published, a.source FROM sentences s "
                f"JOIN articles a ON a.id = s.article WHERE s.id IN ({marks})", around):
            rows[r[0]] = r[:8]
            if r[0] in wanted and r[1] not in refs:
                refs[r[1]] = ArticleRef(*r[8:])
        hits = []
        for n, (sid, score, dups) in enumerate(zip(ranked.ids, ranked.scores, ranked.duplicates)):
            _, art, para, idx, start, end, section, text = rows[sid]
            hits.append(Hit(
                rank=offset + n + 1, score=score, text=text, article=refs[art],
                paragraph=para, sentence=idx, start=start, end=end,
                highlights=self.highlights(text, query_terms), section=section,
                before=_neighbour(rows, sid - 1, art, para), after=_neighbour(rows, sid + 1, art, para),
                sentence_id=sid,
                also_in=tuple(refs[rows[d][1]] for d in dups if d in rows and rows[d][1] != art),
            ))
        return hits

    def highlights(self, text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
        """Spans of the words of `text` that matched one of the query terms."""
        return self.analyzer.matching_spans(text, terms)

    def context(self, sentence_id: int, width: int = 2) -> list[tuple[int, str]]:
        """The sentences of the same paragraph around one sentence: (sentence id, text)."""
        rows = self.db.execute(
            'SELECT s.id, substr(a.text, s.start + 1, s."end" - s.start) FROM sentences s '
            "JOIN articles a ON a.id = s.article JOIN sentences t ON t.id = ? "
            "WHERE s.article = t.article AND s.paragraph = t.paragraph AND s.id BETWEEN ? AND ? ORDER BY s.id",
            (sentence_id, sentence_id - width, sentence_id + width)).fetchall()
        return [(int(i), str(t)) for i, t in rows]

    def sentence(self, sentence_id: int, terms: tuple[str, ...] = ()) -> Hit | None:
        """One sentence as a hit (for buttons that refer back to it)."""
        if not 0 <= sentence_id < self.meta["sentences"]:
            return None
        ranked = Ranked((sentence_id,), (0.0,), ((),), 1)
        hits = self._hits(ranked, set(terms), 0)
        return hits[0] if hits else None

    def example_question(self) -> str | None:
        """A question with hits here, preferring a speaker ("Lavrov said" -> "What did Lavrov say?")."""
        rows = self.db.execute("SELECT substr(text, body_start + 1, 2000) FROM articles ORDER BY id LIMIT 5")
        for (text,) in rows.fetchall():
            for question in _example_questions(self.analyzer.tokens(text), text):
                if self.search(question, k=1).hits:
                    return question
        return None

    def stats(self) -> IndexStats:
        size = sum(p.stat().st_size for p in self.generation.iterdir() if p.is_file())
        skipped = [{"path": p, "line": l, "reason": r}
                   for p, l, r in self.db.execute("SELECT path, line, reason FROM skipped")]
        return IndexStats(self.meta["articles"], self.meta["sentences"], len(self.vocab), size,
                          self.meta.get("updated_at", self.meta["built_at"]), self.meta["build_seconds"],
                          self.meta["corpus"], self.meta["fingerprint"], skipped)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._keeper.close()


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


def _widen(p: Postings, n_terms: int) -> Postings:
    """Postings with room for terms added since (they have no postings yet)."""
    extra = n_terms - p.n_terms
    if extra <= 0:
        return p
    return Postings(np.concatenate([p.ptr, np.full(extra, p.ptr[-1], dtype=np.int64)]), p.docs, p.tfs)


def _neighbour(rows: dict, sid: int, article: int, paragraph: int) -> str | None:
    row = rows.get(sid)
    if row is None or row[1] != article or row[2] != paragraph:
        return None
    return row[7]


def _meta(corpus: Path, stamp: str, acc: Accumulator, analyzer: Analyzer, seconds: float) -> dict:
    return {
        "format_version": store.FORMAT_VERSION,
        "analyzer_version": analyzer.version,
        "corpus": str(corpus.resolve()),
        "fingerprint": stamp,
        "articles": acc.n_articles,
        "sentences": acc.n_sentences,
        "terms": len(acc.vocab),
        "built_at": time.time(),
        "build_seconds": seconds,
    }


def _insert_rows(conn: sqlite3.Connection, acc: Accumulator, meta: dict, first_new_term: int = 0) -> None:
    store.write_meta(conn, meta)
    conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", acc.article_rows)
    conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)", acc.iter_sentence_rows())
    conn.executemany("INSERT INTO terms VALUES (?, ?)",
                     ((first_new_term + i, t) for i, t in enumerate(acc.new_terms)))
    conn.execute(store.WORDS_SCHEMA)  # absent from indexes built before it existed
    conn.executemany("INSERT INTO words VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET freq = freq + excluded.freq",
                     spelling.lexicon_counts(acc.words).items())


def log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_index(corpus: Path, root: Path, log: Callable[[str], None] = log_stderr,
               progress: Progress | None = None, params: RankingParams = DEFAULT_PARAMS,
               analyzer: Analyzer = DEFAULT_ANALYZER) -> SearchIndex:
    """Load the index, or build it first when missing, stale or unusable (saying why)."""
    try:
        index = SearchIndex.load(root, params, analyzer)
    except store.IndexMissing:
        log(f"No index at {root}; building it from {corpus} ...")
    except store.IndexCorrupt as exc:
        log(f"The index at {root} is unusable ({exc}); rebuilding it from {corpus} ...")
    else:
        reason = index.stale_reason(corpus)
        if reason is None:
            return index
        index.close()
        log(f"The index at {root} is stale ({reason}); rebuilding it ...")
    index, report = SearchIndex.build(corpus, root, progress, params, analyzer)
    log(report.summary())
    return index


__all__ = ["SearchIndex", "open_index", "IndexStats", "CorpusError", "MAX_K"]
