"""Property tests for the number, money and date normalisers (src/kgbuild/normalize.py), and a few examples."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from kgbuild.normalize import (
    CURRENCY_WORDS,
    DateMention,
    find_dates,
    find_money,
    parse_number,
    resolve_absolute,
    resolve_relative,
    resolve_weekday,
)

# Reference days as articles have them: the corpus runs from the 1980s, the web pages to today and beyond.
refs = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
# Text that looks like news, so that the patterns really fire, mixed with anything at all.
NEWS_WORDS = ["the", "said", "on", "in", "within", "next", "last", "this", "a", "an", "one", "five", "twenty", "-",
              "hundred", "million", "mln", "billion", "bln", "dlrs", "dollars", "$", "US$", "US", "stg", "yen", "£",
              "€", "marks", "1", "12", "1.5", "1,200", "37", "2026", "1987", "February", "Feb.", "Sept", "May", "4",
              "29", "31", "4th", "Monday", "Friday", "today", "yesterday", "tomorrow", "day", "days", "weeks",
              "months", "years", "year", "week", "month", "earlier", "later", "before", "after", ",", ".", "\n",
              "Pakistan", "agreed", "to", "trade", "of"]
news_text = st.lists(st.sampled_from(NEWS_WORDS), max_size=40).map(" ".join)
any_text = st.one_of(st.text(max_size=400), news_text)
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
         10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen",
         17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty", 30: "thirty", 40: "forty", 50: "fifty",
         60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}


def spelled(n: int) -> str:
    """1..99 in words, as parse_number reads them: 'twenty-five'."""
    if n in WORDS:
        return WORDS[n]
    return f"{WORDS[n - n % 10]}-{WORDS[n % 10]}"


# -- numbers ---------------------------------------------------------------------------------------------------------
@given(st.text(max_size=100))
def test_parse_number_never_raises(text: str) -> None:
    parse_number(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_parse_number_digits_and_thousands_separators(n: int) -> None:
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n
    assert parse_number(f"  {n:,}  ") == n


@given(st.integers(min_value=1, max_value=99))
def test_parse_number_words(n: int) -> None:
    assert parse_number(spelled(n)) == n
    assert parse_number(spelled(n).upper()) == n
    assert parse_number(spelled(n).replace("-", " ")) == n


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_parse_number_decimals(d: Decimal) -> None:
    assert parse_number(str(d)) == d


# -- money -----------------------------------------------------------------------------------------------------------
@given(any_text)
def test_find_money_never_raises_and_spans_are_sound(text: str) -> None:
    found = find_money(text)
    currencies = set(CURRENCY_WORDS.values())
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert m.amount >= 0
        assert m.amount.is_finite()
        assert m.currency in currencies
    for a, b in zip(found, found[1:], strict=False):  # in order, never overlapping
        assert a.end <= b.start


FILLER = st.lists(st.sampled_from(["the", "said", "Pakistan", "agreed", "trade", "of", "worth", "about"]),
                  max_size=6).map(" ".join)
USD_FORMATS = ["${n} million", "$ {n} million", "${n} mln", "US${n} million", "US$ {n} mln", "{n} mln dlrs",
               "{n} million dollars", "{n} million US dollars", "{n}-million dlrs", "{n} MLN DLRS"]


@given(n=st.integers(min_value=1, max_value=999_999), fmt=st.sampled_from(USD_FORMATS), before=FILLER, after=FILLER)
def test_formatted_millions_parse_back(n: int, fmt: str, before: str, after: str) -> None:
    for number in (str(n), f"{n:,}"):
        phrase = fmt.format(n=number)
        text = f"{before} {phrase} {after}".strip()
        [money] = find_money(text)
        assert money.amount == n * 10**6
        assert money.currency == "USD"
        assert text[money.start:money.end] == phrase


@given(n=st.decimals(min_value=Decimal("0.1"), max_value=999, places=1),
       scale=st.sampled_from([("billion", 10**9), ("bln", 10**9), ("thousand", 10**3), ("mln", 10**6)]),
       currency=st.sampled_from([("stg", "GBP"), ("yen", "JPY"), ("marks", "DEM"), ("dlrs", "USD"),
                                 ("swiss francs", "CHF"), ("yuan", "CNY")]))
def test_decimal_amounts_with_scale_and_currency_word(n: Decimal, scale: tuple, currency: tuple) -> None:
    text = f"a loan of {n} {scale[0]} {currency[0]} was agreed"
    [money] = find_money(text)
    assert money.amount == n * scale[1]
    assert money.currency == currency[1]


@given(n=st.sampled_from(sorted(WORDS)), scale=st.sampled_from(["million", "billion"]))
def test_amounts_in_words(n: int, scale: str) -> None:
    [money] = find_money(f"trade of {spelled(n)} {scale} dollars")
    assert money.amount == n * (10**6 if scale == "million" else 10**9)


@pytest.mark.parametrize("words", ["twenty-one", "twenty one", "ninety-nine"])
def test_compound_number_words_in_amounts(words: str) -> None:
    [money] = find_money(f"trade of {words} million dollars")
    assert money.amount == parse_number(words) * 10**6


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("$1 billion", 10**9, "USD"),
    ("120 mln dlrs", 120 * 10**6, "USD"),
    ("1.5 billion stg", Decimal("1.5") * 10**9, "GBP"),
    ("five billion yen", 5 * 10**9, "JPY"),
    ("US$ 5 mln", 5 * 10**6, "USD"),
    ("£200 million", 200 * 10**6, "GBP"),
    ("€3.2 bn", Decimal("3.2") * 10**9, "EUR"),
    ("1,200 stg", 1200, "GBP"),
])
def test_money_examples(text: str, amount: int | Decimal, currency: str) -> None:
    [money] = find_money(f"They agreed on {text} in new trade.")
    assert (money.amount, money.currency) == (amount, currency)


@pytest.mark.parametrize("text", ["37 people", "in 1987", "$", "mln dlrs", "five", "the dollar fell", "1,2,3 dlrs"])
def test_no_money(text: str) -> None:
    assert all(m.amount >= 0 for m in find_money(text))
    assert not find_money(text) or text == "1,2,3 dlrs"


# -- dates -----------------------------------------------------------------------------------------------------------
def _check_spans(text: str, found: list[DateMention]) -> None:
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert text[d.start:d.end] == d.text
        assert d.kind in ("absolute", "weekday", "relative", "deadline")
        assert d.precision in ("day", "week", "month", "year")
    for a, b in zip(found, found[1:], strict=False):
        assert a.start <= b.start and a.end <= b.start


@given(text=any_text, ref=st.one_of(st.none(), refs))
def test_find_dates_never_raises_and_spans_are_sound(text: str, ref: dt.date | None) -> None:
    found = find_dates(text, ref)
    _check_spans(text, found)
    if ref is None:  # without a reference only dates with their year can be resolved
        assert all(d.kind == "absolute" for d in found)
        assert all(d.past == d.future for d in found)


@given(day=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)), ref=st.one_of(st.none(), refs),
       style=st.sampled_from(["{month} {day}, {year}", "{month} {day} {year}", "{day} {month} {year}",
                              "{abbr}. {day}, {year}", "{abbr} {day} {year}", "{day} {abbr} {year}",
                              "{month} {day}th, {year}"]))
def test_absolute_dates_with_year_round_trip(day: dt.date, ref: dt.date | None, style: str) -> None:
    abbr = "Sept" if day.month == 9 else calendar.month_abbr[day.month]
    if style.startswith("{abbr}.") and abbr == "May":
        style = style.replace(".", "", 1)
    phrase = style.format(month=calendar.month_name[day.month], abbr=abbr, day=day.day, year=day.year)
    text = f"The talks were held on {phrase} in Islamabad."
    found = find_dates(text, ref)
    _check_spans(text, found)
    assert [(d.text, d.kind, d.past, d.future) for d in found] == [(phrase, "absolute", day, day)]


@given(month=st.integers(1, 12), day=st.integers(1, 31), ref=refs)
def test_absolute_dates_without_year_land_on_the_right_side(month: int, day: int, ref: dt.date) -> None:
    assume(day <= calendar.monthrange(2024, month)[1])  # a day some year has
    past, future = resolve_absolute(month, day, None, ref)
    for value in (past, future):
        if value is not None:
            assert (value.month, value.day) == (month, day)
    if past is not None:
        assert past <= ref and (ref - past).days < 366 * 4
    if future is not None:
        assert future >= ref and (future - ref).days < 366 * 4
    if (month, day) != (2, 29):
        assert past is not None and future is not None
        assert (ref - past).days < 366 and (future - ref).days < 366


@given(weekday=st.integers(0, 6), ref=refs)
def test_weekdays_land_within_six_days_on_the_right_side(weekday: int, ref: dt.date) -> None:
    past, future = resolve_weekday(weekday, ref)
    assert past.weekday() == future.weekday() == weekday
    assert 0 <= (ref - past).days <= 6
    assert 0 <= (future - ref).days <= 6
    assert (past == ref) == (future == ref) == (ref.weekday() == weekday)
    [mention] = find_dates(f"Ministers met on {calendar.day_name[weekday]}.", ref)
    assert (mention.kind, mention.past, mention.future) == ("weekday", past, future)


@given(ref=refs)
def test_relative_day_phrases(ref: dt.date) -> None:
    day = dt.timedelta(days=1)
    cases = {"today": ref, "tonight": ref, "this morning": ref, "yesterday": ref - day, "a day earlier": ref - day,
             "the day before": ref - day, "tomorrow": ref + day, "the next day": ref + day,
             "the following day": ref + day, "a day later": ref + day}
    for phrase, expected in cases.items():
        assert resolve_relative(phrase, ref) == (expected, "relative", "day"), phrase
        [mention] = find_dates(f"They met {phrase} in Beijing.", ref)
        assert (mention.past, mention.future) == (expected, expected)


@given(ref=refs)
def test_relative_periods(ref: dt.date) -> None:
    assert resolve_relative("last week", ref) == (ref - dt.timedelta(weeks=1), "relative", "week")
    assert resolve_relative("next week", ref) == (ref + dt.timedelta(weeks=1), "relative", "week")
    last_month, kind, precision = resolve_relative("last month", ref)
    assert (kind, precision) == ("relative", "month")
    assert (last_month.year * 12 + last_month.month) == (ref.year * 12 + ref.month) - 1
    assert last_month.day == min(ref.day, calendar.monthrange(last_month.year, last_month.month)[1])
    next_year, _, precision = resolve_relative("next year", ref)
    assert precision == "year" and next_year.year == ref.year + 1
    assert resolve_relative("within a year", ref)[:2] == (next_year, "deadline")


@given(n=st.integers(1, 100), unit=st.sampled_from(["days", "weeks", "months", "years"]), ref=refs,
       words=st.booleans(), lead=st.sampled_from(["within", "in", "within the next"]))
def test_deadlines_in_n_units(n: int, unit: str, ref: dt.date, words: bool, lead: str) -> None:
    number = spelled(n) if words and n < 100 and "-" not in spelled(n) else str(n)
    value, kind, _ = resolve_relative(f"{lead} {number} {unit}", ref)
    assert kind == "deadline"
    assert value > ref
    if unit == "days":
        assert value == ref + dt.timedelta(days=n)
    elif unit == "weeks":
        assert value == ref + dt.timedelta(weeks=n)
    elif unit == "months":
        assert (value.year * 12 + value.month) - (ref.year * 12 + ref.month) == n
    else:
        assert value.year == ref.year + n


def test_deadline_beyond_a_hundred_units_is_not_resolved() -> None:
    assert resolve_relative("within 101 days", dt.date(2026, 2, 4)) == (None, "deadline", "day")


@pytest.mark.parametrize("phrase", ["within nan days", "in infinity years", "within snan weeks"])
def test_number_like_words_in_deadlines_do_not_raise(phrase: str) -> None:
    value, kind, _ = resolve_relative(phrase, dt.date(2026, 2, 4))
    assert value is None and kind == "deadline"


def test_relative_dates_at_the_end_of_the_calendar_do_not_raise() -> None:
    find_dates("They will meet tomorrow, within a year.", dt.date.max)


@example(text="On February 4, 2026 and on Friday, yesterday, within three years.", ref=dt.date(2026, 2, 4))
@example(text="next Monday", ref=dt.date(2000, 2, 7))  # said on a Monday: a week later
@given(text=news_text, ref=refs)
def test_find_dates_on_news_like_text(text: str, ref: dt.date) -> None:
    found = find_dates(text, ref)
    _check_spans(text, found)
    for d in found:
        if d.kind != "weekday":
            continue
        which = d.text.split()[0].lower()
        if which in ("next", "coming"):  # strictly after the reference day: a week later on its own weekday
            assert d.past == d.future and 1 <= (d.future - ref).days <= 7
        elif which in ("last", "past"):
            assert d.past == d.future and 1 <= (ref - d.past).days <= 7
        else:
            for value in (d.past, d.future):
                assert value is not None and abs((value - ref).days) <= 6


def test_date_examples() -> None:
    ref = dt.date(2026, 2, 4)  # a Wednesday
    text = "On Monday the ministers met; they signed on February 4, 2026 and will meet again on 10 May, next week."
    found = {d.text: (d.kind, d.past, d.future) for d in find_dates(text, ref)}
    assert found["Monday"] == ("weekday", dt.date(2026, 2, 2), dt.date(2026, 2, 9))
    assert found["February 4, 2026"] == ("absolute", ref, ref)
    assert found["10 May"] == ("absolute", dt.date(2025, 5, 10), dt.date(2026, 5, 10))
    assert found["next week"] == ("relative", dt.date(2026, 2, 11), dt.date(2026, 2, 11))
    assert find_dates("February 30, 2026", ref) == []
    assert find_dates("on Friday", None) == []
