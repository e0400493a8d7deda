"""Hits to message texts: Telegram HTML (split under 4096 visible characters) and plain text.

Pure functions, no Telegram objects, so the limits that break a bot in
production (escaping, balanced tags, the message length) are unit-tested
here. Every message is assembled from `Fragment`s that carry their HTML and
the length of their *visible* text side by side: splitting then never has
to re-parse HTML, and a cut can only fall between whole fragments, never
inside a tag, an entity or a quote. Lengths are counted in UTF-16 code units
(what Telegram counts; never less than Python's `len`).

Telegram's HTML knows only the named entities &lt; &gt; &amp; &quot;, so
text is escaped with ``html.escape(quote=False)`` and attribute values get
``&quot;`` on top; ``'`` is never turned into ``&#x27;``.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.hits import ArticleRef, Hit, SearchResult

MAX_MESSAGE = 4096        # visible characters per message (Telegram's limit)
MAX_TITLE = 200           # article titles longer than this are shortened in the source line
MAX_QUERY_ECHO = 200      # the question as repeated in a reply header
ELLIPSIS = "…"


# ----- fragments ---------------------------------------------------------------------------
def u16len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); a lone surrogate counts as the 1 unit
    of the U+FFFD that `text` puts in its place."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# Lone surrogates cannot be encoded as UTF-8 (a message holding one is refused) and C0 control
# characters other than tab and newlines are invisible at best: both can arrive in a question
# (JSON allows "\ud800" and "\u0000"), which the reply echoes.
_UNSENDABLE = re.compile("[\ud800-\udfff]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sendable(value: str) -> str:
    """`value` with lone surrogates made U+FFFD and control characters (but \\t \\n \\r) removed."""
    return _UNSENDABLE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", value)


def escape_text(text: str) -> str:
    return html.escape(text, quote=False)


def escape_attr(text: str) -> str:
    return html.escape(text, quote=False).replace('"', "&quot;")


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of HTML and the length of the text Telegram will show for it."""

    html: str
    visible: int

    def __add__(self, other: "Fragment") -> "Fragment":
        return Fragment(self.html + other.html, self.visible + other.visible)


EMPTY = Fragment("", 0)
NEWLINE = Fragment("\n", 1)


def text(value: str) -> Fragment:
    value = sendable(value)
    return Fragment(escape_text(value), u16len(value))


def tag(name: str, inner: Fragment, **attrs: str) -> Fragment:
    opening = name + "".join(f' {key}="{escape_attr(sendable(value))}"' for key, value in attrs.items())
    return Fragment(f"<{opening}>{inner.html}</{name}>", inner.visible)


def join(parts: Sequence[Fragment], sep: Fragment = EMPTY) -> Fragment:
    out = EMPTY
    for n, part in enumerate(parts):
        out = out + (sep + part if n else part)
    return out


# ----- pieces of an answer -------------------------------------------------------------------
def clean_spans(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Highlight spans clipped to [0, length), sorted, with overlaps merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(sentence: str, spans: Sequence[tuple[int, int]]) -> Fragment:
    """The sentence with the matched words in <b>."""
    parts, pos = [], 0
    for start, end in clean_spans(spans, len(sentence)):
        parts += [text(sentence[pos:start]), tag("b", text(sentence[start:end]))]
        pos = end
    parts.append(text(sentence[pos:]))
    return join(parts)


def shorten(value: str, limit: int) -> str:
    """`value` cut to at most `limit` UTF-16 units at a word boundary, with an ellipsis."""
    if u16len(value) <= limit:
        return value
    if limit <= 1:
        return ELLIPSIS[:max(limit, 0)]
    cut = value[:limit - 1]
    while u16len(cut) > limit - 1:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def display_date(published: str | None) -> str | None:
    """An ISO date or datetime shown as its date part; anything else as given."""
    if not published:
        return None
    match = re.match(r"\d{4}-\d{2}-\d{2}(?=$|[T ])", published.strip())
    return match.group(0) if match else published.strip()


def safe_url(url: str | None) -> str | None:
    """Only plain http(s) links become <a href> (no javascript:, no tg: surprises)."""
    if url and re.match(r"https?://[^\s<>\"]+$", url.strip()):
        return url.strip()
    return None


def source(article: ArticleRef, limit: int = MAX_MESSAGE) -> Fragment:
    """'— Title (Source), 2020-08-19', the title linked when the article has a URL.

    The title gets at most a quarter of the message limit, so the quote always has room.
    """
    title = text(shorten(article.title or article.id or "untitled", min(MAX_TITLE, max(10, limit // 4))))
    url = safe_url(article.url)
    parts = [text("— "), tag("a", title, href=url) if url else title]
    if article.source and article.source.strip() and article.source.strip() != (article.title or "").strip():
        parts.append(text(f" ({shorten(article.source.strip(), 60)})"))
    date = display_date(article.published)
    if date:
        parts.append(text(f", {shorten(date, 40)}"))
    return join(parts)


def hit_block(hit: Hit, limit: int = MAX_MESSAGE, ranked: bool = True) -> Fragment:
    """Rank, the quoted sentence (matched words bold) and its source; shortened to fit `limit`."""
    head = tag("b", text(f"{hit.rank}.")) + NEWLINE if ranked else EMPTY
    tail = NEWLINE + source(hit.article, limit)
    sentence, spans = hit.text, hit.highlights
    room = limit - head.visible - tail.visible
    if u16len(sentence) > room:
        sentence = shorten(sentence, max(room, 1))
        spans = clean_spans(spans, len(sentence.removesuffix(ELLIPSIS)))
    return head + tag("blockquote", highlighted(sentence, spans)) + tail


def span_label(result: SearchResult) -> str:
    """'1–5 of 12' (or '6 of 6' for a single hit)."""
    first, last = result.offset + 1, result.offset + len(result.hits)
    return (f"{first}" if first == last else f"{first}–{last}") + f" of {result.total}"


def header(result: SearchResult, limit: int = MAX_MESSAGE) -> Fragment:
    question = shorten(" ".join(result.query.split()), min(MAX_QUERY_ECHO, limit // 4))
    head = text(f"{span_label(result)} for ") + tag("i", text(question))
    if result.suggestion:  # unknown words were matched to close ones: say what was searched
        searched = shorten(result.suggestion, min(MAX_QUERY_ECHO, limit // 4))
        head = head + text(" (searched as ") + tag("i", text(searched)) + text(")")
    return head + text(":")


def pack(blocks: Sequence[Fragment], limit: int = MAX_MESSAGE, sep: Fragment = Fragment("\n\n", 2)) -> list[str]:
    """Greedily put whole blocks into messages of at most `limit` visible units."""
    messages: list[Fragment] = []
    current: Fragment | None = None
    for block in blocks:
        if block.visible > limit:
            raise ValueError("a block longer than a message must be shortened first")
        if current is not None and current.visible + sep.visible + block.visible <= limit:
            current = current + sep + block
        else:
            if current is not None:
                messages.append(current)
            current = block
    if current is not None:
        messages.append(current)
    return [m.html for m in messages]


# ----- whole messages -------------------------------------------------------------------------
def answer_html(result: SearchResult, limit: int = MAX_MESSAGE) -> list[str]:
    """One page of hits as HTML messages, each at most `limit` visible characters."""
    if not result.hits:
        return [no_hits_html(result)]
    blocks = [header(result, limit)] + [hit_block(h, limit) for h in result.hits]
    return pack(blocks, limit)


def no_hits_html(result: SearchResult, suggestion: str | None = None) -> str:
    reason = result.message or "No sentence matches the question."
    parts = [text("Nothing found for "), tag("i", text(shorten(" ".join(result.query.split()), MAX_QUERY_ECHO))),
             text(f". {reason}")]
    if suggestion:
        parts += [text("\nDid you mean "), tag("i", text(shorten(suggestion, MAX_QUERY_ECHO))), text("?")]
    return join(parts).html


def context_html(items: Sequence[tuple[Hit, Sequence[tuple[int, str]]]], limit: int = MAX_MESSAGE) -> list[str]:
    """Each hit among its neighbouring sentences (the hit in bold), split under `limit`."""
    blocks = [context_block(hit, around, limit) for hit, around in items]
    return pack(blocks, limit) if blocks else ["No context to show."]


def context_block(hit: Hit, around: Sequence[tuple[int, str]], limit: int = MAX_MESSAGE) -> Fragment:
    """Neighbours dropped from the far ends, then the hit shortened, until the block fits."""
    around = list(around) or [(hit.sentence_id, hit.text)]
    if all(sid != hit.sentence_id for sid, _ in around):
        around = [(hit.sentence_id, hit.text)]
    head = tag("b", text(f"{hit.rank}.")) + text(" in context:") + NEWLINE
    tail = NEWLINE + source(hit.article, limit)

    def build(items: list[tuple[int, str]], own: str) -> Fragment:
        parts = [tag("b", text(own)) if sid == hit.sentence_id else text(t) for sid, t in items]
        return head + tag("blockquote", join(parts, text(" "))) + tail

    block = build(around, hit.text)
    while block.visible > limit and len(around) > 1:
        pos = next(i for i, (sid, _) in enumerate(around) if sid == hit.sentence_id)
        around.pop(0 if pos > len(around) - 1 - pos else -1)
        block = build(around, hit.text)
    if block.visible > limit:
        block = build(around, shorten(hit.text, max(1, limit - head.visible - tail.visible)))
    return block


def inline_html(hit: Hit, limit: int = MAX_MESSAGE) -> str:
    """What an inline result sends: the quote and its source, without the rank."""
    return hit_block(hit, limit, ranked=False).html


def inline_description(hit: Hit) -> str:
    date = display_date(hit.article.published)
    title = shorten(hit.article.title or hit.article.id, 120)
    return f"{title}, {date}" if date else title


# ----- plain text (the console chat) ---------------------------------------------------------
Marker = Callable[[str], str]


def plain_hit(hit: Hit, bold: Marker = lambda s: s) -> str:
    sentence, pos, parts = hit.text, 0, []
    for start, end in clean_spans(hit.highlights, len(sentence)):
        parts += [sentence[pos:start], bold(sentence[start:end])]
        pos = end
    parts.append(sentence[pos:])
    src = hit.article.title or hit.article.id
    if hit.article.source and hit.article.source != hit.article.title:
        src += f" ({hit.article.source})"
    date = display_date(hit.article.published)
    url = safe_url(hit.article.url)
    line = f"   — {src}" + (f", {date}" if date else "") + (f" <{url}>" if url else "")
    return f"{hit.rank}. “{''.join(parts)}”\n{line}"


def answer_plain(result: SearchResult, suggestion: str | None = None, bold: Marker = lambda s: s) -> str:
    if not result.hits:
        reason = result.message or "No sentence matches the question."
        out = f"Nothing found for “{result.query}”. {reason}"
        return out + (f"\nDid you mean “{suggestion}”?" if suggestion else "")
    searched = f" (searched as “{result.suggestion}”)" if result.suggestion else ""
    lines = [f"{span_label(result)} for “{result.query}”{searched}:", ""]
    lines += [plain_hit(h, bold) + "\n" for h in result.hits]
    return "\n".join(lines).rstrip()


def context_plain(items: Sequence[tuple[Hit, Sequence[tuple[int, str]]]], bold: Marker = lambda s: s) -> str:
    out = []
    for hit, around in items:
        body = " ".join(bold(t) if sid == hit.sentence_id else t for sid, t in around) or bold(hit.text)
        out.append(f"{hit.rank}. in context:\n   {body}\n   — {hit.article.title or hit.article.id}")
    return "\n\n".join(out) or "No context to show."
