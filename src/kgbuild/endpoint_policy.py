"""Which queries and updates may run, decided on the parsed request, never on its text.

`SERVICE` and `LOAD` make the engine fetch IRIs from other hosts, so they are refused unless their host is allowed;
`LOAD SILENT` of any other IRI is let through marked (`Checked.silent_loads`): it must succeed without fetching.
The request is parsed with rdflib's SPARQL parser and the parse tree walked for every `SERVICE` (in subqueries,
OPTIONAL, UNION, EXISTS, ...) and `LOAD`. Oxigraph then runs the same text, so the two parsers must see the same
tokens. Two differences are removed: SPARQL ends a comment at a carriage return as well as at a line feed, rdflib's
tokenizer only at a line feed, so rdflib is given the text with CR made LF (this moves no token boundary Oxigraph
sees); and rdflib's parse functions replace \\u escapes in the whole text first (as SPARQL 1.1 section 19.2 says)
while Oxigraph reads them only inside strings and IRIs, so `"a\\u0022 ...` would end a string for one parser and not
the other: rdflib's grammar is used directly, without that step, and is given each escape inside a string or an IRI
already read, as Oxigraph reads it (a quote inside a string as `\\"`, so that it ends nothing; see _read_escapes). An
escape anywhere else is no SPARQL for Oxigraph and stays unreadable for rdflib. A request rdflib cannot parse is
refused: it is never run unchecked.

The parse also tells whether a query names its dataset (FROM, FROM NAMED) or an update its graphs (USING, WITH):
the server's union default graph is used only when none is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import urljoin, urlsplit


class Refused(Exception):
    """The request may not run here; `status` is its HTTP status (400 unparsable, 403 forbidden)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Checked:
    """What the policy learnt from the parse."""

    names_dataset: bool  # FROM / FROM NAMED in a query, USING / USING NAMED / WITH in an update
    # LOAD SILENT of an IRI this server may not fetch: SPARQL 1.1 Update says SILENT makes a failed LOAD a success,
    # so it is not refused; the caller runs it where it can fetch nothing, or not at all (see endpoint_worker).
    silent_loads: int = 0
    operations: int = 0  # the operations of an update


def _walk(node: object) -> Iterator[object]:
    """Every node of an rdflib parse tree (CompValue is a dict of children, ParseResults a list)."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(dict.values(item))
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(list(item))


def _field(node: object, key: str) -> object:
    """A child of a parse tree node, or None (rdflib's CompValue.get answers the key itself when it is missing)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _name(node: object) -> str | None:
    return getattr(node, "name", None) if isinstance(node, dict) else None


def _resolve(term: object, prefixes: dict[str, str], base: str | None) -> str | None:
    """The IRI a SERVICE or LOAD names, or None for a variable or an unknown prefix."""
    from rdflib.term import URIRef

    if isinstance(term, URIRef):
        return urljoin(base, str(term)) if base else str(term)
    if _name(term) == "pname":
        prefix = _field(term, "prefix") or ""
        if prefix in prefixes:
            return prefixes[prefix] + (_field(term, "localname") or "")
    return None


def warm_up() -> None:
    check("ASK {}", update=False)
    check("CLEAR SILENT DEFAULT", update=True)


def check(text: str, *, update: bool, allowed_hosts: tuple[str, ...] = (), base: str | None = None) -> Checked:
    """Parse a query (or update) and decide whether it may run; raise Refused if not."""
    if len(text) > _CACHED_TEXT:
        return _check(text, update, allowed_hosts, base)
    return _cached_check(text, update, allowed_hosts, base)


_CACHED_TEXT = 20_000  # the same queries come again and again (pages, dashboards): their parse is kept


@lru_cache(maxsize=512)
def _cached_check(text: str, update: bool, allowed_hosts: tuple[str, ...], base: str | None) -> Checked:
    return _check(text, update, allowed_hosts, base)


def _check(text: str, update: bool, allowed_hosts: tuple[str, ...], base: str | None) -> Checked:
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query, UpdateUnit

    what = "update" if update else "query"
    try:
        text = _read_escapes(text).replace("\r", "\n")
        tree = UpdateUnit.parse_string(text, parse_all=True)[0] if update else Query.parse_string(text, parse_all=True)
    except ParseBaseException as exc:
        raise Refused(400, f"malformed {what}: {exc}") from None
    except MemoryError:
        raise Refused(413, f"the {what} is too large to be read within this server's memory limit "
                           "(kgbuild serve --max-query-memory)") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise Refused(400, f"malformed {what}: {type(exc).__name__}: {str(exc)[:200]}") from None
    prefixes: dict[str, str] = {}
    names_dataset = False
    allowed = {h.lower() for h in allowed_hosts}
    for node in _walk(tree):
        kind = _name(node)
        if kind == "PrefixDecl":
            prefixes[_field(node, "prefix") or ""] = str(_field(node, "iri"))
        elif kind == "Base":
            base = urljoin(base, str(_field(node, "iri"))) if base else str(_field(node, "iri"))
        elif kind in ("DatasetClause", "UsingClause") or (kind == "Modify" and _field(node, "withClause") is not None):
            names_dataset = True
    # A second pass, so that a PREFIX declared anywhere in the prologue is known (rdflib's order is not the text's).
    silent_loads = 0
    for node in _walk(tree):
        kind = _name(node)
        if kind not in ("ServiceGraphPattern", "Load"):
            continue
        keyword = "SERVICE" if kind == "ServiceGraphPattern" else "LOAD"
        iri = _resolve(_field(node, "term") if kind == "ServiceGraphPattern" else _field(node, "iri"), prefixes, base)
        parts = urlsplit(iri) if iri else None
        if parts is not None and parts.scheme in ("http", "https") and (parts.hostname or "").lower() in allowed:
            continue
        if kind == "Load" and _field(node, "silent"):
            silent_loads += 1
        elif not allowed:
            raise Refused(403, f"{keyword} is not allowed on this endpoint: it would make the server fetch "
                               f"{f'<{iri}>' if iri else 'a remote IRI'} (start it with --allow-service-host HOST)")
        else:
            what_iri = f"<{iri}>" if iri else "a variable or an unknown IRI"
            raise Refused(403, f"{keyword} of {what_iri} is not allowed on this endpoint "
                               f"(allowed hosts: {', '.join(sorted(allowed))})")
    operations = len(_field(tree, "request") or []) if update else 0
    return Checked(names_dataset, silent_loads, operations)


# Strings, comments (ended by CR or LF) and IRIs, so that braces and keywords inside them are skipped.
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'|#[^\n\r]*|<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"
    r"|[{}]|[A-Za-z_]+",
    re.S,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\.", re.S)
_AS_ECHAR = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _read_escapes(text: str) -> str:
    """The text with each \\u or \\U escape inside a string or an IRI replaced by what Oxigraph reads there.

    Only characters that cannot move a token boundary are written out: letters, digits and any non-ASCII character;
    in a string, a quote, backslash or control character becomes its two-character escape (which holds a backslash,
    so it is no SPARQL outside a string). Any other escape is left as written, which rdflib cannot read: refused."""
    if "\\u" not in text and "\\U" not in text:
        return text
    out, last = [], 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token[0] in "\"'<" and "\\" in token:
            out.append(text[last:m.start()] + _ESCAPE.sub(partial(_read_escape, in_iri=token[0] == "<"), token))
            last = m.end()
    return "".join(out) + text[last:]


def _read_escape(escape: re.Match, in_iri: bool) -> str:
    if escape.group(1) is None and escape.group(2) is None:
        return escape.group()  # \\n, \\" ...: rdflib reads these itself
    code = int(escape.group(1) or escape.group(2), 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"{escape.group()} is no character")
    char = chr(code)
    if code > 0x7F or char.isalnum():
        return char
    return escape.group() if in_iri else _AS_ECHAR.get(char, escape.group())


def with_using(update: str, default: list[str], named: list[str]) -> str:
    """The update with `USING <g>` / `USING NAMED <g>` before the WHERE of each DELETE/INSERT operation: what the
    Protocol's using-graph-uri and using-named-graph-uri parameters mean. The result is checked again by `check`."""
    clause = " ".join([*(f"USING <{g}>" for g in default), *(f"USING NAMED <{g}>" for g in named)]) + " "
    out, last, depth, previous = [], 0, 0, ""
    for m in _TOKEN.finditer(update):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0 and token.upper() == "WHERE" and previous != "DELETE":
            out.append(update[last:m.start()] + clause)
            last = m.start()
        if token[0].isalpha():
            previous = token.upper()
    return "".join(out) + update[last:]
