"""bot.state: callback data within 64 bytes, the bounded question store, the per-user rate limit."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.state import MAX_CALLBACK_BYTES, Asked, Callback, QueryStore, QuestionLimiter, decode


def test_callback_data_round_trips_and_fits_64_bytes() -> None:
    store = QueryStore()
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


def test_store_is_a_bounded_lru() -> None:
    store = QueryStore(capacity=3)
    tokens = [store.put(Asked(f"q{n}", 3)) for n in range(3)]
    assert store.get(tokens[0]).query == "q0"                # touch: now the most recent
    newest = store.put(Asked("q3", 3))
    assert len(store) == 3
    assert store.get(tokens[1]) is None                      # the least recently used went
    assert store.get(tokens[0]) is not None and store.get(newest) is not None
    assert store.get("never-made") is None
    assert len({store.put(Asked("x", 1)) for _ in range(200)}) == 200


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
