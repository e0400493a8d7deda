"""The merge's postings, written slice by slice, equal the in-memory merge (`Postings.extended`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.postings import Postings
from index.postings_merge import chunk_postings, write_merged


def random_postings(rng: np.random.Generator, n_terms: int, n_docs: int, max_tf: int) -> Postings:
    """Sorted (term, doc) postings, each term in a random share of the docs."""
    terms, docs = [], []
    for t in range(n_terms):
        held = np.flatnonzero(rng.random(n_docs) < rng.choice([0.0, 0.02, 0.3, 0.9]))
        terms.append(np.full(len(held), t, np.int32))
        docs.append(held.astype(np.int32))
    term_of = np.concatenate(terms)
    ptr = np.zeros(n_terms + 1, np.int64)
    np.cumsum(np.bincount(term_of, minlength=n_terms), out=ptr[1:])
    tfs = rng.integers(1, max_tf + 1, len(term_of)).astype(np.uint16)
    return Postings(ptr, np.concatenate(docs), tfs)


def in_memory(main: Postings, delta: Postings, shift: int, n_terms: int, dead: np.ndarray | None) -> Postings:
    """The merge as it was done before: everything concatenated and re-sorted in memory."""
    ptr = np.concatenate([main.ptr, np.full(n_terms - main.n_terms, main.ptr[-1], np.int64)])
    both = Postings(ptr, main.docs, main.tfs).extended(delta.term_of_posting(), delta.docs + shift, delta.tfs, n_terms)
    if dead is None:
        return both
    keep = ~dead[both.docs]
    counts = np.bincount(both.term_of_posting()[keep], minlength=n_terms)
    out = np.zeros(n_terms + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return Postings(out, both.docs[keep], both.tfs[keep])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [1, 7, 100, 10**9])
def test_slices_write_what_the_in_memory_merge_gives(tmp_path: Path, seed: int, chunk: int) -> None:
    rng = np.random.default_rng(seed)
    n_main, n_delta = int(rng.integers(1, 300)), int(rng.integers(0, 40))
    main_terms = int(rng.integers(1, 30))
    n_terms = main_terms + int(rng.integers(0, 5))  # the delta brings new terms
    main = random_postings(rng, main_terms, n_main, 300 if seed % 2 else 9)
    delta = random_postings(rng, n_terms if seed % 3 else main_terms, n_delta, 12)
    dead = rng.random(n_main + n_delta) < 0.2 if seed % 2 == 0 else None
    write_merged(tmp_path, "s", main, delta, (n_main, n_terms, dead), chunk)
    got = [np.load(tmp_path / f"s_{name}.npy") for name in ("ptr", "docs", "tfs")]
    want = in_memory(main, delta, n_main, n_terms, dead)
    np.testing.assert_array_equal(got[0], want.ptr)
    np.testing.assert_array_equal(got[1], want.docs)
    np.testing.assert_array_equal(got[2], want.tfs)
    assert got[2].dtype == (np.uint8 if int(max(main.tfs.max(initial=0), delta.tfs.max(initial=0))) <= 255
                            else np.uint16)


def test_the_slice_follows_the_memory_budget() -> None:
    assert chunk_postings(1024) > chunk_postings(64) >= 65536
    assert chunk_postings(1) == 65536
