"""The skipping top-k (`index.maxscore`) equals the dense kernel and the numpy path bit for bit.

`index.maxscore` reads a common term's postings only to look candidates up
(skip blocks of 128, galloping), stops by date once the page is full, and
counts matches with a stamp pass; `tests/test_kernel.py` runs through it for
the questions by date. Here a corpus of long articles with a small, steep
vocabulary (many terms in a large share of all sentences: lists of several
blocks, whose lookups skip) is asked questions of many common terms with
small pages, exclusions, filters and dates, once with every question through
`maxscore` (`SKIPPING = "all"`), once by date only, once dense only: all must
equal the numpy path (`Ranker.score` + `exclude` + `page`).
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from index import ranking
from index.bm25 import BM25Params
from index.engine import SearchIndex
from index.postings import BLOCK, Blocks, Field, Postings
from index.ranking import RankingParams
from tests.test_kernel import _dated, _numpy_with, _options

WORDS = ("said minister court border talks union election police river harbour crisis protest flight "
         "plane sanctions officials moscow minsk lavrov mediation opposition resume warned belarus").split()


def _article(rng: random.Random) -> str:
    weights = [1.0 / (i + 1) ** 0.7 for i in range(len(WORDS))]  # flat head: many common words
    title = " ".join(rng.choices(WORDS, weights=weights, k=rng.randint(1, 3))).title()
    paragraphs = []
    for _ in range(rng.randint(2, 7)):
        sentences = [" ".join(rng.choices(WORDS, weights=weights, k=rng.randint(3, 10))).capitalize() + "."
                     for _ in range(rng.choice([1, 2, 4, 8]))]
        if rng.random() < 0.1:
            sentences.append("Reporting by the newsroom desk.")
        paragraphs.append(" ".join(sentences))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="module")
def long_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(5)
    corpus = tmp_path_factory.mktemp("skip-corpus")
    for n in range(260):
        (corpus / f"a{n:03d}.md").write_text(_article(rng), encoding="utf-8")
    root = tmp_path_factory.mktemp("skip-index")
    SearchIndex.build(corpus, root, workers=1)
    return root


def _common_queries(index: SearchIndex, rng: random.Random, n: int) -> list:
    vocab = [index.vocab[w] for w in sorted(index.vocab)]
    df = index.ranker.df
    common = [t for t in vocab if df[t] > BLOCK]  # lists of more than one block
    assert len(common) >= 6
    out = []
    for _ in range(n):
        chosen = rng.sample(common, rng.randint(2, 6)) + rng.sample(vocab, rng.choice([0, 0, 1]))
        terms = [(t, rng.choice([1.0, 1.0, 2.0, 0.5])) for t in chosen]
        if rng.random() < 0.2:
            terms.append(terms[0])  # a repeated term adds on its own
        out.append((terms, rng.sample(vocab, rng.choice([0, 0, 1, 2]))))
    return out


@pytest.mark.parametrize("mode", ["all", "by_date", "off"])
@pytest.mark.parametrize("params", [RankingParams(), RankingParams(bm25=BM25Params(variant="plus")),
                                    RankingParams(neighbour=0.0, paragraph=0.0, title=2.0)],
                         ids=["lucene", "plus", "titles"])
def test_skipping_equals_numpy_path(long_index: Path, mode: str, params: RankingParams,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranking, "SKIPPING", mode)
    index = SearchIndex.load(long_index, params=params)
    rng = random.Random(len(mode) * 13 + int(params.title * 10))
    r = _dated(index, rng, undated=0.1, n_days=40)
    for n, (terms, excluded) in enumerate(_common_queries(index, rng, 120)):
        offset, k = [(0, 1), (0, 3), (0, 10), (2, 5), (30, 4)][n % 5]
        opts = _options(r, rng) if n % 3 else {"by_date": n % 2 == 0}
        want = _numpy_with(r, terms, excluded, offset, k, opts)
        assert r.top(terms, excluded, offset, k, **opts) == want, (terms, excluded, offset, k, opts)
    index.close()


def test_by_date_scan_and_full_scoring_agree(long_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By date, both of `maxscore.select_by_date`'s ways (scan newest first; score every match) give
    the numpy path's page, whichever the cost rule would pick."""
    index = SearchIndex.load(long_index)
    rng = random.Random(2)
    r = _dated(index, rng, undated=0.2, n_days=6)
    queries = _common_queries(index, rng, 40)
    for cost in (0, 10**12):  # never scan, always scan
        monkeypatch.setattr(ranking, "SCAN_COST", cost)
        for terms, excluded in queries:
            for offset, k in ((0, 1), (0, 10), (5, 5)):
                want = _numpy_with(r, terms, excluded, offset, k, {"by_date": True})
                assert r.top(terms, excluded, offset, k, by_date=True) == want
    index.close()


def test_blocks_hold_each_block_end_and_maximum() -> None:
    rng = np.random.default_rng(0)
    n_terms, n_docs = 7, 3000
    triples = [(t, d) for t in range(n_terms) for d in range(n_docs) if rng.random() < 0.1 * t]
    terms = np.array([t for t, _ in triples], np.int32)
    docs = np.array([d for _, d in triples], np.int32)
    post = Postings.from_triples(terms, docs, rng.integers(1, 5, len(terms)), n_terms)
    fld = Field(post, rng.integers(1, 30, n_docs).astype(np.int32), BM25Params())
    w = fld.weights
    blocks, term_top, lowest = Blocks.of(post, fld.model, size=16)
    assert lowest == w.min()
    for t in range(n_terms):
        lo, hi = int(post.ptr[t]), int(post.ptr[t + 1])
        assert term_top[t] == (w[lo:hi].max() if hi > lo else 0.0)
        starts = list(range(lo, hi, 16))
        assert blocks.ptr[t + 1] - blocks.ptr[t] == len(starts)
        for b, s in zip(range(blocks.ptr[t], blocks.ptr[t + 1]), starts):
            e = min(s + 16, hi)
            assert blocks.last[b] == post.docs[e - 1] and blocks.top[b] == w[s:e].max()
