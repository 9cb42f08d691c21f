"""`kgbuild serve`: the SPARQL 1.1 endpoint (Protocol, Graph Store HTTP Protocol, Service Description) and its
query page, as a Flask app run by waitress.

Reads run in killable worker processes on checkpoints of the store; writes need the update token and are single
transactions on the store this process owns (see endpoint_pool for why).
"""

from __future__ import annotations

import atexit
import hmac
import json
import logging
import os
import signal
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Flask, Response, abort, g, render_template, request
from werkzeug.exceptions import HTTPException

from .endpoint_pool import Backend, QueryTimeout, WorkerFailed
from .endpoint_protocol import (
    FILE_EXTENSIONS,
    GRAPH_TYPES,
    RESULTS_TYPES,
    media_type,
    negotiate,
    remote_iri_refusal,
)
from .explore import blueprint as explore_blueprint
from .store import StoreError
from .vocab import PREFIXES

log = logging.getLogger("kgbuild.endpoint")
access_log = logging.getLogger("kgbuild.access")

DEFAULT_MAX_ROWS = 100_000
DEFAULT_THREADS = 16
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
HTML_MAX_ROWS = 2_000  # a page with more rows is no use to a reader; the download links give everything
SD = "http://www.w3.org/ns/sparql-service-description#"


def _examples() -> list[dict[str, str]]:
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


def _short(iri: str) -> str:
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
        return {"kind": "iri", "text": _short(term["value"]), "iri": term["value"]}
    if term["type"] == "bnode":
        return {"kind": "bnode", "text": "_:" + term["value"]}
    note = f"@{term['xml:lang']}" if "xml:lang" in term else ""
    if "datatype" in term and not term["datatype"].endswith("#string"):
        note = "^^" + _short(term["datatype"])
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


def create_app(store_path: str, *, timeout: float = 30.0, token: str | None = None, max_rows: int = DEFAULT_MAX_ROWS,
               allow_service_hosts: tuple[str, ...] = (), threads: int = DEFAULT_THREADS, workers: int | None = None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> Flask:
    """The WSGI app serving the store at `store_path`. It owns the store (read-write) and its query workers."""
    del threads  # a property of the WSGI server, accepted so that serve() and create_app() take the same options
    if token is None and not Path(store_path).exists():
        raise StoreError(f"{store_path}: no store here (run `kgbuild build` first, or serve with --token to fill it)")
    backend = Backend(store_path, workers=workers or max(2, os.cpu_count() or 2), timeout=timeout)
    atexit.register(backend.close)
    examples = _examples()
    allowed = tuple(allow_service_hosts)

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=max_request_bytes, MAX_FORM_MEMORY_SIZE=max_request_bytes)
    app.extensions["kgbuild"] = backend
    app.register_blueprint(explore_blueprint)  # /explore/: article, entity and graph pages (explore.py)
    _configure_logging()

    # -- plumbing: access log, CORS, errors ---------------------------------------------------------
    @app.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()
        g.kind = g.rows = None

    @app.after_request
    def _finish(resp: Response) -> Response:
        # CORS: any page may query this public endpoint; writes still need the token.
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, Authorization"
        resp.headers["Access-Control-Expose-Headers"] = "Content-Type, X-Kgbuild-Truncated, X-Kgbuild-Rows"
        resp.headers["Access-Control-Max-Age"] = "86400"
        record = {"ts": round(time.time(), 3), "client": request.remote_addr, "method": request.method,
                  "path": request.path, "status": resp.status_code,
                  "ms": round((time.perf_counter() - g.get("t0", time.perf_counter())) * 1000, 2),
                  "kind": g.get("kind"), "rows": g.get("rows"), "bytes": resp.calculate_content_length()}
        access_log.info(json.dumps(record))
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if exc.response is not None:  # our own fail(): already a plain-text answer
            return exc.response
        resp = Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code,
                        content_type="text/plain; charset=utf-8")
        for key, value in exc.get_headers():
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    @app.errorhandler(Exception)
    def _internal_error(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)  # the trace stays here
        return Response("500 Internal Server Error: the server could not answer; see its log\n", status=500,
                        content_type="text/plain; charset=utf-8")

    def fail(status: int, message: str, **headers: str) -> None:
        abort(Response(f"{message}\n", status=status, content_type="text/plain; charset=utf-8", headers=headers))

    # -- reading -----------------------------------------------------------------------------------
    def run(query: str, results_fmt: str | None, graph_fmt: str | None, *, default: list[str] | None = None,
            named: list[str] | None = None, rows: int = max_rows) -> tuple:
        refusal = remote_iri_refusal(query, allowed)
        if refusal:
            fail(403, refusal)
        try:
            reply = backend.call(("query", query, default or None, named or None, results_fmt, graph_fmt, rows))
        except QueryTimeout as exc:
            fail(503, str(exc), **{"Retry-After": "1"})
        except WorkerFailed as exc:
            fail(503, str(exc))
        if reply[0] == "error":
            fail(reply[1], reply[2])
        _, g.kind, fmt, body, g.rows, truncated = reply
        return fmt, body, truncated

    def result_response(fmt: str, body: bytes, truncated: bool) -> Response:
        mt = media_type(fmt)
        if mt.startswith("text/") or fmt in ("ntriples", "nquads", "trig"):
            mt += "; charset=utf-8"
        resp = Response(body, content_type=mt)
        resp.headers["Vary"] = "Accept"
        resp.headers["X-Kgbuild-Rows"] = str(g.rows)
        if truncated:
            resp.headers["X-Kgbuild-Truncated"] = f"true; the result was cut at {max_rows} rows"
        if request.args.get("download"):
            resp.headers["Content-Disposition"] = f'attachment; filename="result.{FILE_EXTENSIONS[fmt]}"'
        return resp

    def params(name: str) -> list[str]:
        return request.args.getlist(name) + (request.form.getlist(name) if request.method == "POST" else [])

    # -- writing -----------------------------------------------------------------------------------
    def authorise() -> None:
        if not token:
            fail(403, "this endpoint is read-only: it was started without an update token")
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            fail(401, "updates need the update token: Authorization: Bearer <token>",
                 **{"WWW-Authenticate": 'Bearer realm="kgbuild"'})
        # compare_digest: the time taken does not tell how much of a guess was right.
        if not hmac.compare_digest(credential.strip().encode("utf-8"), token.encode("utf-8")):
            fail(403, "wrong update token")

    def update(text: str) -> Response:
        authorise()
        if params("using-graph-uri") or params("using-named-graph-uri"):
            fail(400, "using-graph-uri and using-named-graph-uri are not supported; use USING or WITH in the update")
        refusal = remote_iri_refusal(text, allowed)
        if refusal:
            fail(403, refusal)
        g.kind = "update"
        try:
            backend.write(lambda st: st.update(text))
        except SyntaxError as exc:
            fail(400, f"malformed update: {exc}")
        except (OSError, ValueError) as exc:
            fail(500, f"update failed: {exc}")
        return Response(status=204)

    # -- SPARQL Protocol ---------------------------------------------------------------------------
    @app.route("/sparql", methods=["GET", "POST"])
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
        results_fmt, graph_fmt, html = negotiate(request.headers.get("Accept"),
                                                 request.args.get("format") or request.args.get("output"))
        if query is None:
            if html:
                return page()
            return service_description(graph_fmt)
        if html:
            return page()
        fmt, body, truncated = run(query, results_fmt, graph_fmt, default=params("default-graph-uri"),
                                   named=params("named-graph-uri"))
        return result_response(fmt, body, truncated)

    def service_description(graph_fmt: str | None) -> Response:
        if graph_fmt is None:
            fail(406, "the service description is RDF: accept text/turtle, application/rdf+xml, ...")
        g.kind = "service-description"
        endpoint = request.base_url
        lines = [f"@prefix sd: <{SD}> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
                 f"<{endpoint}#service> a sd:Service ;", f"  sd:endpoint <{endpoint}> ;",
                 "  sd:supportedLanguage sd:SPARQL11Query" + (" , sd:SPARQL11Update ;" if token else " ;"),
                 "  sd:feature sd:UnionDefaultGraph" + (" , sd:BasicFederatedQuery ;" if allowed else " ;"),
                 *(f"  sd:resultFormat <{iri}> ;" for iri in (
                     "http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/SPARQL_Results_XML",
                     "http://www.w3.org/ns/formats/SPARQL_Results_CSV", "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
                     "http://www.w3.org/ns/formats/Turtle", "http://www.w3.org/ns/formats/N-Triples",
                     "http://www.w3.org/ns/formats/RDF_XML", "http://www.w3.org/ns/formats/JSON-LD",
                     "http://www.w3.org/ns/formats/N-Quads", "http://www.w3.org/ns/formats/TriG")),
                 "  sd:defaultDataset [ a sd:Dataset ;",
                 "    sd:defaultGraph [ a sd:Graph ; rdfs:comment \"the union of all article graphs\" ] ] ."]
        triples = ox.parse("\n".join(lines), ox.RdfFormat.TURTLE)
        body = ox.serialize(triples, format=getattr(ox.RdfFormat, {
            "turtle": "TURTLE", "ntriples": "N_TRIPLES", "rdfxml": "RDF_XML", "jsonld": "JSON_LD",
            "nquads": "N_QUADS", "trig": "TRIG"}[graph_fmt]), prefixes={"sd": SD} if graph_fmt == "turtle" else None)
        resp = Response(body, content_type=media_type(graph_fmt))
        resp.headers["Vary"] = "Accept"
        return resp

    # -- Graph Store HTTP Protocol -----------------------------------------------------------------
    @app.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
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
        if request.method in ("GET", "HEAD"):
            _, graph_fmt, _ = negotiate(request.headers.get("Accept"), request.args.get("format"))
            if graph_fmt is None:
                fail(406, "a graph is RDF: accept text/turtle, application/n-triples, application/rdf+xml, ...")
            if graph is not None and not backend.store.oxigraph.contains_named_graph(node):
                fail(404, f"no graph <{graph}>")
            query = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }" if is_default
                     else f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
            fmt, body, truncated = run(query, None, graph_fmt)
            resp = result_response(fmt, body, truncated)
            if request.method == "HEAD":
                resp.set_data(b"")
            return resp
        authorise()
        if is_default:
            fail(405, "the default graph is the union of the article graphs: write to ?graph=IRI",
                 Allow="GET, HEAD")
        existed = backend.store.oxigraph.contains_named_graph(node)
        if request.method == "DELETE":
            if not existed:
                fail(404, f"no graph <{graph}>")
            backend.write(lambda st: st.update(f"DROP GRAPH <{graph}>"))
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
        backend.write(lambda st: st.update(text))
        return Response(status=204 if existed else 201)

    # -- operators ---------------------------------------------------------------------------------
    @app.route("/health")
    def health() -> Response:
        g.kind = "health"
        try:
            reply = backend.call(("count",), timeout=min(timeout, 10.0))
        except (QueryTimeout, WorkerFailed) as exc:
            return Response(json.dumps({"status": "unavailable", "error": str(exc)}), status=503,
                            content_type="application/json")
        if reply[0] != "ok":
            return Response(json.dumps({"status": "unavailable", "error": reply[2]}), status=503,
                            content_type="application/json")
        return Response(json.dumps({"status": "ok", "triples": reply[4], "updates": bool(token)}),
                        content_type="application/json")

    # -- the query page ----------------------------------------------------------------------------
    def render(query: str, *, title: str, iri: str | None = None, execute: bool = True) -> Response:
        ctx: dict[str, object] = {"query": query, "examples": examples, "title": title, "iri": iri,
                                  "error": None, "table": None, "downloads": [], "truncated": False}
        status = 200
        if execute and query.strip():
            try:
                fmt, body, truncated = run(query, "json", "ntriples", rows=HTML_MAX_ROWS)
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

    @app.route("/", methods=["GET", "POST"])
    def page() -> Response:
        query = request.values.get("query")
        if query is not None:
            return render(query, title="kgbuild SPARQL")
        # ?example=cq01-states fills the editor without running, so the reader sees the question first
        example = next((e for e in examples if e["id"] == request.args.get("example")), None)
        return render(example["query"] if example else examples[0]["query"] if examples else "",
                      title="kgbuild SPARQL", execute=False)

    @app.route("/resource")
    def resource() -> Response:
        iri = request.args.get("iri", "")
        try:
            ox.NamedNode(iri)
        except ValueError:
            fail(400, f"not an IRI: {iri!r}")
        return render(f"DESCRIBE <{iri}>", title=_short(iri), iri=iri)

    return app


def _table(fmt: str, body: bytes) -> tuple[dict, list[str]]:
    """Results as a table for the page, and the formats they can be downloaded in."""
    if fmt == "json":
        data = json.loads(body)
        if "boolean" in data:
            return {"head": ["answer"], "rows": [[{"kind": "literal", "text": str(data["boolean"]).lower()}]]}, list(
                RESULTS_TYPES)
        head = data["head"]["vars"]
        rows = [[_cell(b.get(v)) for v in head] for b in data["results"]["bindings"]]
        return {"head": head, "rows": rows}, list(RESULTS_TYPES)
    rows = [[_cell(_term_json(t.subject)), _cell(_term_json(t.predicate)), _cell(_term_json(t.object))]
            for t in ox.parse(body, ox.RdfFormat.N_TRIPLES)]
    return {"head": ["subject", "predicate", "object"], "rows": rows}, list(GRAPH_TYPES)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _configure_logging() -> None:
    if not access_log.handlers:  # one JSON object a line on stderr, for log shippers
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonLines())
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def serve(store: str, host: str = "127.0.0.1", port: int = 5000, *, timeout: float = 30.0, token: str | None = None,
          max_rows: int = DEFAULT_MAX_ROWS, allow_service_hosts: tuple[str, ...] = (), threads: int = DEFAULT_THREADS,
          workers: int | None = None, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
    """Serve the store with waitress (a production WSGI server) until interrupted."""
    from waitress import serve as waitress_serve

    app = create_app(store, timeout=timeout, token=token, max_rows=max_rows, allow_service_hosts=allow_service_hosts,
                     workers=workers, max_request_bytes=max_request_bytes)
    backend: Backend = app.extensions["kgbuild"]

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # let waitress and the finally below clean up

    if threading.current_thread() is threading.main_thread():  # signals can only be set there
        signal.signal(signal.SIGTERM, _stop)
    log.info("kgbuild serve: http://%s:%d/ (store %s, %d threads, timeout %g s, updates %s)", host, port, store,
             threads, timeout, "enabled" if token else "disabled")
    try:
        # waitress buffers whole bodies; its own hard limit sits above ours so that clients get Flask's clean 413
        # (waitress answers an over-limit body by closing the connection mid-upload).
        waitress_serve(app, host=host, port=port, threads=threads, max_request_body_size=2 * max_request_bytes,
                       ident="kgbuild", clear_untrusted_proxy_headers=True)
    except KeyboardInterrupt:
        pass
    finally:
        backend.close()
