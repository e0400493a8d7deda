"""The one place that holds the current index for a long-running process.

Searches read `self.index` (a plain attribute: swapping it is atomic), so
they never wait for a rebuild or an addition and never see a half-built
index. Writers (rebuild, upload, channel post) take one lock, build the new
`SearchIndex` aside, and swap it in at the end. A failed rebuild leaves the
old index serving. All methods are blocking: the bot calls them through
``asyncio.to_thread``. With ``search_processes`` the searches themselves run in
worker processes (`SearchProcesses`), and a rebuild always runs in a child
process (`build_in_child`), so neither holds the bot's GIL.
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .build import BuildReport
from .config import IndexConfig
from .engine import SearchIndex, open_index
from .hits import SearchResult
from .ingest import (CHANNEL_DIR, UPLOAD_DIR, IngestError, parse_upload, post_markdown, post_title,
                     replace_file, safe_name, write_new)

log = logging.getLogger(__name__)


class NotReady(Exception):
    """The index is still loading."""


class Busy(Exception):
    """A rebuild is already running."""


@dataclass
class Added:
    path: Path
    articles: int
    sentences: int
    titles: list[str] = field(default_factory=list)
    seconds: float = 0.0


class IndexService:
    def __init__(self, corpus: Path, root: Path, search_processes: int = 0,
                 config: IndexConfig | None = None) -> None:
        self.corpus = corpus
        self.root = root
        self.config = (config or IndexConfig()).at(corpus, root)
        self.index: SearchIndex | None = None
        self.questions_answered = 0
        self._write = threading.Lock()
        self._rebuilding = False
        self.started_at = time.time()
        self.searchers = SearchProcesses(root, search_processes) if search_processes > 0 else None

    # ----- reading -----------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.index is not None

    def current(self) -> SearchIndex:
        index = self.index
        if index is None:
            raise NotReady("The index is loading; try again in a moment.")
        return index

    def search(self, query: str, k: int = 5, offset: int = 0) -> SearchResult:
        index = self.current()
        result = (self.searchers.search(index.generation.name, query, k, offset)
                  if self.searchers is not None else None)
        if result is None:          # no search processes, or they failed: search in this one
            result = index.search(query, k=k, offset=offset)
        self.questions_answered += 1
        return result

    # ----- writing -----------------------------------------------------------
    def start(self) -> SearchIndex:
        """Load the index, building it when missing, stale or unusable."""
        with self._write:
            self.index = open_index(self.corpus, self.root, log=log.info, config=self.config)
            if self.searchers is not None:
                self.searchers.start()
            return self.index

    def close(self) -> None:
        if self.searchers is not None:
            self.searchers.close()

    @property
    def rebuilding(self) -> bool:
        return self._rebuilding

    def rebuild(self) -> BuildReport:
        """Rebuild from the corpus folder; the old index serves until the swap. Busy if one runs."""
        if not self._write.acquire(blocking=False):
            raise Busy("A reindex is already running.")
        self._rebuilding = True
        try:
            report = build_in_child(self.corpus, self.root, self.config)
            if self.searchers is not None:
                self.searchers.start()      # they load the new generation while this one does
            new = SearchIndex.load(self.root)
            self.index = new   # one assignment: searches see the old or the new index
            return report
        finally:
            self._rebuilding = False
            self._write.release()

    def add_upload(self, name: str, data: bytes) -> Added:
        """Validate, save under corpus/uploads/ and index an uploaded file."""
        articles = parse_upload(safe_name(name), data, self.config.limits)
        with self._write:
            index = self.current()
            for article in articles:
                dup = index.find_article_text(article.text[article.body_start:])
                if dup:
                    raise IngestError(f"This text is already indexed (article {dup}); nothing was added.")
            started = time.perf_counter()
            try:
                path = write_new(self.corpus / UPLOAD_DIR, safe_name(name), data)
            except OSError as exc:           # disk full, read-only corpus folder: nothing was written
                raise IngestError(f"The file could not be saved ({_why(exc)}); nothing was added.") from exc
            articles = parse_upload(path.relative_to(self.corpus).as_posix(), data, self.config.limits)
            try:
                new, sentences = index.add_articles(articles, self.corpus)
            except (OSError, sqlite3.Error) as exc:     # the new generation could not be written
                with contextlib.suppress(OSError):
                    path.unlink()                       # the corpus stays as the index knows it
                raise IngestError(f"The index could not be updated ({_why(exc)}); nothing was added.") from exc
            self.index = new
            return Added(path, len(articles), sentences, [a.title for a in articles],
                         time.perf_counter() - started)

    def save_post(self, chat_id: int, message_id: int, text: str, *, channel: str,
                  published: str | None, url: str | None, edited: bool) -> Added:
        """Store a channel post as an article; an edit replaces it (and rebuilds)."""
        folder = self.corpus / CHANNEL_DIR / str(chat_id).lstrip("-")
        path = folder / f"{message_id}.md"
        article_id = f"channel/{str(chat_id).lstrip('-')}/{message_id}"
        body = post_markdown(text, post_title(text, channel), article_id, published, url, channel)
        data = body.encode("utf-8")
        started = time.perf_counter()
        with self._write:
            index = self.current()
            existed = path.exists()
            try:
                replace_file(path, data)
            except OSError as exc:           # disk full, read-only folder: an older version stays as it was
                raise IngestError(f"The post could not be saved ({_why(exc)}).") from exc
            rel = path.relative_to(self.corpus).as_posix()
            try:
                if existed or edited:
                    new, report = SearchIndex.build(self.corpus, self.root, config=self.config)
                    self.index = new
                    return Added(path, 1, report.sentences, [], time.perf_counter() - started)
                articles = parse_upload(rel, data)
                new, sentences = index.add_articles(articles, self.corpus)
            except (OSError, sqlite3.Error) as exc:
                # the post is saved (a reindex or the next start indexes it); the old index serves
                raise IngestError(f"The post was saved as {rel} but the index could not be updated "
                                  f"({_why(exc)}); /reindex adds it once there is room.") from exc
            self.index = new
            return Added(path, 1, sentences, [a.title for a in articles], time.perf_counter() - started)


# The rebuild runs in a child process: analysing a corpus is pure-Python CPU work, and in a thread
# it would hold the GIL against the event loop (every await point waiting up to the 5 ms switch
# interval), so questions asked meanwhile would wait for it. A child also runs on another core.
# Its niceness makes it yield that core to the bot's answering when they compete.
REBUILD_NICENESS = 10


def build_in_child(corpus: Path, root: Path, config: IndexConfig | None = None) -> BuildReport:
    """`SearchIndex.build` in a fresh ("spawn") child process: writes a new generation of `root`
    and switches CURRENT to it; the caller loads it. Errors are re-raised here."""
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_build_generation, corpus, root, config).result()


def _build_generation(corpus: Path, root: Path, config: IndexConfig | None) -> BuildReport:
    from .lifecycle import die_with_parent
    die_with_parent(graceful=True)  # SIGTERM or the bot's death: the temp folder is removed, it exits
    with contextlib.suppress(OSError, AttributeError):
        os.nice(REBUILD_NICENESS)
    _, report = SearchIndex.build(corpus, root, config=config)
    return report


class SearchProcesses:
    """`SearchIndex.search` in worker processes, off the calling process's GIL.

    In the bot, the event loop (updates, HTTP calls, rendering) and the searches share one
    GIL, so their CPU adds up on one core; a search process runs on another. Each worker
    memory-maps the generation that CURRENT names and reloads when CURRENT changes (a
    rebuild, an upload, a channel post), so it never sees a half-written index; around a swap
    it may answer from the new generation a moment before `IndexService.index` is swapped,
    never from an older one than the disk holds. `search` returns None on any failure (the
    caller then searches in-process): a crashed worker costs speed, never an answer.
    """

    WARN_EVERY = 60.0   # seconds between warnings about failing workers
    RESTART_AFTER = 30.0  # seconds of in-process searching after a worker died, before a new pool

    def __init__(self, root: Path, processes: int) -> None:
        self.root = root
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._warned = 0.0
        self._restart_at = 0.0
        self.failures = 0

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_start, initargs=(str(self.root),))
            return self._pool

    def start(self) -> None:
        """Start the workers (each loads the index) without waiting for them. Called again after
        a new generation was written, it makes them start loading it in the background."""
        with contextlib.suppress(Exception):
            pool = self._executor()
            for _ in range(self.processes):
                pool.submit(_worker_ping)

    def search(self, generation: str, query: str, k: int, offset: int) -> SearchResult | None:
        """Search in a worker, from `generation` (the caller's) or a newer one; None on failure."""
        if self._pool is None and time.monotonic() < self._restart_at:
            return None
        pool = None
        try:
            pool = self._executor()
            return pool.submit(_worker_search, generation, query, k, offset).result()
        except Exception as exc:  # noqa: BLE001 - any failure: the caller searches in-process
            self.failures += 1
            if isinstance(exc, BrokenProcessPool) and pool is not None:
                with self._lock:        # a worker died: a fresh pool after RESTART_AFTER
                    if self._pool is pool:
                        self._pool = None
                        self._restart_at = time.monotonic() + self.RESTART_AFTER
                pool.shutdown(wait=False, cancel_futures=True)
            now = time.monotonic()
            if now - self._warned >= self.WARN_EVERY:
                self._warned = now
                log.warning("A search process failed (%s: %s); searching in the bot process "
                            "(%d failures so far)", type(exc).__name__, exc, self.failures)
            return None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


# State of a search worker process (see SearchProcesses). Only its main thread searches; a
# loader thread prepares the next generation meanwhile.
_worker_root: Path | None = None
_worker_index: SearchIndex | None = None
_worker_next: SearchIndex | None = None
_worker_loader: threading.Thread | None = None
_worker_failed: str | None = None


def _worker_start(root: str) -> None:
    global _worker_root
    from .lifecycle import die_with_parent
    die_with_parent()
    _worker_root = Path(root)


def _worker_ping() -> None:
    """Load the index at start; later, start loading a new generation in the background."""
    index = _worker_for(None)
    if index is not None:
        _warm(index)


def _worker_search(generation: str, query: str, k: int, offset: int) -> SearchResult:
    return _worker_for(generation).search(query, k=k, offset=offset)


def _worker_for(wanted: str | None) -> SearchIndex:
    """The index to search when the caller answers from generation `wanted`.

    The generation CURRENT names is loaded (and warmed) by a loader thread while the old one
    keeps answering, so a swap stalls no search -- unless the caller already answers from the
    new generation (it swapped before this worker finished loading): then this search waits for
    it, so no answer ever comes from an older index than the caller's.
    """
    global _worker_index
    assert _worker_root is not None
    _adopt_next()
    current = store.current_generation(_worker_root).name
    if _worker_index is None:
        _worker_index = SearchIndex.load(_worker_root)
    elif _worker_index.generation.name != current:
        loading = _worker_loader is not None and _worker_loader.is_alive()
        if wanted == current:
            if loading:
                _worker_loader.join()
            _adopt_next()
            if _worker_index.generation.name != current:
                _adopt(SearchIndex.load(_worker_root))
        elif not loading and current != _worker_failed:
            _start_loader(current)
    return _worker_index


def _start_loader(name: str) -> None:
    global _worker_loader
    _worker_loader = threading.Thread(target=_worker_reload, args=(name,), name="index-loader", daemon=True)
    _worker_loader.start()


def _worker_reload(name: str) -> None:
    global _worker_next, _worker_failed
    try:
        index = SearchIndex.load(_worker_root)
    except Exception:  # noqa: BLE001 - the old generation keeps answering
        log.exception("A search process could not load index generation %s", name)
        _worker_failed = name
        return
    _warm(index)
    _worker_next = index


def _adopt_next() -> None:
    global _worker_next
    if _worker_next is not None:
        index, _worker_next = _worker_next, None
        _adopt(index)


def _adopt(index: SearchIndex) -> None:
    global _worker_index
    old, _worker_index = _worker_index, index
    if old is not None and old is not index:
        old.close()                 # its SQLite connection belongs to this (the main) thread


def _warm(index: SearchIndex) -> None:
    """Load what the first question with an unknown word would otherwise load mid-search."""
    with contextlib.suppress(Exception):
        getattr(index, "lexicon", None)


def _why(exc: BaseException) -> str:
    """An OSError's or SQLite error's reason in words ("No space left on device")."""
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


__all__ = ["IndexService", "NotReady", "Busy", "Added", "IngestError", "store"]
