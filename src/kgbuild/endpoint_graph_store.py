"""The SPARQL 1.1 Graph Store HTTP Protocol at /graph-store (?default or ?graph=IRI)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from . import formats
from .endpoint_protocol import authorise, backend, fail, result_response, run

blueprint = Blueprint("graph_store", __name__)


@blueprint.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    is_default, graph = "default" in request.args, request.args.get("graph")
    if is_default == (graph is not None):
        fail(400, "name the graph: ?default or ?graph=IRI")
    if graph is not None:
        try:
            node = ox.NamedNode(graph)
        except ValueError:
            fail(400, f"not an IRI: {graph}")
    g.kind = "graph-store"
    store = backend()
    if request.method in ("GET", "HEAD"):
        choice = formats.negotiate(request.headers.get("Accept"), request.args.get("format"))
        if choice.graph is None:
            fail(406, "a graph is RDF: accept text/turtle, application/n-triples, application/rdf+xml, ...")
        if graph is not None and not store.store.oxigraph.contains_named_graph(node):
            fail(404, f"no graph <{graph}>")
        query = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }" if is_default
                 else f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        fmt, body, truncated = run(query, formats.Choice(None, choice.graph))
        resp = result_response(fmt, body, truncated)
        if request.method == "HEAD":
            resp.set_data(b"")
        return resp
    authorise()
    if is_default:
        fail(405, "the default graph is the union of the article graphs: write to ?graph=IRI",
             Allow="GET, HEAD")
    existed = store.store.oxigraph.contains_named_graph(node)
    if request.method == "DELETE":
        if not existed:
            fail(404, f"no graph <{graph}>")
        store.write(lambda st: st.update(f"DROP GRAPH <{graph}>"))
        return Response(status=204)
    rdf_format = ox.RdfFormat.from_media_type(request.mimetype) if request.mimetype else None
    if rdf_format is None or rdf_format.supports_datasets:
        fail(415, "send the graph as text/turtle, application/n-triples, application/rdf+xml or "
                  "application/ld+json")
    try:
        triples = list(ox.parse(request.get_data(), rdf_format, base_iri=graph))
    except (SyntaxError, ValueError) as exc:
        fail(400, f"malformed {rdf_format.name} data: {exc}")
    nt = ox.serialize([ox.Triple(t.subject, t.predicate, t.object) for t in triples],
                      format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    data = f"INSERT DATA {{ GRAPH <{graph}> {{\n{nt}}} }}"
    # One update, so one transaction: readers see the old graph or the new one, never a mix.
    text = (f"DROP SILENT GRAPH <{graph}> ; CREATE SILENT GRAPH <{graph}> ; {data}" if request.method == "PUT"
            else f"CREATE SILENT GRAPH <{graph}> ; {data}")
    g.rows = len(triples)
    store.write(lambda st: st.update(text))
    return Response(status=204 if existed else 201)
