"""Text normalisation: the canonical form of article text every character offset later on counts in."""

from __future__ import annotations

import re
import unicodedata

_NBSP = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})
_MANY_NEWLINES = re.compile(r"\n{3,}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WS = re.compile(r"\s+")
# What XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets): C0 controls other than tab, line feed and
# carriage return, lone surrogates, U+FFFE and U+FFFF. Left in, they make RDF/XML and SPARQL XML results ill-formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_XML_AS = {"\x0b": "\n", "\x0c": "\n"}  # vertical tab and form feed break lines; the rest goes


def strip_controls(text: str) -> tuple[str, int]:
    """The text without the characters XML 1.0 cannot carry, and how many there were. Vertical tabs and form feeds
    become line breaks, lone surrogates U+FFFD, the others are removed."""
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        ch = m[0]
        return "\ufffd" if "\ud800" <= ch <= "\udfff" else _NOT_XML_AS.get(ch, "")

    if _NOT_XML.search(text) is None:  # the common case: no copy, no callback
        return text, 0
    return _NOT_XML.sub(replace, text), count


def replace_surrogates(text: str) -> str:
    """Lone surrogates (only possible from a JSON "\\ud800" escape) as U+FFFD: UTF-8, which everything downstream
    writes (and libxml2 reads), cannot hold them."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def clean_lines(text: str) -> str:
    """Line-level clean-up that keeps the line structure (used before page splitting)."""
    text = unicodedata.normalize("NFC", replace_surrogates(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NBSP)
    # Line by line: the regular expression `[^\S\n]+$` tried every start in a run of spaces that does not end its
    # line, quadratic in the run (31 s for 80,000 spaces)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def normalise_text(text: str) -> str:
    """The canonical article text: NFC, "\\n" line ends, no non-breaking spaces, no trailing spaces, at most one
    blank line in a row, no blank lines at either end, lone surrogates as U+FFFD. Everything else (curly quotes,
    dashes) is kept as is.
    Idempotent: normalise_text(normalise_text(t)) == normalise_text(t)."""
    text = _MANY_NEWLINES.sub("\n\n", clean_lines(text))
    return text.strip("\n")


def collapse(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", replace_surrogates(text))).strip()

