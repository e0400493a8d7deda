"""Dates: an article's publication date, and the date words of a question.

Two jobs, one vocabulary of months:

* `parse_published` reads what front matter, JSONL, a channel post or a
  Telegram export says: ISO 8601 dates and datetimes, "26 Aug 2020",
  "August 26, 2020", "2020/08/26", "26.08.2020", RFC 2822. A datetime keeps
  the calendar day *as written* (its own offset), because that is the day the
  article says it appeared; a day is what the filters and ties compare.
* `find_dates` takes the date words out of a question and returns the range
  they mean as ``[after, before)`` (after inclusive, before exclusive), and a
  label for the reply ("from June 2023").

The question's forms and what they mean (``today`` is given by the caller,
`index.config.RuntimeSettings.today`):

=================================  ==========================================
``after:2022`` / ``after:2022-06``  from the first day of that period
``before:2022-06-01``               before that day (the day itself excluded)
"in 2021", "in June 2023"           that year / month
"in June", "since March"            a month without a year is the most recent
                                    one that has begun by today
"on 12 June 2023", "on 2023-06-12"  that day
"since X", "from X"                 from the start of X
"after X"                           after the end of X ("after 2021": 2022 on)
"before X"                          before the start of X
"until X", "till X"                 up to and including the end of X
"this year", "last year"            calendar years
"this month", "last month"          calendar months
"this week", "last week"            calendar weeks, Monday to Sunday
"today", "yesterday"                days
=================================  ==========================================

Several forms intersect ("since 2021 before 2023"). Plain words need their
preposition: a bare "2021" or "May" stays a search word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS)})
_MONTH_NUMBER["sept"] = 9
_MONTH_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?" \
            r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_YEAR_RE = r"(?:19|20)\d\d"


# --------------------------------------------------------------------------
# Publication dates
# --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Published:
    """A parsed publication date: the calendar day, and the value as ISO 8601."""

    day: date
    iso: str


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_MONTH_YEAR = re.compile(rf"^(?:[a-z]+,?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE}),?\s+(\d{{4}})"
                             rf"(?:[,\s]+(\d{{1,2}}:\d{{2}}(?::\d{{2}})?))?$", re.I)
_MONTH_DAY_YEAR = re.compile(rf"^(?:[a-z]+,?\s+)?({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})"
                             rf"(?:[,\s]+(\d{{1,2}}:\d{{2}}(?::\d{{2}})?))?$", re.I)


def parse_published(value: object) -> Published | None:
    """The date a `published` value means, or None when it cannot be read (the caller reports it)."""
    if isinstance(value, datetime):
        return Published(value.date(), value.isoformat())
    if isinstance(value, date):
        return Published(value, value.isoformat())
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text:
        return None
    for parse in (_iso, _numeric, _worded, _rfc2822):
        try:
            found = parse(text)
        except (ValueError, OverflowError, TypeError, IndexError):
            found = None
        if found is not None:
            return found
    return None


def _iso(text: str) -> Published | None:
    match = _ISO_DAY.match(text)
    if match:
        day = date(*map(int, match.groups()))
        return Published(day, day.isoformat())
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return Published(moment.date(), moment.isoformat())


def _numeric(text: str) -> Published | None:
    match = _SLASHED.match(text)
    if match:
        day = date(*map(int, match.groups()))
        return Published(day, day.isoformat())
    match = _DOTTED_DMY.match(text)        # 26.08.2020: day first, as written in Europe
    if match:
        d, m, y = map(int, match.groups())
        day = date(y, m, d)
        return Published(day, day.isoformat())
    return None


def _worded(text: str) -> Published | None:
    match = _DAY_MONTH_YEAR.match(text)
    if match:
        d, month, y, clock = match.groups()
    else:
        match = _MONTH_DAY_YEAR.match(text)
        if not match:
            return None
        month, d, y, clock = match.groups()
    day = date(int(y), month_number(month), int(d))
    if clock:
        parts = [int(p) for p in clock.split(":")] + [0]
        return Published(day, datetime(day.year, day.month, day.day, parts[0], parts[1], parts[2]).isoformat())
    return Published(day, day.isoformat())


def _rfc2822(text: str) -> Published | None:
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", text):
        return None
    moment = parsedate_to_datetime(text)
    return Published(moment.date(), moment.isoformat())


def month_number(word: str) -> int:
    return _MONTH_NUMBER[word.lower().rstrip(".")]


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 (what the ranking's `article_day` holds)."""
    return day.toordinal() - _EPOCH


_EPOCH = date(1970, 1, 1).toordinal()


# --------------------------------------------------------------------------
# Periods and ranges
# --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Period:
    """A span of days ``[start, end)``: a year, a month or a day, as written."""

    start: date
    end: date


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1))


def month_period(year: int, month: int) -> Period:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(date(year, month, 1), nxt)


def day_period(day: date) -> Period:
    return Period(day, day + timedelta(days=1))


def recent_month(month: int, today: date) -> Period:
    """The most recent such month that has begun by today (in June, "June" is this June)."""
    year = today.year if month <= today.month else today.year - 1
    return month_period(year, month)


@dataclass(frozen=True, slots=True)
class DateRange:
    """Days ``after <= day < before``; None on a side means open."""

    after: date | None = None
    before: date | None = None

    def intersect(self, other: "DateRange") -> "DateRange":
        after = max((d for d in (self.after, other.after) if d), default=None)
        before = min((d for d in (self.before, other.before) if d), default=None)
        return DateRange(after, before)

    @property
    def empty(self) -> bool:
        return self.after is not None and self.before is not None and self.after >= self.before

    def contains(self, day: date) -> bool:
        return (self.after is None or day >= self.after) and (self.before is None or day < self.before)

    @property
    def label(self) -> str:
        """How the reply names the range: "from June 2023", "since 2021", "before 12 Jun 2023"."""
        a, b = self.after, self.before
        if a and b:
            span = _period_label(a, b) if a < b else None
            if span:
                return f"from {span}"
            first, last = _start_label(a), _end_label(b)
            if _kind(a) != _kind(b):
                first, last = _day_label(a), _day_label(b - timedelta(days=1))
            return f"from {first} to {last}"
        if a:
            return f"since {_start_label(a)}"
        if b:
            return f"before {_start_label(b)}"
        return "any date"


def _day_label(day: date) -> str:
    return f"{day.day} {_MONTH_SHORT[day.month - 1]} {day.year}"


def _start_label(day: date) -> str:
    """A start day as the period it opens: 2021-01-01 is "2021", 2023-06-01 "June 2023"."""
    if day.month == 1 and day.day == 1:
        return str(day.year)
    if day.day == 1:
        return f"{MONTHS[day.month - 1].title()} {day.year}"
    return _day_label(day)


def _kind(day: date) -> int:
    """0: a year's first day, 1: a month's, 2: any other day."""
    return 0 if (day.month, day.day) == (1, 1) else 1 if day.day == 1 else 2


def _end_label(before: date) -> str:
    """An exclusive end as the last period it closes: 2023-01-01 is "2022", 2023-06-01 "May 2023"."""
    last = before - timedelta(days=1)
    if before.month == 1 and before.day == 1:
        return str(last.year)
    if before.day == 1:
        return f"{MONTHS[last.month - 1].title()} {last.year}"
    return _day_label(last)


def _period_label(a: date, b: date) -> str | None:
    if a.month == 1 and a.day == 1 and b == date(a.year + 1, 1, 1):
        return str(a.year)
    if a.day == 1 and b == month_period(a.year, a.month).end:
        return f"{MONTHS[a.month - 1].title()} {a.year}"
    if b == a + timedelta(days=1):
        return _day_label(a)
    return None


# --------------------------------------------------------------------------
# Date words in a question
# --------------------------------------------------------------------------

_OPERATOR = re.compile(r"(?<!\S)(after|before):(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?!\S)", re.I)
_DAY_WORDED = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE}(?:,?\s+{_YEAR_RE})?" \
              rf"|{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+{_YEAR_RE})?|\d{{4}}-\d{{2}}-\d{{2}})"
_PERIOD = rf"(?:{_DAY_WORDED}|{_MONTH_RE}(?:\s+{_YEAR_RE})?|{_YEAR_RE}" \
          rf"|(?:this|last)\s+(?:year|month|week)|today|yesterday)"
_PREPOSITION = re.compile(rf"(?<![\w-])(in|on|since|from|after|before|until|till)\s+(?:the\s+)?({_PERIOD})(?![\w-])",
                          re.I)
_BARE = re.compile(r"(?<![\w-])(this\s+year|last\s+year|this\s+month|last\s+month|this\s+week|last\s+week"
                   r"|today|yesterday)(?![\w-])", re.I)


def period_of(words: str, today: date) -> Period | None:
    """The period a date expression names ("June 2023", "12 June", "last week"), or None."""
    w = " ".join(words.lower().replace(",", " ").split())
    relative = _relative(w, today)
    if relative:
        return relative
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", w):
        return day_period(date.fromisoformat(w))
    if re.fullmatch(_YEAR_RE, w):
        return year_period(int(w))
    parts = w.split()
    nums = [p for p in parts if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", p)]
    years = [p for p in parts if re.fullmatch(_YEAR_RE, p)]
    months = [p for p in parts if re.fullmatch(_MONTH_RE, p)]
    if len(months) != 1:
        return None
    month = month_number(months[0])
    if nums:
        d = int(re.match(r"\d+", nums[0]).group())
        year = int(years[0]) if years else _recent_day_year(month, d, today)
        return day_period(date(year, month, d))
    return month_period(int(years[0]), month) if years else recent_month(month, today)


def _recent_day_year(month: int, day: int, today: date) -> int:
    """The year of the most recent "12 June" on or before today."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _relative(w: str, today: date) -> Period | None:
    if w == "today":
        return day_period(today)
    if w == "yesterday":
        return day_period(today - timedelta(days=1))
    if w == "this year":
        return year_period(today.year)
    if w == "last year":
        return year_period(today.year - 1)
    if w == "this month":
        return month_period(today.year, today.month)
    if w == "last month":
        return month_period(today.year - 1, 12) if today.month == 1 else month_period(today.year, today.month - 1)
    monday = today - timedelta(days=today.weekday())
    if w == "this week":
        return Period(monday, monday + timedelta(days=7))
    if w == "last week":
        return Period(monday - timedelta(days=7), monday)
    return None


def _range_for(preposition: str, period: Period) -> DateRange:
    p = preposition.lower()
    if p in ("since", "from"):
        return DateRange(after=period.start)
    if p == "after":
        return DateRange(after=period.end)
    if p == "before":
        return DateRange(before=period.start)
    if p in ("until", "till"):
        return DateRange(before=period.end)
    return DateRange(period.start, period.end)     # in, on


def _operator_range(match: re.Match[str]) -> DateRange:
    kind, year, month, day = match.groups()
    start = date(int(year), int(month or 1), int(day or 1))
    return DateRange(after=start) if kind.lower() == "after" else DateRange(before=start)


@dataclass(frozen=True, slots=True)
class DateWords:
    """What `find_dates` found: the question without its date words, and the range (None: no date words)."""

    text: str
    range: DateRange | None


_TRIGGERS = frozenset(_MONTH_NUMBER) | {"today", "yesterday", "year", "month", "week"}
_HAS_YEAR = re.compile(r"\d{4}")
_LETTERS = re.compile(r"[a-z]+")


def might_have_dates(text: str) -> bool:
    """A cheap test first: no 4-digit number, month name or relative word, no date (most questions)."""
    return bool(_HAS_YEAR.search(text)) or not _TRIGGERS.isdisjoint(_LETTERS.findall(text.lower()))


def find_dates(text: str, today: date) -> DateWords:
    """Take the date operators and date words out of a question (module docstring).

    A form that names no real day ("on 31 June", "after:2022-13") is left in the
    text as words, unfiltered.
    """
    if not might_have_dates(text):
        return DateWords(text, None)
    found: DateRange | None = None
    spans: list[tuple[int, int]] = []
    for pattern, to_range in ((_OPERATOR, _operator_range),
                              (_PREPOSITION, lambda m: _words_range(m, today)),
                              (_BARE, lambda m: _words_range(m, today))):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in spans):
                continue
            try:
                got = to_range(match)
            except (ValueError, KeyError):
                continue
            if got is None:
                continue
            spans.append(match.span())
            found = got if found is None else found.intersect(got)
    return DateWords(_remove(text, spans), found)


def _words_range(match: re.Match[str], today: date) -> DateRange | None:
    if match.re is _BARE:
        period = period_of(match.group(1), today)
        return DateRange(period.start, period.end) if period else None
    period = period_of(match.group(2), today)
    return _range_for(match.group(1), period) if period else None


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        pos = end
    out.append(text[pos:])
    return " ".join("".join(out).split())
