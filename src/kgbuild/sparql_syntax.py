"""SPARQL syntax errors for people: the line and column, a short expectation, and the line with a caret under the
place, as Oxigraph's own CLI shows them; the same text on the command line and in the endpoint's 400 answers."""

from __future__ import annotations

import re

_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
MAX_EXPECTED = 6  # names of tokens listed before "…"


def describe(query: str, error: BaseException | str) -> str:
    """`error` (a parser's SyntaxError, or its message) as 'line L, column C: expected …' and the query's line
    with a caret under column C. Messages without a position are returned as they are."""
    message = str(error).strip()
    match = _POSITION.match(message)
    if not match:
        return message
    line, column, rest = int(match[1]), int(match[2]), match[3].strip()
    lines = query.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return f"line {line}, column {column}: {_short(rest, text, column)}\n{_caret(text, column)}"


def _short(rest: str, text: str, column: int) -> str:
    if rest.startswith("expected one of "):
        names = [n.strip() for n in rest[len("expected one of "):].split(", ")]
        if "Prefix not found" in names:
            prefix = re.search(r"([A-Za-z][\w.-]*)?:[\w.-]*$", text[:column - 1])
            name = prefix[1] or "" if prefix else ""
            return f"undeclared prefix '{name}:' (declare it: PREFIX {name}: <...>)"
        # Oxigraph lists the reason for a rule it refuses among the tokens, as a sentence: that is the message.
        reasons = [n for n in names if len(n.split()) > 2 and re.search(r"[a-z]", n) and not re.search(r"[\['\"]", n)]
        if reasons:
            return "; ".join(reasons)
        words = [n for n in names if re.fullmatch(r"[A-Za-z][\w ]*", n)]  # keywords, not character classes
        if not words:
            return "unexpected character"
        if len(words) > MAX_EXPECTED:
            return "expected one of " + ", ".join(words[:MAX_EXPECTED]) + ", …"
        return "expected one of " + ", ".join(words)
    if rest == "expected IRI parsing failed":
        return "not a valid IRI (a relative IRI needs a BASE)"
    return rest


def _caret(text: str, column: int) -> str:
    shown = text if len(text) <= 100 else text[max(0, column - 60):column + 40]
    offset = column - 1 if len(text) <= 100 else min(column - 1, 60)
    return f"  {shown}\n  {' ' * max(0, offset)}^"
