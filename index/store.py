"""Persistence: one SQLite file for texts and metadata, .npy files for arrays.

No pickle anywhere: a tampered pickle executes code when loaded. Arrays are
read with ``allow_pickle=False`` and memory-mapped, so a loaded index costs
little resident memory and loads in a blink; texts stay on disk in SQLite.

Writes are atomic. Each build (or article addition) writes a complete new
*generation* folder aside, fsyncs it, and only then points the ``CURRENT``
file at it with ``os.replace``. A crash at any moment leaves ``CURRENT``
naming a complete generation: the old one or the new one, never a partial
one. Stale folders from crashed writes are swept by the next write.
"""
from __future__ import annotations

import contextlib
import json
import mmap
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import text_packing
from .corpus import text_hash
from .durable import fsync_dir, fsync_file, replace_durably
from .spelling import lexicon_counts

if TYPE_CHECKING:
    from collections import Counter

    from .build import Accumulator

# 2: articles.hash, the configuration in the metadata; 3: speakers, article_day; 4: articles.lang;
# 5: article texts packed (index.text_packing), term frequencies uint8 where they fit
FORMAT_VERSION = "5"
CURRENT = "CURRENT"
DB_NAME = "index.sqlite"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL, title TEXT NOT NULL, path TEXT NOT NULL,
    url TEXT, published TEXT, source TEXT, body_start INTEGER NOT NULL,
    text BLOB NOT NULL,  -- index.text_packing.pack of the text: read it as article_text(text)
    lang TEXT NOT NULL,  -- the article's language code (index.languages)
    hash INTEGER NOT NULL);  -- index.corpus.text_hash of the body: uploads are not indexed twice
CREATE INDEX articles_hash ON articles (hash);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY, article INTEGER NOT NULL, paragraph INTEGER NOT NULL,
    idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, section TEXT);
CREATE TABLE terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL);
CREATE TABLE skipped (path TEXT NOT NULL, line INTEGER, reason TEXT NOT NULL);
"""
# Surface words and their counts, for spelling (index.spelling); an index built
# before this table existed has none (spelling then derives it from the texts).
WORDS_SCHEMA = "CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;"
SCHEMA += WORDS_SCHEMA + "\n"
# Who speaks in a sentence, where the text says so (index.speakers); most sentences have no row.
SCHEMA += "CREATE TABLE speakers (sentence INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
# The preset dictionary of the packed texts (index.text_packing), decided by the first rows.
SCHEMA += text_packing.DICT_SCHEMA + "\n"

# Arrays of a generation and their dtypes; loading checks every one is present.
ARRAYS: dict[str, type] = {
    "sent_article": np.int32,  # article row of each sentence
    "sent_para": np.int32,     # global paragraph number of each sentence
    "sent_len": np.int32,      # analysed length of each sentence (BM25 doc length)
    "sent_hash": np.int64,     # hash of the normalised sentence text (same text -> one hit)
    "para_len": np.int32,
    "title_len": np.int32,     # per article
    "article_day": np.int32,   # per article: days since 1970-01-01, int32 min without a date
    "s_ptr": np.int64, "s_docs": np.int32, "s_tfs": np.uint16,
    "p_ptr": np.int64, "p_docs": np.int32, "p_tfs": np.uint16,
    "t_ptr": np.int64, "t_docs": np.int32, "t_tfs": np.uint16,
}
# Term frequencies are stored as uint8 where a field's largest one fits (most do: it halves the
# largest arrays after the postings), else as uint16 (ARRAYS); readers accept either.
NARROW_TFS = np.uint8


def tf_dtype(max_tf: int) -> type:
    """The dtype term frequencies up to `max_tf` are stored in: exact, the narrowest that holds them."""
    return NARROW_TFS if max_tf <= np.iinfo(NARROW_TFS).max else np.uint16


def stored_dtype(name: str, values: np.ndarray) -> type:
    """The dtype array `name` is saved in (`ARRAYS`, but `tf_dtype` for the term frequencies)."""
    if name.endswith("_tfs"):
        return tf_dtype(int(values.max()) if len(values) else 0)
    return ARRAYS[name]


def _accepted(name: str, dtype: np.dtype) -> bool:
    return dtype == ARRAYS[name] or (name.endswith("_tfs") and dtype == NARROW_TFS)


class IndexMissing(Exception):
    """No index has been built at this location yet."""


class IndexCorrupt(Exception):
    """The index folder exists but cannot be used (truncated, foreign, wrong version)."""


def current_generation(root: Path) -> Path:
    pointer = root / CURRENT
    if not root.exists() or not pointer.exists():
        raise IndexMissing(f"no index at {root}")
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"cannot read {pointer}: {exc}") from exc
    gen = root / name
    if not name or "/" in name or name.startswith(".") or not gen.is_dir():
        raise IndexCorrupt(f"{pointer} names a missing generation {name!r}")
    return gen


def write_generation(root: Path, fill: Callable[[Path], None]) -> Path:
    """Write a new generation with `fill(folder)`, then switch CURRENT to it atomically."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex}"  # the writer's pid: see `sweep`
    tmp.mkdir()
    try:
        fill(tmp)
        for path in tmp.iterdir():
            fsync_file(path)
        final = root / f"gen-{uuid.uuid4().hex[:12]}"
        os.rename(tmp, final)
        fsync_dir(root)
        replace_durably(root / CURRENT, (final.name + "\n").encode(), prefix=f".{CURRENT}.")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    sweep(root, keep=final.name)
    return final


_HELD: set[str] = set()   # names in an index folder this process still needs (`held`): never swept


@contextlib.contextmanager
def held(*names: str) -> Iterator[None]:
    """Keep these generation or temporary folders from `sweep` while the block runs (a merge reads
    the generation it merges and writes its folder aside while adds switch CURRENT meanwhile)."""
    fresh = [n for n in names if n not in _HELD]
    _HELD.update(fresh)
    try:
        yield
    finally:
        _HELD.difference_update(fresh)


def aside_name(purpose: str) -> str:
    """A temporary folder name of this process (`sweep` removes it once this process is gone)."""
    return f".tmp-{os.getpid()}-{purpose}-{uuid.uuid4().hex}"


def sweep(root: Path, keep: str) -> None:
    """Remove generations and temporary files other than `keep` (open readers keep working on Linux).

    A temporary folder of another process that is still running is kept: a
    full build writes into its folder for as long as it runs (`index.pipeline`).
    """
    for path in root.iterdir():
        if path.name in (keep, CURRENT) or path.name in _HELD or _live_writer(path.name):
            continue
        if path.name.startswith(("gen-", ".tmp-", f".{CURRENT}.")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _live_writer(name: str) -> bool:
    """Whether `name` is the temporary folder of another process that is still running."""
    pid = name.split("-")[1] if name.startswith(".tmp-") and name.count("-") >= 2 else ""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def save_arrays(folder: Path, arrays: dict[str, np.ndarray], names: tuple[str, ...] | None = None) -> None:
    """The index's arrays (or those `names` lists) as ``.npy`` files in `folder`."""
    for name in ARRAYS if names is None else names:
        values = np.asarray(arrays[name])
        np.save(folder / f"{name}.npy", np.ascontiguousarray(values, dtype=stored_dtype(name, values)),
                allow_pickle=False)


def load_arrays(folder: Path) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in ARRAYS.items():
        path = folder / f"{name}.npy"
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise IndexCorrupt(f"array {name} unreadable: {exc}") from exc
        if not _accepted(name, arr.dtype) or arr.ndim != 1:
            raise IndexCorrupt(f"array {name} has dtype {arr.dtype}/{arr.ndim}d, expected {np.dtype(dtype)}")
        # a plain ndarray view of the mapping: numpy.memmap slicing runs Python code
        # (memmap.__getitem__/__array_finalize__) on every access, a cost per query term
        arrays[name] = arr.view(np.ndarray) if isinstance(arr, np.memmap) else arr
    _check_shapes(arrays)
    return arrays


def release(arrays: dict[str, np.ndarray], names: tuple[str, ...]) -> None:
    """Drop the pages of these memory-mapped arrays from this process's resident set.

    For arrays read once at load (term frequencies and lengths, which only
    feed the BM25 weights) or read sparsely later (postings): the file stays
    in the OS page cache, shared and reclaimable, and a later access just maps
    the page again. Does nothing where ``madvise`` is unavailable.
    """
    drop_pages(*(arrays[name] for name in names if name in arrays))


def drop_pages(*arrays: np.ndarray) -> None:
    """`release` for arrays themselves: each one's mapping (found through its bases) is advised away."""
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is None:
        return
    for arr in arrays:
        base = arr
        while base is not None and getattr(base, "_mmap", None) is None:
            base = getattr(base, "base", None)
        mapping = getattr(base, "_mmap", None)
        if mapping is not None:
            try:
                mapping.madvise(advice)
            except (OSError, ValueError):
                pass


def _check_shapes(a: dict[str, np.ndarray]) -> None:
    n_sent = len(a["sent_article"])
    for name in ("sent_para", "sent_len", "sent_hash"):
        if len(a[name]) != n_sent:
            raise IndexCorrupt(f"array {name} has {len(a[name])} rows, expected {n_sent}")
    for prefix, n_docs in (("s", n_sent), ("p", len(a["para_len"])), ("t", len(a["title_len"]))):
        ptr, docs, tfs = a[f"{prefix}_ptr"], a[f"{prefix}_docs"], a[f"{prefix}_tfs"]
        if len(ptr) == 0 or ptr[0] != 0 or ptr[-1] != len(docs) or len(docs) != len(tfs):
            raise IndexCorrupt(f"postings {prefix} are inconsistent")
        if len(docs) and (int(docs.max()) >= n_docs or int(docs.min()) < 0):
            raise IndexCorrupt(f"postings {prefix} point outside {n_docs} documents")


def create_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
    return conn


def open_db(path: Path) -> sqlite3.Connection:
    """A read-only connection usable from any thread (queries run off the event loop), whose SQL
    reads article texts with ``article_text(a.text)`` (`index.text_packing`)."""
    if not path.exists():
        raise IndexCorrupt(f"{path.name} is missing")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(f"{path.name} is not a valid index database: {exc}") from exc
    return text_packing.register(conn)


def inherit_dictionary(conn: sqlite3.Connection, source: Path) -> None:
    """Give the new database `conn` the text dictionary of the database at `source` (a delta
    segment's rows are merged into its main's database later: they must share it)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        text_packing.copy_dictionary(src, conn)
    finally:
        src.close()


def write_meta(conn: sqlite3.Connection, meta: dict[str, object]) -> None:
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     [(k, json.dumps(v)) for k, v in meta.items()])


def read_meta(conn: sqlite3.Connection) -> dict[str, object]:
    try:
        return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}
    except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"index metadata unreadable: {exc}") from exc


def write_rows(conn: sqlite3.Connection, acc: "Accumulator", meta: dict, first_new_term: int = 0,
               hashes: Sequence[int] | None = None) -> None:
    """The metadata and what `acc` adds: articles, sentences, new terms, surface words.

    `hashes` are the articles' `text_hash` when the caller has them (reading a corpus computes them)."""
    write_meta(conn, meta)
    append_rows(conn, acc, first_new_term, hashes)
    write_words(conn, acc.words)


TEXT_COLUMN = 8   # of an `Accumulator.article_rows` row (after body_start), as of the articles table


def append_rows(conn: sqlite3.Connection, acc: "Accumulator", first_new_term: int,
                hashes: Sequence[int] | None = None) -> None:
    """The articles, sentences and new terms of `acc` (a bounded build writes one run at a time)."""
    rows = acc.article_rows
    if hashes is None:
        hashes = [text_hash(row[8][row[7]:]) for row in rows]   # the body: text from body_start
    zdict = text_packing.ensure_dictionary(
        conn, lambda: (row[TEXT_COLUMN] for row in rows[:text_packing.TRAIN_ARTICLES]))
    conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ((*row[:TEXT_COLUMN], text_packing.pack(row[TEXT_COLUMN], zdict), *row[TEXT_COLUMN + 1:], key)
                      for row, key in zip(rows, hashes, strict=True)))
    conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)", acc.iter_sentence_rows())
    conn.executemany("INSERT INTO speakers VALUES (?, ?)", acc.speaker_rows())
    conn.executemany("INSERT INTO terms VALUES (?, ?)",
                     ((first_new_term + i, t) for i, t in enumerate(acc.new_terms)))


def write_words(conn: sqlite3.Connection, words: "Counter[str]") -> None:
    conn.execute(WORDS_SCHEMA)  # absent from indexes built before it existed
    conn.executemany("INSERT INTO words VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET freq = freq + excluded.freq",
                     lexicon_counts(words).items())


def write_db(path: Path, acc: "Accumulator", meta: dict, skipped: Iterable[tuple],
             hashes: Sequence[int] | None = None) -> None:
    """A new generation's database: every row of a full build."""
    conn = create_db(path)
    with conn:
        write_rows(conn, acc, meta, hashes=hashes)
        conn.executemany("INSERT INTO skipped VALUES (?, ?, ?)", skipped)
    conn.close()


def extend_db(source: Path, path: Path, acc: "Accumulator", meta: dict, first_new_term: int) -> None:
    """A copy of the database at `source` with the rows `acc` adds (articles added to an index)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(path)
    try:
        src.backup(dst)
        with dst:
            write_rows(dst, acc, meta, first_new_term)
    finally:
        src.close()
        dst.close()
