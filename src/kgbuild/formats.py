"""The one table of RDF and SPARQL result formats: names, media types and file extensions come from pyoxigraph's
`RdfFormat` and `QueryResultsFormat`; only the short names people type (`--format`, `format=`) and the media types
other tools send for a format are added here. The endpoint, the CLI's export and query, and the pages all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    """One serialisation: `key` is its short name; `ox` the pyoxigraph format that writes it."""

    key: str
    ox: ox.RdfFormat | ox.QueryResultsFormat
    media_types: tuple[str, ...]  # the canonical one first, then those other clients send for it
    names: tuple[str, ...] = ()  # other `format=` names for it (as SPARQLWrapper, YASGUI and browsers send them)

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def extension(self) -> str:
        return self.ox.file_extension

    @property
    def is_results(self) -> bool:
        return isinstance(self.ox, ox.QueryResultsFormat)

    @property
    def has_datasets(self) -> bool:
        return not self.is_results and self.ox.supports_datasets

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say their charset (they are always UTF-8)."""
        textual = self.media_type.startswith("text/") or self.key in ("ntriples", "nquads", "trig")
        return self.media_type + ("; charset=utf-8" if textual else "")


def _fmt(key: str, fmt: ox.RdfFormat | ox.QueryResultsFormat, *, also: tuple[str, ...] = (),
         names: tuple[str, ...] = ()) -> Format:
    main = fmt.media_type.split(";")[0].strip()  # pyoxigraph adds "; charset=utf-8" to CSV and TSV
    return Format(key, fmt, (main, *also), names)


# Table order is preference order when a client accepts several equally (e.g. */*): the first of each kind wins.
RESULTS = {f.key: f for f in (
    _fmt("json", ox.QueryResultsFormat.JSON, also=("application/json", "text/javascript", "application/javascript"),
         names=("srj",)),
    _fmt("xml", ox.QueryResultsFormat.XML, also=("application/xml", "text/xml"), names=("srx",)),
    _fmt("csv", ox.QueryResultsFormat.CSV),
    _fmt("tsv", ox.QueryResultsFormat.TSV),
)}
GRAPHS = {f.key: f for f in (
    _fmt("turtle", ox.RdfFormat.TURTLE, also=("application/x-turtle",), names=("ttl",)),
    _fmt("ntriples", ox.RdfFormat.N_TRIPLES, also=("text/plain", "application/x-ntriples"),
         names=("nt", "n-triples")),
    _fmt("rdfxml", ox.RdfFormat.RDF_XML, also=("application/xml", "text/xml"), names=("rdf", "rdf+xml", "xml")),
    _fmt("jsonld", ox.RdfFormat.JSON_LD, also=("application/json",), names=("json-ld", "json")),
    _fmt("n3", ox.RdfFormat.N3, also=("text/rdf+n3",)),
    _fmt("nquads", ox.RdfFormat.N_QUADS, names=("nq", "n-quads")),
    _fmt("trig", ox.RdfFormat.TRIG),
)}
ALL = {**RESULTS, **GRAPHS}
HTML_TYPES = ("text/html", "application/xhtml+xml")


def get(key: str) -> Format:
    return ALL[key]


def _named(name: str, table: dict[str, Format]) -> Format | None:
    """The format of `table` that a `format=` value names: a key, an alias or a media type."""
    name = name.strip().lower().replace(" ", "+")  # a bare "+" in a URL arrives as a space: rdf+xml
    for f in table.values():
        if name == f.key or name in f.names or name in f.media_types:
            return f
    return None


def by_name(name: str) -> tuple[Format | None, Format | None]:
    """(results format, graph format) that a `format=`/`output=` value names; None where it names none of that kind."""
    return _named(name, RESULTS), _named(name, GRAPHS)


def _best(accept: MIMEAccept, table: dict[str, Format]) -> tuple[Format | None, float]:
    best, best_q = None, 0.0
    for f in table.values():  # table order breaks ties: the canonical types come first
        for mt in f.media_types:
            q = accept.quality(mt)
            if q > best_q:
                best, best_q = f, q
    return best, best_q


@dataclass(frozen=True)
class Choice:
    """What a request asked for: the format for a results answer, for a graph answer, or an HTML page.
    A format is None when the client accepts none of that kind (a 406 if that kind is what the query gives)."""

    results: Format | None
    graph: Format | None
    html: bool = False


def _without_parameters(header: str) -> str:
    """The Accept header with only the q parameter: `text/turtle; charset=utf-8` asks for Turtle (werkzeug would
    match it only to a type with that very parameter)."""
    parts = []
    for item in header.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        parts.append(";".join([media, *(p for p in params if p.lower().startswith("q="))]))
    return ",".join(parts)


def negotiate(accept_header: str | None, name: str | None = None) -> Choice:
    """Content negotiation: an explicit `format=` name wins over the Accept header (browsers cannot set Accept)."""
    if name:
        if name.strip().lower() == "html":
            return Choice(RESULTS["json"], GRAPHS["ntriples"], True)
        results, graph = by_name(name)
        if results or graph:
            return Choice(results, graph)
        accept_header = name  # an unknown name: treat it as a media type, which then matches nothing (406)
    if not accept_header or not accept_header.strip():
        return Choice(RESULTS["json"], GRAPHS["turtle"])
    from werkzeug.datastructures import MIMEAccept  # here: query workers import this module and never negotiate
    from werkzeug.http import parse_accept_header

    accept = parse_accept_header(_without_parameters(accept_header), MIMEAccept)
    results, rq = _best(accept, RESULTS)
    graph, _ = _best(accept, GRAPHS)
    # HTML only when asked for by name and preferred (a browser), never through */* (a script).
    html_q = max((q for mt, q in accept if mt.lower() in HTML_TYPES), default=0.0)
    return Choice(results, graph, html_q > 0 and html_q > rq)


def rdf_format(key: str) -> ox.RdfFormat:
    return GRAPHS[key].ox


def results_format(key: str) -> ox.QueryResultsFormat:
    return RESULTS[key].ox
