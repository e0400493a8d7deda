"""Compiled top-k that skips: block-max MaxScore over the three fields, scores looked up per candidate.

Why: `kernel.accumulate` adds every posting of every question term into
dense arrays, so a common word ("said", in a quarter of all sentences) costs
all its postings in each of the three fields, though its weight (low IDF)
can rarely lift a sentence onto the page. Here (Turtle & Flood's MaxScore,
with Ding & Suel's block maxima; numba, cached on disk):

1. `mark` stamps the sentences holding any question term, without weights
   (a byte per posting: the count of all matches, `tally`, needs them all).
2. `select` visits the terms rarest first, as `kernel.select` does: the
   paragraphs holding term i (and the articles whose title holds it) bring
   in their sentences. Such a paragraph holds none of the terms visited
   before (those paragraphs are done), so its sentences' scores have parts
   from terms i.. only; once what those can add up to (`plan`'s
   `bound_after[i]`) cannot beat the worst kept, nothing unvisited can enter
   and the common terms' postings are never read: only looked up.
3. A paragraph is first bounded without any lookup: the essential (rare)
   terms' paragraph and title postings are added up densely
   (`kernel.accumulate`), the other terms count with their maxima; then by
   its exact paragraph score, then by its exact title score; only then are
   its sentences scored. The worst kept rises with every push, so the cut
   tightens within a term.
4. Exact scores (`_exact`) look each term up in the unit's postings:
   `Blocks` is a skip list (the last doc of each block of 128 postings), so
   a lookup gallops over the block ends from where the term's previous one
   stopped (candidates come in ascending order) and searches one block. The
   weights are added in question order, as `kernel.accumulate` and the numpy
   path add them, so scores are bit-identical (`tests/test_kernel.py`).
5. By date (`select_by_date`) the articles are visited newest first
   (`day_order`) and it stops after the day on which the heap filled: an
   older sentence cannot rank above any kept. When few sentences match, it
   scores them all from their postings instead (cheaper than a scan).

It can serve the questions whose weights cannot void a bound or a match
(every weight positive, no negative field weight); `Ranker.top` sends it
those by date (`ranking.SKIPPING`): by score, looking the common terms up
was measured slower than adding them up (`index.kernel`'s docstring). Tuples and their layouts are
`index.kernel`'s (`Question`, `Layout`, `Weights`, `Bounds`), plus `Blocked`
per field and `Terms` per question below; the same measured rules apply
(plain tuples from Python, unpacked into local arrays before any loop).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .kernel import _heap_to_ranked, _push
from .postings import BLOCK
from .weighing import weight


class Blocked(NamedTuple):
    """A field's postings, what weighs them and their skip blocks (`postings.Blocks`)."""
    ptr: np.ndarray    # int64 per term + 1
    docs: np.ndarray   # int32
    fm: tuple          # the field's `weighing.Model` (plain)
    bptr: np.ndarray   # int64: term t's blocks are bptr[t]:bptr[t + 1]
    last: np.ndarray   # int32 last doc of each block
    top: np.ndarray    # float32 largest weight of each block


class Terms(NamedTuple):
    """A question's terms as `_exact` and the cuts read them (`prepare`)."""
    qt: np.ndarray      # int64 term ids, question order (repeats kept: each adds on its own)
    qc: np.ndarray      # float64 their counts
    rank_of: np.ndarray  # int64 position of each in `Bounds.order` (-1: not in the index)
    rank_c: np.ndarray  # float64 each rank's counts summed
    psum: np.ndarray    # float64 what ranks r.. can add to a paragraph score (their maxima), len n + 1
    tsum: np.ndarray    # and to a title score
    offs: np.ndarray    # float64 the fields' constant parts (`kernel.plan`)


@njit(cache=True, nogil=True)
def prepare(qt, order, n, mx_p, mx_t, out):  # pragma: no cover - compiled
    """Fill `out` (a `Terms` whose qt, qc and offs are set) for the first `n` terms of `order`."""
    _, qc, rank_of, rank_c, psum, tsum, _ = out
    for r in range(n):
        rank_c[r] = 0.0
    for i in range(len(qt)):
        rank_of[i] = -1
        for r in range(n):
            if order[r] == qt[i]:
                rank_of[i] = r
                rank_c[r] += qc[i]
    psum[n] = 0.0
    tsum[n] = 0.0
    for r in range(n - 1, -1, -1):
        psum[r] = psum[r + 1] + rank_c[r] * mx_p[order[r]]
        tsum[r] = tsum[r + 1] + rank_c[r] * mx_t[order[r]]


# ---- lookups ----------------------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _seek(last, first, end, b, x):  # pragma: no cover - compiled
    """The first block from `b` on whose last doc is >= x (`end`: none), galloping; from `first`
    again when x lies before block b."""
    if b < first or b > end or (b > first and last[b - 1] >= x):
        b = first
    if b >= end or last[b] >= x:
        return b
    lo = b
    step = 1
    hi = b + 1
    while hi < end and last[hi] < x:
        lo = hi
        step *= 2
        hi = lo + step
    if hi > end:
        hi = end
    lo += 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if last[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def _probe(ptr, docs, bptr, last, t, cur, r, x):  # pragma: no cover - compiled
    """Where doc x sits in term t's postings, -1 when absent; `cur[r]` keeps the block reached."""
    first = bptr[t]
    end = bptr[t + 1]
    b = _seek(last, first, end, cur[r], x)
    cur[r] = b
    if b >= end:
        return -1
    lo = ptr[t] + (b - first) * BLOCK
    hi = min(lo + BLOCK, ptr[t + 1])
    while lo < hi:
        mid = (lo + hi) >> 1
        if docs[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo if docs[lo] == x else -1  # (last[b] >= x: lo stays inside the block)


@njit(cache=True, nogil=True, inline="always")
def _exact(fb, terms, lo_rank, cur, x):  # pragma: no cover - compiled
    """(sum of count * weight over the question terms unit x holds, whether it holds any), in
    question order; terms ranked below `lo_rank` are known to be absent and not looked up."""
    ptr, docs, fm, bptr, last, _ = fb
    qt, qc, rank_of = terms[0], terms[1], terms[2]
    v = 0.0
    has = False
    for i in range(len(qt)):
        r = rank_of[i]
        if r < lo_rank:
            continue
        j = _probe(ptr, docs, bptr, last, qt[i], cur, r, x)
        if j >= 0:
            v += np.float64(weight(fm, qt[i], j, x)) * qc[i]
            has = True
    return v, has


@njit(cache=True, nogil=True, inline="always")
def _own_bound(own, ratio, factor, pv, near):  # pragma: no cover - compiled
    """`kernel.select`'s bound on a sentence's own and neighbours' part (the ratio bound: `plan`)."""
    if ratio == np.inf:
        return own
    return min(own, near * ratio * (1.0 + 1e-6) * factor * pv)  # float32 weights: a wider margin


@njit(cache=True, nogil=True, inline="always")
def _below(bound, worst):  # pragma: no cover - compiled
    """Whether a score of at most `bound` (plus a margin over rounding) ranks below `worst`."""
    return bound * (1.0 + 1e-9) + 1e-12 < worst


# ---- scores -----------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _score_one(s, ctx, cur):  # pragma: no cover - compiled
    """score(s) of the ranking model, every term looked up (`kernel.served`'s order of operations)."""
    fields, terms, q, lay, wt, _ = ctx
    fs, fp, ft = fields
    offs = terms[6]
    stamp_s, gen = q[0][1], q[4]
    sent_para, sent_article = lay[0], lay[1]
    alpha, beta, gamma = wt
    cur_s, cur_p, cur_t = cur
    para = sent_para[s]
    prev = 0.0
    nxt = 0.0
    if alpha != 0.0:  # (alpha 0: adds 0.0 * 0.0, as the dense path's 0.0 * (prev + next))
        if s > 0 and sent_para[s - 1] == para and stamp_s[s - 1] == gen:
            v, _ = _exact(fs, terms, 0, cur_s, s - 1)
            prev = max(v + offs[0], 0.0)
        if s + 1 < len(sent_para) and sent_para[s + 1] == para and stamp_s[s + 1] == gen:
            v, _ = _exact(fs, terms, 0, cur_s, s + 1)
            nxt = max(v + offs[0], 0.0)
    v, _ = _exact(fs, terms, 0, cur_s, s)
    total = v + offs[0]
    total += alpha * (prev + nxt)
    pv = 0.0
    if beta != 0.0:
        v, has = _exact(fp, terms, 0, cur_p, para)
        pv = v + offs[1] if has else 0.0
    total += beta * pv
    tv = 0.0
    if gamma != 0.0:
        v, has = _exact(ft, terms, 0, cur_t, sent_article[s])
        tv = v + offs[2] if has else 0.0
    total += gamma * tv
    return total


@njit(cache=True, nogil=True)
def served(ids, ctx, cur, out, ok):  # pragma: no cover - compiled
    """Each of `ids`' score into `out`, and whether it is a remaining candidate (it holds a term and
    no excluded word, and passes the filters) into `ok`: a hit's duplicates (`Ranker._others`)."""
    q, lay = ctx[2], ctx[3]
    stamp_s, excluded, gen, allow_s, allow_a = q[0][1], q[3], q[4], q[5], q[6]
    sent_article = lay[1]
    for i in range(len(ids)):
        s = ids[i]
        good = stamp_s[s] == gen and excluded[s] != gen
        if good and len(allow_s):
            good = allow_s[s] != 0
        if good and len(allow_a):
            good = allow_a[sent_article[s]] != 0
        ok[i] = good
        out[i] = _score_one(s, ctx, cur) if good else 0.0


@njit(cache=True, nogil=True, inline="always")
def _visit(u, r0, ctx, cur, visits, heap, size, sbuf, key):  # pragma: no cover - compiled
    """Push the sentences of paragraph u, which holds no term ranked before `r0`, unless its exact
    paragraph and title scores show none can rank; returns the heap's size."""
    fields, terms, q, lay, wt, bounds = ctx
    fs, fp, ft = fields
    tsum, offs = terms[5], terms[6]
    stamp_s, excluded, gen, allow_s = q[0][1], q[3], q[4], q[5]
    para_start, para_article, para_factor = lay[2], lay[4], lay[5]
    alpha, beta, gamma = wt
    h_id, h_score, m = heap
    visited, visit = visits[0], visits[2]
    s_val, s_has = sbuf
    near = 1.0 + 2.0 * alpha
    pv = 0.0
    if beta != 0.0:
        v, has = _exact(fp, terms, r0, cur[1], u)
        pv = v + offs[1] if has else 0.0
    ob = _own_bound(bounds[2][r0], bounds[3][r0], para_factor[u], pv, near)
    if size == m and _below(ob + beta * pv + gamma * (tsum[r0] + offs[2]), h_score[0]):
        return size
    tv = 0.0
    if gamma != 0.0:
        v, has = _exact(ft, terms, r0, cur[2], para_article[u])
        tv = v + offs[2] if has else 0.0
    if size == m and _below(ob + beta * pv + gamma * tv, h_score[0]):
        return size
    s0, s1 = para_start[u], para_start[u + 1]
    for s in range(s0, s1):
        visited[s] = visit
        has = stamp_s[s] == gen  # (`mark`: it holds a term; else no lookups)
        v = 0.0
        if has:
            v, has = _exact(fs, terms, r0, cur[0], s)
        s_val[s - s0] = v + offs[0]
        s_has[s - s0] = has
    for s in range(s0, s1):
        i = s - s0
        if not s_has[i] or excluded[s] == gen or s_val[i] <= 0.0 or (len(allow_s) and allow_s[s] == 0):
            continue
        prev = s_val[i - 1] if i > 0 and s_has[i - 1] and s_val[i - 1] > 0.0 else 0.0
        nxt = s_val[i + 1] if s + 1 < s1 and s_has[i + 1] and s_val[i + 1] > 0.0 else 0.0
        total = s_val[i]
        total += alpha * (prev + nxt)
        total += beta * pv
        total += gamma * tv
        size = _push(h_score, h_id, size, m, total, s, key)
    return size


@njit(cache=True, nogil=True, inline="always")
def _cheap_bound(pv_ub, tv_ub, own, ratio, factor, alpha, beta, gamma):  # pragma: no cover - compiled
    """A paragraph's bound before any lookup, from bounds on its paragraph and title scores."""
    return _own_bound(own, ratio, factor, pv_ub, 1.0 + 2.0 * alpha) + beta * pv_ub + gamma * tv_ub


# ---- the best m -------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _paragraphs_of(i, e, ctx, cur, visits, heap, size, sbuf, key):  # pragma: no cover - compiled
    """Rank i's paragraphs (`select`); returns the heap's size, negative (-1 - size) to stop."""
    fields, terms, q, lay, wt, bounds = ctx
    p_ptr, p_docs, p_fm = fields[1][0], fields[1][1], fields[1][2]
    rank_c, psum, tsum, offs = terms[3], terms[4], terms[5], terms[6]
    (acc_p, stamp_p, _), (acc_t, stamp_t, _), gen, allow_a = q[1], q[2], q[4], q[6]
    para_article, para_factor = lay[4], lay[5]
    alpha, beta, gamma = wt
    order, bound_after, own_after, ratio_after = bounds[0], bounds[1], bounds[2], bounds[3]
    done, visit = visits[1], visits[2]
    h_score, m = heap[1], heap[2]
    t = order[i]
    rest, tv_ub = psum[max(i + 1, e)] + offs[1], tsum[max(i, e)] + offs[2]
    for j in range(p_ptr[t], p_ptr[t + 1]):
        u = p_docs[j]
        if done[u] == visit:
            continue
        done[u] = visit
        if len(allow_a) and allow_a[para_article[u]] == 0:
            continue  # filtered out: its sentences are no candidates
        if size == m:
            if bound_after[i] < h_score[0]:
                return -1 - size  # nothing unvisited can reach the worst kept any more
            if i < e:  # the essential terms' exact sums (`select`), the others' maxima
                pv_ub = (acc_p[u] if stamp_p[u] == gen else 0.0) + rest
                a = para_article[u]
                tv_ub = (acc_t[a] if stamp_t[a] == gen else 0.0) + tsum[e] + offs[2]
            else:
                pv_ub = rank_c[i] * np.float64(weight(p_fm, t, j, u)) + rest
            if _below(_cheap_bound(pv_ub, tv_ub, own_after[i], ratio_after[i], para_factor[u], alpha, beta,
                                   gamma), h_score[0]):
                continue
        size = _visit(u, i, ctx, cur, visits, heap, size, sbuf, key)
    return size


@njit(cache=True, nogil=True)
def _titles_of(i, e, ctx, cur, visits, heap, size, sbuf, key):  # pragma: no cover - compiled
    """Then the paragraphs not yet done of the articles whose title holds rank i's term."""
    fields, terms, q, lay, wt, bounds = ctx
    t_ptr, t_docs, t_fm = fields[2][0], fields[2][1], fields[2][2]
    rank_c, psum, tsum, offs = terms[3], terms[4], terms[5], terms[6]
    (acc_p, stamp_p, _), (acc_t, stamp_t, _), gen, allow_a = q[1], q[2], q[4], q[6]
    sent_para, art_start, para_factor = lay[0], lay[3], lay[5]
    alpha, beta, gamma = wt
    order, own_after, ratio_after = bounds[0], bounds[2], bounds[3]
    done, visit = visits[1], visits[2]
    h_score, m = heap[1], heap[2]
    t = order[i]
    rest = psum[max(i + 1, e)] + offs[1]  # (its paragraphs not done hold no term ranked <= i)
    for j in range(t_ptr[t], t_ptr[t + 1]):
        a = t_docs[j]
        if (len(allow_a) and allow_a[a] == 0) or art_start[a] == art_start[a + 1]:
            continue
        if i < e:
            tv_ub = (acc_t[a] if stamp_t[a] == gen else 0.0) + tsum[e] + offs[2]
        else:
            tv_ub = rank_c[i] * np.float64(weight(t_fm, t, j, a)) + tsum[i + 1] + offs[2]
        for u in range(sent_para[art_start[a]], sent_para[art_start[a + 1] - 1] + 1):
            if done[u] == visit:
                continue
            done[u] = visit
            pv_ub = rest + (acc_p[u] if i < e and stamp_p[u] == gen else 0.0)
            if size == m and _below(_cheap_bound(pv_ub, tv_ub, own_after[i], ratio_after[i], para_factor[u],
                                                 alpha, beta, gamma), h_score[0]):
                continue
            size = _visit(u, i, ctx, cur, visits, heap, size, sbuf, key)
    return size


@njit(cache=True, nogil=True)
def select(ctx, cur, visits, heap, sbuf, key, e):  # pragma: no cover - compiled
    """The best `heap[2]` candidates by score (`kernel._worse` with `key`) into the heap; returns
    how many. `ctx`: (fields as `Blocked`, `Terms`, `Question`, `Layout`, `Weights`, `Bounds`);
    `cur`: a lookup cursor per field and rank; `sbuf`: one paragraph's sentence scores.

    The essential terms (ranks below `e`, the rare ones) have their paragraph
    and title postings added up in the Question's paragraph and title units
    (`kernel.accumulate`, any order: only bounds read them), so a paragraph
    they bring in is bounded by their sums plus the other terms' maxima
    before any lookup; the sentence unit's stamps are `mark`'s."""
    bound_after = ctx[5][1]
    h_id, h_score, m = heap
    size = 0
    for i in range(len(ctx[5][0])):
        if size == m and bound_after[i] < h_score[0]:
            break
        size = _paragraphs_of(i, e, ctx, cur, visits, heap, size, sbuf, key)
        if size < 0:
            size = -1 - size
            break
        size = _titles_of(i, e, ctx, cur, visits, heap, size, sbuf, key)
    _heap_to_ranked(h_score, h_id, size, key)
    return size


@njit(cache=True, nogil=True)
def select_by_date(s_lists, ctx, cur, day_order, scan, visits, heap, key):  # pragma: no cover - compiled
    """The best `heap[2]` by date (newest article first, then score, then id) into the heap.

    `scan`: articles newest first (`day_order`), stopping after the day the
    heap filled on; else every candidate from the terms' sentence postings."""
    q, lay = ctx[2], ctx[3]
    stamp_s, excluded, gen, allow_s, allow_a = q[0][1], q[3], q[4], q[5], q[6]
    sent_article, art_start, article_day = lay[1], lay[3], lay[6]
    ptr, docs = s_lists
    order = ctx[5][0]
    visited, visit = visits[0], visits[2]
    h_id, h_score, m = heap
    size = 0
    if scan:
        for k in range(len(day_order)):
            a = day_order[k]
            if size == m and article_day[a] != article_day[day_order[k - 1]]:
                break  # every older sentence ranks below every kept one
            if len(allow_a) and allow_a[a] == 0:
                continue
            for s in range(art_start[a], art_start[a + 1]):
                if stamp_s[s] != gen or excluded[s] == gen or (len(allow_s) and allow_s[s] == 0):
                    continue
                visited[s] = visit
                size = _push(h_score, h_id, size, m, _score_one(s, ctx, cur), s, key)
    else:
        for r in range(len(order)):
            t = order[r]
            for j in range(ptr[t], ptr[t + 1]):
                s = docs[j]
                if visited[s] == visit:
                    continue
                visited[s] = visit
                if excluded[s] == gen or (len(allow_s) and allow_s[s] == 0) or (
                        len(allow_a) and allow_a[sent_article[s]] == 0):
                    continue
                size = _push(h_score, h_id, size, m, _score_one(s, ctx, cur), s, key)
    _heap_to_ranked(h_score, h_id, size, key)
    return size


# ---- the count of all matches -------------------------------------------------------------


@njit(cache=True, nogil=True)
def mark(lists, terms, stamp, touched, record, gen):  # pragma: no cover - compiled
    """Stamp `gen` on every sentence holding one of `terms`; returns how many (listed in `touched`
    when `record`: the filters need them)."""
    ptr, docs = lists
    n_terms = len(ptr) - 1
    n = 0
    for i in range(len(terms)):
        t = terms[i]
        if t < 0 or t >= n_terms:
            continue
        for j in range(ptr[t], ptr[t + 1]):
            d = docs[j]
            if stamp[d] != gen:
                stamp[d] = gen
                if record:
                    touched[n] = d
                n += 1
    return n


@njit(cache=True, nogil=True)
def tally(s_lists, out_terms, q, lay, touched, n_touched, filtered, members, sent_hash,
          twins):  # pragma: no cover - compiled
    """(matched, remaining, distinct) over the marked sentences: `kernel.tally` for `mark`."""
    ptr, docs = s_lists
    stamp_s, excluded, gen, allow_s, allow_a = q[0][1], q[3], q[4], q[5], q[6]
    sent_article = lay[1]
    matched = n_touched
    if filtered:
        matched = 0
        for i in range(n_touched):
            s = touched[i]
            if not ((len(allow_s) and allow_s[s] == 0) or (len(allow_a) and allow_a[sent_article[s]] == 0)):
                matched += 1
    hit = 0
    for i in range(len(out_terms)):
        t = out_terms[i]
        if t < 0 or t >= len(ptr) - 1:
            continue
        for j in range(ptr[t], ptr[t + 1]):
            d = docs[j]
            if excluded[d] != gen:
                excluded[d] = gen
                if stamp_s[d] == gen and not ((len(allow_s) and allow_s[d] == 0) or (
                        len(allow_a) and allow_a[sent_article[d]] == 0)):
                    hit += 1
    remaining = matched - hit
    dup = 0
    for i in range(len(members)):
        s = members[i]
        if stamp_s[s] != gen or excluded[s] == gen or (len(allow_s) and allow_s[s] == 0) or (
                len(allow_a) and allow_a[sent_article[s]] == 0):
            continue
        twins[dup] = sent_hash[s]
        dup += 1
    if dup == 0:
        return matched, remaining, remaining
    hashes = np.sort(twins[:dup])
    unique = 1
    for i in range(1, dup):
        if hashes[i] != hashes[i - 1]:
            unique += 1
    return matched, remaining, remaining - dup + unique
