"""The Bot API methods about the bot, its chats and files: commands, webhook, chats, members,
menus, chat actions, documents.

Like `methods`: parameters in, a result or an `APIError` out, state in `World`. sendDocument
builds its message with `MessageMethods._bot_message` (the classes meet in `FakeBotAPI`).
"""
from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from .validate import (CHAT_ACTIONS, MAX_CAPTION_LENGTH, MAX_DOWNLOAD_SIZE, bad, format_text,
                       validate_reply_markup)
from .world import World


class BotMethods(World):
    """setMyCommands and friends, setWebhook/getWebhookInfo, getChat, getChatMember, menu buttons,
    sendChatAction, sendDocument, getFile."""

    _bot_message: Callable[[dict, dict], dict]
    _record_sent: Callable[..., None]

    @staticmethod
    def _scope_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            raise bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _api_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise bad("BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description.strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._cond:
            self._commands[self._scope_key(params)] = copy.deepcopy(commands)
        return True

    def _api_get_my_commands(self, params: dict) -> list[dict]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._scope_key(params), []))

    def _api_delete_my_commands(self, params: dict) -> bool:
        with self._cond:
            self._commands.pop(self._scope_key(params), None)
        return True

    def _api_set_webhook(self, params: dict) -> bool:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("secret token contains unallowed characters")
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = list(params["allowed_updates"])
            if url:
                self._webhook = {
                    "url": url, "secret_token": secret,
                    "max_connections": params.get("max_connections", 40),
                    "ip_address": params.get("ip_address"),
                    "allowed_updates": params.get("allowed_updates"),
                    "has_custom_certificate": "certificate" in params,
                }
            else:
                self._webhook = {}
            self._poll_generation += 1  # a pending long poll ends (409)
            self._cond.notify_all()
        return True

    def _api_delete_webhook(self, params: dict) -> bool:
        with self._cond:
            self._webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_get_webhook_info(self, params: dict) -> dict:
        with self._cond:
            info: dict[str, Any] = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": bool(self._webhook.get("has_custom_certificate")),
                "pending_update_count": len(self._updates),
            }
            if self._webhook:
                info["max_connections"] = self._webhook["max_connections"]
                if self._webhook.get("ip_address"):
                    info["ip_address"] = self._webhook["ip_address"]
                if self._webhook.get("allowed_updates") is not None:
                    info["allowed_updates"] = self._webhook["allowed_updates"]
            return info

    def _api_get_chat(self, params: dict) -> dict:
        with self._cond:
            chat = copy.deepcopy(self._resolve_chat(params.get("chat_id")))
        chat.update({
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        })
        return chat

    def _api_get_chat_member(self, params: dict) -> dict:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            try:
                user_id = int(params.get("user_id"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise bad("user not found") from None
            status = self._member_status.get((chat["id"], user_id))
            if user_id == self.bot_id:
                user = dict(self.bot_user)
                status = status or "administrator"
            else:
                user = self._users.get(user_id)
                if user is None:
                    raise bad("user not found")
                status = status or "member"
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update({
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                "can_delete_messages": True, "can_manage_video_chats": False,
                "can_restrict_members": False, "can_promote_members": False,
                "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
                "can_post_messages": True, "can_edit_messages": True,
                "can_pin_messages": True, "can_manage_topics": False,
            })
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "restricted":
            member.update({key: False for key in (
                "is_member", "can_send_messages", "can_send_audios", "can_send_documents",
                "can_send_photos", "can_send_videos", "can_send_video_notes",
                "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                "can_add_web_page_previews", "can_change_info", "can_invite_users",
                "can_pin_messages", "can_manage_topics")})
            member["until_date"] = 0
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _api_set_chat_menu_button(self, params: dict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands",
                                                                       "web_app"):
            raise bad("can't parse menu button JSON object")
        with self._cond:
            if "chat_id" in params:
                self._resolve_chat(params["chat_id"])
            self._menu_buttons[params.get("chat_id")] = button
        return True

    def _api_get_chat_menu_button(self, params: dict) -> dict:
        with self._cond:
            button = self._menu_buttons.get(params.get("chat_id")) \
                or self._menu_buttons.get(None) or {"type": "commands"}
            if button.get("type") == "default":
                button = {"type": "commands"}
            return copy.deepcopy(button)

    def _api_set_bot_property(self, name: str) -> Callable[[dict], bool]:
        def handler(params: dict) -> bool:
            with self._cond:
                key = (name, str(params.get("language_code") or ""))
                self._bot_properties[key] = params.get(name)
            return True
        return handler

    def _api_send_chat_action(self, params: dict) -> bool:
        with self._cond:
            self._resolve_chat(params.get("chat_id"))
        if params.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    def _api_send_document(self, params: dict) -> dict:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            document = params.get("document")
            if isinstance(document, str) and document.startswith("attach://"):
                document = params.get(document[len("attach://"):])
            if isinstance(document, dict) and "content" in document:
                stored = self._store_file(document["file_name"], document["content"],
                                          "documents", document.get("mime_type"))
            elif isinstance(document, str) and document in self._files:
                stored = self._files[document]
            elif isinstance(document, str) and re.match(r"https?://", document):
                stored = self._store_file(document.rsplit("/", 1)[-1] or "file", b"",
                                          "documents", None)
            elif not document:
                raise bad("there is no document in the request")
            else:
                raise bad("wrong file identifier/HTTP URL specified")
            caption = params.get("caption")
            visible = ents = None
            if caption not in (None, ""):
                visible, ents = format_text(caption, params.get("parse_mode"),
                                             params.get("caption_entities"), MAX_CAPTION_LENGTH,
                                             "message caption is empty",
                                             "message caption is too long")
            markup = params.get("reply_markup")
            validate_reply_markup(markup)
            message = self._bot_message(chat, params)
            message["document"] = {
                key: stored[key] for key in
                ("file_name", "mime_type", "file_id", "file_unique_id", "file_size")
                if stored.get(key) is not None
            }
            if visible:
                message["caption"] = visible
                if ents:
                    message["caption_entities"] = ents
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self._record_sent("sendDocument", chat, message, params, {
                "text": None, "caption": caption, "plain_text": visible,
                "document": copy.deepcopy(message["document"]),
                "document_bytes": stored["content"],
            })
            return copy.deepcopy(message)

    def _api_get_file(self, params: dict) -> dict:
        with self._cond:
            record = self._files.get(str(params.get("file_id", "")))
            if record is None:
                raise bad("invalid file_id")
            if record["file_size"] > MAX_DOWNLOAD_SIZE:
                raise bad("file is too big")
            return {key: record[key] for key in
                    ("file_id", "file_unique_id", "file_size", "file_path")}
