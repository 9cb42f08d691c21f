"""Which queries and updates may run: `SERVICE` and `LOAD` make the engine fetch remote IRIs, so they are refused
unless their host is allowed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Strings, comments and IRIs are skipped so that a keyword inside them does not count, and one outside them is seen.
_TOKEN = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*')"
    r"|(?P<comment>#[^\n]*)"
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<word>[?$]?[A-Za-z_][\w.-]*(?::[\w.%-]*)?|:[\w.%-]*)",
    re.S,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)  # SPARQL 19.2 escapes
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("comment",)]


def remote_iri_refusal(text: str, allowed_hosts: tuple[str, ...]) -> str | None:
    """Why the query or update may not run (a SERVICE or LOAD of a host not allowed), or None."""
    allowed = {h.lower() for h in allowed_hosts}
    toks = _tokens(text)
    prefixes: dict[str, str] = {}
    for i, (kind, value) in enumerate(toks):
        if kind != "word":
            continue
        word = value.upper()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
        if word not in ("SERVICE", "LOAD"):
            continue
        j = i + 1
        if j < len(toks) and toks[j][1].upper() == "SILENT":
            j += 1
        target = toks[j] if j < len(toks) else ("", "")
        iri = None
        if target[0] == "iri":
            iri = target[1][1:-1]
        elif target[0] == "word" and ":" in target[1] and not target[1].startswith(("?", "$")):
            prefix, _, local = target[1].partition(":")
            iri = prefixes.get(prefix, "") + local if prefix in prefixes else None
        host = urlsplit(iri).hostname if iri else None
        if host is None or host.lower() not in allowed:
            what = f"<{iri}>" if iri else "a variable or unknown IRI"
            return (f"{word} of {what} is not allowed on this endpoint"
                    + (f" (allowed hosts: {', '.join(sorted(allowed))})" if allowed else ""))
    return None
