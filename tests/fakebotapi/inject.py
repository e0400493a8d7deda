"""What a test makes happen: users writing, editing, pressing buttons, asking inline, uploading.

Each helper builds the update Telegram would deliver (message ids per chat, entities a
client attaches, the sender of a message posted on behalf of a chat) and queues it for
getUpdates; it returns the update, whose message a test can later reply to or press on.
"""
from __future__ import annotations

import copy
import mimetypes
from typing import Any

from .validate import auto_entities, now
from .world import World


def with_language(user: dict[str, Any], language_code: str | None) -> dict[str, Any]:
    """A Telegram user with `language_code` (the language of their Telegram app) when given."""
    return {**user, "language_code": language_code} if language_code else user


class Injection(World):
    """Update builders; the state they write is `World`'s."""

    def _known_user(self, user_id: int, language_code: str | None) -> dict[str, Any]:
        """The user `user_id` as last seen (made up if new), with `language_code` when given."""
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        return self._register_user(with_language(user, language_code))

    def send_message(
        self,
        text: str,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        username: str = "alice",
        first_name: str = "Alice",
        entities: list | None = None,
        reply_to_message: dict | None = None,
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        sender_chat: dict | None = None,
        forward_origin: dict | None = None,
        language_code: str | None = None,
    ) -> dict:
        """Queue a ``message`` update as if a user wrote ``text``; returns the update."""
        with self._cond:
            user = self._register_user(with_language(
                {"id": user_id, "is_bot": False, "first_name": first_name, "username": username}, language_code))
            chat = self._chat_for(
                chat_id, chat_type, user,
                is_forum=bool(message_thread_id or is_topic_message) and chat_type == "supergroup",
            )
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat_id),
                "date": now(),
                "chat": chat,
            }
            message["from"] = dict(user)
            self._set_origin(message, chat_id, sender_chat, forward_origin, reply_to_message)
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
            if is_topic_message:
                message["is_topic_message"] = True
            message["text"] = text
            ents = auto_entities(text) if entities is None else list(entities)
            if ents:
                message["entities"] = ents
            self._messages[(chat_id, message["message_id"])] = message
            return self._queue_update("message", message)

    def edit_message(self, message: dict, new_text: str) -> dict:
        """Queue an ``edited_message`` (or ``edited_channel_post``) for an injected message."""
        with self._cond:
            original = self._as_message(message)
            key = (original["chat"]["id"], original["message_id"])
            edited = copy.deepcopy(self._messages.get(key, original))
            edited["edit_date"] = max(now(), edited["date"] + 1)
            text_key, ent_key = ("caption", "caption_entities") \
                if "caption" in edited and "text" not in edited else ("text", "entities")
            edited[text_key] = new_text
            edited.pop(ent_key, None)
            ents = auto_entities(new_text)
            if ents:
                edited[ent_key] = ents
            self._messages[key] = edited
            kind = "edited_channel_post" if edited["chat"]["type"] == "channel" \
                else "edited_message"
            return self._queue_update(kind, edited)

    def channel_post(
        self,
        text: str | None,
        chat_id: int = -1001234,
        caption: str | None = None,
        title: str = "News channel",
        edited_of: dict | None = None,
    ) -> dict:
        """Queue a ``channel_post`` (or ``edited_channel_post`` when ``edited_of`` is given).

        A post with ``caption`` and no ``text`` carries a small photo (so caption filters
        and ``getFile`` work).
        """
        if text is None and caption is None:
            raise ValueError("channel_post needs text or caption")
        with self._cond:
            chat = self._chat_for(chat_id, "channel", None, title=title)
            if edited_of is not None:
                original = self._as_message(edited_of)
                key = (original["chat"]["id"], original["message_id"])
                message = copy.deepcopy(self._messages.get(key, original))
                message["edit_date"] = max(now(), message["date"] + 1)
            else:
                message = {
                    "message_id": self._new_message_id(chat_id),
                    "sender_chat": {"id": chat_id, "type": "channel", "title": title},
                    "date": now(),
                    "chat": chat,
                }
                key = (chat_id, message["message_id"])
            for k in ("text", "entities", "caption", "caption_entities"):
                message.pop(k, None)
            if text is not None:
                message["text"] = text
                if ents := auto_entities(text):
                    message["entities"] = ents
            else:
                assert caption is not None
                if "photo" not in message:
                    photo = self._store_file("photo.jpg", b"\xff\xd8\xff\xe0fake-jpeg", "photos",
                                             "image/jpeg")
                    message["photo"] = [{
                        "file_id": photo["file_id"], "file_unique_id": photo["file_unique_id"],
                        "file_size": photo["file_size"], "width": 90, "height": 90,
                    }]
                message["caption"] = caption
                if ents := auto_entities(caption):
                    message["caption_entities"] = ents
            self._messages[key] = message
            kind = "edited_channel_post" if edited_of is not None else "channel_post"
            return self._queue_update(kind, message)

    def callback_query(
        self, message: dict, data: str, user_id: int = 1001, chat_id: int | None = None,
        language_code: str | None = None,
    ) -> dict:
        """Queue a ``callback_query`` as if ``user_id`` pressed a button with ``data`` on
        ``message`` (a message the bot sent: a ``sent()`` record or the Message dict)."""
        with self._cond:
            msg = self._as_message(message)
            cid = chat_id if chat_id is not None else (
                msg["chat"]["id"] if "chat" in msg else msg["chat_id"]
            )
            current = copy.deepcopy(self._messages.get((cid, msg["message_id"]), msg))
            user = self._known_user(user_id, language_code)
            query_id = str(4_000_000_000_000_000 + self._next_query_id)
            self._next_query_id += 1
            query = {
                "id": query_id,
                "from": dict(user),
                "message": current,
                "chat_instance": str(abs(cid) * 7919 + 17),
                "data": data,
            }
            self._callback_queries[query_id] = {"query": query, "answered": False}
            return self._queue_update("callback_query", query)

    def inline_query(self, query: str, user_id: int = 1001, offset: str = "",
                     language_code: str | None = None) -> dict:
        """Queue an ``inline_query`` update (`offset`: the `next_offset` of the previous answer)."""
        with self._cond:
            user = self._known_user(user_id, language_code)
            query_id = str(5_000_000_000_000_000 + self._next_query_id)
            self._next_query_id += 1
            payload = {"id": query_id, "from": dict(user), "query": query, "offset": offset,
                       "chat_type": "sender"}
            self._inline_queries[query_id] = {"query": payload, "answer": None}
            return self._queue_update("inline_query", payload)

    def send_document(
        self,
        file_name: str,
        content: bytes,
        chat_id: int = 1001,
        user_id: int = 1001,
        chat_type: str = "private",
        mime_type: str | None = None,
        caption: str | None = None,
        sender_chat: dict | None = None,
        forward_origin: dict | None = None,
        reply_to_message: dict | None = None,
    ) -> dict:
        """Queue a ``message`` with a document; the bytes are downloadable via getFile.

        ``sender_chat``, ``forward_origin`` and ``reply_to_message`` work as in
        :meth:`send_message` (an anonymous admin, a forward, a reply)."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        with self._cond:
            stored = self._store_file(file_name, content, "documents", mime)
            user = self._users.get(user_id) or self._register_user(
                {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
            )
            chat = self._chat_for(chat_id, chat_type, user)
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat_id),
                "from": dict(user),
                "date": now(),
                "chat": chat,
                "document": {
                    "file_name": file_name, "mime_type": mime,
                    "file_id": stored["file_id"], "file_unique_id": stored["file_unique_id"],
                    "file_size": stored["file_size"],
                },
            }
            self._set_origin(message, chat_id, sender_chat, forward_origin, reply_to_message)
            if caption is not None:
                message["caption"] = caption
                if ents := auto_entities(caption):
                    message["caption_entities"] = ents
            self._messages[(chat_id, message["message_id"])] = message
            return self._queue_update("message", message)
