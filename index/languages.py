"""The per-language table: how each language's words are cased, folded, stemmed and segmented.

`index.analysis.Analyzer` does the language-neutral work (finding words,
NFKC, numbers, hyphenated compounds, URLs, mentions, hashtags); a
`LanguageProfile` from here supplies what differs between languages. English
has no profile: its analysis is the hand-tuned one of `index.analysis`
(our stopword list, nltk's English Snowball, irregular verbs), unchanged.

Per language, with nothing downloaded at run time:

* **Stemming**: the Snowball algorithms of the `snowballstemmer` package
  (pure Python, ships its algorithms) for every language it covers
  (`SNOWBALL`: Arabic to Yiddish, 33 besides English). Others are unstemmed.
  Where it measured better on XQuAD tune (`STEMMING`), a word has a second
  index term (not a phrase word): Turkish its first 4 letters (truncation,
  Can et al. 2008), Arabic its ISRI root (nltk's rule-based stemmer, no
  data), German the stemmed parts of a compound (`compound_parts`, with
  wordfreq's word list as the lexicon). `LanguageSettings.stemming` (and
  $INDEX_STEMMING) picks other modes per language (`stemmer_modes`: also
  Larkey's light10 for Arabic).
* **Stopwords**: none by default. The lists are there as a setting
  (`LanguageSettings.stopwords`): the `stop-words` package's (33 languages,
  in its wheel), else `stopwordsiso`'s (130 languages), folded the way words
  are. On XQuAD tune (de, es, ru, ar) no list beat both: R@1 0.709 / 0.766 /
  0.734 / 0.696 against stop-words' 0.698 / 0.731 / 0.715 / 0.690 and
  stopwordsiso's 0.685 / 0.730 / 0.717 / 0.688 (the lists drop news words
  such as German "sagte"; BM25's IDF already discounts common words).
* **Case**: `str.casefold`, except Turkish and Azerbaijani where I -> ı and
  İ -> i first (so "İstanbul" is "istanbul" and "ILIK" is "ılık").
* **Folding** before stemming (`_PRE_FOLDS`): Arabic diacritics (harakat,
  superscript alef), tatweel, the hamza forms of alef (أ إ آ ٱ -> ا) and
  alef maqsura (ى -> ي);
  Persian and Urdu Arabic-letter variants (ي -> ی, ك -> ک); Russian and
  Belarusian ё -> е. Casefolding already maps Greek final ς to σ and German
  ß to ss. After stemming (`_POST_FOLDS`): Arabic ta marbuta ة -> ه; Turkish ı -> i (questions typed on a keyboard without
  Turkish letters still match); and for every language but Vietnamese
  (whose diacritics are tones that tell words apart) Latin-style combining
  accents are stripped, so "Erdoğan" meets "Erdogan" as in English.
* **LanguageSettings** of scripts written without spaces (`segment`): runs of
  Han and kana (Chinese, Japanese) become overlapping character bigrams, a
  lone character a unigram (Lucene's CJK bigram approach); Thai runs are cut
  into words by pythainlp's dictionary segmenter (`newmm` with its bundled
  word list); Lao, Khmer and Burmese runs, for which no offline dictionary
  segmenter ships in a wheel, become bigrams of grapheme clusters (a letter
  with its combining marks). Measured choices: `bench/results/languages.md`.

An unknown language code gets the fallback profile: Unicode words,
casefolded, accents stripped, no stopwords, no stemming, segmentation as
above.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import metadata

TABLE_VERSION = "4"
"""Bump whenever a profile's output changes for the same input."""

FALLBACK = "und"
"""The code of the fallback profile (ISO 639-2 'undetermined')."""

SNOWBALL: dict[str, str] = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "eo": "esperanto", "et": "estonian", "fi": "finnish",
    "fr": "french", "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian",
    "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
"""ISO 639-1 code -> snowballstemmer algorithm (English is nltk's, in index.analysis)."""

NAMES: dict[str, str] = {
    "en": "English", "ar": "Arabic", "de": "German", "el": "Greek", "es": "Spanish", "fa": "Persian",
    "fr": "French", "hi": "Hindi", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese", "he": "Hebrew", "pl": "Polish", "nl": "Dutch",
    FALLBACK: "undetermined",
}

_ACCENTS_RE = re.compile("[\u0300-\u036f]+")
_ARABIC_MARKS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF_FORMS = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
                             "\u0649": "\u064a"})
_ARABIC_POST = str.maketrans({"\u0629": "\u0647"})
_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})
_YO = str.maketrans({"\u0451": "\u0435"})
_TURKIC_UPPER = str.maketrans({"I": "\u0131", "\u0130": "i"})
_DOTLESS_I = str.maketrans({"\u0131": "i"})
_KEEP_ACCENTS = frozenset({"vi"})


_AND_THE = ("\u0648\u0627\u0644", "\u0641\u0627\u0644")  # وال فال: "and the", "so the"


def _arabic_pre(word: str) -> str:
    word = _ARABIC_MARKS_RE.sub("", word).translate(_ALEF_FORMS)
    # Snowball removes the article ال but not a conjunction before it (Lucene's light stemmer does)
    return word[1:] if len(word) > 4 and word.startswith(_AND_THE) else word


def _persian_pre(word: str) -> str:
    return _arabic_pre(word).translate(_PERSIAN)


_PRE_FOLDS: dict[str, Callable[[str], str]] = {
    "ar": _arabic_pre, "fa": _persian_pre, "ur": _persian_pre,
    "ru": lambda w: w.translate(_YO), "be": lambda w: w.translate(_YO),
}
_POST_FOLDS: dict[str, Callable[[str], str]] = {
    "ar": lambda w: w.translate(_ARABIC_POST),
    "tr": lambda w: w.translate(_DOTLESS_I), "az": lambda w: w.translate(_DOTLESS_I),
}


def normalize_code(code: str | None) -> str:
    """'ru', 'RU', 'ru-RU', 'ru_RU' -> 'ru'; 'zh-Hans' -> 'zh'; '' / None -> FALLBACK."""
    if not code:
        return FALLBACK
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if re.fullmatch(r"[a-z]{2,3}", base) else FALLBACK


def strip_accents(word: str) -> str:
    """Drop Latin-style combining accents (U+0300–U+036F) after NFD; NFC again."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", _ACCENTS_RE.sub("", decomposed))


def _casefold(word: str) -> str:
    return word.casefold()


def _turkic_casefold(word: str) -> str:
    return word.translate(_TURKIC_UPPER).casefold()


def _identity(word: str) -> str:
    return word


# --------------------------------------------------------------------------
# Stemmers and stopword lists (loaded on first use)
# --------------------------------------------------------------------------

def _snowball(algorithm: str) -> Callable[[str], str]:
    """A thread-safe stem function: snowballstemmer keeps its state on the stemmer object."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer(algorithm)
    lock = threading.Lock()

    def stem(word: str) -> str:
        with lock:
            return stemmer.stemWord(word)

    return stem


def _stopword_list(code: str, source: str) -> frozenset[str]:
    if source == "stop-words":  # its list where it has one, else stopwordsiso's
        import stop_words

        try:
            return frozenset(stop_words.get_stop_words(code))
        except stop_words.StopWordError:
            source = "iso"
    if source != "iso":
        return frozenset()
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords(code)) if stopwordsiso.has_lang(code) else frozenset()


_AR_PREFIXES = ("\u0627\u0644", "\u0648\u0627\u0644", "\u0628\u0627\u0644", "\u0643\u0627\u0644",
                "\u0641\u0627\u0644", "\u0644\u0644", "\u0648")  # ال وال بال كال فال لل و
_AR_SUFFIXES = ("\u0647\u0627", "\u0627\u0646", "\u0627\u062a", "\u0648\u0646", "\u064a\u0646",
                "\u064a\u0647", "\u064a\u0629", "\u0647", "\u0629", "\u064a")  # ها ان ات ون ين يه ية ه ة ي


def arabic_light10(word: str) -> str:
    """Larkey's light10 stemmer as Lucene's ArabicStemmer has it: one prefix (the article,
    with و ب ك ف before it, لل, or و alone) and then each suffix in turn, each only while
    at least two letters (three after و) stay. Expects `_arabic_pre`'s folded letters."""
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + (2 if prefix == "\u0648" else 1):
            word = word[len(prefix):]
            break
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            word = word[:-len(suffix)]
    return word


def _isri() -> Callable[[str], str]:
    from nltk.stem.isri import ISRIStemmer  # root-based, rule tables in the code (no nltk data)

    return ISRIStemmer().stem


# --------------------------------------------------------------------------
# Compound splitting (German, Dutch, Swedish ...: "Wasserkraftwerk" -> wasser, kraftwerk, kraft, werk)
# --------------------------------------------------------------------------

SPLIT_MIN_CHARS = 8      # shorter words are not split
PART_MIN_CHARS = 4       # nor into parts shorter than this
LEXICON_WORDS = 200_000  # the most frequent words of the language (wordfreq's list) are the lexicon
_LINKS = ("", "s", "es", "n", "en", "e", "er")  # linking letters a modifier may end with (Fugenelemente)


@lru_cache(maxsize=4)
def _lexicon(code: str) -> dict[str, int]:
    """word -> frequency bucket (0 = most frequent; a bucket is a hundredth of a power of ten) of
    the language's `LEXICON_WORDS` most frequent words, from the wordfreq package (its word lists
    ship in its wheel); empty without it. Loaded on the first word that could be a compound."""
    try:
        from wordfreq import get_frequency_list
    except ImportError:
        return {}
    read = getattr(get_frequency_list, "__wrapped__", get_frequency_list)  # past wordfreq's own cache:
    try:                                                                   # its whole list is ~40 MB more
        buckets = read(code, wordlist="large")
    except LookupError:
        return {}
    out: dict[str, int] = {}
    for rank, words in enumerate(buckets):
        for word in words:
            out.setdefault(word, rank)
        if len(out) >= LEXICON_WORDS:
            break
    return out


def compound_parts(word: str, lexicon: dict[str, int], depth: int = 3) -> list[str]:
    """The parts of a compound found in `lexicon`, nested parts included ("wasserkraftwerk" ->
    wasser, kraftwerk, kraft, werk); [] when it is no compound.

    Koehn and Knight's (2003) rule: of the ways to cut the word in two known words (the first
    may end in a linking s, es, n, en, e or er), take the one whose parts' geometric mean
    frequency is highest, and only when it beats the whole word's own frequency."""
    if len(word) < SPLIT_MIN_CHARS or depth == 0:
        return []
    unknown = len(lexicon) + 1000   # a word outside the lexicon: rarer than any in it
    best, best_cost = None, lexicon.get(word, unknown)
    for cut in range(PART_MIN_CHARS, len(word) - PART_MIN_CHARS + 1):
        head = word[cut:]
        head_rank = lexicon.get(head)
        if head_rank is None:
            continue
        modifier = word[:cut]
        for link in _LINKS:
            stem = modifier[:len(modifier) - len(link)] if link else modifier
            if (not link or modifier.endswith(link)) and len(stem) >= PART_MIN_CHARS and stem in lexicon:
                cost = (lexicon[stem] + head_rank) / 2   # buckets are logarithmic: a geometric mean
                if cost < best_cost:
                    best, best_cost = (stem, head), cost
                break
    if best is None:
        return []
    out: list[str] = []
    for part in best:
        out.append(part)
        out.extend(compound_parts(part, lexicon, depth - 1))
    return list(dict.fromkeys(out))


def _splitter(code: str, stem: Callable[[str], str], post: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    def split(word: str) -> tuple[str, ...]:
        if len(word) < SPLIT_MIN_CHARS:
            return ()
        return tuple(dict.fromkeys(post(stem(part)) for part in compound_parts(word, _lexicon(code))))
    return split


_STEMMER_NAMES = ("snowball", "none", "light10", "isri", "split")
_PREFIX_RE = re.compile(r"prefix([3-9])")


def stemmer_modes(mode: str) -> list[str]:
    """The stemmers of a mode: "snowball", "none", "prefixN" (the first N letters, N 3-9),
    "light10" or "isri" (Arabic); "a+b" indexes a's stem and b's as an extra term; "+split"
    adds the (first-stemmer-stemmed) parts of a compound (`compound_parts`) as extra terms."""
    names = mode.split("+")
    for i, name in enumerate(names):
        if name not in _STEMMER_NAMES and not _PREFIX_RE.fullmatch(name) or name == "split" and i == 0:
            raise ValueError(f"unknown stemming mode {name!r} in {mode!r}")
    return names


def _prefix(n: int) -> Callable[[str], str]:
    return lambda word: word[:n]


def _stem_function(code: str, name: str) -> Callable[[str], str]:
    if name == "snowball":
        algorithm = SNOWBALL.get(code)
        return _snowball(algorithm) if algorithm else _identity
    if name == "light10":
        return arabic_light10
    if name == "isri":
        return _isri()
    match = _PREFIX_RE.fullmatch(name)
    return _prefix(int(match.group(1))) if match else _identity


def _extra_terms(code: str, names: list[str], stem: Callable[[str], str],
                 post: Callable[[str], str]) -> Callable[[str], tuple[str, ...]] | None:
    """The extra index terms of a pre-folded word for the stemmers after the first (None: none)."""
    if not names:
        return None
    makers = [_splitter(code, stem, post) if name == "split" else _one_term(_stem_function(code, name), post)
              for name in names]
    return lambda pre: tuple(dict.fromkeys(term for make in makers for term in make(pre)))


def _one_term(stem: Callable[[str], str], post: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    return lambda pre: (post(stem(pre)),)


# --------------------------------------------------------------------------
# LanguageSettings of scripts written without spaces
# --------------------------------------------------------------------------

_HAN_KANA = "\u3005\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_THAI = "\u0e00-\u0e7f"
_LAO_KHMER_BURMESE = "\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\uaa60-\uaa7f"
SEGMENTED_RE = re.compile(f"[{_HAN_KANA}{_THAI}{_LAO_KHMER_BURMESE}]")
"""A character of a script that needs segmentation (quick test on a word)."""
_RUNS_RE = re.compile(
    f"(?P<cjk>[{_HAN_KANA}]+)|(?P<thai>[{_THAI}]+)|(?P<sea>[{_LAO_KHMER_BURMESE}]+)")

Span = tuple[int, int]


def _bigrams(n: int) -> list[Span]:
    """Overlapping pairs of units 0..n-1 (a lone unit is its own unigram)."""
    return [(0, 1)] if n == 1 else [(i, i + 2) for i in range(n - 1)]


def _clusters(run: str) -> list[int]:
    """Start offsets of grapheme-like clusters: a letter and the marks after it."""
    return [i for i, c in enumerate(run) if i == 0 or unicodedata.category(c)[0] != "M"]


def _cluster_bigrams(run: str) -> list[Span]:
    starts = _clusters(run) + [len(run)]
    return [(starts[a], starts[b]) for a, b in _bigrams(len(starts) - 1)]


def _char_bigrams(run: str) -> list[Span]:
    return _bigrams(len(run))


@lru_cache(maxsize=2)
def _thai_tokenize(engine: str = "newmm") -> Callable[[str], list[str]] | None:
    """A pythainlp dictionary segmenter with its bundled word list, or None when not installed."""
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        return None
    return lambda run: word_tokenize(run, engine=engine, keep_whitespace=False)


def _thai_words(run: str, engine: str = "newmm") -> list[Span]:
    tokenize = _thai_tokenize(engine)
    if tokenize is None:
        return _cluster_bigrams(run)
    spans, pos = [], 0
    for word in tokenize(run):
        end = pos + len(word)
        if run[pos:end] != word:  # the segmenter changed the text: fall back
            return _cluster_bigrams(run)
        spans.append((pos, end))
        pos = end
    return spans if pos == len(run) else _cluster_bigrams(run)


STEMMING: tuple[tuple[str, str], ...] = (("ar", "snowball+isri"), ("de", "snowball+split"),
                                         ("tr", "snowball+prefix4"))
"""Per-language stemming that is not plain Snowball (code, mode; see `stemmer_modes`), each chosen
on XQuAD tune R@1 (`bench/results/languages.md`): Arabic Snowball 0.700, + ISRI root 0.706
(light10 0.693, ISRI alone 0.696, Snowball + light10 0.679, light10 + ISRI 0.704); German
Snowball 0.711, + compound parts 0.738; Turkish Snowball 0.712, first 5 letters alone (Can et
al. 2008) 0.715, Snowball + first 4 / 5 / 6 / 7 letters 0.736 / 0.733 / 0.722 / 0.701."""


@dataclass(frozen=True)
class LanguageSettings:
    """The analysis choices an index is built with (`IndexConfig.languages`), compared by
    `bench/languages.py`: how unspaced scripts are cut, which stopwords, how words are stemmed."""

    cjk: str = "bigram"   # "bigram" | "jieba" | "bigram+unigram"
    thai: str = "dict"    # "dict" (pythainlp newmm) | "longest" | "bigram" | "dict+bigram"
    stopwords: str = "none"  # "stop-words" (that package, else stopwordsiso) | "iso" | "none"
    stemming: tuple[tuple[str, str], ...] = STEMMING  # (code, mode) pairs overriding "snowball"

    def __post_init__(self) -> None:
        choices = {"cjk": CJK_MODES, "thai": THAI_MODES, "stopwords": STOPWORD_SOURCES}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} choice {getattr(self, name)!r} (one of {', '.join(allowed)})")
        object.__setattr__(self, "stemming", tuple(sorted((normalize_code(c), m) for c, m in self.stemming)))
        for code, mode in self.stemming:
            stemmer_modes(mode)  # raises for an unknown mode

    def stemmer(self, code: str) -> str:
        """The stemming mode of a language code: its override, else "snowball"."""
        return dict(self.stemming).get(code, "snowball")

    def with_stemming(self, overrides: dict[str, str]) -> "LanguageSettings":
        """These settings with some languages' stemming replaced."""
        return replace(self, stemming=tuple({**dict(self.stemming), **overrides}.items()))


CJK_MODES = ("bigram", "jieba", "bigram+unigram")
THAI_MODES = ("dict", "longest", "bigram", "dict+bigram")
STOPWORD_SOURCES = ("none", "stop-words", "iso")


def _jieba_spans(run: str) -> list[Span]:
    import jieba

    return [(start, end) for _, start, end in jieba.tokenize(run)]


def _cjk_spans(run: str, mode: str) -> list[Span]:
    if mode == "jieba":
        return _jieba_spans(run)
    spans = _char_bigrams(run)
    if mode == "bigram+unigram" and len(run) > 1:
        spans += [(i, i + 1) for i in range(len(run))]
    return spans


def _thai_spans(run: str, mode: str) -> list[Span]:
    if mode == "bigram":
        return _cluster_bigrams(run)
    if mode == "dict+bigram":
        return sorted(set(_thai_words(run)) | set(_cluster_bigrams(run)))
    return _thai_words(run, "longest" if mode == "longest" else "newmm")


def segment(word: str, how: LanguageSettings = LanguageSettings()) -> list[Span]:
    """Spans of the units of a word: unspaced-script runs cut, the rest left whole.

    Units may overlap (bigrams); they come in order of their start."""
    out: list[Span] = []
    pos = 0
    for m in _RUNS_RE.finditer(word):
        if m.start() > pos:
            out.append((pos, m.start()))
        run, base = m.group(), m.start()
        if m.lastgroup == "cjk":
            spans = _cjk_spans(run, how.cjk)
        elif m.lastgroup == "thai":
            spans = _thai_spans(run, how.thai)
        else:
            spans = _cluster_bigrams(run)
        out.extend((base + a, base + b) for a, b in spans)
        pos = m.end()
    if pos < len(word):
        out.append((pos, len(word)))
    out.sort()
    return out


# --------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class LanguageProfile:
    """What one language's analysis needs beyond the language-neutral steps."""

    code: str
    lower: Callable[[str], str]       # casefolding (Turkish-aware where needed)
    pre_fold: Callable[[str], str]    # before stopwords and stemming
    stem: Callable[[str], str]
    post_fold: Callable[[str], str]   # on the stem: the index term
    stopwords: frozenset[str]         # compared after lower + pre_fold
    segmentation: LanguageSettings
    extra: Callable[[str], tuple[str, ...]] | None = None  # more index terms of a pre-folded word

    def warm(self) -> None:
        """Load now what the first word would load (a compound lexicon, the Thai dictionary):
        a loaded index pays it at start rather than on its first question."""
        if self.extra is not None and "split" in stemmer_modes(self.segmentation.stemmer(self.code)):
            _lexicon(self.code)
        if self.code == "th" and self.segmentation.thai != "bigram":
            _thai_words("\u0e44\u0e17\u0e22", "longest" if self.segmentation.thai == "longest" else "newmm")

    def term(self, lower: str) -> tuple[str, bool]:
        """(index term, is a stopword) of one casefolded word."""
        pre = self.pre_fold(lower)
        return self.post_fold(self.stem(pre)), pre in self.stopwords


def _post(code: str) -> Callable[[str], str]:
    extra = _POST_FOLDS.get(code)
    if code in _KEEP_ACCENTS:
        return extra or _identity
    if extra is None:
        return strip_accents
    return lambda w: strip_accents(extra(w))


@lru_cache(maxsize=None)
def profile(code: str, settings: LanguageSettings = LanguageSettings(), stopwords: bool = True) -> LanguageProfile:
    """The profile of a language code (normalised first); unknown codes get the fallback's behaviour."""
    code = normalize_code(code)
    lower = _turkic_casefold if code in ("tr", "az") else _casefold
    pre = _PRE_FOLDS.get(code, _identity)
    first, *more = stemmer_modes(settings.stemmer(code))
    stem, post = _stem_function(code, first), _post(code)
    source = settings.stopwords if stopwords and code != FALLBACK else "none"
    stops = frozenset(pre(lower(w)) for w in _stopword_list(code, source))
    return LanguageProfile(code, lower, pre, stem, post, stops, settings, _extra_terms(code, more, stem, post))


def fingerprint() -> str:
    """What changes analysis outside this file's code: the table version and the packages' versions."""
    parts = [TABLE_VERSION]
    for package in ("snowballstemmer", "stop-words", "stopwordsiso", "pythainlp", "jieba", "wordfreq"):
        try:
            parts.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package}=-")
    return ";".join(parts)


def warm(code: str, settings: LanguageSettings) -> None:
    """Load a language's lazily loaded data now (`LanguageProfile.warm`)."""
    profile(code, settings).warm()


def language_name(code: str) -> str:
    return NAMES.get(code, code)
