"""The one place that holds the current index for a long-running process.

Searches read `self.index` (a plain attribute: swapping it is atomic), so
they never wait for a rebuild or an addition and never see a half-built
index. Writers (rebuild, upload, channel post) take one lock, build the new
`SearchIndex` aside, and swap it in at the end. A failed rebuild leaves the
old index serving. All methods are blocking: the bot calls them through
``asyncio.to_thread``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .build import BuildReport
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
    def __init__(self, corpus: Path, root: Path) -> None:
        self.corpus = corpus
        self.root = root
        self.index: SearchIndex | None = None
        self.questions_answered = 0
        self._write = threading.Lock()
        self._rebuilding = False
        self.started_at = time.time()

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
        result = self.current().search(query, k=k, offset=offset)
        self.questions_answered += 1
        return result

    # ----- writing -----------------------------------------------------------
    def start(self) -> SearchIndex:
        """Load the index, building it when missing, stale or unusable."""
        with self._write:
            self.index = open_index(self.corpus, self.root, log=log.info)
            return self.index

    @property
    def rebuilding(self) -> bool:
        return self._rebuilding

    def rebuild(self) -> BuildReport:
        """Rebuild from the corpus folder; the old index serves until the swap. Busy if one runs."""
        if not self._write.acquire(blocking=False):
            raise Busy("A reindex is already running.")
        self._rebuilding = True
        try:
            new, report = SearchIndex.build(self.corpus, self.root)
            old, self.index = self.index, new
            return report
        finally:
            self._rebuilding = False
            self._write.release()

    def add_upload(self, name: str, data: bytes) -> Added:
        """Validate, save under corpus/uploads/ and index an uploaded file."""
        articles = parse_upload(safe_name(name), data)
        with self._write:
            index = self.current()
            for article in articles:
                dup = index.find_article_text(article.text[article.body_start:])
                if dup:
                    raise IngestError(f"This text is already indexed (article {dup}); nothing was added.")
            started = time.perf_counter()
            path = write_new(self.corpus / UPLOAD_DIR, safe_name(name), data)
            articles = parse_upload(path.relative_to(self.corpus).as_posix(), data)
            new, sentences = index.add_articles(articles, self.corpus)
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
            replace_file(path, data)
            rel = path.relative_to(self.corpus).as_posix()
            if existed or edited:
                new, report = SearchIndex.build(self.corpus, self.root)
                self.index = new
                return Added(path, 1, report.sentences, [], time.perf_counter() - started)
            articles = parse_upload(rel, data)
            new, sentences = index.add_articles(articles, self.corpus)
            self.index = new
            return Added(path, 1, sentences, [a.title for a in articles], time.perf_counter() - started)


__all__ = ["IndexService", "NotReady", "Busy", "Added", "IngestError", "store"]
