"""A fake Telegram Bot API server for end-to-end tests.

Why this exists
---------------
The bot's end-to-end tests must exercise the *real* python-telegram-bot (PTB)
``Application`` -- its HTTP client, update polling, webhook server, error
mapping and retry logic -- without talking to Telegram. Mocking ``Bot``
methods would skip exactly the layers that break in production (JSON/form
encoding, HTML parse errors, flood control, long polling, file downloads), so
instead this module serves the Bot API over real HTTP on 127.0.0.1 using only
the standard library, and behaves like Telegram where it matters:

* ``POST {base_url}{token}/{method}`` with form-encoded, multipart or JSON
  bodies (PTB sends form fields whose non-string values are JSON-encoded);
  answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code",
  "description"[, "parameters"]}`` with the matching HTTP status, so PTB
  raises ``BadRequest``, ``RetryAfter``, ``InvalidToken``, ``Conflict``,
  ``NetworkError``... exactly as against the real API;
* ``getUpdates`` is a true long poll: it honours ``offset``, ``limit``,
  ``timeout`` and ``allowed_updates`` and wakes up as soon as a test injects
  an update; a newer ``getUpdates`` terminates an older one with 409 (as
  Telegram does), and polling while a webhook is set is a 409 as well;
* ``sendMessage``/``editMessageText`` validate like Telegram: HTML
  ``parse_mode`` is parsed (unsupported/unbalanced tags, unknown named
  entities, nested blockquotes, a raw ``<`` -> 400 "can't parse entities"),
  the visible text is limited to 4096 characters, empty text is rejected,
  ``callback_data`` is limited to 64 bytes, unknown chats / reply targets are
  rejected, and edits that change nothing get "message is not modified";
* files injected with :meth:`FakeBotAPI.send_document` can be fetched through
  ``getFile`` plus ``GET {url}/file/bot{token}/{file_path}`` (20 MB limit);
* faults can be injected per method (429 with ``retry_after``, 500, 502 HTML
  page from "nginx", or a hang) to test reliability code.

How a test uses it
------------------
::

    from fakebotapi import FakeBotAPI          # or tests.fakebotapi

    with FakeBotAPI() as api:                  # binds 127.0.0.1:<free port>
        app = (Application.builder().token(api.token)
               .base_url(api.base_url).base_file_url(api.base_file_url)
               .build())
        ...add handlers...
        with api.running_app(app):             # polls in a background thread
            api.send_message("/start")         # queue an update from "alice"
            call = api.wait_for(lambda p: "Welcome" in p["text"])
            assert call["params"]["parse_mode"] == "HTML"
            assert api.sent(chat_id=1001)[-1]["reply_markup"] is None

``wait_for``/``wait_until_polling``/``post_to_webhook`` block the calling
thread. If the PTB application runs on the *same* asyncio loop as the test
(``await app.updater.start_polling()``), use the ``*_async`` variants (they
run the blocking call in a worker thread), otherwise the bot cannot process
anything while the test waits.

``FakeBotAPI.base_url`` is what ``TELEGRAM_API_BASE_URL`` should be set to
when the bot under test is configured through the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeBotAPI", "APIError", "parse_telegram_html"]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # bots may only download files <= 20 MB
MAX_INLINE_RESULTS = 50

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

# Telegram service accounts used as `from` of messages sent on behalf of a chat.
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot",
}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}

# Update types delivered when allowed_updates was never set (or set to []).
_DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}

_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)

# Parameters whose values are plain strings on the wire and must never be JSON-decoded
# (a text "123" or "true" stays a string).
_STRING_PARAMS = {
    "text", "caption", "parse_mode", "callback_query_id", "inline_query_id", "query", "data",
    "file_id", "url", "secret_token", "ip_address", "language_code", "next_offset", "action",
    "description", "short_description", "name", "message_effect_id", "business_connection_id",
    "title", "emoji", "inline_message_id", "custom_title", "quote", "address", "document",
    "photo", "audio", "video", "voice", "animation", "sticker", "thumbnail", "certificate",
}

_WHITESPACE = " \t\r\n\f\v\u00a0"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _now() -> int:
    return int(time.time())


class APIError(Exception):
    """An error answer of the Bot API (raised inside method handlers)."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False, "error_code": self.error_code, "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> APIError:
    return APIError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# Telegram-flavoured HTML parsing (parse_mode="HTML")
# --------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code", "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _EntityError(Exception):
    pass


class _TelegramHTMLParser(HTMLParser):
    """Parses Bot API HTML into (visible text, MessageEntity dicts) or raises _EntityError."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]
        self._parts: list[str] = []
        self._u16 = 0
        self._stack: list[dict[str, Any]] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers --
    def _index(self, extra: int = 0) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col + extra

    def _byte_offset(self, extra: int = 0) -> int:
        return len(self._source[: self._index(extra)].encode("utf-8"))

    def _emit(self, text: str) -> None:
        self._parts.append(text)
        self._u16 += _utf16_len(text)

    def _unsupported(self, name: str, extra: int = 0) -> _EntityError:
        return _EntityError(
            f'Unsupported start tag "{name}" at byte offset {self._byte_offset(extra)}'
        )

    # -- HTMLParser callbacks --
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise self._unsupported(tag)
        attributes = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise _EntityError('Tag "span" must have class "tg-spoiler"')
        if tag == "tg-emoji" and not attributes.get("emoji-id"):
            raise _EntityError('Custom emoji entity must contain a tg://emoji URL')
        if tag == "blockquote" and any(e["tag"] == "blockquote" for e in self._stack):
            raise _EntityError(
                f"Blockquote entities can't be nested (byte offset {self._byte_offset()})"
            )
        self._stack.append({"tag": tag, "start": self._u16, "attrs": attributes})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._unsupported(f"{tag}/")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            raise _EntityError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        top = self._stack[-1]
        if top["tag"] != tag:
            raise _EntityError(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{top["tag"]}>", found "</{tag}>"'
            )
        self._stack.pop()
        length = self._u16 - top["start"]
        attrs = top["attrs"]
        entity: dict[str, Any] = {"type": _HTML_TAGS[tag], "offset": top["start"]}
        if tag == "a":
            href = attrs.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif tag == "code" and self._stack and self._stack[-1]["tag"] == "pre":
            # <pre><code class="language-x">: Telegram folds this into one pre entity.
            css = attrs.get("class", "")
            if css.startswith("language-"):
                self._stack[-1]["language"] = css[len("language-"):]
            return
        elif tag == "pre" and top.get("language"):
            entity["language"] = top["language"]
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs["emoji-id"]
        if length > 0:
            entity["length"] = length
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        pos = data.find("<")
        if pos != -1:
            rest = data[pos + 1:]
            name = re.match(r"[^\s>]*", rest).group(0)  # type: ignore[union-attr]
            raise self._unsupported(name, pos)
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        idx = self._index()
        has_semicolon = self._source[idx + 1 + len(name): idx + 2 + len(name)] == ";"
        if not has_semicolon:  # "AT&T", "&lt 2": Telegram keeps these literally
            self._emit("&" + name)
            return
        if name not in _NAMED_ENTITIES:
            raise _EntityError(
                f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset()}; '
                "only &lt; &gt; &amp; &quot; and numeric entities are supported"
            )
        self._emit(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        idx = self._index()
        has_semicolon = self._source[idx + 2 + len(name): idx + 3 + len(name)] == ";"
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            char = chr(code)
        except (ValueError, OverflowError):
            raise _EntityError(
                f'Invalid numeric entity "&#{name};" at byte offset {self._byte_offset()}'
            ) from None
        if not has_semicolon:
            self._emit(f"&#{name}")
            return
        self._emit(char)

    def handle_comment(self, data: str) -> None:
        raise self._unsupported("!--")

    def handle_decl(self, decl: str) -> None:
        raise self._unsupported("!" + decl.split(" ")[0])

    def unknown_decl(self, data: str) -> None:
        raise self._unsupported("![" + data.split("[")[0])

    def handle_pi(self, data: str) -> None:
        raise self._unsupported("?" + data.split(" ")[0])

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        if self._stack:
            raise _EntityError(
                f'Can\'t find end tag corresponding to start tag "{self._stack[0]["tag"]}"'
            )
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self._parts), ents


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse ``text`` the way Telegram does for parse_mode=HTML.

    Returns ``(visible_text, entities)``; raises :class:`APIError` (400 "can't parse
    entities: ...") when Telegram would reject the text.
    """
    parser = _TelegramHTMLParser(text)
    try:
        parser.feed(text)
        parser.close()
        return parser.result()
    except _EntityError as exc:
        raise _bad(f"can't parse entities: {exc}") from None


def _strip_formatted(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of message texts; shift entities."""
    stripped = text.strip(_WHITESPACE)
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip(_WHITESPACE))])
    new_len = _utf16_len(stripped)
    out = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, new_len)
        if end > start:
            out.append({**ent, "offset": start, "length": end - start})
    return stripped, out


def _auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client would attach: leading bot_command, @mentions."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        first = text.split(maxsplit=1)[0] if text.strip() else text
        if len(first) > 1:
            entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(first)})
    for m in re.finditer(r"(?<![A-Za-z0-9_@/])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_])", text):
        entities.append(
            {"type": "mention", "offset": _utf16_len(text[: m.start()]),
             "length": _utf16_len(m.group(0))}
        )
    return entities


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


def _decode_param(key: str, value: str) -> Any:
    if key in _STRING_PARAMS or value in ("NaN", "Infinity", "-Infinity"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, dict]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise APIError(400, "Bad Request: multipart boundary not found")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, dict] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        if part.endswith(b"\r\n"):
            part = part[:-2]
        head, _, content = part.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        disposition = headers.get("content-disposition", "")
        name_m = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        if not name_m:
            continue
        name = urllib.parse.unquote(name_m.group(1))
        file_m = re.search(r'filename="([^"]*)"', disposition)
        if file_m is not None:
            files[name] = {
                "file_name": urllib.parse.unquote(file_m.group(1)),
                "mime_type": headers.get("content-type", "application/octet-stream"),
                "content": content,
            }
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog (socketserver's default is 5): a client opening many connections at
    # once (PTB's pool under a burst of replies) would otherwise see dropped SYNs/resets.
    request_queue_size = 128
    api: FakeBotAPI

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet disconnects
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegramBotAPI/1.0"
    # TCP_NODELAY: headers and body go out as two writes; with Nagle on, the body waits for
    # the client's delayed ACK of the headers (~40 ms per call on a keep-alive connection).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.api._track_connection(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.api._track_connection(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.api._handle_http(self)

    do_POST = do_GET

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def respond(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (ConnectionError, OSError):
            self.close_connection = True


_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """In-process fake of the Telegram Bot API (see the module docstring)."""

    FAULT_KINDS = ("429", "500", "502", "timeout")

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "ArticleQABot",
        bot_id: int = 123456,
    ):
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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()

        self._calls: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []  # pending, not yet confirmed
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._get_updates_count = 0
        self._webhook: dict[str, Any] = {}
        self._faults: dict[str, list[dict[str, Any]]] = {}

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
        #: Exceptions raised by the fake's own handlers (bugs in the fake); answered with 500.
        self.server_errors: list[BaseException] = []
        # Benchmark support (bench/bot_load.py): when each update was queued and first
        # handed out by getUpdates (time.time()), and observers of completed calls.
        self._queued_at: dict[int, float] = {}
        self._delivered_at: dict[int, float] = {}
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

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
        self._method_names = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeBotAPI:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"FakeBotAPI:{server.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes blocked long polls and drops open connections."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def _track_connection(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ------------------------------------------------------------------ state helpers
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

    # ------------------------------------------------------------------ update injection
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
    ) -> dict:
        """Queue a ``message`` update as if a user wrote ``text``; returns the update."""
        with self._cond:
            user = self._register_user(
                {"id": user_id, "is_bot": False, "first_name": first_name, "username": username}
            )
            chat = self._chat_for(
                chat_id, chat_type, user,
                is_forum=bool(message_thread_id or is_topic_message) and chat_type == "supergroup",
            )
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat_id),
                "date": _now(),
                "chat": chat,
            }
            message["from"] = dict(user)
            self._set_origin(message, chat_id, sender_chat, forward_origin, reply_to_message)
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
            if is_topic_message:
                message["is_topic_message"] = True
            message["text"] = text
            ents = _auto_entities(text) if entities is None else list(entities)
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
            edited["edit_date"] = max(_now(), edited["date"] + 1)
            text_key, ent_key = ("caption", "caption_entities") \
                if "caption" in edited and "text" not in edited else ("text", "entities")
            edited[text_key] = new_text
            edited.pop(ent_key, None)
            ents = _auto_entities(new_text)
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
                message["edit_date"] = max(_now(), message["date"] + 1)
            else:
                message = {
                    "message_id": self._new_message_id(chat_id),
                    "sender_chat": {"id": chat_id, "type": "channel", "title": title},
                    "date": _now(),
                    "chat": chat,
                }
                key = (chat_id, message["message_id"])
            for k in ("text", "entities", "caption", "caption_entities"):
                message.pop(k, None)
            if text is not None:
                message["text"] = text
                if ents := _auto_entities(text):
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
                if ents := _auto_entities(caption):
                    message["caption_entities"] = ents
            self._messages[key] = message
            kind = "edited_channel_post" if edited_of is not None else "channel_post"
            return self._queue_update(kind, message)

    def callback_query(
        self, message: dict, data: str, user_id: int = 1001, chat_id: int | None = None
    ) -> dict:
        """Queue a ``callback_query`` as if ``user_id`` pressed a button with ``data`` on
        ``message`` (a message the bot sent: a ``sent()`` record or the Message dict)."""
        with self._cond:
            msg = self._as_message(message)
            cid = chat_id if chat_id is not None else (
                msg["chat"]["id"] if "chat" in msg else msg["chat_id"]
            )
            current = copy.deepcopy(self._messages.get((cid, msg["message_id"]), msg))
            user = self._users.get(user_id) or self._register_user(
                {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
            )
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

    def inline_query(self, query: str, user_id: int = 1001) -> dict:
        """Queue an ``inline_query`` update."""
        with self._cond:
            user = self._users.get(user_id) or self._register_user(
                {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
            )
            query_id = str(5_000_000_000_000_000 + self._next_query_id)
            self._next_query_id += 1
            payload = {"id": query_id, "from": dict(user), "query": query, "offset": "",
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
                "date": _now(),
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
                if ents := _auto_entities(caption):
                    message["caption_entities"] = ents
            self._messages[(chat_id, message["message_id"])] = message
            return self._queue_update("message", message)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for (chat_id, user_id): creator/administrator/member/
        restricted/left/kicked. The bot itself defaults to administrator, others to member."""
        with self._cond:
            self._member_status[(chat_id, user_id)] = status

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
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no matching {method} call within {timeout}s; received:\n"
                        + self._describe_calls()
                    )
                self._cond.wait(remaining)

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
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"bot did not call getUpdates within {timeout}s; received:\n"
                        + self._describe_calls()
                    )
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

    # ------------------------------------------------------------------ fault injection
    def inject_fault(
        self, method: str, kind: str, count: int = 1, retry_after: int = 1, delay: float = 0.0
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail.

        kind "429": flood control (``parameters.retry_after``) -> PTB ``RetryAfter``;
        "500": JSON Internal Server Error -> ``NetworkError``; "502": nginx HTML page ->
        ``NetworkError``; "timeout": hang ``delay`` seconds and then process the call
        normally (its effect happens even if the client gave up, as with a real timeout);
        with ``delay <= 0`` hang until :meth:`stop` and never answer. For the other kinds a
        positive ``delay`` is waited before answering.
        """
        if kind not in self.FAULT_KINDS:
            raise ValueError(f"kind must be one of {self.FAULT_KINDS}, not {kind!r}")
        with self._cond:
            self._faults.setdefault(method.lower(), []).append(
                {"kind": kind, "remaining": count, "retry_after": retry_after, "delay": delay}
            )

    def _take_fault(self, method: str) -> dict[str, Any] | None:
        with self._cond:
            queue = self._faults.get(method.lower())
            while queue:
                fault = queue[0]
                if fault["remaining"] <= 0:
                    queue.pop(0)
                    continue
                fault["remaining"] -= 1
                return dict(fault)
            return None

    # ------------------------------------------------------------------ webhook helper
    def post_to_webhook(self, url: str, update: dict, secret_token: str | None) -> int:
        """POST ``update`` to the bot's webhook like Telegram does; return the HTTP status.

        A delivered (2xx) update is removed from the getUpdates queue. Blocks: if the
        webhook server runs on the test's own event loop use :meth:`post_to_webhook_async`.
        """
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        request = urllib.request.Request(
            url, data=json.dumps(update).encode("utf-8"), headers=headers, method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if 200 <= status < 300:
            with self._cond:
                self._updates = [u for u in self._updates
                                 if u["update_id"] != update.get("update_id")]
        return status

    async def post_to_webhook_async(
        self, url: str, update: dict, secret_token: str | None
    ) -> int:
        return await asyncio.to_thread(self.post_to_webhook, url, update, secret_token)

    # ------------------------------------------------------------------ running PTB apps
    @contextlib.contextmanager
    def running_app(self, app: Any, poll_timeout: int = 1, **polling_kwargs: Any) -> Iterator[Any]:
        """Run a PTB ``Application`` (polling this fake) on its own event loop in a
        background thread for the duration of the ``with`` block, so the test thread can
        use the blocking helpers. Re-raises startup errors."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []
        holder: dict[str, asyncio.Event] = {}

        async def main() -> None:
            holder["stop"] = asyncio.Event()
            await app.initialize()
            await app.start()
            await app.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, **polling_kwargs
            )
            ready.set()
            await holder["stop"].wait()
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

        def runner() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(main())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
                errors.append(exc)
            finally:
                ready.set()
                loop.close()

        thread = threading.Thread(target=runner, name="ptb-app", daemon=True)
        thread.start()
        ready.wait(30)
        if errors:
            thread.join(5)
            raise errors[0]
        try:
            self.wait_until_polling()
            yield app
        finally:
            if "stop" in holder and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(holder["stop"].set)
            thread.join(30)
            if errors:
                raise errors[0]

    # ------------------------------------------------------------------ HTTP dispatch
    def _handle_http(self, handler: _Handler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        path = parsed.path
        try:
            body = handler.read_body()
        except (ConnectionError, OSError, ValueError):
            handler.close_connection = True
            return
        if path.startswith("/file/bot"):
            self._serve_file(handler, path[len("/file/bot"):])
            return
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]*)", urllib.parse.unquote(path))
        if not match:
            self._send_json(handler, 404, APIError(404, "Not Found").payload())
            return
        token, raw_method = match.group(1), match.group(2)
        try:
            params = self._parse_params(handler, body, parsed.query)
        except APIError as exc:
            self._send_json(handler, exc.error_code, exc.payload())
            return
        method = self._method_names.get(raw_method.lower(), raw_method)
        call: dict[str, Any] = {
            "method": method, "params": params, "time": time.time(), "status": None,
            "response": None, "fault": None,
        }
        with self._cond:
            self._calls.append(call)
            if method == "getUpdates":
                self._get_updates_count += 1
            self._cond.notify_all()

        status, payload, raw = self._execute(call, token, method, params)
        with self._cond:
            call["status"] = status
            call["response"] = payload
            self._cond.notify_all()
        if raw is not None:
            handler.respond(status, raw, "text/html")
        elif payload is None:  # hung "timeout" fault during stop(): drop the connection
            handler.close_connection = True
        else:
            self._send_json(handler, status, payload)
        for listener in self._listeners:  # after answering: observers never delay the bot
            try:
                listener(call)
            except Exception as exc:  # noqa: BLE001 - a broken observer must not kill the server
                self.server_errors.append(exc)

    def _execute(self, call: dict, token: str, method: str,
                 params: dict) -> tuple[int, dict | None, bytes | None]:
        if token != self.token:
            return 401, APIError(401, "Unauthorized").payload(), None
        fault = self._take_fault(method)
        if fault is not None:
            call["fault"] = fault["kind"]
            if fault["kind"] == "timeout" and fault["delay"] <= 0:
                self._stopping.wait()
                return 0, None, None
            if fault["delay"] > 0 and self._stopping.wait(fault["delay"]):
                return 0, None, None
            if fault["kind"] == "429":
                n = fault["retry_after"]
                return 429, APIError(
                    429, f"Too Many Requests: retry after {n}", {"retry_after": n}
                ).payload(), None
            if fault["kind"] == "500":
                return 500, APIError(500, "Internal Server Error").payload(), None
            if fault["kind"] == "502":
                return 502, None, _BAD_GATEWAY_PAGE
        handler = self._handlers.get(method)
        if handler is None:
            return 404, APIError(404, "Not Found").payload(), None
        try:
            result = handler(params)
        except APIError as exc:
            return exc.error_code, exc.payload(), None
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: report, don't hang
            self.server_errors.append(exc)
            error = APIError(500, f"Internal Server Error: fake failed: {exc!r}")
            return 500, error.payload(), None
        return 200, {"ok": True, "result": result}, None

    @staticmethod
    def _send_json(handler: _Handler, status: int, payload: dict) -> None:
        handler.respond(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    @staticmethod
    def _parse_params(handler: _Handler, body: bytes, query: str) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            params[key] = _decode_param(key, value)
        content_type = handler.headers.get("Content-Type") or ""
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            fields, files = _parse_multipart(body, content_type)
            for key, value in fields.items():
                params[key] = _decode_param(key, value)
            params.update(files)
        elif ctype == "application/json" and body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise APIError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(data, dict):
                raise APIError(400, "Bad Request: JSON object expected")
            params.update(data)
        elif body:
            for key, value in urllib.parse.parse_qsl(body.decode("utf-8"),
                                                     keep_blank_values=True):
                params[key] = _decode_param(key, value)
        return params

    def _serve_file(self, handler: _Handler, rest: str) -> None:
        # PTB percent-quotes the whole path, so the token's ":" arrives as %3A
        token, _, file_path = urllib.parse.unquote(rest).partition("/")
        with self._cond:
            record = self._files_by_path.get(file_path)
        if token != self.token or record is None:
            self._send_json(handler, 404, APIError(404, "Not Found").payload())
            return
        handler.respond(200, record["content"], record.get("mime_type")
                        or "application/octet-stream")

    # ------------------------------------------------------------------ validation helpers
    def _resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.get("username", "").lower() == chat_id[1:].lower():
                        return chat
                raise _bad("chat not found")
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise _bad("chat not found") from None
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise _bad("chat not found")
            chat = self._register_chat(
                {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup",
                 **({"first_name": f"User{chat_id}"} if chat_id > 0 else {"title": "Chat"})}
            )
        return chat

    @staticmethod
    def _format(text: Any, parse_mode: Any, entities: Any, limit: int,
                empty_error: str, long_error: str) -> tuple[str, list[dict]]:
        if text is None or text == "":
            raise _bad(empty_error)
        if not isinstance(text, str):
            text = json.dumps(text)
        if entities is not None:
            if isinstance(entities, str):
                raise _bad("can't parse entities JSON object")
            visible, ents = text, list(entities)
        elif parse_mode in (None, ""):
            visible, ents = text, []
        elif str(parse_mode).lower() == "html":
            visible, ents = parse_telegram_html(text)
        elif str(parse_mode).lower() in ("markdown", "markdownv2"):
            visible, ents = text, []  # not validated by this fake
        else:
            raise _bad(f"unsupported parse_mode {parse_mode}")
        visible, ents = _strip_formatted(visible, ents)
        if not visible:
            raise _bad(empty_error)
        if len(visible) > limit:
            raise _bad(long_error)
        return visible, ents

    @staticmethod
    def _validate_reply_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return  # ReplyKeyboardMarkup / ReplyKeyboardRemove / ForceReply
        keyboard = markup["inline_keyboard"]
        if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array '
                       "of Arrays")
        if sum(len(row) for row in keyboard) > 100:
            raise _bad("reply markup is too long")
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad("can't parse inline keyboard button: Field \"text\" must be of "
                               "type String")
                if not button["text"].strip():
                    raise _bad("BUTTON_TEXT_INVALID")
                actions = [a for a in _BUTTON_ACTIONS if a in button]
                if len(actions) != 1:
                    raise _bad("can't parse inline keyboard button: Text buttons are "
                               "unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
                    if scheme not in ("http", "https", "tg"):
                        raise _bad("BUTTON_URL_INVALID")

    def _lookup_message(self, params: dict, what: str) -> tuple[tuple[int, int], dict]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params.get("chat_id"))
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _bad("message identifier is not specified") from None
        key = (chat["id"], message_id)
        message = self._messages.get(key)
        if message is None:
            raise _bad(f"message to {what} not found")
        return key, message

    # ------------------------------------------------------------------ API methods
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
            raise _bad("wrong parameter in getUpdates") from None
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
                            if self._update_type(u) not in _DEFAULT_EXCLUDED_UPDATES]
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
            "date": _now(),
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
            raise _bad("can't parse reply parameters JSON object")
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
                    raise _bad("message to be replied not found")
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
            visible, ents = self._format(
                params.get("text"), params.get("parse_mode"), params.get("entities"),
                MAX_MESSAGE_LENGTH, "message text is empty", "message is too long",
            )
            markup = params.get("reply_markup")
            self._validate_reply_markup(markup)
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
            raise _bad("message can't be edited")

    def _api_edit_message_text(self, params: dict) -> Any:
        with self._cond:
            key, message = self._lookup_message(params, "edit")
            self._check_editable(key)
            if "text" not in message:
                raise _bad("there is no text in the message to edit")
            visible, ents = self._format(
                params.get("text"), params.get("parse_mode"), params.get("entities"),
                MAX_MESSAGE_LENGTH, "message text is empty", "message is too long",
            )
            markup = params.get("reply_markup")
            self._validate_reply_markup(markup)
            new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup \
                else None
            if (visible == message.get("text") and ents == message.get("entities", [])
                    and new_markup == message.get("reply_markup")):
                raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
            edited = copy.deepcopy(message)
            edited["text"] = visible
            edited.pop("entities", None)
            if ents:
                edited["entities"] = ents
            edited.pop("reply_markup", None)
            if new_markup is not None:
                edited["reply_markup"] = new_markup
            edited["edit_date"] = max(_now(), message["date"])
            self._messages[key] = edited
            record = self._sent_by_key.get(key)
            if record is not None:
                record.update(
                    text=params.get("text"), plain_text=visible,
                    parse_mode=params.get("parse_mode"), entities=params.get("entities"),
                    reply_markup=markup, message=copy.deepcopy(edited),
                    edits=record["edits"] + 1,
                )
            return copy.deepcopy(edited)

    def _api_edit_message_reply_markup(self, params: dict) -> Any:
        with self._cond:
            key, message = self._lookup_message(params, "edit")
            self._check_editable(key)
            markup = params.get("reply_markup")
            self._validate_reply_markup(markup)
            new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup \
                else None
            if new_markup == message.get("reply_markup"):
                raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
            edited = copy.deepcopy(message)
            edited.pop("reply_markup", None)
            if new_markup is not None:
                edited["reply_markup"] = new_markup
            edited["edit_date"] = max(_now(), message["date"])
            self._messages[key] = edited
            record = self._sent_by_key.get(key)
            if record is not None:
                record.update(reply_markup=markup, message=copy.deepcopy(edited),
                              edits=record["edits"] + 1)
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
                raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
            text = params.get("text")
            if text is not None and len(str(text)) > 200:
                raise _bad("MESSAGE_TOO_LONG")
            entry["answered"] = True
            entry["answer"] = copy.deepcopy(params)
            return True

    def _api_answer_inline_query(self, params: dict) -> bool:
        with self._cond:
            entry = self._inline_queries.get(str(params.get("inline_query_id", "")))
            if entry is None or entry["answer"] is not None:
                raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
            results = params.get("results")
            if not isinstance(results, list):
                raise _bad("can't parse inline query results JSON object")
            if len(results) > MAX_INLINE_RESULTS:
                raise _bad("RESULTS_TOO_MUCH")
            seen: set[str] = set()
            for result in results:
                rid = str(result.get("id", "")) if isinstance(result, dict) else ""
                if not 1 <= len(rid.encode("utf-8")) <= 64:
                    raise _bad("RESULT_ID_INVALID")
                if rid in seen:
                    raise _bad("RESULT_ID_DUPLICATE")
                seen.add(rid)
                content = result.get("input_message_content")
                if isinstance(content, dict) and "message_text" in content:
                    self._format(content["message_text"], content.get("parse_mode"),
                                 content.get("entities"), MAX_MESSAGE_LENGTH,
                                 "MESSAGE_EMPTY", "MESSAGE_TOO_LONG")
                self._validate_reply_markup(result.get("reply_markup"))
            entry["answer"] = copy.deepcopy(params)
            return True

    @staticmethod
    def _scope_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            raise _bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _api_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise _bad("BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise _bad("secret token contains unallowed characters")
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
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

    def _api_get_file(self, params: dict) -> dict:
        with self._cond:
            record = self._files.get(str(params.get("file_id", "")))
            if record is None:
                raise _bad("invalid file_id")
            if record["file_size"] > MAX_DOWNLOAD_SIZE:
                raise _bad("file is too big")
            return {key: record[key] for key in
                    ("file_id", "file_unique_id", "file_size", "file_path")}

    def _api_send_chat_action(self, params: dict) -> bool:
        with self._cond:
            self._resolve_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
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
                raise _bad("there is no document in the request")
            else:
                raise _bad("wrong file identifier/HTTP URL specified")
            caption = params.get("caption")
            visible = ents = None
            if caption not in (None, ""):
                visible, ents = self._format(caption, params.get("parse_mode"),
                                             params.get("caption_entities"), MAX_CAPTION_LENGTH,
                                             "message caption is empty",
                                             "message caption is too long")
            markup = params.get("reply_markup")
            self._validate_reply_markup(markup)
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
                raise _bad("user not found") from None
            status = self._member_status.get((chat["id"], user_id))
            if user_id == self.bot_id:
                user = dict(self.bot_user)
                status = status or "administrator"
            else:
                user = self._users.get(user_id)
                if user is None:
                    raise _bad("user not found")
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
            raise _bad("can't parse menu button JSON object")
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
