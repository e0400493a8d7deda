"""The bot's words in the user's language: one catalogue per language, chosen by the Telegram
user's `language_code` ("ru", "ru-RU" -> Russian; anything else, or nothing, -> English).

A catalogue is a JSON file in ``bot/locales`` (key -> `str.format` template), read once. Plain
JSON rather than gettext: nothing to compile (`.po` -> `.mo` needs msgfmt or Babel at build time),
keys instead of English source strings (the English text can change without orphaning the
Russian one), and a test (`tests/test_bot_i18n.py`) checks that both files have the same keys with
the same placeholders. Templates are plain text: whoever fills one escapes the values
(`bot.render.filled` inserts HTML fragments into an escaped template). A few keys hold HTML on
purpose; their names end in ``_html``.

Messages the search core writes (`SearchResult.message`) are English constants of `index`;
`index_message` translates the ones it knows and leaves any other as written.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from index.engine import ALL_EXCLUDED, NO_MATCH, NO_MORE, NO_WORDS
from index.query import NOTE_PHRASE_FALLBACK

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("en", "ru")
DEFAULT = "en"

# index message constant -> catalogue key (anything else is shown as the index wrote it)
INDEX_MESSAGES = {NO_MATCH: "index_no_match", NO_MORE: "index_no_more", NO_WORDS: "index_no_words",
                  ALL_EXCLUDED: "index_all_excluded",
                  NOTE_PHRASE_FALLBACK: "index_phrase_fallback"}


def language_of(language_code: str | None) -> str:
    """The catalogue for a Telegram `language_code`: its primary subtag when shipped, else English."""
    primary = (language_code or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


@cache
def _strings(lang: str) -> dict[str, str]:
    with (LOCALES / f"{lang}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The strings of one language; `t("key", name=value)` fills a template."""

    lang: str

    def __call__(self, key: str, **values: object) -> str:
        template = _strings(self.lang).get(key)
        if template is None:                    # a key only English has yet: English beats a crash
            template = _strings(DEFAULT)[key]
        return template.format(**values) if values else template

    def month(self, month: int, short: bool = False) -> str:
        """A month's name ("June", "июня"), or its short form ("Jun", "июн.") for a day's date."""
        return self("months_short" if short else "months").split()[month - 1]

    def day(self, day: date) -> str:
        """"26 Aug 2020" / "26 авг. 2020"."""
        return self("day_format", day=day.day, month=self.month(day.month, short=True), year=day.year)

    def index_message(self, message: str | None) -> str | None:
        """A `SearchResult.message` in this language when it is one of the index's constants."""
        if message is None:
            return None
        key = INDEX_MESSAGES.get(message)
        return self(key) if key else message

    def date_range(self, after: date | None, before: date | None, label: str | None) -> str | None:
        """The header's "from June 2023": the index's own `label` in English; other languages
        name a whole year or month, else the first and last day."""
        if after is None and before is None:
            return None
        if self.lang == DEFAULT and label:
            return label
        if after and before:
            last = before - timedelta(days=1)
            if (after.month, after.day, before.month, before.day) == (1, 1, 1, 1) and before.year == after.year + 1:
                return self("range_year", year=after.year)
            if after.day == 1 and before.day == 1 and (last.year, last.month) == (after.year, after.month):
                return self("range_month", month=self("months_nominative").split()[after.month - 1],
                            year=after.year)
            return self("range_between", first=self.day(after), last=self.day(last))
        if after:
            return self("range_since", first=self.day(after))
        return self("range_before", last=self.day(before))


ENGLISH = Catalogue(DEFAULT)


def catalogue(language_code: str | None) -> Catalogue:
    return Catalogue(language_of(language_code))


def for_user(user: object | None) -> Catalogue:
    """The catalogue for a Telegram `User` (or None: a channel post, a job -> English)."""
    return catalogue(getattr(user, "language_code", None))
