"""bot.i18n: both catalogues hold every key with the same placeholders, every key the bot asks
for exists, the user's language_code picks the catalogue, and the index's messages translate."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from string import Formatter

import pytest

from bot import i18n, render
from bot.i18n import ENGLISH, Catalogue, catalogue, language_of
from index.hits import SearchResult

BOT = Path(i18n.__file__).parent
CATALOGUES = {lang: json.loads((i18n.LOCALES / f"{lang}.json").read_text(encoding="utf-8")) for lang in i18n.LANGUAGES}
RU = Catalogue("ru")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_every_key_is_in_every_catalogue_with_the_same_placeholders() -> None:
    english = CATALOGUES["en"]
    for lang, strings in CATALOGUES.items():
        assert set(strings) == set(english), lang
        for key, template in strings.items():
            assert isinstance(template, str) and template.strip(), (lang, key)
            assert placeholders(template) == placeholders(english[key]), (lang, key)


def test_month_lists_have_twelve_names() -> None:
    for strings in CATALOGUES.values():
        assert len(strings["months_short"].split()) == len(strings["months_nominative"].split()) == 12


def test_html_templates_are_valid_telegram_html() -> None:
    from tests.fakebotapi import parse_telegram_html
    for strings in CATALOGUES.values():
        for key, template in strings.items():
            filled = template.format(**{name: "x" for name in placeholders(template)})
            if key.endswith("_html"):
                parse_telegram_html(filled)
            else:
                assert "<" not in filled, key    # plain text: the caller escapes it


# a key passed as a literal to a catalogue: tr("key" / press.answer("key" / key="key"
_USED = re.compile(r"""(?:\btr\(|press\.answer\(|key=|for_user\([^)]*\)\()(?:f?)["']([a-z_]+)["']""")


def test_every_key_the_bot_asks_for_exists() -> None:
    used = {key for path in BOT.glob("*.py") for key in _USED.findall(path.read_text(encoding="utf-8"))}
    used |= {"help_asking_title_html", *[k for k in CATALOGUES["en"] if k.startswith(("age_", "help_"))]}
    assert len(used) > 60
    assert used <= set(CATALOGUES["en"]), used - set(CATALOGUES["en"])


@pytest.mark.parametrize("code, lang", [("ru", "ru"), ("ru-RU", "ru"), ("RU", "ru"), ("en", "en"), ("en-GB", "en"),
                                        ("de", "en"), ("uk", "en"), ("", "en"), (None, "en")])
def test_language_code_picks_the_catalogue(code: str | None, lang: str) -> None:
    assert language_of(code) == lang
    assert catalogue(code).lang == lang


def test_dates_and_ranges_in_russian_and_english() -> None:
    assert ENGLISH.day(date(2020, 8, 26)) == "26 Aug 2020"
    assert RU.day(date(2020, 8, 26)) == "26 авг. 2020"
    assert RU.date_range(date(2023, 6, 1), date(2023, 7, 1), "from June 2023") == "за июнь 2023"
    assert RU.date_range(date(2021, 1, 1), date(2022, 1, 1), "from 2021") == "за 2021 год"
    assert RU.date_range(date(2021, 3, 1), None, "since March 2021") == "с 1 марта 2021"
    assert RU.date_range(None, date(2022, 1, 1), "before 2022") == "до 1 янв. 2022"
    assert RU.date_range(date(2023, 6, 12), date(2023, 6, 20), None) == "с 12 июня 2023 по 19 июня 2023"
    assert ENGLISH.date_range(date(2023, 6, 1), date(2023, 7, 1), "from June 2023") == "from June 2023"
    assert ENGLISH.date_range(None, None, None) is None


def test_the_index_messages_are_translated_and_others_kept() -> None:
    from index.engine import ALL_EXCLUDED, NO_MATCH, NO_MORE, NO_WORDS
    from index.query import NOTE_PHRASE_FALLBACK
    for constant in (ALL_EXCLUDED, NO_MATCH, NO_MORE, NO_WORDS, NOTE_PHRASE_FALLBACK):
        assert ENGLISH.index_message(constant) == constant
        assert RU.index_message(constant) != constant and re.search("[а-я]", RU.index_message(constant))
    assert RU.index_message("Something new from the index.") == "Something new from the index."
    nothing = SearchResult("кто", (), 0, message=NO_MATCH)
    assert "Ни одно предложение не отвечает на вопрос." in render.no_hits_html(nothing, tr=RU)
    assert render.answer_plain(nothing, tr=RU).startswith("По запросу «кто» ничего не нашлось.")
