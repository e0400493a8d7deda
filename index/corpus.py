"""Reading a corpus folder into articles, never stopping on a bad file.

A corpus is a folder read recursively in sorted path order, so ids, sentence
numbers and tie-breaks are the same on every machine. Three formats:

* ``.txt`` / ``.md``: one article per file. An optional front-matter block at
  the very top (``---`` lines around ``key: value`` pairs: ``title``, ``url``,
  ``published``, ``source``, ``id``). Without a title there, the first line is
  the title when it looks like a heading (short, no final punctuation, or a
  markdown ``#`` line); else the file name is.
* ``.jsonl``: one article per line, ``text`` required; ``id``, ``title``,
  ``url``, ``published``, ``source`` optional.

Every article keeps its text exactly as read (for ``.jsonl`` the ``text``
field) so sentence spans quote the author verbatim. A file that cannot be
used (invalid UTF-8, binary, empty, unreadable, too large) or a JSONL line
that cannot be parsed becomes a `Skipped` entry with a reason; the rest is
read. The same text twice (one article saved in two files) is kept once.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .sentences import is_heading

EXTENSIONS = (".txt", ".md", ".jsonl")
MAX_TEXT_FILE_BYTES = 10 * 1024 * 1024      # an article over 10 MB is not an article
MAX_JSONL_FILE_BYTES = 1024 * 1024 * 1024   # JSONL is streamed line by line
FRONT_MATTER_KEYS = ("id", "title", "url", "published", "source")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FM_LINE = re.compile(r"^\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True, slots=True)
class Article:
    """One article as read: its text verbatim and where its body starts."""

    id: str
    title: str
    path: str
    text: str
    body_start: int = 0
    url: str | None = None
    published: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or JSONL line) left out of the index, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class CorpusRead:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0


class CorpusError(Exception):
    """The corpus folder itself is unusable (missing, not a folder)."""


def corpus_files(root: Path) -> list[Path]:
    """Supported files under root in a stable order; symlinked folders are not followed (no loops)."""
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(EXTENSIONS):
                found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def fingerprint(root: Path) -> str:
    """A hash of every corpus file's path, size and mtime: cheap, and changes with any edit."""
    digest = hashlib.sha256()
    for path in corpus_files(root):
        try:
            st = path.stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError as exc:
            stamp = f"error:{type(exc).__name__}"
        digest.update(f"{path.relative_to(root).as_posix()}\0{stamp}\n".encode())
    return digest.hexdigest()


def read_corpus(root: Path) -> CorpusRead:
    """All articles under root, deduplicated by text, with every problem reported."""
    result = CorpusRead()
    seen_text: dict[str, str] = {}
    seen_ids: set[str] = set()
    for path in corpus_files(root):
        result.files += 1
        rel = path.relative_to(root).as_posix()
        for item in read_file(path, rel):
            if isinstance(item, Skipped):
                result.skipped.append(item)
                continue
            key = text_key(item.text[item.body_start:])
            if key in seen_text:
                result.skipped.append(Skipped(rel, f"same text as article {seen_text[key]} (indexed once)"))
                continue
            seen_text[key] = item.id
            result.articles.append(_unique_id(item, seen_ids))
    return result


def read_file(path: Path, rel: str) -> Iterator[Article | Skipped]:
    """The articles of one file, or why it cannot be used."""
    is_jsonl = rel.lower().endswith(".jsonl")
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield Skipped(rel, f"unreadable: {exc.strerror or exc}")
        return
    limit = MAX_JSONL_FILE_BYTES if is_jsonl else MAX_TEXT_FILE_BYTES
    if size > limit:
        yield Skipped(rel, f"too large: {size} bytes (limit {limit})")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Skipped(rel, f"unreadable: {exc.strerror or exc}")
        return
    problem = _bytes_problem(data)
    if problem:
        yield Skipped(rel, problem)
        return
    text = data.decode("utf-8")
    if is_jsonl:
        yield from parse_jsonl(text, rel)
    else:
        yield parse_text(text, rel)


def _bytes_problem(data: bytes) -> str | None:
    if not data.strip():
        return "empty file"
    if b"\0" in data:
        return "binary file (contains NUL bytes)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    return None


def parse_text(text: str, rel: str) -> Article | Skipped:
    """A .txt/.md article: front matter, then a title line or the file name."""
    meta, body_start = parse_front_matter(text)
    if not text[body_start:].strip():
        return Skipped(rel, "no text after the front matter" if meta else "empty file")
    title = meta.get("title")
    if not title:
        heading, after = _title_line(text, body_start)
        if heading and text[after:].strip():
            title, body_start = heading, after
    return Article(
        id=meta.get("id") or path_id(rel),
        title=title or title_from_path(rel),
        path=rel,
        text=text,
        body_start=body_start,
        url=meta.get("url") or None,
        published=meta.get("published") or None,
        source=meta.get("source") or None,
    )


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """Known keys of a leading ``---`` block and the offset where the body starts."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, 0
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        kv = _FM_LINE.match(line)
        if kv and kv.group(1).lower() in FRONT_MATTER_KEYS:
            meta[kv.group(1).lower()] = _unquote(kv.group(2))
    return meta, match.end()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _title_line(text: str, start: int) -> tuple[str | None, int]:
    """The first non-blank line when it reads as a heading, and where the body continues."""
    pos = start
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl + 1
        line = text[pos:end].strip()
        if line:
            md = _MD_HEADING.match(line)
            if md and md.group(1):
                return md.group(1), end
            if is_heading(line) and not text[end:].split("\n", 1)[0].strip():
                return line, end  # a plain title line stands alone, followed by a blank line
            return None, start
        pos = end
    return None, start


def parse_jsonl(text: str, rel: str) -> Iterator[Article | Skipped]:
    """One article per line; a bad line is reported with its number and skipped."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(rel, f"invalid JSON: {exc.msg}", number)
            continue
        if not isinstance(record, dict):
            yield Skipped(rel, "not a JSON object", number)
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            yield Skipped(rel, 'missing or empty "text"', number)
            continue
        fields = {k: record.get(k) for k in FRONT_MATTER_KEYS}
        yield Article(
            id=str(fields["id"]) if fields["id"] not in (None, "") else f"{path_id(rel)}#{number}",
            title=str(fields["title"]) if fields["title"] else f"{title_from_path(rel)} #{number}",
            path=rel,
            text=body,
            url=_opt_str(fields["url"]),
            published=_opt_str(fields["published"]),
            source=_opt_str(fields["source"]),
        )


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def path_id(rel: str) -> str:
    """A stable id from a corpus-relative path: the path without its extension."""
    return rel.rsplit(".", 1)[0]


def title_from_path(rel: str) -> str:
    stem = Path(rel).stem
    return re.sub(r"[_\s]+", " ", stem).strip() or stem


def text_key(text: str) -> str:
    """Identity of an article's text for de-duplication: whitespace-insensitive."""
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()


def _unique_id(article: Article, seen: set[str]) -> Article:
    if article.id not in seen:
        seen.add(article.id)
        return article
    n = 2
    while f"{article.id}~{n}" in seen:
        n += 1
    new_id = f"{article.id}~{n}"
    seen.add(new_id)
    return Article(new_id, article.title, article.path, article.text, article.body_start,
                   article.url, article.published, article.source)
