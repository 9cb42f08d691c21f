"""Normalisers for the values news text states in words: numbers, money and dates.

Pure functions over strings; the annotator finds the spans, these turn them into values.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
SCALES = {
    "thousand": 10**3, "million": 10**6, "mln": 10**6, "mn": 10**6, "m": 10**6, "billion": 10**9, "bln": 10**9,
    "bn": 10**9, "trillion": 10**12, "tln": 10**12,
}
# Currency words as wire copy and web pages write them -> ISO 4217.
CURRENCY_WORDS = {
    "$": "USD", "us$": "USD", "dlrs": "USD", "dlr": "USD", "dollars": "USD", "dollar": "USD", "usd": "USD",
    "stg": "GBP", "sterling": "GBP", "pounds": "GBP", "pound": "GBP", "£": "GBP", "gbp": "GBP",
    "yen": "JPY", "¥": "JPY", "jpy": "JPY", "€": "EUR", "euros": "EUR", "euro": "EUR", "eur": "EUR",
    "marks": "DEM", "mark": "DEM", "dm": "DEM", "deutsche marks": "DEM", "french francs": "FRF",
    "swiss francs": "CHF", "sfr": "CHF", "rupees": "INR", "rs": "PKR", "yuan": "CNY", "renminbi": "CNY",
    "roubles": "RUB", "rubles": "RUB", "riyals": "SAR", "lire": "ITL", "guilders": "NLG", "pesetas": "ESP",
    "crowns": "SEK", "ringgit": "MYR", "won": "KRW", "rand": "ZAR", "naira": "NGN", "tenge": "KZT",
}
NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w not in ("a", "an")), key=len, reverse=True))
# "five", "twenty-one", "twenty one", "one hundred"
WORD_NUMBER = rf"(?:{_WORDS})(?:[ -](?:{_WORDS}))*"
SCALE = r"(?:thousand|million|mln|billion|bln|bn|trillion|tln)"
_PREFIX_CUR = r"(?P<pcur>US\$|\$|£|€|¥)"
_SUFFIX_CUR = (
    r"(?P<scur>deutsche marks|french francs|swiss francs|dlrs|dlr|dollars|dollar|stg|sterling|pounds|yen|euros|euro|"
    r"marks|sfr|rupees|yuan|renminbi|roubles|rubles|riyals|lire|guilders|pesetas|crowns|ringgit|won|rand|naira|tenge)"
)
_AMOUNT = rf"(?P<num>{NUMBER}|{WORD_NUMBER})(?:[ -](?P<scale>{SCALE}))?"
# "$1 billion", "US$ 5 mln" (currency before) and "120 mln dlrs", "five billion stg" (currency after).
MONEY_RES = [
    re.compile(rf"{_PREFIX_CUR}\s?{_AMOUNT}\b", re.IGNORECASE),
    re.compile(rf"\b{_AMOUNT}\s+(?:US\s+)?{_SUFFIX_CUR}\b", re.IGNORECASE),
]


def parse_number(text: str) -> Decimal | None:
    """'37' -> 37, '1.5' -> 1.5, '1,200' -> 1200, 'five' -> 5, 'twenty-five' -> 25."""
    text = text.strip().lower()
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        pass
    total = 0
    parts = re.split(r"[ -]+", text)
    if not parts or not all(p in NUMBER_WORDS for p in parts):
        return None
    for p in parts:
        value = NUMBER_WORDS[p]
        total = total * value if value == 100 and total else total + value
    return Decimal(total)


@dataclass(frozen=True)
class Money:
    start: int
    end: int
    amount: Decimal
    currency: str


class _Spans:
    """Disjoint, non-empty spans of text (matches), kept sorted: whether a new one overlaps any is a binary search
    (a scan of them all made a text of thousands of amounts or dates quadratic: 13 s for 80,000 characters of
    "$5 billion ")."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        # the span starting last before `end` also ends last (they are disjoint): only it can reach past `start`
        i = bisect.bisect_left(self.starts, end)
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def find_money(text: str) -> list[Money]:
    """Every amount of money in the text with its ISO 4217 currency: "$1 billion", "120 mln dlrs", "1.5 billion stg"."""
    found: list[Money] = []
    taken = _Spans()
    matches = [m for pattern in MONEY_RES for m in pattern.finditer(text)]
    for m in sorted(matches, key=lambda m: m.start()):
        if taken.overlaps(m.start(), m.end()):
            continue
        number = parse_number(m.group("num"))
        if number is None:
            continue
        scale = SCALES.get((m.group("scale") or "").lower(), 1)
        groups = m.groupdict()
        cur = (groups.get("pcur") or groups.get("scur") or "").lower()
        currency = CURRENCY_WORDS.get(cur)
        if currency is None:
            continue
        found.append(Money(m.start(), m.end(), number * scale, currency))
        taken.add(m.start(), m.end())
    return found


# -- dates ------------------------------------------------------------------------------------------
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE_PATTERNS = [
    # "February 4, 2026", "May 10", "December 20, 1999"
    ("absolute", re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?")),
    # "4 February 2026", "10 May"
    ("absolute", re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\b(?:,?\s+(?P<year>\d{{4}}))?")),
    # "next Wednesday" is after the reference day, "last Wednesday" before it, whatever the tense
    ("weekday", re.compile(rf"\b(?:(?P<which>next|last|coming|this|past)\s+)?{_WEEKDAY}\b", re.IGNORECASE)),
    ("relative", re.compile(
        r"\b(?P<rel>today|tonight|this (?:morning|afternoon|evening)|yesterday|tomorrow|"
        r"a day (?:earlier|later|before|after)|the day before|the next day|the following day|"
        r"(?:last|next|this) (?:week|month|year)|(?:within|in) (?:a|one|the next(?: one)?) year|"
        r"(?:within|in) (?:the next )?(?P<n>\w+) (?P<unit>days|weeks|months|years))\b",
        re.IGNORECASE)),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    kind: str  # absolute, weekday, relative, deadline
    past: dt.date | None  # the value when the verb is past tense
    future: dt.date | None  # the value when the verb is future tense
    precision: str = "day"  # day, or week/month/year for vague spans that give no day


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def resolve_absolute(
    month: int, day: int, year: int | None, ref: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """A day and month without a year: the closest such day on or before (past) or after (future) the reference."""
    if year is not None:
        try:
            d = dt.date(year, month, day)
        except ValueError:
            return None, None
        return d, d
    if ref is None:
        return None, None
    # The nearest such day on each side of the reference (29 February may be up to four years away).
    past = next((d for y in range(ref.year, ref.year - 5, -1) if (d := _day(y, month, day)) and d <= ref), None)
    future = next((d for y in range(ref.year, ref.year + 5) if (d := _day(y, month, day)) and d >= ref), None)
    return past, future


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def resolve_weekday(weekday: int, ref: dt.date) -> tuple[dt.date, dt.date]:
    """'on Wednesday': the Wednesday on or before the reference (past), on or after it (future)."""
    back = (ref.weekday() - weekday) % 7
    ahead = (weekday - ref.weekday()) % 7
    return ref - dt.timedelta(days=back), ref + dt.timedelta(days=ahead)


def resolve_relative(phrase: str, ref: dt.date) -> tuple[dt.date | None, str, str]:
    """Returns (date, kind, precision) for phrases such as 'a day earlier', 'within a year', 'last week'."""
    p = phrase.lower()
    day = dt.timedelta(days=1)
    if p in ("today", "tonight") or p.startswith("this ") and p.split()[1] in ("morning", "afternoon", "evening"):
        return ref, "relative", "day"
    if p == "yesterday" or p in ("a day earlier", "a day before", "the day before"):
        return ref - day, "relative", "day"
    if p == "tomorrow" or p in ("a day later", "a day after", "the next day", "the following day"):
        return ref + day, "relative", "day"
    m = re.fullmatch(r"(last|next|this) (week|month|year)", p)
    if m:
        sign = {"last": -1, "next": 1, "this": 0}[m.group(1)]
        if m.group(2) == "week":
            return ref + dt.timedelta(weeks=sign), "relative", "week"
        if m.group(2) == "month":
            return _add_months(ref, sign), "relative", "month"
        return _add_years(ref, sign), "relative", "year"
    if re.fullmatch(r"(within|in) (a|one|the next(?: one)?) year", p):
        return _add_years(ref, 1), "deadline", "day"
    m = re.fullmatch(r"(?:within|in) (?:the next )?(\w+) (days|weeks|months|years)", p)
    if m:
        n = parse_number(m.group(1))
        if n is None or not n.is_finite() or n != int(n) or n > 100:
            return None, "deadline", "day"
        n = int(n)
        unit = m.group(2)
        if unit == "days":
            return ref + n * day, "deadline", "day"
        if unit == "weeks":
            return ref + dt.timedelta(weeks=n), "deadline", "day"
        if unit == "months":
            return _add_months(ref, n), "deadline", "day"
        return _add_years(ref, n), "deadline", "day"
    return None, "relative", "day"


def find_dates(text: str, ref: dt.date | None) -> list[DateMention]:
    """Every date expression, resolved against the reference day (the article's date).

    An expression whose day would fall outside the calendar (the day after 9999-12-31) is left out.
    """
    try:
        return _find_dates(text, ref)
    except (OverflowError, ValueError):
        return _find_dates(text, None)


def _find_dates(text: str, ref: dt.date | None) -> list[DateMention]:
    found: list[DateMention] = []
    taken = _Spans()
    for kind, pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if taken.overlaps(m.start(), m.end()):
                continue
            if kind == "absolute":
                month = MONTHS[m.group("month").lower().rstrip(".")]
                year = int(m.group("year")) if m.group("year") else None
                past, future = resolve_absolute(month, int(m.group("day")), year, ref)
                if past is None and future is None and ref is not None:
                    continue
                found.append(DateMention(m.start(), m.end(), m.group(0), "absolute", past, future))
            elif ref is None:
                continue
            elif kind == "weekday":
                if not m.group("weekday")[0].isupper():
                    continue  # weekday names are capitalised; "monday" inside a word-run is noise
                past, future = resolve_weekday(WEEKDAYS[m.group("weekday").lower()], ref)
                which = (m.group("which") or "").lower()
                week = dt.timedelta(days=7)
                if which in ("next", "coming"):
                    past = future = future if future > ref else future + week
                elif which in ("last", "past"):
                    past = future = past if past < ref else past - week
                found.append(DateMention(m.start(), m.end(), m.group(0), "weekday", past, future))
            else:
                value, rkind, precision = resolve_relative(m.group("rel"), ref)
                found.append(DateMention(m.start(), m.end(), m.group(0), rkind, value, value, precision))
            taken.add(m.start(), m.end())
    return sorted(found, key=lambda d: d.start)
