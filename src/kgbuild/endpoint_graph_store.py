"""The SPARQL 1.1 Graph Store HTTP Protocol at /graph-store.

* Indirect identification: `/graph-store?graph=IRI` names a graph, `/graph-store?default` the store's own default
  graph (read and written as such: it is what a query sees as its default graph only when it names a dataset; with
  none, queries see the union of all graphs).
* Direct identification: `/graph-store/any/path` is the graph whose IRI is that URL (under the configured base URL).
* POST to `/graph-store` itself makes a new graph and answers 201 with its IRI in Location.
Writes need the update token; each is one transaction.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from . import formats
from .endpoint_protocol import authorise, fail, graph_exists, result_response, run, settings, write

blueprint = Blueprint("graph_store", __name__)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def _empty(status: int, **headers: str) -> Response:
    """A 201/204 answer without a body, so without a Content-Type."""
    resp = Response(status=status, headers=headers)
    resp.headers.pop("Content-Type", None)
    return resp


@blueprint.route("/graph-store", methods=METHODS)
def graph_store() -> Response:
    is_default, graph = "default" in request.args, request.args.get("graph")
    if is_default and graph is not None:
        fail(400, "name one graph: ?default or ?graph=IRI")
    if not is_default and graph is None:
        if request.method == "POST":  # POST to the store: a new graph, named by the server
            return _write(f"{settings().base_url.rstrip('/')}/graph-store/{uuid.uuid4()}", new=True)
        fail(400, "name the graph: ?default or ?graph=IRI")
    return _serve(None if is_default else graph)


@blueprint.route("/graph-store/<path:rest>", methods=METHODS)
def direct(rest: str) -> Response:
    return _serve(settings().base_url.rstrip("/") + request.path)


def _serve(graph: str | None) -> Response:
    """Answer a request on the default graph (None) or on a named graph."""
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError:
            fail(400, f"not an IRI: {graph}")
    g.kind = "graph-store"
    if request.method in ("GET", "HEAD"):
        return _read(graph)
    return _write(graph)


def _read(graph: str | None) -> Response:
    choice = formats.negotiate(request.headers.get("Accept"), request.args.get("format"))
    if choice.graph is None:
        fail(406, "a graph is RDF: accept text/turtle, application/n-triples, application/rdf+xml, ...")
    query = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }" if graph is None
             else f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    # Whether the graph exists is asked of the reader that runs the query, never of the writer: a read does not
    # wait behind a running write.
    fmt, body, truncated = run(query, formats.Choice(None, choice.graph), union=False, existing=graph)
    return result_response(fmt, body, truncated)  # werkzeug sends no body to HEAD, keeping GET's length


def _triples() -> list[ox.Triple]:
    """The RDF in the request: its body, or each file of a multipart/form-data form."""
    if request.mimetype == "multipart/form-data":
        parts = [(f.mimetype, f.read()) for f in request.files.values()]
        if not parts:
            fail(400, "the form holds no file")
    else:
        parts = [(request.mimetype, request.get_data())]
    out: list[ox.Triple] = []
    for mimetype, data in parts:
        rdf_format = ox.RdfFormat.from_media_type(mimetype) if mimetype else None
        if rdf_format is None or rdf_format.supports_datasets:
            fail(415, "send the graph as text/turtle, application/n-triples, application/rdf+xml or "
                      "application/ld+json")
        try:
            out.extend(ox.Triple(t.subject, t.predicate, t.object)
                       for t in ox.parse(data, rdf_format, base_iri=settings().endpoint))
        except (SyntaxError, ValueError) as exc:
            fail(400, f"malformed {rdf_format.name} data: {exc}")
    return out


def _write(graph: str | None, *, new: bool = False) -> Response:
    authorise()
    target = f"GRAPH <{graph}>" if graph else "DEFAULT"
    existed = graph is None or (not new and graph_exists(graph))
    if request.method == "DELETE":
        if not existed:
            fail(404, f"no graph <{graph}>")
        write(("write", f"DROP {target}" if graph else "CLEAR DEFAULT"))
        return _empty(204)
    triples = _triples()
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    data = f"INSERT DATA {{ GRAPH <{graph}> {{\n{nt}}} }}" if graph else f"INSERT DATA {{\n{nt}}}"
    steps = [f"CREATE SILENT GRAPH <{graph}>"] if graph else []
    if request.method == "PUT":
        steps.insert(0, f"DROP SILENT GRAPH <{graph}>" if graph else "CLEAR SILENT DEFAULT")
    g.rows = len(triples)
    # One update, so one transaction: readers see the old graph or the new one, never a mix.
    write(("write", " ;\n".join([*steps, data])))
    if new:
        return _empty(201, Location=graph)
    return _empty(204 if existed else 201)
