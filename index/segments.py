"""Two segments searched as one: the main index and the small delta of articles added since.

The Lucene/tantivy segment model, cut to what an archive that grows by
uploads and channel posts needs. A generation holds the *main* segment (a
full build or the last merge: big, memory-mapped, never rewritten by an add)
and at most one *delta* segment (every article added since, in the same
format but numbered from 0), plus tombstones: the articles an edit replaced.
Ids are global: the delta's article, sentence and paragraph ``i`` is the
main's count plus ``i`` (`Offsets`), so sentence ids in buttons survive adds
and merges alike, and term ids are the main's vocabulary followed by the
delta's new terms (`JoinedVocab`).

Scoring statistics are the main's, frozen until the merge: the delta's
BM25 weights are derived with the main's N, average lengths and IDFs
(`FrozenField`; a term the main lacks gets its delta document frequency
against the main's N). So an add never changes the score of a main
sentence (its weights stay as loaded: an add at ten million sentences costs
the delta, not the main), a delta sentence scores as it would in a main
with those statistics, and the two segments' scores compare. A merge
(`index.delta.merge`) folds the delta into a new main and the statistics
become exact again, the same as a rebuild's.

`SegmentRanker` answers the `Ranker` calls the engine and `index.news`
make: each segment ranks ``offset + k`` hits with its own compiled
kernel, and the pages are merged by the rank order (`index.collect`'s:
score, newer article, id; or date first), identical texts across the
segments collapsing into one hit; the totals count such a text once too
(`CrossTwins`). `SegmentTexts` reads sentence rows from
the segment that holds them; generic SQL (sources, speakers) sees both
databases through temporary views. Tombstoned articles are hidden by the
rankings' ``allow_articles`` masks, so pages and totals stay exact.

What the main segment's database yields once read, its speakers and sources
(`SegmentFacts`) and its typo lexicon (`spelling.JoinedLexicon`), is read
once and shared by every generation on the same main, beside the delta's:
at ten million sentences reading them again after each add cost 9 s
(2.7M speaker rows) and 1.7 s (756k words), more than the add itself.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from . import bm25, text_packing
from .collect import Ranked
from .news import NewsFacts
from .once import computed_once
from .postings import Field, Postings
from .ranking import Ranker
from .texts import TextStore


@dataclass(frozen=True, slots=True)
class Offsets:
    """Where the delta's ids start: the main segment's counts."""

    articles: int
    sentences: int
    paragraphs: int
    terms: int


class JoinedVocab(Mapping[str, int]):
    """The main vocabulary followed by the delta's new terms, without copying the main's
    (a dict of a million terms costs a tenth of a second to copy: an add must not)."""

    def __init__(self, main: Mapping[str, int], extra: dict[str, int] | None = None) -> None:
        self.main = main
        self.extra = extra if extra is not None else {}

    def __getitem__(self, term: str) -> int:
        found = self.main.get(term)
        return self.extra[term] if found is None else found

    def get(self, term: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = self.main.get(term)
        return self.extra.get(term, default) if found is None else found

    def __contains__(self, term: object) -> bool:
        return term in self.main or term in self.extra

    def __setitem__(self, term: str, tid: int) -> None:  # (an `Accumulator` numbers new terms)
        self.extra[term] = tid

    def __len__(self) -> int:
        return len(self.main) + len(self.extra)

    def __iter__(self) -> Iterator[str]:
        yield from self.main
        yield from self.extra


class FrozenField(Field):
    """A delta field scored with the main field's statistics (module docstring)."""

    def __init__(self, postings: Postings, doc_len: np.ndarray, params: bm25.BM25Params, main: Field) -> None:
        super().__init__(postings, doc_len, params)
        known = min(len(main.idf), postings.n_terms)
        frozen = np.empty(postings.n_terms)
        frozen[:known] = main.idf[:known]
        frozen[known:] = bm25.idf(postings.df()[known:], max(main.n_docs, 1), params)
        self.idf = frozen
        self.const = bm25.constant(frozen, params)
        self.avgdl = main.avgdl


class SegmentRanker:
    """The `Ranker` calls of the engine and `index.news`, over the main and delta segments."""

    def __init__(self, main: Ranker, delta: Ranker, at: Offsets, deleted: np.ndarray) -> None:
        self.main, self.delta, self.at = main, delta, at
        self.params = main.params
        n_all = at.articles + delta.titles.n_docs
        self.titles = _Units(n_all)          # `NewsFacts` counts articles by the titles field
        self.duplicates = SegmentDuplicates(self)
        alive = np.ones(n_all, np.uint8)
        alive[np.asarray(deleted, np.int64)] = 0
        self.alive = alive if len(deleted) else None

    # ---- per-sentence arrays, global (made on first use: filtered questions, phrases) --------------
    @cached_property
    def sent_article(self) -> np.ndarray:
        return np.concatenate([self.main.sent_article, np.asarray(self.delta.sent_article) + self.at.articles])

    @cached_property
    def sent_para(self) -> np.ndarray:
        return np.concatenate([self.main.sent_para, np.asarray(self.delta.sent_para) + self.at.paragraphs])

    @cached_property
    def df(self) -> np.ndarray:
        """Each term's number of sentences in both segments."""
        both = np.array(self.delta.df, np.int64)
        main = np.asarray(self.main.df)
        both[:len(main)] += main
        return both

    @cached_property
    def article_day(self) -> np.ndarray | None:
        days = [self.main.article_day, self.delta.article_day]
        return None if days[0] is None or days[1] is None else np.concatenate(days)

    # ---- the compiled path ------------------------------------------------------------------------
    def top(self, terms: Sequence[tuple[int, float]], excluded: Sequence[int], offset: int, k: int, *,
            allow_articles: np.ndarray | None = None, allow_sentences: np.ndarray | None = None,
            by_date: bool = False) -> tuple[Ranked, int]:
        a_main, a_delta = self._articles(allow_articles)
        s_main, s_delta = _split(allow_sentences, self.at.sentences)
        need = offset + k
        got_main, n_main = self.main.top(self._main_terms(terms), self._main_ids(excluded), 0, need,
                                         allow_articles=a_main, allow_sentences=s_main, by_date=by_date)
        got_delta, n_delta = self.delta.top(terms, excluded, 0, need, allow_articles=a_delta,
                                            allow_sentences=s_delta, by_date=by_date)
        shared = self.twins.shared_in_top(self, terms, excluded, (a_main, s_main), (a_delta, s_delta))
        return self._merge(got_main, got_delta, offset, k, by_date, shared), n_main + n_delta

    def warm(self) -> None:
        self.delta.warm()

    # ---- the numpy path ---------------------------------------------------------------------------
    def score(self, terms: Sequence[tuple[int, float]], *, allow_articles: np.ndarray | None = None,
              allow_sentences: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        a_main, a_delta = self._articles(allow_articles)
        s_main, s_delta = _split(allow_sentences, self.at.sentences)
        ids_m, sc_m = self.main.score(self._main_terms(terms), allow_articles=a_main, allow_sentences=s_main)
        ids_d, sc_d = self.delta.score(terms, allow_articles=a_delta, allow_sentences=s_delta)
        return self._join(ids_m, sc_m, ids_d, sc_d)

    def exclude(self, ids: np.ndarray, scores: np.ndarray, excluded: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        (ids_m, sc_m), (ids_d, sc_d) = self._parts(ids, scores)
        return self._join(*self.main.exclude(ids_m, sc_m, self._main_ids(excluded)),
                          *self.delta.exclude(ids_d, sc_d, excluded))

    def require(self, ids: np.ndarray, scores: np.ndarray, required: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        (ids_m, sc_m), (ids_d, sc_d) = self._parts(ids, scores)
        return self._join(*self.main.require(ids_m, sc_m, required), *self.delta.require(ids_d, sc_d, required))

    def page(self, ids: np.ndarray, scores: np.ndarray, offset: int, k: int,
             accept: Callable[[int], bool] | None = None, *, by_date: bool = False) -> Ranked:
        ids, scores = self._alive(np.asarray(ids, np.int64), np.asarray(scores))
        (ids_m, sc_m), (ids_d, sc_d) = self._parts(ids, scores)
        first = self.at.sentences
        shifted = None if accept is None else (lambda sid: accept(sid + first))
        need = offset + k
        shared = self.twins.shared(ids_m, ids_d, accept, first)
        return self._merge(self.main.page(ids_m, sc_m, 0, need, accept, by_date=by_date),
                           self.delta.page(ids_d, sc_d, 0, need, shifted, by_date=by_date), offset, k, by_date,
                           shared)

    def served_subset(self, terms: Sequence[tuple[int, float]], sids: np.ndarray,
                      topic: set[int] | None, one: Callable) -> tuple[np.ndarray, np.ndarray]:
        """`index.news.served_subset` (`one`, per segment) for global sentence ids."""
        sids = np.asarray(sids, np.int64)
        if self.alive is not None and len(sids):
            sids = sids[self.alive[self.sent_article[sids]] != 0]
        cut = int(np.searchsorted(sids, self.at.sentences))
        ids_m, sc_m = one(self.main, self._main_terms(terms), sids[:cut], topic)
        ids_d, sc_d = one(self.delta, terms, sids[cut:] - self.at.sentences, topic)
        return self._join(ids_m, sc_m, ids_d, sc_d)

    # ---- helpers ----------------------------------------------------------------------------------
    def _main_terms(self, terms: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        """The query terms the main segment knows (the kernel reads no term id past its vocabulary)."""
        return [(t, c) for t, c in terms if t < self.at.terms]

    def _main_ids(self, term_ids: Sequence[int]) -> list[int]:
        return [t for t in term_ids if t < self.at.terms]

    def _articles(self, allow: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Each segment's `allow_articles`: the question's filter and the tombstones."""
        if self.alive is not None:
            allow = self.alive if allow is None else (np.asarray(allow).view(np.uint8) & self.alive)
        return _split(allow, self.at.articles)

    def _alive(self, ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.alive is None or not len(ids):
            return ids, scores
        keep = self.alive[self.sent_article[ids]] != 0
        return ids[keep], scores[keep]

    def _parts(self, ids: np.ndarray, scores: np.ndarray) -> tuple[tuple, tuple]:
        """Ascending global ids cut into the main's and the delta's (local) ids."""
        ids = np.asarray(ids, np.int64)
        cut = int(np.searchsorted(ids, self.at.sentences))
        return (ids[:cut], scores[:cut]), (ids[cut:] - self.at.sentences, scores[cut:])

    def _join(self, ids_m: np.ndarray, sc_m: np.ndarray, ids_d: np.ndarray,
              sc_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.concatenate([np.asarray(ids_m, np.int64), np.asarray(ids_d, np.int64) + self.at.sentences]),
                np.concatenate([np.asarray(sc_m, np.float64), np.asarray(sc_d, np.float64)]))

    @computed_once
    def twins(self) -> "CrossTwins":
        """(Computed once: the warm-up and a first question may ask together, `index.warmup`.)"""
        return CrossTwins(np.asarray(self.main.sent_hash), np.asarray(self.delta.sent_hash))

    def _merge(self, main: Ranked, delta: Ranked, offset: int, k: int, by_date: bool, shared: int) -> Ranked:
        """Both segments' best hits (each from rank 0) as one page `offset..offset+k`; `shared`: the
        texts both segments' candidates hold (counted once in the total)."""
        first = self.at.sentences
        hits = [_Hit(sid, score, dups, self._day(self.main, sid), int(self.main.sent_hash[sid]))
                for sid, score, dups in zip(main.ids, main.scores, main.duplicates)]
        hits += [_Hit(sid + first, score, tuple(d + first for d in dups), self._day(self.delta, sid),
                      int(self.delta.sent_hash[sid])) for sid, score, dups in zip(delta.ids, delta.scores,
                                                                                   delta.duplicates)]
        dated = self.article_day is not None
        hits.sort(key=lambda h: (-h.day, -h.score, h.sid) if by_date and dated else (-h.score, -h.day, h.sid))
        groups: dict[int, list[_Hit]] = {}
        for hit in hits:                      # the same text in both segments: one hit
            groups.setdefault(hit.text, []).append(hit)
        chosen = list(groups.values())[offset:offset + k]
        return Ranked(tuple(g[0].sid for g in chosen), tuple(g[0].score for g in chosen),
                      tuple(g[0].dups + tuple(d for h in g[1:] for d in (h.sid, *h.dups)) for g in chosen),
                      main.total + delta.total - shared)

    @staticmethod
    def _day(ranker: Ranker, sid: int) -> int:
        days = ranker.article_day
        return 0 if days is None else int(days[ranker.sent_article[sid]])


@dataclass(frozen=True, slots=True)
class _Hit:
    sid: int
    score: float
    dups: tuple[int, ...]
    day: int
    text: int   # the sentence's text hash


@dataclass(frozen=True, slots=True)
class _Units:
    n_docs: int


class SegmentDuplicates:
    """`Duplicates.count_distinct` over both segments (each segment's own twins)."""

    def __init__(self, ranker: SegmentRanker) -> None:
        self.ranker = ranker

    def count_distinct(self, ids: np.ndarray) -> int:
        ranker = self.ranker
        (ids_m, _), (ids_d, _) = ranker._parts(np.asarray(ids, np.int64), np.zeros(len(ids)))
        return (ranker.main.duplicates.count_distinct(ids_m) + ranker.delta.duplicates.count_distinct(ids_d)
                - ranker.twins.shared(ids_m, ids_d))


class CrossTwins:
    """The sentences of one segment whose text the other segment holds too, for counting such a text
    once in a total (`Duplicates` counts each segment's own twins).

    Found once per delta: the delta's text hashes looked up among the main's, a bit table of their
    low bits first so that only a few of the main's hashes are compared exactly. Twins have the same
    terms, and the delta scores a sentence with the main's statistics (`FrozenField`), so when the
    delta's twin matches a question the main's does too, unless a filter or a tombstone drops it."""

    LOW_BITS = 22
    SLICE = 1 << 20     # main hashes per step (no corpus-sized temporaries)

    def __init__(self, main_hash: np.ndarray, delta_hash: np.ndarray) -> None:
        wanted = np.unique(delta_hash)
        self.main_ids = _holding(main_hash, wanted, self.LOW_BITS, self.SLICE)
        self.main_hash = main_hash[self.main_ids]
        self.delta_ids = np.flatnonzero(np.isin(delta_hash, self.main_hash))
        self.delta_hash = delta_hash[self.delta_ids]

    def __bool__(self) -> bool:
        return bool(len(self.delta_ids))

    def shared(self, ids_m: np.ndarray, ids_d: np.ndarray, accept: Callable[[int], bool] | None = None,
               first: int = 0) -> int:
        """How many texts both the main's candidates `ids_m` and the delta's `ids_d` (ascending,
        local ids) hold; `accept(global id)`, if given, must pass both twins."""
        if not self:
            return 0
        in_m = _among(self.main_ids, ids_m)
        in_d = _among(self.delta_ids, ids_d)
        if accept is not None:
            in_m &= np.array([bool(ok) and accept(int(i)) for i, ok in zip(self.main_ids, in_m)], bool)
            in_d &= np.array([bool(ok) and accept(int(i) + first) for i, ok in zip(self.delta_ids, in_d)], bool)
        return len(np.intersect1d(self.main_hash[in_m], self.delta_hash[in_d]))

    def shared_in_top(self, ranker: SegmentRanker, terms: Sequence[tuple[int, float]], excluded: Sequence[int],
                      main_masks: tuple, delta_masks: tuple) -> int:
        """`shared` for `SegmentRanker.top`, which has no candidate lists: which of the delta's twins
        are candidates, from its postings of the question's terms (or its numpy path), and the main's
        twins by the filters and tombstones alone (the class docstring)."""
        if not self:
            return 0
        (a_m, s_m), (a_d, s_d) = main_masks, delta_masks
        main_ok = _allowed(self.main_ids, ranker.main.sent_article, a_m, s_m)
        if not main_ok.any():
            return 0
        delta = ranker.delta
        if delta.tables.positive and all(c > 0 for _, c in terms):
            # every weight positive: a twin is a candidate when it holds a query term and no excluded one
            postings = delta.sentences.postings
            in_d = np.zeros(len(self.delta_ids), bool)
            for t, _ in terms:
                in_d |= _among(self.delta_ids, postings.docs_of(t))
            for t in excluded:
                in_d &= ~_among(self.delta_ids, postings.docs_of(t))
            in_d &= _allowed(self.delta_ids, delta.sent_article, a_d, s_d)
        else:                           # the delta's candidates from its numpy path (it is small)
            ids_d, sc_d = delta.score(terms, allow_articles=a_d, allow_sentences=s_d)
            ids_d, _ = delta.exclude(ids_d, sc_d, excluded)
            in_d = _among(self.delta_ids, np.asarray(ids_d, np.int64))
        return len(np.intersect1d(self.main_hash[main_ok], self.delta_hash[in_d]))


def _holding(hashes: np.ndarray, wanted: np.ndarray, low_bits: int, step: int) -> np.ndarray:
    """The positions of `hashes` whose value is one of `wanted` (unique), ascending."""
    if not len(wanted) or not len(hashes):
        return np.empty(0, np.int64)
    mask = (1 << low_bits) - 1
    table = np.zeros(mask + 1, bool)
    table[wanted & mask] = True
    found = []
    for lo in range(0, len(hashes), step):
        part = hashes[lo:lo + step]
        maybe = np.flatnonzero(table[part & mask])
        found.append(maybe[np.isin(part[maybe], wanted)] + lo)
    return np.concatenate(found).astype(np.int64)


def _among(ids: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which of `ids` are in `candidates` (both ascending)."""
    if not len(candidates) or not len(ids):
        return np.zeros(len(ids), bool)
    pos = np.minimum(np.searchsorted(candidates, ids), len(candidates) - 1)
    return candidates[pos] == ids


def _allowed(ids: np.ndarray, sent_article: np.ndarray, allow_a: np.ndarray | None,
             allow_s: np.ndarray | None) -> np.ndarray:
    """Which sentences `ids` pass the article mask (filters, tombstones) and the sentence mask."""
    ok = np.ones(len(ids), bool)
    if allow_a is not None:
        ok &= np.asarray(allow_a)[sent_article[ids]] != 0
    if allow_s is not None:
        ok &= np.asarray(allow_s)[ids] != 0
    return ok


def _split(mask: np.ndarray | None, cut: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    if mask is None:
        return None, None
    arr = np.asarray(mask)
    return np.ascontiguousarray(arr[:cut]), np.ascontiguousarray(arr[cut:])


class SegmentFacts(NewsFacts):
    """`NewsFacts` over both segments: the main's (read from its database once, then shared by every
    generation that links the same main) and the delta's, joined by the offsets. Reading the
    speakers and sources of the whole index again after each add costs seconds at ten million
    sentences (2.7M speaker rows); this costs the delta's rows."""

    def __init__(self, main: NewsFacts, delta: NewsFacts, at: Offsets, ranker: SegmentRanker) -> None:
        super().__init__(lambda: None, ranker)
        self.main, self.delta, self.at = main, delta, at

    def warm(self) -> None:
        self.main.warm()        # shared: read once per main, by the first generation that warms it
        self.delta.warm()

    def _source_mask(self, asked: str, key: str) -> np.ndarray:
        return np.concatenate([self.main.source_mask(asked), self.delta.source_mask(asked)])

    def _speaker_sentences(self, asked: str, key: str) -> np.ndarray:
        return np.concatenate([self.main.speaker_sentences(asked),
                               self.delta.speaker_sentences(asked) + self.at.sentences])


class SegmentTexts:
    """`TextStore`'s reads over both segments' databases (the delta's rows are numbered from 0)."""

    def __init__(self, main: TextStore, delta: TextStore, at: Offsets, meta: dict,
                 main_languages: list[str] | None = None) -> None:
        self.main, self.delta, self.at = main, delta, at
        self._main_languages = main_languages   # the loaded main's, when it has several (a scan at scale)
        self.path = main.path
        self._meta = meta
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        """A connection that sees both databases as one: temporary views over the main's and the
        delta's tables, the delta's ids shifted (for the scans of `index.news`, tests, benchmarks)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _joined_connection(self.main.db, self.delta.path, self.at)
        return conn

    def meta(self) -> dict[str, object]:
        return dict(self._meta)

    def words(self) -> dict[str, int]:
        words = self.main.words()
        for word, freq in self.delta.words().items():
            words[word] = words.get(word, 0) + freq
        return words

    def texts(self, ids: Iterable[int]) -> dict[int, str]:
        ids_m, ids_d = self._cut(ids)
        found = self.main.texts(ids_m) if ids_m else {}
        if ids_d:
            found.update({sid + self.at.sentences: t for sid, t in self.delta.texts(ids_d).items()})
        return found

    def page(self, ids: Iterable[int]) -> tuple[dict, dict]:
        """`TextStore.page` (rows with their neighbours' texts) over both segments: a hit's
        neighbours are in its paragraph, so in its segment."""
        ids_m, ids_d = self._cut(ids)
        rows, refs = self.main.page(ids_m) if ids_m else ({}, {})
        if ids_d:
            got, got_refs = self.delta.page(ids_d)
            rows.update(self._shifted_rows(got))
            refs.update({art + self.at.articles: ref for art, ref in got_refs.items()})
        return rows, refs

    def articles_of(self, ids: Iterable[int]) -> tuple[dict[int, int], dict]:
        """`TextStore.articles_of` (each sentence's article row, and those articles) over both segments."""
        ids_m, ids_d = self._cut(ids)
        articles, refs = self.main.articles_of(ids_m) if ids_m else ({}, {})
        if ids_d:
            s, a = self.at.sentences, self.at.articles
            got, got_refs = self.delta.articles_of(ids_d)
            articles.update({sid + s: art + a for sid, art in got.items()})
            refs.update({art + a: ref for art, ref in got_refs.items()})
        return articles, refs

    def _shifted_rows(self, rows: dict) -> dict:
        """Delta rows (id, article, paragraph, ...) with global ids (a row's paragraph is its number in
        its article: it stays)."""
        s, a = self.at.sentences, self.at.articles
        return {sid + s: (r[0] + s, r[1] + a, *r[2:]) for sid, r in rows.items()}

    def article_languages(self) -> list[str]:
        main = self._main_languages if self._main_languages is not None else self.main.article_languages()
        return main + self.delta.article_languages()

    def context(self, sentence_id: int, width: int) -> list[tuple[int, str]]:
        if sentence_id < self.at.sentences:
            return self.main.context(sentence_id, width)
        s = self.at.sentences
        return [(i + s, t) for i, t in self.delta.context(sentence_id - s, width)]

    def article_openings(self, articles: int = 5, chars: int = 2000) -> list[str]:
        found = self.main.article_openings(articles, chars)
        return found + self.delta.article_openings(articles - len(found), chars) if len(found) < articles else found

    def articles_with_hashes(self, keys: Sequence[int]) -> dict[int, str]:
        """`TextStore.articles_with_hashes` over both segments (the main one first)."""
        found = self.main.articles_with_hashes(keys)
        if rest := [key for key in keys if key not in found]:
            found.update(self.delta.articles_with_hashes(rest))
        return found

    def articles_with_hash(self, key: int) -> list[tuple[int, str, str]]:
        """(global id, ext_id, path) of every article whose body has this hash, in both segments."""
        return articles_with_hash(self.main, key) + [
            (aid + self.at.articles, ext, path) for aid, ext, path in articles_with_hash(self.delta, key)]

    def skipped(self) -> list[dict]:
        return self.main.skipped()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self.main.close()
        self.delta.close()

    def _cut(self, ids: Iterable[int]) -> tuple[list[int], list[int]]:
        s = self.at.sentences
        ids = list(ids)
        return [i for i in ids if i < s], [i - s for i in ids if i >= s]


def articles_with_hash(texts: TextStore | SegmentTexts, key: int) -> list[tuple[int, str, str]]:
    """(id, ext_id, path) of the articles of one store whose body has `index.corpus.text_hash` `key`."""
    if isinstance(texts, SegmentTexts):
        return texts.articles_with_hash(key)
    return [(int(i), e, p) for i, e, p in
            texts.db.execute("SELECT id, ext_id, path FROM articles WHERE hash = ?", (key,))]


_VIEWS = {
    "articles": "id + {a} AS id, ext_id, title, path, url, published, source, body_start, text, lang, hash",
    "sentences": 'id + {s} AS id, article + {a} AS article, paragraph, idx, start, "end", section',  # (in its article)
    "speakers": "sentence + {s} AS sentence, name",
}


def _joined_connection(main: sqlite3.Connection, delta_db: Path, at: Offsets) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{main_path(main)}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    conn.execute("ATTACH DATABASE ? AS delta", (f"file:{delta_db}?mode=ro&immutable=1",))
    for table, columns in _VIEWS.items():
        shifted = columns.format(a=at.articles, s=at.sentences)
        conn.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} "
                     f"UNION ALL SELECT {shifted} FROM delta.{table}")
    conn.execute("CREATE TEMP VIEW terms AS SELECT * FROM main.terms UNION ALL SELECT * FROM delta.terms")
    conn.execute("CREATE TEMP VIEW words AS SELECT word, sum(freq) AS freq FROM (SELECT word, freq FROM main.words "
                 "UNION ALL SELECT word, freq FROM delta.words) GROUP BY word")
    return text_packing.register(conn)   # (the delta's texts share the main's dictionary: index.delta)


def main_path(conn: sqlite3.Connection) -> str:
    """The file of a connection's main database."""
    return next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main")
