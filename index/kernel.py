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
   model's score for the sentences that remain; a bounded heap keeps the best.

The arithmetic is the numpy path's, operation for operation and in the same
order (terms in question order, float32 weights widened to float64), so
scores are bit-identical to it: `tests/test_kernel.py` compares both on random
corpora. The numpy path stays for quoted phrases (which filter candidates by
their text) and as the reference.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# ---- 1. postings into dense accumulators ----------------------------------------------


@njit(cache=True, nogil=True)
def accumulate(ptr, docs, w, terms, counts, acc, stamp, touched, record, gen):  # pragma: no cover - compiled
    """Add ``count * weight`` of every posting of `terms` into `acc`; returns how many units it touched.

    The touched units are listed in `touched` only when `record` (`count_matches` needs them)."""
    n = 0
    n_terms = len(ptr) - 1
    for i in range(len(terms)):
        t = terms[i]
        if t < 0 or t >= n_terms:
            continue
        c = counts[i]
        for j in range(ptr[t], ptr[t + 1]):
            d = docs[j]
            if stamp[d] != gen:
                stamp[d] = gen
                if record:
                    touched[n] = d
                n += 1
                acc[d] = np.float64(w[j]) * c  # == 0.0 + w * c, as the numpy path sums
            else:
                acc[d] += np.float64(w[j]) * c
    return n


@njit(cache=True, nogil=True, inline="always")
def _own(s, acc_s, stamp_s, off_s, gen):  # pragma: no cover - compiled
    """A sentence's own score S, or 0 when it is no candidate (as `Field.score` + `keep`)."""
    if stamp_s[s] != gen:
        return 0.0
    v = acc_s[s] + off_s
    return v if v > 0.0 else 0.0


@njit(cache=True, nogil=True)
def exclude(ptr, docs, terms, excluded, acc_s, stamp_s, off_s, gen):  # pragma: no cover - compiled
    """Stamp the sentences holding an excluded word; returns how many of them are candidates."""
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
                if _own(d, acc_s, stamp_s, off_s, gen) > 0.0:
                    hit += 1
    return hit


# ---- 2. served scores -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def served(ids, n, acc_s, stamp_s, off_s, acc_p, stamp_p, off_p, acc_t, stamp_t, off_t,
           sent_para, sent_article, alpha, beta, gamma, gen, out):  # pragma: no cover - compiled
    """score(s) of the ranking model for the first `n` of `ids`, in `Ranker.score`'s order of operations.

    (One loop over many sentences: a compiled call per sentence, which passes
    a dozen arrays, costs more than the arithmetic.)"""
    last = len(sent_para) - 1
    for i in range(n):
        s = ids[i]
        para = sent_para[s]
        prev = 0.0
        nxt = 0.0
        if s > 0 and sent_para[s - 1] == para:
            prev = _own(s - 1, acc_s, stamp_s, off_s, gen)
        if s < last and sent_para[s + 1] == para:
            nxt = _own(s + 1, acc_s, stamp_s, off_s, gen)
        total = acc_s[s] + off_s
        total += alpha * (prev + nxt)
        p = acc_p[para] + off_p if stamp_p[para] == gen else 0.0
        total += beta * p
        a = sent_article[s]
        t = acc_t[a] + off_t if stamp_t[a] == gen else 0.0
        total += gamma * t
        out[i] = total


@njit(cache=True, nogil=True)
def candidates(ids, acc_s, stamp_s, off_s, excluded, gen, out_ok):  # pragma: no cover - compiled
    """Whether each of `ids` is a remaining candidate: it matches (S > 0) and holds no excluded word."""
    for i in range(len(ids)):
        s = ids[i]
        out_ok[i] = _own(s, acc_s, stamp_s, off_s, gen) > 0.0 and excluded[s] != gen


# ---- 3. the best m ------------------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _worse(score_a, id_a, score_b, id_b):  # pragma: no cover - compiled
    """Whether a ranks below b: lower score, or the same score and a higher id."""
    return score_a < score_b or (score_a == score_b and id_a > id_b)


@njit(cache=True, nogil=True, inline="always")
def _swap(h_score, h_id, a, b):  # pragma: no cover - compiled
    h_score[a], h_score[b] = h_score[b], h_score[a]
    h_id[a], h_id[b] = h_id[b], h_id[a]


@njit(cache=True, nogil=True)
def _push(h_score, h_id, size, m, score, s):  # pragma: no cover - compiled
    """Offer one candidate to the bounded heap (root: the worst kept); returns the new size."""
    if size < m:
        j = size
        h_score[j] = score
        h_id[j] = s
        while j > 0:
            parent = (j - 1) // 2
            if _worse(h_score[j], h_id[j], h_score[parent], h_id[parent]):
                _swap(h_score, h_id, j, parent)
                j = parent
            else:
                break
        return size + 1
    if not _worse(h_score[0], h_id[0], score, s):
        return size
    h_score[0] = score
    h_id[0] = s
    _sift_down(h_score, h_id, size, 0)
    return size


@njit(cache=True, nogil=True)
def _sift_down(h_score, h_id, size, i):  # pragma: no cover - compiled
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        child = left
        right = left + 1
        if right < size and _worse(h_score[right], h_id[right], h_score[left], h_id[left]):
            child = right
        if _worse(h_score[child], h_id[child], h_score[i], h_id[i]):
            _swap(h_score, h_id, i, child)
            i = child
        else:
            return


@njit(cache=True, nogil=True)
def _heap_to_ranked(h_score, h_id, size):  # pragma: no cover - compiled
    """Heap -> rank order, best first (repeatedly move the worst to the end)."""
    end = size
    while end > 1:
        end -= 1
        _swap(h_score, h_id, 0, end)
        _sift_down(h_score, h_id, end, 0)


@njit(cache=True, nogil=True)
def select(order, p_ptr, p_docs, t_ptr, t_docs, para_start, art_start, para_article, bound_after, own_after,
           title_bound, ratio_after, para_factor,
           acc_s, stamp_s, off_s, acc_p, stamp_p, off_p, acc_t, stamp_t, off_t,
           sent_para, sent_article, alpha, beta, gamma, excluded, gen, visited, done, visit,
           m, out_ids, out_scores, buf_ids, buf_scores):  # pragma: no cover - compiled
    """The best `m` candidates by (score desc, id asc) into `out_*`; returns how many.

    `order` lists the query's term ids rarest first. Term ``order[i]`` adds to
    a sentence's score only through its paragraph (which holds what the
    sentence and its neighbours hold) or its article's title, so the sentences
    of those are the ones it brings in. Sentences seen get the stamp `visit` in
    `visited`, paragraphs dealt with (scored, or cut) in `done`.

    Bounds, each with a margin over rounding: `bound_after[i]` is the most
    that terms ``order[i:]`` can add to any sentence's score (+inf: no cut);
    `own_after[i]` the most they can add to its own and its neighbours' scores;
    `title_bound` the most the title part can add (all terms). For the
    tf-saturating variants a sentence's own score is also at most
    ``ratio_after[i] * para_factor[u] * P(u)`` (`Ranker._visit_order`; +inf
    where that does not hold), usually far tighter.
    A paragraph first reached through term i holds no earlier term (those
    were done whole), and its paragraph and title scores are known exactly,
    so it is cut whole when ``own_after[i] + paragraph * P + title * T``
    cannot beat the worst kept score; the cut stays valid as that score only
    rises. Sentences reached through a title are cut one by one alike.
    """
    size = 0
    near = 1.0 + 2.0 * alpha
    n_para_terms = len(p_ptr) - 1
    n_title_terms = len(t_ptr) - 1
    for i in range(len(order)):
        if size == m and bound_after[i] < out_scores[0]:
            break  # nothing unvisited can reach the worst kept score
        t = order[i]
        own_bound = own_after[i]
        ratio = ratio_after[i] * (1.0 + 1e-6)  # float32 weights: a wider margin
        n = 0
        if 0 <= t < n_para_terms:
            for j in range(p_ptr[t], p_ptr[t + 1]):
                u = p_docs[j]
                if done[u] == visit:
                    continue
                done[u] = visit
                if size == m:
                    # P(u) is exact (every term was accumulated); the title first by its bound
                    pv = acc_p[u] + off_p if beta > 0.0 else 0.0
                    ob = min(own_bound, near * ratio * para_factor[u] * pv)
                    if (ob + beta * pv + title_bound) * (1.0 + 1e-9) + 1e-12 < out_scores[0]:
                        continue
                    a = para_article[u]
                    tv = acc_t[a] + off_t if stamp_t[a] == gen else 0.0
                    if (ob + beta * pv + gamma * tv) * (1.0 + 1e-9) + 1e-12 < out_scores[0]:
                        continue
                first = para_start[u]
                end = para_start[u + 1]
                for s in range(first, end):
                    if visited[s] == visit:
                        continue
                    visited[s] = visit
                    if stamp_s[s] != gen or excluded[s] == gen or acc_s[s] + off_s <= 0.0:
                        continue
                    buf_ids[n] = s
                    n += 1
        if 0 <= t < n_title_terms:
            for j in range(t_ptr[t], t_ptr[t + 1]):
                a = t_docs[j]
                tv = acc_t[a] + off_t if stamp_t[a] == gen else 0.0
                for s in range(art_start[a], art_start[a + 1]):
                    para = sent_para[s]
                    if visited[s] == visit or done[para] == visit:
                        continue
                    visited[s] = visit
                    if size == m:
                        pv = acc_p[para] + off_p if stamp_p[para] == gen else 0.0
                        ob = min(own_bound, near * ratio * para_factor[para] * pv)
                        if (ob + beta * pv + gamma * tv) * (1.0 + 1e-9) + 1e-12 < out_scores[0]:
                            continue
                    if stamp_s[s] != gen or excluded[s] == gen or acc_s[s] + off_s <= 0.0:
                        continue
                    buf_ids[n] = s
                    n += 1
        served(buf_ids, n, acc_s, stamp_s, off_s, acc_p, stamp_p, off_p, acc_t, stamp_t, off_t,
               sent_para, sent_article, alpha, beta, gamma, gen, buf_scores)
        for k in range(n):
            size = _push(out_scores, out_ids, size, m, buf_scores[k], buf_ids[k])
    _heap_to_ranked(out_scores, out_ids, size)
    return size


@njit(cache=True, nogil=True)
def count_matches(touched_s, n_s, acc_s, off_s, all_positive):  # pragma: no cover - compiled
    """How many touched sentences match (S > 0); all of them when every weight and offset is positive."""
    if all_positive:
        return n_s
    matched = 0
    for i in range(n_s):
        if acc_s[touched_s[i]] + off_s > 0.0:
            matched += 1
    return matched


@njit(cache=True, nogil=True)
def distinct_texts(remaining, members, acc_s, stamp_s, off_s, excluded, gen, sent_hash,
                   buf):  # pragma: no cover - compiled
    """`remaining` candidates hold how many distinct texts (`Duplicates.count_distinct`).

    Only sentences whose text occurs more than once (`members`) can repeat one."""
    twins = 0
    for i in range(len(members)):
        s = members[i]
        if _own(s, acc_s, stamp_s, off_s, gen) > 0.0 and excluded[s] != gen:
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


# ---- the plan of a question: constant parts, visiting order, bounds ----------------------


@njit(cache=True, nogil=True)
def plan(terms, counts, s_const, p_const, t_const, use_p, use_t, df, mx_s, mx_p, mx_t, idf_s, idf_p,
         alpha, beta, gamma, saturating, order, bound_after, own_after, ratio_after,
         offs):  # pragma: no cover - compiled
    """What `select` needs before it starts; returns (number of distinct terms, title bound).

    `offs` gets each field's constant part (`Field.offset`: BM25Plus only).
    `order` gets the distinct valid terms rarest first (by sentence df, then
    id), their weights summed. From each position i on, the terms can add at
    most, per term, ``count * maxS * (1 + 2 * neighbour)`` to a sentence's own
    and neighbours' scores (`own_after[i]`), and that plus ``count *
    (paragraph * maxP + title * maxT)`` in all (`bound_after[i]`; the title
    part of all terms: the title bound), with the maxima of the term's weights
    in each field, plus the constant parts. A relative margin of 1e-9 covers
    float rounding, so a cut never drops a sentence that could tie. Negative
    weights would void the bounds: then nothing is cut (+inf).

    `ratio_after[i]`: for Okapi-shaped weights ``idf * tf * (k1 + 1) / (tf +
    k1 * norm)`` (`saturating`: okapi or lucene, no constant part, the
    paragraph weighed) a sentence's weight is below ``idf_S * (k1 + 1)`` and its
    paragraph's at least ``idf_P * (k1 + 1) / (1 + k1 * norm_P)``, so a sentence
    of paragraph u scores at most ``max idf_S / idf_P * (1 + k1 * norm_P(u)) *
    P(u)`` over the terms u can hold (those from position i on); else +inf.
    """
    n_terms = len(df)
    off_s = 0.0
    off_p = 0.0
    off_t = 0.0
    weight = np.zeros(len(terms))
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
    for i in range(1, n):  # insertion sort by (df, id): a few dozen terms at most
        t = order[i]
        w = weight[i]
        j = i - 1
        while j >= 0 and (df[order[j]] > df[t] or (df[order[j]] == df[t] and order[j] > t)):
            order[j + 1] = order[j]
            weight[j + 1] = weight[j]
            j -= 1
        order[j + 1] = t
        weight[j + 1] = w
    negative = min(alpha, beta, gamma, off_s, off_p, off_t) < 0.0
    for i in range(n):
        if weight[i] < 0.0:
            negative = True
    if negative:
        for i in range(n + 1):
            bound_after[i] = np.inf
            own_after[i] = np.inf
            ratio_after[i] = np.inf
        return n, np.inf
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
    return n, gamma * title_sum * margin


@njit(cache=True, nogil=True)
def tally(s_ptr, s_docs, out_terms, excluded, acc_s, stamp_s, off_s, gen, touched_s, n_touched,
          all_positive, members, sent_hash, twins):  # pragma: no cover - compiled
    """(matched, remaining, distinct): `exclude`, `count_matches` and `distinct_texts` in one call."""
    hit = exclude(s_ptr, s_docs, out_terms, excluded, acc_s, stamp_s, off_s, gen)
    matched = count_matches(touched_s, n_touched, acc_s, off_s, all_positive)
    remaining = matched - hit
    return matched, remaining, distinct_texts(remaining, members, acc_s, stamp_s, off_s, excluded, gen,
                                              sent_hash, twins)
