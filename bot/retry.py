"""Every Bot API call goes through here: throttled, and retried when Telegram fails transiently.

PTB's `AIORateLimiter` keeps the bot under Telegram's flood limits and, with
``max_retries``, waits out a 429 ``retry_after`` and tries again. It does not
retry a 5xx answer (Telegram's "Internal Server Error", nginx's "Bad
Gateway" page) or a timeout: PTB raises `NetworkError`/`TimedOut`, the
handler fails, and the user's answer is lost. `RetryingRateLimiter` adds
those retries with a growing pause (0.5 s, 1 s, 2 s, ... at most
`MAX_PAUSE`), so a reply is delayed, not lost.

Not retried: `BadRequest` (a 400 is final; it subclasses NetworkError in
PTB), `Forbidden`, `InvalidToken`, and ``sendChatAction`` (a typing
indicator is worthless once late). ``getUpdates`` never comes here (PTB
does not rate-limit it; its polling loop retries it itself).

A timed-out call may still have reached Telegram; retrying it then delivers
the message twice. The bot prefers a rare duplicate to a lost answer, and
makes it rare: a call is given `bot.app.READ_TIMEOUT` (20 s, not PTB's 5 s)
for its answer, so a stall of a few seconds delays a reply instead of
doubling it. A pool or connect timeout (the request was never sent) is safe
to retry.

With RATE_LIMITER=off nothing is throttled, but 429s, 5xx and timeouts are
still retried.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

FLOOD_RETRIES = 5        # 429 answers waited out per call
NETWORK_RETRIES = 5      # 5xx answers and timeouts retried per call
FIRST_PAUSE = 0.5        # seconds before the first network retry; doubled each time
MAX_PAUSE = 8.0
NOT_RETRIED = frozenset({"sendChatAction"})


class RetryingRateLimiter(AIORateLimiter):
    """`AIORateLimiter` (flood limits, 429 retries) that also retries 5xx answers and timeouts."""

    def __init__(self, throttle: bool = True, flood_retries: int = FLOOD_RETRIES,
                 network_retries: int = NETWORK_RETRIES, first_pause: float = FIRST_PAUSE) -> None:
        limits: dict[str, Any] = {} if throttle else {"overall_max_rate": 0, "group_max_rate": 0}
        super().__init__(max_retries=flood_retries, **limits)
        self.network_retries = network_retries
        self.first_pause = first_pause
        self.retried = 0            # network retries made since start (for logs and tests)

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None) -> Any:
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (BadRequest, RetryAfter):
                raise
            except NetworkError as exc:          # 5xx, a garbled answer, TimedOut, a dropped connection
                if attempt >= self.network_retries or endpoint in NOT_RETRIED:
                    raise
                pause = min(self.first_pause * 2 ** attempt, MAX_PAUSE)
                attempt += 1
                self.retried += 1
                log.warning("%s failed (%s: %s); retry %d of %d in %.1f s", endpoint, type(exc).__name__,
                            exc, attempt, self.network_retries, pause)
                await asyncio.sleep(pause)
