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
from datetime import date
from string import Formatter

from index.hits import ArticleRef, Hit, SearchResult
from index.news import no_match_message

from .i18n import DEFAULT, ENGLISH, Catalogue

MAX_MESSAGE = 4096        # visible characters per message (Telegram's limit)
MAX_TITLE = 200           # article titles longer than this are shortened in the source line
MAX_QUERY_ECHO = 200      # the question as repeated in a reply header
ELLIPSIS = "…"
OPENING_CHARS = 60        # an untitled article is shown under this many characters of its first words
SEPARATOR = " · "         # between the parts of the source line


# ----- fragments ---------------------------------------------------------------------------
def u16len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); a lone surrogate counts as the 1 unit
    of the U+FFFD that `text` puts in its place."""
    if text.isascii():              # most text, and without the encoding's copy
        return len(text)
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
    if not parts:
        return EMPTY
    return Fragment(sep.html.join(part.html for part in parts),
                    sum(part.visible for part in parts) + sep.visible * (len(parts) - 1))


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


def published_day(published: str | None) -> date | None:
    """The day of an ISO 8601 date or datetime (what `ArticleRef.published` holds), else None."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?=$|[T ])", (published or "").strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def display_date(published: str | None, tr: Catalogue = ENGLISH) -> str | None:
    """"26 Aug 2020" (in the reader's language) for an ISO date; anything else as given."""
    if not published or not published.strip():
        return None
    day = published_day(published)
    return tr.day(day) if day else published.strip()


def safe_url(url: str | None) -> str | None:
    """Only plain http(s) links become <a href> (no javascript:, no tg: surprises)."""
    if url and re.match(r"https?://[^\s<>\"]+$", url.strip()):
        return url.strip()
    return None


def display_title(article: ArticleRef, tr: Catalogue = ENGLISH) -> str:
    """The title; an untitled article is shown under its first words (display only: the index
    keeps its title empty, so the ranking never matches words of a made-up title)."""
    if article.title and article.title.strip():
        return article.title.strip()
    opening = " ".join((article.opening or "").split())
    return shorten(opening, OPENING_CHARS) if opening else article.id or tr("untitled")


def source_parts(hit: Hit, tr: Catalogue = ENGLISH) -> tuple[str | None, str, str | None, str | None]:
    """(speaker, title, source, date) of the source line, each None when the index has none;
    the source is left out when it only repeats the title."""
    article = hit.article
    title = display_title(article, tr)
    src = (article.source or "").strip() or None
    if src == title:
        src = None
    return hit.speaker, title, src, display_date(article.published, tr)


def source(hit: Hit, limit: int = MAX_MESSAGE, tr: Catalogue = ENGLISH) -> Fragment:
    """'— Sergei Lavrov · Title · Reuters · 26 Aug 2020', the title linked when the article has
    a URL; parts the index does not know are left out. The title gets at most a quarter of the
    message limit, so the quote always has room."""
    speaker, title, src, day = source_parts(hit, tr)
    shown = text(shorten(title, min(MAX_TITLE, max(10, limit // 4))))
    url = safe_url(hit.article.url)
    parts = [text(shorten(speaker, 80))] if speaker else []
    parts.append(tag("a", shown, href=url) if url else shown)
    parts += [text(shorten(value, cap)) for value, cap in ((src, 60), (day, 40)) if value]
    return text("— ") + join(parts, text(SEPARATOR))


def hit_block(hit: Hit, limit: int = MAX_MESSAGE, ranked: bool = True, tr: Catalogue = ENGLISH) -> Fragment:
    """Rank, the quoted sentence (matched words bold) and its source; shortened to fit `limit`."""
    head = tag("b", text(f"{hit.rank}.")) + NEWLINE if ranked else EMPTY
    tail = NEWLINE + source(hit, limit, tr)
    sentence, spans = hit.text, hit.highlights
    room = limit - head.visible - tail.visible
    if u16len(sentence) > room:
        sentence = shorten(sentence, max(room, 1))
        spans = clean_spans(spans, len(sentence.removesuffix(ELLIPSIS)))
    return head + tag("blockquote", highlighted(sentence, spans)) + tail


def span_label(result: SearchResult, tr: Catalogue = ENGLISH) -> str:
    """'1–5 of 12' (or '6 of 6' for a single hit)."""
    first, last = result.offset + 1, result.offset + len(result.hits)
    if first == last:
        return tr("span_one", first=first, total=result.total)
    return tr("span_range", first=first, last=last, total=result.total)


def filters_label(result: SearchResult, tr: Catalogue = ENGLISH) -> str:
    """' from June 2023 in Reuters': the date range and source the question set, or ''."""
    found = result.filters
    if found is None:
        return ""
    parts = [tr.date_range(found.after, found.before, found.label)]
    if found.source:
        parts.append(tr("source_in", source=found.source))
    return "".join(f" {part}" for part in parts if part)


def newest_first_offered(result: SearchResult) -> bool:
    """A "Newest first" button is worth showing: not yet by date, and the hits span days."""
    found = result.filters
    if found is not None and found.by_date:
        return False
    return len({day for h in result.hits if (day := published_day(h.article.published))}) > 1


def index_note(result: SearchResult, tr: Catalogue = ENGLISH) -> str | None:
    """`result.message` in the reader's language: the index's constants by table, and its "No
    article from June 2023 matches (…)" composed again from the filters; English as written."""
    found = result.filters
    if tr.lang != DEFAULT and found is not None and found.restricts and not result.hits and result.message:
        undated = result.undated_left_out
        if result.message == no_match_message(found, undated):
            left_out = tr("index_undated_left_out", count=undated) if undated else ""
            return tr("index_no_article", scope=filters_label(result, tr), left_out=left_out)
    return tr.index_message(result.message)


def filled(template: str, **fragments: Fragment) -> Fragment:
    """A catalogue template with `{name}` places filled by fragments (the rest escaped as text)."""
    parts = []
    for literal, name, _, _ in Formatter().parse(template):
        if literal:
            parts.append(text(literal))
        if name is not None:
            parts.append(fragments[name])
    return join(parts)


def header(result: SearchResult, limit: int = MAX_MESSAGE, tr: Catalogue = ENGLISH) -> Fragment:
    """'1–3 of 6 from June 2023 for <i>question</i> (searched as …): note', the note being
    the index's message (the phrase fallback) in the reader's language."""
    question = shorten(" ".join(result.query.split()), min(MAX_QUERY_ECHO, limit // 4))
    head = filled(tr("header"),
                  span=text(span_label(result, tr)), filters=text(filters_label(result, tr)),
                  question=tag("i", text(question)))
    if result.suggestion:  # unknown words were matched to close ones: say what was searched
        searched = shorten(result.suggestion, min(MAX_QUERY_ECHO, limit // 4))
        head = head + filled(tr("header_searched_as"), searched=tag("i", text(searched)))
    note = index_note(result, tr)
    return head + text(":" + (f" {shorten(note, limit // 4)}" if note else ""))


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
def answer_html(result: SearchResult, limit: int = MAX_MESSAGE, tr: Catalogue = ENGLISH) -> list[str]:
    """One page of hits as HTML messages, each at most `limit` visible characters."""
    if not result.hits:
        return [no_hits_html(result, tr=tr)]
    blocks = [header(result, limit, tr)] + [hit_block(h, limit, tr=tr) for h in result.hits]
    return pack(blocks, limit)


def no_hits_html(result: SearchResult, suggestion: str | None = None, tr: Catalogue = ENGLISH) -> str:
    """Why nothing was found (the index's reason, translated when it is one of its constants)."""
    reason = index_note(result, tr) or tr("index_no_match")
    question = tag("i", text(shorten(" ".join(result.query.split()), MAX_QUERY_ECHO)))
    out = filled(tr("nothing_found"), question=question, reason=text(reason))
    if suggestion:
        out = out + NEWLINE + filled(tr("did_you_mean_line"),
                                     suggestion=tag("i", text(shorten(suggestion, MAX_QUERY_ECHO))))
    return out.html


def context_html(items: Sequence[tuple[Hit, Sequence[tuple[int, str]]]], limit: int = MAX_MESSAGE,
                 tr: Catalogue = ENGLISH) -> list[str]:
    """Each hit among its neighbouring sentences (the hit in bold), split under `limit`."""
    blocks = [context_block(hit, around, limit, tr) for hit, around in items]
    return pack(blocks, limit) if blocks else [escape_text(tr("no_context"))]


def context_block(hit: Hit, around: Sequence[tuple[int, str]], limit: int = MAX_MESSAGE,
                  tr: Catalogue = ENGLISH) -> Fragment:
    """Neighbours dropped from the far ends, then the hit shortened, until the block fits. The
    neighbours are in an expandable blockquote (Bot API 7.4): a long paragraph stays folded."""
    around = list(around) or [(hit.sentence_id, hit.text)]
    if all(sid != hit.sentence_id for sid, _ in around):
        around = [(hit.sentence_id, hit.text)]
    head = tag("b", text(f"{hit.rank}.")) + text(tr("in_context")) + NEWLINE
    tail = NEWLINE + source(hit, limit, tr)

    def build(items: list[tuple[int, str]], own: str) -> Fragment:
        parts = [tag("b", text(own)) if sid == hit.sentence_id else text(t) for sid, t in items]
        return head + expandable(join(parts, text(" "))) + tail

    block = build(around, hit.text)
    while block.visible > limit and len(around) > 1:
        pos = next(i for i, (sid, _) in enumerate(around) if sid == hit.sentence_id)
        around.pop(0 if pos > len(around) - 1 - pos else -1)
        block = build(around, hit.text)
    if block.visible > limit:
        block = build(around, shorten(hit.text, max(1, limit - head.visible - tail.visible)))
    return block


def expandable(inner: Fragment) -> Fragment:
    """<blockquote expandable> (a bare attribute, as Telegram writes it)."""
    return Fragment(f"<blockquote expandable>{inner.html}</blockquote>", inner.visible)


def inline_html(hit: Hit, limit: int = MAX_MESSAGE, tr: Catalogue = ENGLISH) -> str:
    """What an inline result sends: the quote and its source, without the rank."""
    return hit_block(hit, limit, ranked=False, tr=tr).html


def inline_description(hit: Hit, tr: Catalogue = ENGLISH) -> str:
    """The line under an inline result's title: who, where from, when."""
    speaker, title, src, day = source_parts(hit, tr)
    return shorten(SEPARATOR.join(p for p in (speaker, title, src, day) if p), 120)


# ----- plain text (the console chat) ---------------------------------------------------------
Marker = Callable[[str], str]


def plain_source(hit: Hit, tr: Catalogue = ENGLISH) -> str:
    """The source line in plain text, the link after the title in <>."""
    speaker, title, src, day = source_parts(hit, tr)
    url = safe_url(hit.article.url)
    titled = f"{title} <{url}>" if url else title
    return "— " + SEPARATOR.join(p for p in (speaker, titled, src, day) if p)


def plain_hit(hit: Hit, bold: Marker = lambda s: s, tr: Catalogue = ENGLISH) -> str:
    sentence, pos, parts = hit.text, 0, []
    for start, end in clean_spans(hit.highlights, len(sentence)):
        parts += [sentence[pos:start], bold(sentence[start:end])]
        pos = end
    parts.append(sentence[pos:])
    return f"{hit.rank}. {tr('quote_open')}{''.join(parts)}{tr('quote_close')}\n   {plain_source(hit, tr)}"


def answer_plain(result: SearchResult, suggestion: str | None = None, bold: Marker = lambda s: s,
                 tr: Catalogue = ENGLISH) -> str:
    """The console's answer: what `answer_html` says, as plain text."""
    def quoted(value: str) -> str:
        return f"{tr('quote_open')}{value}{tr('quote_close')}"

    if not result.hits:
        reason = index_note(result, tr) or tr("index_no_match")
        out = tr("nothing_found", question=quoted(result.query), reason=reason)
        return out + ("\n" + tr("did_you_mean_line", suggestion=quoted(suggestion)) if suggestion else "")
    head = tr("header", span=span_label(result, tr), filters=filters_label(result, tr), question=quoted(result.query))
    if result.suggestion:
        head += tr("header_searched_as", searched=quoted(result.suggestion))
    note = index_note(result, tr)
    lines = [head + ":" + (f" {note}" if note else ""), ""]
    lines += [plain_hit(h, bold, tr) + "\n" for h in result.hits]
    return "\n".join(lines).rstrip()


def context_plain(items: Sequence[tuple[Hit, Sequence[tuple[int, str]]]], bold: Marker = lambda s: s,
                  tr: Catalogue = ENGLISH) -> str:
    out = []
    for hit, around in items:
        body = " ".join(bold(t) if sid == hit.sentence_id else t for sid, t in around) or bold(hit.text)
        out.append(f"{hit.rank}.{tr('in_context')}\n   {body}\n   {plain_source(hit, tr)}")
    return "\n\n".join(out) or tr("no_context")
