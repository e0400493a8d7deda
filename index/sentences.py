"""Splitting an article into paragraphs and sentences with exact character spans.

The bot answers by quoting sentences verbatim, so every `Sentence` is a span
``[start, end)`` into the article text exactly as read: ``text[start:end]`` is
the quote, never a cleaned-up copy. The steps, in order:

1. **Line endings.** ``\\r\\n`` and lone ``\\r`` are mapped to ``\\n`` in a
   working copy *of the same length* (``\\r\\n`` becomes ``" \\n"``), so every
   later step only deals with ``\\n`` and every offset found in the copy is an
   offset into the original.
2. **Paragraphs** are separated by blank lines (lines holding only
   whitespace). A single newline inside a paragraph is whitespace inside a
   sentence, unless it ends one (step 6).
3. **Markdown headings** (``#`` .. ``######`` lines) are headings wherever they
   sit, even inside a paragraph: the text before and after such a line are
   then paragraphs of their own.
4. **Boilerplate** is cut out of each paragraph *before* sentence splitting:
   the paragraph is split into the segments around each match and the
   matches are dropped, so boilerplate is never part of a sentence, whether
   it is a line of its own or glued after a real sentence
   (``... election on August 9. ARTICLE CONTINUES AFTER AD``). Patterns are
   regexes searched case-insensitively with ``re.MULTILINE`` (``^``/``$`` are
   line boundaries, lines end with ``\\n`` as in step 1); an empty match is
   ignored. `DEFAULT_BOILERPLATE` holds two patterns:

   * "article/story continues after/below (the/this) ad/advertisement":
     distinctive enough to be dropped *anywhere* in a line;
   * "Advertisement", "Advertising", "Sponsored content", "Ad";
     "Subscribe" / "Subscribe to|for|now|today|here …";
     "Sign up for|to|now|here|today …"; "Read more" alone or followed by
     ``:``, ``»``, ``>``, ``|``, a dash or an ellipsis and a link text;
     "Click here …". These only count when they fill the *rest of a line*
     and start that line or follow a sentence end (``. ! ? …``, maybe a
     closing quote, then whitespace), so "The advertisement was banned."
     stays a sentence. Trailing text is capped at 200 characters: a long
     line is prose, not a call to action.

   The phrases share one pattern, led by a cheap ``(?<!\\S)`` guard, because
   Python's ``re`` tries every case-insensitive alternative at every
   character: six separate patterns made boilerplate removal cost more than
   sentence splitting itself.
5. **Headings.** A paragraph that, once its boilerplate is gone, is one whole
   line, at most 80 characters and 12 words, not ending in ``. ! ? : ; … ,``
   or a mark of another script (``。！？ । ॥ ؟ ۔ ። ။`` ..., the CJK and Arabic
   commas and colons; possibly followed by closing quotes or brackets), is a
   heading ("Quick flight", "北京新闻"; not "今天下雨了。"). A block ending in
   a Thai or Lao letter is never one: those scripts have no final mark, so a
   short block is as often a one-sentence paragraph (markdown ``#`` headings
   still count, and `is_heading`, which the corpus reader asks about a first
   line followed by a blank line, still says yes to a short Thai title). A heading yields no sentence; its text (markdown ``#`` marks
   stripped) becomes the `Sentence.section` of the sentences that follow,
   until the next heading.
6. **Sentences**, in three cuts of each segment:

   * *Line breaks* (`_line_ends_sentence`): a single line break ends a
     sentence when its line ends without final (``. ! ?`` ...) or continuing
     (``, ; : -`` ...) punctuation and the next line does not go on in lower
     case. Channel posts and scraped news put headline, body, photo caption
     ("FOTO: ...", "Photo: ..."), byline and hashtags on lines of their own;
     text wrapped at a fixed width goes on in lower case and stays one
     sentence, and so does a formula flattened from subscripts ("O\\n2",
     "Fe\\n2O\\n3": an element-like symbol, digit or ")" before a line starting
     with a digit). Emoji, hashtags
     and links are text like any other: they stay in the sentence, verbatim.
   * *Marks of other scripts* (`SCRIPT_SENTENCE_ENDS`: ``。！？｡`` CJK, ``।
     ॥`` Devanagari and other Brahmic scripts, ``؟ ۔`` Arabic and Urdu, ``።
     ፧`` Ethiopic, ``။`` Burmese, ``។ ៕`` Khmer, ``։`` Armenian) end a
     sentence after any closing quotes, with or without a space after them
     (Chinese and Japanese put none); so does ASCII ``! ?`` before CJK text.
     Thai and Lao have no sentence mark: a space between two of their
     characters ends a sentence once the sentence is `THAI_MIN_CHARS` long
     and the next word does not continue it (``และ`` "and", ``ซึ่ง``
     "which" ...). These follow the text, whatever language it is said to be.
   * *Punkt*: nltk's `PunktSentenceTokenizer` built from our own
     `PunktParameters` (`make_tokenizer(lang=...)`), run on each piece with
     ``span_tokenize``; spans are trimmed of whitespace. Languages listed in
     `index.abbreviations` (de, es, fr, pt, it, nl, ro, ru, uk, el, tr, vi,
     id, pl) get their own abbreviations, titles and (number, month)
     collocations ("am 1. Mai"), and Greek ends questions with ``;``; any
     other language, and None, gets the English parameters below.
     `learn_tokenizer` adds what nltk's `PunktTrainer` learns from a corpus. ``nltk.sent_tokenize``
   is not used: it needs the ``punkt_tab`` data, which may not be installed
   and must not be downloaded at run time. Our English parameters are
   deterministic:

   * *Abbreviations* (`_ABBREVIATIONS`): titles and ranks, company suffixes,
     months, dotted forms (``u.s``, ``e.g``, ``a.m`` ...). "No." is *not* one:
     as an abbreviation it would swallow the break in ``He said "no." Then``;
     instead the collocation (no, <number>) keeps "No. 10" together.
   * *Initials*: a letter and a period ("J."), and dotted runs that are not
     known abbreviations ("J.K.", "H.W."), follow Punkt's initial rule: no
     break before a capitalised word, so "J. K. Rowling wrote it." is one
     sentence. Titles (`_TITLES`: "Mr.", "Gen.", "Sen." ...) always precede a
     name, so they count as initials too, which Punkt never breaks after once
     they are known abbreviations ("Gen. He Weidong" stays whole).
   * *Sentence starters* (`_SENTENCE_STARTERS`: "The", "He", "But" ...) are
     marked as words seen lower-case mid-sentence. Punkt's orthographic
     heuristic then breaks after an abbreviation, initial or number when one
     of them follows ("... in the U.S. The ...", "Plan B. The ..."), and only
     then.
   * Opening curly quotes and guillemets start no word, so ``“Mr. Smith`` is
     seen as ``“`` + ``Mr.``; closing quotes after a sentence end belong to
     that sentence (``held better”.`` and ``He said "no."`` both end there).
     Numbers and versions ("3.5%", "v2.0", "Tu-214") hold no break: Punkt only
     breaks at a period followed by whitespace or punctuation.

7. **Long runs.** A sentence longer than `MAX_SENTENCE_CHARS` (a paragraph of
   words with no sentence end) is cut at whitespace into pieces of at most that
   length, or hard-cut where a stretch has no whitespace, so a quote stays
   readable and no sentence can dominate the index.

Paragraphs are numbered among those that yield sentences; heading-only and
boilerplate-only blocks take no number.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from nltk.tokenize.punkt import (
    _ORTHO_MID_LC,
    PunktLanguageVars,
    PunktParameters,
    PunktSentenceTokenizer,
    PunktToken,
    PunktTokenizer,
    PunktTrainer,
)

from .abbreviations import LANGUAGES, PunktLanguage, base_language

MAX_SENTENCE_CHARS: int = 1000
_MAX_HEADING_CHARS = 80
_MAX_HEADING_WORDS = 12

_TITLES: frozenset[str] = frozenset(
    "mr mrs ms messrs dr prof rev hon pres gen sen sens rep reps gov govs atty "
    "lt col capt cmdr maj adm brig sgt cpl pvt supt insp det".split()
)
_ABBREVIATIONS: frozenset[str] = _TITLES | frozenset(
    # saints and streets, name suffixes, organisations and places
    "st jr sr inc corp ltd co bros dept univ assn govt intl mt ft ave blvd rd "
    # months
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    # Latin and reference forms
    "vs etc al cf approx est fig vol "
    # dotted forms (Punkt looks a token up without its final period)
    "u.s u.k u.n e.u u.s.a u.a.e d.c e.g i.e a.m p.m ph.d".split()
)
_SENTENCE_STARTERS: frozenset[str] = frozenset(
    "the he she it they we you his her its their our this that these those "
    "there here but and so yet in on at as after before when while if "
    "although however meanwhile also some many most what who how why an "
    "then now still".split()
)
_NUMBER_COLLOCATIONS = frozenset({("no", "##number##"), ("nos", "##number##")})

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    # anywhere in a line
    r"\b(?:article|story) continues (?:after|below)(?: the| this)? (?:ad|advertisement)\b",
    # only as the rest of a line, from the line start or after a sentence end
    r"(?<!\S)(?:^|(?<=[.!?…][^\S\n])|(?<=[.!?…][\"'”’»)\]][^\S\n]))[^\S\n]*"
    r"(?:advertisement|advertising|sponsored content|ad"
    r"|subscribe(?:[^\S\n]+(?:to|for|now|today|here)\b[^\n]{0,200})?"
    r"|sign up (?:for|to|now|here|today)\b[^\n]{0,200}"
    r"|read more(?:[^\S\n]*(?:[:»>|–—-]|\.\.\.|…)[^\n]{0,200})?"
    r"|click here\b[^\n]{0,200})"
    r"[^\S\n]*$",
)

_PARAGRAPH_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+")
_MD_HEADING = re.compile(
    r"^ {0,3}#{1,6}(?:[^\S\n]+(?P<label>[^\n]*?))?(?:[^\S\n]+#+)?[^\S\n]*$", re.M
)
# Sentence-final marks of other scripts: CJK full stops and marks (no space
# follows them), the danda and double danda (Devanagari, Bengali, ...), the
# Arabic question mark and the Urdu full stop, the Ethiopic full stop and
# question mark, the Burmese section mark, the Khmer khan and the Armenian
# full stop.
SCRIPT_SENTENCE_ENDS = "。！？｡‼⁇⁈⁉।॥؟۔።፧။។៕։"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_THAI_LAO = "\u0e01-\u0e5b\u0e81-\u0edf"
THAI_MIN_CHARS = 120
"""A space between Thai (or Lao) characters ends a sentence once the sentence
has this many characters and at least half as many follow: Thai separates
sentences by spaces but also clauses, names and numbers (chosen on XQuAD th
``tune``, see bench/sentences_per_paragraph.py)."""
_THAI_CONTINUES = tuple(
    # after a space, these go on with the sentence: which, and, or, that, by, of,
    # such as, is, namely, to, with, from, in, as, that (say), to, towards, with
    "ซึ่ง และ หรือ ที่ โดย ของ เช่น คือ ได้แก่ ให้ กับ จาก ใน เป็น ว่า แก่ ต่อ ด้วย".split()
)

_CLOSERS = "\"'”’»)]」』）】〉》〕］｝"
_FINAL_PUNCTUATION = ".!?:;…," + SCRIPT_SENTENCE_ENDS + "，、：；،؛"
_LINE_CONTINUES = ",;:-‐‑–—(/&+=，、：；،؛"
_LINE_ENDS = ".!?…" + SCRIPT_SENTENCE_ENDS
_SCRIPT_CUT = re.compile(
    # a mark, or ASCII ! ? before CJK text; with the closing quotes after it, unless
    # a Japanese quotative particle follows the quote (「はい。」と言った is one sentence)
    rf"(?P<mark>(?:[{SCRIPT_SENTENCE_ENDS}]+|[!?]+(?=[{re.escape(_CLOSERS)}]*[{_CJK}]))"
    rf"(?:[{re.escape(_CLOSERS)}]+(?![とっ])|(?![{re.escape(_CLOSERS)}])))"
    # a space between Thai or Lao characters: a candidate (`_thai_space_ends`)
    rf"|(?<=[{_THAI_LAO}])[^\S\n]+(?=[{_THAI_LAO}])"
)
_SCRIPT_HINT = re.compile(f"[{SCRIPT_SENTENCE_ENDS}{_THAI_LAO}{_CJK}]")
_FORMULA_TAIL = re.compile(r"(?:(?<![A-Za-z])(?:[A-Z][a-z]?){1,3}|[0-9)])[+\-−]?$")
_THAI_LAO_CHAR = re.compile(f"[{_THAI_LAO}]")
_NEXT_CHAR = re.compile(r"[^\S\n]*(\S)")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: ``text[start:end]`` of the article text, verbatim."""

    start: int
    end: int
    paragraph: int
    index: int
    section: str | None


class _NewsLanguageVars(PunktLanguageVars):
    """English Punkt variables where opening curly quotes start no word."""

    __slots__ = ()
    _re_word_start = r"[^\(\"\`{\[:;&\#\*@\)}\]\-,“‘«„]"


class _NewsToken(PunktToken):
    """A Punkt token whose initials include "J.K."-style runs and titles ("Gen.")."""

    __slots__ = ()
    _RE_INITIAL = re.compile(r"(?:[^\W\d]\.)+$")
    titles: frozenset[str] = _TITLES
    abbreviations: frozenset[str] = _ABBREVIATIONS

    @property
    def is_initial(self) -> bool:
        typ = self.type[:-1]
        if typ in self.titles:
            return True
        return typ not in self.abbreviations and bool(self._RE_INITIAL.match(self.tok))


def make_tokenizer(use_punkt_tab: bool = False, lang: str | None = None) -> PunktSentenceTokenizer:
    """The shared sentence tokenizer for ``lang``: ours, or nltk's installed punkt_tab model.

    ``lang`` (an ISO 639-1 code or tag such as "pt-BR") picks the abbreviations
    of `index.abbreviations`; None, "en" and languages without a list get the
    English tokenizer. ``use_punkt_tab`` loads nltk's English ``punkt_tab``
    model when it is installed (never downloading it) and falls back to ours
    otherwise.
    """
    code = base_language(lang)
    return _tokenizer(use_punkt_tab, code if code in LANGUAGES else None)


@functools.cache
def _tokenizer(use_punkt_tab: bool, lang: str | None) -> PunktSentenceTokenizer:
    if use_punkt_tab:
        try:
            return PunktTokenizer("english")
        except LookupError:
            return _tokenizer(False, lang)
    params, lang_vars, token_cls = _punkt_setup(lang)
    return PunktSentenceTokenizer(params, lang_vars=lang_vars, token_cls=token_cls)


def learn_tokenizer(texts: Sequence[str], lang: str | None = None) -> PunktSentenceTokenizer:
    """A tokenizer whose Punkt parameters are also learnt from ``texts`` (offline).

    nltk's `PunktTrainer` finds the corpus's own abbreviations, collocations and
    which words start sentences; the hand lists of `make_tokenizer` are added on
    top, so learning never loses a known abbreviation. Deterministic for the
    same texts. Worth it on a corpus of some megabytes in one language; on a
    few paragraphs it learns little.
    """
    code = base_language(lang)
    base, lang_vars, token_cls = _punkt_setup(code if code in LANGUAGES else None)
    trainer = PunktTrainer(lang_vars=lang_vars, token_cls=token_cls)
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()
    params.abbrev_types |= base.abbrev_types
    params.collocations |= base.collocations
    for word, flags in base.ortho_context.items():
        params.add_ortho_context(word, flags)
    return PunktSentenceTokenizer(params, lang_vars=lang_vars, token_cls=token_cls)


def _punkt_setup(
    lang: str | None,
) -> tuple[PunktParameters, PunktLanguageVars, type[PunktToken]]:
    """Parameters, language variables and token class: English, or a listed language."""
    params = PunktParameters()
    if lang is None:
        params.abbrev_types = set(_ABBREVIATIONS)
        params.collocations = set(_NUMBER_COLLOCATIONS)
        for word in _SENTENCE_STARTERS:
            params.add_ortho_context(word, _ORTHO_MID_LC)
        return params, _NewsLanguageVars(), _NewsToken
    spec = LANGUAGES[lang]
    params.abbrev_types = set(spec.abbreviations)
    params.collocations = {("##number##", month) for month in spec.months}
    return params, _language_vars(spec.question_marks)(), _token_class(lang, spec)


@functools.cache
def _language_vars(extra_ends: str) -> type[PunktLanguageVars]:
    if not extra_ends:
        return _NewsLanguageVars
    ends = (".", "?", "!", *extra_ends)
    return type("_NewsLanguageVarsExtra", (_NewsLanguageVars,), {"__slots__": (), "sent_end_chars": ends})


@functools.cache
def _token_class(lang: str, spec: PunktLanguage) -> type[PunktToken]:
    attrs = {"__slots__": (), "titles": spec.titles, "abbreviations": spec.abbreviations}
    return type(f"_NewsToken_{lang}", (_NewsToken,), attrs)


def is_heading(line: str) -> bool:
    """Whether a single line reads as a heading: markdown, or short and unpunctuated."""
    line = line.strip()
    if "\n" in line or "\r" in line:
        return False
    if _MD_HEADING.match(line):
        return True
    boilerplate = _compile_boilerplate(DEFAULT_BOILERPLATE)
    return _plain_heading(line) and not (boilerplate and boilerplate.search(line))


def split_article(
    text: str,
    start: int = 0,
    boilerplate: Sequence[str] | None = None,
    tokenizer: PunktSentenceTokenizer | None = None,
    lang: str | None = None,
) -> list[Sentence]:
    """The sentences of ``text[start:]``, with spans into the whole ``text``.

    ``boilerplate`` replaces `DEFAULT_BOILERPLATE` (``()`` drops nothing);
    ``tokenizer`` replaces `make_tokenizer(lang=lang)`; ``lang`` is the
    article's language (None: English Punkt). The marks of other scripts, Thai
    spaces and line breaks apply whatever ``lang`` says: they follow the text.
    """
    if not 0 <= start <= len(text):
        raise ValueError(f"start {start} is outside the text (length {len(text)})")
    tok = tokenizer or make_tokenizer(lang=lang)
    drop = _compile_boilerplate(DEFAULT_BOILERPLATE if boilerplate is None else tuple(boilerplate))
    work = _normalize_newlines(text)
    sentences: list[Sentence] = []
    section: str | None = None
    paragraph = 0
    for chunk_start, chunk_end, label in _chunks(work, start):
        if label is not None:
            section = label or None
            continue
        segments = _segments(work, chunk_start, chunk_end, drop)
        if _is_heading_block(work, chunk_start, segments):
            a, b = segments[0]
            section = text[a:b]
            continue
        spans = [span for a, b in segments for span in _sentence_spans(work, a, b, tok)]
        if spans:
            sentences.extend(
                Sentence(a, b, paragraph, index, section) for index, (a, b) in enumerate(spans)
            )
            paragraph += 1
    return sentences


@functools.lru_cache(maxsize=32)
def _compile_boilerplate(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """All patterns as one case-insensitive, multi-line alternation (None if none)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.M)


def _normalize_newlines(text: str) -> str:
    """``text`` with every line break as ``\\n``, keeping its length and offsets."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", " \n").replace("\r", "\n")


def _paragraphs(text: str, start: int) -> Iterator[tuple[int, int]]:
    """Spans of the blank-line separated blocks of ``text[start:]`` (some may be blank)."""
    pos = start
    for m in _PARAGRAPH_BREAK.finditer(text, start):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def _chunks(text: str, start: int) -> Iterator[tuple[int, int, str | None]]:
    """Text blocks as ``(start, end, None)``, markdown headings as ``(start, end, label)``."""
    for s, e in _paragraphs(text, start):
        pos = s
        if text.find("#", s, e) >= 0:
            for m in _MD_HEADING.finditer(text, s, e):
                yield pos, m.start(), None
                yield m.start(), m.end(), m.group("label") or ""
                pos = m.end()
        yield pos, e, None


def _segments(
    text: str, start: int, end: int, drop: re.Pattern[str] | None
) -> list[tuple[int, int]]:
    """The trimmed, non-empty spans of ``text[start:end]`` around boilerplate matches."""
    spans = []
    pos = start
    if drop is not None:
        for m in drop.finditer(text, start, end):
            if m.end() > m.start():
                spans.append((pos, m.start()))
                pos = m.end()
    spans.append((pos, end))
    return [(a, b) for a, b in (_trim(text, s, e) for s, e in spans) if a < b]


def _is_heading_block(text: str, block_start: int, segments: list[tuple[int, int]]) -> bool:
    """A block left with one segment that fills its line and reads as a heading."""
    if len(segments) != 1:
        return False
    a, b = segments[0]
    line_start = max(text.rfind("\n", block_start, a) + 1, block_start)
    line_end = text.find("\n", b)
    rest = text[b:] if line_end < 0 else text[b:line_end]
    # Thai and Lao end no sentence with a mark: a short block of theirs is as often a
    # one-sentence paragraph as a heading, and dropping a sentence loses more
    return (not text[line_start:a].strip() and not rest.strip() and _plain_heading(text[a:b])
            and not _THAI_LAO_CHAR.match(text[b - 1]))


def _plain_heading(line: str) -> bool:
    """A stripped single line that is short and has no final punctuation."""
    if not line or "\n" in line or len(line) > _MAX_HEADING_CHARS:
        return False
    if len(line.split()) > _MAX_HEADING_WORDS:
        return False
    last = line.rstrip(_CLOSERS)[-1:]
    return bool(last) and last not in _FINAL_PUNCTUATION


def _sentence_spans(
    text: str, start: int, end: int, tokenizer: PunktSentenceTokenizer
) -> Iterator[tuple[int, int]]:
    """Trimmed sentence spans of the segment ``text[start:end]``, long ones cut."""
    for line_start, line_end in _line_pieces(text, start, end):
        for piece_start, piece_end in _script_pieces(text, line_start, line_end):
            piece = text[piece_start:piece_end]
            for a, b in tokenizer.span_tokenize(piece):
                a, b = _trim(text, piece_start + a, piece_start + b)
                if a < b:
                    yield from _cut_long(text, a, b)


def _line_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``text[start:end]`` cut at the line breaks that end a sentence (`_line_ends_sentence`)."""
    newline = text.find("\n", start, end)
    pos = start
    while newline >= 0:
        if _line_ends_sentence(text, pos, newline, end):
            yield pos, newline
            pos = newline + 1
        newline = text.find("\n", newline + 1, end)
    yield pos, end


def _line_ends_sentence(text: str, line_start: int, newline: int, end: int) -> bool:
    """A line break ends a sentence when its line has no final or continuing punctuation
    and the next line does not go on in lower case.

    Headlines, photo captions ("FOTO: ..."), bylines and sign-offs of channel posts sit
    on lines of their own, separated by single line breaks, without a period; prose
    wrapped at a fixed width goes on in lower case ("a sentence that\nspans lines").
    A line ending in ``. ! ?`` or a script's mark is left to the sentence splitter.
    """
    last = newline - 1
    while last >= line_start and text[last].isspace():
        last -= 1
    i = last
    while i >= line_start and text[i] in _CLOSERS:
        i -= 1
    if i < line_start or text[i] in _LINE_ENDS or text[i] in _LINE_CONTINUES:
        return False
    following = _NEXT_CHAR.match(text, newline + 1, end)
    if following is None or following.group(1).islower():
        return False
    # a formula flattened from HTML subscripts ("O\n2", "Fe\n2O\n3", "(CH\n3)\n2CO") goes on
    return not (following.group(1).isdigit() and _FORMULA_TAIL.search(text, line_start, last + 1))


def _script_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``text[start:end]`` cut after the sentence marks of other scripts and at Thai spaces.

    A CJK full stop needs no space after it; a space between Thai characters ends a
    sentence once the sentence is `THAI_MIN_CHARS` long, half as much is left, and
    the next word does not continue the sentence (shorter stretches are names,
    numbers and clauses).
    """
    if not _SCRIPT_HINT.search(text, start, end):  # the common case: nothing to cut here
        yield start, end
        return
    pos = start
    for m in _SCRIPT_CUT.finditer(text, start, end):
        if m.group("mark"):
            yield pos, m.end()
            pos = m.end()
        elif _thai_space_ends(text, pos, m.start(), m.end(), end):
            yield pos, m.start()
            pos = m.end()
    yield pos, end


def _thai_space_ends(text: str, sentence_start: int, space: int, after: int, end: int) -> bool:
    return (
        space - sentence_start >= THAI_MIN_CHARS
        and end - after >= THAI_MIN_CHARS // 2
        and not text.startswith(_THAI_CONTINUES, after)
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading and trailing whitespace (``start == end`` if blank)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Pieces of at most MAX_SENTENCE_CHARS of a trimmed span, cut at whitespace."""
    while end - start > MAX_SENTENCE_CHARS:
        cut = start + MAX_SENTENCE_CHARS
        while cut > start and not text[cut].isspace():
            cut -= 1
        if cut == start:
            cut = start + MAX_SENTENCE_CHARS
            yield start, cut
        else:
            yield _trim(text, start, cut)
        start, _ = _trim(text, cut, end)
    yield start, end
