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

The query-term weights ``w_t`` (`index.engine.weighted_terms`): the number
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
sentences that can still reach the page; by date `index.maxscore`, which
visits the articles newest first and stops when the page is full) serves
every question without a quoted phrase; `score` + `exclude` + `require` + `page` (numpy, every
candidate) serves phrases, whose candidates are filtered by their text, and
is the reference `tests/test_kernel.py` holds the kernel to, bit for bit.
Both end in `index.collect` (the best m, identical texts collapsed, widened
until the page is full).

Options that change which sentences compete and in what order, never their
scores (both paths, keyword-only): ``allow_articles`` / ``allow_sentences``
(uint8 or bool per article / sentence, 0 = not a candidate; a filtered-out
sentence still lends its score to its neighbours) on `Ranker.top` and
`Ranker.score`, applied inside the ranking so pages, totals and match counts
are exact; ``Ranker(article_day=...)`` (int32 days since 1970-01-01 per
article, `UNDATED` for none) breaks score ties by the newer article; and
``by_date=True`` on `Ranker.top` / `Ranker.page` orders the candidates newest
article first, then by score and id (undated last; totals unchanged).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import kernel, maxscore
from .bm25 import BM25Params
from .collect import Duplicates, Ranked, assemble, in_rank_order, order_top, widen
from .postings import Field

__all__ = ["UNDATED", "Duplicates", "Ranked", "Ranker", "RankingParams"]

TOP_SLACK = 2  # candidates kept beyond the page, for identical texts that collapse (more: a retry)
# `Ranker.top` through `index.maxscore` where it applies: "by_date" (the default: ordered by date, it stops
# once the page is full), "all" (by score too; measured slower than the dense kernel on the bench corpora,
# bench/results/query_phases.md) or "off" (the dense kernel only)
SKIPPING = "by_date"
ESSENTIAL_SHARE = 1 / 4  # `maxscore.select`: terms in more sentences than this share are only looked up
SCAN_COST = 64  # by date: lookups per candidate scored straight from the postings, per term, in stamp reads
PARALLEL_MIN_POSTINGS = 16384  # `Ranker.top`: fewer paragraph postings are added up on the calling thread
_order = order_top  # (the name the tests of the numpy path know it by)
UNDATED = int(np.iinfo(np.int32).min)  # `Ranker(article_day=...)` of an article without a date: oldest
_NO_FILTER = np.zeros(0, np.uint8)


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


class Ranker:
    """Scores candidates over the three fields; holds no per-query state.

    `article_day` (optional): each article's day (int32, days since
    1970-01-01, `UNDATED` for none); equal scores then rank the newer article
    first, and `top(by_date=True)` / `page(by_date=True)` order the hits
    newest article first. Without it the order is by score and sentence id.
    """

    def __init__(self, sentences: Field, paragraphs: Field, titles: Field,
                 sent_para: np.ndarray, sent_article: np.ndarray, sent_hash: np.ndarray,
                 params: RankingParams, *, article_day: np.ndarray | None = None) -> None:
        self.article_day = _article_days(article_day, titles.n_docs)
        self.sentences = sentences
        self.paragraphs = paragraphs
        self.titles = titles
        self.sent_para = sent_para
        self.sent_article = sent_article
        self.sent_hash = sent_hash
        self.params = params
        self._local = threading.local()  # per-thread `_Scratch` of `top`

    @cached_property
    def tables(self) -> "KernelTables":
        return KernelTables(self.sentences, self.paragraphs, self.titles, self.sent_para, self.sent_article,
                            self.params, self.article_day)

    @property
    def df(self) -> np.ndarray:
        """Each term's number of sentences."""
        return self.tables.df

    @cached_property
    def duplicates(self) -> Duplicates:
        """Which sentences share their text with another (built once; `SearchIndex.load` warms it)."""
        return Duplicates(self.sent_hash)

    # ---- the compiled path -------------------------------------------------------------

    def top(self, terms: Sequence[tuple[int, float]], excluded: Sequence[int], offset: int, k: int, *,
            allow_articles: np.ndarray | None = None, allow_sentences: np.ndarray | None = None,
            by_date: bool = False) -> tuple[Ranked, int]:
        """`page(*exclude(*score(terms, allow_...), excluded), offset, k, by_date=...)`, compiled.

        The same hits, scores, duplicates and total, bit for bit, scoring only
        the sentences that can still reach the page; also returns how many
        sentences matched (and passed the filters) before the exclusions.
        `allow_articles` (uint8 or bool per article) and `allow_sentences`
        (per sentence): 0 = not a candidate; `by_date` (`Ranker`). The steps:
        add up the postings, plan (visiting order, bounds), count, select.
        """
        allow_s = _allow_mask(allow_sentences, self.sentences.n_docs, "allow_sentences", "sentence")
        allow_a = _allow_mask(allow_articles, self.titles.n_docs, "allow_articles", "article")
        sc = self._scratch()
        gen = sc.next_gen()
        term_ids = np.fromiter((t for t, _ in terms), np.int64, len(terms))
        counts = np.fromiter((c for _, c in terms), np.float64, len(terms))
        tables = self.tables
        by_date = by_date and self.article_day is not None
        if (SKIPPING == "all" or (by_date and SKIPPING == "by_date")) and tables.skippable and bool(len(counts)) \
                and float(counts.min()) > 0.0:
            return _skipping_top(self, sc, gen, (term_ids, counts), excluded, (offset, k), (allow_s, allow_a), by_date)
        # positive weights, constant parts and counts, no filter: every touched sentence counts; a
        # few articles filtered out (tombstones of edits): every touched sentence outside them
        positive = tables.positive and bool(len(counts)) and float(counts.min()) > 0.0 and not len(allow_s)
        dropped = _few_dropped(allow_a) if positive and len(allow_a) else None
        all_positive = positive and (not len(allow_a) or dropped is not None)
        n_touched = self._accumulate(sc, gen, term_ids, counts, not all_positive)
        if dropped is not None:
            n_touched -= kernel.touched_in(dropped, tables.layout[3], sc.s[1], gen)   # (Layout.art_start)
        bounds, offs = self._plan(term_ids, counts)
        q = sc.question(gen, offs, allow_s, allow_a, by_date)
        matched, remaining, distinct = kernel.tally(
            tables.lists[0], np.fromiter(excluded, np.int64, len(excluded)), q, tables.layout, sc.s[2],
            n_touched, all_positive, self.duplicates.sorted_members, self.sent_hash, sc.twins)
        need = offset + k
        ids, scores, groups = widen(lambda m: self._select(sc, q, bounds, m, remaining), self.sent_hash,
                                    need, need + TOP_SLACK, remaining)
        fill = _dense_fill(tables, q)
        return (assemble(ids, scores, groups, offset, k, lambda sid: self._others(fill, sid, by_date), distinct),
                int(matched))

    def _accumulate(self, sc: "_Scratch", gen: int, term_ids: np.ndarray, counts: np.ndarray,
                    record: bool) -> int:
        """Each field's postings of the terms into the scratch accumulators; returns the sentences touched.

        The paragraph postings are added up on the other core while this
        thread does the sentences' (both memory-bound, the kernel releases the
        GIL), when there are enough. A field that weighs nothing is skipped
        and keeps stale stamps: its scores read as 0."""
        s_lists, p_lists, t_lists = self.tables.lists
        use_p, use_t = bool(self.params.paragraph), bool(self.params.title)
        aside = None
        if use_p and _postings_of(self.paragraphs.postings.ptr, term_ids) >= PARALLEL_MIN_POSTINGS:
            aside = _helper().submit(kernel.accumulate, p_lists, self.paragraphs.model, term_ids, counts,
                                     *sc.p, False, gen)
        try:
            n_touched = kernel.accumulate(s_lists, self.sentences.model, term_ids, counts, *sc.s, record, gen)
            if use_p and aside is None:
                kernel.accumulate(p_lists, self.paragraphs.model, term_ids, counts, *sc.p, False, gen)
            if use_t:
                kernel.accumulate(t_lists, self.titles.model, term_ids, counts, *sc.t, False, gen)
        finally:
            if aside is not None:
                aside.result()
        return n_touched

    def _plan(self, term_ids: np.ndarray, counts: np.ndarray) -> tuple[tuple, np.ndarray]:
        """The terms' visiting order and bounds (a plain `kernel.Bounds`), and the fields' constant parts."""
        nt = len(term_ids)
        out = kernel.Bounds(np.empty(nt + 1, np.int64), np.empty(nt + 1), np.empty(nt + 1), np.empty(nt + 1), 0.0)
        offs = np.zeros(3)
        n, title_bound = kernel.plan(term_ids, counts, self.tables.stats, self.tables.weights, tuple(out), offs)
        return (out.order[:n], out.bound_after[:n + 1], out.own_after[:n + 1], out.ratio_after[:n + 1],
                float(title_bound)), offs

    def _select(self, sc: "_Scratch", q: tuple, bounds: tuple, m: int,
                remaining: int) -> tuple[np.ndarray, np.ndarray]:
        """The best `m` candidates, best first (`kernel.select`)."""
        ids, scores = np.empty(m, np.int64), np.empty(m, np.float64)
        if not remaining:
            return ids[:0], scores[:0]
        t = self.tables
        kept = kernel.select(t.lists[1], t.lists[2], q, t.layout, t.weights, bounds, sc.visits(), m, (ids, scores),
                             sc.buf, t.order_key(q[7]))  # (Question.by_date)
        return ids[:kept], scores[:kept]

    def _others(self, fill: Callable[[np.ndarray, np.ndarray, np.ndarray], None], sid: int,
                by_date: bool) -> tuple[int, ...]:
        """The remaining candidates other than `sid` with its text, in rank order; `fill(group, scores,
        ok)`: the kernel's scores of the group and whether each is a remaining candidate."""
        group = self.duplicates.group(sid)
        if not len(group):
            return ()
        scores = np.empty(len(group), np.float64)
        ok = np.empty(len(group), np.bool_)
        fill(group, scores, ok)
        ok &= group != sid
        group = group[ok]
        return in_rank_order(group, scores[ok], self._days(group), by_date)

    def _scratch(self) -> "_Scratch":
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _Scratch(
                self.sentences.n_docs, self.paragraphs.n_docs, self.titles.n_docs,
                len(self.duplicates.members), self.tables.max_para)
        return scratch

    def warm(self) -> None:
        """Derive the kernel's tables and compile (or load from numba's cache) its code now."""
        self.tables.warm()
        self.top([], [], 0, 1)
        self.top([(0, 1.0)], [0], 0, 1)

    # ---- the numpy path (quoted phrases; the reference) ---------------------------------

    def score(self, terms: Sequence[tuple[int, float]], *, allow_articles: np.ndarray | None = None,
              allow_sentences: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate sentence ids (ascending) and their served scores; the filters (`top`) drop
        candidates, not the scores they give their neighbours."""
        ids, scores = self._scores(terms)
        if allow_articles is None and allow_sentences is None:
            return ids, scores
        keep = np.ones(len(ids), bool)
        if allow_sentences is not None:
            keep &= _allow_mask(allow_sentences, self.sentences.n_docs, "allow_sentences", "sentence")[ids] != 0
        if allow_articles is not None:
            keep &= _allow_mask(allow_articles, self.titles.n_docs, "allow_articles", "article")[
                self.sent_article[ids]] != 0
        return ids[keep], scores[keep]

    def _scores(self, terms: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Every matching sentence (S > 0) and its served score."""
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

    def page(self, ids: np.ndarray, scores: np.ndarray, offset: int, k: int,
             accept: Callable[[int], bool] | None = None, *, by_date: bool = False) -> Ranked:
        """The hits `offset..offset+k` in rank order, identical texts collapsed.

        `ids` are ascending (as `score`, `exclude` and `require` return them).
        `accept` (a phrase check) filters sentences lazily, in rank order.
        Cost: a few numpy passes over the candidates (the total, the cut) and
        Python only over the top few dozen; identical texts are looked up in
        `Duplicates` instead of hashing every candidate.
        """
        by_date = by_date and self.article_day is not None
        if accept is not None:
            order = order_top(ids, scores, len(ids), self._days(ids), by_date)
            keep = np.array([accept(int(ids[i])) for i in order], dtype=bool)
            chosen = np.sort(order[keep])
            ids, scores = ids[chosen], scores[chosen]
        dups = self.duplicates
        days = self._days(ids)
        need = offset + k

        def rank(m: int) -> tuple[np.ndarray, np.ndarray]:
            order = order_top(ids, scores, m, days, by_date)
            return ids[order], scores[order]

        top_ids, top_scores, groups = widen(rank, self.sent_hash, need, min(len(ids), need + 16), len(ids))
        return assemble(top_ids, top_scores, groups, offset, k,
                        lambda sid: dups.others(sid, ids, scores, days, by_date), dups.count_distinct(ids))

    def _days(self, ids: np.ndarray) -> np.ndarray | None:
        """The day of each sentence's article, or None without days."""
        return None if self.article_day is None else self.article_day[self.sent_article[ids]]


class KernelTables:
    """What `index.kernel` reads besides the postings and their weighing, derived once per index and parameters."""

    def __init__(self, sentences: Field, paragraphs: Field, titles: Field, sent_para: np.ndarray,
                 sent_article: np.ndarray, params: RankingParams, article_day: np.ndarray | None) -> None:
        self.fields = (sentences, paragraphs, titles)
        self.sent_para = sent_para
        self.sent_article = sent_article
        self.params = params
        self.article_day = np.zeros(0, np.int32) if article_day is None else article_day

    def warm(self) -> None:
        self.stats, self.layout, self.weights, self.lists, self.positive  # noqa: B018 (cached properties)
        if self.skippable:
            self.blocked, self.day_order  # noqa: B018

    # (the kernel's bundles as plain tuples: `kernel.plain`)
    @cached_property
    def lists(self) -> tuple[tuple, tuple, tuple]:
        """The postings (`kernel.Lists`) of the sentences, paragraphs and titles."""
        s, p, t = (kernel.plain(kernel.Lists(f.postings.ptr, f.postings.docs)) for f in self.fields)
        return s, p, t

    @cached_property
    def blocked(self) -> tuple[tuple, tuple, tuple]:
        """The postings with their weighing and skip blocks (`maxscore.Blocked`) of the three fields."""
        s, p, t = (kernel.plain(maxscore.Blocked(f.postings.ptr, f.postings.docs, f.model, f.blocks.ptr,
                                                 f.blocks.last, f.blocks.top)) for f in self.fields)
        return s, p, t

    @cached_property
    def skippable(self) -> bool:
        """Whether `index.maxscore` may serve: a sentence holding a term then matches (every sentence
        weight positive) and no negative weight, constant part or field weight voids a bound."""
        p = self.params
        if min(p.neighbour, p.paragraph, p.title) < 0.0 or not self.positive:
            return False
        return all(f.lowest >= 0.0
                   and (not len(f.const) or float(f.const.min()) >= 0.0) for f in self.fields[1:])

    @cached_property
    def day_order(self) -> np.ndarray:
        """The articles newest first (then by id): `maxscore.select_by_date`'s visiting order."""
        days = self.article_day.astype(np.int64)
        return np.lexsort((np.arange(len(days)), -days)).astype(np.int64)

    @cached_property
    def max_para(self) -> int:
        """The most sentences in one paragraph."""
        return int(np.diff(self.para_start).max()) if len(self.para_start) > 1 else 0

    @cached_property
    def weights(self) -> tuple:
        p = self.params
        return kernel.plain(kernel.Weights(float(p.neighbour), float(p.paragraph), float(p.title)))

    @cached_property
    def stats(self) -> tuple:
        s, p, t = self.fields
        mx_s, mx_p, mx_t = self.term_max
        return kernel.plain(kernel.TermStats(self.df, s.const, p.const, t.const, mx_s, mx_p, mx_t, s.idf, p.idf,
                                             self.params.bm25.variant in ("okapi", "lucene")))

    @cached_property
    def layout(self) -> tuple:
        return kernel.plain(kernel.Layout(self.sent_para, self.sent_article, self.para_start, self.article_start,
                                          self.para_article, self.para_factor, self.article_day))

    def order_key(self, by_date: bool) -> np.ndarray | tuple[np.ndarray] | None:
        """`kernel.select`'s rank order: None without days, each sentence's day to break ties, or that
        in a 1-tuple to order by date (`kernel._worse`)."""
        if not len(self.article_day):
            return None
        return (self.sent_day,) if by_date else self.sent_day

    @cached_property
    def sent_day(self) -> np.ndarray:
        """The day of each sentence's article (int32)."""
        return self.article_day[self.sent_article]

    @cached_property
    def term_max(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each term's largest weight in the sentence, paragraph and title fields (0 where absent)."""
        out = []
        for fld, used in zip(self.fields, (True, self.params.paragraph, self.params.title)):
            out.append(fld.term_top if used else np.zeros(fld.postings.n_terms))
        return out[0], out[1], out[2]

    @cached_property
    def df(self) -> np.ndarray:
        """Each term's number of sentences."""
        return self.fields[0].postings.df()

    @cached_property
    def para_factor(self) -> np.ndarray:
        """``1 + k1 * norm`` of each paragraph (norm: BM25's length normalisation), for the cut."""
        fld, bm = self.fields[1], self.params.bm25
        # float32 (half the memory traffic of the paragraph loop); the cut's margin covers its rounding
        return (1.0 + bm.k1 * (1.0 - bm.b + bm.b * np.asarray(fld.doc_len, np.float64) / fld.avgdl)
                ).astype(np.float32)

    @cached_property
    def positive(self) -> bool:
        """Whether every sentence weight is positive and no constant part negative."""
        lowest, const = self.fields[0].lowest, self.fields[0].const
        return lowest > 0.0 and (not len(const) or float(const.min()) >= 0.0)

    @cached_property
    def para_start(self) -> np.ndarray:
        """Sentences of paragraph p: ``para_start[p]:para_start[p + 1]`` (sentences are in paragraph order)."""
        return _starts(self.sent_para, self.fields[1].n_docs)

    @cached_property
    def para_article(self) -> np.ndarray:
        """The article of each paragraph (0 for a paragraph without sentences, which no posting names)."""
        starts = self.para_start[:-1]
        return np.asarray(self.sent_article)[np.minimum(starts, max(len(self.sent_article) - 1, 0))] \
            if len(self.sent_article) else np.zeros(len(starts), np.int32)

    @cached_property
    def article_start(self) -> np.ndarray:
        return _starts(self.sent_article, self.fields[2].n_docs)


class _Scratch:
    """One thread's dense accumulators for `index.kernel`.

    A slot counts for the current question only when its stamp equals the
    question's number (`next_gen`), so nothing is zeroed between questions;
    the stamps are bytes (the arrays stay small in the cache) and are cleared
    once every 255 questions. Zeroed pages cost no memory until touched."""

    def __init__(self, n_sentences: int, n_paragraphs: int, n_titles: int, n_twins: int, max_para: int) -> None:
        self.s = _unit_arrays(n_sentences, n_sentences)
        self.p = _unit_arrays(n_paragraphs, 0)  # (only the sentences' touched list is ever read)
        self.t = _unit_arrays(n_titles, 0)
        self.excluded = np.zeros(n_sentences, np.uint8)   # stamp: holds an excluded word
        self.visited = np.zeros(n_sentences, np.uint8)    # stamp of `select`'s visits
        self.done = np.zeros(n_paragraphs, np.uint8)      # and of the paragraphs it dealt with
        self.twins = np.zeros(max(1, n_twins), np.int64)
        self.sbuf = (np.zeros(max(1, max_para)), np.zeros(max(1, max_para), np.bool_))  # (`maxscore._visit`)
        self.buf = kernel.plain(kernel.Ranks(np.zeros(n_sentences, np.int64), np.zeros(n_sentences, np.float64)))
        self.gen = 0
        self.visit = 0

    def next_gen(self) -> int:
        self.gen += 1
        if self.gen > 255:
            for stamps in (self.s[1], self.p[1], self.t[1], self.excluded):
                stamps.fill(0)
            self.gen = 1
        return self.gen

    def visits(self) -> tuple:
        """Fresh stamps for one `kernel.select` pass (a plain `kernel.Visits`)."""
        self.visit += 1
        if self.visit > 255:
            self.visited.fill(0)
            self.done.fill(0)
            self.visit = 1
        return self.visited, self.done, self.visit

    def question(self, gen: int, offs: np.ndarray, allow_s: np.ndarray, allow_a: np.ndarray,
                 by_date: bool) -> tuple:
        """The question's state for the kernel (a plain `kernel.Question`): the accumulators with the
        fields' constant parts, the filters, the order."""
        # (built plain, field by field as `kernel.Question` and `kernel.Unit` list them: once per question)
        return ((self.s[0], self.s[1], float(offs[0])), (self.p[0], self.p[1], float(offs[1])),
                (self.t[0], self.t[1], float(offs[2])), self.excluded, gen, allow_s, allow_a, bool(by_date))


def _skipping_top(r: Ranker, sc: _Scratch, gen: int, terms: tuple[np.ndarray, np.ndarray], excluded: Sequence[int],
                  page: tuple[int, int], allow: tuple[np.ndarray, np.ndarray], by_date: bool) -> tuple[Ranked, int]:
    """`Ranker.top` through `index.maxscore`: the matches stamped and counted, then the best found by
    lookups (the postings of terms that cannot lift a sentence onto the page stay unread)."""
    t = r.tables
    term_ids, counts = terms
    allow_s, allow_a = allow
    filtered = bool(len(allow_s) or len(allow_a))
    n_touched = maxscore.mark(t.lists[0], term_ids, sc.s[1], sc.s[2], filtered, gen)
    bounds, offs = r._plan(term_ids, counts)
    q = sc.question(gen, offs, allow_s, allow_a, by_date)
    matched, remaining, distinct = maxscore.tally(
        t.lists[0], np.fromiter(excluded, np.int64, len(excluded)), q, t.layout, sc.s[2], n_touched, filtered,
        r.duplicates.sorted_members, r.sent_hash, sc.twins)
    n = len(bounds[0])
    qterms = kernel.plain(maxscore.Terms(term_ids, counts, np.empty(len(term_ids), np.int64), np.empty(n),
                                         np.empty(n + 1), np.empty(n + 1), offs))
    maxscore.prepare(term_ids, bounds[0], n, t.term_max[1], t.term_max[2], qterms)
    e = _essential(r, sc, gen, bounds[0], qterms[3])
    ctx = (t.blocked, qterms, q, t.layout, t.weights, bounds)
    cur = (np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.full(n, -1, np.int64))
    key = t.order_key(by_date)

    def rank(m: int) -> tuple[np.ndarray, np.ndarray]:
        ids, scores = np.empty(m, np.int64), np.empty(m, np.float64)
        if not remaining:
            return ids[:0], scores[:0]
        if by_date:  # scan the articles newest first, unless scoring every match costs less
            scan = m * r.sentences.n_docs < SCAN_COST * max(n, 1) * remaining * remaining
            kept = maxscore.select_by_date(t.lists[0], ctx, cur, t.day_order, scan, sc.visits(), (ids, scores, m),
                                           key)
        else:
            kept = maxscore.select(ctx, cur, sc.visits(), (ids, scores, m), sc.sbuf, key, e)
        return ids[:kept], scores[:kept]

    def looked_up(group: np.ndarray, scores: np.ndarray, ok: np.ndarray) -> None:
        maxscore.served(group, ctx, cur, scores, ok)

    offset, k = page
    ids, scores, groups = widen(rank, r.sent_hash, offset + k, offset + k + TOP_SLACK, remaining)
    return (assemble(ids, scores, groups, offset, k, lambda sid: r._others(looked_up, sid, by_date), distinct),
            int(matched))


def _dense_fill(tables: KernelTables, q: tuple) -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
    """`Ranker._others`' scores and candidate flags from the dense kernel's accumulators."""
    layout, weights = tables.layout, tables.weights

    def fill(group: np.ndarray, scores: np.ndarray, ok: np.ndarray) -> None:
        kernel.served(group, len(group), q, layout, weights, scores)
        kernel.candidates(group, q, layout, ok)
    return fill


def _essential(r: Ranker, sc: _Scratch, gen: int, order: np.ndarray, rank_c: np.ndarray) -> int:
    """How many of the terms, rarest first, `maxscore.select` treats as essential: the rarest, and
    those in at most `ESSENTIAL_SHARE` of the sentences; their paragraph and title postings are
    added up (the others' are only looked up)."""
    limit = ESSENTIAL_SHARE * r.sentences.n_docs
    df = r.tables.df
    e = 1
    while e < len(order) and df[order[e]] <= limit:
        e += 1
    e = min(e, len(order))
    p_lists, t_lists = r.tables.lists[1], r.tables.lists[2]
    if r.params.paragraph:
        kernel.accumulate(p_lists, r.paragraphs.model, order[:e], rank_c[:e], *sc.p, False, gen)
    if r.params.title:
        kernel.accumulate(t_lists, r.titles.model, order[:e], rank_c[:e], *sc.t, False, gen)
    return e


DROPPED_MAX = 1 / 32  # `_few_dropped`: at most this share of the articles filtered out


def _few_dropped(allow_a: np.ndarray) -> np.ndarray | None:
    """The articles `allow_a` filters out, when they are few (else None).

    Then `Ranker.top` counts the matches as the touched sentences less those of these articles,
    instead of listing every touched sentence and testing each against the filter: at ten
    million sentences that listing and test are a few milliseconds a question, and the tombstones
    of edited articles (`index.segments`) are such a filter on every question until the merge."""
    n = len(allow_a)
    dropped = np.flatnonzero(allow_a == 0)
    return dropped if len(dropped) <= max(8, int(n * DROPPED_MAX)) else None


def _allow_mask(mask: np.ndarray | None, n: int, name: str, unit: str) -> np.ndarray:
    """A filter as the kernel reads it: uint8 per unit (a bool array is viewed, not copied); empty: none."""
    if mask is None:
        return _NO_FILTER
    arr = np.asarray(mask)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.dtype != np.uint8:
        raise TypeError(f"{name} must be a uint8 (or bool) array, not {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{name} needs one entry per {unit} ({n}), got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _article_days(days: np.ndarray | None, n: int) -> np.ndarray | None:
    """`Ranker(article_day=...)` checked: int32, one per article."""
    if days is None:
        return None
    arr = np.asarray(days)
    if arr.shape != (n,) or arr.dtype.kind not in "iu":
        raise ValueError(f"article_day needs one integer per article ({n}), got {arr.dtype} {arr.shape}")
    if len(arr) and (int(arr.min()) < UNDATED or int(arr.max()) > np.iinfo(np.int32).max):
        raise ValueError("article_day holds days outside int32")
    return np.ascontiguousarray(arr, np.int32)


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
