"""`kgbuild serve`: the SPARQL 1.1 endpoint (Protocol, Graph Store HTTP Protocol, Service Description) and its
pages, as a Flask app run by waitress. This module puts the app together; each part is a Blueprint in its own module:
endpoint_sparql (/sparql, /health), endpoint_graph_store (/graph-store), endpoint_pages (/, /resource), explore
(/explore/). endpoint_protocol holds what they share.

Reads run in killable worker processes on checkpoints of the store; writes need the update token and are single
transactions on the store this process owns (see endpoint_pool for why).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import endpoint_graph_store, endpoint_pages, endpoint_sparql
from .endpoint_pool import Backend
from .endpoint_protocol import (
    CSP,
    DEFAULT_MAX_QUERY_MEMORY,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_THREADS,
    Settings,
    http_link,
)
from .explore import blueprint as explore_blueprint
from .store import StoreError

log = logging.getLogger("kgbuild.endpoint")
access_log = logging.getLogger("kgbuild.access")


def create_app(store_path: str, *, timeout: float = 30.0, token: str | None = None, max_rows: int = DEFAULT_MAX_ROWS,
               allow_service_hosts: tuple[str, ...] = (), threads: int = DEFAULT_THREADS, workers: int | None = None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
               max_query_memory: int = DEFAULT_MAX_QUERY_MEMORY, base_url: str = "http://localhost:5000/",
               union_default_graph: bool = True) -> Flask:
    """The WSGI app serving the store at `store_path`. It owns the store (read-write) and its query workers.

    `base_url` is the server's public URL: relative IRIs in queries resolve against its /sparql, and the service
    description names it (never the Host header a client sent). Each query and update runs within `timeout` seconds
    and `max_query_memory` bytes (its process is stopped past either), and answers at most `max_response_bytes`."""
    del threads  # a property of the WSGI server, accepted so that serve() and create_app() take the same options
    if token is None and not Path(store_path).exists():
        raise StoreError(f"{store_path}: no store here (run `kgbuild build` first, or serve with --token to fill it)")
    config = Settings(timeout=timeout, token=token, max_rows=max_rows, allow_service_hosts=tuple(allow_service_hosts),
                      base_url=base_url, max_response_bytes=max_response_bytes,
                      union_default_graph=union_default_graph)
    backend = Backend(store_path, workers=workers or max(2, os.cpu_count() or 2), timeout=timeout,
                      max_memory=max_query_memory, offline=not allow_service_hosts)
    backend.query_options = config.query_options()
    atexit.register(backend.close)

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=max_request_bytes, MAX_FORM_MEMORY_SIZE=max_request_bytes, KGBUILD=config)
    app.extensions["kgbuild"] = backend
    for blueprint in (endpoint_sparql.blueprint, endpoint_graph_store.blueprint, endpoint_pages.blueprint,
                      explore_blueprint):
        app.register_blueprint(blueprint)
    app.add_template_filter(http_link)  # {{ iri|http_link }}: the IRI if it may be a link (http, https), else None
    app.before_request(_start)
    app.after_request(_finish)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    _configure_logging()
    return app


# -- plumbing: access log, CORS, errors ---------------------------------------------------------------------
def _start() -> None:
    g.t0 = time.perf_counter()
    g.kind = g.rows = None


def _finish(resp: Response) -> Response:
    # CORS: any page may read this public endpoint (GET, and POST of queries); no other origin may send the update
    # token (Authorization) or write with PUT/DELETE from a browser.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    resp.headers["Access-Control-Expose-Headers"] = "Content-Type, X-Kgbuild-Truncated, X-Kgbuild-Rows"
    resp.headers["Access-Control-Max-Age"] = "86400"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if resp.mimetype in ("text/html", "application/xhtml+xml"):
        resp.headers["Content-Security-Policy"] = CSP
    record = {"ts": round(time.time(), 3), "client": request.remote_addr, "method": request.method,
              "path": request.path, "status": resp.status_code,
              "ms": round((time.perf_counter() - g.get("t0", time.perf_counter())) * 1000, 2),
              "kind": g.get("kind"), "rows": g.get("rows"), "bytes": resp.calculate_content_length()}
    access_log.info(json.dumps(record))
    return resp


def _http_error(exc: HTTPException) -> Response:
    # Werkzeug's and Flask's own errors (404, 405, 413, ...) in plain text like ours; our own fail() never comes here:
    # Flask answers an HTTPException that carries its response (no code) with that response.
    resp = Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code,
                    content_type="text/plain; charset=utf-8")
    for key, value in exc.get_headers():
        if key.lower() not in ("content-type", "content-length"):
            resp.headers[key] = value
    return resp


def _internal_error(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)  # the trace stays here
    return Response("500 Internal Server Error: the server could not answer; see its log\n", status=500,
                    content_type="text/plain; charset=utf-8")


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
          workers: int | None = None, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
          max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, max_query_memory: int = DEFAULT_MAX_QUERY_MEMORY,
          base_url: str | None = None, union_default_graph: bool = True) -> None:
    """Serve the store with waitress (a production WSGI server) until interrupted."""
    from waitress import serve as waitress_serve

    app = create_app(store, timeout=timeout, token=token, max_rows=max_rows, allow_service_hosts=allow_service_hosts,
                     workers=workers, max_request_bytes=max_request_bytes, max_response_bytes=max_response_bytes,
                     max_query_memory=max_query_memory, base_url=base_url or f"http://{host}:{port}/",
                     union_default_graph=union_default_graph)
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
