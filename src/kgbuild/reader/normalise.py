"""Text normalisation: the canonical form of article text every character offset later on counts in."""

from __future__ import annotations

import re
import unicodedata

_NBSP = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})
_TRAILING_WS = re.compile(r"[^\S\n]+$", re.MULTILINE)
_MANY_NEWLINES = re.compile(r"\n{3,}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WS = re.compile(r"\s+")


def clean_lines(text: str) -> str:
    """Line-level clean-up that keeps the line structure (used before page splitting)."""
    # A lone surrogate (only possible from a JSON "\\ud800" escape) cannot be written as UTF-8 anywhere downstream.
    text = unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NBSP)
    return _TRAILING_WS.sub("", text)


def normalise_text(text: str) -> str:
    """The canonical article text: NFC, "\\n" line ends, no non-breaking spaces, no trailing spaces, at most one
    blank line in a row, no blank lines at either end, lone surrogates as U+FFFD. Everything else (curly quotes,
    dashes) is kept as is.
    Idempotent: normalise_text(normalise_text(t)) == normalise_text(t)."""
    text = _MANY_NEWLINES.sub("\n\n", clean_lines(text))
    return text.strip("\n")


def collapse(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", text))).strip()

