"""One file or stdin: bytes in, the format's reader chosen, articles out."""

from __future__ import annotations

import codecs
import io
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

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
            if kind is None and _starts_jsonl(stream.peek(8192)[:8192]):  # type: ignore[attr-defined]
                kind = "jsonl"  # sniffed: read line by line as well
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
    """The articles piped in: JSON Lines when it starts with "{" (read line by line, like a .jsonl file, so a bad
    or binary line costs that line only), HTML when it starts with a tag, else text."""
    stream = stdin if stdin is not None else sys.stdin
    raw = getattr(stream, "buffer", None)
    limit = file_byte_limit(max_chars)
    if raw is not None:  # the real stdin: decode the bytes ourselves, like a file
        head = _head(raw, limit)
        if _starts_jsonl(head):
            yield from read_jsonl_stream(io.BufferedReader(_Prefixed(head, raw)), STDIN_SOURCE, max_chars)
            return
        data = head + raw.read(limit + 1 - len(head))
        if len(data) > limit:
            yield InputError(STDIN_SOURCE, f"input too large: more than {limit} bytes")
            return
        decoded = decode(data, STDIN_SOURCE, html=True)
    else:
        text = stream.read()
        if sniff(text) == "jsonl":  # lone surrogates pass through to the line's own decoding (and its warning)
            yield from read_jsonl_stream(io.BytesIO(text.encode("utf-8", "surrogatepass")), STDIN_SOURCE, max_chars)
            return
        decoded = checked(text, STDIN_SOURCE, []) if text.strip() else InputError(STDIN_SOURCE, "empty input")
    if isinstance(decoded, InputError):
        yield decoded
        return
    text, warnings = decoded
    yield from dispatch(sniff(text), text, STDIN_SOURCE, max_chars, warnings)


_BLANK = b" \t\r\n"


def _head(raw: BinaryIO, limit: int) -> bytes:
    """The first bytes of a stream, up to its first one that is not white space (or `limit` bytes, or the end)."""
    head = b""
    while len(head) <= limit:
        chunk = raw.read1(65536) if hasattr(raw, "read1") else raw.read(65536)
        head += chunk
        if not chunk or head.removeprefix(codecs.BOM_UTF8).lstrip(_BLANK):
            break
    return head


def _starts_jsonl(head: bytes) -> bool:
    return head.removeprefix(codecs.BOM_UTF8).lstrip(_BLANK).startswith(b"{")


class _Prefixed(io.RawIOBase):
    """The bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read1(len(buffer)) if hasattr(self._rest, "read1") else self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def guard(source: str, produce: Callable[[], Iterator[Result]]) -> Iterator[Result]:
    """Last line of defence: a bug on one odd input must not stop the batch. Tests assert it never fires."""
    try:
        yield from produce()
    except Exception as exc:  # reported as an InputError record, never swallowed silently
        yield InputError(source, f"internal error while reading: {type(exc).__name__}: {exc}")
