"""What the handlers share (`BotState`): the settings, the index service, the memory behind
the buttons, and the per-user question budget.

Telegram gives a button 64 bytes of `callback_data`, too little for a
question, so an answer's question lives here under a short random token and
the button carries only ``action:token:page``. The store is a bounded LRU:
memory stays flat however many questions are asked, and a button whose
token was evicted (or never existed: a forged callback) just gets a polite
"ask again". Everything here runs on the event loop thread, so no locks.
"""
from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from index.hits import SearchResult
from index.service import IndexService

from .config import Settings

MAX_CALLBACK_BYTES = 64
ACTIONS = {"m": "more", "c": "context", "d": "didyoumean"}
_DATA = re.compile(r"([a-z]):([A-Za-z0-9_-]{4,16}):(\d{1,4})")


@dataclass(frozen=True, slots=True)
class Callback:
    """A decoded button press: what to do, for which stored question, on which page."""

    action: str
    token: str
    page: int

    def encode(self) -> str:
        data = f"{self.action}:{self.token}:{self.page}"
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        return data


def decode(data: str | None) -> Callback | None:
    """The button behind `data`, or None for anything this bot never made."""
    match = _DATA.fullmatch(data or "")
    if not match or match.group(1) not in ACTIONS:
        return None
    return Callback(match.group(1), match.group(2), int(match.group(3)))


@dataclass
class Asked:
    """One question as asked, and which of its pages were already sent or shown in context.

    `pages` keeps (sentence id, sentence text) of every hit shown per page, so
    "Context" can check that the index still holds those very sentences (a
    reindex renumbers them) before quoting their neighbours.
    """

    query: str
    page_size: int
    pages: dict[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    sent: set[int] = field(default_factory=set)
    context_shown: set[int] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)     # buttons already removed from their message


class QueryStore:
    """A bounded LRU of asked questions keyed by short random tokens."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Asked] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, asked: Asked) -> str:
        token = secrets.token_urlsafe(6)          # 8 characters, 48 random bits
        while token in self._items:
            token = secrets.token_urlsafe(6)
        self._items[token] = asked
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Asked | None:
        asked = self._items.get(token)
        if asked is not None:
            self._items.move_to_end(token)
        return asked


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
    """(sentence id, text) of each hit: what a page showed, for later Context presses."""
    return tuple((h.sentence_id, h.text) for h in result.hits)


@dataclass
class BotState:
    """Everything the handlers share; one per Application (``bot_data["state"]``). Whether the
    index is loading, failed or rebuilding is the service's to say, not kept here."""

    settings: Settings
    service: IndexService
    queries: QueryStore = field(default_factory=QueryStore)
    limiter: QuestionLimiter | None = None
    loader: asyncio.Task | None = None      # the task loading the index (started in post_init)

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = QuestionLimiter(self.settings.questions_per_minute)


def bot_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data["state"]
