"""The one place that holds the current index for a long-running process, and its one route.

Every read the bot makes (a search, a later page, the context of a page, the example
question, the stats) is a function of an index (`_search`, `_context`, ...) that
`IndexService._read` runs in a search process when there are any (`SearchProcesses`) and in
the caller's process otherwise or when they fail. Reads take `self.index` once (a plain
attribute: swapping it is atomic), so they never wait for a rebuild or an addition and never
see a half-built index. Writers (rebuild, upload, channel post) take one lock, build the new
`SearchIndex` aside, and swap it in at the end; a failed rebuild leaves the old index serving,
and a rebuild always runs in a child process (`build_in_child`), so it never holds the bot's
GIL. Whether the index is loading, failed or being rebuilt is kept here (`phase`, `status`).
All methods block: the bot calls them through ``asyncio.to_thread``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lifecycle import stop_children  # (re-exported: the bot stops its children on a stop signal)
from . import delta, store, warmup
from .build import BuildReport
from .config import IndexConfig, merge_sentences
from .merging import Merges
from .engine import IndexStats, SearchIndex, open_index, write_index
from .hits import Hit, SearchResult
from .corpus import EXPORT_FILE, Article
from .ingest import (CHANNEL_DIR, UPLOAD_DIR, IngestError, free_path, is_export, parse_upload, post_markdown,
                     post_title, replace_file, safe_name, write_new)

log = logging.getLogger(__name__)


class NotReady(Exception):
    """The index is not loaded: still loading, or it could not be loaded (`IndexService.load_error`)."""


class Busy(Exception):
    """A rebuild is already running."""


class WorkerFailed(Exception):
    """A search process could not answer; the caller answers in its own process."""


@dataclass
class Added:
    path: Path
    articles: int
    sentences: int
    titles: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Status:
    """What a health check reports: the phase, and what the index holds once loaded."""

    phase: str                      # "loading", "ready" or "failed"
    error: str | None = None        # why it failed
    generation: str | None = None
    articles: int = 0
    sentences: int = 0
    last_reindex: float | None = None   # when the serving index was last rebuilt or extended (epoch s)
    rebuilding: bool = False


class IndexService:
    """The bot's one route to the index: every read goes through the search processes when
    there are any, every write swaps in a whole new index; the loading, failed and rebuilding
    states live here and nowhere else."""

    def __init__(self, corpus: Path, root: Path, search_processes: int = 0,
                 config: IndexConfig | None = None, build_in_child: bool = False, warm: bool = True) -> None:
        self.corpus = corpus
        self.warm = warm     # build the speakers and the lexicon after each load (`index.warmup`); not the CLI
        self.root = root
        self.config = (config or IndexConfig()).at(corpus, root)
        self.first_build_in_child = build_in_child
        self.index: SearchIndex | None = None
        self.questions_answered = 0
        self.load_error: str | None = None
        self._write = threading.Lock()
        self._flags = threading.Lock()
        self._rebuilding = False
        self.started_at = time.time()
        self.searchers = SearchProcesses(root, search_processes) if search_processes > 0 else None
        self.merge_sentences = merge_sentences()   # a delta this big is merged in the background
        self.merges = Merges(self)

    # ----- state -------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.index is not None

    @property
    def phase(self) -> str:
        """"ready" once an index serves; "failed" when none could be loaded and no rebuild is
        trying again; "loading" before that (the first load, or a rebuild from scratch)."""
        if self.index is not None:
            return "ready"
        return "failed" if self.load_error and not self._rebuilding else "loading"

    @property
    def rebuilding(self) -> bool:
        return self._rebuilding

    def status(self) -> Status:
        index = self.index
        if index is None:
            return Status(self.phase, self.load_error, rebuilding=self._rebuilding)
        meta = index.meta
        return Status("ready", None, index.generation.name, meta["articles"], meta["sentences"],
                      meta.get("updated_at", meta["built_at"]), self._rebuilding)

    def current(self) -> SearchIndex:
        index = self.index
        if index is None:
            raise NotReady("The index is loading; try again in a moment.")
        return index

    # ----- reading: one route, through the search processes when there are any ----------
    def search(self, query: str, k: int = 5, offset: int = 0) -> SearchResult:
        """A page of hits for a question asked now (counted as a question answered)."""
        result = self._read(_search, query, k, offset)
        self.questions_answered += 1
        return result

    def page(self, query: str, number: int, page_size: int) -> SearchResult:
        """Page `number` (0-based) of a question asked before (not counted again)."""
        return self._read(_search, query, page_size, number * page_size)

    def context(self, query: str, number: int, page_size: int,
                shown: Sequence[tuple[int, str]]) -> list[tuple[Hit, list[tuple[int, str]]]] | None:
        """Each hit page `number` showed (`shown`: its hits' (sentence id, `text_key`)), with its
        neighbouring sentences; None when the index no longer holds those sentences (an upload
        or reindex renumbered or removed them)."""
        return self._read(_context, query, number, page_size, tuple(shown))

    def example_question(self) -> str | None:
        """A question that has hits on the current corpus (for /start)."""
        return self._read(_example_question)

    def warmed(self) -> bool:
        """Whether the index answering questions has finished its warm-up (`index.warmup`), in the
        search process that answers when there is one."""
        return self._read(warmup.is_warm)

    def stats(self) -> IndexStats:
        return self._read(_stats)

    def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        index = self.current()
        if self.searchers is not None:
            with contextlib.suppress(WorkerFailed):
                return self.searchers.run(index.generation.name, fn, args)
        return fn(index, *args)         # no search processes, or they failed: in this one

    # ----- loading -----------------------------------------------------------
    def start(self) -> SearchIndex:
        """Load the index, building it when missing, stale or unusable. A failure is kept in
        `load_error` (the bot says why instead of "loading") and raised."""
        with self._write:
            try:
                index = self._open()
            except Exception as exc:
                self.load_error = f"{type(exc).__name__}: {exc}"
                raise
            self._serve(index)
            if self.searchers is not None:
                self.searchers.start()
            return index

    def _serve(self, index: SearchIndex) -> None:
        """Answer from `index` from now on (one assignment: a read takes the old or the new), warmed in
        the background when this process answers (else each search process warms the one it loads)."""
        self.index, self.load_error = index, None
        if self.warm and self.searchers is None:
            warmup.start(index)

    def _open(self) -> SearchIndex:
        """`open_index`, with a missing or stale index built in a child process when asked to (the
        bot: its event loop keeps the GIL, and no build worker is forked from a process whose
        asyncio loop owns the signal handlers -- a forked worker inherits them)."""
        if not self.first_build_in_child:
            return open_index(self.corpus, self.root, log=log.info, config=self.config)
        with contextlib.suppress(store.IndexMissing, store.IndexCorrupt):
            index = SearchIndex.load(self.root)
            if index.stale_reason(self.corpus, self.config) is None:
                return index
            index.close()
        build_in_child(self.corpus, self.root, self.config, only_if_stale=True)    # says why on stderr
        return SearchIndex.load(self.root)

    def close(self) -> None:
        if self.searchers is not None:
            self.searchers.close()

    # ----- writing -----------------------------------------------------------
    def reserve_rebuild(self) -> bool:
        """Claim the one rebuild slot without blocking (False: a rebuild is running); the claim
        shows in `rebuilding` at once, before `rebuild(reserved=True)` runs in a thread."""
        with self._flags:
            if self._rebuilding:
                return False
            self._rebuilding = True
            return True

    def rebuild(self, reserved: bool = False) -> BuildReport:
        """Rebuild from the corpus folder; the old index serves until the swap. Busy if one runs."""
        if not reserved and not self.reserve_rebuild():
            raise Busy("A reindex is already running.")
        try:
            if not self._write.acquire(blocking=False):
                raise Busy("A reindex is already running.")
            try:
                return self._rebuild_and_swap()
            finally:
                self._write.release()
        finally:
            self._rebuilding = False

    def _rebuild_and_swap(self) -> BuildReport:
        """Build in a child process, then load and swap (the caller holds the write lock)."""
        report = build_in_child(self.corpus, self.root, self.config)
        assert report is not None
        if self.searchers is not None:
            self.searchers.start()      # they load the new generation while this one does
        self._serve(SearchIndex.load(self.root))
        return report

    def add_upload(self, name: str, data: bytes) -> Added:
        """Validate, save under corpus/uploads/ and index an uploaded file. It is parsed once, before
        the write lock, as the file it is about to be saved as (ids and paths follow the path)."""
        export = is_export(name)
        planned = _upload_path(self.corpus, name, export)
        rel = planned.relative_to(self.corpus).as_posix()
        articles = parse_upload(safe_name(name), data, self.config.limits, rel)
        with self._write:
            index = self.current()
            new_texts = _not_indexed(index, articles, refuse=not export)
            started = time.perf_counter()
            try:
                path = (write_new(_export_folder(self.corpus, name), EXPORT_FILE, data) if export else
                        write_new(self.corpus / UPLOAD_DIR, safe_name(name), data))
            except OSError as exc:           # disk full, read-only corpus folder: nothing was written
                raise IngestError(f"The file could not be saved ({_why(exc)}); nothing was added.") from exc
            if path != planned:      # another file took the planned name meanwhile: ids follow the path
                rel = path.relative_to(self.corpus).as_posix()
                articles = parse_upload(safe_name(name), data, self.config.limits, rel)
            articles = [a for a in articles if _text_of(a) in new_texts]
            try:
                new, sentences = index.add_articles(articles, self.corpus)
            except (OSError, sqlite3.Error) as exc:     # the new generation could not be written
                with contextlib.suppress(OSError):
                    path.unlink()                       # the corpus stays as the index knows it
                raise IngestError(f"The index could not be updated ({_why(exc)}); nothing was added.") from exc
            self._swap_added(new)
            return Added(path, len(articles), sentences, [a.title for a in articles],
                         time.perf_counter() - started)

    def save_post(self, chat_id: int, message_id: int, text: str, *, channel: str,
                  published: str | None, url: str | None, edited: bool) -> Added:
        """Store a channel post as an article; an edit replaces it (the old version's article is
        tombstoned and the new one added to the delta segment: no rebuild)."""
        folder = self.corpus / CHANNEL_DIR / str(chat_id).lstrip("-")
        path = folder / f"{message_id}.md"
        article_id = f"channel/{str(chat_id).lstrip('-')}/{message_id}"
        body = post_markdown(text, post_title(text, channel), article_id, published, url, channel)
        data = body.encode("utf-8")
        started = time.perf_counter()
        with self._write:
            index = self.current()
            rel = path.relative_to(self.corpus).as_posix()
            replaced = _indexed_version(index, rel, path)
            try:
                replace_file(path, data)
            except OSError as exc:           # disk full, read-only folder: an older version stays as it was
                raise IngestError(f"The post could not be saved ({_why(exc)}).") from exc
            try:
                articles = parse_upload(rel, data)
                new, sentences = index.add_articles(articles, self.corpus, replaced)
            except (OSError, sqlite3.Error) as exc:
                # the post is saved (a reindex or the next start indexes it); the old index serves
                raise IngestError(f"The post was saved as {rel} but the index could not be updated "
                                  f"({_why(exc)}); /reindex adds it once there is room.") from exc
            if replaced or edited:
                log.info("Edited post %s: %d old version(s) replaced", rel, len(replaced))
            self._swap_added(new)
            return Added(path, 1, sentences, [a.title for a in articles], time.perf_counter() - started)

    # ----- the delta segment and its merge (index.delta) ---------------------------------------
    def _swap_added(self, new: SearchIndex) -> None:
        """Serve an index with articles just added (caller holds the write lock); a delta past
        `merge_sentences` starts a merge in the background."""
        self._serve(new)
        if self.searchers is not None:
            self.searchers.start()          # they take the new delta now, not at their next search
        if new.delta_sentences >= self.merge_sentences:
            self.start_merge()

    @property
    def merging(self) -> bool:
        return self.merges.running

    def start_merge(self) -> bool:
        """Merge the delta in a background thread (False: one runs already; `index.merging`)."""
        return self.merges.start()

    def merge(self, serve: bool = True) -> bool:
        """Merge the delta now (False: there is none); searches, uploads and posts go on meanwhile.
        Not `serve`: publish the merged index without loading it, and serve nothing after (the CLI)."""
        return self.merges.run() if serve else self.merges.run_unserved()


def _indexed_version(index: SearchIndex, rel: str, path: Path) -> set[int]:
    """The article ids of the version of `path` the index serves (an edited post replaces them)."""
    try:
        old = path.read_bytes()
    except OSError:
        return set()
    with contextlib.suppress(IngestError, ValueError):
        return delta.indexed_ids(index, parse_upload(rel, old))
    return set()


# The rebuild runs in a child process: analysing a corpus is pure-Python CPU work, and in a thread
# it would hold the GIL against the event loop (every await point waiting up to the 5 ms switch
# interval), so questions asked meanwhile would wait for it. A child also runs on another core.
# A rebuild while the bot serves runs in the SCHED_IDLE class (its build workers inherit it): it
# gets only the CPU the bot's processes leave, so answers keep their latency and the rebuild
# takes longer when the bot is busy (bench/bot_load.py's reindex phase measures both). Niceness
# alone does not do that: a nice-10 process still takes ~10% of a core the bot wants, nice 19
# ~1.5%, and the bot at 200 questions/s on 1M wants both cores. The first build (nothing to
# answer yet) and systems without SCHED_IDLE use REBUILD_NICENESS.
REBUILD_NICENESS = 10


def build_in_child(corpus: Path, root: Path, config: IndexConfig | None = None,
                   only_if_stale: bool = False) -> BuildReport | None:
    """`SearchIndex.build` in a fresh ("spawn") child process: writes a new generation of `root`
    and switches CURRENT to it; the caller loads it. Errors are re-raised here. `only_if_stale`:
    `open_index` there instead (builds only when missing, stale or unusable; returns None)."""
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_build_generation, corpus, root, config, only_if_stale).result()


def _build_generation(corpus: Path, root: Path, config: IndexConfig | None = None,
                      only_if_stale: bool = False) -> BuildReport | None:
    from .lifecycle import die_with_parent
    die_with_parent(graceful=True)  # SIGTERM or the bot's death: the temp folder is removed, it exits
    yield_cpu(idle=not only_if_stale)
    if only_if_stale:
        open_index(corpus, root, config=config).close()
        return None
    report = write_index(corpus, root, config=config)
    return report


def yield_cpu(idle: bool) -> str:
    """Lower this process's CPU priority (inherited by what it forks): the SCHED_IDLE class when
    `idle` and available, else REBUILD_NICENESS. Which one it got: "idle", "nice" or "none"."""
    if idle:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
    try:
        os.nice(REBUILD_NICENESS)
    except (OSError, AttributeError):
        return "none"
    return "nice"


class SearchProcesses:
    """The service's reads (`_search`, `_context`, ...) in worker processes, off the calling
    process's GIL.

    In the bot, the event loop (updates, HTTP calls, rendering) and the searches share one
    GIL, so their CPU adds up on one core; a search process runs on another. Each worker
    memory-maps the generation that CURRENT names and reloads when CURRENT changes (a
    rebuild, an upload, a channel post), so it never sees a half-written index; around a swap
    it may answer from the new generation a moment before `IndexService.index` is swapped,
    never from an older one than the disk holds. `run` raises WorkerFailed on any failure (the
    caller then answers in-process): a crashed worker costs speed, never an answer.
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

    def run(self, generation: str, fn: Callable[..., Any], args: tuple) -> Any:
        """`fn(index, *args)` in a worker, on `generation` (the caller's) or a newer one.
        Raises WorkerFailed on any failure (the caller then answers in-process)."""
        if self._pool is None and time.monotonic() < self._restart_at:
            raise WorkerFailed("search processes restarting")
        pool = None
        try:
            pool = self._executor()
            return pool.submit(_worker_run, generation, fn, args).result()
        except Exception as exc:  # noqa: BLE001 - any failure: the caller answers in-process
            self._failed(exc, pool)
            raise WorkerFailed(str(exc)) from exc

    def _failed(self, exc: Exception, pool: ProcessPoolExecutor | None) -> None:
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
            log.warning("A search process failed (%s: %s); answering in the bot process "
                        "(%d failures so far)", type(exc).__name__, exc, self.failures)

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
    _worker_for(None)


def _worker_run(generation: str, fn: Callable[..., Any], args: tuple) -> Any:
    return fn(_worker_for(generation), *args)


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
        _worker_index = _worker_load()
    elif _worker_index.generation.name != current:
        loading = _worker_loader is not None and _worker_loader.is_alive()
        if wanted == current:
            if loading:
                _worker_loader.join()
            _adopt_next()
            if _worker_index.generation.name != current:
                _adopt(_worker_load())
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
        index = _worker_load()
    except Exception:  # noqa: BLE001 - the old generation keeps answering
        log.exception("A search process could not load index generation %s", name)
        _worker_failed = name
        return
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


def _worker_load() -> SearchIndex:
    """The generation CURRENT names (after an add, only its delta is read: the main is the one this
    worker holds), its speakers and lexicon then built in the background (`index.warmup`)."""
    assert _worker_root is not None
    index = SearchIndex.load(_worker_root, previous=_worker_index)
    warmup.start(index)
    return index


# ----- the reads, as functions of an index: run in a search process or in the caller's ------------
CONTEXT_WIDTH = 2       # sentences on each side of a hit that "Context" shows


def _search(index: SearchIndex, query: str, k: int, offset: int) -> SearchResult:
    return index.search(query, k=k, offset=offset)


def text_key(text: str) -> str:
    """A short key of a sentence's text: what a page showed is remembered as (sentence id, key),
    and "Context" quotes a sentence only if its text still has that key."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _context(index: SearchIndex, query: str, number: int, page_size: int,
             shown: tuple[tuple[int, str], ...]) -> list[tuple[Hit, list[tuple[int, str]]]] | None:
    result = index.search(query, k=page_size, offset=number * page_size)
    hits: list[Hit] = list(result.hits)
    if [text_key(h.text) for h in hits] != [key for _, key in shown]:
        hits = []
        for n, (sid, key) in enumerate(shown):
            hit = index.sentence(sid, result.terms)
            if hit is None or text_key(hit.text) != key:
                return None
            hits.append(dataclasses.replace(hit, rank=number * page_size + n + 1))
    return [(hit, index.context(hit.sentence_id, CONTEXT_WIDTH)) for hit in hits]


def _example_question(index: SearchIndex) -> str | None:
    return index.example_question()


def _stats(index: SearchIndex) -> IndexStats:
    return index.stats()


def _text_of(article: Article) -> str:
    return article.text[article.body_start:]


def _not_indexed(index: SearchIndex, articles: list[Article], refuse: bool) -> set[str]:
    """The texts of `articles` the index does not hold yet. `refuse` (a plain upload): any text
    already indexed refuses the whole file; else (an export, whose messages the live channel may
    have delivered already) those are left out, and an export with nothing new is refused."""
    texts = [_text_of(article) for article in articles]
    indexed = index.find_article_texts(texts)
    if refuse and (dup := next((d for d in indexed if d), None)):
        raise IngestError(f"This text is already indexed (article {dup}); nothing was added.")
    fresh = {text for text, dup in zip(texts, indexed) if not dup}
    if not fresh:
        raise IngestError("Every message of this export is already indexed; nothing was added.")
    return fresh


def _upload_path(corpus: Path, name: str, export: bool) -> Path:
    """Where an upload would be saved now (`add_upload` saves it there unless the name is taken meanwhile)."""
    return _export_folder(corpus, name) / EXPORT_FILE if export else free_path(corpus / UPLOAD_DIR, safe_name(name))


def _export_folder(corpus: Path, name: str) -> Path:
    """A new folder under uploads/ for an export (the corpus reader knows it by its name result.json)."""
    stem = os.path.splitext(safe_name(name))[0]
    for n in range(1, 10_000):
        folder = corpus / UPLOAD_DIR / (f"{stem}-export" if n == 1 else f"{stem}-export-{n}")
        if not (folder / EXPORT_FILE).exists():
            return folder
    raise IngestError("Too many exports with this name.")


def _why(exc: BaseException) -> str:
    """An OSError's or SQLite error's reason in words ("No space left on device")."""
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


__all__ = ["stop_children", "IndexService", "NotReady", "Busy", "Added", "Status", "IngestError", "BuildReport", "IndexStats",
           "text_key"]
