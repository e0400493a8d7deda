"""bot.button_store and bot.state: callback data within 64 bytes, the question store (SQLite,
bounded by count and age, across restarts, claims), the per-user rate limit."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.button_store import CHECKPOINT_AFTER_PUTS, FILE_NAME, MAX_CALLBACK_BYTES, Asked, ButtonStore, Callback, decode
from bot.state import QuestionLimiter


@pytest.fixture
def store(tmp_path: Path) -> ButtonStore:
    return ButtonStore(tmp_path)


def test_callback_data_round_trips_and_fits_64_bytes(store: ButtonStore) -> None:
    token = store.put(Asked("q" * 4000, 5))                  # the question's length does not matter
    for action in ("m", "c", "d"):
        data = Callback(action, token, 1000).encode()
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        assert decode(data) == Callback(action, token, 1000)


@given(st.text(max_size=100))
def test_decode_never_raises(data: str) -> None:
    decoded = decode(data)
    assert decoded is None or decoded.encode() == data


def test_forged_and_malformed_data_is_refused() -> None:
    for data in (None, "", "m:tok", "z:AAAAAAAA:1", "m:AAAAAAAA:-1", "m:AAAAAAAA:99999", "m:AA:1",
                 "m:AAAA AAAA:1", "m:AAAAAAAA:1:extra"):
        assert decode(data) is None


def test_store_is_bounded_by_count_least_recently_used_first(tmp_path: Path) -> None:
    store = ButtonStore(tmp_path, max_rows=3)
    tokens = [store.put(Asked(f"q{n}", 3)) for n in range(3)]
    time.sleep(0.01)
    assert store.claim(tokens[0], "sent", 1).query == "q0"   # a press: now the most recent
    newest = store.put(Asked("q3", 3))
    assert store.clean() == 1 and len(store) == 3
    assert store.get(tokens[1]) is None                      # the least recently used went
    assert store.get(tokens[0]) is not None and store.get(newest) is not None
    assert store.get("never-made") is None
    assert len({store.put(Asked("x", 1)) for _ in range(200)}) == 200


def test_store_forgets_questions_past_the_age_bound(tmp_path: Path) -> None:
    store = ButtonStore(tmp_path, max_age_days=1)
    old, new = store.put(Asked("old", 3)), store.put(Asked("new", 3))
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:        # as if asked two days ago
        conn.execute("UPDATE asked SET used = used - 2 * 86400 WHERE token = ?", (old,))
    assert store.clean() == 1
    assert store.get(old) is None and store.get(new).query == "new"


def test_store_survives_a_restart_and_claims_once(tmp_path: Path) -> None:
    store = ButtonStore(tmp_path)
    asked = Asked("what did Lavrov say", 5)
    asked.pages[0] = ((3, "abc123"), (7, "def456"))
    asked.sent.add(0)
    token = store.put(asked)
    store.close()
    again = ButtonStore(tmp_path)                              # a new process opens the same file
    assert again.get(token) == asked
    assert again.claim(token, "sent", 1) is not None
    assert again.claim(token, "sent", 1) is None              # a double tap: claimed once
    again.release(token, "sent", 1)                           # its work failed: the button works again
    assert again.claim(token, "context_shown", 0).context_shown == {0}
    assert again.claim(token, "sent", 1).sent == {0, 1}
    assert again.claim("never-made", "sent", 1) is None


def test_limiter_allows_n_per_window_and_tells_once() -> None:
    limiter = QuestionLimiter(per_minute=2)
    assert limiter.check(1, now=0.0) == (True, 0, False)
    assert limiter.check(1, now=1.0) == (True, 0, False)
    assert limiter.check(1, now=2.0) == (False, 58, True)
    assert limiter.check(1, now=3.0) == (False, 57, False)    # said once, then silent
    assert limiter.check(2, now=3.0)[0]                       # other users are not affected
    assert limiter.check(1, now=60.5) == (True, 0, False)     # the oldest question left the window
    assert limiter.check(1, now=60.9) == (False, 1, True)     # a new streak: told again


def test_limiter_off_and_bounded() -> None:
    assert all(QuestionLimiter(0).check(1, now=float(n))[0] for n in range(100))
    limiter = QuestionLimiter(1, max_users=10)
    for user in range(100):
        limiter.check(user, now=0.0)
    assert len(limiter._seen) == 10


def test_the_wal_is_checkpointed_off_the_event_loop_and_stays_bounded(tmp_path: Path) -> None:
    """The bot's connection never checkpoints (an fsync on the event loop); a background thread
    does, every CHECKPOINT_AFTER_PUTS questions, so the WAL does not grow without end."""
    store = ButtonStore(tmp_path)
    wal = tmp_path / (FILE_NAME + "-wal")
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    sizes = []
    for n in range(6 * CHECKPOINT_AFTER_PUTS):
        store.put(Asked(f"question {n} " + "x" * 200, 3))
        if n % CHECKPOINT_AFTER_PUTS == CHECKPOINT_AFTER_PUTS - 1:
            store._checkpointing.acquire()                 # the background checkpoint has finished
            store._checkpointing.release()
            sizes.append(wal.stat().st_size)
    assert max(sizes) <= 2 * sizes[0] + 65536              # reused from the start, not appended to
    assert len(store) == 6 * CHECKPOINT_AFTER_PUTS
