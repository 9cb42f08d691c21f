"""One file or stdin: bytes in, the format's reader chosen, articles out."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ..records import InputError, Skipped
from .articles import Result
from .compressed import DEFAULT_MAX_DECOMPRESSED, NotRegular, TooLarge, open_input
from .decode import checked, decode
from .formats import file_byte_limit, kind_of, sniff
from .html import html_articles
from .json_records import json_articles, jsonl_articles, read_jsonl_stream
from .pages import text_articles

STDIN_SOURCE = "<stdin>"


def dispatch(kind: str, text: str, source: str, max_chars: int, warnings: list[str]) -> Iterator[Result]:
    if kind == "html":
        yield from html_articles(text, source, max_chars, warnings)
    elif kind == "json":
        yield from json_articles(text, source, max_chars, warnings)
    elif kind == "jsonl":
        yield from jsonl_articles(enumerate(text.split("\n"), 1), source, max_chars, warnings)
    else:
        yield from text_articles(text, source, max_chars, warnings)


def read_file(path: Path, max_chars: int, explicit: bool,
              max_decompressed: int = DEFAULT_MAX_DECOMPRESSED) -> Iterator[Result]:
    """The articles of one file. A named pipe, device or socket is an error when named (`explicit`), and skipped
    with a warning when met in a folder."""
    source = str(path)
    kind, gz = kind_of(path)
    try:
        stream = open_input(path, gz, max_decompressed)  # closed by the with below
    except NotRegular:
        reason = "not a regular file (a named pipe, device or socket)"
        yield InputError(source, reason) if explicit else Skipped(source, f"skipped: {reason}")
        return
    except OSError as exc:
        yield InputError(source, f"cannot open: {exc.strerror or exc}")
        return
    with stream:
        try:
            if kind == "jsonl":
                yield from read_jsonl_stream(stream, source, max_chars)
                return
            limit = file_byte_limit(max_chars)
            data = stream.read(limit + 1)
        except TooLarge as exc:
            yield InputError(source, str(exc))
            return
        except (OSError, EOFError, zlib.error) as exc:
            yield InputError(source, f"cannot read{' gzip data' if gz else ''}: {exc}")
            return
    if len(data) > limit:
        yield InputError(source, f"file too large: more than {limit} bytes")
        return
    decoded = decode(data, source, html=kind == "html" or kind is None)
    if isinstance(decoded, InputError):
        yield decoded
        return
    text, warnings = decoded
    yield from dispatch(kind or sniff(text), text, source, max_chars, warnings)


def read_stdin(stdin: TextIO | None, max_chars: int) -> Iterator[Result]:
    stream = stdin if stdin is not None else sys.stdin
    raw = getattr(stream, "buffer", None)
    if raw is not None:  # the real stdin: decode the bytes ourselves, like a file
        data = raw.read(file_byte_limit(max_chars) + 1)
        if len(data) > file_byte_limit(max_chars):
            yield InputError(STDIN_SOURCE, f"input too large: more than {file_byte_limit(max_chars)} bytes")
            return
        decoded = decode(data, STDIN_SOURCE, html=True)
    else:
        text = stream.read()
        decoded = checked(text, STDIN_SOURCE, []) if text.strip() else InputError(STDIN_SOURCE, "empty input")
    if isinstance(decoded, InputError):
        yield decoded
        return
    text, warnings = decoded
    yield from dispatch(sniff(text), text, STDIN_SOURCE, max_chars, warnings)


def guard(source: str, produce: Callable[[], Iterator[Result]]) -> Iterator[Result]:
    """Last line of defence: a bug on one odd input must not stop the batch. Tests assert it never fires."""
    try:
        yield from produce()
    except Exception as exc:  # reported as an InputError record, never swallowed silently
        yield InputError(source, f"internal error while reading: {type(exc).__name__}: {exc}")
