"""Two segments' postings merged straight into the new generation's files, a slice of terms at a time.

Why: merging the delta into a 10M-sentence main in memory (`Postings.extended`
over all ~275M postings: their term ids, the concatenation, a stable argsort
of int64 positions, the gathered copies) peaked at 8.2 GB of RSS, beside a
bot whose index is 1.2 GB. But every delta doc is higher than every main doc
(the delta's ids are shifted past the main's), so a term's merged list is the
main's list followed by the delta's: the output can be written term slice by
term slice, in order, into a memory-mapped ``.npy`` of known length, with
memory bounded by the slice (`chunk_postings`, from the build's
``BUILD_MEMORY_MB``), whatever the corpus size. Deleted units are dropped on
the way; a first pass counts them per term, so each file's length is known
before it is written.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .postings import Postings
from .store import drop_pages, tf_dtype

BYTES_PER_POSTING = 48  # the slice's temporaries per posting (docs, tfs, term ids, order, masks), measured roughly


def chunk_postings(memory_mb: int) -> int:
    """How many postings a slice may hold within `memory_mb` (at least 64K)."""
    return max(65536, memory_mb * 1024 * 1024 // (2 * BYTES_PER_POSTING))


def write_merged(folder: Path, prefix: str, main: Postings, delta: Postings, merge: tuple[int, int, np.ndarray | None],
                 chunk: int) -> None:
    """``{prefix}_ptr/_docs/_tfs.npy`` in `folder`: `main`'s postings and `delta`'s (docs + shift),
    for `n_terms` terms, without the postings of the `dead` docs (a bool per merged doc, or None).
    `merge` is (shift, n_terms, dead)."""
    shift, n_terms, dead = merge
    old_ptr, new_ptr = main.widened(n_terms).ptr, delta.widened(n_terms).ptr
    alive = np.diff(old_ptr) + np.diff(new_ptr)
    if dead is not None:
        alive -= _dead_per_term(main, old_ptr, 0, dead, chunk) + _dead_per_term(delta, new_ptr, shift, dead, chunk)
    ptr = np.zeros(n_terms + 1, np.int64)
    np.cumsum(alive, out=ptr[1:])
    top = max(int(main.tfs.max()) if len(main.tfs) else 0, int(delta.tfs.max()) if len(delta.tfs) else 0)
    np.save(folder / f"{prefix}_ptr.npy", ptr, allow_pickle=False)
    docs = np.lib.format.open_memmap(folder / f"{prefix}_docs.npy", mode="w+", dtype=np.int32, shape=(int(ptr[-1]),))
    tfs = np.lib.format.open_memmap(folder / f"{prefix}_tfs.npy", mode="w+", dtype=tf_dtype(top),
                                    shape=(int(ptr[-1]),))
    try:
        for t0, t1 in _slices(old_ptr, new_ptr, chunk):
            d, f = _merged_slice(main, delta, (old_ptr, new_ptr), (t0, t1), shift, dead)
            docs[ptr[t0]:ptr[t1]] = d
            tfs[ptr[t0]:ptr[t1]] = f
            docs.flush()  # (then its pages, and the inputs', leave the resident set: they stay in the
            tfs.flush()   # page cache, but resident pages of a mapping count against the merge's memory)
            drop_pages(docs, tfs, main.docs, main.tfs)
    finally:
        docs.flush()
        tfs.flush()
        del docs, tfs


def _merged_slice(main: Postings, delta: Postings, ptrs: tuple[np.ndarray, np.ndarray], terms: tuple[int, int],
                  shift: int, dead: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The merged docs and tfs of terms t0..t1-1: per term, the main's postings, then the delta's."""
    (old_ptr, new_ptr), (t0, t1) = ptrs, terms
    o0, o1, n0, n1 = int(old_ptr[t0]), int(old_ptr[t1]), int(new_ptr[t0]), int(new_ptr[t1])
    docs = np.concatenate([np.asarray(main.docs[o0:o1], np.int32), np.asarray(delta.docs[n0:n1], np.int32) + shift])
    tfs = np.concatenate([np.asarray(main.tfs[o0:o1], np.uint16), np.asarray(delta.tfs[n0:n1], np.uint16)])
    if n1 > n0:  # interleave by term (stable: the main's first, as its docs are lower)
        span = np.arange(t0, t1, dtype=np.int32)
        keys = np.concatenate([np.repeat(span, np.diff(old_ptr[t0:t1 + 1])), np.repeat(span, np.diff(new_ptr[t0:t1 + 1]))])
        order = np.argsort(keys, kind="stable")
        docs, tfs = docs[order], tfs[order]
    if dead is not None:
        keep = ~dead[docs]
        docs, tfs = docs[keep], tfs[keep]
    return docs, tfs


def _dead_per_term(p: Postings, ptr: np.ndarray, shift: int, dead: np.ndarray, chunk: int) -> np.ndarray:
    """How many postings of each term name a dead doc (docs + shift), counted slice by slice."""
    out = np.zeros(len(ptr) - 1, np.int64)
    for t0, t1 in _slices(ptr, np.zeros_like(ptr), chunk):
        lo, hi = int(ptr[t0]), int(ptr[t1])
        hit = dead[np.asarray(p.docs[lo:hi], np.int64) + shift]
        if hit.any():
            terms = np.repeat(np.arange(t0, t1), np.diff(ptr[t0:t1 + 1]))
            out[t0:t1] += np.bincount(terms[hit] - t0, minlength=t1 - t0)
    return out


def _slices(old_ptr: np.ndarray, new_ptr: np.ndarray, chunk: int) -> list[tuple[int, int]]:
    """Term ranges holding about `chunk` postings of both lists each (a term with more: alone)."""
    total = old_ptr + new_ptr
    n_terms = len(total) - 1
    out = []
    t0 = 0
    while t0 < n_terms:
        t1 = int(np.searchsorted(total, total[t0] + chunk, side="right")) - 1
        t1 = min(max(t1, t0 + 1), n_terms)
        out.append((t0, t1))
        t0 = t1
    return out
