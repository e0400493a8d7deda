"""Adding files to the corpus folder safely: uploads and channel posts.

A file only enters the corpus after it parsed cleanly, under a name that
cannot escape the folder, never over another article (a clash gets a
numbered name), and atomically (written aside, fsynced, then linked into
place), so the folder never holds a truncated article even if the process
dies mid-write.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .config import (CHANNEL_DIR, EXTENSIONS, MAX_TEXT_FILE_BYTES, MAX_UPLOAD_BYTES, UPLOAD_DIR, Limits)
from .corpus import Article, Skipped, _bytes_problem, parse_jsonl, parse_text
from .durable import fsync_dir, replace_durably, written_aside

__all__ = ["CHANNEL_DIR", "EXTENSIONS", "MAX_TEXT_FILE_BYTES", "MAX_UPLOAD_BYTES", "UPLOAD_DIR", "IngestError",
           "safe_name", "parse_upload", "free_path", "write_new", "replace_file", "post_markdown", "post_title"]


class IngestError(Exception):
    """The file cannot be added; the message says why in words a user understands."""


def safe_name(name: str) -> str:
    """A file name with no directories, no hidden prefix and only plain characters."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.ASCII).strip("._-")[:80] or "article"
    ext = ext.lower()
    return f"{stem}.{ext}" if ext else stem


def parse_upload(name: str, data: bytes, limits: Limits = Limits(), rel: str | None = None) -> list[Article]:
    """The articles of an uploaded file, or IngestError naming the problem. `name` is the file's
    name as sent (its type, and what a problem is shown under); `rel` the corpus path it is to be
    saved as, which the articles' paths and ids follow (default: `name`)."""
    rel = rel or name
    ext = os.path.splitext(name)[1].lower()
    if ext not in EXTENSIONS and ext != ".json":
        raise IngestError(f"Unsupported file type {ext or '(none)'}: send .txt, .md, .jsonl or a Telegram "
                          "export (result.json).")
    if len(data) > limits.upload_bytes:
        raise IngestError(f"The file is {len(data)} bytes; the limit is {limits.upload_bytes} bytes "
                          f"({limits.upload_bytes / 2**20:g} MB).")
    if ext == ".json":
        return export_articles(name, data, rel)
    if ext != ".jsonl" and len(data) > limits.text_file_bytes:
        raise IngestError(f"An article file may be at most {limits.text_file_bytes} bytes.")
    problem = _bytes_problem(data)
    if problem:
        raise IngestError(f"The file cannot be used: {problem}.")
    text = data.decode("utf-8")
    items = list(parse_jsonl(text, rel)) if ext == ".jsonl" else [parse_text(text, rel)]
    bad = [i for i in items if isinstance(i, Skipped)]
    if bad:
        shown = "; ".join(str(Skipped(name, b.reason, b.line)) for b in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise IngestError(f"The file has problems, nothing was added: {shown}{more}.")
    articles = [i for i in items if isinstance(i, Article)]
    if not articles:
        raise IngestError("The file holds no article text.")
    return articles


def is_export(name: str) -> bool:
    """Whether an upload is a Telegram Desktop export (any .json: it must be one)."""
    return name.lower().endswith(".json")


def export_articles(name: str, data: bytes, rel: str | None = None) -> list[Article]:
    """The messages of an uploaded Telegram export as articles (service and empty messages skipped)."""
    from .telegram_export import read_export   # (it uses this module's post_title)
    items = list(read_export(data, rel or name))   # usernames: TELEGRAM_EXPORT_USERNAMES (config.current_runtime)
    articles = [i for i in items if isinstance(i, Article)]
    if not articles:
        why = "; ".join(str(Skipped(name, i.reason, i.line)) for i in items if isinstance(i, Skipped)) \
            or "no message with text"
        raise IngestError(f"The file cannot be used as a Telegram export ({why}); nothing was added.")
    return articles


def numbered(name: str) -> Iterator[str]:
    """`name`, then `name` numbered (notes.txt, notes-2.txt, ...): the names a clash moves on to."""
    stem, ext = os.path.splitext(name)
    yield name
    for n in range(2, 10_000):
        yield f"{stem}-{n}{ext}"


def free_path(folder: Path, name: str) -> Path:
    """Where `write_new` would put `name` now (the first of `numbered` not taken)."""
    return next((folder / n for n in numbered(name) if not (folder / n).exists()), folder / name)


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` as a new file in folder under `name`, numbering the name on a clash."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = written_aside(folder, data)
    try:
        for candidate in numbered(name):
            target = folder / candidate
            try:
                os.link(tmp, target)   # fails if target exists: never overwrites
            except FileExistsError:
                continue
            fsync_dir(folder)
            return target
        raise IngestError("Too many files with this name.")
    finally:
        tmp.unlink(missing_ok=True)


def replace_file(path: Path, data: bytes) -> None:
    """Atomically replace one file's content (an edited channel post replaces its article)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_durably(path, data)


def post_markdown(text: str, title: str, article_id: str, published: str | None,
                  url: str | None, source: str | None) -> str:
    """A channel post as a .md article with front matter (so a rebuild keeps its metadata)."""
    def clean(value: str) -> str:
        return " ".join(value.split()).replace('"', "'")
    lines = ["---", f"id: {clean(article_id)}", f'title: "{clean(title)}"']
    if published:
        lines.append(f"published: {clean(published)}")
    if url:
        lines.append(f"url: {clean(url)}")
    if source:
        lines.append(f'source: "{clean(source)}"')
    lines += ["---", text.strip(), ""]
    return "\n".join(lines)


def post_title(text: str, fallback: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return fallback
    return first if len(first) <= 100 else first[:97].rsplit(" ", 1)[0] + "..."
