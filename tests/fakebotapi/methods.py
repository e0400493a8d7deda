"""The Bot API methods about updates and messages: getUpdates, send/edit/delete, callbacks, inline.

Each handler takes the decoded parameters and returns the `result` of a successful call or
raises `APIError` with Telegram's description; the HTTP front turns either into the answer.
"""
from __future__ import annotations

import copy
import time
from typing import Any

from .validate import (MAX_INLINE_RESULTS, MAX_MESSAGE_LENGTH, NOT_MODIFIED, QUERY_TOO_OLD, APIError, bad, format_text,
                       now, validate_reply_markup)
from .world import DEFAULT_EXCLUDED_UPDATES, World


class MessageMethods(World):
    """getMe, getUpdates and the methods that send, edit or answer."""

    def _api_get_me(self, params: dict) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_get_updates(self, params: dict) -> list[dict]:
        try:
            offset = int(params.get("offset") or 0)
            limit = int(params.get("limit") or 100)
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            raise bad("wrong parameter in getUpdates") from None
        limit = min(max(limit, 1), 100)
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            if self._webhook.get("url"):
                raise APIError(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            while True:
                if self._poll_generation != generation:
                    raise APIError(409, "Conflict: terminated by other getUpdates request; "
                                        "make sure that only one bot instance is running")
                if self._allowed_updates:
                    keep = [u for u in self._updates
                            if self._update_type(u) in self._allowed_updates]
                else:
                    keep = [u for u in self._updates
                            if self._update_type(u) not in DEFAULT_EXCLUDED_UPDATES]
                self._updates = keep  # updates of types not allowed are never delivered
                remaining = deadline - time.monotonic()
                if keep or remaining <= 0 or self._stopping.is_set():
                    batch = keep[:limit]
                    now = time.time()
                    for u in batch:
                        self._delivered_at.setdefault(u["update_id"], now)
                    return copy.deepcopy(batch)
                self._cond.wait(remaining)

    def _bot_message(self, chat: dict, params: dict) -> dict:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "date": now(),
            "chat": copy.deepcopy(chat),
        }
        if chat["type"] == "channel":
            message["sender_chat"] = {"id": chat["id"], "type": "channel",
                                      "title": chat.get("title", "")}
        else:
            message["from"] = dict(self.bot_user)
        thread_id = params.get("message_thread_id")
        if thread_id and chat.get("is_forum"):
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        reply = params.get("reply_parameters")
        if isinstance(reply, str):
            raise bad("can't parse reply parameters JSON object")
        if reply is None and params.get("reply_to_message_id"):
            reply = {"message_id": params["reply_to_message_id"],
                     "allow_sending_without_reply": params.get("allow_sending_without_reply")}
        if reply:
            target_chat = chat["id"]
            if reply.get("chat_id") not in (None, chat["id"]):
                target_chat = self._resolve_chat(reply["chat_id"])["id"]
            target = self._messages.get((target_chat, int(reply.get("message_id") or 0)))
            if target is None:
                if not reply.get("allow_sending_without_reply"):
                    raise bad("message to be replied not found")
            else:
                replied = copy.deepcopy(target)
                replied.pop("reply_to_message", None)
                message["reply_to_message"] = replied
        return message

    def _record_sent(self, method: str, chat: dict, message: dict, params: dict,
                     extra: dict) -> None:
        key = (chat["id"], message["message_id"])
        self._messages[key] = message
        self._bot_messages.add(key)
        record = {
            "method": method,
            "chat_id": chat["id"],
            "chat": copy.deepcopy(chat),
            "message_id": message["message_id"],
            "parse_mode": params.get("parse_mode"),
            "entities": params.get("entities"),
            "reply_markup": params.get("reply_markup"),
            "message_thread_id": params.get("message_thread_id"),
            "reply_parameters": params.get("reply_parameters"),
            "params": copy.deepcopy(params),
            "message": copy.deepcopy(message),
            "time": time.time(),
            "edits": 0,
            "deleted": False,
            **extra,
        }
        self._sent.append(record)
        self._sent_by_key[key] = record

    def _api_send_message(self, params: dict) -> dict:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            visible, ents = format_text(
                params.get("text"), params.get("parse_mode"), params.get("entities"),
                MAX_MESSAGE_LENGTH, "message text is empty", "message is too long",
            )
            markup = params.get("reply_markup")
            validate_reply_markup(markup)
            message = self._bot_message(chat, params)
            message["text"] = visible
            if ents:
                message["entities"] = ents
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            if isinstance(params.get("link_preview_options"), dict):
                message["link_preview_options"] = params["link_preview_options"]
            self._record_sent("sendMessage", chat, message, params,
                              {"text": params.get("text"), "plain_text": visible})
            return copy.deepcopy(message)

    def _check_editable(self, key: tuple[int, int]) -> None:
        if key not in self._bot_messages:
            raise bad("message can't be edited")

    def _api_edit_message_text(self, params: dict) -> Any:
        with self._cond:
            key, message = self._lookup_message(params, "edit")
            self._check_editable(key)
            if "text" not in message:
                raise bad("there is no text in the message to edit")
            visible, ents = format_text(
                params.get("text"), params.get("parse_mode"), params.get("entities"),
                MAX_MESSAGE_LENGTH, "message text is empty", "message is too long",
            )
            markup = params.get("reply_markup")
            validate_reply_markup(markup)
            new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup \
                else None
            if (visible == message.get("text") and ents == message.get("entities", [])
                    and new_markup == message.get("reply_markup")):
                raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
            edited = copy.deepcopy(message)
            edited["text"] = visible
            edited.pop("entities", None)
            if ents:
                edited["entities"] = ents
            return self._store_edit(key, message, edited, new_markup, reply_markup=markup,
                                    text=params.get("text"), plain_text=visible,
                                    parse_mode=params.get("parse_mode"), entities=params.get("entities"))

    def _api_edit_message_reply_markup(self, params: dict) -> Any:
        with self._cond:
            key, message = self._lookup_message(params, "edit")
            self._check_editable(key)
            markup = params.get("reply_markup")
            validate_reply_markup(markup)
            new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup \
                else None
            if new_markup == message.get("reply_markup"):
                raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
            return self._store_edit(key, message, copy.deepcopy(message), new_markup, reply_markup=markup)

    def _store_edit(self, key: tuple[int, int], message: dict, edited: dict, new_markup: dict | None,
                    **record: Any) -> dict:
        """Keep an edit of the bot's message (its new markup, the edit date) and update its sent() record."""
        edited.pop("reply_markup", None)
        if new_markup is not None:
            edited["reply_markup"] = new_markup
        edited["edit_date"] = max(now(), message["date"])
        self._messages[key] = edited
        sent = self._sent_by_key.get(key)
        if sent is not None:
            sent.update(message=copy.deepcopy(edited), edits=sent["edits"] + 1, **record)
        return copy.deepcopy(edited)

    def _api_delete_message(self, params: dict) -> bool:
        with self._cond:
            key, _ = self._lookup_message(params, "delete")
            del self._messages[key]
            self._bot_messages.discard(key)
            record = self._sent_by_key.get(key)
            if record is not None:
                record["deleted"] = True
            return True

    def _api_answer_callback_query(self, params: dict) -> bool:
        with self._cond:
            entry = self._callback_queries.get(str(params.get("callback_query_id", "")))
            if entry is None or entry["answered"]:
                raise bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
            text = params.get("text")
            if text is not None and len(str(text)) > 200:
                raise bad("MESSAGE_TOO_LONG")
            entry["answered"] = True
            entry["answer"] = copy.deepcopy(params)
            return True

    def _api_answer_inline_query(self, params: dict) -> bool:
        with self._cond:
            entry = self._inline_queries.get(str(params.get("inline_query_id", "")))
            if entry is None or entry["answer"] is not None:
                raise bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
            results = params.get("results")
            if not isinstance(results, list):
                raise bad("can't parse inline query results JSON object")
            if len(results) > MAX_INLINE_RESULTS:
                raise bad("RESULTS_TOO_MUCH")
            seen: set[str] = set()
            for result in results:
                rid = str(result.get("id", "")) if isinstance(result, dict) else ""
                if not 1 <= len(rid.encode("utf-8")) <= 64:
                    raise bad("RESULT_ID_INVALID")
                if rid in seen:
                    raise bad("RESULT_ID_DUPLICATE")
                seen.add(rid)
                content = result.get("input_message_content")
                if isinstance(content, dict) and "message_text" in content:
                    format_text(content["message_text"], content.get("parse_mode"),
                                 content.get("entities"), MAX_MESSAGE_LENGTH,
                                 "MESSAGE_EMPTY", "MESSAGE_TOO_LONG")
                validate_reply_markup(result.get("reply_markup"))
            entry["answer"] = copy.deepcopy(params)
            return True

