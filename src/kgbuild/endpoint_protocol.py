"""What the endpoint's views share: the server's settings, plain-text failures, running a read on the worker pool,
writing answers in the negotiated format, and the update token check."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, request

from . import formats
from .endpoint_pool import Backend, QueryTimeout, WorkerFailed, WriteFailed

DEFAULT_MAX_ROWS = 100_000
DEFAULT_THREADS = 16
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_QUERY_MEMORY = 2 * 1024 * 1024 * 1024
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Settings:
    """How `kgbuild serve` was started (app.config["KGBUILD"])."""

    timeout: float = 30.0
    token: str | None = None
    max_rows: int = DEFAULT_MAX_ROWS
    allow_service_hosts: tuple[str, ...] = ()
    base_url: str = "http://localhost:5000/"  # the server's public URL: the base of relative IRIs, the service's IRI
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    union_default_graph: bool = True  # a query naming no dataset reads the union of all graphs (as Fuseki's option)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/sparql"

    def query_options(self) -> dict:
        """What endpoint_worker needs to check and bound each query and update."""
        return {"allowed_hosts": self.allow_service_hosts, "base": self.endpoint,
                "max_bytes": self.max_response_bytes, "union": self.union_default_graph}


def http_link(value: str | None) -> str | None:
    """`value` if it may be a link on a page (an http(s) IRI), else None: the page then shows it as text.
    A `javascript:` or `data:` IRI from the data or the request must never become a live link."""
    if not value or any(c in value for c in "\x00\t\n\r "):
        return None
    return value if urlsplit(value.strip()).scheme.lower() in ("http", "https") else None


def settings() -> Settings:
    return current_app.config["KGBUILD"]


def backend() -> Backend:
    return current_app.extensions["kgbuild"]


def fail(status: int, message: str, **headers: str) -> NoReturn:
    """Stop the request with a plain-text answer."""
    abort(Response(f"{message}\n", status=status, content_type="text/plain; charset=utf-8", headers=headers))


def params(name: str) -> list[str]:
    """A protocol parameter's values from the URL and, on POST, the form."""
    return request.args.getlist(name) + (request.form.getlist(name) if request.method == "POST" else [])


def run(query: str, choice: formats.Choice, *, default: list[str] | None = None, named: list[str] | None = None,
        rows: int | None = None, union: bool | None = None,
        existing: str | None = None) -> tuple[formats.Format, bytes, bool]:
    """Run a read on the worker pool: (format of the answer, body, truncated). Failures end the request, and so
    does a 404 when the named graph `existing` is not in the store (asked in the same job, on the same checkpoint)."""
    results = choice.results.key if choice.results else None
    graph = choice.graph.key if choice.graph else None
    s = settings()
    options = s.query_options() if union is None else {**s.query_options(), "union": union}
    if existing is not None:
        options["existing"] = existing
    with _pool_failures():
        reply = backend().call(("query", query, default or None, named or None, results, graph,
                                s.max_rows if rows is None else rows, options))
    if reply[0] == "error":
        fail(reply[1], reply[2])
    _, g.kind, key, body, g.rows, truncated = reply
    return formats.get(key), body, truncated


def write(job: tuple) -> None:
    """Run a write on the writer process; failures end the request."""
    with _pool_failures():
        backend().write(job)


def graph_exists(graph: str) -> bool:
    """Whether the store holds the named graph, asked of the writer (for a write: it waits there anyway); failures
    end the request."""
    with _pool_failures():
        return backend().has_graph(graph)


@contextmanager
def _pool_failures() -> Iterator[None]:
    """End the request with the status of a read or write the worker pool could not do."""
    try:
        yield
    except QueryTimeout as exc:
        fail(503, str(exc), **{"Retry-After": "1"})
    except WorkerFailed as exc:
        fail(503, str(exc))
    except WriteFailed as exc:
        fail(exc.status, str(exc))


def result_response(fmt: formats.Format, body: bytes, truncated: bool) -> Response:
    resp = Response(body, content_type=fmt.content_type)
    resp.headers["Vary"] = "Accept"
    resp.headers["X-Kgbuild-Rows"] = str(g.rows)
    if truncated:
        resp.headers["X-Kgbuild-Truncated"] = f"true; the result was cut at {settings().max_rows} rows"
    if request.args.get("download"):
        resp.headers["Content-Disposition"] = f'attachment; filename="result.{fmt.extension}"'
    return resp


def authorise() -> None:
    """Let the request write only with the update token."""
    token = settings().token
    if not token:
        fail(403, "this endpoint is read-only: it was started without an update token")
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        fail(401, "updates need the update token: Authorization: Bearer <token>",
             **{"WWW-Authenticate": 'Bearer realm="kgbuild"'})
    # compare_digest: the time taken does not tell how much of a guess was right.
    if not hmac.compare_digest(credential.strip().encode("utf-8"), token.encode("utf-8")):
        fail(403, "wrong update token")
