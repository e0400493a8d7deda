"""Inverted lists in compact numpy arrays, and BM25 scoring over them.

A `Postings` is CSR: for term ``t`` the documents containing it are
``docs[ptr[t]:ptr[t+1]]`` (ascending) with their term frequencies in ``tfs``.
Only term frequencies and document lengths are stored on disk; the BM25
weights are derived at load time in one vectorised pass (`Field`), so the
model's parameters can change without a rebuild and an added article only
appends postings.

Answering a query touches only the postings of its terms: the cost grows
with how many sentences contain the query words, not with corpus size.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .bm25 import BM25Params, constant, idf, weights


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
        order = np.lexsort((docs, terms))
        terms, docs, tfs = terms[order], docs[order], tfs[order]
        counts = np.bincount(terms, minlength=n_terms) if len(terms) else np.zeros(n_terms, np.int64)
        ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(ptr, docs.astype(np.int32), np.minimum(tfs, 65535).astype(np.uint16))

    def term_of_posting(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_terms, dtype=np.int32), self.df())

    def extended(self, terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                 n_terms: int) -> "Postings":
        """These postings plus new ones whose docs are all higher than any existing doc."""
        all_terms = np.concatenate([self.term_of_posting(), terms.astype(np.int32)])
        all_docs = np.concatenate([self.docs, docs.astype(np.int32)])
        all_tfs = np.concatenate([self.tfs, np.minimum(tfs, 65535).astype(np.uint16)])
        order = np.argsort(all_terms, kind="stable")
        counts = np.bincount(all_terms, minlength=n_terms)
        ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return Postings(ptr, all_docs[order], all_tfs[order])


def aggregate(terms: np.ndarray, groups: np.ndarray, tfs: np.ndarray,
              n_terms: int) -> Postings:
    """Postings of larger units (paragraphs, articles) by summing the tf of their parts."""
    if len(terms) == 0:
        return Postings.from_triples(terms, groups, tfs, n_terms)
    key = terms.astype(np.int64) * (int(groups.max()) + 1) + groups.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=tfs.astype(np.float64)).astype(np.int64)
    width = int(groups.max()) + 1
    return Postings.from_triples((uniq // width).astype(np.int32), (uniq % width).astype(np.int32),
                                 summed, n_terms)


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
        per_posting_idf = np.repeat(self.idf, postings.df())
        self.weights = weights(postings.tfs, doc_len[postings.docs], self.avgdl,
                               per_posting_idf, params).astype(np.float32)

    def score(self, term_counts: Iterable[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Matching docs (ascending) and their scores for weighted query terms.

        Each query term contributes ``count * weight`` to every doc containing it,
        plus the variant's constant part, which BM25Plus gives every document.
        """
        ptr, docs, w = self.postings.ptr, self.postings.docs, self.weights
        parts_d: list[np.ndarray] = []
        parts_w: list[np.ndarray] = []
        offset = 0.0
        for term, count in term_counts:
            if term < 0 or term >= self.postings.n_terms:
                continue
            lo, hi = ptr[term], ptr[term + 1]
            if hi > lo:
                parts_d.append(docs[lo:hi])
                parts_w.append(w[lo:hi].astype(np.float64) * count)
            offset += float(self.const[term]) * count
        if not parts_d:
            return np.zeros(0, np.int32), np.zeros(0, np.float64)
        if len(parts_d) == 1:
            return parts_d[0], parts_w[0] + offset
        all_d = np.concatenate(parts_d)
        all_w = np.concatenate(parts_w)
        if len(all_d) * 16 < self.n_docs:
            uniq, inverse = np.unique(all_d, return_inverse=True)
            return uniq.astype(np.int32), np.bincount(inverse, weights=all_w) + offset
        dense = np.bincount(all_d, weights=all_w, minlength=self.n_docs)
        hit = np.zeros(self.n_docs, dtype=bool)
        hit[all_d] = True
        uniq = np.flatnonzero(hit).astype(np.int32)
        return uniq, dense[uniq] + offset

    def lookup(self, docs: np.ndarray, scored_docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Scores of `docs` given a sparse (ascending docs, scores) result; 0 where absent."""
        if len(scored_docs) == 0:
            return np.zeros(len(docs))
        pos = np.searchsorted(scored_docs, docs)
        pos = np.minimum(pos, len(scored_docs) - 1)
        found = scored_docs[pos] == docs
        return np.where(found, scores[pos], 0.0)
