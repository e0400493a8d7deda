"""What Telegram accepts: its HTML (parse_mode="HTML"), text limits and inline keyboards.

The fake refuses what Telegram refuses, with Telegram's error texts, so a bot that passes
against it does not fail in production on escaping, nesting or length. `parse_telegram_html`
is also used directly by tests that check rendered messages.
"""
from __future__ import annotations

import json
import re
import time
import urllib.parse
from html.parser import HTMLParser
from typing import Any

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

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}

BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)

_WHITESPACE = " \t\r\n\f\v\u00a0"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def now() -> int:
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


def bad(description: str) -> APIError:
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
        self._u16 += utf16_len(text)

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
        raise bad(f"can't parse entities: {exc}") from None


def strip_formatted(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of message texts; shift entities."""
    stripped = text.strip(_WHITESPACE)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_WHITESPACE))])
    new_len = utf16_len(stripped)
    out = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, new_len)
        if end > start:
            out.append({**ent, "offset": start, "length": end - start})
    return stripped, out


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client would attach: leading bot_command, @mentions."""
    entities: list[dict[str, Any]] = []
    if text.startswith("/"):
        first = text.split(maxsplit=1)[0] if text.strip() else text
        if len(first) > 1:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(first)})
    for m in re.finditer(r"(?<![A-Za-z0-9_@/])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_])", text):
        entities.append(
            {"type": "mention", "offset": utf16_len(text[: m.start()]),
             "length": utf16_len(m.group(0))}
        )
    return entities


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


def format_text(text: Any, parse_mode: Any, entities: Any, limit: int,
            empty_error: str, long_error: str) -> tuple[str, list[dict]]:
    if text is None or text == "":
        raise bad(empty_error)
    if not isinstance(text, str):
        text = json.dumps(text)
    if entities is not None:
        if isinstance(entities, str):
            raise bad("can't parse entities JSON object")
        visible, ents = text, list(entities)
    elif parse_mode in (None, ""):
        visible, ents = text, []
    elif str(parse_mode).lower() == "html":
        visible, ents = parse_telegram_html(text)
    elif str(parse_mode).lower() in ("markdown", "markdownv2"):
        visible, ents = text, []  # not validated by this fake
    else:
        raise bad(f"unsupported parse_mode {parse_mode}")
    visible, ents = strip_formatted(visible, ents)
    if not visible:
        raise bad(empty_error)
    if len(visible) > limit:
        raise bad(long_error)
    return visible, ents

def validate_reply_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return  # ReplyKeyboardMarkup / ReplyKeyboardRemove / ForceReply
    keyboard = markup["inline_keyboard"]
    if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array '
                   "of Arrays")
    if sum(len(row) for row in keyboard) > 100:
        raise bad("reply markup is too long")
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad("can't parse inline keyboard button: Field \"text\" must be of "
                           "type String")
            if not button["text"].strip():
                raise bad("BUTTON_TEXT_INVALID")
            actions = [a for a in BUTTON_ACTIONS if a in button]
            if len(actions) != 1:
                raise bad("can't parse inline keyboard button: Text buttons are "
                           "unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
                if scheme not in ("http", "https", "tg"):
                    raise bad("BUTTON_URL_INVALID")
