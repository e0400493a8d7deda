"""Where questions wait while the index loads (or is rebuilt from scratch), oldest first.

A restarted bot gets every update Telegram kept meanwhile at once, usually before its index
has loaded. Instead of "ask again", each handler that needs the index waits at the gate; when
the service leaves its "loading" phase (ready, or failed) the waiters are let through in the
order they arrived, so the oldest question is searched first. One poller task watches the
service while anyone waits (the service is thread-based and knows nothing of asyncio).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from index.service import IndexService


class ReadyGate:
    """Handlers wait here until the index is loaded or has failed to load."""

    POLL = 0.05         # seconds between looks at the service while someone waits

    def __init__(self, service: IndexService) -> None:
        self.service = service
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._poller: asyncio.Task | None = None

    @property
    def open(self) -> bool:
        return self.service.phase != "loading"

    def __len__(self) -> int:
        return sum(not f.done() for f in self._waiting)

    async def wait(self) -> None:
        """Return once the index is ready or failed (at once if it is); FIFO among waiters."""
        if self.open:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())
        await future

    async def _poll(self) -> None:
        while self._waiting:
            if self.open:
                while self._waiting:
                    future = self._waiting.popleft()
                    with contextlib.suppress(asyncio.InvalidStateError):
                        future.set_result(None)       # a waiter that gave up was cancelled: skipped
                return
            await asyncio.sleep(self.POLL)
