"""Ranking: from weighted query terms to an ordered list of sentence ids.

The served score of a sentence ``s`` is a stated model that a test recomputes
the slow way with rank-bm25 (`tests/test_bm25_parity.py`)::

    score(s) = S(s) + neighbour * (S(prev) + S(next))   # same paragraph only
                    + paragraph * P(paragraph of s)
                    + title * T(article of s)

where S, P and T are BM25 scores (rank-bm25's ``get_scores`` with query
term ``t`` counted ``w_t`` times) over the sentences, the paragraphs and the
article titles; a unit that holds none of the query terms scores 0 (which
only differs from rank-bm25 for BM25Plus, whose constant share every
document gets). `tests/test_ranking.py` recomputes all of it from the
texts of a small corpus, typo stand-ins included. Only sentences that match
the query themselves (S > 0) are candidates: the quote must contain what was
asked, while its neighbours, paragraph and title say whether it is *about*
what was asked. News needs this: "He further said that ..." names its
speaker only in the sentence before.

The query-term weights ``w_t`` (`SearchIndex._weighted_terms`): the number
of times ``t`` occurs in the question, a name (a capitalised word inside the
question) counting ``name_boost``; plus, for a question word that is not in
the vocabulary, ``typo`` for each term of its nearest indexed words (at most
``typo_expansions`` of them, `index.spelling`), so a fractional ``w_t`` is
rank-bm25's score of ``t`` times ``w_t``.

The defaults were chosen on the ``tune`` half of the SQuAD benchmark
(`bench/quality.py`, results in ``bench/results/quality.md``): a near-binary
term frequency (k1 0.3) with strong length normalisation (b 0.9), the
paragraph weighing 1.25 and the title 0.6, a small share of the neighbours,
and a stand-in for an unknown word weighing as much as the word itself.
Names weighing more (``name_boost`` 1.5) lost there, so it stays 1; a
phrase-proximity bonus gained 0.003 R@1 on tune for a quarter of the
question rate (it needs the texts of the candidates), so it is not in.

Then: sentences holding an excluded term are dropped; for quoted phrases the
sentence must contain the phrase words adjacent and in order; identical
sentence texts collapse to one hit; ties break by sentence id, which follows
corpus order, then position in the article.

Two paths compute it: `Ranker.top` (compiled, `index.kernel`: scores only the
sentences that can still reach the page) serves every question without a
quoted phrase; `score` + `exclude` + `require` + `page` (numpy, every
candidate) serves phrases, whose candidates are filtered by their text, and
is the reference `tests/test_kernel.py` holds the kernel to, bit for bit.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import kernel
from .bm25 import BM25Params
from .postings import Field

TOP_SLACK = 2  # candidates kept beyond the page, for identical texts that collapse (more: a retry)
PARALLEL_MIN_POSTINGS = 16384  # `Ranker.top`: fewer paragraph postings are added up on the calling thread
FULL_SORT_LIMIT = 512  # candidates up to this many are sorted whole; above, only the top m


@dataclass(frozen=True, slots=True)
class RankingParams:
    """The weights of the ranking model (module docstring); defaults chosen on SQuAD ``tune``."""

    bm25: BM25Params = field(default_factory=BM25Params)
    neighbour: float = 0.05
    paragraph: float = 1.25
    title: float = 0.6
    name_boost: float = 1.0
    typo: float = 1.0          # weight of a stand-in for an unknown question word (0: off)
    typo_expansions: int = 2   # stand-ins per unknown word (index.spelling)


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
        self._local = threading.local()  # per-thread `_Scratch` of `top`

    def top(self, terms: Sequence[tuple[int, float]], excluded: Sequence[int],
            offset: int, k: int) -> tuple[Ranked, int]:
        """`page(*exclude(*score(terms), excluded), offset, k)`, compiled (`index.kernel`).

        The same hits, scores, duplicates and total, bit for bit, scoring only
        the sentences that can still reach the page; also returns how many
        sentences matched before the exclusions.
        """
        sc = self._scratch()
        gen = sc.next_gen()
        p = self.params
        term_ids = np.fromiter((t for t, _ in terms), np.int64, len(terms))
        counts = np.fromiter((c for _, c in terms), np.float64, len(terms))
        use_p, use_t = bool(p.paragraph), bool(p.title)
        # positive weights, constant parts and counts: every touched sentence matches (S > 0)
        all_positive = self._positive and bool(len(counts)) and float(counts.min()) > 0.0
        # The paragraph postings are added up on the other core while this thread does the
        # sentences' (both memory-bound, the kernel releases the GIL), when there are enough
        pp = self.paragraphs.postings
        aside = None
        if use_p and _postings_of(pp.ptr, term_ids) >= PARALLEL_MIN_POSTINGS:
            aside = _helper().submit(kernel.accumulate, pp.ptr, pp.docs, self.paragraphs.weights, term_ids,
                                     counts, *sc.p, False, gen)
        n_touched = 0
        try:
            for fld, used, (acc, stamp, touched) in ((self.sentences, True, sc.s),
                                                     (self.paragraphs, use_p and aside is None, sc.p),
                                                     (self.titles, use_t, sc.t)):
                if used:  # (a field that weighs nothing keeps stale stamps: its scores read as 0)
                    n = kernel.accumulate(fld.postings.ptr, fld.postings.docs, fld.weights, term_ids, counts,
                                          acc, stamp, touched, fld is self.sentences and not all_positive, gen)
                    if fld is self.sentences:
                        n_touched = n
        finally:
            if aside is not None:
                aside.result()
        nt = len(term_ids)
        order, bound_after, own_after, ratio_after = (np.empty(nt + 1, np.int64), np.empty(nt + 1),
                                                      np.empty(nt + 1), np.empty(nt + 1))
        offs = np.zeros(3)
        mx_s, mx_p, mx_t = self._term_max
        n_order, title_bound = kernel.plan(
            term_ids, counts, self.sentences.const, self.paragraphs.const, self.titles.const, use_p, use_t,
            self.df, mx_s, mx_p, mx_t, self.sentences.idf, self.paragraphs.idf, p.neighbour, p.paragraph,
            p.title, p.bm25.variant in ("okapi", "lucene"), order, bound_after, own_after, ratio_after, offs)
        order, bound_after, own_after, ratio_after = (order[:n_order], bound_after[:n_order + 1],
                                                      own_after[:n_order + 1], ratio_after[:n_order + 1])
        off_s, off_p, off_t = float(offs[0]), float(offs[1]), float(offs[2])
        acc_s, stamp_s, touched_s = sc.s
        s_post = self.sentences.postings
        matched, remaining, distinct = kernel.tally(
            s_post.ptr, s_post.docs, np.fromiter(excluded, np.int64, len(excluded)), sc.excluded, acc_s, stamp_s,
            off_s, gen, touched_s, n_touched, all_positive, self.duplicates.sorted_members,
            self.sent_hash, sc.twins)
        state = (acc_s, stamp_s, off_s, sc.p[0], sc.p[1], off_p, sc.t[0], sc.t[1], off_t,
                 self.sent_para, self.sent_article, p.neighbour, p.paragraph, p.title)
        tp = self.titles.postings
        need = offset + k
        m = need + TOP_SLACK
        while True:
            out_ids = np.empty(m, np.int64)
            out_scores = np.empty(m, np.float64)
            kept = kernel.select(order, pp.ptr, pp.docs, tp.ptr, tp.docs,
                                 self._para_start, self._article_start, self._para_article, bound_after,
                                 own_after, title_bound,
                                 ratio_after, self._para_factor, *state,
                                 sc.excluded, gen, sc.visited, sc.done, sc.next_visit(), m,
                                 out_ids, out_scores, sc.buf_ids, sc.buf_scores) if remaining else 0
            ids, scores = out_ids[:kept], out_scores[:kept]
            groups = _collapse(np.arange(kept), self.sent_hash[ids])
            if len(groups) >= need or m >= remaining:
                break
            m = min(remaining, m * 4)
        chosen = groups[offset:need]
        dups = []
        for g in chosen:
            sid = int(ids[g[0]])
            group = self.duplicates.group(sid)
            if not len(group):
                dups.append(())
                continue
            g_scores = np.empty(len(group), np.float64)
            ok = np.empty(len(group), np.bool_)
            kernel.served(group, len(group), *state, gen, g_scores)
            kernel.candidates(group, acc_s, stamp_s, off_s, sc.excluded, gen, ok)
            ok &= group != sid
            group, g_scores = group[ok], g_scores[ok]
            dups.append(tuple(int(i) for i in group[np.lexsort((group, -g_scores))]))
        ranked = Ranked(
            ids=tuple(int(ids[g[0]]) for g in chosen),
            scores=tuple(float(scores[g[0]]) for g in chosen),
            duplicates=tuple(dups),
            total=int(distinct),
        )
        return ranked, int(matched)

    @cached_property
    def _term_max(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each term's largest weight in the sentence, paragraph and title fields (0 where absent)."""
        out = []
        for fld, used in ((self.sentences, True), (self.paragraphs, self.params.paragraph),
                          (self.titles, self.params.title)):
            ptr = fld.postings.ptr
            mx = np.zeros(len(ptr) - 1)
            if used and len(fld.postings.docs):
                nonempty = np.flatnonzero(np.diff(ptr) > 0)
                mx[nonempty] = np.maximum.reduceat(fld.weights, ptr[nonempty])
            out.append(mx)
        return out[0], out[1], out[2]

    @cached_property
    def df(self) -> np.ndarray:
        """Each term's number of sentences."""
        return self.sentences.postings.df()

    @cached_property
    def _para_factor(self) -> np.ndarray:
        """``1 + k1 * norm`` of each paragraph (norm: BM25's length normalisation), for the cut."""
        fld, bm = self.paragraphs, self.params.bm25
        # float32 (half the memory traffic of the paragraph loop); the cut's margin covers its rounding
        return (1.0 + bm.k1 * (1.0 - bm.b + bm.b * np.asarray(fld.doc_len, np.float64) / fld.avgdl)
                ).astype(np.float32)

    @cached_property
    def _positive(self) -> bool:
        """Whether every sentence weight is positive and no constant part negative."""
        w, const = self.sentences.weights, self.sentences.const
        return (not len(w) or float(w.min()) > 0.0) and (not len(const) or float(const.min()) >= 0.0)

    @cached_property
    def _para_start(self) -> np.ndarray:
        """Sentences of paragraph p: ``_para_start[p]:_para_start[p + 1]`` (sentences are in paragraph order)."""
        return _starts(self.sent_para, self.paragraphs.n_docs)

    @cached_property
    def _para_article(self) -> np.ndarray:
        """The article of each paragraph (0 for a paragraph without sentences, which no posting names)."""
        starts = self._para_start[:-1]
        return np.asarray(self.sent_article)[np.minimum(starts, max(len(self.sent_article) - 1, 0))] \
            if len(self.sent_article) else np.zeros(len(starts), np.int32)

    @cached_property
    def _article_start(self) -> np.ndarray:
        return _starts(self.sent_article, self.titles.n_docs)

    def _scratch(self) -> "_Scratch":
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _Scratch(
                self.sentences.n_docs, self.paragraphs.n_docs, self.titles.n_docs,
                len(self.duplicates.members))
        return scratch

    def warm(self) -> None:
        """Derive the kernel's tables and compile (or load from numba's cache) its code now."""
        self._term_max, self._positive, self._para_start, self._article_start, self.df  # noqa: B018
        self._para_factor, self._para_article  # noqa: B018
        self.top([], [], 0, 1)
        self.top([(0, 1.0)], [0], 0, 1)

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
        # neighbour scores: only matching neighbours have S > 0, and they are all in `ids`;
        # ids ascending, so sentence s-1 / s+1 is a candidate exactly when it sits right
        # before / after s in `ids` (O(n) shifts, no search)
        para = self.sent_para[ids]
        adjacent = (np.diff(ids) == 1) & (para[1:] == para[:-1])
        prev = np.zeros(len(ids))
        prev[1:] = np.where(adjacent, own[:-1], 0.0)
        nxt = np.zeros(len(ids))
        nxt[:-1] = np.where(adjacent, own[1:], 0.0)
        return prev + nxt

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

    @cached_property
    def duplicates(self) -> "Duplicates":
        """Which sentences share their text with another (built once; `SearchIndex.load` warms it)."""
        return Duplicates(self.sent_hash)

    def page(self, ids: np.ndarray, scores: np.ndarray, offset: int, k: int,
             accept: Callable[[int], bool] | None = None) -> Ranked:
        """The hits `offset..offset+k` in rank order, identical texts collapsed.

        `ids` are ascending (as `score`, `exclude` and `require` return them).
        `accept` (a phrase check) filters sentences lazily, in rank order.
        Cost: a few numpy passes over the candidates (the total, the cut) and
        Python only over the top few dozen; identical texts are looked up in
        `Duplicates` instead of hashing every candidate.
        """
        if accept is not None:
            order = _order(ids, scores, len(ids))
            keep = np.array([accept(int(ids[i])) for i in order], dtype=bool)
            chosen = np.sort(order[keep])
            ids, scores = ids[chosen], scores[chosen]
        dups = self.duplicates
        total = dups.count_distinct(ids)
        need = offset + k
        m = min(len(ids), need + 16)
        while True:
            order = _order(ids, scores, m)
            groups = _collapse(order, self.sent_hash[ids[order]])
            if len(groups) >= need or m >= len(ids):
                break
            m = min(len(ids), m * 4)
        chosen = groups[offset:need]
        return Ranked(
            ids=tuple(int(ids[g[0]]) for g in chosen),
            scores=tuple(float(scores[g[0]]) for g in chosen),
            duplicates=tuple(dups.others(int(ids[g[0]]), ids, scores) for g in chosen),
            total=total,
        )


class Duplicates:
    """Sentences whose (normalised) text occurs more than once, grouped by text hash.

    Identical texts have identical terms, so when one is a candidate all are:
    a hit's duplicates are the other candidates of its group, in rank order,
    and the number of distinct texts among the candidates is their number
    minus the repeats, counted over the (few) candidates that have a twin.
    Building it is one sort of the sentence hashes at load.
    """

    def __init__(self, sent_hash: np.ndarray) -> None:
        self.sent_hash = sent_hash
        n = len(sent_hash)
        order = np.argsort(sent_hash)
        hashes = np.asarray(sent_hash)[order]
        same = hashes[1:] == hashes[:-1]
        repeated = np.zeros(n, dtype=bool)
        repeated[1:] |= same
        repeated[:-1] |= same
        self.members = order[repeated]           # grouped by hash
        self.member_hash = hashes[repeated]      # ascending
        self.is_dup = np.zeros(n, dtype=bool)
        self.is_dup[self.members] = True
        self.sorted_members = np.sort(self.members)

    def group(self, sid: int) -> np.ndarray:
        """All sentences with `sid`'s text (`sid` included), or none when its text is unique."""
        if not self.is_dup[sid]:
            return self.members[:0]
        h = self.sent_hash[sid]
        lo = int(np.searchsorted(self.member_hash, h, side="left"))
        hi = int(np.searchsorted(self.member_hash, h, side="right"))
        return self.members[lo:hi]

    def count_distinct(self, ids: np.ndarray) -> int:
        """How many distinct texts the (ascending) sentences `ids` hold."""
        if not len(self.members) or not len(ids):
            return len(ids)
        if len(ids) > 4 * len(self.members):  # many candidates: look the few twins up among them
            pos = np.minimum(np.searchsorted(ids, self.sorted_members), len(ids) - 1)
            twins = self.sorted_members[ids[pos] == self.sorted_members]
        else:
            twins = ids[self.is_dup[ids]]
        if not len(twins):
            return len(ids)
        return len(ids) - len(twins) + len(np.unique(self.sent_hash[twins]))

    def others(self, sid: int, ids: np.ndarray, scores: np.ndarray) -> tuple[int, ...]:
        """The candidates (ascending `ids`) other than `sid` with its text, by (score desc, id asc)."""
        group = self.group(sid)
        if not len(group):
            return ()
        pos = np.minimum(np.searchsorted(ids, group), len(ids) - 1)
        present = (ids[pos] == group) & (group != sid)
        group, group_scores = group[present], scores[pos[present]]
        return tuple(int(i) for i in group[np.lexsort((group, -group_scores))])


class _Scratch:
    """One thread's dense accumulators for `index.kernel`.

    A slot counts for the current question only when its stamp equals the
    question's number (`next_gen`), so nothing is zeroed between questions;
    the stamps are bytes (the arrays stay small in the cache) and are cleared
    once every 255 questions. Zeroed pages cost no memory until touched."""

    def __init__(self, n_sentences: int, n_paragraphs: int, n_titles: int, n_twins: int) -> None:
        self.s = _unit_arrays(n_sentences, n_sentences)
        self.p = _unit_arrays(n_paragraphs, 0)  # (only the sentences' touched list is ever read)
        self.t = _unit_arrays(n_titles, 0)
        self.excluded = np.zeros(n_sentences, np.uint8)   # stamp: holds an excluded word
        self.visited = np.zeros(n_sentences, np.uint8)    # stamp of `select`'s visits
        self.done = np.zeros(n_paragraphs, np.uint8)      # and of the paragraphs it dealt with
        self.twins = np.zeros(max(1, n_twins), np.int64)
        self.buf_ids = np.zeros(n_sentences, np.int64)
        self.buf_scores = np.zeros(n_sentences, np.float64)
        self.gen = 0
        self.visit = 0

    def next_gen(self) -> int:
        self.gen += 1
        if self.gen > 255:
            for stamps in (self.s[1], self.p[1], self.t[1], self.excluded):
                stamps.fill(0)
            self.gen = 1
        return self.gen

    def next_visit(self) -> int:
        self.visit += 1
        if self.visit > 255:
            self.visited.fill(0)
            self.done.fill(0)
            self.visit = 1
        return self.visit


def _unit_arrays(n: int, listed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score accumulator and stamp for `n` units, and room to list `listed` touched ones."""
    return np.zeros(n, np.float64), np.zeros(n, np.uint8), np.zeros(listed, np.int32)


def _postings_of(ptr: np.ndarray, term_ids: np.ndarray) -> int:
    """How many postings these terms have in a field."""
    n = len(ptr) - 1
    return sum(int(ptr[t + 1] - ptr[t]) for t in term_ids.tolist() if 0 <= t < n)


_HELPER: tuple[int, ThreadPoolExecutor] | None = None


def _helper() -> ThreadPoolExecutor:
    """One helper thread per process (a forked child makes its own: threads do not survive fork)."""
    global _HELPER
    if _HELPER is None or _HELPER[0] != os.getpid():
        _HELPER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-kernel"))
    return _HELPER[1]


def _starts(unit_of_sentence: np.ndarray, n_units: int) -> np.ndarray:
    """First sentence of each unit (and the end), for sentences numbered in unit order."""
    if len(unit_of_sentence) > 1 and bool(np.any(np.diff(unit_of_sentence) < 0)):
        raise ValueError("sentences are not numbered in paragraph and article order")
    return np.searchsorted(unit_of_sentence, np.arange(n_units + 1)).astype(np.int64)


def _order(ids: np.ndarray, scores: np.ndarray, m: int) -> np.ndarray:
    """Positions of the top-m candidates by (score desc, id asc), in that order.

    Above `FULL_SORT_LIMIT` candidates only the top m are sorted: a partition
    finds the m-th best score, and of the candidates tied with it the ones
    with the lowest ids make the cut.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    m = min(m, n)
    if n > FULL_SORT_LIMIT and m < n:
        threshold = np.partition(scores, n - m)[n - m]
        sel = np.flatnonzero(scores >= threshold)
        if len(sel) > m:  # ties at the cut
            above = sel[scores[sel] > threshold]
            tied = sel[scores[sel] == threshold]
            want = m - len(above)  # >= 1: fewer than m scores exceed the m-th best
            tied = tied[np.argpartition(ids[tied], want - 1)[:want]]
            sel = np.concatenate([above, tied])
    else:
        sel = np.arange(n)
    return sel[np.lexsort((ids[sel], -scores[sel]))][:m]


def _collapse(order: np.ndarray, hashes: np.ndarray) -> list[list[int]]:
    """Group ranked positions by identical text, in rank order of first appearance."""
    groups: dict[int, list[int]] = {}
    for pos, h in zip(order.tolist(), hashes.tolist()):
        groups.setdefault(h, []).append(pos)
    return list(groups.values())
