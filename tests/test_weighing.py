"""The compiled kernels weigh each posting as they read it (`index.weighing`): the weights must
be the numpy reference's (`bm25.weights`, `Field.weights`) bit for bit, in every variant, with
uint8 and uint16 term frequencies and any document length, delta segments' frozen statistics too."""
from __future__ import annotations

import numpy as np
import pytest

from index.bm25 import VARIANTS, BM25Params, weights
from index.postings import Field, Postings
from index.segments import FrozenField
from index import kernel
from index.weighing import ESCAPE, span

PARAMS = [{}, {"k1": 1.5, "b": 0.75}, {"k1": 0.0, "b": 0.3}, {"k1": 2.2, "b": 1.0, "delta": 0.7}, {"b": 0.0}]


def _field(rng: np.random.Generator, tf_dtype: type, n_docs: int = 500, n_terms: int = 60,
           variant: str = "lucene", **params: float) -> Field:
    pairs = {(int(t), int(d)) for t, d in zip(rng.integers(0, n_terms, 4000), rng.integers(0, n_docs, 4000))}
    terms = np.array([t for t, _ in pairs], np.int32)
    docs = np.array([d for _, d in pairs], np.int32)
    top = np.iinfo(tf_dtype).max
    tfs = np.where(rng.random(len(pairs)) < 0.05, rng.integers(1, top + 1, len(pairs)), rng.integers(1, 4, len(pairs)))
    post = Postings.from_triples(terms, docs, tfs, n_terms)
    post = Postings(post.ptr, post.docs, post.tfs.astype(tf_dtype))
    lengths = rng.integers(1, 70000 if tf_dtype == np.uint16 else 200, n_docs).astype(np.int32)
    return Field(post, lengths, BM25Params(variant=variant, **params))


def _compiled(fld: Field) -> np.ndarray:
    post = fld.postings
    out = np.empty(len(post.docs), np.float32)
    for t in range(post.n_terms):
        lo, hi = int(post.ptr[t]), int(post.ptr[t + 1])
        part = np.empty(hi - lo, np.float32)
        span(fld.model, t, lo, hi, post.docs, part)
        out[lo:hi] = part
    return out


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("tf_dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("params", PARAMS)
def test_compiled_weights_equal_the_numpy_reference_bitwise(variant: str, tf_dtype: type, params: dict) -> None:
    fld = _field(np.random.default_rng(len(variant) + len(params)), tf_dtype, variant=variant, **params)
    post = fld.postings
    ref = weights(post.tfs, fld.doc_len[post.docs], fld.avgdl, np.repeat(fld.idf, post.df()),
                  fld.params).astype(np.float32)
    assert np.array_equal(fld.weights, ref)
    got = _compiled(fld)
    assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))
    for t in (0, 7, 59):  # and the numpy path's spans
        lo, hi = int(post.ptr[t]), int(post.ptr[t + 1])
        assert np.array_equal(fld.weights_at(t, slice(lo, hi)), ref[lo:hi])


@pytest.mark.parametrize("variant", VARIANTS)
def test_frozen_field_weighs_with_the_main_statistics(variant: str) -> None:
    rng = np.random.default_rng(11)
    main = _field(rng, np.uint16, variant=variant)
    delta = _field(rng, np.uint8, n_docs=40, n_terms=80, variant=variant)
    frozen = FrozenField(delta.postings, delta.doc_len, main.params, main)
    post = frozen.postings
    ref = weights(post.tfs, frozen.doc_len[post.docs], main.avgdl, np.repeat(frozen.idf, post.df()),
                  main.params).astype(np.float32)
    assert np.array_equal(_compiled(frozen), ref)
    assert frozen.lowest == ref.min() and frozen.term_top[3] == ref[post.ptr[3]:post.ptr[4]].max()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("tf_dtype", [np.uint8, np.uint16])
def test_accumulate_tabled_by_code_equals_the_held_weights(variant: str, tf_dtype: type) -> None:
    """Long lists go through `Model.codes`' table (`kernel.accumulate`), short ones are weighed one by one."""
    rng = np.random.default_rng(5)
    n_docs, n_terms = 6000, 4
    terms = np.repeat(np.arange(n_terms, dtype=np.int32), [5000, 3000, 40, 1])
    docs = np.concatenate([np.sort(rng.choice(n_docs, k, replace=False)) for k in (5000, 3000, 40, 1)]).astype(np.int32)
    tfs = np.where(rng.random(len(docs)) < 0.9, 1, rng.integers(1, 12, len(docs)))
    post = Postings.from_triples(terms, docs, tfs, n_terms)
    post = Postings(post.ptr, post.docs, post.tfs.astype(tf_dtype))
    fld = Field(post, rng.integers(1, 90, n_docs).astype(np.int32), BM25Params(variant=variant))
    assert len(post.df()) == n_terms and kernel.TABLE_MIN * ESCAPE < 3000
    q = np.array([0, 2, 1, 3, 0], np.int64)
    counts = np.array([1.0, 2.0, 0.5, 1.0, 1.3])
    acc, stamp, touched = np.zeros(n_docs), np.zeros(n_docs, np.uint8), np.zeros(n_docs, np.int32)
    n = kernel.accumulate((post.ptr, post.docs), fld.model, q, counts, acc, stamp, touched, True, 1)
    want = np.zeros(n_docs)
    seen = np.zeros(n_docs, bool)
    w = fld.weights
    for t, c in zip(q, counts):
        lo, hi = post.ptr[t], post.ptr[t + 1]
        for j in range(lo, hi):
            d = post.docs[j]
            want[d] = np.float64(w[j]) * c if not seen[d] else want[d] + np.float64(w[j]) * c
            seen[d] = True
    assert n == seen.sum() and set(touched[:n]) == set(np.flatnonzero(seen))
    assert np.array_equal(acc[seen], want[seen])
