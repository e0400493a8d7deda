"""Reading a corpus folder into articles, never stopping on a bad file.

A corpus is a folder read recursively in sorted path order, so ids, sentence
numbers and tie-breaks are the same on every machine. Three formats:

* ``.txt`` / ``.md``: one article per file. An optional front-matter block at
  the very top (``---`` lines around ``key: value`` pairs: ``title``, ``url``,
  ``published``, ``source``, ``id``). Without a title there, the first line is
  the title when it looks like a heading (short, no final punctuation, or a
  markdown ``#`` line); else the file name is.
* ``.jsonl``: one article per line, ``text`` required; ``id``, ``title``,
  ``url``, ``published``, ``source``, ``lang`` optional.

``lang`` (front matter or JSONL) names the article's language ("ru",
"pt-BR"); without it the build detects the language (`index.detect`).

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
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from .config import EXTENSIONS, MAX_TEXT_FILE_BYTES, Limits
from .dates import parse_published
from .sentences import is_heading

EXPORT_FILE = "result.json"                  # a Telegram Desktop export (index/telegram_export.py)
MAX_JSONL_LINE_BYTES = MAX_TEXT_FILE_BYTES   # one line is one article
FRONT_MATTER_KEYS = ("id", "title", "url", "published", "source", "lang")
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
    lang: str | None = None  # as given in front matter or JSONL; None: detected at build


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
    hashes: list[int] = field(default_factory=list)  # `text_hash` of each article's body (the index stores it)


class CorpusError(Exception):
    """The corpus folder itself is unusable (missing, not a folder)."""


def corpus_files(root: Path, problems: list[Skipped] | None = None) -> list[Path]:
    """Supported files under root in a stable order; symlinked folders are not followed (no loops).

    The walk is iterative (`os.walk` recurses, and folders nested a thousand deep would
    exhaust Python's recursion limit); a folder that cannot be listed is added to `problems`.
    """
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    found: list[Path] = []
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:
                        is_dir = entry.is_dir()          # a symlinked folder is listed, not entered
                        real_dir = is_dir and not entry.is_symlink()
                    except OSError:
                        is_dir = real_dir = False
                    if real_dir:
                        pending.append(entry.path)
                    elif not is_dir and (entry.name.lower().endswith(EXTENSIONS)
                                         or entry.name.lower() == EXPORT_FILE):
                        found.append(Path(entry.path))
        except OSError as exc:
            if problems is not None:
                rel = Path(folder).relative_to(root).as_posix()
                problems.append(Skipped(rel + "/", f"folder unreadable: {exc.strerror or exc}"))
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


def read_corpus(root: Path, limits: Limits = Limits()) -> CorpusRead:
    """All articles under root, deduplicated by text (`text_hash`), with every problem reported."""
    result = CorpusRead()
    result.articles.extend(iter_corpus(root, result, limits))
    return result


def iter_corpus(root: Path, result: CorpusRead, limits: Limits = Limits(),
                keep_hashes: bool = True) -> Iterator[Article]:
    """The articles `read_corpus` returns, one at a time (a bounded-memory build holds few);
    files, skipped entries and (with `keep_hashes`) the articles' hashes go into `result`."""
    seen_text: dict[int, str] = {}
    seen_ids: set[str] = set()
    files = corpus_files(root, result.skipped)
    # Telegram exports last: a message the live channel already delivered keeps its live file
    files.sort(key=lambda p: p.name.lower() == EXPORT_FILE)
    for path in files:
        result.files += 1
        rel = path.relative_to(root).as_posix()
        export = path.name.lower() == EXPORT_FILE
        live = 0
        for item in read_file(path, rel, limits):
            if isinstance(item, Skipped):
                result.skipped.append(item)
                continue
            if export and item.id in seen_ids:
                live += 1
                continue
            item, problem = dated(item)
            if problem:
                result.skipped.append(Skipped(rel, problem))
            key = text_hash(item.text[item.body_start:])
            if key in seen_text:
                result.skipped.append(Skipped(rel, f"same text as article {seen_text[key]} (indexed once)"))
                continue
            seen_text[key] = item.id
            if keep_hashes:
                result.hashes.append(key)
            yield _unique_id(item, seen_ids)
        if live:
            result.skipped.append(Skipped(rel, f"{live} messages already indexed from the live channel "
                                               "or another export (indexed once)"))


def read_file(path: Path, rel: str, limits: Limits = Limits()) -> Iterator[Article | Skipped]:
    """The articles of one file, or why it cannot be used.

    The size is checked before anything is read and the read is capped (a file that
    grows meanwhile cannot take the memory); a pipe or a device under an article's name
    is never opened for a blocking or endless read; JSONL is streamed line by line, a
    Telegram export (`index.telegram_export`) message by message.
    """
    is_jsonl = rel.lower().endswith(".jsonl")
    is_export = path.name.lower() == EXPORT_FILE
    limit = limits.jsonl_file_bytes if is_jsonl or is_export else limits.text_file_bytes
    try:
        fh = _open_regular(path)
    except OSError as exc:
        yield Skipped(rel, f"unreadable: {exc.strerror or exc}")
        return
    if fh is None:
        yield Skipped(rel, "not a regular file (a pipe, socket or device)")
        return
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            yield Skipped(rel, f"too large: {size} bytes (limit {limit})")
            return
        if is_jsonl:
            yield from read_jsonl(fh, rel, limits.text_file_bytes)
            return
        if is_export:      # streamed: memory holds one message, not the file
            from .telegram_export import read_export   # imports index.ingest, which imports this module
            yield from read_export(fh, rel, limit=limit)
            return
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            yield Skipped(rel, f"unreadable: {exc.strerror or exc}")
            return
    if len(data) > limit:
        yield Skipped(rel, f"too large: over {limit} bytes (it grew while being read)")
        return
    problem = _bytes_problem(data)
    if problem:
        yield Skipped(rel, problem)
        return
    yield parse_text(data.decode("utf-8"), rel)


def _open_regular(path: Path) -> BinaryIO | None:
    """`path` opened for reading when it is a regular file (symlinks followed), else None.

    O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_jsonl(fh: BinaryIO, rel: str, line_bytes: int = MAX_JSONL_LINE_BYTES) -> Iterator[Article | Skipped]:
    """A JSONL file read one line at a time: memory holds one line, at most `line_bytes`.

    A binary file (NUL bytes at its start) is skipped whole; a line that is too long, not
    UTF-8 or not JSON is reported with its number and the other lines are read.
    """
    try:
        head = fh.read(64 * 1024)
        if b"\0" in head:
            yield Skipped(rel, "binary file (contains NUL bytes)")
            return
        fh.seek(0)
        number, offset, blank = 0, 0, True
        while line := fh.readline(line_bytes + 1):
            number += 1
            start, offset = offset, offset + len(line)
            if len(line) > line_bytes and not line.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    offset += len(rest)
                offset += len(rest)
                blank = False
                yield Skipped(rel, f"line too long (over {line_bytes} bytes)", number)
                continue
            if not line.strip():
                continue
            blank = False
            if b"\0" in line:
                yield Skipped(rel, "binary data (NUL bytes)", number)
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Skipped(rel, f"invalid UTF-8 at byte {start + exc.start}", number)
                continue
            yield from _jsonl_line(text.removeprefix("\ufeff") if number == 1 else text, rel, number)
    except OSError as exc:
        yield Skipped(rel, f"unreadable: {exc.strerror or exc}")
        return
    if blank:
        yield Skipped(rel, "empty file")


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
        title=title or "",          # untitled: no words made up for the title field (the bot shows the opening)
        path=rel,
        text=text,
        body_start=body_start,
        url=meta.get("url") or None,
        published=meta.get("published") or None,
        source=meta.get("source") or None,
        lang=meta.get("lang") or None,
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
    """One article per line; a bad line is reported with its number and skipped.

    Lines end at "\\n" only (JSON strings may hold U+2028 and the like unescaped), as in
    `read_jsonl`, so an upload is checked exactly as a rebuild will read it.
    """
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        yield from _jsonl_line(line, rel, number)


def _jsonl_line(line: str, rel: str, number: int) -> Iterator[Article | Skipped]:
    if not line.strip():
        return
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        yield Skipped(rel, f"invalid JSON: {exc.msg}", number)
        return
    except RecursionError:                  # [[[[... nested deeper than Python recurses
        yield Skipped(rel, "invalid JSON: nested too deeply", number)
        return
    if not isinstance(record, dict):
        yield Skipped(rel, "not a JSON object", number)
        return
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        yield Skipped(rel, 'missing or empty "text"', number)
        return
    fields = {k: record.get(k) for k in FRONT_MATTER_KEYS}
    yield Article(
        id=str(fields["id"]) if fields["id"] not in (None, "") else f"{path_id(rel)}#{number}",
        title=str(fields["title"]) if fields["title"] else "",
        path=rel,
        text=body,
        url=_opt_str(fields["url"]),
        published=_opt_str(fields["published"]),
        source=_opt_str(fields["source"]),
        lang=_opt_str(fields["lang"]),
    )


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def dated(article: Article) -> tuple[Article, str | None]:
    """The article with `published` as ISO 8601 (index.dates), or without it and why, when unreadable."""
    if article.published is None:
        return article, None
    found = parse_published(article.published)
    if found is None:
        return replace(article, published=None), \
            f"date {article.published[:40]!r} of article {article.id} not understood (indexed without a date)"
    return (article if found.iso == article.published else replace(article, published=found.iso)), None


def path_id(rel: str) -> str:
    """A stable id from a corpus-relative path: the path without its extension."""
    return rel.rsplit(".", 1)[0]


def text_hash(text: str) -> int:
    """What "the same text" means, for sentences and articles alike: equal up to case and
    whitespace. A signed 64-bit hash (it is stored in the index's arrays and database)."""
    digest = hashlib.blake2b(" ".join(text.casefold().split()).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


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
                   article.url, article.published, article.source, article.lang)
