"""The BM25 model, as rank-bm25 defines it, in vectorised form.

rank-bm25 is the reference: its classes loop over every document in Python
for every query term, which is fine for checking and far too slow for
serving. Here each variant is a pair of tiny pure functions, one for the IDF
of every term and one for the weight of every (term, document) posting, so
the weights can be computed once over numpy arrays and a query only adds up
the postings of its own terms. `tests/test_bm25_parity.py` proves the sums
equal rank-bm25's own ``get_scores``.

Variants (names as used in settings and benchmarks):

* ``okapi``  - rank-bm25 ``BM25Okapi``: IDF ``log(N-n+.5) - log(n+.5)``; a
  negative IDF (term in more than half the documents) becomes
  ``epsilon * mean(IDF)``, and a term in exactly half gets 0.
* ``lucene`` - ``BM25Okapi`` with Lucene's IDF ``log(1 + (N-n+.5)/(n+.5))``:
  never negative, no floor, monotone in n (`LuceneBM25Okapi` below).
* ``plus``   - rank-bm25 ``BM25Plus``: IDF ``log((N+1)/n)``, and every
  document, matching or not, gets ``idf * delta`` per query term; that part is
  the same for all documents, so it is kept as a per-term constant.
* ``l``      - rank-bm25 ``BM25L`` (including its extra factor ``tf``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

VARIANTS = ("okapi", "lucene", "plus", "l")


@dataclass(frozen=True, slots=True)
class BM25Params:
    variant: str = "lucene"
    k1: float = 0.3   # chosen on SQuAD tune (bench/quality.py); rank-bm25's own default is 1.5
    b: float = 0.9    # rank-bm25's own default is 0.75
    epsilon: float = 0.25   # okapi only
    delta: float | None = None  # plus (default 1.0) and l (default 0.5)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown BM25 variant {self.variant!r}; choose from {VARIANTS}")

    @property
    def delta_value(self) -> float:
        if self.delta is not None:
            return self.delta
        return 1.0 if self.variant == "plus" else 0.5

    def with_(self, **changes: object) -> "BM25Params":
        return replace(self, **changes)


def idf(df: np.ndarray, n_docs: int, params: BM25Params) -> np.ndarray:
    """IDF of every term from its document frequency (terms with df 0 get 0)."""
    df = df.astype(np.float64)
    present = df > 0
    out = np.zeros_like(df)
    n = float(n_docs)
    if params.variant == "okapi":
        raw = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
        if raw.size:
            floor = params.epsilon * (raw.sum() / raw.size)
            raw = np.where(raw < 0, floor, raw)
        out[present] = raw
    elif params.variant == "lucene":
        out[present] = np.log1p((n - df[present] + 0.5) / (df[present] + 0.5))
    elif params.variant == "plus":
        out[present] = np.log((n + 1.0) / df[present])
    else:  # "l"
        out[present] = math.log(n + 1.0) - np.log(df[present] + 0.5)
    return out


def weights(tf: np.ndarray, doc_len: np.ndarray, avgdl: float, term_idf: np.ndarray,
            params: BM25Params) -> np.ndarray:
    """Weight of each posting: what one occurrence of the term in the query adds to the document."""
    tf = tf.astype(np.float64)
    norm = length_norm(doc_len, avgdl, params)
    k1 = params.k1
    if params.variant == "l":
        ctd = tf / norm
        d = params.delta_value
        return term_idf * tf * (k1 + 1.0) * (ctd + d) / (k1 + ctd + d)
    if params.variant == "plus":
        return term_idf * (tf * (k1 + 1.0)) / (k1 * norm + tf)
    return term_idf * (tf * (k1 + 1.0)) / (tf + k1 * norm)


def length_norm(doc_len: np.ndarray, avgdl: float, params: BM25Params) -> np.ndarray:
    """BM25's length normalisation ``1 - b + b * dl / avgdl`` of each document (float64).

    One expression for `weights` and for `index.weighing`'s table by length,
    so both compute the very same float64 values."""
    return 1.0 - params.b + params.b * np.asarray(doc_len).astype(np.float64) / avgdl


def constant(term_idf: np.ndarray, params: BM25Params) -> np.ndarray:
    """What each query term adds to every document, matching or not (only BM25Plus has one)."""
    if params.variant == "plus":
        return term_idf * params.delta_value
    return np.zeros_like(term_idf)


class LuceneBM25Okapi(BM25Okapi):
    """rank-bm25's BM25Okapi with Lucene's non-negative IDF, for reference scoring."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5))
        self.average_idf = sum(self.idf.values()) / max(len(self.idf), 1)


def reference_model(corpus: list[list[str]], params: BM25Params):
    """The rank-bm25 object that `params` stands for: the slow model our scores must equal."""
    k1, b = params.k1, params.b
    if params.variant == "okapi":
        return BM25Okapi(corpus, k1=k1, b=b, epsilon=params.epsilon)
    if params.variant == "lucene":
        return LuceneBM25Okapi(corpus, k1=k1, b=b, epsilon=params.epsilon)
    if params.variant == "plus":
        return BM25Plus(corpus, k1=k1, b=b, delta=params.delta_value)
    return BM25L(corpus, k1=k1, b=b, delta=params.delta_value)
