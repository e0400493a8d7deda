"""Ranking: from weighted query terms to an ordered list of sentence ids.

The served score of a sentence ``s`` is a stated model that a test recomputes
the slow way with rank-bm25 (`tests/test_bm25_parity.py`)::

    score(s) = S(s) + neighbour * (S(prev) + S(next))   # same paragraph only
                    + paragraph * P(paragraph of s)
                    + title * T(article of s)

where S, P and T are BM25 scores (rank-bm25's ``get_scores`` with query
term ``t`` counted ``w_t`` times) over the sentences, the paragraphs and the
article titles. Only sentences that match the query themselves (S > 0) are
candidates: the quote must contain what was asked, while its neighbours,
paragraph and title say whether it is *about* what was asked. News needs this:
"He further said that ..." names its speaker only in the sentence before.

Then: sentences holding an excluded term are dropped; for quoted phrases the
sentence must contain the phrase words adjacent and in order; identical
sentence texts collapse to one hit; ties break by sentence id, which follows
corpus order, then position in the article.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .bm25 import BM25Params
from .postings import Field

FULL_SORT_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class RankingParams:
    bm25: BM25Params = field(default_factory=BM25Params)
    neighbour: float = 0.0
    paragraph: float = 0.0
    title: float = 0.0
    name_boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Ranked:
    """Ranked sentence ids for one page, with the sentences that share each one's text."""

    ids: tuple[int, ...]
    scores: tuple[float, ...]
    duplicates: tuple[tuple[int, ...], ...]
    total: int


class Ranker:
    """Scores candidates over the three fields; holds no per-query state."""

    def __init__(self, sentences: Field, paragraphs: Field, titles: Field,
                 sent_para: np.ndarray, sent_article: np.ndarray, sent_hash: np.ndarray,
                 params: RankingParams) -> None:
        self.sentences = sentences
        self.paragraphs = paragraphs
        self.titles = titles
        self.sent_para = sent_para
        self.sent_article = sent_article
        self.sent_hash = sent_hash
        self.params = params

    def score(self, terms: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Candidate sentence ids (ascending) and their served scores."""
        ids, own = self.sentences.score(terms)
        keep = own > 0
        ids, own = ids[keep], own[keep]
        if not len(ids):
            return ids, own
        p = self.params
        total = own.copy()
        if p.neighbour:
            total += p.neighbour * self._neighbours(ids, own)
        if p.paragraph:
            pd, ps = self.paragraphs.score(terms)
            total += p.paragraph * self.paragraphs.lookup(self.sent_para[ids], pd, ps)
        if p.title:
            td, ts = self.titles.score(terms)
            total += p.title * self.titles.lookup(self.sent_article[ids], td, ts)
        return ids, total

    def _neighbours(self, ids: np.ndarray, own: np.ndarray) -> np.ndarray:
        n = len(self.sent_para)
        out = np.zeros(len(ids))
        para = self.sent_para[ids]
        for step in (-1, 1):
            nb = ids.astype(np.int64) + step
            valid = (nb >= 0) & (nb < n)
            nbc = np.clip(nb, 0, n - 1)
            valid &= self.sent_para[nbc] == para
            # neighbour scores: only matching neighbours have S > 0, and they are all in `ids`
            pos = np.clip(np.searchsorted(ids, nbc), 0, len(ids) - 1)
            found = valid & (ids[pos] == nbc)
            out += np.where(found, own[pos], 0.0)
        return out

    def exclude(self, ids: np.ndarray, scores: np.ndarray,
                excluded: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        for term in excluded:
            bad = self.sentences.postings.docs_of(term)
            if len(bad):
                keep = ~np.isin(ids, bad, assume_unique=True)
                ids, scores = ids[keep], scores[keep]
        return ids, scores

    def require(self, ids: np.ndarray, scores: np.ndarray,
                required: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        for term in required:
            keep = np.isin(ids, self.sentences.postings.docs_of(term), assume_unique=True)
            ids, scores = ids[keep], scores[keep]
        return ids, scores

    def page(self, ids: np.ndarray, scores: np.ndarray, offset: int, k: int,
             accept: Callable[[int], bool] | None = None) -> Ranked:
        """The hits `offset..offset+k` in rank order, identical texts collapsed.

        `accept` (a phrase check) filters sentences lazily, in rank order.
        """
        if accept is not None:
            order = _order(ids, scores, len(ids))
            keep = np.array([accept(int(ids[i])) for i in order], dtype=bool)
            chosen = order[keep]
            ids, scores = ids[chosen], scores[chosen]
        hashes = self.sent_hash[ids]
        total = int(len(np.unique(hashes)))
        need = offset + k
        m = min(len(ids), max(need * 4, 64))
        while True:
            order = _order(ids, scores, m)
            groups = _collapse(order, hashes[order])
            if len(groups) >= need or m >= len(ids):
                break
            m = min(len(ids), m * 4)
        chosen = groups[offset:need]
        return Ranked(
            ids=tuple(int(ids[g[0]]) for g in chosen),
            scores=tuple(float(scores[g[0]]) for g in chosen),
            duplicates=tuple(tuple(int(ids[j]) for j in g[1:]) for g in chosen),
            total=total,
        )


def _order(ids: np.ndarray, scores: np.ndarray, m: int) -> np.ndarray:
    """Positions of the top-m candidates by (score desc, id asc), ties at the cut all kept."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > FULL_SORT_LIMIT and m < n:
        threshold = np.partition(scores, n - m)[n - m]
        sel = np.flatnonzero(scores >= threshold)
    else:
        sel = np.arange(n)
    return sel[np.lexsort((ids[sel], -scores[sel]))]


def _collapse(order: np.ndarray, hashes: np.ndarray) -> list[list[int]]:
    """Group ranked positions by identical text, in rank order of first appearance."""
    groups: dict[int, list[int]] = {}
    for pos, h in zip(order.tolist(), hashes.tolist()):
        groups.setdefault(h, []).append(pos)
    return list(groups.values())
