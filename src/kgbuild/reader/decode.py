"""Bytes to text: the encoding (BOM, meta charset, detection) and whether the content is text at all."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..records import InputError

# C0 controls other than tab, newline, vertical tab, form feed and carriage return, plus DEL.
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_KEEP_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def looks_binary_bytes(data: bytes) -> bool:
    sample = data[:8192]
    return b"\x00" in sample or len(sample.translate(None, _KEEP_CONTROL)) > len(sample) // 10


def _looks_binary_text(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0b\x0c")
    return "\x00" in sample or controls > len(sample) // 10


def decode(data: bytes, source: str, html: bool = False) -> tuple[str, list[str]] | InputError:
    """Text of a file: UTF-8 (with or without BOM), UTF-16/32 with a BOM, the HTML meta charset, else detected."""
    if not data.strip():
        return InputError(source, "empty file")
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return InputError(source, f"undecodable text: invalid {codec.upper()}")
            return checked(text, source, [])
    if looks_binary_bytes(data):
        return InputError(source, "binary content, not text")
    try:
        return checked(data.decode("utf-8-sig"), source, [])
    except UnicodeDecodeError:
        pass
    if html and (m := re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096], re.IGNORECASE)):
        try:
            codec = codecs.lookup(m[1].decode("ascii")).name
            return checked(data.decode(codec), source, [f"{source}: not UTF-8; decoded as {codec} (meta charset)"])
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    import charset_normalizer  # imported when needed: most input is UTF-8

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return InputError(source, "undecodable text: not UTF-8 and no other encoding fits")
    return checked(str(best), source, [f"{source}: not UTF-8; decoded as {best.encoding} (detected)"])


def checked(text: str, source: str, warnings: list[str]) -> tuple[str, list[str]] | InputError:
    if not text.strip():
        return InputError(source, "empty file")
    if _looks_binary_text(text):
        return InputError(source, "binary content, not text")
    return text, warnings

