"""A Telegram Desktop export (`result.json`) as articles: a channel's whole history.

Telegram never delivers a channel's older posts to a bot, but Telegram Desktop
exports them: a channel's "Export chat history" (one chat: ``name``, ``type``,
``id``, ``messages``) or Settings › Advanced › "Export Telegram data" (every
chat under ``chats.list`` and ``left_chats.list``), in JSON. Each message with
text becomes one article:

* text: ``text`` as a string, or a list of strings and entity objects
  (``{"type": "bold", "text": "…"}``), joined; a photo's or video's caption is
  that same ``text`` (a ``caption`` field, which other tools write, is read too);
* dated by the message: ``date_unixtime`` as UTC, as the live channel's posts
  are (`bot.handlers` stores ``post.date``), else ``date`` as written;
* titled by its first line (`index.ingest.post_title`, as live posts are);
* id ``channel/<chat>/<message>`` for channels and supergroups, with the chat id
  as the Bot API writes it without its minus (``-1001234567890`` ->
  ``1001234567890``): the very id `index.service` gives a live post, so a
  message already ingested from the live channel is recognised and not indexed
  twice (`index.corpus.read_corpus`); ``telegram/<chat>/<message>`` for other chats;
* linked as ``https://t.me/<username>/<id>`` when the username is known: the
  export's ``username`` (if a tool wrote one) or the setting
  ``TELEGRAM_EXPORT_USERNAMES`` (`index.config.RuntimeSettings`);
* its source is the chat's name.

Service messages (joins, pins, title changes) and messages without text are
skipped and counted in one line of the build summary. An edited message
appears once with its last text; when one id appears more than once (exports
merged by hand), the copy edited last wins.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from .corpus import Article, Skipped
from .ingest import post_title

EXPORT_NAME = "result.json"
MAX_EXPORT_BYTES = 2 * 1024 * 1024 * 1024
_CHANNEL_TYPES = frozenset(("public_channel", "private_channel", "public_supergroup", "private_supergroup",
                            "channel", "supergroup"))


def message_text(value: object) -> str:
    """A message's ``text``: a string, or a list of strings and entity objects with a ``text``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def chat_key(chat: Mapping[str, Any]) -> str:
    """The chat id as a live post's article id holds it: channels and supergroups as 100<id>."""
    raw = str(chat.get("id", "")).lstrip("-")
    if str(chat.get("type", "")) in _CHANNEL_TYPES and not raw.startswith("100"):
        return f"100{raw}"
    return raw


def export_chats(data: object) -> list[Mapping[str, Any]]:
    """The chats of either export shape (one chat, or every chat of an account)."""
    if not isinstance(data, Mapping):
        return []
    if isinstance(data.get("messages"), list):
        return [data]
    chats = []
    for group in ("chats", "left_chats"):
        listing = data.get(group)
        if isinstance(listing, Mapping) and isinstance(listing.get("list"), list):
            chats.extend(c for c in listing["list"] if isinstance(c, Mapping) and isinstance(c.get("messages"), list))
    return chats


def _published(message: Mapping[str, Any]) -> str | None:
    stamp = message.get("date_unixtime")
    try:
        if stamp not in (None, ""):
            return datetime.fromtimestamp(int(stamp), timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    date = message.get("date")
    return date if isinstance(date, str) and date.strip() else None


def _latest(messages: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One copy per message id, the one edited last (ties: the later in the file), in id order."""
    best: dict[object, tuple[str, int, Mapping[str, Any]]] = {}
    for pos, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            continue
        key = msg.get("id")
        stamp = str(msg.get("edited_unixtime") or msg.get("edited") or "")
        old = best.get(key)
        if old is None or (stamp, pos) >= old[:2]:
            best[key] = (stamp, pos, msg)
    return [m for _, _, m in sorted(best.values(), key=lambda v: (_id_order(v[2].get("id")), v[1]))]


def _id_order(value: object) -> tuple[int, str]:
    return (int(value), "") if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) \
        else (1 << 62, str(value))


def chat_articles(chat: Mapping[str, Any], rel: str, usernames: Mapping[str, str],
                  counts: dict[str, int]) -> Iterator[Article]:
    """The articles of one exported chat; `counts` gathers what was skipped."""
    key = chat_key(chat)
    name = str(chat.get("name") or key or "Telegram")
    kind = "channel" if str(chat.get("type", "")) in _CHANNEL_TYPES else "telegram"
    username = str(chat.get("username") or usernames.get(key) or usernames.get(str(chat.get("id", ""))) or "")
    username = username.lstrip("@")
    for msg in _latest(chat["messages"]):
        if msg.get("type", "message") != "message":
            counts["service"] = counts.get("service", 0) + 1
            continue
        text = message_text(msg.get("text")) or message_text(msg.get("caption"))
        if not text.strip():
            counts["empty"] = counts.get("empty", 0) + 1
            continue
        mid = msg.get("id")
        yield Article(
            id=f"{kind}/{key}/{mid}",
            title=post_title(text, name),
            path=rel,
            text=text,
            url=f"https://t.me/{username}/{mid}" if username and kind == "channel" else None,
            published=_published(msg),
            source=name,
        )


def read_export(data: bytes, rel: str, usernames: Mapping[str, str] | None = None) -> Iterator[Article | Skipped]:
    """The articles of a `result.json`, then one line saying what was skipped (if anything was)."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield Skipped(rel, f"invalid UTF-8 at byte {exc.start}")
        return
    except (json.JSONDecodeError, RecursionError) as exc:
        yield Skipped(rel, f"invalid JSON: {getattr(exc, 'msg', 'nested too deeply')}")
        return
    del data
    chats = export_chats(parsed)
    if not chats:
        yield Skipped(rel, "not a Telegram export (no chat with messages)")
        return
    if usernames is None:
        from .config import current_runtime
        usernames = current_runtime().usernames
    counts: dict[str, int] = {}
    for chat in chats:
        yield from chat_articles(chat, rel, usernames, counts)
    if counts:
        parts = [f"{counts[k]} {label}" for k, label in (("service", "service messages"),
                                                          ("empty", "messages without text")) if k in counts]
        yield Skipped(rel, f"Telegram export: {' and '.join(parts)} skipped")
