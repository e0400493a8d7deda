"""`FakeBotAPI`: the fake Bot API assembled from its parts, and what a test inspects.

The parts share one state (`World`); each module holds one concern: what Telegram accepts
(`validate`), the world (`world`), building updates (`inject`), the method handlers
(`methods`, `bot_methods`), the HTTP front (`front`) and running a bot against it (`drive`). This module adds the read side a test
uses: the calls received, the messages sent, and waiting for a call.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import Callable
from typing import Any

from .bot_methods import BotMethods
from .drive import Driving
from .front import HttpFront
from .inject import Injection
from .methods import MessageMethods


class FakeBotAPI(HttpFront, Driving, Injection, MessageMethods, BotMethods):
    """In-process fake of the Telegram Bot API (see the package docstring)."""

    def __init__(self, token: str = "123456:TEST-TOKEN", bot_username: str = "ArticleQABot",
                 bot_id: int = 123456) -> None:
        super().__init__(token, bot_username, bot_id)
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._api_get_me,
            "getUpdates": self._api_get_updates,
            "sendMessage": self._api_send_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "answerCallbackQuery": self._api_answer_callback_query,
            "answerInlineQuery": self._api_answer_inline_query,
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "getFile": self._api_get_file,
            "sendChatAction": self._api_send_chat_action,
            "sendDocument": self._api_send_document,
            "deleteMessage": self._api_delete_message,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "setChatMenuButton": self._api_set_chat_menu_button,
            "getChatMenuButton": self._api_get_chat_menu_button,
            "setMyDescription": self._api_set_bot_property("description"),
            "setMyShortDescription": self._api_set_bot_property("short_description"),
            "setMyName": self._api_set_bot_property("name"),
            "close": lambda params: True,
            "logOut": lambda params: True,
        }
        self._init_front()

    # ------------------------------------------------------------------ inspection
    def calls(self, method: str | None = None) -> list[dict]:
        """Every API call received (oldest first): ``{"method", "params", "time", "status",
        "response", "fault"}``; ``status``/``response`` are None while still in flight."""
        with self._cond:
            return [copy.deepcopy(c) for c in self._calls
                    if method is None or c["method"] == method]

    def sent(self, chat_id: int | None = None) -> list[dict]:
        """Messages the bot sent (sendMessage/sendDocument that succeeded), oldest first.

        Each record keeps what the bot gave: ``text`` (raw, e.g. with HTML tags),
        ``parse_mode``, ``entities``, ``reply_markup``, ``message_thread_id``,
        ``reply_parameters``, plus ``chat_id``, ``chat``, ``message_id``, ``method``,
        ``params``, ``plain_text`` (visible text after entity parsing), ``message`` (the
        Message as Telegram returned/stores it), ``edits`` (number of successful edits; the
        fields above reflect the latest edit) and ``deleted``.
        """
        with self._cond:
            return [copy.deepcopy(r) for r in self._sent
                    if chat_id is None or r["chat_id"] == chat_id]

    def update_times(self, update_id: int) -> tuple[float | None, float | None]:
        """``(queued, delivered)``: when the update was queued (``send_message``...) and when
        a ``getUpdates`` first returned it (None if not yet), as ``time.time()`` values --
        the same clock as the ``time`` of :meth:`calls` records."""
        with self._cond:
            return self._queued_at.get(update_id), self._delivered_at.get(update_id)

    def add_listener(self, listener: Callable[[dict], None]) -> None:
        """Call ``listener(call)`` after each API call has been answered, with the call
        record (as in :meth:`calls`; not a copy: do not modify it). Runs on the server's
        request thread, outside the lock; keep it short. Exceptions go to ``server_errors``."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[dict], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def pending_updates(self) -> list[dict]:
        """Updates queued but not yet confirmed by the bot (via getUpdates offset)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """Commands currently set with setMyCommands for a scope (default scope by default)."""
        with self._cond:
            key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
            return copy.deepcopy(self._commands.get(key, []))

    def webhook_info(self) -> dict:
        """The webhook currently set (``{}`` if none): url, secret_token, allowed_updates..."""
        with self._cond:
            return copy.deepcopy(self._webhook)

    def wait_for(
        self,
        predicate: Callable[[dict], bool],
        method: str = "sendMessage",
        timeout: float = 10.0,
        include_failed: bool = False,
    ) -> dict:
        """Block until a call of ``method`` whose params satisfy ``predicate`` has completed
        (already-received calls count); return its call record.

        By default only calls answered with ``ok: true`` match (a 400/429 attempt is not a
        message the user saw); pass ``include_failed=True`` to match those too. A predicate
        raising (KeyError...) counts as False. On timeout raises AssertionError listing the
        calls received.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self._calls:
                    if call["method"] != method or call["status"] is None:
                        continue
                    if not include_failed and call["status"] != 200:
                        continue
                    try:
                        matched = predicate(call["params"])
                    except Exception:  # noqa: BLE001 - a predicate mismatch
                        matched = False
                    if matched:
                        return copy.deepcopy(call)
                self._wait_until(deadline, f"no matching {method} call within {timeout}s")

    def _describe_calls(self) -> str:
        lines = []
        for c in self._calls:
            params = {k: (v if not isinstance(v, dict) or "content" not in v else "<file>")
                      for k, v in c["params"].items()}
            text = json.dumps(params, default=repr, ensure_ascii=False)
            if len(text) > 300:
                text = text[:300] + "..."
            lines.append(f"  {c['method']} -> {c['status']} {text}")
        return "\n".join(lines) or "  (no calls)"

    def wait_until_polling(self, timeout: float = 15.0) -> None:
        """Block until the bot has called getUpdates at least once."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._get_updates_count == 0:
                self._wait_until(deadline, f"bot did not call getUpdates within {timeout}s")

    def _wait_until(self, deadline: float, failure: str) -> None:
        """Sleep on the lock until something changes; past `deadline` fail with the calls received."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{failure}; received:\n" + self._describe_calls())
        self._cond.wait(remaining)

    async def wait_for_async(
        self,
        predicate: Callable[[dict], bool],
        method: str = "sendMessage",
        timeout: float = 10.0,
        include_failed: bool = False,
    ) -> dict:
        """:meth:`wait_for` in a worker thread, for tests sharing the bot's event loop."""
        return await asyncio.to_thread(self.wait_for, predicate, method, timeout, include_failed)

    async def wait_until_polling_async(self, timeout: float = 15.0) -> None:
        await asyncio.to_thread(self.wait_until_polling, timeout)
