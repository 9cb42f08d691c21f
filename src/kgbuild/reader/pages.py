"""Scraped news pages (one file may hold several) and plain text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..records import InputError
from .articles import Result, make_article
from .dates import dateline_in, parse_date
from .normalise import clean_lines

# Whole lines that are page chrome, not news (compared case-insensitively).
_FURNITURE = {
    "short url", "follow", "share", "tweet", "email", "e-mail", "print", "comment", "comments", "whatsapp",
    "facebook", "twitter", "x", "linkedin", "telegram", "reddit", "copy link", "copied", "link copied",
    "read more", "advertisement", "ad", "listen", "save", "bookmark", "subscribe", "font size", "a+", "a-",
    "share this article", "follow us", "related", "most popular",
}
_BULLET = re.compile(r"^\s*[•▪●◦‣∙·]\s*")


def _is_furniture(line: str) -> bool:
    return line.strip().lower() in _FURNITURE


def _date_line(line: str) -> dt.date | dt.datetime | None:
    """The date of a line that is only a date ("Updated 04 February 2026", "February 4, 2026", ISO)."""
    line = line.strip()
    if not line or len(line) > 60 or not re.search(r"\d{4}", line):
        return None
    return parse_date(line)


_UPDATED = re.compile(r"^\s*(?:last\s+)?(?:updated|published|posted)\b", re.IGNORECASE)


@dataclass
class _Page:
    start: int  # line index of the headline
    headline: str
    published: dt.date | dt.datetime
    body_start: int  # first line after the repeated headline


def _split_pages(lines: list[str]) -> list[_Page]:
    """Pages of a scraped file: each has "Updated <date>" followed (after page chrome) by its headline again.

    The repeated headline is what tells a page start from a body line, so a file without it is not split.
    """
    pages: list[_Page] = []
    low = 0
    for u, line in enumerate(lines):
        if not _UPDATED.match(line) or (published := _date_line(line)) is None:
            continue
        a = u + 1
        while a < len(lines) and (not lines[a].strip() or _is_furniture(lines[a])):
            a += 1
        if a >= len(lines):
            continue
        headline = lines[a].strip()
        start = next((i for i in range(u - 1, max(low, u - 20) - 1, -1) if lines[i].strip() == headline), None)
        if start is None:
            continue
        pages.append(_Page(start, headline, published, a + 1))
        low = a + 1
    return pages


def text_articles(text: str, source: str, max_chars: int, warnings: list[str]) -> Iterator[Result]:
    lines = clean_lines(text).split("\n")
    pages = _split_pages(lines)
    if not pages:
        yield _plain_article(lines, source, max_chars, warnings)
        return
    if any(line.strip() for line in lines[: pages[0].start]):
        warnings = [*warnings, f"{source}: dropped the lines before the first page headline"]
    for n, page in enumerate(pages):
        end = pages[n + 1].start if n + 1 < len(pages) else len(lines)
        body: list[str] = []
        lead: int | None = None  # first non-bullet line: where the dateline is
        for line in lines[page.body_start:end]:
            if _is_furniture(line):
                continue
            if _BULLET.match(line):
                line = _BULLET.sub("", line)
            elif lead is None and line.strip():
                lead = len(body)
            body.append(line)
        dateline = dateline_in(body[lead:], page.published) if lead is not None else (None, None)
        where = f"{source}:{page.start + 1}" if len(pages) > 1 else source
        yield make_article(page.headline, "\n".join(body), where, max_chars, published=page.published,
                       dateline=dateline, warnings=warnings)


def _plain_article(lines: list[str], source: str, max_chars: int, warnings: list[str]) -> Result:
    """First non-empty line is the headline; page chrome and one date line just under it are dropped."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return InputError(source, "empty file")
    rest = lines[first + 1:]
    published = None
    i, looked = 0, 0
    while i < len(rest) and looked < 4:  # the date line, if any, sits among the first few lines
        line = rest[i]
        if not line.strip():
            i += 1
            continue
        if _is_furniture(line):
            del rest[i]
            continue
        if published is None and (found := _date_line(line)) is not None:
            published = found
            del rest[i]
            continue
        looked += 1
        i += 1
    return make_article(lines[first], "\n".join(rest), source, max_chars, published=published,
                    dateline=dateline_in(rest, published), warnings=warnings)

