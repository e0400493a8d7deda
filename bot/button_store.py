"""The memory behind the buttons, in SQLite beside the index, so buttons outlive the process.

Telegram gives a button 64 bytes of `callback_data`, too little for a question, so each
answered question is one row under a short random token and its buttons carry only
``action:token:page`` (`bot.state.Callback`). The row holds the question, the page size, and
what happened since: per page the (sentence id, text key) of each hit shown (so "Context" can
check that the index still holds those very sentences), the pages sent, the pages whose context
was shown, and the buttons already removed. JSON in a TEXT column: nothing is ever unpickled.

Bounds: a question not used for `MAX_AGE_DAYS` days is forgotten, and at most `MAX_ROWS`
questions are kept (the least recently used go first); a pressed button of a forgotten
question gets a polite "too old". A daemon thread with its own connection deletes in small
batches (`CLEAN_BATCH` rows a transaction), so cleaning never holds the bot up for long; the
database is in WAL mode, so the bot's reads never wait for it.

The event loop's connection never checkpoints the WAL (SQLite's automatic checkpoint would run
in whichever commit crosses 1000 pages, with an fsync of the database, on the event loop: under
a rebuild writing its new index that fsync can take seconds). A daemon thread checkpoints
instead, every `CHECKPOINT_AFTER_PUTS` questions.

Every call but the cleaning runs on the event loop's thread and finishes without awaiting,
so a check-and-claim (`claim`) is atomic against other presses: a double tap sends once.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

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

    `pages` keeps (sentence id, text key) of every hit shown per page, so
    "Context" can check that the index still holds those very sentences (a
    reindex renumbers them) before quoting their neighbours.
    """

    query: str
    page_size: int
    pages: dict[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    sent: set[int] = field(default_factory=set)
    context_shown: set[int] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)     # buttons already removed from their message


FILE_NAME = "buttons.sqlite3"
MAX_AGE_DAYS = 30
MAX_ROWS = 100_000
CLEAN_BATCH = 1000
CLEAN_EVERY = 600.0          # seconds between cleanings (and after every CLEAN_AFTER_PUTS questions)
CLEAN_AFTER_PUTS = 5000
CHECKPOINT_AFTER_PUTS = 250  # about 1000 WAL pages, SQLite's own automatic checkpoint interval

SCHEMA = """
CREATE TABLE IF NOT EXISTS asked (
    token TEXT PRIMARY KEY,
    used REAL NOT NULL,
    query TEXT NOT NULL,
    page_size INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS asked_used ON asked (used);
"""
CLAIMS = ("sent", "context_shown", "dropped")


def encode_state(asked: Asked) -> str:
    return json.dumps({"pages": {str(n): [list(hit) for hit in hits] for n, hits in asked.pages.items()},
                       "sent": sorted(asked.sent), "context_shown": sorted(asked.context_shown),
                       "dropped": sorted(asked.dropped)}, ensure_ascii=False, separators=(",", ":"))


def decode_state(query: str, page_size: int, text: str) -> Asked:
    data = json.loads(text)
    pages = {int(n): tuple((int(sid), str(key)) for sid, key in hits) for n, hits in data["pages"].items()}
    return Asked(query, page_size, pages, set(data["sent"]), set(data["context_shown"]), set(data["dropped"]))


def connect(path: Path) -> sqlite3.Connection:
    # check_same_thread off: the store is made where the Application is built and used on the
    # thread of its event loop (one at a time); the cleaner opens its own connection.
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")     # a kill -9 loses nothing; a power cut the last moments
    return conn


class ButtonStore:
    """Asked questions by token, persisted; see the module docstring for the bounds."""

    def __init__(self, folder: Path, max_rows: int = MAX_ROWS, max_age_days: float = MAX_AGE_DAYS) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        self.max_rows = max_rows
        self.max_age = max_age_days * 86400
        self._conn = connect(self.path)
        self._conn.executescript(SCHEMA)
        self._conn.execute("PRAGMA wal_autocheckpoint=0")     # checkpoint_in_background does it
        self._puts = 0
        self._unchecked = 0
        self._cleaning = threading.Lock()
        self._checkpointing = threading.Lock()
        self._cleaned_at = time.monotonic()

    def __len__(self) -> int:
        return self._conn.execute("SELECT count(*) FROM asked").fetchone()[0]

    def put(self, asked: Asked) -> str:
        """Store a question asked now; its new token."""
        while True:
            token = secrets.token_urlsafe(6)          # 8 characters, 48 random bits
            try:
                self._conn.execute("INSERT INTO asked VALUES (?, ?, ?, ?, ?)",
                                   (token, time.time(), asked.query, asked.page_size, encode_state(asked)))
                break
            except sqlite3.IntegrityError:          # the token is taken: draw another
                continue
        self._puts += 1
        self._unchecked += 1
        if self._puts >= CLEAN_AFTER_PUTS or time.monotonic() - self._cleaned_at >= CLEAN_EVERY:
            self.clean_in_background()
        elif self._unchecked >= CHECKPOINT_AFTER_PUTS:
            self.checkpoint_in_background()
        return token

    def get(self, token: str) -> Asked | None:
        row = self._conn.execute("SELECT query, page_size, state FROM asked WHERE token = ?", (token,)).fetchone()
        return decode_state(*row) if row else None

    def save(self, token: str, asked: Asked) -> None:
        """Write back what a press changed (and count it as a use: it stays longer)."""
        self._conn.execute("UPDATE asked SET used = ?, state = ? WHERE token = ?",
                           (time.time(), encode_state(asked), token))

    def claim(self, token: str, what: str, key: int | str) -> Asked | None:
        """Mark `key` in `what` ("sent", "context_shown" or "dropped") unless it already is;
        the question after the claim, or None when it was claimed before (or is gone)."""
        assert what in CLAIMS
        asked = self.get(token)
        if asked is None or key in getattr(asked, what):
            return None
        getattr(asked, what).add(key)
        self.save(token, asked)
        return asked

    def release(self, token: str, what: str, key: int | str) -> None:
        """Undo a claim whose work could not be done (so the button works again)."""
        asked = self.get(token)
        if asked is not None:
            getattr(asked, what).discard(key)
            self.save(token, asked)

    # ----- the WAL and the bounds, off the event loop --------------------------------------------
    def checkpoint_in_background(self) -> None:
        """Copy the WAL into the database in a daemon thread (none starts while one runs)."""
        if self._checkpointing.acquire(blocking=False):
            self._unchecked = 0
            threading.Thread(target=self._checkpoint, name="button-store-checkpoint", daemon=True).start()

    def _checkpoint(self) -> None:
        try:
            conn = connect(self.path)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.warning("Checkpointing the button store failed: %s", exc)
        finally:
            self._checkpointing.release()

    def clean_in_background(self) -> None:
        self._unchecked = 0
        self._puts = 0
        self._cleaned_at = time.monotonic()
        threading.Thread(target=self.clean, name="button-store-cleaner", daemon=True).start()

    def clean(self) -> int:
        """Forget questions older than the age bound, then the least recently used over the count
        bound, in small transactions; then checkpoint the WAL. How many were forgotten."""
        if not self._cleaning.acquire(blocking=False):
            return 0
        try:
            conn = connect(self.path)
            try:
                return self._clean(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.warning("Cleaning the button store failed: %s", exc)
            return 0
        finally:
            self._cleaning.release()

    def _clean(self, conn: sqlite3.Connection) -> int:
        gone = 0
        oldest = time.time() - self.max_age
        while True:
            extra = max(0, conn.execute("SELECT count(*) FROM asked").fetchone()[0] - self.max_rows)
            cur = conn.execute(
                "DELETE FROM asked WHERE token IN (SELECT token FROM asked WHERE used < ? "
                "UNION ALL SELECT token FROM (SELECT token FROM asked ORDER BY used LIMIT ?) LIMIT ?)",
                (oldest, extra, CLEAN_BATCH))
            gone += cur.rowcount
            if cur.rowcount < CLEAN_BATCH:
                break
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if gone:
            log.info("Button store: forgot %d old questions", gone)
        return gone

    def close(self) -> None:
        self._conn.close()
