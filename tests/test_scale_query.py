"""The fast query paths equal the straightforward ones they replaced, bit for bit.

Scoring, top-k selection, de-duplication, neighbour and context lookups and
highlighting were rewritten for speed at a million sentences (see
`bench/scale.py`); each is checked here against a slow reference written
the obvious way (the code it replaced), on random data with ties, repeated
texts, repeated query terms and every BM25 variant. No test measures time.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import postings as postings_mod
from index import store
from index.analysis import DEFAULT_ANALYZER
from index.bm25 import VARIANTS, BM25Params, weights
from index.postings import Field, Postings
from index.ranking import Duplicates, Ranker, RankingParams, _order


def random_field(rng: np.random.Generator, n_docs: int, n_terms: int, variant: str = "lucene") -> Field:
    terms, docs, tfs = [], [], []
    for d in range(n_docs):
        chosen = rng.choice(n_terms, size=rng.integers(1, min(n_terms, 8) + 1), replace=False,
                            p=_zipf(n_terms))
        for t in chosen:
            terms.append(t)
            docs.append(d)
            tfs.append(int(rng.integers(1, 4)))
    post = Postings.from_triples(np.array(terms, np.int32), np.array(docs, np.int32),
                                 np.array(tfs, np.int64), n_terms)
    lengths = np.bincount(np.array(docs), weights=np.array(tfs), minlength=n_docs).astype(np.int32)
    return Field(post, lengths, BM25Params(variant=variant))


def _zipf(n: int) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1)
    return p / p.sum()


def reference_score(field: Field, term_counts: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Field.score as first written: concatenate, np.unique, bincount (or a dense bincount)."""
    ptr, docs, w = field.postings.ptr, field.postings.docs, field.weights
    parts_d, parts_w, offset = [], [], 0.0
    for term, count in term_counts:
        if term < 0 or term >= field.postings.n_terms:
            continue
        lo, hi = ptr[term], ptr[term + 1]
        if hi > lo:
            parts_d.append(docs[lo:hi])
            parts_w.append(w[lo:hi].astype(np.float64) * count)
        offset += float(field.const[term]) * count
    if not parts_d:
        return np.zeros(0, np.int32), np.zeros(0)
    if len(parts_d) == 1:
        return parts_d[0], parts_w[0] + offset
    all_d, all_w = np.concatenate(parts_d), np.concatenate(parts_w)
    uniq, inverse = np.unique(all_d, return_inverse=True)
    return uniq.astype(np.int32), np.bincount(inverse, weights=all_w) + offset


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", range(4))
def test_field_score_equals_reference_bitwise(variant: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    field = random_field(rng, int(rng.integers(1, 400)), int(rng.integers(1, 40)), variant)
    for _ in range(30):
        k = int(rng.integers(1, 7))
        query = sorted({int(t): float(rng.choice([1.0, 2.0, 0.5, 1.3])) for t in rng.integers(-2, 45, k)}.items())
        got_d, got_s = field.score(query)
        ref_d, ref_s = reference_score(field, query)
        assert np.array_equal(got_d, ref_d)
        assert got_s.dtype == np.float64 and np.array_equal(got_s, ref_s)  # same bits, same order of sums


@pytest.mark.parametrize("variant", VARIANTS)
def test_chunked_weights_equal_one_pass(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    field = random_field(rng, 300, 25, variant)
    p = field.postings
    one_pass = weights(p.tfs, field.doc_len[p.docs], field.avgdl, np.repeat(field.idf, p.df()),
                       field.params).astype(np.float32)
    for chunk in (1, 7, 64, 1 << 16):
        monkeypatch.setattr(postings_mod, "WEIGHT_CHUNK", chunk)
        fresh = Field(p, field.doc_len, field.params)
        assert np.array_equal(fresh.weights, one_pass)


def test_lookup_equals_search_and_leaves_its_buffer_clean() -> None:
    rng = np.random.default_rng(5)
    field = random_field(rng, 200, 10)
    for _ in range(20):
        scored = np.sort(rng.choice(200, int(rng.integers(0, 60)), replace=False)).astype(np.int32)
        scores = rng.random(len(scored))
        wanted = rng.integers(0, 200, 50).astype(np.int32)
        pos = np.minimum(np.searchsorted(scored, wanted), max(len(scored) - 1, 0))
        expected = (np.where(scored[pos] == wanted, scores[pos], 0.0) if len(scored)
                    else np.zeros(len(wanted)))
        assert np.array_equal(field.lookup(wanted, scored, scores), expected)
    assert not field._local.dense.any()


def reference_neighbours(sent_para: np.ndarray, ids: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Ranker._neighbours as first written (a search for each neighbour)."""
    n = len(sent_para)
    out = np.zeros(len(ids))
    para = sent_para[ids]
    for step in (-1, 1):
        nb = ids.astype(np.int64) + step
        valid = (nb >= 0) & (nb < n)
        nbc = np.clip(nb, 0, n - 1)
        valid &= sent_para[nbc] == para
        pos = np.clip(np.searchsorted(ids, nbc), 0, len(ids) - 1)
        found = valid & (ids[pos] == nbc)
        out += np.where(found, own[pos], 0.0)
    return out


def test_neighbours_equal_reference() -> None:
    rng = np.random.default_rng(11)

    class Stub:
        pass
    for _ in range(300):
        n = int(rng.integers(1, 80))
        stub = Stub()
        stub.sent_para = np.sort(rng.integers(0, n // 2 + 1, n)).astype(np.int32)
        ids = np.flatnonzero(rng.random(n) < 0.6).astype(np.int32)
        if not len(ids):
            continue
        own = rng.random(len(ids))
        assert np.array_equal(Ranker._neighbours(stub, ids, own), reference_neighbours(stub.sent_para, ids, own))


def make_ranker(sent_hash: np.ndarray) -> Ranker:
    n = len(sent_hash)
    empty = Field(Postings(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint16)),
                  np.ones(n, np.int32), BM25Params())
    return Ranker(empty, empty, empty, np.arange(n, dtype=np.int32), np.zeros(n, np.int32),
                  sent_hash, RankingParams())


def reference_page(ids: np.ndarray, scores: np.ndarray, hashes: np.ndarray, offset: int, k: int):
    """All candidates fully sorted by (score desc, id asc), grouped by text in rank order."""
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(int(hashes[ids[i]]), []).append(i)
    chosen = list(groups.values())[offset:offset + k]
    return ([int(ids[g[0]]) for g in chosen], [float(scores[g[0]]) for g in chosen],
            [tuple(int(ids[j]) for j in g[1:]) for g in chosen], len(groups))


@pytest.mark.parametrize("seed", range(40))
def test_page_equals_full_sort_and_grouping(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sent = int(rng.integers(1, 3000))
    # a few texts repeated many times (sign-offs), many unique ones
    hashes = np.where(rng.random(n_sent) < 0.2, rng.integers(0, 5, n_sent), rng.integers(10, 1 << 40, n_sent))
    ranker = make_ranker(hashes.astype(np.int64))
    ids = np.flatnonzero(rng.random(n_sent) < rng.random()).astype(np.int32)
    scores = np.round(rng.random(len(ids)) * rng.choice([3, 50, 1e6]), 0) + 1.0  # many ties at small scales
    for offset, k in ((0, 10), (0, 1), (3, 5), (20, 10), (int(rng.integers(0, 100)), 50)):
        got = ranker.page(ids, scores, offset, k)
        want = reference_page(ids, scores, ranker.sent_hash, offset, k)
        assert (list(got.ids), list(got.scores), list(got.duplicates), got.total) == want


def test_page_with_phrase_filter_equals_reference() -> None:
    rng = np.random.default_rng(99)
    hashes = rng.integers(0, 40, 2000).astype(np.int64)
    ranker = make_ranker(hashes)
    ids = np.flatnonzero(rng.random(2000) < 0.5).astype(np.int32)
    scores = np.round(rng.random(len(ids)) * 5) + 1.0
    accept = lambda sid: sid % 3 != 0  # noqa: E731
    keep = np.array([accept(int(i)) for i in ids])
    got = ranker.page(ids, scores, 2, 7, accept)
    want = reference_page(ids[keep], scores[keep], hashes, 2, 7)
    assert (list(got.ids), list(got.scores), list(got.duplicates), got.total) == want


@settings(max_examples=200, deadline=None)
@given(scores=st.lists(st.integers(0, 6), min_size=1, max_size=800), m=st.integers(1, 900))
def test_order_is_the_exact_top_m(scores: list[int], m: int) -> None:
    s = np.array(scores, dtype=np.float64)
    ids = np.arange(len(s), dtype=np.int32) * 3
    got = _order(ids, s, m)
    want = sorted(range(len(s)), key=lambda i: (-s[i], ids[i]))[:m]
    assert got.tolist() == want


def test_duplicates_count_distinct_texts() -> None:
    hashes = np.array([5, 7, 5, 9, 7, 5, 11], dtype=np.int64)
    dups = Duplicates(hashes)
    assert dups.is_dup.tolist() == [True, True, True, False, True, True, False]
    for ids in ([0, 1, 2, 3, 4, 5, 6], [3, 6], [0, 2, 5], [1, 3, 4], []):
        a = np.array(ids, dtype=np.int32)
        assert dups.count_distinct(a) == len(set(hashes[a].tolist()))
    rng = np.random.default_rng(2)  # few twins among many candidates, and the other way round
    for share in (0.001, 0.05, 0.6):
        many = np.where(rng.random(5000) < share, rng.integers(0, 30, 5000), np.arange(100, 5100)).astype(np.int64)
        big = Duplicates(many)
        for density in (0.01, 0.3, 1.0):
            a = np.flatnonzero(rng.random(5000) < density).astype(np.int32)
            assert big.count_distinct(a) == len(set(many[a].tolist()))
    ids = np.array([0, 1, 2, 5], dtype=np.int32)
    assert dups.others(2, ids, np.array([1.0, 1.0, 3.0, 2.0])) == (5, 0)
    assert dups.others(3, ids, np.ones(4)) == ()


_PIECES = ["Lavrov", "said", "ex-Soviet", "Tu-214", "3.5", "U.S.", "the", "Russia’s", "don't", "<b>",
           "&amp;", "é", "e\u0301", "\u200b", "😀", " ", "\n", ",", ".", "-", "Москва", "saying", "SAID"]


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.lists(st.sampled_from(_PIECES), max_size=30).map(" ".join)),
       query=st.lists(st.sampled_from(["lavrov", "say", "ex-soviet", "soviet", "tu-214", "3.5", "us",
                                       "russia", "москва", "e", "zzz"]), max_size=4))
def test_matching_spans_equal_token_highlights(text: str, query: list[str]) -> None:
    terms = set(query)
    slow = tuple((t.start, t.end) for t in DEFAULT_ANALYZER.tokens(text) if not terms.isdisjoint(t.terms))
    assert DEFAULT_ANALYZER.matching_spans(text, terms) == slow


def test_loaded_arrays_are_plain_views_of_the_files(tmp_path) -> None:
    arrays = {name: np.zeros(3, dtype=dtype) for name, dtype in store.ARRAYS.items()}
    for p in ("s", "p", "t"):
        arrays[f"{p}_ptr"] = np.zeros(1, np.int64)
        arrays[f"{p}_docs"] = np.zeros(0, np.int32)
        arrays[f"{p}_tfs"] = np.zeros(0, np.uint16)
    arrays["title_len"] = np.zeros(1, np.int32)
    store.save_arrays(tmp_path, arrays)
    loaded = store.load_arrays(tmp_path)
    for arr in loaded.values():
        assert type(arr) is np.ndarray and isinstance(arr.base, np.memmap)


def test_random_queries_rank_like_the_reference_pipeline() -> None:
    """End to end over Ranker.score + page on a random corpus: the same hits as full sorting."""
    rng = random.Random(4)
    nrng = np.random.default_rng(4)
    n = 500
    field = random_field(nrng, n, 30)
    hashes = np.array([rng.choice([1, 2, 3]) if rng.random() < 0.1 else rng.getrandbits(40) for _ in range(n)],
                      dtype=np.int64)
    sent_para = np.cumsum(nrng.random(n) < 0.4).astype(np.int32)
    ranker = Ranker(field, field, field, sent_para, np.zeros(n, np.int32), hashes,
                    RankingParams(neighbour=0.1))
    for _ in range(50):
        query = sorted({rng.randrange(30): 1.0 for _ in range(rng.randint(1, 4))}.items())
        ids, scores = ranker.score(query)
        assert np.all(np.diff(ids) > 0)
        got = ranker.page(ids, scores, 0, 10)
        want = reference_page(ids, scores, hashes, 0, 10)
        assert (list(got.ids), list(got.scores), list(got.duplicates), got.total) == want
