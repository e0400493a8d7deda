"""Compiled ranking: the model of `index.ranking`, computed for few sentences per question.

Why compiled: at a million sentences the median question's terms have about
forty thousand postings, and a common word ("say") several hundred thousand.
The numpy path (`Ranker.score` + `Ranker.page`) merges the term lists with a
sort and makes a dozen passes over every candidate: 3.7 ms a question at the
median, 8.7 ms on average (`bench/results/query_phases.md`). Here (numba,
compiled on first use and cached on disk next to this file):

1. `accumulate` adds each posting's weight into a dense per-thread array of
   the field's units (sentences, paragraphs, titles). A unit's slot is valid
   only when its byte stamp equals the question's number, so nothing is
   zeroed after a question (only every 255 questions).
2. `plan` orders the terms rarest first and bounds what the terms from each
   position on can add to a score; `tally` counts the matches and their
   distinct texts (and applies exclusions).
3. `select` visits candidates term by term: the sentences of the paragraphs
   (and articles, through their titles) that hold the term. A sentence's
   score only has parts from terms in its paragraph or title, so once the
   best ``m`` so far all beat what the terms not yet visited could add up to,
   no unvisited sentence can enter and the rest is skipped (MaxScore, Turtle
   & Flood 1995, with the paragraph as the unit of the bound); a paragraph
   whose exact paragraph and title scores plus a bound on its sentences'
   cannot reach the worst kept is skipped whole. `served` computes the
   model's score for the sentences that remain; a bounded heap keeps the best,
   and the cuts read its worst again every `CHUNK` postings.

The other compiled path, `index.maxscore`, adds no common term's postings:
it stamps the matches for the count, adds up only the rare terms, and looks
the others up per candidate in skip blocks (block-max MaxScore). It serves
the questions by date, where it visits the articles newest first and stops
once the page is full (2-3x faster than here). By score it was measured
slower than this dense path on the bench corpora (a lookup of a common term
costs cache misses that adding its postings in order does not, and the
three fields and the neighbours need many lookups per candidate), so
`Ranker.top` uses it there only with `ranking.SKIPPING = "all"`.

The arithmetic is the numpy path's, operation for operation and in the same
order (terms in question order, float32 weights widened to float64), so
scores are bit-identical to it: `tests/test_kernel.py` compares both on random
corpora. The numpy path stays for quoted phrases (which filter candidates by
their text) and as the reference.

Two options change which sentences compete and in what order, not their
scores: filters (per article and per sentence: dates, sources, speakers) drop
candidates inside the ranking, so pages and totals stay exact; and with each
article's day (`Layout.article_day`) equal scores rank the newer article
first, or, by date, the newest article comes first whatever its score.

The arrays travel in tuples laid out by the named tuples below: `Unit` per
field (accumulator, stamps, constant part), `Question` (the three units, the
exclusion stamps, the question's number, its filters and order), `Layout`
(where each sentence sits), `Weights` (the model's field weights),
`TermStats` (per-term tables), `Bounds` (the plan), `Lists` (a field's
postings), `Visits` (`select`'s stamps) and `Ranks` (ids with their scores:
the heap, the buffer). Measured costs decide how: numba types a plain tuple
of arrays at the call in C but a named one in Python (~10 us a call), and a
named tuple built or read inside compiled code made the loops several times
slower; so callers build the named tuples and pass them `plain(...)`, and
each function unpacks its tuples into local arrays in the field order above
before any loop (the inlined helpers take arrays).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .weighing import ESCAPE, weight, weight_of


class Unit(NamedTuple):
    """One field's dense per-question scores: valid where ``stamp == Question.gen``."""
    acc: np.ndarray    # float64 per unit: the sum of the question's postings
    stamp: np.ndarray  # uint8 per unit
    off: float         # the field's constant part of a matching unit (`Field.offset`)


class Question(NamedTuple):
    s: Unit              # sentences
    p: Unit              # paragraphs
    t: Unit              # titles
    excluded: np.ndarray  # uint8 per sentence: == gen where it holds an excluded word
    gen: int             # the question's number (1..255)
    allow_s: np.ndarray  # uint8 per sentence, 0: no candidate (empty: every sentence may be)
    allow_a: np.ndarray  # uint8 per article, 0: none of its sentences is a candidate (empty: no filter)
    by_date: bool        # rank by (article day desc, score desc, id asc); needs `Layout.article_day`


class Layout(NamedTuple):
    """Where each sentence sits (fixed per index)."""
    sent_para: np.ndarray     # paragraph of each sentence
    sent_article: np.ndarray  # article of each sentence
    para_start: np.ndarray    # sentences of paragraph p: para_start[p]:para_start[p + 1]
    art_start: np.ndarray     # sentences of article a: art_start[a]:art_start[a + 1]
    para_article: np.ndarray  # article of each paragraph
    para_factor: np.ndarray   # float32 ``1 + k1 * norm`` of each paragraph (`plan`'s ratio bound)
    article_day: np.ndarray   # int32 day of each article (undated: the lowest int32); empty: no dates


class Weights(NamedTuple):
    """The model's weights of the neighbours', paragraph's and title's scores."""
    neighbour: float
    paragraph: float
    title: float


class TermStats(NamedTuple):
    """Per-term tables of `plan` (fixed per index and parameters)."""
    df: np.ndarray        # sentences holding the term
    s_const: np.ndarray   # constant parts (BM25Plus) per field
    p_const: np.ndarray
    t_const: np.ndarray
    mx_s: np.ndarray      # largest weight per field (0: absent or the field weighs nothing)
    mx_p: np.ndarray
    mx_t: np.ndarray
    idf_s: np.ndarray
    idf_p: np.ndarray
    saturating: bool      # Okapi-shaped weights (okapi, lucene): the ratio bound holds


class Bounds(NamedTuple):
    """`plan`'s output: the terms in visiting order and what the terms from each position on can add."""
    order: np.ndarray        # int64 term ids, rarest first
    bound_after: np.ndarray  # float64, len(order) + 1
    own_after: np.ndarray
    ratio_after: np.ndarray
    title_bound: float


class Lists(NamedTuple):
    """A field's postings (CSR): the units holding term t are ``docs[ptr[t]:ptr[t + 1]]``."""
    ptr: np.ndarray
    docs: np.ndarray


class Visits(NamedTuple):
    visited: np.ndarray  # uint8 per sentence: == visit once seen
    done: np.ndarray     # uint8 per paragraph: == visit once scored or cut
    visit: int


class Ranks(NamedTuple):
    ids: np.ndarray     # int64
    scores: np.ndarray  # float64


TABLE_MIN = 4  # `accumulate` tables a term's weights by code when it has this many postings per code
CHUNK = 32  # `select`: postings gathered and scored before the worst kept score is read again


def plain(value: tuple) -> tuple:
    """A named tuple, nested ones too, as the plain tuple the entry points take (module docstring)."""
    return tuple(plain(v) if isinstance(v, tuple) else v for v in value)


# ---- 1. postings into dense accumulators ----------------------------------------------


@njit(cache=True, nogil=True)
def accumulate(lists, fm, terms, counts, acc, stamp, touched, record, gen):  # pragma: no cover - compiled
    """Add ``count * weight`` of every posting of `terms` into `acc`; returns how many units it touched.

    Each weight is computed from the posting's tf and its unit's length (`fm`: the field's
    `weighing.Model`). For a term with many postings, ``count * weight`` is tabled by the
    postings' (tf, length) code first (`Model.codes`): the same values, read one byte per
    posting in order. The touched units are listed in `touched` only when `record` (`count_matches`
    needs them)."""
    ptr, docs = lists
    codes, n_len = fm[8], len(fm[3])
    once = np.empty(ESCAPE)
    n = 0
    n_terms = len(ptr) - 1
    for i in range(len(terms)):
        t = terms[i]
        if t < 0 or t >= n_terms:
            continue
        c = counts[i]
        tabled = ptr[t + 1] - ptr[t] >= TABLE_MIN * ESCAPE
        if tabled:
            for x in range(ESCAPE):
                once[x] = np.float64(weight_of(fm, t, np.float64(x // n_len + 1), x % n_len)) * c
        for j in range(ptr[t], ptr[t + 1]):
            d = docs[j]
            if tabled and codes[j] != ESCAPE:
                v = once[codes[j]]
            else:
                v = np.float64(weight(fm, t, j, d)) * c
            if stamp[d] != gen:
                stamp[d] = gen
                if record:
                    touched[n] = d
                n += 1
                acc[d] = v  # == 0.0 + w * c, as the numpy path sums
            else:
                acc[d] += v
    return n


@njit(cache=True, nogil=True, inline="always")
def _own(acc, stamp, off, s, gen):  # pragma: no cover - compiled
    """A sentence's own score S, or 0 when it is no candidate (as `Field.score` + `keep`)."""
    if stamp[s] != gen:
        return 0.0
    v = acc[s] + off
    return v if v > 0.0 else 0.0


@njit(cache=True, nogil=True, inline="always")
def _part(acc, stamp, off, x, gen):  # pragma: no cover - compiled
    """A paragraph's or title's score, 0 where it holds no query term."""
    return acc[x] + off if stamp[x] == gen else 0.0


@njit(cache=True, nogil=True)
def exclude(lists, terms, q, lay):  # pragma: no cover - compiled
    """Stamp the sentences holding an excluded word; returns how many of them are candidates."""
    ptr, docs = lists
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_article = lay[1]  # (Layout.sent_article)
    n_terms = len(ptr) - 1
    hit = 0
    for i in range(len(terms)):
        t = terms[i]
        if t < 0 or t >= n_terms:
            continue
        for j in range(ptr[t], ptr[t + 1]):
            d = docs[j]
            if excluded[d] != gen:
                excluded[d] = gen
                if _own(acc_s, stamp_s, off_s, d, gen) <= 0.0:
                    continue
                if (len(allow_s) and allow_s[d] == 0) or (len(allow_a) and allow_a[sent_article[d]] == 0):
                    continue  # filtered out (the filter tests are written out where used: module docstring)
                hit += 1
    return hit


# ---- 2. served scores -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def served(ids, n, q, lay, wt, out):  # pragma: no cover - compiled
    """score(s) of the ranking model for the first `n` of `ids`, in `Ranker.score`'s order of operations.

    (One loop over many sentences: a compiled call per sentence, which passes
    a dozen arrays, costs more than the arithmetic.)"""
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_para, sent_article, para_start, art_start, para_article, para_factor, article_day = lay
    alpha, beta, gamma = wt
    last = len(sent_para) - 1
    for i in range(n):
        s = ids[i]
        para = sent_para[s]
        prev = 0.0
        nxt = 0.0
        if s > 0 and sent_para[s - 1] == para:
            prev = _own(acc_s, stamp_s, off_s, s - 1, gen)
        if s < last and sent_para[s + 1] == para:
            nxt = _own(acc_s, stamp_s, off_s, s + 1, gen)
        total = acc_s[s] + off_s
        total += alpha * (prev + nxt)
        total += beta * _part(acc_p, stamp_p, off_p, para, gen)
        total += gamma * _part(acc_t, stamp_t, off_t, sent_article[s], gen)
        out[i] = total


@njit(cache=True, nogil=True)
def candidates(ids, q, lay, out_ok):  # pragma: no cover - compiled
    """Whether each of `ids` is a remaining candidate: it matches (S > 0), holds no excluded word and
    passes the filters."""
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_article = lay[1]
    for i in range(len(ids)):  # (a few duplicates per hit: the hot loops write the same test out)
        s = ids[i]
        ok = _own(acc_s, stamp_s, off_s, s, gen) > 0.0 and excluded[s] != gen
        if ok and len(allow_s):
            ok = allow_s[s] != 0
        if ok and len(allow_a):
            ok = allow_a[sent_article[s]] != 0
        out_ok[i] = ok


# ---- 3. the best m ------------------------------------------------------------------------


def _worse(score_a, id_a, score_b, id_b, key):  # pragma: no cover - compiled through the overload
    """Whether a ranks below b in the rank order `key` names by its type (`_worse_order`)."""
    raise NotImplementedError


@overload(_worse, inline="always")
def _worse_order(score_a, id_a, score_b, id_b, key):  # pragma: no cover - compiled
    """One comparator per kind of order, chosen when numba compiles (so the heap without days costs
    what it did before there were days). `key` None: lower score, or the same score and a higher id;
    an array (each sentence's day): lower score, the same score and an older article, then a higher
    id; a 1-tuple of that array, by date: an older article, the same day and a lower score, then a
    higher id."""
    if isinstance(key, types.NoneType):
        def by_score(score_a, id_a, score_b, id_b, key):
            return score_a < score_b or (score_a == score_b and id_a > id_b)
        return by_score
    if isinstance(key, types.Array):
        def newer_first(score_a, id_a, score_b, id_b, key):
            if score_a != score_b:
                return score_a < score_b
            if key[id_a] != key[id_b]:
                return key[id_a] < key[id_b]
            return id_a > id_b
        return newer_first

    def by_date(score_a, id_a, score_b, id_b, key):
        days = key[0]
        if days[id_a] != days[id_b]:
            return days[id_a] < days[id_b]
        return score_a < score_b or (score_a == score_b and id_a > id_b)
    return by_date


@njit(cache=True, nogil=True, inline="always")
def _swap(h_score, h_id, a, b):  # pragma: no cover - compiled
    h_score[a], h_score[b] = h_score[b], h_score[a]
    h_id[a], h_id[b] = h_id[b], h_id[a]


@njit(cache=True, nogil=True)
def _push(h_score, h_id, size, m, score, s, key):  # pragma: no cover - compiled
    """Offer one candidate to the bounded heap (root: the worst kept); returns the new size."""
    if size < m:
        j = size
        h_score[j] = score
        h_id[j] = s
        while j > 0:
            parent = (j - 1) // 2
            if _worse(h_score[j], h_id[j], h_score[parent], h_id[parent], key):
                _swap(h_score, h_id, j, parent)
                j = parent
            else:
                break
        return size + 1
    if not _worse(h_score[0], h_id[0], score, s, key):
        return size
    h_score[0] = score
    h_id[0] = s
    _sift_down(h_score, h_id, size, 0, key)
    return size


@njit(cache=True, nogil=True)
def _sift_down(h_score, h_id, size, i, key):  # pragma: no cover - compiled
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        child = left
        right = left + 1
        if right < size and _worse(h_score[right], h_id[right], h_score[left], h_id[left], key):
            child = right
        if _worse(h_score[child], h_id[child], h_score[i], h_id[i], key):
            _swap(h_score, h_id, i, child)
            i = child
        else:
            return


@njit(cache=True, nogil=True)
def _heap_to_ranked(h_score, h_id, size, key):  # pragma: no cover - compiled
    """Heap -> rank order, best first (repeatedly move the worst to the end)."""
    end = size
    while end > 1:
        end -= 1
        _swap(h_score, h_id, 0, end)
        _sift_down(h_score, h_id, end, 0, key)


@njit(cache=True, nogil=True, inline="always")
def _beaten(bound, day, worst_score, worst_day, by_date):  # pragma: no cover - compiled
    """Whether a sentence scoring at most `bound` (plus a margin over rounding) ranks below the worst
    kept; `by_date`: its article's `day` decides first."""
    if by_date and day != worst_day:
        return day < worst_day
    return bound * (1.0 + 1e-9) + 1e-12 < worst_score


@njit(cache=True, nogil=True)
def _from_paragraphs(docs, q, lay, wt, cut, title_bound, visits, out):  # pragma: no cover - compiled
    """Sentences of the paragraphs `docs` (of the term `select` visits) it must score, into `out`."""
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_para, sent_article, para_start, art_start, para_article, para_factor, article_day = lay
    alpha, beta, gamma = wt
    full, near, own_bound, ratio, worst, worst_day = cut
    visited, done, visit = visits
    n = 0
    for j in range(len(docs)):
        u = docs[j]
        if done[u] == visit:
            continue
        done[u] = visit
        if len(allow_a) and allow_a[para_article[u]] == 0:
            continue  # filtered out: its sentences are no candidates
        if full:
            # P(u) is exact (every term was accumulated); the title first by its bound
            pv = acc_p[u] + off_p if beta > 0.0 else 0.0
            ob = min(own_bound, near * ratio * para_factor[u] * pv)
            day = article_day[para_article[u]] if by_date else 0
            if _beaten(ob + beta * pv + title_bound, day, worst, worst_day, by_date):
                continue
            tv = _part(acc_t, stamp_t, off_t, para_article[u], gen)
            if _beaten(ob + beta * pv + gamma * tv, day, worst, worst_day, by_date):
                continue
        for s in range(para_start[u], para_start[u + 1]):
            if visited[s] == visit:
                continue
            visited[s] = visit
            if stamp_s[s] != gen or excluded[s] == gen or acc_s[s] + off_s <= 0.0:
                continue
            if (len(allow_s) and allow_s[s] == 0) or (len(allow_a) and allow_a[sent_article[s]] == 0):
                continue
            out[n] = s
            n += 1
    return n


@njit(cache=True, nogil=True)
def _from_titles(docs, q, lay, wt, cut, visits, out, n):  # pragma: no cover - compiled
    """Then the sentences of the articles `docs` (whose title holds the term), not yet seen; returns the
    new count."""
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_para, sent_article, para_start, art_start, para_article, para_factor, article_day = lay
    alpha, beta, gamma = wt
    full, near, own_bound, ratio, worst, worst_day = cut
    visited, done, visit = visits
    for j in range(len(docs)):
        a = docs[j]
        if len(allow_a) and allow_a[a] == 0:
            continue
        tv = _part(acc_t, stamp_t, off_t, a, gen)
        day = article_day[a] if by_date else 0
        for s in range(art_start[a], art_start[a + 1]):
            para = sent_para[s]
            if visited[s] == visit or done[para] == visit:
                continue
            visited[s] = visit
            if full:
                pv = _part(acc_p, stamp_p, off_p, para, gen)
                ob = min(own_bound, near * ratio * para_factor[para] * pv)
                if _beaten(ob + beta * pv + gamma * tv, day, worst, worst_day, by_date):
                    continue
            if stamp_s[s] != gen or excluded[s] == gen or acc_s[s] + off_s <= 0.0:
                continue
            if (len(allow_s) and allow_s[s] == 0) or (len(allow_a) and allow_a[sent_article[s]] == 0):
                continue
            out[n] = s
            n += 1
    return n


@njit(cache=True, nogil=True)
def select(p_lists, t_lists, q, lay, wt, bounds, visits, m, h, buf, key):  # pragma: no cover - compiled
    """The best `m` candidates in the rank order `key` (`_worse`) into the heap `h`; returns how many.

    `bounds.order` lists the query's term ids rarest first. Term ``order[i]``
    adds to a sentence's score only through its paragraph (which holds what
    the sentence and its neighbours hold) or its article's title, so the
    sentences of those are the ones it brings in. Sentences seen get the
    stamp `visits.visit` in `visits.visited`, paragraphs dealt with (scored,
    or cut) in `visits.done`.

    Bounds (`plan`), each with a margin over rounding: `bound_after[i]` is the
    most that terms ``order[i:]`` can add to any sentence's score (+inf: no
    cut); `own_after[i]` the most they can add to its own and its neighbours'
    scores; `title_bound` the most the title part can add (all terms). For
    the tf-saturating variants a sentence's own score is also at most
    ``ratio_after[i] * para_factor[u] * P(u)`` (`plan`; +inf where that does
    not hold), usually far tighter.
    A paragraph first reached through term i holds no earlier term (those
    were done whole), and its paragraph and title scores are known exactly,
    so it is cut whole when ``own_after[i] + paragraph * P + title * T``
    cannot beat the worst kept score; the cut stays valid as that score only
    rises, and it is taken again every `CHUNK` postings. Sentences reached
    through a title are cut one by one alike.

    Filters (`Question.allow_s`, `allow_a`) only drop candidates: the
    bounds stay valid, and a filtered-out article's paragraphs are skipped
    unread. Ordered by date (`Question.by_date`), a newer sentence beats any
    score, so nothing stops early, and a paragraph is cut when its article is
    older than the worst kept's, or as old and its bound below it.
    """
    h_id, h_score = h
    buf_ids, buf_scores = buf
    (p_ptr, p_docs), (t_ptr, t_docs) = p_lists, t_lists
    by_date, sent_article, article_day = q[7], lay[1], lay[6]  # (Question.by_date; Layout.sent_article, .article_day)
    order, bound_after, own_after, ratio_after, title_bound = bounds
    near = 1.0 + 2.0 * wt[0]  # (Weights.neighbour)
    size = 0
    for i in range(len(order)):
        t = order[i]
        for part in range(2):  # the term's paragraphs, then its titles' articles, CHUNK postings at a time
            ptr, docs = (p_ptr, p_docs) if part == 0 else (t_ptr, t_docs)
            if t < 0 or t >= len(ptr) - 1:
                continue
            for lo in range(ptr[t], ptr[t + 1], CHUNK):
                if size == m and not by_date and bound_after[i] < h_score[0]:
                    break  # nothing unvisited can reach the worst kept score (by date: a newer one can)
                full = size == m
                # what a candidate must beat: the worst kept (it rises chunk by chunk)
                cut = (full, near, own_after[i], ratio_after[i] * (1.0 + 1e-6),  # float32 weights: a wider margin
                       h_score[0] if full else 0.0, article_day[sent_article[h_id[0]]] if full and by_date else 0)
                chunk = docs[lo:min(lo + CHUNK, ptr[t + 1])]
                if part == 0:
                    n = _from_paragraphs(chunk, q, lay, wt, cut, title_bound, visits, buf_ids)
                else:
                    n = _from_titles(chunk, q, lay, wt, cut, visits, buf_ids, 0)
                served(buf_ids, n, q, lay, wt, buf_scores)
                for k in range(n):
                    size = _push(h_score, h_id, size, m, buf_scores[k], buf_ids[k], key)
    _heap_to_ranked(h_score, h_id, size, key)
    return size


@njit(cache=True, nogil=True)
def count_matches(touched_s, n_s, q, lay, all_positive):  # pragma: no cover - compiled
    """How many touched sentences match (S > 0) and pass the filters; all of them when every weight
    and offset is positive and there are no filters."""
    if all_positive:
        return n_s
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_article = lay[1]
    matched = 0
    for i in range(n_s):
        s = touched_s[i]
        if acc_s[s] + off_s <= 0.0:
            continue
        if (len(allow_s) and allow_s[s] == 0) or (len(allow_a) and allow_a[sent_article[s]] == 0):
            continue
        matched += 1
    return matched


@njit(cache=True, nogil=True)
def touched_in(articles, art_start, stamp_s, gen):  # pragma: no cover - compiled
    """How many sentences of `articles` `accumulate` touched (`Ranker.top`: the matches the filter of
    a few articles drops, when every touched sentence matches)."""
    n = 0
    for i in range(len(articles)):
        a = articles[i]
        for s in range(art_start[a], art_start[a + 1]):
            if stamp_s[s] == gen:
                n += 1
    return n


@njit(cache=True, nogil=True)
def distinct_texts(remaining, members, q, lay, sent_hash, buf):  # pragma: no cover - compiled
    """`remaining` candidates hold how many distinct texts (`Duplicates.count_distinct`).

    Only sentences whose text occurs more than once (`members`) can repeat one."""
    (acc_s, stamp_s, off_s), (acc_p, stamp_p, off_p), (acc_t, stamp_t, off_t), excluded, gen, allow_s, allow_a, by_date = q
    sent_article = lay[1]
    twins = 0
    for i in range(len(members)):
        s = members[i]
        if stamp_s[s] != gen or excluded[s] == gen or acc_s[s] + off_s <= 0.0:
            continue
        if (len(allow_s) and allow_s[s] == 0) or (len(allow_a) and allow_a[sent_article[s]] == 0):
            continue
        buf[twins] = sent_hash[s]
        twins += 1
    if twins == 0:
        return remaining
    hashes = np.sort(buf[:twins])
    unique = 1
    for i in range(1, twins):
        if hashes[i] != hashes[i - 1]:
            unique += 1
    return remaining - twins + unique


@njit(cache=True, nogil=True)
def tally(s_lists, out_terms, q, lay, touched_s, n_touched, all_positive, members, sent_hash,
          twins):  # pragma: no cover - compiled
    """(matched, remaining, distinct): `exclude`, `count_matches` and `distinct_texts` in one call."""
    hit = exclude(s_lists, out_terms, q, lay)
    matched = count_matches(touched_s, n_touched, q, lay, all_positive)
    remaining = matched - hit
    return matched, remaining, distinct_texts(remaining, members, q, lay, sent_hash, twins)


# ---- the plan of a question: constant parts, visiting order, bounds ----------------------


@njit(cache=True, nogil=True)
def _distinct_terms(terms, counts, stats, wt, order, weight, offs):  # pragma: no cover - compiled
    """The distinct valid terms into `order` (weights summed into `weight`), in question order; the
    fields' constant parts into `offs`; returns how many."""
    df, s_const, p_const, t_const, _, _, _, _, _, _ = stats
    _, paragraph, title = wt
    use_p, use_t = paragraph != 0.0, title != 0.0
    n_terms = len(df)
    off_s = 0.0
    off_p = 0.0
    off_t = 0.0
    n = 0
    for i in range(len(terms)):
        t = terms[i]
        if t < 0 or t >= n_terms:
            continue
        c = counts[i]
        off_s += s_const[t] * c
        if use_p:
            off_p += p_const[t] * c
        if use_t:
            off_t += t_const[t] * c
        j = 0
        while j < n and order[j] != t:
            j += 1
        if j < n:
            weight[j] += c
        else:
            order[n] = t
            weight[n] = c
            n += 1
    offs[0] = off_s
    offs[1] = off_p
    offs[2] = off_t
    return n


@njit(cache=True, nogil=True)
def _rarest_first(order, weight, n, df):  # pragma: no cover - compiled
    """Insertion sort of the first n terms by (df, id): a few dozen terms at most."""
    for i in range(1, n):
        t = order[i]
        w = weight[i]
        j = i - 1
        while j >= 0 and (df[order[j]] > df[t] or (df[order[j]] == df[t] and order[j] > t)):
            order[j + 1] = order[j]
            weight[j + 1] = weight[j]
            j -= 1
        order[j + 1] = t
        weight[j + 1] = w


@njit(cache=True, nogil=True)
def plan(terms, counts, stats, wt, out, offs):  # pragma: no cover - compiled
    """What `select` needs before it starts, into the arrays of `out` (a `Bounds`); returns (number of
    distinct terms, title bound).

    `offs` gets each field's constant part (`Field.offset`: BM25Plus only).
    `out.order` gets the distinct valid terms rarest first (by sentence df,
    then id), their weights summed. From each position i on, the terms can
    add at most, per term, ``count * maxS * (1 + 2 * neighbour)`` to a
    sentence's own and neighbours' scores (`own_after[i]`), and that plus
    ``count * (paragraph * maxP + title * maxT)`` in all (`bound_after[i]`;
    the title part of all terms: the title bound), with the maxima of the
    term's weights in each field, plus the constant parts. A relative margin
    of 1e-9 covers float rounding, so a cut never drops a sentence that could
    tie. Negative weights would void the bounds: then nothing is cut (+inf).

    `ratio_after[i]`: for Okapi-shaped weights ``idf * tf * (k1 + 1) / (tf +
    k1 * norm)`` (`saturating`: okapi or lucene, no constant part, the
    paragraph weighed) a sentence's weight is below ``idf_S * (k1 + 1)`` and its
    paragraph's at least ``idf_P * (k1 + 1) / (1 + k1 * norm_P)``, so a sentence
    of paragraph u scores at most ``max idf_S / idf_P * (1 + k1 * norm_P(u)) *
    P(u)`` over the terms u can hold (those from position i on); else +inf.
    """
    order, bound_after, own_after, ratio_after, _ = out
    weight = np.zeros(len(terms))
    n = _distinct_terms(terms, counts, stats, wt, order, weight, offs)
    _rarest_first(order, weight, n, stats[0])  # (TermStats.df)
    negative = min(wt[0], wt[1], wt[2], offs[0], offs[1], offs[2]) < 0.0
    for i in range(n):
        if weight[i] < 0.0:
            negative = True
    if negative:
        bound_after[:n + 1] = np.inf
        own_after[:n + 1] = np.inf
        ratio_after[:n + 1] = np.inf
        return n, np.inf
    return n, _bounds(order, weight, n, stats, wt, out, offs)


@njit(cache=True, nogil=True)
def _bounds(order, weight, n, stats, wt, out, offs):  # pragma: no cover - compiled
    """`plan`'s bounds from each position on (last to first); returns the title bound."""
    _, bound_after, own_after, ratio_after, _ = out
    _, _, _, _, mx_s, mx_p, mx_t, idf_s, idf_p, saturating = stats
    alpha, beta, gamma = wt
    off_s, off_p, off_t = offs[0], offs[1], offs[2]
    near = 1.0 + 2.0 * alpha
    margin = 1.0 + 1e-9
    own_sum = off_s * near
    all_sum = own_sum + beta * off_p + gamma * off_t
    own_after[n] = own_sum * margin
    bound_after[n] = all_sum * margin + 1e-12
    ratio_after[n] = np.inf
    title_sum = off_t
    saturating = saturating and beta > 0.0 and off_s == 0.0 and off_p == 0.0 and off_t == 0.0
    ratio = -np.inf
    for i in range(n - 1, -1, -1):
        t = order[i]
        c = weight[i]
        if saturating:
            r = idf_s[t] / idf_p[t] if idf_p[t] > 0.0 and idf_s[t] >= 0.0 else np.inf
            ratio = max(ratio, r)
            ratio_after[i] = ratio
        else:
            ratio_after[i] = np.inf
        own = c * mx_s[t] * near
        own_sum += own
        all_sum += own + c * (beta * mx_p[t] + gamma * mx_t[t])
        title_sum += c * mx_t[t]
        own_after[i] = own_sum * margin
        bound_after[i] = all_sum * margin + 1e-12
    return gamma * title_sum * margin
