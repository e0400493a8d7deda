"""Publication dates and the date words of a question (index/dates.py, index/filters.py)."""
from __future__ import annotations

from datetime import date

import pytest

from index.dates import DateRange, epoch_day, find_dates, parse_published
from index.filters import parse_filters, same_source

TODAY = date(2026, 12, 1)   # a Tuesday
D = date


@pytest.mark.parametrize("value, day, iso", [
    ("2020-08-26", D(2020, 8, 26), "2020-08-26"),
    ("2020-08-26T10:15:00Z", D(2020, 8, 26), "2020-08-26T10:15:00+00:00"),
    ("2020-08-26T23:30:00-05:00", D(2020, 8, 26), "2020-08-26T23:30:00-05:00"),   # the day as written
    ("2020-08-26 10:15", D(2020, 8, 26), "2020-08-26T10:15:00"),
    ("26 Aug 2020", D(2020, 8, 26), "2020-08-26"),
    ("26 August 2020", D(2020, 8, 26), "2020-08-26"),
    ("August 26, 2020", D(2020, 8, 26), "2020-08-26"),
    ("Aug. 26, 2020", D(2020, 8, 26), "2020-08-26"),
    ("Wednesday, August 26, 2020", D(2020, 8, 26), "2020-08-26"),
    ("2020/08/26", D(2020, 8, 26), "2020-08-26"),
    ("26.08.2020", D(2020, 8, 26), "2020-08-26"),
    ("Wed, 26 Aug 2020 10:00:00 +0300", D(2020, 8, 26), "2020-08-26T10:00:00+03:00"),
    ("  2020-08-26  ", D(2020, 8, 26), "2020-08-26"),
])
def test_published_forms(value: str, day: date, iso: str) -> None:
    found = parse_published(value)
    assert found is not None and (found.day, found.iso) == (day, iso)


@pytest.mark.parametrize("value", ["", "yesterday", "2020-02-30", "32 Aug 2020", "soon", "2020-13-01", None, 2020,
                                   "Wed, 32 Aug 2020 10:00:00 +0300"])
def test_unparsable_published(value: object) -> None:
    assert parse_published(value) is None


def test_epoch_day() -> None:
    assert epoch_day(D(1970, 1, 1)) == 0
    assert epoch_day(D(2020, 8, 26)) == 18500


def rng(question: str) -> tuple[str, DateRange | None]:
    found = find_dates(question, TODAY)
    return found.text, found.range


@pytest.mark.parametrize("question, after, before, label", [
    ("after:2022", D(2022, 1, 1), None, "since 2022"),
    ("after:2022-06", D(2022, 6, 1), None, "since June 2022"),
    ("after:2022-06-15", D(2022, 6, 15), None, "since 15 Jun 2022"),
    ("before:2022", None, D(2022, 1, 1), "before 2022"),
    ("before:2022-06-15", None, D(2022, 6, 15), "before 15 Jun 2022"),
    ("after:2021 before:2023", D(2021, 1, 1), D(2023, 1, 1), "from 2021 to 2022"),
    ("in 2021", D(2021, 1, 1), D(2022, 1, 1), "from 2021"),
    ("in June 2023", D(2023, 6, 1), D(2023, 7, 1), "from June 2023"),
    ("in Jun 2023", D(2023, 6, 1), D(2023, 7, 1), "from June 2023"),
    ("in June", D(2026, 6, 1), D(2026, 7, 1), "from June 2026"),
    ("in December", D(2026, 12, 1), D(2027, 1, 1), "from December 2026"),     # this month has begun
    ("in Dec", D(2026, 12, 1), D(2027, 1, 1), "from December 2026"),
    ("on 12 June 2023", D(2023, 6, 12), D(2023, 6, 13), "from 12 Jun 2023"),
    ("on June 12, 2023", D(2023, 6, 12), D(2023, 6, 13), "from 12 Jun 2023"),
    ("on 2023-06-12", D(2023, 6, 12), D(2023, 6, 13), "from 12 Jun 2023"),
    ("on 12 June", D(2026, 6, 12), D(2026, 6, 13), "from 12 Jun 2026"),
    ("on 5 December", D(2025, 12, 5), D(2025, 12, 6), "from 5 Dec 2025"),     # not yet this year
    ("since 2021", D(2021, 1, 1), None, "since 2021"),
    ("since March", D(2026, 3, 1), None, "since March 2026"),
    ("since March 2024", D(2024, 3, 1), None, "since March 2024"),
    ("after 2021", D(2022, 1, 1), None, "since 2022"),
    ("after June 2023", D(2023, 7, 1), None, "since July 2023"),
    ("before 2022", None, D(2022, 1, 1), "before 2022"),
    ("before March", None, D(2026, 3, 1), "before March 2026"),
    ("until 2022", None, D(2023, 1, 1), "before 2023"),
    ("until May 2024", None, D(2024, 6, 1), "before June 2024"),
    ("till 3 May 2024", None, D(2024, 5, 4), "before 4 May 2024"),
    ("this year", D(2026, 1, 1), D(2027, 1, 1), "from 2026"),
    ("last year", D(2025, 1, 1), D(2026, 1, 1), "from 2025"),
    ("this month", D(2026, 12, 1), D(2027, 1, 1), "from December 2026"),
    ("last month", D(2026, 11, 1), D(2026, 12, 1), "from November 2026"),
    ("last week", D(2026, 11, 23), D(2026, 11, 30), "from 23 Nov 2026 to 29 Nov 2026"),
    ("yesterday", D(2026, 11, 30), D(2026, 12, 1), "from 30 Nov 2026"),
    ("today", D(2026, 12, 1), D(2026, 12, 2), "from 1 Dec 2026"),
    ("since 2021 before 2023", D(2021, 1, 1), D(2023, 1, 1), "from 2021 to 2022"),
    ("since March 2021 until May 2021", D(2021, 3, 1), D(2021, 6, 1), "from March 2021 to May 2021"),
])
def test_date_forms(question: str, after: date | None, before: date | None, label: str) -> None:
    text, found = rng(f"what did Lavrov say {question} about mediation")
    assert text == "what did Lavrov say about mediation"
    assert (found.after, found.before) == (after, before)
    assert found.label == label


def test_last_month_in_january_is_last_december() -> None:
    found = find_dates("last month", D(2027, 1, 10)).range
    assert (found.after, found.before) == (D(2026, 12, 1), D(2027, 1, 1))


def test_month_without_year_in_january() -> None:
    found = find_dates("in June", D(2027, 1, 10)).range
    assert (found.after, found.before) == (D(2026, 6, 1), D(2026, 7, 1))


def test_before_is_exclusive_after_inclusive() -> None:
    found = find_dates("after:2022-06-01 before:2022-06-03", TODAY).range
    assert not found.contains(D(2022, 5, 31))
    assert found.contains(D(2022, 6, 1))
    assert found.contains(D(2022, 6, 2))
    assert not found.contains(D(2022, 6, 3))


def test_empty_range() -> None:
    found = find_dates("in 2023 before 2022", TODAY).range
    assert found.empty
    assert found.label == "from 2023 to 2021"


@pytest.mark.parametrize("question", ["Tu-214 flew on Tuesday", "the 2014 crisis", "May they talk", "in 1800",
                                      "on 31 June 2023", "after:2022-13", "mediation", "the march in Minsk",
                                      "in-2021", "after:20222"])
def test_no_date_words(question: str) -> None:
    text, found = rng(question)
    assert (text, found) == (question, None)


def test_capitals_and_commas_do_not_matter() -> None:
    assert rng("IN JUNE 2023")[1] == DateRange(D(2023, 6, 1), D(2023, 7, 1))
    assert rng("Since August 26, 2020, what happened")[1] == DateRange(after=D(2020, 8, 26))


# ------------------------------------------------------------------ filters

def test_filters_all_together() -> None:
    text, f = parse_filters('latest news source:"Kyiv Independent" what did Zelensky say about aid since 2024',
                            TODAY)
    assert f.source == "Kyiv Independent" and f.by_date
    assert (f.after, f.before) == (D(2024, 1, 1), None)
    assert text == "news what did Zelensky say about aid"
    assert f.to_json() == {"after": "2024-01-01", "before": None, "source": "Kyiv Independent"}


@pytest.mark.parametrize("question, source", [("source:Reuters mediation", "Reuters"),
                                              ("mediation source:'TASS'", "TASS"),
                                              ("mediation source:“Al Jazeera”", "Al Jazeera")])
def test_source_operator(question: str, source: str) -> None:
    text, f = parse_filters(question, TODAY)
    assert (text, f.source) == ("mediation", source)


@pytest.mark.parametrize("question", ["sort:date mediation", "the latest on mediation", "most recent mediation",
                                      "newest mediation", "MEDIATION SORT:DATE"])
def test_date_order(question: str) -> None:
    text, f = parse_filters(question, TODAY)
    assert f.by_date and "sort" not in text.lower() and "latest" not in text


def test_speaker_question_sets_speaker() -> None:
    text, f = parse_filters("what did Lavrov say about mediation in 2020", TODAY)
    assert (f.speaker, f.topic, f.label) == ("Lavrov", "mediation", "from 2020")
    assert text == "what did Lavrov say about mediation"


def test_plain_question_is_untouched() -> None:
    question = "Tu-214  flight"
    text, f = parse_filters(question, TODAY)
    assert text == question and not f.restricts and f.speaker is None and not f.by_date
    assert f.to_json() == {"after": None, "before": None, "source": None}


def test_same_source() -> None:
    assert same_source("reuters", "Reuters")
    assert same_source("kyiv independent", "Kyiv  Independent")
    assert not same_source("reuters", None)
    assert not same_source("reuters", "Reuters Breakingviews")
