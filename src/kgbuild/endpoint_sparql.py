"""The SPARQL 1.1 Protocol at /sparql (queries, updates, the service description) and /health."""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from . import formats
from .endpoint_pages import page
from .endpoint_policy import remote_iri_refusal
from .endpoint_pool import QueryTimeout, WorkerFailed
from .endpoint_protocol import authorise, backend, fail, params, result_response, run, settings

blueprint = Blueprint("sparql", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    query = update_text = None
    if request.method == "GET":
        if "update" in request.args:
            fail(405, "updates must be sent with POST", Allow="GET, POST")
        query = request.args.get("query")
    elif request.mimetype == "application/sparql-query":
        query = request.get_data(as_text=True)
    elif request.mimetype == "application/sparql-update":
        update_text = request.get_data(as_text=True)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        query, update_text = request.form.get("query"), request.form.get("update")
        if query is None and update_text is None:
            query = request.args.get("query")
    else:
        fail(415, "send the query as query= (form or URL), application/sparql-query or application/sparql-update")
    if query is not None and update_text is not None:
        fail(400, "a request carries either query= or update=, not both")
    if update_text is not None:
        return update(update_text)
    choice = formats.negotiate(request.headers.get("Accept"), request.args.get("format") or request.args.get("output"))
    if query is None:
        if choice.html:
            return page()
        return service_description(choice.graph)
    if choice.html:
        return page()
    fmt, body, truncated = run(query, choice, default=params("default-graph-uri"), named=params("named-graph-uri"))
    return result_response(fmt, body, truncated)


def update(text: str) -> Response:
    authorise()
    if params("using-graph-uri") or params("using-named-graph-uri"):
        fail(400, "using-graph-uri and using-named-graph-uri are not supported; use USING or WITH in the update")
    refusal = remote_iri_refusal(text, settings().allow_service_hosts)
    if refusal:
        fail(403, refusal)
    g.kind = "update"
    try:
        backend().write(lambda st: st.update(text))
    except SyntaxError as exc:
        fail(400, f"malformed update: {exc}")
    except (OSError, ValueError) as exc:
        fail(500, f"update failed: {exc}")
    return Response(status=204)


def service_description(graph_fmt: formats.Format | None) -> Response:
    if graph_fmt is None:
        fail(406, "the service description is RDF: accept text/turtle, application/rdf+xml, ...")
    g.kind = "service-description"
    s = settings()
    endpoint = request.base_url
    lines = [f"@prefix sd: <{SD}> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             f"<{endpoint}#service> a sd:Service ;", f"  sd:endpoint <{endpoint}> ;",
             "  sd:supportedLanguage sd:SPARQL11Query" + (" , sd:SPARQL11Update ;" if s.token else " ;"),
             "  sd:feature sd:UnionDefaultGraph" + (" , sd:BasicFederatedQuery ;" if s.allow_service_hosts else " ;"),
             *(f"  sd:resultFormat <{f.ox.iri}> ;" for f in formats.ALL.values()),
             "  sd:defaultDataset [ a sd:Dataset ;",
             "    sd:defaultGraph [ a sd:Graph ; rdfs:comment \"the union of all article graphs\" ] ] ."]
    triples = ox.parse("\n".join(lines), ox.RdfFormat.TURTLE)
    prefixes = {"sd": SD} if graph_fmt.key == "turtle" else None
    if graph_fmt.has_datasets:
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    body = ox.serialize(triples, format=graph_fmt.ox, prefixes=prefixes)
    resp = Response(body, content_type=graph_fmt.content_type)
    resp.headers["Vary"] = "Accept"
    return resp


@blueprint.route("/health")
def health() -> Response:
    g.kind = "health"
    try:
        reply = backend().call(("count",), timeout=min(settings().timeout, 10.0))
    except (QueryTimeout, WorkerFailed) as exc:
        return Response(json.dumps({"status": "unavailable", "error": str(exc)}), status=503,
                        content_type="application/json")
    if reply[0] != "ok":
        return Response(json.dumps({"status": "unavailable", "error": reply[2]}), status=503,
                        content_type="application/json")
    return Response(json.dumps({"status": "ok", "triples": reply[4], "updates": bool(settings().token)}),
                    content_type="application/json")
