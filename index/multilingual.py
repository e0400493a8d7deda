"""Questions in an index of several languages: analysed by each language the corpus has.

A question's language cannot simply be detected and trusted: on the XQuAD
questions restricted to two candidate languages the detector is wrong on a
share of them (`bench/results/languages.md`), and a wrong guess analysed
alone finds nothing (a Russian stem is not an English one). So a question is
parsed (phrases, exclusions, names) by the analyzer of its most likely corpus
language, and the other corpus languages' analyses add the terms the first
one did not produce, each weighted by how likely that language is relative
to the most likely one (never below `FLOOR`). A Russian question then
matches Russian sentences at full weight, and the English reading of its
words (Latin names, numbers) still counts a little.

In an index of one language nothing of this runs: that language's analyzer
is the one analysis, exactly as for a monolingual build.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import detect
from .analysis import Analyzer

FLOOR = 0.2
"""Least weight of another corpus language's terms (chosen on XQuAD tune, mixed corpus)."""

_EXCLUDED_RE = re.compile(r"(?<!\S)[-\u2212]\S+")


@dataclass(frozen=True)
class QuestionAnalysis:
    """How to read one question: the analyzer that parses it and the other languages' terms."""

    analyzer: Analyzer
    extra: dict[str, float] = field(default_factory=dict)  # term -> weight, not produced by `analyzer`
    probabilities: dict[str, float] = field(default_factory=dict)


def main_language(languages: Mapping[str, int]) -> str:
    """The language with the most articles (ties: the code's order); 'en' for an empty index."""
    if not languages:
        return "en"
    return min(languages, key=lambda code: (-languages[code], code))


def analyze_question(text: str, base: Analyzer, languages: Mapping[str, int],
                     floor: float | None = None) -> QuestionAnalysis:
    """The analysis of a question for an index holding `languages` (code -> articles)."""
    floor = FLOOR if floor is None else floor
    if len(languages) <= 1:
        return QuestionAnalysis(base.for_language(main_language(languages)))
    codes = sorted(languages, key=lambda code: (-languages[code], code))
    probs = detect.among(text, codes)
    primary = max(codes, key=lambda code: probs.get(code, 0.0))
    top = probs.get(primary, 0.0) or 1.0
    parser = base.for_language(primary)
    positive = _EXCLUDED_RE.sub(" ", text)
    own = set(parser.analyze(positive))
    extra: dict[str, float] = {}
    for code in codes:
        if code == primary:
            continue
        weight = max(floor, probs.get(code, 0.0) / top)
        for term in base.for_language(code).analyze(positive):
            if term not in own and extra.get(term, 0.0) < weight:
                extra[term] = weight
    return QuestionAnalysis(parser, extra, probs)
