"""Dates in the forms news sources write them, and datelines ("ISLAMABAD:", "LONDON, March 22 -")."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterable

from .normalise import collapse

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_PREFIX = re.compile(r"^(?:last\s+)?(?:updated|published|posted|date)(?:\s+on)?\s*:?\s*", re.IGNORECASE)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE)
# Reuters wire form "22-MAR-1987 06:42:31.92"; the corpus has stray bytes after it ("...13&#5;&#5;RM").
_WIRE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?:\D.*)?")
_DMY = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH}),?\s+(\d{{4}})(?:,?\s+\d{{1,2}}:\d{{2}}.*)?", re.I)
_MDY = re.compile(rf"({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?:,?\s+\d{{1,2}}:\d{{2}}.*)?", re.I)


def _tz(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.upper() == "Z":
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    return dt.timezone(sign * dt.timedelta(minutes=minutes))


def parse_date(value: str) -> dt.date | dt.datetime | None:
    """A date or datetime from the forms news sources use, or None.

    ISO date / datetime, wire "22-MAR-1987 06:42:31.92", "04 February 2026", "February 4, 2026", RFC 2822,
    optionally after "Updated"/"Published"/a weekday. Month names are English whatever the locale.
    """
    text = _WEEKDAY.sub("", _DATE_PREFIX.sub("", collapse(value)))
    if not text:
        return None
    try:
        if m := _ISO.fullmatch(text):
            y, mo, d, hh, mi, ss, frac, tz = m.groups()
            if hh is None:
                return dt.date(int(y), int(mo), int(d))
            micro = int((frac or "0")[:6].ljust(6, "0"))
            return dt.datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), micro, tzinfo=_tz(tz))
        if m := _WIRE.fullmatch(text):
            d, mon, y, hh, mi, ss, frac = m.groups()
            month = _MONTHS.get(mon.lower())
            if month is None:
                return None
            micro = int((frac or "0").ljust(6, "0"))
            return dt.datetime(int(y), month, int(d), int(hh), int(mi), int(ss or 0), micro)
        if re.search(r"\d{1,2}:\d{2}", text):  # RFC 2822 needs a time; without one it guesses too freely
            try:
                return email.utils.parsedate_to_datetime(text)
            except (ValueError, TypeError, IndexError, OverflowError):
                pass  # "04 February 2026 10:20" (full month name): the day is enough
        if m := _DMY.fullmatch(text):
            return dt.date(int(m[3]), _MONTHS[m[2].rstrip(".").lower()], int(m[1]))
        if m := _MDY.fullmatch(text):
            return dt.date(int(m[3]), _MONTHS[m[1].rstrip(".").lower()], int(m[2]))
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return None


_CAPS_PLACE = r"[A-Z][A-Z.'’\-]*(?: [A-Z][A-Z.'’\-]*){0,3}"
_PLACE = r"[A-Z][A-Za-z.'’\-]*(?: [A-Z][A-Za-z.'’\-]*){0,3}"
_DATELINES = (
    re.compile(rf"({_CAPS_PLACE})\s*:\s"),  # "ISLAMABAD: Pakistan and ..."
    re.compile(rf"({_PLACE}(?:, [A-Z][A-Za-z.]+)?),\s+({_MONTH})\s+(\d{{1,2}})(?:\s*\([^)]{{1,30}}\))?\s*[-–—]"),
    re.compile(rf"({_CAPS_PLACE})(?:, [A-Za-z. ]{{2,30}})?\s+\((?:Reuters|AP|AFP|dpa|Xinhua|APP|PTI|UPI)\)\s*[-–—]"),
)
# Leads that look like "CITY:" but are labels.
_NOT_PLACES = {"UPDATE", "UPDATED", "NOTE", "EDITOR'S NOTE", "BREAKING", "BREAKING NEWS", "WATCH", "ANALYSIS",
               "OPINION", "EXCLUSIVE", "LIVE", "CORRECTION", "PHOTO", "VIDEO", "READ MORE", "ALSO READ", "Q", "A"}


Dateline = tuple[str | None, dt.date | None]  # the place, the local day it gives


def _dateline_day(month: str, day: str, published: dt.date | dt.datetime | None) -> dt.date | None:
    """The day of a wire dateline ("PEKING, March 26"): its year is the one that puts it nearest the publication
    (a story filed on 31 December may carry "January 1"); None when there is no publication date to go by."""
    if published is None:
        return None
    ref = published.date() if isinstance(published, dt.datetime) else published
    month_number = _MONTHS.get(month.rstrip(".").lower())
    days = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            days.append(dt.date(year, month_number or 0, int(day)))
        except (ValueError, OverflowError):
            continue
    best = min(days, key=lambda d: abs(d - ref), default=None)
    return best if best is not None and abs((best - ref).days) <= 7 else None


def dateline_in(lines: Iterable[str], published: dt.date | dt.datetime | None = None) -> Dateline:
    """The dateline opening one of the first paragraphs ("ISLAMABAD: ...", "LONDON, March 22 - ...")."""
    seen = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        for pattern in _DATELINES:
            m = pattern.match(line)
            if m and m[1].strip() not in _NOT_PLACES:
                day = _dateline_day(m[2], m[3], published) if pattern.groups == 3 else None
                return m[1].strip(), day
        seen += 1
        if seen >= 3:
            break
    return None, None


def dateline_field(value: str, published: dt.date | dt.datetime | None) -> Dateline:
    """A dateline field: "LONDON, March 22" -> LONDON and that day; "TORRANCE, Calif., March 3" keeps the state."""
    text = collapse(value)
    if m := re.match(rf"(.+?),\s*({_MONTH})\s*(\d{{1,2}})\b", text):
        return (m[1].strip() or None), _dateline_day(m[2], m[3], published)
    if m := re.match(r"(.+?)\s*(?::|\(|\s[-–—]\s)", text):
        return (m[1].strip() or None), None
    return (text or None), None

