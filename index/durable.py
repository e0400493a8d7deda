"""Durable file writes: a file is on disk, whole, before any name points at it.

One helper for the index generations (`index.store`) and the corpus files
that uploads and channel posts add (`index.ingest`): the data goes to a
hidden file in the same folder and is fsynced; then it is linked or renamed
into place and the folder is fsynced. A crash at any moment leaves the old
file or the new one, never a truncated one (hidden names are never read as
articles, and index writes sweep them). Kept free of heavy imports: an upload
writer loads it in a blink.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or link in this folder durable (where the platform can)."""
    try:
        fsync_file(path)
    except OSError:
        pass


def written_aside(folder: Path, data: bytes, prefix: str = ".part-") -> Path:
    """`data` in a new hidden file of `folder`, on disk (fsynced): the first step of every atomic write.

    Hidden names are never read as articles (`index.corpus`) and are swept as index leftovers.
    """
    tmp = folder / f"{prefix}{uuid.uuid4().hex}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def replace_durably(path: Path, data: bytes, prefix: str = ".part-") -> None:
    """Replace `path`'s content atomically and durably: readers see the old or the new file, whole."""
    tmp = written_aside(path.parent, data, prefix)
    try:
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
