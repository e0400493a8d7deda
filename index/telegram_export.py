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

The file is streamed (`index.json_stream`), never parsed whole: a first pass
checks the whole document and notes each chat's name, type, id and username
(a tool may write them after the messages) and whether its message ids rise
(Telegram Desktop writes them so); the second pass turns one message at a time
into an article. Memory holds one message, except for a chat whose ids repeat
or go back (exports merged by hand), which is held whole to keep the copy
edited last, as before. A broken or cut-short file gives one line saying
where and no article (the rest of the corpus is read; an upload is refused).
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, BinaryIO

from .corpus import Article, Skipped
from .ingest import post_title
from .json_stream import JsonCursor, JsonStreamError

EXPORT_NAME = "result.json"
MAX_EXPORT_BYTES = 2 * 1024 * 1024 * 1024
NOT_AN_EXPORT = "not a Telegram export (no chat with messages)"
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


@dataclass(frozen=True, slots=True)
class ChatSource:
    """What every article of one chat shares: the id prefix, the source name, the link's username."""

    kind: str       # "channel" (channels and supergroups, ids as live posts have them) or "telegram"
    key: str        # `chat_key`
    name: str
    username: str

    @classmethod
    def of(cls, chat: Mapping[str, Any], usernames: Mapping[str, str]) -> "ChatSource":
        key = chat_key(chat)
        username = str(chat.get("username") or usernames.get(key) or usernames.get(str(chat.get("id", ""))) or "")
        return cls("channel" if str(chat.get("type", "")) in _CHANNEL_TYPES else "telegram", key,
                   str(chat.get("name") or key or "Telegram"), username.lstrip("@"))


def message_article(msg: Mapping[str, Any], chat: ChatSource, rel: str, counts: dict[str, int]) -> Article | None:
    """One message as an article; None (counted in `counts`) for a service message or one without text."""
    if msg.get("type", "message") != "message":
        counts["service"] = counts.get("service", 0) + 1
        return None
    text = message_text(msg.get("text")) or message_text(msg.get("caption"))
    if not text.strip():
        counts["empty"] = counts.get("empty", 0) + 1
        return None
    mid = msg.get("id")
    return Article(
        id=f"{chat.kind}/{chat.key}/{mid}",
        title=post_title(text, chat.name),
        path=rel,
        text=text,
        url=f"https://t.me/{chat.username}/{mid}" if chat.username and chat.kind == "channel" else None,
        published=_published(msg),
        source=chat.name,
    )


def chat_articles(chat: Mapping[str, Any], rel: str, usernames: Mapping[str, str],
                  counts: dict[str, int]) -> Iterator[Article]:
    """The articles of one exported chat held in memory; `counts` gathers what was skipped."""
    source = ChatSource.of(chat, usernames)
    for msg in _latest(chat["messages"]):
        if (article := message_article(msg, source, rel, counts)) is not None:
            yield article


def parsed_export_articles(parsed: object, rel: str, usernames: Mapping[str, str]) -> Iterator[Article | Skipped]:
    """`read_export` of a document already parsed whole (the reference the streamed reading is tested against)."""
    chats = export_chats(parsed)
    if not chats:
        yield Skipped(rel, NOT_AN_EXPORT)
        return
    counts: dict[str, int] = {}
    for chat in chats:
        yield from chat_articles(chat, rel, usernames, counts)
    yield from _summary(rel, counts)


def read_export(source: bytes | BinaryIO, rel: str, usernames: Mapping[str, str] | None = None,
                limit: int | None = None) -> Iterator[Article | Skipped]:
    """The articles of a `result.json` (its bytes, or a seekable binary file read in two streamed
    passes), then one line saying what was skipped (if anything was).

    Memory holds one message at a time, not the file: a first pass checks the whole document
    (a broken or cut-short file gives one `Skipped` and no article, as `json.loads` would) and
    learns each chat's name, type, id and username, wherever they stand; the second yields
    the articles. `limit`: the most bytes the file may have while it is read.
    """
    fh = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    start = fh.tell()
    try:
        chats = _survey(JsonCursor(fh, limit))
    except JsonStreamError as exc:
        yield Skipped(rel, str(exc))
        return
    chosen = _chosen(chats)
    if not chosen:
        yield Skipped(rel, NOT_AN_EXPORT)
        return
    if usernames is None:
        from .config import current_runtime
        usernames = current_runtime().usernames
    sources = {n: ChatSource.of(chats[n].meta, usernames) for n in chosen}
    counts: dict[str, int] = {}
    fh.seek(start)
    try:
        yield from _streamed_articles(JsonCursor(fh, limit), chats, sources, rel, counts)
    except JsonStreamError as exc:     # the file changed between the two passes
        yield Skipped(rel, f"{exc} (read again: the file changed while being read)")
        return
    yield from _summary(rel, counts)


def _summary(rel: str, counts: dict[str, int]) -> Iterator[Skipped]:
    if counts:
        parts = [f"{counts[k]} {label}" for k, label in (("service", "service messages"),
                                                          ("empty", "messages without text")) if k in counts]
        yield Skipped(rel, f"Telegram export: {' and '.join(parts)} skipped")


# ----- the streamed reading ---------------------------------------------------------

_CHAT_KEYS = ("name", "type", "id", "username")
_END = object()   # follows a chat's last message in `_walk`


@dataclass(slots=True)
class _Chat:
    """A chat as the first pass found it (the document itself, or one under chats/left_chats)."""

    nested: bool
    meta: dict[str, Any] = field(default_factory=dict)
    has_messages: bool = False    # "messages" is an array: what makes it a chat
    in_order: bool = True         # message ids are integers, strictly increasing: file order, no copies
    last_id: int | None = None
    messages: int = 0

    def note(self, msg: object) -> None:
        if not isinstance(msg, Mapping):
            return
        self.messages += 1
        mid = msg.get("id")
        if self.in_order and type(mid) is int and (self.last_id is None or mid > self.last_id):
            self.last_id = mid
        else:
            self.in_order = False


def _walk(cursor: JsonCursor, chats: list[_Chat]) -> Iterator[tuple[int, object]]:
    """Every message in document order as (chat number, message), then (number, _END) after the
    chat's last; `chats` gains each chat (its keys as read) in the order the document has them."""
    if cursor.peek() == "{":
        yield from _chat_members(cursor, chats, nested=False)
    else:
        cursor.value()
    cursor.end()


def _chat_members(cursor: JsonCursor, chats: list[_Chat], nested: bool) -> Iterator[tuple[int, object]]:
    number, chat = len(chats), _Chat(nested)
    chats.append(chat)
    for key in cursor.members():
        if key == "messages" and cursor.peek() == "[":
            chat.has_messages = True
            for _ in cursor.items():
                yield number, cursor.value()
            yield number, _END
        elif key in ("chats", "left_chats") and not nested and cursor.peek() == "{":
            for inner in cursor.members():
                if inner == "list" and cursor.peek() == "[":
                    for _ in cursor.items():
                        if cursor.peek() == "{":
                            yield from _chat_members(cursor, chats, nested=True)
                        else:
                            cursor.value()
                else:
                    cursor.value()
        elif key in _CHAT_KEYS:
            chat.meta[key] = cursor.value()
        else:
            cursor.value()


def _survey(cursor: JsonCursor) -> list[_Chat]:
    """The first pass: the whole document checked, each chat's keys and whether its ids are in order."""
    chats: list[_Chat] = []
    last = None
    try:
        for number, msg in _walk(cursor, chats):
            if msg is not _END:
                chats[number].note(msg)
                last = number
    except JsonStreamError as exc:
        where = "" if last is None else \
            f" (after message {chats[last].messages} of chat {sum(c.has_messages for c in chats[:last + 1])})"
        raise JsonStreamError(f"{exc}{where}") from None
    return chats


def _chosen(chats: list[_Chat]) -> set[int]:
    """The chats `export_chats` reads: the document when it is one chat, else those under chats/left_chats."""
    if chats and chats[0].has_messages:
        return {0}
    return {n for n, chat in enumerate(chats) if chat.nested and chat.has_messages}


def _streamed_articles(cursor: JsonCursor, chats: list[_Chat], sources: Mapping[int, ChatSource], rel: str,
                       counts: dict[str, int]) -> Iterator[Article]:
    """The second pass. A chat whose ids are out of order or repeated (exports merged by hand) is
    held until its last message, to keep the copy edited last of each, in id order, as a whole read does."""
    held: list[object] = []
    for number, msg in _walk(cursor, []):
        source = sources.get(number)
        if source is None:
            continue
        if chats[number].in_order and msg is not _END:
            if isinstance(msg, Mapping) and (article := message_article(msg, source, rel, counts)):
                yield article
        elif msg is not _END:
            held.append(msg)
        elif held:
            for kept in _latest(held):
                if (article := message_article(kept, source, rel, counts)) is not None:
                    yield article
            held = []
