"""Sorted runs of postings on disk, and their merge: the external-merge half of a bounded build.

A *run* is one field's postings for a stretch of consecutive documents, in
CSR order (by term, then document), written as three raw files: ``ptr``
(int64, one more than the terms known when it was written), ``docs`` (int32)
and ``tfs`` (uint16; the merged file uint8 when every tf fits). Because runs cover consecutive documents in corpus
order, a term's final list is its lists in run order, one after the other:
the merge never compares documents. It walks the terms in chunks of about
`MERGE_CHUNK` postings, reads each run's slice of that chunk with plain
reads (not memory maps, whose pages would count as resident) and appends
the merged chunk to the output ``.npy`` file, so its memory is one chunk
whatever the corpus size. The result equals `Postings.from_triples` over all
triples at once (`tests/test_scale_build.py`).
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .postings import Postings
from .store import tf_dtype

MERGE_CHUNK = 4_000_000  # postings per merge step (about 40 MB of arrays in flight)
PARTS = (("ptr", np.int64), ("docs", np.int32), ("tfs", np.uint16))


@dataclass(frozen=True)
class Run:
    """One spilled run: where its files are, how many terms its ``ptr`` covers and its largest tf
    (the merged ``tfs`` are stored in the narrowest dtype that holds every run's: `store.tf_dtype`)."""

    stem: Path
    n_terms: int
    max_tf: int = 0

    def file(self, part: str) -> Path:
        return self.stem.with_name(f"{self.stem.name}.{part}")


def write_run(stem: Path, postings: Postings) -> Run:
    for part, dtype in PARTS:
        np.ascontiguousarray(getattr(postings, part), dtype=dtype).tofile(stem.with_name(f"{stem.name}.{part}"))
    return Run(stem, postings.n_terms, int(postings.tfs.max()) if len(postings.tfs) else 0)


def remove_run(run: Run) -> None:
    for part, _ in PARTS:
        run.file(part).unlink(missing_ok=True)


def merged_ptr(runs: list[Run], n_terms: int) -> np.ndarray:
    """The final CSR pointer: every run's per-term counts added up (one run read at a time)."""
    counts = np.zeros(n_terms, dtype=np.int64)
    for run in runs:
        counts[:run.n_terms] += np.diff(np.fromfile(run.file("ptr"), dtype=np.int64))
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


def merge_runs(runs: list[Run], n_terms: int, folder: Path, prefix: str, chunk: int = MERGE_CHUNK) -> None:
    """Write ``{prefix}_ptr/_docs/_tfs.npy`` in `folder`: the runs' postings merged by term."""
    ptr = merged_ptr(runs, n_terms)
    save_npy(folder / f"{prefix}_ptr.npy", ptr)
    total = int(ptr[-1])
    with NpyWriter(folder / f"{prefix}_docs.npy", np.int32, total) as docs_out, \
            NpyWriter(folder / f"{prefix}_tfs.npy", tf_dtype(max((r.max_tf for r in runs), default=0)),
                      total) as tfs_out, \
            RunReaders(runs) as readers:
        for t0, t1 in term_chunks(ptr, chunk):
            docs, tfs = readers.chunk(t0, t1)
            docs_out.write(docs)
            tfs_out.write(tfs)


def term_chunks(ptr: np.ndarray, chunk: int) -> Iterator[tuple[int, int]]:
    """Term ranges of about `chunk` postings each (a single larger term is a range of its own)."""
    n_terms, t0 = len(ptr) - 1, 0
    while t0 < n_terms:
        t1 = int(np.searchsorted(ptr, ptr[t0] + chunk, side="right")) - 1
        t1 = min(max(t1, t0 + 1), n_terms)
        yield t0, t1
        t0 = t1


class RunReaders:
    """Open files of every run, read slice by slice as the merge advances through the terms."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs
        self.files: list[dict[str, BinaryIO]] = []

    def __enter__(self) -> "RunReaders":
        self.files = [{part: open(run.file(part), "rb") for part, _ in PARTS} for run in self.runs]
        return self

    def __exit__(self, *exc: object) -> None:
        for files in self.files:
            for fh in files.values():
                fh.close()

    def chunk(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Docs and tfs of terms [t0, t1) over all runs, by term then document."""
        terms, docs, tfs = [], [], []
        for run, files in zip(self.runs, self.files):
            hi = min(t1, run.n_terms)
            if hi <= t0:
                continue
            bounds = _read(files["ptr"], np.int64, t0, hi - t0 + 1)
            lo_p, n = int(bounds[0]), int(bounds[-1] - bounds[0])
            if n == 0:
                continue
            terms.append(np.repeat(np.arange(t0, hi, dtype=np.int32), np.diff(bounds)))
            docs.append(_read(files["docs"], np.int32, lo_p, n))
            tfs.append(_read(files["tfs"], np.uint16, lo_p, n))
        if not terms:
            return np.zeros(0, np.int32), np.zeros(0, np.uint16)
        order = np.argsort(np.concatenate(terms), kind="stable")  # stable: run order = document order
        return np.concatenate(docs)[order], np.concatenate(tfs)[order]


def _read(fh: BinaryIO, dtype: type, start: int, count: int) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    fh.seek(start * itemsize)
    out = np.fromfile(fh, dtype=dtype, count=count)
    if len(out) != count:
        raise OSError(f"run file {fh.name} is truncated")
    return out


class NpyWriter:
    """A 1-d ``.npy`` file of known length written in appended pieces (never all in memory)."""

    def __init__(self, path: Path, dtype: type, length: int) -> None:
        self.path, self.dtype, self.length = path, np.dtype(dtype), length
        self.written = 0
        self.fh: BinaryIO | None = None

    def __enter__(self) -> "NpyWriter":
        self.fh = open(self.path, "wb")
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.length,)}
        np.lib.format.write_array_header_1_0(self.fh, header)
        return self

    def write(self, values: np.ndarray) -> None:
        self.fh.write(np.ascontiguousarray(values, dtype=self.dtype).tobytes())
        self.written += len(values)

    def copy_raw(self, source: Path) -> None:
        """Append a raw file of this dtype (a spilled column)."""
        with open(source, "rb") as fh:
            shutil.copyfileobj(fh, self.fh, 1 << 20)
        self.written += source.stat().st_size // self.dtype.itemsize

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.fh.close()
        if exc_type is None and self.written != self.length:
            raise AssertionError(f"{self.path.name}: wrote {self.written} of {self.length} values")


def save_npy(path: Path, values: np.ndarray) -> None:
    with NpyWriter(path, values.dtype.type, len(values)) as out:
        out.write(values)
