"""Which language an article or a question is written in, offline.

The detector is py3langid (a maintained fork of langid.py: a naive Bayes
model over byte n-grams for 97 languages, shipped inside the wheel as
`model.npz.xz`, read without pickle). Chosen over lingua-language-detector
and langdetect on XQuAD (`bench/results/languages.md`, detector table): it
is the most accurate of them on the 14,280 questions (short texts: what the
question side needs) and as accurate on the paragraphs, the fastest by far,
and adds 76 MB and 0.5 s when loaded, where lingua's high-accuracy mode adds
1.2 GB and its low-accuracy mode 150 MB with more errors on questions.

It is loaded on first use only: a build detects each article without a
`lang` (a sample of `SAMPLE_CHARS` characters of its body is enough: 100%
right on the XQuAD paragraphs at 200), and a search needs it only when the
index holds more than one language.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from .languages import FALLBACK, normalize_code

MIN_CONFIDENCE = 0.5
"""Below this probability an ASCII text is taken as English ("Zelensky met Lavrov in Istanbul." reads as
Slovak at 0.12)."""

SAMPLE_CHARS = 300
"""Characters of an article's body the detector reads (from the first letter on)."""

ALIASES = {"wuu": "zh", "yue": "zh", "nb": "no", "nn": "no"}
"""Detector labels folded into the language codes the analysis uses (Wu and Cantonese:
py3langid labels many Mandarin Chinese texts 'wuu'; they share the analysis anyway)."""

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _identifier():  # noqa: ANN202 (py3langid has no type hints)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load() -> None:
    """Load the model now (before forking build workers, so they share it)."""
    with _LOCK:
        _identifier()


def _sample(text: str, start: int = 0) -> str:
    """Up to SAMPLE_CHARS characters from the first letter at or after `start`."""
    n = len(text)
    while start < n and not text[start].isalpha():
        start += 1
    return text[start:start + SAMPLE_CHARS]


def probabilities(text: str) -> dict[str, float]:
    """Language code -> probability for `text` (aliases folded together); {} without letters."""
    sample = _sample(text)
    if not sample:
        return {}
    load()
    out: dict[str, float] = {}
    for label, p in _identifier().rank(sample):
        code = ALIASES.get(label, label)
        out[code] = out.get(code, 0.0) + p
    return out


_ENGLISH_ONLY = frozenset(
    "the and of to was that with for is said his he from by were are has have this which its".split())
_ENGLISH_SHARE = 0.12
_ASCII_WORD_RE = re.compile(r"[A-Za-z]+")


def plainly_english(sample: str) -> bool:
    """Latin prose (97% ASCII letters) where English-only function words are 12%+ of the words.

    The detector's model walks the text byte by byte in Python (about 1 ms an
    article on the shared machine, 4.9k articles in the 100k-sentence scale
    build); English prose says so in its commonest words, and no other
    language's prose is made of them (on XQuAD: 231 of the 240 English
    paragraphs, none of the 2,640 others; 93% of the synthetic scale articles;
    `tests/test_languages.py`). Anything else goes to the model."""
    letters = [c for c in sample if c.isalpha()]
    if sum(not c.isascii() for c in letters) > 0.03 * len(letters):  # accents, other scripts
        return False
    words = _ASCII_WORD_RE.findall(sample.lower())
    return len(words) >= 12 and sum(w in _ENGLISH_ONLY for w in words) >= _ENGLISH_SHARE * len(words)


def detect_language(text: str, start: int = 0) -> str:
    """The most likely language of `text` (from `start`), FALLBACK when it has no letters."""
    sample = _sample(text, start)
    if not sample:
        return FALLBACK
    if plainly_english(sample):
        return "en"
    load()
    label, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE and sample.isascii():
        return "en"  # a few ASCII words the model cannot place (a short post): the product's default language
    return normalize_code(ALIASES.get(label, label))


def among(text: str, candidates: Iterable[str]) -> dict[str, float]:
    """Probabilities of `text` being in each candidate language, summing to 1.

    Restricting a softmax to some classes is the softmax over those classes,
    so this is what a detector trained on the candidates alone would say.
    Candidates the detector does not know share what is left equally
    (uniform when the text has no letters)."""
    codes = list(dict.fromkeys(candidates))
    if not codes:
        return {}
    probs = probabilities(text)
    known = {c: probs[c] for c in codes if c in probs}
    total = sum(known.values())
    if not probs or total <= 0.0:
        return {c: 1.0 / len(codes) for c in codes}
    return {c: known.get(c, 0.0) / total for c in codes}
