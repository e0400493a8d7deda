"""A parallel build, and a build in a tiny memory budget, write exactly the index a single
process holding everything writes.

The build analyses batches of articles in forked worker processes and merges
them in corpus order (`index.build.accumulate`); term ids, postings, every
database row and the word counts must not depend on the number of workers or
the batch size. Also: the vectorised postings helpers equal the sort-based
originals, and a failing worker stops the build with its traceback.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index import build as build_mod
from index import config, pipeline, store
from index import runs as runs_mod
from index.analysis import DEFAULT_ANALYZER
from index.build import Accumulator, BuildWorkerError, accumulate, analyse_article, digest, full_arrays
from index.corpus import read_corpus
from index.engine import SearchIndex
from index.postings import Postings, aggregate

REPO = Path(__file__).resolve().parents[1]
SQUAD = REPO.parent / "shared" / "eval" / "squad-dev" / "docs.jsonl"

ARTICLE = """---
title: {title}
---
{name} said on Monday that round {i} of the talks in Minsk had failed. Officials left early.

The EU agreed new sanctions against {name}'s allies. "It is a sad day," {name} said.

Reporting by Anna Example; Editing by Bob Example.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~70 small articles: repeated sign-offs and titles, a markdown heading, a JSONL file."""
    root = tmp_path_factory.mktemp("corpus")
    names = ["Lavrov", "Lukashenko", "Michel", "Putin", "Tsikhanouskaya", "Merkel", "Macron"]
    for i in range(60):
        name = names[i % len(names)]
        text = ARTICLE.format(title=f"{name} story {i}", name=name, i=i)
        if i % 7 == 3:
            text += f"\n## Background\n\nThe crisis began in August {2000 + i}. Protests followed.\n"
        (root / f"a{i:03d}.txt").write_text(text, encoding="utf-8")
    lines = []
    for i in range(12):
        body = f"Item {i} about ex-Soviet Tu-{200 + i} planes. The U.S. said nothing about plane {i}."
        lines.append('{"id": "j%d", "title": "Planes %d", "text": "%s"}' % (i, i, body))
    (root / "more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def tables(generation: Path) -> dict[str, list]:
    conn = sqlite3.connect(generation / store.DB_NAME)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {name: conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall() for name in names}
    finally:
        conn.close()
    out["meta"] = [r for r in out["meta"] if r[0] not in ("built_at", "build_seconds")]
    return out


def arrays(generation: Path) -> dict[str, np.ndarray]:
    return {name: np.load(generation / f"{name}.npy", allow_pickle=False) for name in store.ARRAYS}


def test_parallel_build_equals_serial_build(corpus: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    serial, _ = SearchIndex.build(corpus, tmp_path / "serial", workers=1)
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 5)  # many batches, unevenly spread
    for workers in (2, 3):
        parallel, report = SearchIndex.build(corpus, tmp_path / f"parallel{workers}", workers=workers)
        assert report.articles == 72
        a, b = arrays(serial.generation), arrays(parallel.generation)
        for name in store.ARRAYS:
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]), name
        assert tables(serial.generation) == tables(parallel.generation)
        q = "what did Lavrov say about sanctions"
        assert [h.to_json() for h in serial.search(q, k=10).hits] == [h.to_json() for h in parallel.search(q, k=10).hits]


def test_batching_does_not_change_the_accumulator(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = read_corpus(corpus).articles
    one_by_one = Accumulator()
    for article in articles:
        one_by_one.add_batch(digest([analyse_article(article, DEFAULT_ANALYZER)], one_by_one.words), [article])
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 7)
    batched = accumulate(articles, DEFAULT_ANALYZER, workers=1)
    assert one_by_one.vocab == batched.vocab and one_by_one.new_terms == batched.new_terms
    assert one_by_one.words == batched.words
    assert list(one_by_one.iter_sentence_rows()) == list(batched.iter_sentence_rows())
    assert one_by_one.article_rows == batched.article_rows
    x, y = full_arrays(one_by_one), full_arrays(batched)
    assert all(np.array_equal(x[k], y[k]) for k in x)


def test_progress_reaches_the_total(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = read_corpus(corpus).articles
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 10)
    seen: list[int] = []
    accumulate(articles, DEFAULT_ANALYZER, progress=seen.append, workers=2)
    assert seen == sorted(seen) and seen[-1] == len(articles)


def test_failing_worker_stops_the_build(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = read_corpus(corpus).articles
    real = build_mod.analyse_article

    def broken(article, analyzer, boilerplate=None, language=None):  # noqa: ANN001, ANN202
        if article.id == "a017":
            raise ValueError("cannot analyse a017")
        return real(article, analyzer, boilerplate, language)
    monkeypatch.setattr(build_mod, "analyse_article", broken)  # inherited by the forked workers
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 4)
    with pytest.raises(BuildWorkerError, match="cannot analyse a017"):
        accumulate(articles, DEFAULT_ANALYZER, workers=2)


def reference_aggregate(terms: np.ndarray, groups: np.ndarray, tfs: np.ndarray, n_terms: int) -> Postings:
    """`aggregate` as first written: np.unique over (term, group) keys, float sums, lexsort."""
    width = int(groups.max()) + 1
    key = terms.astype(np.int64) * width + groups.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=tfs.astype(np.float64)).astype(np.int64)
    t, d = (uniq // width).astype(np.int32), (uniq % width).astype(np.int32)
    order = np.lexsort((d, t))
    counts = np.bincount(t, minlength=n_terms)
    ptr = np.zeros(n_terms + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return Postings(ptr, d[order], np.minimum(summed[order], 65535).astype(np.uint16))


@pytest.mark.parametrize("seed", range(10))
def test_aggregate_and_from_triples_equal_the_sorting_versions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_terms, n_docs = int(rng.integers(1, 50)), int(rng.integers(1, 300))
    pairs = np.unique(rng.integers(0, n_terms, 2000) * n_docs + rng.integers(0, n_docs, 2000))
    terms, docs = (pairs // n_docs).astype(np.int32), (pairs % n_docs).astype(np.int32)
    tfs = rng.integers(1, 5, len(pairs)).astype(np.int64)
    groups = (np.cumsum(rng.random(n_docs) < 0.4)[docs]).astype(np.int32)  # consecutive docs share a group
    shuffled = rng.permutation(len(terms))
    for t, g, f in ((terms, groups, tfs), (terms[shuffled], groups[shuffled], tfs[shuffled])):
        got, want = aggregate(t, g, f, n_terms), reference_aggregate(t, g, f, n_terms)
        assert np.array_equal(got.ptr, want.ptr) and np.array_equal(got.docs, want.docs)
        assert np.array_equal(got.tfs, want.tfs)
    in_order = Postings.from_triples(terms, docs, tfs, n_terms)
    shuffled_p = Postings.from_triples(terms[shuffled], docs[shuffled], tfs[shuffled], n_terms)
    assert all(np.array_equal(getattr(in_order, f), getattr(shuffled_p, f)) for f in ("ptr", "docs", "tfs"))


@pytest.mark.skipif(not SQUAD.exists(), reason="SQuAD paragraphs not available")
def test_parallel_build_equals_serial_on_real_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "squad"
    corpus.mkdir()
    lines = SQUAD.read_text(encoding="utf-8").splitlines()[:400]
    (corpus / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    serial, _ = SearchIndex.build(corpus, tmp_path / "s", workers=1)
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 16)
    parallel, _ = SearchIndex.build(corpus, tmp_path / "p", workers=2)
    a, b = arrays(serial.generation), arrays(parallel.generation)
    assert all(np.array_equal(a[k], b[k]) for k in store.ARRAYS)
    assert tables(serial.generation) == tables(parallel.generation)


# ----- the bounded-memory build (index.pipeline, index.runs) --------------------------------------
def test_a_tiny_memory_budget_builds_the_same_index_from_many_runs(corpus: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Spilled runs merged term by term equal the one-piece build: every array, every row."""
    whole, _ = SearchIndex.build(corpus, tmp_path / "whole", workers=1)   # the default budget: one run
    reference = full_arrays(accumulate(read_corpus(corpus).articles, DEFAULT_ANALYZER, workers=1))
    written: list[Path] = []
    real_write_run = pipeline.write_run
    monkeypatch.setattr(pipeline, "write_run", lambda stem, p: written.append(stem) or real_write_run(stem, p))
    monkeypatch.setattr(build_mod, "BATCH_ARTICLES", 3)
    monkeypatch.setattr(pipeline, "RUN_SHARE", 0.002)                  # 1 MB budget: 2 kB runs
    monkeypatch.setattr(pipeline, "MERGE_BYTES_PER_POSTING", 10 ** 9)   # merge chunks of one term
    for workers in (1, 2):
        written.clear()
        seen: list[tuple[int, int]] = []
        tiny, report = SearchIndex.build(corpus, tmp_path / f"tiny{workers}", workers=workers, memory_mb=1,
                                         progress=lambda done, total: seen.append((done, total)))
        assert len(written) == 3 * 24, "a run of each field after every batch of 3 articles"
        got = arrays(tiny.generation)
        for name in store.ARRAYS:
            assert got[name].dtype == store.stored_dtype(name, reference[name]), name   # uint8 tfs where they fit
            assert np.array_equal(got[name], reference[name]), name
        assert tables(tiny.generation) == tables(whole.generation)
        assert report.articles == 72 and seen[-1] == (72, 72) and seen == sorted(seen)
        assert not (tiny.generation / ".runs").exists()
        q = "what did Lavrov say about sanctions"
        assert [h.to_json() for h in tiny.search(q, k=10).hits] == [h.to_json() for h in whole.search(q, k=10).hits]


def test_an_empty_corpus_builds_an_empty_index(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "empty.txt").write_text("", encoding="utf-8")
    index, report = SearchIndex.build(tmp_path / "corpus", tmp_path / "index", memory_mb=1)
    assert report.articles == 0 and len(report.skipped) == 1
    assert index.search("anything").hits == ()


@pytest.mark.parametrize("seed", range(5))
def test_merged_runs_equal_postings_from_all_triples(seed: int, tmp_path: Path) -> None:
    """Runs of consecutive documents, with the vocabulary growing run by run, merged in chunks."""
    rng = np.random.default_rng(seed)
    runs, triples, doc0, n_terms = [], [], 0, 0
    for i in range(int(rng.integers(1, 7))):
        n_terms += int(rng.integers(0, 20))
        n_docs = int(rng.integers(0, 40))
        if n_terms == 0 or n_docs == 0:
            continue
        pairs = np.unique(rng.integers(0, n_terms, 300) * n_docs + rng.integers(0, n_docs, 300))
        t, d = (pairs // n_docs).astype(np.int32), (pairs % n_docs + doc0).astype(np.int32)
        f = rng.integers(1, 70000, len(pairs))                       # some over the uint16 cap
        runs.append(runs_mod.write_run(tmp_path / f"r{i}", Postings.from_triples(t, d, f, n_terms)))
        triples.append((t, d, f))
        doc0 += n_docs
    n_terms += 3                                                      # terms no run knew of
    for chunk in (1, 7, 10 ** 6):
        runs_mod.merge_runs(runs, n_terms, tmp_path, f"m{chunk}", chunk)
        got = [np.load(tmp_path / f"m{chunk}_{part}.npy") for part in ("ptr", "docs", "tfs")]
        cat = [np.concatenate([x[k] for x in triples]) if triples else np.zeros(0, np.int64) for k in range(3)]
        want = Postings.from_triples(cat[0].astype(np.int32), cat[1].astype(np.int32), cat[2], n_terms)
        assert np.array_equal(got[0], want.ptr) and np.array_equal(got[1], want.docs)
        assert np.array_equal(got[2], want.tfs) and got[2].dtype == store.tf_dtype(int(want.tfs.max(initial=0)))


def test_the_memory_budget_is_read_in_one_place() -> None:
    assert config.IndexConfig.from_env({}).runtime.build_memory_mb == config.DEFAULT_BUILD_MEMORY_MB
    assert config.IndexConfig.from_env({"BUILD_MEMORY_MB": "300"}).runtime.build_memory_mb == 300
    for bad in ("lots", "0"):
        with pytest.raises(ValueError, match="BUILD_MEMORY_MB"):
            config.IndexConfig.from_env({"BUILD_MEMORY_MB": bad})


def test_the_progress_bar_shows_an_eta() -> None:
    import io

    from index.progress import ProgressBar, clock, eta
    assert eta(0, 100, 5.0) is None and eta(25, 100, 10.0) == 30.0 and eta(100, 100, 9.0) == 0.0
    assert [clock(s) for s in (7, 185, 3720)] == ["7s", "3m05s", "1h02m"]
    out = io.StringIO()
    bar = ProgressBar("indexing", stream=out, force=True, min_interval=0)
    bar(10, 40)
    bar(40, 40)
    bar.close()
    first, last = out.getvalue().split("\r")[1:]
    assert "10/40 articles" in first and "ETA " in first and "ETA ?" not in first
    assert "40/40 articles" in last and "ETA 0s" in last and last.endswith("\n")
