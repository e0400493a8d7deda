"""What the handlers share (`BotState`): the settings, the index service, the memory behind
the buttons (`bot.button_store`), the gate questions wait at while the index loads
(`bot.waiting`), and the per-user question budget. Everything here runs on the event loop
thread, so no locks.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from index.hits import SearchResult
from index.service import IndexService, text_key

from .button_store import ButtonStore
from .config import Settings
from .waiting import ReadyGate

class QuestionLimiter:
    """At most `per_minute` questions per user in any 60 s window (0: unlimited).

    `check` answers (allowed, seconds to wait, should_tell): the user is told
    once per refusal streak, later refusals in the same window are silent.
    """

    def __init__(self, per_minute: int, window: float = 60.0, max_users: int = 50_000) -> None:
        self.per_minute = per_minute
        self.window = window
        self.max_users = max_users
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()
        self._told: dict[int, float] = {}

    def check(self, user_id: int | None, now: float | None = None) -> tuple[bool, int, bool]:
        if not self.per_minute or user_id is None:
            return True, 0, False
        now = time.monotonic() if now is None else now
        times = self._seen.get(user_id)
        if times is None:
            times = self._seen[user_id] = deque()
            while len(self._seen) > self.max_users:
                old, _ = self._seen.popitem(last=False)
                self._told.pop(old, None)
        self._seen.move_to_end(user_id)
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._told.pop(user_id, None)
            return True, 0, False
        wait = max(1, int(self.window - (now - times[0]) + 0.999))
        tell = user_id not in self._told
        self._told[user_id] = now
        return False, wait, tell


def shown(result: SearchResult) -> tuple[tuple[int, str], ...]:
    """(sentence id, text key) of each hit: what a page showed, for later Context presses."""
    return tuple((h.sentence_id, text_key(h.text)) for h in result.hits)


@dataclass
class BotState:
    """Everything the handlers share; one per Application (``bot_data["state"]``). Whether the
    index is loading, failed or rebuilding is the service's to say, not kept here."""

    settings: Settings
    service: IndexService
    queries: ButtonStore = None         # type: ignore[assignment] - made in __post_init__
    limiter: QuestionLimiter = None     # type: ignore[assignment]
    gate: ReadyGate = None              # type: ignore[assignment]
    loader: asyncio.Task | None = None  # the task loading the index (started in post_init)
    reported: dict[str, float] = field(default_factory=dict)   # error kind -> when admins were told

    def __post_init__(self) -> None:
        if self.queries is None:
            self.queries = ButtonStore(self.settings.index_path)
        if self.limiter is None:
            self.limiter = QuestionLimiter(self.settings.questions_per_minute)
        if self.gate is None:
            self.gate = ReadyGate(self.service)


def bot_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data["state"]
