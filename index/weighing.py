"""Each posting's BM25 weight, computed by the compiled kernels where they read it.

Why: holding a float32 weight per posting costs 4 bytes for each of the
~275M sentence and paragraph postings of a 10M-sentence index (1.1 GB of
anonymous memory, most of the resident set after load). Tantivy keeps no
weights either: it scores each posting from its term frequency, the
document's length and the term's IDF as it decodes a block. Here a field's
`Model` holds the (memory-mapped) term frequencies, each document's length as
the smallest unsigned integer that fits (10 MB for 10M sentences), a table
from length to BM25's length factor, and the terms' IDF; `weight` computes
a posting's float32 weight with the operations of `bm25.weights` in the same
order (float64, no fused multiply-add: numba does not contract without
fastmath), so it is bit-identical to the numpy reference
(`tests/test_weighing.py` checks every variant).

A posting's tf and length are also kept as one byte, ``(tf - 1) * lengths
+ length`` (`Model.codes`, 1 byte a posting where a weight took 4): for a
term with many postings, `kernel.accumulate` tables count * weight by code
first (255 values, the same arithmetic) and then reads one byte per posting
in order, where reading the tf and gathering its document's length for each
posting was measured 1.5-1.7x slower than reading held weights
(`bench/results/memory.md`).

`maxima` derives in one pass what the skipping kernel and the plan need
from all weights (each skip block's and each term's largest, the smallest
overall) without materialising them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .bm25 import BM25Params, length_norm

SATURATING, LINEAR = 0, 1  # `Model.kind`: okapi/lucene/plus (table: k1 * norm), l (table: norm)
ESCAPE = 255  # `Model.codes`: a (tf, length) pair with no code of its own


class Model(NamedTuple):
    """What `weight` reads for one field (passed as a plain tuple, `kernel.plain`)."""
    tfs: np.ndarray    # uint8 or uint16 per posting
    dlen: np.ndarray   # uint8/uint16/uint32 length of each document
    idf: np.ndarray    # float64 per term
    table: np.ndarray  # float64 per length: k1 * norm (SATURATING) or norm (LINEAR)
    kind: int
    k1: float
    k1p1: float        # k1 + 1.0, as `bm25.weights` computes it once
    delta: float       # BM25L's delta
    codes: np.ndarray  # uint8 per posting: (tf - 1) * len(table) + length where below ESCAPE (`kernel.accumulate`)


def model(tfs: np.ndarray, docs: np.ndarray, doc_len: np.ndarray, avgdl: float, idf: np.ndarray,
          params: BM25Params) -> tuple:
    """A field's `Model`, plain: lengths narrowed, the length table from `bm25.length_norm`, each
    posting's (tf, length) code."""
    top = int(doc_len.max()) if len(doc_len) else 0
    dlen = np.ascontiguousarray(doc_len, _narrowest(top))
    factor = length_norm(np.arange(top + 1), avgdl, params)
    kind = LINEAR if params.variant == "l" else SATURATING
    table = factor if kind == LINEAR else params.k1 * factor
    codes = np.empty(len(docs), np.uint8)
    encode(tfs, docs, dlen, top + 1, codes)
    return tuple(Model(tfs, dlen, np.ascontiguousarray(idf, np.float64), np.ascontiguousarray(table, np.float64),
                       kind, float(params.k1), float(params.k1 + 1.0), float(params.delta_value), codes))


@njit(cache=True, nogil=True)
def encode(tfs, docs, dlen, n_len, out):  # pragma: no cover - compiled
    """Each posting's code: ``(tf - 1) * n_len + length``, `ESCAPE` where that is not below it."""
    for j in range(len(docs)):
        code = (np.int64(tfs[j]) - 1) * n_len + np.int64(dlen[docs[j]])
        out[j] = code if 0 <= code < ESCAPE else ESCAPE


def _narrowest(top: int) -> type:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return dtype
    return np.int64


@njit(cache=True, nogil=True, inline="always")
def weight(fm, t, j, d):  # pragma: no cover - compiled
    """float32 weight of posting j (term t, document d): `bm25.weights`, operation for operation."""
    return weight_of(fm, t, np.float64(fm[0][j]), fm[1][d])


@njit(cache=True, nogil=True, inline="always")
def weight_of(fm, t, tf, length):  # pragma: no cover - compiled
    """float32 weight of term t at frequency `tf` (float64) in a document of `length`."""
    _, _, idf, table, kind, k1, k1p1, delta, _ = fm
    x = table[length]
    if kind == LINEAR:
        ctd = tf / x
        return np.float32(idf[t] * tf * k1p1 * (ctd + delta) / (k1 + ctd + delta))
    return np.float32(idf[t] * (tf * k1p1) / (tf + x))  # (BM25Plus: k1 * norm + tf, the same sum)


@njit(cache=True, nogil=True)
def span(fm, t, lo, hi, docs, out):  # pragma: no cover - compiled
    """The weights of postings lo:hi (all of term t) into `out` (tests, `Field.weights`)."""
    for j in range(lo, hi):
        out[j - lo] = weight(fm, t, j, docs[j])


@njit(cache=True, nogil=True)
def maxima(ptr, docs, fm, size, bptr, top, term_top):  # pragma: no cover - compiled
    """Each block's (`size` postings of one term, `postings.Blocks`) and each term's largest weight
    into `top` and `term_top`; returns the smallest weight (+inf without postings)."""
    low = np.float32(np.inf)
    for t in range(len(ptr) - 1):
        best = np.float32(-np.inf)
        b = bptr[t]
        for lo in range(ptr[t], ptr[t + 1], size):
            hi = min(lo + size, ptr[t + 1])
            m = np.float32(-np.inf)
            for j in range(lo, hi):
                w = weight(fm, t, j, docs[j])
                if w > m:
                    m = w
                if w < low:
                    low = w
            top[b] = m
            b += 1
            if m > best:
                best = m
        term_top[t] = best if ptr[t + 1] > ptr[t] else np.float32(0.0)
    return low
