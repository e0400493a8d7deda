"""Parse a user's question into what the searcher needs.

A question arrives as free text from Telegram. `parse_query` turns it into a
`ParsedQuery` in five steps, and never raises for any `str`:

1. **Clean** (`clean_query`): HTML entities with a ';' are decoded and HTML
   tags/comments removed (pasted markup is not a question); control
   characters, lone surrogates and invisible format characters (zero-width
   space, bidi marks; ZWJ/ZWNJ are kept for emoji and Persian) are removed;
   whitespace is collapsed to single spaces. Input longer than
   `MAX_QUERY_CHARS` is cut, backing up to the last space when that loses
   less than half, so a word is not cut in two; `truncated` says so. (Very
   long input is cut to 20x that before cleaning, to bound the work.)
2. **Split into segments** (`phrase_spans`): only a balanced pair of quotes
   makes a phrase: " ", “ ”, ” ”, „ “, „ ”, « », » «, ‹ ›, 「 」, 『 』, ＂ ＂,
   ‘ ’, ‚ ‘ (`QUOTE_PAIRS`). A quote inside a word is a letter (מנכ"ל, O"Brien:
   a letter or digit on both sides), so it neither opens nor closes; a stray,
   unbalanced quote is ignored (a phone keyboard's ” before a Romanian
   question). The ASCII ' never delimits: it is an apostrophe. ‘ ’ do, but
   since ’ is also the typographic apostrophe, ‘ must start a word (after a
   space or the question's start, before a non-space) and ’ must end one
   (after a non-space, before no letter or digit): “don’t”, “O’Brien”,
   “the boys’ bus” have no phrase. Next to letters of scripts written
   without spaces (Chinese, Japanese, Thai ...) quotes are never letters:
   他说“登月计划”是 has a phrase. A phrase that no sentence has is searched
   as its words by the engine (`NOTE_PHRASE_FALLBACK`).
3. **Exclusions**: a whitespace-delimited chunk starting with '-' (or the
   minus sign '−') followed by a letter excludes its words ("-Putin",
   "-ex-Soviet"); '-' followed by a quote excludes the phrase's words.
   A '-' inside a word is a hyphen, never an exclusion ("ex-Soviet"); a
   lone '-' is ignored, and '-' before a digit is a minus sign ("-5%").
   Excluded terms are removed from the positive terms.
4. **Analyze** every segment with the index's `Analyzer` (so query terms
   are index terms): positive terms in question order, *with* repetition
   (a repeated word counts twice, like rank-bm25's get_scores), including
   phrase words' terms, cut to `MAX_QUERY_TERMS`. Each positive phrase
   also keeps its `Token.words` (stopwords included) for an adjacency check
   with `matches_phrase`.
5. **Names**: terms of capitalized words that do not start the question or
   a sentence inside it ("what did Lavrov say" -> lavrov) are returned as
   `names` for weighting. When every word is capitalized (CAPS LOCK or
   Title Case questions, at least three words) capitals carry no
   information and `names` is empty.

If nothing is left to search, `reason` holds a short message for the user
and `searchable` is False.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from index.analysis import DEFAULT_ANALYZER, Analyzer, Token

MAX_QUERY_CHARS = 500
"""Longer questions are cut (at a space when possible); `truncated` is set."""

MAX_QUERY_TERMS = 32
"""At most this many positive terms are searched; `truncated` is set."""

_PRECUT_CHARS = MAX_QUERY_CHARS * 20

REASON_EMPTY = "The question is empty."
REASON_NO_WORDS = (
    "The question has no words to search for (only punctuation, symbols or emoji)."
)
NOTE_PHRASE_FALLBACK = "No sentence has the exact phrase; these have its words."
"""The note of a result whose quoted phrase matched nothing, searched as its words."""
REASON_ALL_EXCLUDED = (
    "Every searchable word in the question is excluded with '-'; "
    "add a word to search for."
)

# opening quote -> the quotes that close it
QUOTE_PAIRS: dict[str, str] = {
    '"': '"', "\uff02": "\uff02",  # " "  ＂ ＂
    "\u201c": "\u201d\u201c",  # “ ” (and “ “ from keyboards with one mark)
    "\u201d": "\u201d",  # ” ” (Swedish, Finnish)
    "\u201e": "\u201c\u201d",  # „ “ (German), „ ” (Romanian, Polish, Hungarian)
    "\u201f": "\u201d",  # ‟ ”
    "\u00ab": "\u00bb", "\u00bb": "\u00ab",  # « » (French, Russian), » « (German, Danish)
    "\u2039": "\u203a", "\u203a": "\u2039",  # ‹ › and › ‹
    "\u300c": "\u300d", "\u300e": "\u300f",  # 「 」 『 』
    "\u2018": "\u2019", "\u201a": "\u2018\u2019",  # ‘ ’ and ‚ ‘ / ‚ ’
}
_QUOTE_CHARS = "".join(sorted(set(QUOTE_PAIRS) | set("".join(QUOTE_PAIRS.values()))))
_BRACKETS = "\u300c\u300d\u300e\u300f"  # 「」『』: never letters, whatever surrounds them
_APOSTROPHES = "\u2018\u2019\u201a"  # ‘ ’ ‚: also apostrophes, so stricter
# Scripts written without spaces between words: a quote next to their letters is no letter.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_DASHES = "-\u2212"  # hyphen-minus and the minus sign
_CHUNK_RE = re.compile(r"\S+")
_TAG_RE = re.compile(r"<!--.*?(?:-->|$)|</?[A-Za-z][^<>]{0,256}>", re.DOTALL)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_SENTENCE_END = frozenset(".!?\u2026")


def _removal_table() -> dict[int, str | None]:
    """Control characters -> space (whitespace ones) or removed; lone
    surrogates and BMP format characters (except ZWNJ/ZWJ) removed."""
    table: dict[int, str | None] = {}
    for cp in range(0x10000):
        category = unicodedata.category(chr(cp))
        if category == "Cc":
            table[cp] = " " if chr(cp).isspace() else None
        elif category == "Cs" or (category == "Cf" and cp not in (0x200C, 0x200D)):
            table[cp] = None
    return table


_REMOVE = _removal_table()


@dataclass(frozen=True)
class ParsedQuery:
    """A question, ready for the searcher."""

    text: str  # the cleaned question as used
    terms: tuple[str, ...]  # positive index terms in order, with repetition
    phrases: tuple[tuple[str, ...], ...]  # quoted phrases as Token.words
    excluded: frozenset[str]  # terms of -words and -"phrases"
    names: frozenset[str]  # terms of capitalized, non-sentence-initial words
    truncated: bool
    reason: str | None  # None when there is something to search

    @property
    def searchable(self) -> bool:
        return self.reason is None and bool(self.terms)


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

def _decode_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group())


def clean_query(raw: str) -> tuple[str, bool]:
    """Step 1: the question as searched, and whether it was cut."""
    truncated = len(raw) > _PRECUT_CHARS
    text = raw[:_PRECUT_CHARS]
    if "&" in text:
        text = _ENTITY_RE.sub(_decode_entity, text)
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    text = " ".join(text.translate(_REMOVE).split())
    if len(text) > MAX_QUERY_CHARS:
        truncated = True
        cut = text[:MAX_QUERY_CHARS]
        space = cut.rfind(" ")
        text = (cut[:space] if space > MAX_QUERY_CHARS // 2 else cut).rstrip()
    return text, truncated


# --------------------------------------------------------------------------
# Segmenting
# --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Segment:
    """Tokens of one chunk or phrase, with positions in the cleaned text."""

    tokens: tuple[Token, ...]  # spans shifted to the cleaned text
    phrase: bool
    excluded: bool


def _shift(tokens: list[Token], offset: int) -> tuple[Token, ...]:
    if not offset:
        return tuple(tokens)
    return tuple(
        Token(t.start + offset, t.end + offset, t.terms, t.words, t.capitalized)
        for t in tokens
    )


def _is_exclusion(text: str, start: int, chunk: str) -> bool:
    """'-word' at the start of a whitespace-delimited chunk (a stray quote between
    is ignored: '-"word' excludes the word)."""
    return (
        len(chunk) > 1
        and chunk[0] in _DASHES
        and chunk[1:].lstrip(_QUOTE_CHARS)[:1].isalpha()
        and (start == 0 or text[start - 1].isspace())
    )


def _plain_segments(text: str, lo: int, hi: int, analyzer: Analyzer) -> list[_Segment]:
    segments: list[_Segment] = []
    for m in _CHUNK_RE.finditer(text, lo, hi):
        chunk, start = m.group(), m.start()
        excluded = _is_exclusion(text, start, chunk)
        skip = 1 if excluded else 0
        tokens = _shift(analyzer.tokens(chunk[skip:]), start + skip)
        if tokens:
            segments.append(_Segment(tokens, phrase=False, excluded=excluded))
    return segments


@dataclass(frozen=True, slots=True)
class PhraseSpan:
    """A balanced pair of quotes: ``text[start:end]`` with the quotes (and a leading
    '-' when excluded), ``text[inner_start:inner_end]`` the phrase itself."""

    start: int
    inner_start: int
    inner_end: int
    end: int
    excluded: bool


def _is_letter(text: str, i: int) -> bool:
    """A letter or digit of a script that puts spaces between words."""
    return 0 <= i < len(text) and text[i].isalnum() and not _UNSPACED.match(text[i])


def _opens(text: str, i: int) -> bool:
    mark = text[i]
    if mark not in QUOTE_PAIRS:
        return False
    if mark in _BRACKETS:
        return True
    if mark in _APOSTROPHES:  # ‘ starts a word: after a space (or the start), before a non-space
        return (i == 0 or text[i - 1].isspace() or text[i - 1] in _QUOTE_CHARS + "([{") and \
            i + 1 < len(text) and not text[i + 1].isspace()
    return not _is_letter(text, i - 1)


def _closes(text: str, j: int, opener: str) -> bool:
    if text[j] not in QUOTE_PAIRS[opener]:
        return False
    if text[j] in _BRACKETS:
        return True
    if text[j] in _APOSTROPHES and text[j - 1].isspace():
        return False
    return not _is_letter(text, j + 1)


def phrase_spans(text: str) -> list[PhraseSpan]:
    """Step 2: the balanced quote pairs of ``text``, left to right, not nested.

    An opener pairs with the first mark after it that can close it; one that
    nothing closes is a stray quote and ignored, and so is a closer without an
    opener (see the module docstring for which marks pair and when a mark is
    a letter)."""
    marks = [i for i, c in enumerate(text) if c in _QUOTE_CHARS]
    spans: list[PhraseSpan] = []
    after = 0  # phrases do not overlap
    for k, i in enumerate(marks):
        if i < after or not _opens(text, i):
            continue
        j = next((j for j in marks[k + 1:] if _closes(text, j, text[i])), -1)
        if j < 0:
            continue
        dash = i > 0 and text[i - 1] in _DASHES and (i == 1 or text[i - 2].isspace())
        spans.append(PhraseSpan(i - 1 if dash else i, i + 1, j, j + 1, dash))
        after = j + 1
    return spans


def _segments(text: str, analyzer: Analyzer) -> list[_Segment]:
    """Step 2 and 3: phrases, exclusions and plain chunks in text order."""
    segments: list[_Segment] = []
    pos = 0
    for span in phrase_spans(text):
        segments.extend(_plain_segments(text, pos, span.start, analyzer))
        tokens = _shift(analyzer.tokens(text[span.inner_start:span.inner_end]), span.inner_start)
        if tokens:
            segments.append(_Segment(tokens, phrase=True, excluded=span.excluded))
        pos = span.end
    segments.extend(_plain_segments(text, pos, len(text), analyzer))
    return segments


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

def _sentence_initial(text: str, tokens: Sequence[Token]) -> set[int]:
    """Start offsets of tokens that open the question or a sentence in it."""
    starts: set[int] = set()
    previous_end = None
    for tok in tokens:
        if previous_end is None or _SENTENCE_END.intersection(text[previous_end:tok.start]):
            starts.add(tok.start)
        previous_end = tok.end
    return starts


def _name_terms(text: str, tokens: Sequence[Token]) -> set[str]:
    """Step 5: terms of capitalized words that are not sentence-initial."""
    lettered = [t for t in tokens if text[t.start].isalpha()]
    if len(lettered) >= 3 and all(t.capitalized for t in lettered):
        return set()  # CAPS LOCK or Title Case: capitals say nothing
    initial = _sentence_initial(text, tokens)
    return {
        term
        for t in tokens
        if t.capitalized and t.start not in initial
        for term in t.terms
    }


# --------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------

def _quote_list(words: Sequence[str]) -> str:
    quoted = [f"'{w}'" for w in words]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _no_terms_reason(text: str, tokens: Sequence[Token]) -> str:
    """Why a question without positive terms cannot be searched."""
    surfaces: list[str] = []
    for t in tokens:
        word = text[t.start:t.end].lower()
        if word not in surfaces:
            surfaces.append(word)
    examples = _quote_list(surfaces[:3]) or "'what' or 'the'"
    return f"The question has no searchable words (only common words like {examples})."


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def parse_query(raw: str, analyzer: Analyzer = DEFAULT_ANALYZER) -> ParsedQuery:
    """Parse a question (see the module docstring). Never raises for a str."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    text, truncated = clean_query(raw)
    segments = _segments(text, analyzer)

    positive_tokens = [t for s in segments if not s.excluded for t in s.tokens]
    excluded = frozenset(
        term for s in segments if s.excluded for t in s.tokens for term in t.terms
    )
    candidates = [term for t in positive_tokens for term in t.terms]
    terms = [term for term in candidates if term not in excluded]
    if len(terms) > MAX_QUERY_TERMS:
        terms = terms[:MAX_QUERY_TERMS]
        truncated = True

    phrases: list[tuple[str, ...]] = []
    for s in segments:
        if s.phrase and not s.excluded:
            words = tuple(w for t in s.tokens for w in t.words)
            if words not in phrases:
                phrases.append(words)

    kept = set(terms)
    names = frozenset(_name_terms(text, positive_tokens) & kept)

    reason: str | None = None
    if not terms:
        all_tokens = [t for s in segments for t in s.tokens]
        if not text:
            reason = REASON_EMPTY if not raw.strip() else REASON_NO_WORDS
        elif candidates or excluded:
            reason = REASON_ALL_EXCLUDED
        elif all_tokens:
            reason = _no_terms_reason(text, all_tokens)
        else:
            reason = REASON_NO_WORDS

    return ParsedQuery(
        text=text,
        terms=tuple(terms),
        phrases=tuple(phrases),
        excluded=excluded,
        names=names,
        truncated=truncated,
        reason=reason,
    )


def matches_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """True when `phrase` occurs in `words` as a contiguous run.

    An empty phrase matches everything."""
    m = len(phrase)
    if m == 0:
        return True
    n = len(words)
    if m > n:
        return False
    phrase = list(phrase)
    first = phrase[0]
    words = list(words)
    i = 0
    last = n - m
    while i <= last:
        try:
            i = words.index(first, i, last + 1)
        except ValueError:
            return False
        if words[i:i + m] == phrase:
            return True
        i += 1
    return False
