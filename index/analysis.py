"""Text analysis: one analyzer turns article text *and* questions into terms.

Index and query must agree exactly, so there is one `Analyzer` and both sides
call it. Its output version (`Analyzer.version`) is stored in the index; a
mismatch forces a rebuild, so bump `ANALYZER_VERSION` whenever output changes
(the stopword list, the verb table, the word regex, the nltk and Unicode
versions are fingerprinted into `version` automatically).

Steps, per word
---------------
1. **Find words** with one precompiled regex over the *raw* text (`WORD_RE`).
   A word is a run of Unicode letters/digits, plus combining marks and
   invisible format characters (zero-width space, soft hyphen, bidi marks)
   that sit inside it, joined by
   * internal apostrophes  ' ’ ‘ ` ´ ＇   (Russia’s, don't, O'Brien),
   * internal hyphens      - ‐ ‑ － ﹣   (ex-Soviet, Tu-214); en/em dashes
     – — are *separators* ("24–10" is two words),
   * a decimal point between digits   (3.5 stays "3.5"),
   * a thousands comma between a digit and exactly three digits
     ("1,000" -> "1000", "1,000,000" -> "1000000"; "1,5" and "1,2,3" are
     separate numbers),
   * dotted initialisms: "U.S." -> "us", "U.N." -> "un", "e.g." -> "eg".
   An underscore separates words ("foreign_minister" -> foreign, minist).
   Matching the raw text keeps spans exact for highlighting and means the
   whole text is never copied or normalized: only each *distinct* word is,
   once (see Performance). Punctuation, emoji (keycaps "1️⃣" included) and
   control characters are never part of a word, so they produce nothing.
   HTML tags and entities ("<b>", "</a>", "&amp;") are matched as units and
   yield nothing either, so stray markup does not index the word "b".
2. **Normalize** the word (non-ASCII only; ASCII is already normal): fold
   apostrophe and hyphen variants to ' and -, drop invisible format
   characters (U+200B, U+00AD, bidi marks, variation selectors, ...), Unicode
   NFKC (full-width "Ｌａｖｒｏｖ" -> "lavrov", ligature "ﬁ" -> "fi",
   "½" -> "1⁄2" which then splits into 1 and 2), casefold, and strip Latin-
   style combining accents (NFD, drop U+0300–U+036F): "Erdoğan" meets
   "Erdogan", "café" meets "cafe" (Cyrillic й/ё fold to и/е likewise).
   Non-Latin letters (Cyrillic, Arabic, CJK, ...) are words too. In English
   a run of CJK characters is one word; the other languages' analyzers cut
   runs of unspaced scripts into units (`index.languages.segment`).
3. **Split hyphenated compounds** into parts; each part is handled alone:
   * a possessive 's is dropped (Russia’s -> russia). A trailing s' is never
     part of a word ("countries'" -> countries);
   * numbers (digits with a decimal point) are kept verbatim, never stemmed;
     other-script digits become ASCII ("٢٠٢٠" -> "2020");
   * stopwords (`index.stopwords`) are flagged: they produce no index term
     but stay in `Token.words` so quoted phrases can match word by word.
     Other contractions are kept whole: "don't" is a stopword as such.
     The acronyms "US"/"U.S." and "WHO" are kept although "us"/"who" are
     stopwords (all-caps or dotted spelling only);
   * common irregular verbs are folded to their base form *before*
     stemming (said/says/saying -> say, told -> tell, spoke -> speak,
     wrote -> write, thought -> think, held -> hold, ...), so "what did X
     say" meets "X said". Regular verbs (announced, warned) are left to the
     stemmer;
   * stemming: nltk's Snowball English stemmer (Porter or none as options),
     behind a dict cache.
4. **Assemble terms**: a simple word yields its stem; a compound yields the
   whole (stemmed parts joined by '-', stopword parts included:
   foreign-backed -> "foreign-back") followed by its non-stopword parts
   ("foreign", "back"), so "ex-Soviet" is found by "ex-Soviet", "Soviet"
   and "ex Soviet". Parts or wholes longer than `MAX_TERM_CHARS` (hashes,
   base64 junk) produce nothing.

Other languages
---------------
`Analyzer(options, language="ru")` (or `analyzer.for_language("ru")`) keeps
steps 1, 3 and 4 and takes casing, script folding, stopwords and the stemmer
from the language's profile (`index.languages`); the English steps above
(possessives, acronyms, irregular verbs, our stopword list, nltk's stemmer)
are the English profile and are unchanged.

Telegram-shaped words (every language): a URL is one match whose terms are
its domain's words (path and query never become words); an @mention is one
term with its '@' ("@lavrov_official", never "lavrov" + "official"); a
#hashtag gives its word's terms, so "#Veloria" meets "veloria", plus the
parts of a CamelCase tag ("#BlackLivesMatter" -> black, live, matter).
Emoji are never words (step 1) and stay in quotes, which are the text.

Performance
-----------
`analyze` is the indexing fast path (millions of sentences): one `findall`
with the compiled regex, then a dict lookup per surface word that returns a
ready-made tuple of terms, flattened in C by `itertools.chain`. Nothing is
allocated per token except the matched string, and no Python code runs per
token once a word is cached. The caches (surface word -> terms, surface
word -> (terms, words) for `tokens`, word part -> result, word -> stem) are
dicts with a size bound (cleared when full, which only costs re-analysis);
the part and stem caches share work between surface variants
("Said"/"said"/"SAID", "Russia’s"/"Russia's"). The regex is tuned for
CPython's `re` (see the comment at `WORD_RE`); about 3.5M words/s on a
laptop-class CPU. `tokens` is the slow path with spans, for queries and
highlighting; it uses the same per-word analysis, so
`analyze(t) == [term for tok in tokens(t) for term in tok.terms]` always.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, repeat
from operator import is_, not_

from index import languages
from index.languages import LanguageSettings
from index.stopwords import SMALL_STOPWORDS, STOPWORDS

ANALYZER_VERSION = "2"
"""Bump whenever analyzer output changes for the same input and options."""

MAX_TERM_CHARS = 64
"""Longer parts/compounds are junk (hashes, base64, URLs glued together)."""

_CACHE_LIMIT = 300_000  # entries per cache; a full cache is simply cleared
_MAX_CACHED_SURFACE = 128  # longer surface words are analyzed but not cached


# --------------------------------------------------------------------------
# Character classes and the word regex
# --------------------------------------------------------------------------

def _char_ranges(codepoints: list[int]) -> str:
    """Render sorted code points as a regex character-class body of ranges."""
    out: list[str] = []
    i = 0
    while i < len(codepoints):
        j = i
        while j + 1 < len(codepoints) and codepoints[j + 1] == codepoints[j] + 1:
            j += 1
        lo, hi = codepoints[i], codepoints[j]
        out.append(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}")
        i = j + 1
    return "".join(out)


def _inner_codepoints() -> list[int]:
    """Combining marks (Mn/Mc/Me) and invisible format characters (Cf: ZWSP,
    ZWNJ/ZWJ, soft hyphen, bidi marks, BOM) that may sit inside a word
    without breaking it.

    Scanned from `unicodedata` at import (~10 ms) so it follows the running
    Python's Unicode version. BMP only: a class with astral ranges makes the
    regex engine test ranges one by one (2x slower on every word), and astral
    marks belong to historic scripts."""
    return [
        cp
        for cp in range(0x10000)
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me", "Cf")
        and not chr(cp).isalnum()
    ]


_INNER_CPS = _inner_codepoints()
_INNER = _char_ranges(_INNER_CPS)
_APOSTROPHES = "'\u2019\u2018`\u00b4\uff07"  # ' ’ ‘ ` ´ ＇  (ʼ U+02BC is a letter)
_HYPHENS = "\\-\u2010\u2011\uff0d\ufe63"  # - ‐ ‑ － ﹣  (not – — which separate)

# The regex below is tuned for CPython's `re` (each choice measured on the
# seed article; together 2.3x faster than the straightforward version):
# * one character class for the body of a word: letters, digits, marks.
#   `_` gets in because a negated category (`[^\W_]`) cannot be unioned with
#   the marks in one class; `_analyze_word` splits it off again;
# * joiners behind a cheap lookahead guard, and a possessive repeat;
# * initialisms as an optional tail rather than an alternative;
# * markup tried last.
_BODY = rf"[^\W_][\w{_INNER}]*"
_INITIALISM_TAIL = r"(?:\.(?<=\b[^\W\d_]\.)(?:[^\W\d_]\.)+)?"
_JOINER = (
    rf"(?=[{_APOSTROPHES}{_HYPHENS}.,])"
    rf"(?:[{_APOSTROPHES}{_HYPHENS}]"
    r"|(?<=\d)\.(?=\d)"
    r"|(?<=\d),(?=\d{3}(?!\d)))"
)
_MARKUP = (
    r"</?[A-Za-z][^<>]{0,256}>"  # an HTML/XML tag (its name is not a word)
    r"|&(?:[A-Za-z]{2,10}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"  # an entity
)
# Telegram-shaped text: a URL is one item (its domain's words are its terms), an
# @mention or a #hashtag one word with its sign. Tried first, but each starts with
# a literal character ('h', 'w', '@', '#') so other positions fail at once.
_URL = r"(?:https?://|www\.)[^\s<>\"'«»“”]*[^\s<>\"'«»“”.,;:!?)\]}’]"
_SIGNED = rf"[@#](?<![\w@#/&][@#])(?=[^\W_])[\w{_INNER}]+"
WORD_RE: re.Pattern[str] = re.compile(
    rf"{_URL}|{_SIGNED}|{_BODY}{_INITIALISM_TAIL}(?:{_JOINER}{_BODY})*+|{_MARKUP}"
)
"""One surface word, URL, mention, hashtag or markup item (see the module
docstring); markup matches yield nothing. Never matches the empty string."""
_PLAIN_WORD_RE: re.Pattern[str] = re.compile(
    rf"{_BODY}{_INITIALISM_TAIL}(?:{_JOINER}{_BODY})*+|{_MARKUP}"
)
"""WORD_RE without URLs, mentions and hashtags: the same matches on a text that has none
of '://', 'www.', '@', '#', and 16% faster (most sentences)."""


def _word_re(text: str) -> re.Pattern[str]:
    """The regex that finds the words of `text` (see `_PLAIN_WORD_RE`)."""
    if "@" in text or "#" in text or "://" in text or "www." in text or "WWW." in text:
        return WORD_RE
    return _PLAIN_WORD_RE


_URL_RE = re.compile(_URL)
_DOMAIN_RE = re.compile(r"(?:https?://)?(?:www\.)?([^/?#:@\s]+)", re.I)
_CAMEL_RE = re.compile(r"[A-ZА-ЯЁ]?[^\W\d_A-ZА-ЯЁ]+|[A-ZА-ЯЁ]+(?![^\W\d_])|\d+")

_INITIALISM_RE = re.compile(r"(?:[^\W\d_]\.){2,}")
_ENCLOSING_RE = re.compile(
    "[" + _char_ranges([c for c in _INNER_CPS if unicodedata.category(chr(c)) == "Me"]) + "]"
)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_ACCENTS_RE = re.compile("[\u0300-\u036f]+")

# Folds applied to a non-ASCII word before NFKC: apostrophe/hyphen variants
# to ASCII; invisible format characters and variation selectors removed.
_PRE_FOLD: dict[int, str | None] = {
    **{ord(c): "'" for c in "\u2019\u2018`\u00b4\uff07\u02bc"},  # ʼ is a letter
    **{ord(c): "-" for c in "\u2010\u2011\uff0d\ufe63"},
    **{cp: None for cp in _INNER_CPS if unicodedata.category(chr(cp)) == "Cf"},
    **{cp: None for cp in range(0xFE00, 0xFE10)},  # variation selectors
}

# Acronyms that collide with stopwords; kept when spelled US / U.S. / WHO.
_STOPWORD_ACRONYMS: frozenset[str] = frozenset({"us", "who"})


# --------------------------------------------------------------------------
# Irregular verbs folded before stemming
# --------------------------------------------------------------------------

_IRREGULAR_VERBS: dict[str, tuple[str, ...]] = {
    # reporting verbs: the heart of "what did X say/tell/write about Y"
    "say": ("says", "said", "saying"),
    "tell": ("tells", "told", "telling"),
    "speak": ("speaks", "spoke", "spoken", "speaking"),
    "write": ("writes", "wrote", "written", "writing"),
    "think": ("thinks", "thought", "thinking"),
    "hear": ("hears", "heard"),
    "swear": ("swears", "swore", "sworn"),
    "see": ("sees", "saw", "seen"),
    "meet": ("meets", "met", "meeting"),
    # common irregular verbs of news reports
    "seek": ("seeks", "sought"),
    "fight": ("fights", "fought"),
    "bring": ("brings", "brought"),
    "buy": ("buys", "bought"),
    "teach": ("teaches", "taught"),
    "catch": ("catches", "caught"),
    "hold": ("holds", "held"),
    "lead": ("leads", "led"),
    "flee": ("flees", "fled"),
    "keep": ("keeps", "kept"),
    "lose": ("loses", "lost"),
    "mean": ("means", "meant"),
    "pay": ("pays", "paid"),
    "send": ("sends", "sent"),
    "spend": ("spends", "spent"),
    "stand": ("stands", "stood"),
    "understand": ("understands", "understood"),
    "strike": ("strikes", "struck"),
    "shoot": ("shoots", "shot"),
    "sell": ("sells", "sold"),
    "win": ("wins", "won"),
    "give": ("gives", "gave", "given"),
    "take": ("takes", "took", "taken"),
    "begin": ("begins", "began", "begun"),
    "break": ("breaks", "broke", "broken"),
    "choose": ("chooses", "chose", "chosen"),
    "drive": ("drives", "drove", "driven"),
    "grow": ("grows", "grew", "grown"),
    "throw": ("throws", "threw", "thrown"),
    "withdraw": ("withdraws", "withdrew", "withdrawn"),
    "shake": ("shakes", "shook", "shaken"),
    "steal": ("steals", "stole", "stolen"),
    "forbid": ("forbids", "forbade", "forbidden"),
    "arise": ("arises", "arose", "arisen"),
    "hide": ("hides", "hid", "hidden"),
    "freeze": ("freezes", "froze", "frozen"),
    "make": ("makes", "made"),
    "come": ("comes", "came"),
    "go": ("goes", "went", "gone"),
}
VERB_FOLDS: dict[str, str] = {
    form: base for base, forms in _IRREGULAR_VERBS.items() for form in (base, *forms)
}
"""Surface form -> base verb, applied before stemming when `fold_verbs`."""


# --------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Token:
    """One surface word of the input with what it contributes."""

    start: int  # span of the surface word in the input text
    end: int
    terms: tuple[str, ...]  # index terms: () for a stopword; compound: whole, parts
    words: tuple[str, ...]  # stemmed words incl. stopwords (phrases); compound: parts
    capitalized: bool  # surface word starts with an uppercase letter


@dataclass(frozen=True)
class AnalyzerOptions:
    """Every lever, switchable for ablation benchmarks; defaults = product."""

    stem: str = "snowball"  # "snowball" | "porter" | "none"
    stopwords: str = "full"  # "full" | "small" | "none"
    fold_verbs: bool = True
    split_hyphens: bool = True  # index compounds whole AND by part
    keep_numbers: bool = True

    def __post_init__(self) -> None:
        if self.stem not in ("snowball", "porter", "none"):
            raise ValueError(f"unknown stemmer {self.stem!r}")
        if self.stopwords not in ("full", "small", "none"):
            raise ValueError(f"unknown stopword list {self.stopwords!r}")


# --------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------

def _make_stemmer(name: str) -> Callable[[str], str]:
    """The stemming function for an option value (nltk needs no data)."""
    if name == "snowball":
        from nltk.stem.snowball import SnowballStemmer

        return SnowballStemmer("english").stem
    if name == "porter":
        from nltk.stem.porter import PorterStemmer

        return PorterStemmer().stem
    return str


def _stopword_set(name: str) -> frozenset[str]:
    return {"full": STOPWORDS, "small": SMALL_STOPWORDS}.get(name, frozenset())


def _normalize_surface(surface: str) -> str:
    """Step 2 up to NFKC, for a non-ASCII surface word (case preserved)."""
    folded = surface.translate(_PRE_FOLD)
    return unicodedata.normalize("NFKC", folded).translate(_PRE_FOLD)


def fold_case(part: str) -> str:
    """Casefold and strip combining accents (U+0300–U+036F)."""
    lower = part.casefold()
    if lower.isascii():
        return lower
    decomposed = unicodedata.normalize("NFD", lower)
    return unicodedata.normalize("NFC", _ACCENTS_RE.sub("", decomposed))


def _ascii_digits(number: str) -> str:
    """'1,000' -> '1000'; other-script decimal digits -> ASCII."""
    number = number.replace(",", "")
    if number.isascii():
        return number
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in number)


def _fingerprint(*parts: object) -> str:
    return f"{zlib.crc32(repr(parts).encode('utf-8', 'surrogatepass')):08x}"


_STEMS_CHANGING_PREFIX = frozenset({"dying", "lying", "tying"})  # -> die, lie, tie (Snowball, Porter)
_GROUP, _SPAN = re.Match.group, re.Match.span


class _Cache(dict):  # type: ignore[type-arg]
    """A dict that computes missing values and clears itself when full.

    Lookups that hit stay in C (`dict.__getitem__`); only misses run Python."""

    __slots__ = ("_compute",)

    def __init__(self, compute: Callable[[str], object]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: str) -> object:
        value = self._compute(key)
        if len(key) <= _MAX_CACHED_SURFACE:
            if len(self) >= _CACHE_LIMIT:
                self.clear()
            self[key] = value
        return value


# Per-part analysis result: (stemmed word or "" if junk, indexable, numeric)
_PartInfo = tuple[str, bool, bool]
# Per-surface-word result: (terms, words)
_WordInfo = tuple[tuple[str, ...], tuple[str, ...]]


class Analyzer:
    """Text -> index terms; the same instance serves index and queries.

    `language` None or "en" is the English analysis described above; any
    other code takes its casing, folding, stopwords, stemmer and segmentation
    from `index.languages` (`for_language` gives the sibling of an analyzer
    for another language, with the same options)."""

    __slots__ = (
        "options", "version", "language", "segmentation", "_profile", "_stopwords", "_stem", "_extras",
        "_folds", "_parts", "_stems", "_terms", "_words", "_units", "_lookup", "_segmenting", "_never_skipped",
    )

    def __init__(self, options: AnalyzerOptions = AnalyzerOptions(), language: str | None = None,
                 segmentation: LanguageSettings = LanguageSettings()) -> None:
        self.options = options
        code = languages.normalize_code(language) if language not in (None, "en") else "en"
        self.language = code
        self.segmentation = segmentation
        profile = None if code == "en" else languages.profile(code, segmentation, options.stopwords != "none")
        self._profile = profile
        self._segmenting = profile is not None
        if profile is None:
            self._stopwords = _stopword_set(options.stopwords)
            self._stem = _make_stemmer(options.stem)
            self._folds = VERB_FOLDS if options.fold_verbs else {}
        else:
            self._stopwords = profile.stopwords
            self._stem = profile.stem if options.stem != "none" else str
            self._folds = {}
        # words `matching_spans` analyses even when they start with no query term (see there)
        self._never_skipped = frozenset(self._folds) | _STEMS_CHANGING_PREFIX | frozenset(self._stopwords)
        self._stems: _Cache = _Cache(self._stem)
        self._parts: _Cache = _Cache(self._analyze_part if profile is None else self._analyze_part_lang)
        self._units: _Cache = _Cache(self._analyze_plain)
        self._extras = None if profile is None or profile.extra is None else _Cache(partial(_part_extras, self))
        self._words: _Cache = _Cache(self._analyze_word)
        self._terms: _Cache = _Cache(lambda s: self._analyze_word(s)[0])
        self._lookup = self._terms.__getitem__
        self.version = _version(self)

    def __repr__(self) -> str:
        return f"Analyzer({self.options!r}, language={self.language!r})"

    def for_language(self, code: str | None) -> "Analyzer":
        """The analyzer for another language with the same options (one per process and code)."""
        code = "en" if code == "en" else languages.normalize_code(code)
        if code == self.language:
            return self
        key = (self.options, code, self.segmentation)
        sibling = _SIBLINGS.get(key)
        if sibling is None:
            sibling = _SIBLINGS.setdefault(key, Analyzer(self.options, code, self.segmentation))
        return sibling

    # ---- public API -------------------------------------------------------

    def analyze(self, text: str) -> list[str]:
        """Flat index terms in text order (compound: whole, then parts)."""
        return list(chain.from_iterable(map(self._lookup, _word_re(text).findall(text))))

    def tokens(self, text: str) -> list[Token]:
        """Every word with its span, terms and phrase words (slow path)."""
        words = self._words
        out: list[Token] = []
        for m in _word_re(text).finditer(text):
            surface = m.group()
            if self._segmenting and _needs_segmenting(surface):
                out.extend(self._unit_tokens(surface, m.start()))
                continue
            terms, stems = words[surface]
            if stems:
                first = surface[0]
                out.append(
                    Token(m.start(), m.end(), terms, stems,
                          first.isupper() or first.istitle())
                )
        return out

    def _unit_tokens(self, surface: str, base: int) -> list[Token]:
        """Tokens of the units of a word in an unspaced script (their spans may overlap)."""
        out = []
        for a, b in languages.segment(surface, self.segmentation):
            terms, stems = self._units[surface[a:b]]
            if stems:
                out.append(Token(base + a, base + b, terms, stems, surface[a].isupper()))
        return out

    def matching_spans(self, text: str, terms: set[str] | frozenset[str]) -> tuple[tuple[int, int], ...]:
        """Spans of the words of `text` with an index term in `terms` (for highlighting).

        The same words `tokens` would yield with terms in `terms`, without
        building a `Token` per word: hits are highlighted on every answer."""
        if self._segmenting:
            return self._matching_spans_units(text, terms)
        # Words seen before are looked up. A new plain ASCII word needs the stemmer (tens of
        # microseconds) only if it starts with a query term minus its last letter: the
        # stemmers only cut endings and change the last letter left ("happy" -> "happi",
        # "ability" -> "abl"), so a stem without its last letter begins the word (but for
        # "dying", "lying", "tying"; tests/test_kernel.py checks this). Hit texts are full
        # of words no question used. Stopwords are analysed (and so cached) all the same:
        # a few hundred words on every line, looked up in C from then on.
        known = self._terms
        matches = list(_word_re(text).finditer(text))  # one regex pass: the words and their spans
        words = list(map(_GROUP, matches))
        found = list(map(known.get, words))  # C-level lookups; None where not seen before
        if None in found:
            prefixes = tuple(t[:-1] for t in terms)
            analysed = self._never_skipped
            for i in compress(range(len(found)), map(is_, found, repeat(None))):
                word = words[i]
                if word.isascii() and word.isalpha():
                    lower = word.lower()
                    if not lower.startswith(prefixes) and lower not in analysed:
                        found[i] = ()
                        continue
                found[i] = known[word]
        disjoint = list(map(terms.isdisjoint, found))
        if all(disjoint):
            return ()
        return tuple(map(_SPAN, compress(matches, map(not_, disjoint))))

    def _matching_spans_units(self, text: str, terms: set[str] | frozenset[str]) -> tuple[tuple[int, int], ...]:
        """`matching_spans` for languages with segmented scripts: overlapping units merged."""
        spans = [(t.start, t.end) for t in self.tokens(text) if not terms.isdisjoint(t.terms)]
        return _merged(spans)

    def term(self, word: str) -> str | None:
        """The primary term of one surface word; None for a stopword."""
        terms = self.analyze(word)
        return terms[0] if terms else None

    # ---- per-word analysis (cache misses only) ----------------------------

    def _analyze_word(self, surface: str) -> _WordInfo:
        """Terms and phrase words of one WORD_RE match."""
        first = surface[0]
        if first in "@#" or (first in "hHwW" and _URL_RE.match(surface)):
            return self._analyze_signed(surface)
        if self._segmenting and _needs_segmenting(surface):
            terms: list[str] = []
            words: list[str] = []
            for a, b in languages.segment(surface, self.segmentation):
                t, w = self._units[surface[a:b]]
                terms.extend(t)
                words.extend(w)
            return tuple(terms), tuple(words)
        return self._analyze_plain(surface)

    def _analyze_signed(self, surface: str) -> _WordInfo:
        """A URL (the words of its domain; path and query are dropped), an @mention (whole, with '@') or a #hashtag (its word, and the
        parts of a CamelCase tag: #BlackLivesMatter -> blacklivesmatt, black, live, matter)."""
        if surface[0] == "@":
            handle = "@" + surface[1:].casefold()
            return ((handle,), (handle,)) if len(handle) <= MAX_TERM_CHARS else ((), ())
        if surface[0] == "#":
            rest = surface[1:]
            terms, words = self._words[rest]
            parts = _CAMEL_RE.findall(rest)
            if len(parts) > 1:
                extra = [t for p in parts for t in self._words[p][0] if t not in terms]
                terms = terms + tuple(dict.fromkeys(extra))
            return terms, words
        domain = _DOMAIN_RE.match(surface).group(1).rstrip(".")  # its words, as typed in a question
        if not domain or len(domain) > MAX_TERM_CHARS or domain[0] in "hHwW" and _URL_RE.match(domain):
            return (), ()
        infos = [self._words[w] for w in WORD_RE.findall(domain)]
        return tuple(t for i in infos for t in i[0]), tuple(w for i in infos for w in i[1])

    def _analyze_plain(self, surface: str) -> _WordInfo:
        """Terms and phrase words of a word that needs no segmentation."""
        if surface[0] in "<&":
            return (), ()  # markup
        if surface.isascii():
            normal = surface.replace("`", "'")
            pieces = [normal] if "_" not in normal else WORD_RE.findall(
                normal.replace("_", " ")
            )
        elif _ENCLOSING_RE.search(surface):
            return (), ()  # keycap emoji "1️⃣" and other enclosed symbols
        else:  # NFKC may split a word ("½" -> "1⁄2"); "_" separates words
            pieces = WORD_RE.findall(_normalize_surface(surface).replace("_", " "))
        terms: list[str] = []
        words: list[str] = []
        for piece in pieces:
            self._add_piece(piece, terms, words)
        return tuple(terms), tuple(words)

    def _add_piece(self, piece: str, terms: list[str], words: list[str]) -> None:
        """Append the terms/words of one normalized word (maybe a compound)."""
        extras = self._extras
        if "-" not in piece:
            word, indexable, numeric = self._parts[piece]
            if word:
                words.append(word)
                if indexable:
                    terms.append(word)
                    if extras is not None and not numeric:
                        terms.extend(extras[piece])
            return
        parts = piece.split("-")
        infos = [self._parts[p] for p in parts]
        stems = [w for w, _, _ in infos]
        words.extend(w for w in stems if w)
        if all(stems):
            whole = "-".join(stems)
            numbers_only = all(num for _, _, num in infos)
            if len(whole) <= MAX_TERM_CHARS and (
                self.options.keep_numbers or not numbers_only
            ):
                terms.append(whole)
        if self.options.split_hyphens:
            terms.extend(t for part, (w, ok, num) in zip(parts, infos) if w and ok
                         for t in ((w, *extras[part]) if extras is not None and not num else (w,)))

    def _analyze_part(self, raw: str) -> _PartInfo:
        """One hyphen-free word: possessive, numbers, stopwords, fold, stem."""
        if raw[-2:] in ("'s", "'S"):
            raw = raw[:-2]
        if len(raw) > MAX_TERM_CHARS:
            return ("", False, False)
        lower = fold_case(raw)
        if _NUMBER_RE.fullmatch(lower):
            return (_ascii_digits(lower), self.options.keep_numbers, True)
        acronym = False
        if "." in lower and _INITIALISM_RE.fullmatch(raw):
            lower = lower.replace(".", "")
            acronym = True
        elif len(raw) > 1 and raw.isupper():
            acronym = True
        stop = lower in self._stopwords and not (
            acronym and lower in _STOPWORD_ACRONYMS
        )
        base = self._folds.get(lower, lower)
        return (self._stems[base] if base else "", not stop, False)

    def _analyze_part_lang(self, raw: str) -> _PartInfo:
        """`_analyze_part` for a language of `index.languages`: its case, folds, stopwords, stem."""
        if len(raw) > MAX_TERM_CHARS:
            return ("", False, False)
        profile = self._profile
        lower = profile.lower(raw)
        if _NUMBER_RE.fullmatch(lower):
            return (_ascii_digits(lower), self.options.keep_numbers, True)
        if "." in lower and _INITIALISM_RE.fullmatch(raw):
            lower = lower.replace(".", "")
        pre = profile.pre_fold(lower)
        if not pre:
            return ("", False, False)
        return (profile.post_fold(self._stems[pre]), pre not in self._stopwords, False)


_SIBLINGS: dict[tuple, Analyzer] = {}


def _part_extras(analyzer: Analyzer, raw: str) -> tuple[str, ...]:
    """The extra index terms of one hyphen-free word (its other stems, where its language indexes
    two; not phrase words), without its main term."""
    profile = analyzer._profile
    main = analyzer._parts[raw][0]
    return tuple(t for t in profile.extra(profile.pre_fold(profile.lower(raw))) if t and t != main)


def _version(analyzer: "Analyzer") -> str:
    """The analyzer's output version: options, language and a fingerprint of every input of its output."""
    o = analyzer.options
    nltk_version = ""
    if o.stem != "none":
        import nltk

        nltk_version = nltk.__version__
    flags = "".join(
        "1" if f else "0" for f in (o.fold_verbs, o.split_hyphens, o.keep_numbers)
    )
    print_ = _fingerprint(  # anything else that changes output silently
        sorted(analyzer._stopwords), sorted(analyzer._folds.items()), nltk_version,
        unicodedata.unidata_version, WORD_RE.pattern, MAX_TERM_CHARS,
        sorted(_STOPWORD_ACRONYMS), languages.fingerprint(), analyzer.segmentation,
    )
    lang = "" if analyzer.language == "en" else f"-{analyzer.language}"
    return f"{ANALYZER_VERSION}{lang}-{o.stem}-{o.stopwords}-{flags}-{print_}"


def _needs_segmenting(surface: str) -> bool:
    return not surface.isascii() and languages.SEGMENTED_RE.search(surface) is not None


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Overlapping or touching spans joined (bigram units of one word highlight as one)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


DEFAULT_ANALYZER = Analyzer()


def analyze(text: str) -> list[str]:
    """Index terms of `text` with the product's default analyzer."""
    return DEFAULT_ANALYZER.analyze(text)
