"""A query worker process of `kgbuild serve`.

pyoxigraph cannot interrupt a running query, so the server runs every read in one of these processes and kills the
process when the query overruns its time. A worker never touches the live store (the server process holds it
read-write, and RocksDB says reading it from another process meanwhile is undefined): it opens, read-only, the
immutable checkpoint the server names in each job, and reopens when the server publishes a newer one.

Protocol over a `multiprocessing.connection.Connection` (pickled tuples):
  job   ("query", gen, snapshot, sparql, default_graphs, named_graphs, results_fmt, graph_fmt, max_rows)
        ("count", gen, snapshot)
  reply ("ok", kind, media_type, body, rows, truncated) or ("error", status, message)
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from . import formats
from .sparql_syntax import describe
from .vocab import PREFIXES

# Prefixes make Turtle readable; only those with distinct IRIs (the `org` key is used twice in vocab).
TURTLE_PREFIXES = {p: iri for p, iri in PREFIXES.items() if p != "org"} | {"org": "http://www.w3.org/ns/org#"}


class _Full(Exception):
    """Raised inside pyoxigraph's serialiser to stop evaluation once the row cap is reached."""


class _CappedWriter:
    """A file-like sink keeping the first `limit` lines. Line formats (TSV, N-Triples) have one row per line, so
    stopping the writer stops the lazy query evaluation right after the last row we keep."""

    def __init__(self, limit: int) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.limit = limit
        self.done = False
        self.truncated = False

    def write(self, data: bytes) -> int:
        if self.done:  # pyoxigraph flushes its buffer once more after our exception: ignore it
            return len(data)
        data = bytes(data)
        n = data.count(b"\n")
        if self.lines + n > self.limit:
            end = -1
            for _ in range(self.limit - self.lines):
                end = data.index(b"\n", end + 1)
            self.parts.append(data[: end + 1])
            self.done = self.truncated = True
            raise _Full
        self.parts.append(data)
        self.lines += n
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _capped(result: object, limit: int, fmt: object) -> tuple[bytes, bool, int]:
    sink = _CappedWriter(limit)
    try:
        result.serialize(sink, fmt)
    except _Full:
        pass
    body = sink.value()
    return body, sink.truncated, body.count(b"\n")


def run_query(store: ox.Store, sparql: str, default: list[str] | None, named: list[str] | None,
              results_fmt: str | None, graph_fmt: str | None, max_rows: int) -> tuple:
    kwargs: dict[str, object] = {"use_default_graph_as_union": not default}
    if default:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default]
    if named:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named]
    try:
        result = store.query(sparql, **kwargs)
    except (SyntaxError, ValueError) as exc:
        return ("error", 400, f"malformed query: {describe(sparql, exc)}")
    try:
        if isinstance(result, ox.QueryBoolean):
            if results_fmt is None:
                return ("error", 406, "no acceptable format for an ASK result (try application/sparql-results+json)")
            if results_fmt in ("csv", "tsv"):  # no standard form: the bare word, as most endpoints do
                return ("ok", "ask", results_fmt, b"true\n" if bool(result) else b"false\n", 1, False)
            return ("ok", "ask", results_fmt, result.serialize(format=formats.results_format(results_fmt)), 1, False)
        if isinstance(result, ox.QuerySolutions):
            if results_fmt is None:
                return ("error", 406, "no acceptable format for SELECT results (try application/sparql-results+json)")
            tsv, truncated, lines = _capped(result, max_rows + 1, ox.QueryResultsFormat.TSV)
            rows = max(lines - 1, 0)
            if results_fmt == "tsv":
                return ("ok", "select", "tsv", tsv, rows, truncated)
            # Re-read the capped rows in Rust and write the requested format: cheap next to HTTP and evaluation.
            body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(
                format=formats.results_format(results_fmt))
            if truncated and results_fmt == "json":  # said in the body too, not only in X-Kgbuild-Truncated
                body = b'{"truncated":true,"maxRows":%d,' % max_rows + body.lstrip()[1:]
            return ("ok", "select", results_fmt, body, rows, truncated)
        if graph_fmt is None:
            return ("error", 406, "no acceptable format for a graph result (try text/turtle)")
        nt, truncated, rows = _capped(result, max_rows, ox.RdfFormat.N_TRIPLES)
        if graph_fmt == "ntriples":
            return ("ok", "graph", "ntriples", nt, rows, truncated)
        triples = list(ox.parse(nt, ox.RdfFormat.N_TRIPLES))
        if formats.GRAPHS[graph_fmt].has_datasets:
            triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        prefixes = TURTLE_PREFIXES if graph_fmt in ("turtle", "trig") else None
        body = ox.serialize(triples, format=formats.rdf_format(graph_fmt), prefixes=prefixes)
        return ("ok", "graph", graph_fmt, body, rows, truncated)
    except (SyntaxError, ValueError) as exc:
        return ("error", 400, f"query failed: {exc}")
    except OSError as exc:
        return ("error", 500, f"query failed: {exc}")


def main(fd: int) -> None:
    conn = Connection(fd)
    gen: int | None = None
    store: ox.Store | None = None
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        try:
            if job[1] != gen:  # the server published a newer checkpoint: read that one from now on
                store = None
                store = ox.Store.read_only(job[2])
                gen = job[1]
            if job[0] == "count":
                reply = ("ok", "count", None, None, len(store), False)
            else:
                reply = run_query(store, *job[3:])
        except Exception as exc:  # noqa: BLE001 - report, never die on one bad job
            reply = ("error", 500, f"{type(exc).__name__}: {exc}")
        conn.send(reply)


if __name__ == "__main__":
    main(int(sys.argv[1]))
