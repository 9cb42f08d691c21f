"""The SPARQL 1.1 Protocol at /sparql (queries, updates, the service description) and /health."""

from __future__ import annotations

import json
import shutil

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from . import formats
from .endpoint_pages import page
from .endpoint_pool import QueryTimeout, WorkerFailed
from .endpoint_protocol import authorise, backend, fail, params, result_response, run, settings, write

blueprint = Blueprint("sparql", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"


@blueprint.route("/sparql", methods=["GET", "HEAD", "POST"])
def sparql() -> Response:
    query, update_text = _operation()
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
    return result_response(fmt, body, truncated)  # werkzeug sends no body to HEAD, keeping GET's length


def _text() -> str:
    """The request body as text: SPARQL is UTF-8 (a body in another charset is refused, not misread)."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        fail(415, f"send the request in UTF-8, not {charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(400, f"the request is not UTF-8: {exc}")


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        fail(400, f"a request carries one {name}= parameter, not {len(values)}")
    return values[0] if values else None


def _operation() -> tuple[str | None, str | None]:
    """(query, update) of a SPARQL Protocol request: at most one of them, each at most once."""
    if request.method in ("GET", "HEAD"):
        if "update" in request.args:
            fail(405, "updates must be sent with POST", Allow="GET, HEAD, POST")
        return _one(request.args.getlist("query"), "query"), None
    if request.mimetype == "application/sparql-query":
        return _text(), None
    if request.mimetype == "application/sparql-update":
        return None, _text()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.mimetype == "application/x-www-form-urlencoded":
            _text()  # the form must be UTF-8 too
        queries, updates = request.form.getlist("query"), request.form.getlist("update")
        if not queries and not updates:
            queries = request.args.getlist("query")
        if queries and updates:
            fail(400, "a request carries either query= or update=, not both")
        return _one(queries, "query"), _one(updates, "update")
    fail(415, "send the query as query= (form or URL), application/sparql-query or application/sparql-update")


def update(text: str) -> Response:
    authorise()
    g.kind = "update"
    write(("update", text, {**settings().query_options(), "using": params("using-graph-uri"),
                             "using_named": params("using-named-graph-uri")}))
    return Response(status=204)


def service_description(graph_fmt: formats.Format | None) -> Response:
    if graph_fmt is None:
        fail(406, "the service description is RDF: accept text/turtle, application/rdf+xml, ...")
    g.kind = "service-description"
    s = settings()
    endpoint = s.endpoint  # the configured URL: never the Host header a client sent
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
    """200 when the server answers queries, with every write made, and if it takes updates its last write worked;
    503 and why if not."""
    g.kind = "health"
    store = backend()
    state: dict[str, object] = {"status": "ok", "updates": bool(settings().token)}
    try:
        reply = store.call(("count",), timeout=min(settings().timeout, 10.0))
    except (QueryTimeout, WorkerFailed) as exc:
        reply = ("error", 503, str(exc))
    if reply[0] == "ok":
        state["triples"] = reply[4]
    else:
        state.update(status="unavailable", error=reply[2])
    try:
        disk = shutil.disk_usage(store.path)
        state["disk_free_bytes"] = disk.free
    except OSError:
        pass
    if store.checkpoint_error is not None:  # queries are answered, but without the latest writes
        state.update(status="reads behind writes" if reply[0] == "ok" else state["status"],
                     checkpoint_error=store.checkpoint_error)
    if store.write_error is not None:
        state.update(status="unavailable" if reply[0] != "ok" else "writes failing", write_error=store.write_error)
    return Response(json.dumps(state), status=200 if state["status"] == "ok" else 503,
                    content_type="application/json")
