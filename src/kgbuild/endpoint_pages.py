"""The query page at / and the resource page at /resource (DESCRIBE of one IRI as a table)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import HTTPException

from . import formats
from .endpoint_protocol import fail, http_link, run
from .vocab import PREFIXES

blueprint = Blueprint("pages", __name__)

HTML_MAX_ROWS = 2_000  # a page with more rows is no use to a reader; the download links give everything


@cache
def examples() -> list[dict[str, str]]:
    """The competency questions shipped with the package, as examples for the query page."""
    out = []
    folder = resources.files("kgbuild") / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            text = entry.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            title = first.lstrip("# ").strip() if first.startswith("#") else entry.name
            out.append({"id": entry.name[:-3], "title": title, "query": text})
    return out


def short(iri: str) -> str:
    """A prefixed name for display when one of our prefixes fits."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best) and "/" not in iri[len(ns):] and "#" not in iri[len(ns):]:
            best, name = ns, f"{prefix}:{iri[len(ns):]}"
    return name if best else iri


def _cell(term: dict | None) -> dict:
    """A SPARQL JSON term as the template shows it."""
    if term is None:
        return {"kind": "empty", "text": ""}
    if term["type"] == "uri":
        return {"kind": "iri", "text": short(term["value"]), "iri": term["value"]}
    if term["type"] == "bnode":
        return {"kind": "bnode", "text": "_:" + term["value"]}
    note = f"@{term['xml:lang']}" if "xml:lang" in term else ""
    if "datatype" in term and not term["datatype"].endswith("#string"):
        note = "^^" + short(term["datatype"])
    return {"kind": "literal", "text": term["value"], "note": note}


def _term_json(term: object) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if getattr(term, "language", None):
        out["xml:lang"] = term.language
    elif getattr(term, "datatype", None):
        out["datatype"] = term.datatype.value
    return out


def _table(fmt: formats.Format, body: bytes) -> tuple[dict, list[str]]:
    """Results as a table for the page, and the formats they can be downloaded in."""
    if fmt.is_results:
        data = json.loads(body)
        if "boolean" in data:
            return ({"head": ["answer"], "rows": [[{"kind": "literal", "text": str(data["boolean"]).lower()}]]},
                    list(formats.RESULTS))
        head = data["head"]["vars"]
        rows = [[_cell(b.get(v)) for v in head] for b in data["results"]["bindings"]]
        return {"head": head, "rows": rows}, list(formats.RESULTS)
    rows = [[_cell(_term_json(t.subject)), _cell(_term_json(t.predicate)), _cell(_term_json(t.object))]
            for t in ox.parse(body, ox.RdfFormat.N_TRIPLES)]
    return {"head": ["subject", "predicate", "object"], "rows": rows}, list(formats.GRAPHS)


def render(query: str, *, title: str, iri: str | None = None, execute: bool = True) -> Response:
    ctx: dict[str, object] = {"query": query, "examples": examples(), "title": title, "iri": iri,
                              "iri_href": http_link(iri),
                              "error": None, "table": None, "downloads": [], "truncated": False}
    status = 200
    if execute and query.strip():
        try:
            fmt, body, truncated = run(query, formats.Choice(formats.RESULTS["json"], formats.GRAPHS["ntriples"]),
                                       rows=HTML_MAX_ROWS)
        except HTTPException as exc:  # shown on the page, with the status of the failure
            resp = exc.response
            ctx["error"] = resp.get_data(as_text=True) if resp is not None else str(exc.description)
            status = resp.status_code if resp is not None else (exc.code or 500)
        else:
            ctx["truncated"] = truncated
            ctx["table"], keys = _table(fmt, body)
            ctx["downloads"] = [(k, "/sparql?" + urlencode({"query": query, "format": k, "download": 1}))
                                for k in keys]
    return Response(render_template("query.html", **ctx), status=status, content_type="text/html; charset=utf-8")


@blueprint.route("/", methods=["GET", "POST"])
def page() -> Response:
    query = request.values.get("query")
    if query is not None:
        return render(query, title="kgbuild SPARQL")
    # ?example=cq01-states fills the editor without running, so the reader sees the question first
    known = examples()
    example = next((e for e in known if e["id"] == request.args.get("example")), None)
    return render(example["query"] if example else known[0]["query"] if known else "",
                  title="kgbuild SPARQL", execute=False)


@blueprint.route("/resource")
def resource() -> Response:
    iri = request.args.get("iri", "")
    try:
        ox.NamedNode(iri)
    except ValueError:
        fail(400, f"not an IRI: {iri!r}")
    return render(f"DESCRIBE <{iri}>", title=short(iri), iri=iri)
