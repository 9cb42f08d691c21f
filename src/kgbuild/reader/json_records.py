"""JSON (one object or an array) and JSON Lines records."""

from __future__ import annotations

import codecs
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from ..records import InputError
from .articles import Result, make_article
from .compressed import TooLarge
from .dates import dateline_field, dateline_in, parse_date
from .decode import decode, looks_binary_bytes
from .formats import file_byte_limit
from .normalise import clean_lines

_FIELDS = {
    "id": ("id", "identifier", "guid", "uuid"),
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "articleBody", "article"),
    "date": ("date", "published", "published_at", "publishedAt", "datePublished", "pubDate", "publication_date"),
    "dateline": ("dateline",),
    "url": ("url", "link"),
}


def _field(record: dict, name: str) -> object:
    for key in _FIELDS[name]:
        value = record.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def _record_article(record: object, source: str, max_chars: int, warnings: list[str]) -> Result:
    if not isinstance(record, dict):
        return InputError(source, f"JSON value is not an object (got {_json_type(record)})")
    warnings = list(warnings)
    text = _field(record, "text")
    if text is None:
        return InputError(source, "missing or empty text")
    if not isinstance(text, str):
        return InputError(source, f"text is not a string (got {_json_type(text)})")
    title = _field(record, "title")
    if title is not None and not isinstance(title, str):
        warnings.append(f"{source}: ignored a title that is not a string")
        title = None
    identifier = _field(record, "id")
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        identifier = str(identifier)
    elif identifier is not None and not isinstance(identifier, str):
        warnings.append(f"{source}: ignored an id that is not a string")
        identifier = None
    published = None
    date = _field(record, "date")
    if date is not None:
        published = parse_date(date) if isinstance(date, str) else None
        if published is None:
            warnings.append(f"{source}: unparseable date {str(date)[:80]!r}; the article is kept without a date")
    url = _field(record, "url")
    url = (url.strip() or None) if isinstance(url, str) else None
    dateline_value = _field(record, "dateline")
    dateline = dateline_field(dateline_value, published) if isinstance(dateline_value, str) else (None, None)
    if dateline[0] is None:
        dateline = dateline_in(clean_lines(text).split("\n"), published)
    return make_article(title or "", text, source, max_chars, published=published, identifier=identifier, url=url,
                    dateline=dateline, warnings=warnings)


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    return f"invalid JSON: {exc}"


def json_articles(text: str, source: str, max_chars: int, warnings: list[str]) -> Iterator[Result]:
    """A .json file: one object, or an array of objects (each named by the line it starts on)."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text):
        yield InputError(source, "empty file")
        return
    if text[pos] != "[":
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            yield InputError(_at_line(source, exc), _json_error(exc))
            return
        if _skip_ws(text, end) < len(text):  # several objects one after another: JSON Lines in a .json file
            yield from jsonl_articles(enumerate(text.split("\n"), 1), source, max_chars, warnings)
            return
        yield _record_article(value, source, max_chars, warnings)
        return
    # Walk the array element by element so one bad element does not lose the others, and each gets a line.
    pos = _skip_ws(text, pos + 1)
    if text.startswith("]", pos):
        yield InputError(source, "empty JSON array")
        return
    while True:
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            yield InputError(_at_line(source, exc, line), _json_error(exc))
            return
        yield _record_article(value, f"{source}:{line}", max_chars, warnings)
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
            continue
        if text.startswith("]", pos) and _skip_ws(text, pos + 1) >= len(text):
            return
        yield InputError(f"{source}:{text.count(chr(10), 0, pos) + 1}", "invalid JSON: expected ',' or ']'")
        return


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _at_line(source: str, exc: Exception, default: int | None = None) -> str:
    line = exc.lineno if isinstance(exc, json.JSONDecodeError) else default
    return f"{source}:{line}" if line else source


def jsonl_articles(
    lines: Iterable[tuple[int, str | InputError]], source: str, max_chars: int, warnings: list[str]
) -> Iterator[Result]:
    seen = False
    for number, line in lines:
        if isinstance(line, InputError):
            seen = True
            yield line
            continue
        if not line.strip():
            continue
        seen = True
        where = f"{source}:{number}"
        line_warnings = warnings
        if isinstance(line, _Cp1252Line):
            line_warnings = [*warnings, f"{where}: not UTF-8; decoded as cp1252"]
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield InputError(where, _json_error(exc))
            continue
        yield _record_article(value, where, max_chars, line_warnings)
    if not seen:
        yield InputError(source, "empty file")


class _Cp1252Line(str):
    """A JSON Lines line that was not UTF-8 and was read as cp1252 (so its articles carry a warning)."""


def binary_lines(stream: BinaryIO, source: str, max_chars: int) -> Iterator[tuple[int, str | InputError]]:
    """Lines of a JSON Lines stream, read one at a time (files can be large) and each capped in length.

    Binary content is judged line by line: a NUL in line 1 costs line 1, not the file."""
    cap = 8 * max_chars + 65536  # bytes: JSON escapes and UTF-8 make a line longer than its text
    number = 0
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        number += 1
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if len(line.rstrip(b"\r\n")) > cap:
            while line and not line.endswith(b"\n"):  # skip the rest of the over-long line
                line = stream.readline(1 << 20)
            yield number, InputError(f"{source}:{number}", f"line too long: more than {cap} bytes")
            continue
        if looks_binary_bytes(line):
            yield number, InputError(f"{source}:{number}", "binary content, not text")
            continue
        try:
            yield number, line.decode("utf-8")
        except UnicodeDecodeError:
            # JSON must be UTF-8; a legacy file is still worth reading, with a warning via the error-free path
            yield number, _Cp1252Line(line.decode("cp1252", errors="replace"))


def read_jsonl_stream(stream: BinaryIO, source: str, max_chars: int) -> Iterator[Result]:
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
    try:
        head = buffered.peek(8192)[:8192]
    except TooLarge as exc:
        yield InputError(source, str(exc))
        return
    except (OSError, EOFError, zlib.error) as exc:  # corrupt or truncated gzip within its first block
        yield InputError(source, f"cannot read: {exc}")
        return
    if not head:
        yield InputError(source, "empty file")
        return
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # rare: decode it whole, like a text file
        data = buffered.read(file_byte_limit(max_chars) + 1)
        decoded = decode(data, source)
        if isinstance(decoded, InputError):
            yield decoded
        else:
            yield from jsonl_articles(enumerate(decoded[0].split("\n"), 1), source, max_chars, decoded[1])
        return
    if b"\n" not in head.rstrip(b"\r\n") and looks_binary_bytes(head):  # no lines to tell apart: the file is binary
        yield InputError(source, "binary content, not text")
        return
    try:
        yield from jsonl_articles(binary_lines(buffered, source, max_chars), source, max_chars, [])
    except TooLarge as exc:
        yield InputError(source, str(exc))
    except (OSError, EOFError, zlib.error) as exc:  # corrupt or truncated gzip part-way through
        yield InputError(source, f"cannot read: {exc}")
