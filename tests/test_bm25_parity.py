"""Served scores equal rank-bm25's own get_scores: the model computed the slow way."""
from __future__ import annotations

import random

import numpy as np
import pytest

from index.bm25 import VARIANTS, BM25Params, reference_model
from index.postings import Field, Postings
from index.ranking import Ranker, RankingParams


def random_corpus(rng: random.Random, n_docs: int, vocab: int) -> list[list[str]]:
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-ish: a few words in most documents (negative Okapi IDF), many rare ones
    weights = [1.0 / (i + 1) ** 1.1 for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(0, 12)) for _ in range(n_docs)]


def field_for(corpus: list[list[str]], params: BM25Params) -> tuple[Field, dict[str, int]]:
    vocab: dict[str, int] = {}
    terms, docs, tfs = [], [], []
    for d, doc in enumerate(corpus):
        counts: dict[int, int] = {}
        for w in doc:
            t = vocab.setdefault(w, len(vocab))
            counts[t] = counts.get(t, 0) + 1
        for t, c in counts.items():
            terms.append(t)
            docs.append(d)
            tfs.append(c)
    postings = Postings.from_triples(np.array(terms, np.int32), np.array(docs, np.int32),
                                     np.array(tfs, np.int64), len(vocab))
    return Field(postings, np.array([len(d) for d in corpus], np.int32), params), vocab


def served(field: Field, vocab: dict[str, int], query: list[str]) -> np.ndarray:
    counts: dict[int, float] = {}
    for w in query:
        if w in vocab:
            counts[vocab[w]] = counts.get(vocab[w], 0) + 1
    ids, scores = field.score(sorted(counts.items()))
    dense = np.full(field.n_docs, np.nan)
    dense[ids] = scores
    return dense


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", range(6))
def test_scores_equal_rank_bm25(variant: str, seed: int) -> None:
    rng = random.Random(seed)
    corpus = random_corpus(rng, rng.randint(2, 300), rng.randint(3, 60))
    if not any(corpus):
        corpus[0] = ["w0"]
    params = BM25Params(variant=variant, k1=rng.choice([0.9, 1.2, 1.5, 2.0]), b=rng.choice([0.3, 0.75, 1.0]))
    field, vocab = field_for(corpus, params)
    model = reference_model(corpus, params)
    for _ in range(20):
        # repeated terms, unknown terms, and the most common term (in over half the docs)
        query = rng.choices(list(vocab) + ["unknown"], k=rng.randint(1, 6)) + ["w0"] * rng.randint(0, 2)
        expected = np.asarray(model.get_scores(query))
        got = served(field, vocab, query)
        matched = ~np.isnan(got)
        np.testing.assert_allclose(got[matched], expected[matched], rtol=1e-6, atol=1e-9)
        # documents we do not return are exactly those rank-bm25 gives only the shared constant
        const = float(sum(field.const[vocab[w]] for w in query if w in vocab))
        # (rank-bm25 computes 0/0 = nan for an empty document when b = 1; such a document matches nothing)
        unmatched = expected[~matched]
        np.testing.assert_allclose(unmatched[~np.isnan(unmatched)], const, rtol=1e-6, atol=1e-9)


def test_okapi_floor_and_exact_half() -> None:
    # "a" is in 3 of 4 docs (negative raw IDF -> floor), "b" in exactly half (IDF 0)
    corpus = [["a", "b"], ["a", "b"], ["a", "c"], ["d"]]
    params = BM25Params(variant="okapi")
    field, vocab = field_for(corpus, params)
    model = reference_model(corpus, params)
    assert field.idf[vocab["b"]] == 0.0 == model.idf["b"]
    assert field.idf[vocab["a"]] == pytest.approx(model.idf["a"]) and model.idf["a"] > 0
    np.testing.assert_allclose(served(field, vocab, ["a", "a", "c"])[:3], model.get_scores(["a", "a", "c"])[:3])


def test_lucene_idf_never_negative_and_monotone() -> None:
    corpus = [["a"]] * 9 + [["a", "b"]]
    field, vocab = field_for(corpus, BM25Params(variant="lucene"))
    assert field.idf[vocab["a"]] > 0
    assert field.idf[vocab["b"]] > field.idf[vocab["a"]]


def test_context_model_equals_slow_computation() -> None:
    """The stated ranking model: own + neighbour*(prev+next) + paragraph*P + title*T."""
    rng = random.Random(7)
    # 3 articles x 2 paragraphs x 3 sentences
    sentences, para_of, art_of, titles = [], [], [], []
    for a in range(3):
        titles.append(rng.choices(["w1", "w2", "w3", "w9"], k=2))
        for p in range(2):
            for _ in range(3):
                sentences.append(rng.choices([f"w{i}" for i in range(10)], k=rng.randint(1, 6)))
                para_of.append(a * 2 + p)
                art_of.append(a)
    paragraphs = [sum((sentences[i] for i in range(len(sentences)) if para_of[i] == p), []) for p in range(6)]
    bm = BM25Params(variant="lucene")
    params = RankingParams(bm25=bm, neighbour=0.3, paragraph=0.2, title=0.5)
    vocab = {f"w{i}": i for i in range(10)}

    def fld(docs: list[list[str]]) -> Field:
        t, d, f = [], [], []
        for di, doc in enumerate(docs):
            for w in set(doc):
                t.append(vocab[w]); d.append(di); f.append(doc.count(w))
        post = Postings.from_triples(np.array(t, np.int32), np.array(d, np.int32), np.array(f), len(vocab))
        return Field(post, np.array([len(x) for x in docs], np.int32), bm)

    ranker = Ranker(fld(sentences), fld(paragraphs), fld(titles), np.array(para_of, np.int32),
                    np.array(art_of, np.int32), np.arange(len(sentences), dtype=np.int64), params)
    query = ["w1", "w2", "w2"]
    ids, scores = ranker.score([(1, 1.0), (2, 2.0)])
    S = reference_model(sentences, bm).get_scores(query)
    P = reference_model(paragraphs, bm).get_scores(query)
    T = reference_model(titles, bm).get_scores(query)
    for sid, score in zip(ids, scores):
        prev = S[sid - 1] if sid > 0 and para_of[sid - 1] == para_of[sid] else 0.0
        nxt = S[sid + 1] if sid + 1 < len(S) and para_of[sid + 1] == para_of[sid] else 0.0
        expected = S[sid] + 0.3 * (prev + nxt) + 0.2 * P[para_of[sid]] + 0.5 * T[art_of[sid]]
        assert score == pytest.approx(expected, rel=1e-6)
    assert set(ids.tolist()) == {i for i in range(len(S)) if S[i] > 0}
