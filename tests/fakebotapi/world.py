"""The world the fake Bot API keeps: users, chats, messages, files and the queue of updates.

Everything a test injects (a user's message, a button press) and everything the bot sends
lands here, under one lock (`_cond`, a Condition: long polls and `wait_for` sleep on it), so
the method handlers (`methods`, `bot_methods`) and the injection helpers (`inject`) read one
consistent state.
"""
from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

from .validate import bad

# Telegram service accounts used as `from` of messages sent on behalf of a chat.
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot",
}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}

# Update types delivered when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


class World:
    """The fake's state and the lookups every method handler needs."""

    def __init__(self, token: str, bot_username: str, bot_id: int) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_user: dict[str, Any] = {
            "id": bot_id, "is_bot": True, "first_name": bot_username, "username": bot_username,
        }
        #: If True (default), sending to a chat no injected update mentioned is a
        #: 400 "chat not found" (as for a user who never started the bot).
        self.strict_chats = True
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()

        self._updates: list[dict[str, Any]] = []  # pending, not yet confirmed
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._webhook: dict[str, Any] = {}

        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_messages: set[tuple[int, int]] = set()
        self._sent: list[dict[str, Any]] = []
        self._sent_by_key: dict[tuple[int, int], dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._files_by_path: dict[str, dict[str, Any]] = {}
        self._next_file = 1
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._inline_queries: dict[str, dict[str, Any]] = {}
        self._next_query_id = 1
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[Any, dict[str, Any]] = {}
        self._member_status: dict[tuple[int, int], str] = {}
        self._bot_properties: dict[str, Any] = {}
        # Benchmark support (bench/bot_load.py): when each update was queued and first
        # handed out by getUpdates (time.time()).
        self._queued_at: dict[int, float] = {}
        self._delivered_at: dict[int, float] = {}

    def _register_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        known = self._chats.get(chat["id"], {})
        merged = {**known, **chat}
        self._chats[chat["id"]] = merged
        return merged

    def _register_user(self, user: dict[str, Any]) -> dict[str, Any]:
        if not user.get("is_bot"):
            self._users[user["id"]] = {**self._users.get(user["id"], {}), **user}
        return user

    def _new_message_id(self, chat_id: int) -> int:
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
            self._next_update_id += 1
            self._updates.append(update)
            self._queued_at[update["update_id"]] = time.time()
            self._cond.notify_all()
            return copy.deepcopy(update)

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    @staticmethod
    def _as_message(obj: dict[str, Any]) -> dict[str, Any]:
        """Accept a Message dict, an update dict returned by a builder, or a sent() record."""
        if "update_id" in obj:
            for key, value in obj.items():
                if key != "update_id" and isinstance(value, dict):
                    return value.get("message", value) if key == "callback_query" else value
        if "message" in obj and isinstance(obj["message"], dict) and "chat" not in obj:
            return obj["message"]
        return obj

    def _set_origin(self, message: dict[str, Any], chat_id: int, sender_chat: dict[str, Any] | None,
                    forward_origin: dict[str, Any] | None, reply_to_message: dict[str, Any] | None) -> None:
        """Who a built message comes from: a chat posting as itself, a forward, a reply."""
        if sender_chat is not None:
            self._register_chat(dict(sender_chat))
            message["sender_chat"] = dict(sender_chat)
            message["from"] = dict(GROUP_ANONYMOUS_BOT if sender_chat.get("id") == chat_id else CHANNEL_BOT)
        if forward_origin is not None:
            message["forward_origin"] = forward_origin
        if reply_to_message is not None:
            replied = copy.deepcopy(self._as_message(reply_to_message))
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied

    def _chat_for(self, chat_id: int, chat_type: str, user: dict[str, Any] | None,
                  title: str | None = None, is_forum: bool = False) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            src = user or {}
            chat["first_name"] = src.get("first_name", f"User{chat_id}")
            if src.get("username"):
                chat["username"] = src["username"]
        else:
            known = self._chats.get(chat_id, {})
            chat["title"] = title or known.get("title") or (
                "News channel" if chat_type == "channel" else "Test Group"
            )
            if is_forum or known.get("is_forum"):
                chat["is_forum"] = True
        return self._register_chat(chat)

    def _store_file(self, file_name: str | None, content: bytes, kind: str = "documents",
                    mime_type: str | None = None) -> dict[str, Any]:
        with self._cond:
            n = self._next_file
            self._next_file += 1
            suffix = ""
            if file_name:
                suffix = re.sub(r"[^A-Za-z0-9.]", "", "." + file_name.rsplit(".", 1)[-1]) \
                    if "." in file_name else ""
            record = {
                "file_id": f"BQACAgIAAxkBAAI{n:06d}fake{n}",
                "file_unique_id": f"AgAD{n:06d}",
                "file_size": len(content),
                "file_path": f"{kind}/file_{n}{suffix}",
                "file_name": file_name,
                "mime_type": mime_type,
                "content": bytes(content),
            }
            self._files[record["file_id"]] = record
            self._files_by_path[record["file_path"]] = record
            return record

    def _resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.get("username", "").lower() == chat_id[1:].lower():
                        return chat
                raise bad("chat not found")
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise bad("chat not found") from None
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise bad("chat not found")
            chat = self._register_chat(
                {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup",
                 **({"first_name": f"User{chat_id}"} if chat_id > 0 else {"title": "Chat"})}
            )
        return chat

    def _lookup_message(self, params: dict, what: str) -> tuple[tuple[int, int], dict]:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params.get("chat_id"))
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad("message identifier is not specified") from None
        key = (chat["id"], message_id)
        message = self._messages.get(key)
        if message is None:
            raise bad(f"message to {what} not found")
        return key, message

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for (chat_id, user_id): creator/administrator/member/
        restricted/left/kicked. The bot itself defaults to administrator, others to member."""
        with self._cond:
            self._member_status[(chat_id, user_id)] = status
