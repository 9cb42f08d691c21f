"""SPARQL protocol details of the endpoint: result formats and content negotiation, and the check that refuses
`SERVICE` and `LOAD` of remote IRIs (pyoxigraph would really fetch them) unless their host is allowed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from werkzeug.datastructures import MIMEAccept

# key -> (media type, other media types that mean it); the first key of each table is the default.
RESULTS_TYPES = {
    "json": ("application/sparql-results+json", ("application/json", "text/javascript", "application/javascript")),
    "xml": ("application/sparql-results+xml", ("application/xml", "text/xml")),
    "csv": ("text/csv", ()),
    "tsv": ("text/tab-separated-values", ()),
}
GRAPH_TYPES = {
    "turtle": ("text/turtle", ("application/x-turtle",)),
    "ntriples": ("application/n-triples", ("text/plain",)),
    "rdfxml": ("application/rdf+xml", ("application/xml", "text/xml")),
    "jsonld": ("application/ld+json", ("application/json",)),
    "nquads": ("application/n-quads", ()),
    "trig": ("application/trig", ()),
}
FILE_EXTENSIONS = {"json": "srj", "xml": "srx", "csv": "csv", "tsv": "tsv", "turtle": "ttl", "ntriples": "nt",
                   "rdfxml": "rdf", "jsonld": "jsonld", "nquads": "nq", "trig": "trig"}
# What `format=` (or `output=`) may say, for browsers and download links.
FORMAT_ALIASES = {
    "json": ("json", "jsonld"), "srj": ("json", None), "xml": ("xml", "rdfxml"), "srx": ("xml", None),
    "csv": ("csv", None), "tsv": ("tsv", None), "turtle": (None, "turtle"), "ttl": (None, "turtle"),
    "ntriples": (None, "ntriples"), "nt": (None, "ntriples"), "n-triples": (None, "ntriples"),
    "rdfxml": (None, "rdfxml"), "rdf": (None, "rdfxml"), "jsonld": (None, "jsonld"), "json-ld": (None, "jsonld"),
    "nquads": (None, "nquads"), "nq": (None, "nquads"), "trig": (None, "trig"),
}


def media_type(key: str) -> str:
    return (RESULTS_TYPES.get(key) or GRAPH_TYPES[key])[0]


def _best(accept: MIMEAccept, table: dict[str, tuple[str, tuple[str, ...]]]) -> tuple[str | None, float]:
    best, best_q = None, 0.0
    for key, (main, aliases) in table.items():  # table order breaks ties: the canonical types come first
        for mt in (main, *aliases):
            q = accept.quality(mt)
            if q > best_q:
                best, best_q = key, q
    return best, best_q


def negotiate(accept_header: str | None, fmt: str | None) -> tuple[str | None, str | None, bool]:
    """(results format, graph format, wants HTML). A format is None when the client accepts none of ours (406)."""
    if fmt:
        fmt = fmt.strip().lower()
        if fmt == "html":
            return "json", "ntriples", True
        if fmt in FORMAT_ALIASES:
            results, graph = FORMAT_ALIASES[fmt]
            return results, graph, False
        accept_header = fmt  # a media type given as format=
    if not accept_header or not accept_header.strip():
        return "json", "turtle", False
    accept = MIMEAccept(_parse_accept(accept_header))
    results, rq = _best(accept, RESULTS_TYPES)
    graph, _ = _best(accept, GRAPH_TYPES)
    # HTML only when asked for by name and preferred (a browser), never through */* (a script).
    html_q = max((q for mt, q in accept if mt.lower() in ("text/html", "application/xhtml+xml")), default=0.0)
    return results, graph, html_q > 0 and html_q > rq


def _parse_accept(header: str) -> list[tuple[str, float]]:
    out = []
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(b[2:])))
                except ValueError:
                    q = 0.0
        out.append((bits[0].lower(), q))
    return out


# -- remote IRIs ---------------------------------------------------------------------------------------------
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
