"""Article texts compressed in the database, and read back verbatim.

The article texts were two thirds of the index on disk at 10M sentences
(1.41 GB of 4.1 GB), stored as plain TEXT in rows of about 3 KB that fill
SQLite's 4 KB pages badly. Each text is now a zlib stream (stdlib, no new
dependency) of its UTF-8 bytes, compressed against a *preset dictionary*
trained once per index from the corpus's own first articles: a single
article is too short for zlib to learn much from itself, and the dictionary
supplies the phrases it would otherwise have to spell out
(`bench/results/disk.md`: ratio 1.9 without, 2.5 with).

The dictionary is a row of the database (table ``text_dict``) and is decided
once, by the first rows a database gets; a database derived from another
(a delta segment, a merge, a tail) carries the dictionary of the one it was
derived from, so rows copied between them stay readable. zlib records the
dictionary's checksum in every stream that needs one, so a blob read with
the wrong dictionary raises instead of being misread.

Readers see plain text: every connection that reads articles has the SQL
function ``article_text(blob)`` (`register`), so the SQL that cuts sentences
out of an article (``substr``) keeps working, with a small cache so an
article's several sentences on one page are decompressed once.
"""
from __future__ import annotations

import re
import sqlite3
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

DICT_SCHEMA = "CREATE TABLE IF NOT EXISTS text_dict (id INTEGER PRIMARY KEY CHECK (id = 0), dict BLOB NOT NULL);"
DICT_BYTES = 32 * 1024   # zlib's window: a longer dictionary is not used
TRAIN_ARTICLES = 2000    # the first articles of a build train it (at 10M: 5000 gain nothing, 500 lose 1%)
LEVEL = 6                # level 9 compresses no smaller here and costs more (bench/results/disk.md)
CACHE_ARTICLES = 64      # decompressed articles kept per connection (a page has at most a few dozen)
SQL_FUNCTION = "article_text"

_PIECE = re.compile(r"\S+\s*")


def train_dictionary(texts: Iterable[str], size: int = DICT_BYTES) -> bytes:
    """A preset dictionary from sample texts: their most frequent runs of 1-4 words, weighted by
    the bytes they would save, the most valuable last (zlib reaches the end of the window cheapest).

    Deterministic for the same texts, so the same corpus builds the same index."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = _PIECE.findall(text)
        for n in (1, 2, 3, 4):
            counts.update("".join(words[i:i + n]) for i in range(len(words) - n + 1))
    ranked = sorted(((freq * len(s.encode()), s) for s, freq in counts.items() if freq > 2), reverse=True)
    chosen: list[bytes] = []
    used = 0
    for _, piece in ranked:
        raw = piece.encode()
        if used + len(raw) <= size:
            chosen.append(raw)
            used += len(raw)
    return b"".join(reversed(chosen))


def pack(text: str, zdict: bytes) -> bytes:
    """The stored form of one article's text."""
    packer = zlib.compressobj(LEVEL, zdict=zdict) if zdict else zlib.compressobj(LEVEL)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def unpack(blob: bytes, zdict: bytes) -> str:
    """The text `pack` stored, verbatim (raises zlib.error for a blob of another dictionary)."""
    unpacker = zlib.decompressobj(zdict=zdict) if zdict else zlib.decompressobj()
    return (unpacker.decompress(blob) + unpacker.flush()).decode("utf-8")


def read_dictionary(conn: sqlite3.Connection, schema: str = "main") -> bytes | None:
    """The database's dictionary, or None when none was decided yet (or the table is missing)."""
    try:
        row = conn.execute(f"SELECT dict FROM {schema}.text_dict WHERE id = 0").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else bytes(row[0])


def ensure_dictionary(conn: sqlite3.Connection, texts: Callable[[], Iterable[str]]) -> bytes:
    """The database's dictionary, trained from `texts()` (the first articles) when it has none yet."""
    zdict = read_dictionary(conn)
    if zdict is None:
        zdict = train_dictionary(texts())
        write_dictionary(conn, zdict)
    return zdict


def write_dictionary(conn: sqlite3.Connection, zdict: bytes) -> None:
    """Set the dictionary of a database that has no rows yet (a delta gets the main's)."""
    conn.execute(DICT_SCHEMA)
    conn.execute("INSERT OR REPLACE INTO text_dict VALUES (0, ?)", (zdict,))


def copy_dictionary(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Give `target` the dictionary of `source` (an empty one if `source` has none)."""
    write_dictionary(target, read_dictionary(source) or b"")


def register(conn: sqlite3.Connection, zdict: bytes | None = None) -> sqlite3.Connection:
    """Give `conn` the SQL function ``article_text(blob)``: the article's text (its own dictionary
    unless `zdict` is given, as for a connection that joins databases sharing one)."""
    if zdict is None:
        zdict = read_dictionary(conn) or b""
    cached = lru_cache(maxsize=CACHE_ARTICLES)(lambda blob: unpack(blob, zdict))
    conn.create_function(SQL_FUNCTION, 1, cached, deterministic=True)
    return conn
