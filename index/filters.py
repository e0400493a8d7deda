"""A question's filters: the one step "question -> (text to search, Filters)".

`parse_filters` takes out, in this order:

* ``source:NAME`` / ``source:"Two Words"``: only articles of that source (the
  front matter's or JSONL's ``source``, a channel's title), compared without
  case;
* ``sort:date`` and the words "latest", "most recent", "newest": newest first;
* the date operators and words of `index.dates.find_dates` (a range);
* a speaker question ("what did X say about Y", `index.speakers.speaker_question`).

What is left is searched as before. The speaker's words stay in the question
(they are words of the articles too); only the "view of" and "X on Y" frames
are reduced to "X Y".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .dates import DateRange, DateWords, find_dates
from .speakers import speaker_question

_SOURCE = re.compile(r"(?<!\S)source:(?:\"([^\"]*)\"|“([^”]*)”|'([^']*)'|(\S+))", re.I)
_SORT = re.compile(r"(?<!\S)sort:date(?!\S)", re.I)
_NEWEST = re.compile(r"(?<![\w-])(?:the\s+)?(?:latest|newest|most\s+recent)(?![\w-])", re.I)


@dataclass(frozen=True, slots=True)
class Filters:
    """What restricts or orders the hits besides the words."""

    dates: DateRange | None = None
    source: str | None = None
    by_date: bool = False
    speaker: str | None = None
    topic: str | None = None

    @property
    def after(self) -> date | None:
        return self.dates.after if self.dates else None

    @property
    def before(self) -> date | None:
        return self.dates.before if self.dates else None

    @property
    def label(self) -> str | None:
        """"from June 2023", "since 2021"; None without a date filter."""
        return self.dates.label if self.dates else None

    @property
    def restricts(self) -> bool:
        return self.dates is not None or self.source is not None

    def to_json(self) -> dict[str, Any]:
        """The CLI's `filters`: ISO dates (after inclusive, before exclusive) and the source, or nulls."""
        return {"after": self.after.isoformat() if self.after else None,
                "before": self.before.isoformat() if self.before else None,
                "source": self.source}


NO_FILTERS = Filters()


_OPERATOR = re.compile(r"\b(?:after|before):", re.IGNORECASE)


def parse_filters(question: str, today: date, dated: bool = True) -> tuple[str, Filters]:
    """The question without its filter words, and the filters they set (module docstring).

    With `dated` False (no article of the index has a date) plain date words ("in 1066") stay
    words of the question; only the explicit `after:`/`before:` operators still filter."""
    if not isinstance(question, str):
        return question, NO_FILTERS
    text, source = _take_source(question)
    text, by_date = _take_order(text)
    words = find_dates(text, today) if dated or _OPERATOR.search(text) else DateWords(text, None)
    text = words.text
    asked = speaker_question(text)
    if asked:
        text = asked.text
    if (source, by_date, words.range, asked) == (None, False, None, None):
        return question, NO_FILTERS
    return text, Filters(dates=words.range, source=source, by_date=by_date,
                         speaker=asked.speaker if asked else None, topic=asked.topic if asked else None)


def _take_source(text: str) -> tuple[str, str | None]:
    if "source:" not in text.lower():
        return text, None
    source = None
    for m in _SOURCE.finditer(text):
        value = next(g for g in m.groups() if g is not None).strip()
        if value:
            source = " ".join(value.split())
    if source is None:
        return text, None
    return " ".join(_SOURCE.sub(" ", text).split()), source


def _take_order(text: str) -> tuple[str, bool]:
    low = text.lower()
    if "sort:" not in low and "latest" not in low and "newest" not in low and "recent" not in low:
        return text, False
    if not (_SORT.search(text) or _NEWEST.search(text)):
        return text, False
    return " ".join(_NEWEST.sub(" ", _SORT.sub(" ", text)).split()), True


def same_source(asked: str, source: str | None) -> bool:
    """`source:reuters` matches "Reuters": case and spacing do not matter."""
    return source is not None and " ".join(source.casefold().split()) == asked.casefold()
