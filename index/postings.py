"""Inverted lists in compact numpy arrays, and BM25 scoring over them.

A `Postings` is CSR: for term ``t`` the documents containing it are
``docs[ptr[t]:ptr[t+1]]`` (ascending) with their term frequencies in ``tfs``.
Only term frequencies and document lengths are stored on disk, and no BM25
weight is held in memory either: the compiled kernels weigh each posting as
they read it (`index.weighing`, bit-identical to `bm25.weights`), so the
model's parameters can change without a rebuild, an added article only
appends postings, and a posting costs one byte of memory (its (tf, length)
code, `weighing.Model.codes`) where a held weight cost four: 0.8 GB less
resident at 10M sentences (`bench/results/memory.md`).

Answering a query touches only the postings of its terms: the cost grows
with how many sentences contain the query words, not with corpus size. At a
million sentences a common word has a few hundred thousand postings, so
`Field.score` merges the terms' (already sorted) lists with one stable sort
instead of a dense pass over all documents, and `Field.lookup` uses a
per-thread scratch array instead of a binary search per candidate
(`bench/scale.py` measures both; `tests/test_scale_query.py` checks them
bit for bit against the straightforward versions).
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import weighing
from .bm25 import BM25Params, constant, idf, weights

WEIGHT_CHUNK = 1 << 16  # postings per chunk when deriving weights (fits in cache)
BLOCK = 128  # postings per skip block (`Blocks`; `index.maxscore` seeks block by block)


@dataclass(frozen=True, slots=True)
class Postings:
    ptr: np.ndarray    # int64, n_terms + 1
    docs: np.ndarray   # int32
    tfs: np.ndarray    # uint16

    @property
    def n_terms(self) -> int:
        return len(self.ptr) - 1

    def df(self) -> np.ndarray:
        return np.diff(self.ptr)

    def docs_of(self, term: int) -> np.ndarray:
        if term < 0 or term >= self.n_terms:
            return self.docs[:0]
        return self.docs[self.ptr[term]:self.ptr[term + 1]]

    @classmethod
    def from_triples(cls, terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                     n_terms: int) -> "Postings":
        """Postings from unordered (term, doc, tf) triples with unique (term, doc) pairs."""
        if not _in_order(terms, docs):  # (already ordered, e.g. from `aggregate`: no sort)
            order = np.lexsort((docs, terms))
            terms, docs, tfs = terms[order], docs[order], tfs[order]
        counts = np.bincount(terms, minlength=n_terms) if len(terms) else np.zeros(n_terms, np.int64)
        ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(ptr, docs.astype(np.int32), np.minimum(tfs, 65535).astype(np.uint16))

    def term_of_posting(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_terms, dtype=np.int32), self.df())

    def widened(self, n_terms: int) -> "Postings":
        """These postings for `n_terms` terms: the terms past the last one have none."""
        extra = n_terms - self.n_terms
        if extra <= 0:
            return self
        ptr = np.asarray(self.ptr, np.int64)
        return Postings(np.concatenate([ptr, np.full(extra, ptr[-1] if len(ptr) else 0, np.int64)]), self.docs,
                        self.tfs)

    def extended(self, terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                 n_terms: int) -> "Postings":
        """These postings plus new ones whose docs are all higher than any existing doc."""
        all_terms = np.concatenate([self.term_of_posting(), terms.astype(np.int32)])
        all_docs = np.concatenate([self.docs, docs.astype(np.int32)])
        # (widened first: stored tfs may be uint8, and numpy 2 refuses np.minimum(uint8, 65535))
        all_tfs = np.concatenate([self.tfs, np.minimum(np.asarray(tfs, np.int64), 65535).astype(np.uint16)])
        order = np.argsort(all_terms, kind="stable")
        counts = np.bincount(all_terms, minlength=n_terms)
        ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return Postings(ptr, all_docs[order], all_tfs[order])


def aggregate(terms: np.ndarray, groups: np.ndarray, tfs: np.ndarray,
              n_terms: int) -> Postings:
    """Postings of larger units (paragraphs, articles) by summing the tf of their parts.

    Parts listed in (term, group) order, as sentence postings are when groups
    number consecutive sentences (paragraphs), are summed run by run in one
    pass; other input is sorted first.
    """
    if len(terms) == 0:
        return Postings.from_triples(terms, groups, tfs, n_terms)
    width = int(groups.max()) + 1
    key = terms.astype(np.int64) * width + groups.astype(np.int64)
    tfs = tfs.astype(np.int64)
    if not bool(np.all(key[1:] >= key[:-1])):
        order = np.argsort(key, kind="stable")
        key, tfs = key[order], tfs[order]
    first = np.empty(len(key), dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    summed = np.add.reduceat(tfs, starts)  # integers: exact in any order
    uniq = key[starts]
    return Postings.from_triples((uniq // width).astype(np.int32), (uniq % width).astype(np.int32),
                                 summed, n_terms)


def _in_order(terms: np.ndarray, docs: np.ndarray) -> bool:
    """Whether (term, doc) pairs are strictly ascending: by term, then by doc."""
    if len(terms) < 2:
        return True
    step = np.diff(terms.astype(np.int64))
    if not bool(np.all(step >= 0)):
        return False
    return bool(np.all(np.diff(docs.astype(np.int64))[step == 0] > 0))


@dataclass(frozen=True, slots=True)
class Blocks:
    """Each term's postings in blocks of `BLOCK`: a skip list with each block's largest weight.

    Term t's blocks are ``ptr[t]:ptr[t + 1]``; block b (the i-th of t) holds
    postings ``Postings.ptr[t] + i * BLOCK`` up to the next BLOCK (or t's
    end), ``last[b]`` is its highest doc and ``top[b]`` its largest weight.
    A lookup of doc x seeks the first block whose `last` is >= x (galloping
    from where the previous lookup stopped) and searches only those 128
    docs; `top` bounds what the block can add. Derived at load from the
    postings in one compiled pass that weighs them without keeping the
    weights (`weighing.maxima`; ~1% of the postings' size), so nothing new
    is stored.
    """

    ptr: np.ndarray   # int64, n_terms + 1
    last: np.ndarray  # int32 per block
    top: np.ndarray   # float32 per block

    @classmethod
    def of(cls, postings: Postings, model: tuple, size: int = BLOCK) -> tuple["Blocks", np.ndarray, float]:
        """The blocks of `postings` weighed by `model` (`weighing.Model`), with each term's largest
        weight (float32 as float64, 0 where absent) and the smallest of all (+inf: no postings)."""
        df = postings.df()
        per_term = (df + size - 1) // size
        ptr = np.zeros(len(df) + 1, np.int64)
        np.cumsum(per_term, out=ptr[1:])
        top = np.zeros(int(ptr[-1]), np.float32)
        term_top = np.zeros(len(df), np.float32)
        low = float(weighing.maxima(postings.ptr, postings.docs, model, size, ptr, top, term_top))
        if not ptr[-1]:
            return cls(ptr, np.zeros(0, np.int32), top), term_top.astype(np.float64), low
        term = np.repeat(np.arange(len(df), dtype=np.int64), per_term)
        starts = postings.ptr[term] + (np.arange(ptr[-1], dtype=np.int64) - ptr[term]) * size
        ends = np.minimum(starts + size, postings.ptr[term + 1])
        last = np.ascontiguousarray(postings.docs[ends - 1], np.int32)
        return cls(ptr, last, top), term_top.astype(np.float64), low


class Field:
    """A BM25-scored unit (sentence, paragraph or title): postings with their weights."""

    def __init__(self, postings: Postings, doc_len: np.ndarray, params: BM25Params) -> None:
        self.postings = postings
        self.doc_len = doc_len
        self.params = params
        self.n_docs = len(doc_len)
        self.avgdl = float(doc_len.sum()) / self.n_docs if self.n_docs else 1.0
        if self.avgdl <= 0:
            self.avgdl = 1.0
        self.idf = idf(postings.df(), self.n_docs, params)
        self.const = constant(self.idf, params)
        self._local = threading.local()  # per-thread scratch buffer of `lookup`

    @cached_property
    def weights(self) -> np.ndarray:
        """float32 BM25 weight of every posting: the reference the compiled weights equal (tests).

        Nothing that serves questions holds it (4 bytes a posting): the
        kernels weigh each posting as they read it (`model`), the numpy path
        weighs the spans it reads (`weights_at`). Computed in cache-sized chunks with the
        very same `bm25.weights` expression (bit-identical to one big pass,
        ~10x faster at a million sentences, and without float64 temporaries
        the size of the whole postings).
        """
        ptr, docs, tfs = self.postings.ptr, self.postings.docs, self.postings.tfs
        out = np.empty(len(docs), dtype=np.float32)
        for lo in range(0, len(docs), WEIGHT_CHUNK):
            hi = min(lo + WEIGHT_CHUNK, len(docs))
            first = int(np.searchsorted(ptr, lo, side="right")) - 1
            last = int(np.searchsorted(ptr, hi - 1, side="right")) - 1
            counts = np.diff(np.clip(ptr[first:last + 2], lo, hi))
            chunk_idf = np.repeat(self.idf[first:last + 1], counts)
            out[lo:hi] = weights(tfs[lo:hi], self.doc_len[docs[lo:hi]], self.avgdl, chunk_idf, self.params)
        return out

    @cached_property
    def model(self) -> tuple:
        """What the compiled kernels weigh this field's postings with (`weighing.Model`, plain).

        Lazy, so a subclass (`segments.FrozenField`) sets its statistics first."""
        return weighing.model(self.postings.tfs, self.postings.docs, self.doc_len, self.avgdl, self.idf,
                              self.params)

    @cached_property
    def _maxima(self) -> tuple[Blocks, np.ndarray, float]:
        return Blocks.of(self.postings, self.model)

    @property
    def blocks(self) -> Blocks:
        """The postings' skip blocks with their largest weights (`Blocks`), derived on first use."""
        return self._maxima[0]

    @property
    def term_top(self) -> np.ndarray:
        """Each term's largest weight (float64 of the float32 weight; 0 where it has no posting)."""
        return self._maxima[1]

    @property
    def lowest(self) -> float:
        """The smallest weight of any posting (+inf without postings)."""
        return self._maxima[2]

    def weights_at(self, term: int, at: np.ndarray | slice) -> np.ndarray:
        """float32 weights of some of term's postings (positions in `postings`), as `weights` holds them."""
        docs = self.postings.docs[at]
        return weights(self.postings.tfs[at], self.doc_len[docs], self.avgdl, self.idf[term],
                       self.params).astype(np.float32)

    def score(self, term_counts: Iterable[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Matching docs (ascending) and their scores for weighted query terms.

        Each query term contributes ``count * weight`` to every doc containing it,
        plus the variant's constant part, which BM25Plus gives every document.
        """
        ptr, docs = self.postings.ptr, self.postings.docs
        n_terms = self.postings.n_terms
        term_counts = list(term_counts)
        spans: list[tuple[int, int, float, np.ndarray]] = []
        for term, count in term_counts:
            if term < 0 or term >= n_terms:
                continue
            lo, hi = int(ptr[term]), int(ptr[term + 1])
            if hi > lo:
                spans.append((lo, hi, count, self.weights_at(term, slice(lo, hi))))
        offset = self.offset(term_counts)
        if not spans:
            return np.zeros(0, np.int32), np.zeros(0, np.float64)
        if len(spans) == 1:
            lo, hi, count, w = spans[0]
            # float64(weight) * count in one pass; adding a zero offset changes nothing
            single = np.multiply(w, count, dtype=np.float64)
            return docs[lo:hi], (single + offset if offset else single)
        total = sum(hi - lo for lo, hi, _, _ in spans)
        all_d = np.empty(total, dtype=docs.dtype)
        all_w = np.empty(total, dtype=np.float64)
        at = 0
        for lo, hi, count, w in spans:
            end = at + hi - lo
            all_d[at:end] = docs[lo:hi]
            if count == 1.0:
                all_w[at:end] = w  # exact: float64(w) * 1.0 == float64(w)
            else:
                np.multiply(w, count, out=all_w[at:end], dtype=np.float64)
            at = end
        # Each term's docs are ascending, so a stable sort merges the runs (timsort:
        # O(n log terms)) and keeps, per doc, the terms in query order: the sums
        # below add up in the same order as a bincount over all_d would.
        order = np.argsort(all_d, kind="stable")
        merged = all_d[order]
        first = np.empty(total, dtype=bool)
        first[0] = True
        np.not_equal(merged[1:], merged[:-1], out=first[1:])
        group = np.cumsum(first.view(np.uint8), dtype=np.int32)
        group -= 1
        sums = np.bincount(group, weights=all_w[order])
        return merged[first], (sums + offset if offset else sums)

    def offset(self, term_counts: Iterable[tuple[int, float]]) -> float:
        """The variant's constant share of every matching doc (non-zero for BM25Plus only)."""
        n_terms = self.postings.n_terms
        offset = 0.0
        for term, count in term_counts:
            if 0 <= term < n_terms:
                offset += float(self.const[term]) * count
        return offset

    def lookup(self, docs: np.ndarray, scored_docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Scores of `docs` given a sparse (ascending docs, scores) result; 0 where absent."""
        if len(scored_docs) == 0:
            return np.zeros(len(docs))
        # scatter into a zeroed per-thread buffer of all docs, gather, zero again:
        # O(len(docs) + len(scored_docs)), where a search would be O(len(docs) log ...)
        dense = getattr(self._local, "dense", None)
        if dense is None:
            dense = self._local.dense = np.zeros(self.n_docs)
        where = scored_docs.astype(np.intp)  # converted once for both scatters
        dense[where] = scores
        try:
            return dense[docs]
        finally:
            dense[where] = 0.0
