"""A worker process of `kgbuild serve`: a reader of checkpoints, or the one writer of the live store.

pyoxigraph cannot interrupt a running query or update, so the server runs each in one of these processes and kills
the process when it overruns its time; each process also runs under a memory limit (RLIMIT_DATA: an allocation past
it aborts the process, which the server then replaces). A reader never touches the live store: it opens, read-only,
the immutable checkpoint the server names in each job, and reopens when the server publishes a newer one. The writer
owns the live store read-write; a write killed half-way is not committed (each is one RocksDB transaction).

Every query and update is first checked by endpoint_policy on its parse (SERVICE, LOAD) here, where the parse too
is bounded in time and memory.

Protocol over a `multiprocessing.connection.Connection` (pickled tuples):
  reader  ("query", gen, snapshot, sparql, default_graphs, named_graphs, results_fmt, graph_fmt, max_rows[, options])
          ("count", gen, snapshot)
  writer  ("update", sparql, options)   a client's update: checked (see PARSED_UPDATE_BYTES), then run
          ("write", sparql)             an update the server made (Graph Store Protocol): run as it is
          ("has_graph", iri), ("backup", folder), ("count",)
  reply   ("ok", kind, format, body, rows, truncated) or ("error", status, message[, RETIRE]); after RETIRE (a
          memory failure) the process ends and the server starts another
options: {"allowed_hosts": (...), "base": IRI or None, "max_bytes": int, "union": bool,
          "existing": IRI of a named graph that must be in the store (else 404; the Graph Store's GET)}
"""

from __future__ import annotations

import re
import resource
import sys
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from . import formats
from .sparql_syntax import describe
from .vocab import PREFIXES

# Prefixes make Turtle readable; only those with distinct IRIs (the `org` key is used twice in vocab).
TURTLE_PREFIXES = {p: iri for p, iri in PREFIXES.items() if p != "org"} | {"org": "http://www.w3.org/ns/org#"}


class _Full(Exception):
    """Raised inside pyoxigraph's serialiser to stop evaluation once the row cap is reached."""


class _TooLarge(Exception):
    """The answer would pass the response size limit."""


class _CappedWriter:
    """A file-like sink keeping the first `limit` lines and at most `max_bytes` bytes. Line formats (TSV, N-Triples)
    have one row per line, so stopping the writer stops the lazy query evaluation right after the last row we keep."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.limit = limit
        self.max_bytes = max_bytes
        self.done = False
        self.truncated = False

    def write(self, data: bytes) -> int:
        if self.done:  # pyoxigraph flushes its buffer once more after our exception: ignore it
            return len(data)
        data = bytes(data)
        self.size += len(data)
        if self.size > self.max_bytes:
            self.done = True
            self.parts.clear()
            raise _TooLarge
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


def _capped(result: object, limit: int, fmt: object, max_bytes: int) -> tuple[bytes, bool, int]:
    sink = _CappedWriter(limit, max_bytes)
    try:
        result.serialize(sink, fmt)
    except _Full:
        pass
    except OSError as exc:  # pyoxigraph wraps what the sink raised
        if sink.done and not sink.truncated:
            raise _TooLarge from None
        raise exc
    if sink.done and not sink.truncated:
        raise _TooLarge
    body = sink.value()
    return body, sink.truncated, body.count(b"\n")


_OFFLINE = False  # this process runs in a network namespace of its own (set by main)
RETIRE = "retire"  # appended to a reply after which the process ends: the server replaces it


def _out_of_memory(status: int, message: str) -> tuple:
    """An error after a memory failure, marked to retire the process: its heap may stay fragmented near the limit,
    so a fresh process answers the next job. Decided on the failure, never on the message (which may quote the
    client's query)."""
    return ("error", status, message, RETIRE)


def _refusal(exc: Exception) -> tuple:
    status = exc.status  # the policy's Refused: 413 when reading the text ran out of memory
    return _out_of_memory(status, str(exc)) if status == 413 else ("error", status, str(exc))


UPDATED = ("ok", "update", None, None, 0, False)
DEFAULT_OPTIONS = {"allowed_hosts": (), "base": None, "max_bytes": 512 * 1024 * 1024}
_PATH = re.compile(r"(?<![\w:/.<-])(?:/[^\s/:'\"()<>]+)+/?")  # a path, not the path part of an IRI in the message


_STORAGE = re.compile(r"IO error|No space|Read-only file system|Disk quota|Corruption|os error (28|30|122)\b",
                      re.IGNORECASE)  # RocksDB's and the OS's words for a store that cannot be written


def _no_paths(message: str) -> str:
    """An error message without the server's file paths (RocksDB names its files in its errors)."""
    return _PATH.sub("<file>", message)


def _graphs(iris: list[str], params: str = "default-graph-uri or named-graph-uri") -> list[ox.NamedNode]:
    try:
        return [ox.NamedNode(g) for g in iris]
    except ValueError as exc:
        raise ValueError(f"not an IRI in {params}: {exc}") from None


def run_query(store: ox.Store, sparql: str, default: list[str] | None, named: list[str] | None,
              results_fmt: str | None, graph_fmt: str | None, max_rows: int, options: dict | None = None) -> tuple:
    from .endpoint_policy import Refused, check

    options = {**DEFAULT_OPTIONS, **(options or {})}
    if options.get("existing") and not store.contains_named_graph(ox.NamedNode(options["existing"])):
        return ("error", 404, f"no graph <{options['existing']}>")
    try:
        checked = check(sparql, update=False, allowed_hosts=options["allowed_hosts"], base=options["base"])
    except Refused as exc:
        if exc.status == 400 and _OFFLINE:
            hint = " (write \\u escapes as the characters themselves)" if re.search(r"\\[uU]", sparql) else ""
            return ("error", 400, _oxigraph_syntax_error(sparql, options["base"])
                    or f"this endpoint could not check the query before running it, so it does not run it{hint}: "
                       f"{str(exc).removeprefix('malformed query: ')}")
        return _refusal(exc)
    # The union of all graphs is the default graph only when neither the request nor the query names a dataset.
    kwargs: dict[str, object] = {"use_default_graph_as_union": options.get("union", True) and not default
                                 and not named and not checked.names_dataset}
    try:
        if default:
            kwargs["default_graph"] = _graphs(default)
        if named:
            kwargs["named_graphs"] = _graphs(named)
            if not default:
                kwargs["default_graph"] = []  # named graphs only: an empty default graph, as the Protocol says
    except ValueError as exc:
        return ("error", 400, str(exc))
    try:
        result = store.query(sparql, base_iri=options["base"], **kwargs)
    except (SyntaxError, ValueError) as exc:
        return ("error", 400, f"malformed query: {describe(sparql, exc)}")
    except RuntimeError as exc:  # valid SPARQL the engine will not run, e.g. a function it does not know
        return ("error", 500, f"query refused: {_no_paths(str(exc))}")
    try:
        return _answer(result, results_fmt, graph_fmt, max_rows, options["max_bytes"])
    except _TooLarge:
        return ("error", 500, f"the answer is larger than this server's response limit ({options['max_bytes']} bytes, "
                              "kgbuild serve --max-response-bytes): ask for less, e.g. with LIMIT")
    except MemoryError:
        return _out_of_memory(500, "the query needs more memory than this server allows "
                                   "(kgbuild serve --max-query-memory)")


def _oxigraph_syntax_error(sparql: str, base: str | None) -> str | None:
    """Oxigraph's own message for a query the policy could not parse, with line and column, or None if Oxigraph
    reads it. Asked of an empty store in memory, and only in an offline worker: what it may evaluate reaches no one."""
    try:
        ox.Store().query(sparql, base_iri=base)
    except SyntaxError as exc:
        return f"malformed query: {describe(sparql, exc)}"
    except Exception:  # noqa: BLE001 - any other failure: the policy's message stands
        return None
    return None


def _answer(result: object, results_fmt: str | None, graph_fmt: str | None, max_rows: int, max_bytes: int) -> tuple:
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
            tsv, truncated, lines = _capped(result, max_rows + 1, ox.QueryResultsFormat.TSV, max_bytes)
            rows = max(lines - 1, 0)
            if results_fmt == "tsv":
                return ("ok", "select", "tsv", tsv, rows, truncated)
            # Re-read the capped rows in Rust and write the requested format: cheap next to HTTP and evaluation.
            body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(
                format=formats.results_format(results_fmt))
            if truncated and results_fmt == "json":  # said in the body too, not only in X-Kgbuild-Truncated
                body = b'{"truncated":true,"maxRows":%d,' % max_rows + body.lstrip()[1:]
            if len(body) > max_bytes:
                raise _TooLarge
            return ("ok", "select", results_fmt, body, rows, truncated)
        if graph_fmt is None:
            return ("error", 406, "no acceptable format for a graph result (try text/turtle)")
        nt, truncated, rows = _capped(result, max_rows, ox.RdfFormat.N_TRIPLES, max_bytes)
        if graph_fmt == "ntriples":
            return ("ok", "graph", "ntriples", nt, rows, truncated)
        triples = list(ox.parse(nt, ox.RdfFormat.N_TRIPLES))
        if formats.GRAPHS[graph_fmt].has_datasets:
            triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        prefixes = TURTLE_PREFIXES if graph_fmt in ("turtle", "trig") else None
        body = ox.serialize(triples, format=formats.rdf_format(graph_fmt), prefixes=prefixes)
        if len(body) > max_bytes:
            raise _TooLarge
        return ("ok", "graph", graph_fmt, body, rows, truncated)
    except (SyntaxError, ValueError) as exc:
        return ("error", 400, f"query failed: {_no_paths(str(exc))}")
    except OSError as exc:
        return ("error", 500, f"query failed: {_no_paths(str(exc))}")


# rdflib's parser reads about 20 KB a second of INSERT DATA: a build sending batches of articles through the server
# would wait minutes. An offline writer (see _go_offline) cannot reach any host, so a large update runs unparsed there:
# the policy only looks for SERVICE and LOAD, and there neither can fetch anything (no interface is up, and Oxigraph's
# LOAD and SERVICE speak only http(s): file: is not read, other schemes are refused); time and memory stay bounded.
PARSED_UPDATE_BYTES = 64 * 1024


def run_update(store: ox.Store, sparql: str, options: dict, offline: bool = False) -> tuple:
    from .endpoint_policy import Refused, check, with_using

    options = {**DEFAULT_OPTIONS, **options}
    using, using_named = options.get("using") or [], options.get("using_named") or []
    if offline and not options["allowed_hosts"] and not (using or using_named) and len(sparql) > PARSED_UPDATE_BYTES:
        return _write(store, sparql, options["base"])
    try:
        _graphs(using + using_named, "using-graph-uri or using-named-graph-uri")
        checked = check(sparql, update=True, allowed_hosts=options["allowed_hosts"], base=options["base"])
        if using or using_named:
            if checked.names_dataset:
                return ("error", 400, "using-graph-uri or using-named-graph-uri with an update that has USING or "
                                      "WITH: say the graphs in one place")
            sparql = with_using(sparql, using, using_named)
            check(sparql, update=True, allowed_hosts=options["allowed_hosts"], base=options["base"])
    except Refused as exc:
        return _refusal(exc)
    except ValueError as exc:
        return ("error", 400, str(exc))
    if checked.silent_loads:  # LOAD SILENT of IRIs this server may not fetch: a success that fetches nothing
        if checked.silent_loads == checked.operations:
            return UPDATED  # nothing else to do
        if not offline:
            return ("error", 403, "LOAD SILENT of an IRI this server may not fetch, with other operations: this server "
                                  "can run it only without them (send the LOAD SILENT on its own)")
        # Offline, the LOAD cannot reach any host; its failure is a success, as SILENT says.
    return _write(store, sparql, options["base"])


def _write(store: ox.Store, sparql: str, base: str | None = None) -> tuple:
    try:
        store.update(sparql, base_iri=base)
    except SyntaxError as exc:
        return ("error", 400, f"malformed update: {exc}")
    except ValueError as exc:
        return ("error", 400, f"update failed: {_no_paths(str(exc))}")
    except RuntimeError as exc:  # valid SPARQL the engine will not run, e.g. a function it does not know
        return ("error", 500, f"update refused, nothing was written: {_no_paths(str(exc))}")
    except OSError as exc:
        message = _no_paths(str(exc))
        if _STORAGE.search(message):  # the disk is full, or the store broke: the server reopens the store
            return ("error", 507, f"update failed, nothing was written: {message}")
        return ("error", 500, f"update failed, nothing was written: {message}")
    except MemoryError:
        return _out_of_memory(500, "the update needs more memory than this server allows (--max-query-memory)")
    return UPDATED


def _go_offline() -> bool:
    """Put this process in a network namespace of its own, with no interface up: no query or update it runs can
    reach any host, whatever the policy's parse missed. Needs root or unprivileged user namespaces; False if neither."""
    import ctypes
    import os

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    if libc.unshare(clone_newnet) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(clone_newuser | clone_newnet) != 0:
        return False
    try:  # keep our own ids inside the namespace, so files we write keep their owner
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


def _limit_memory(max_bytes: int) -> None:
    if max_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (max_bytes, max_bytes))


def _serve(conn: Connection, answer: Callable[[tuple], tuple]) -> None:
    """Answer the server's jobs one at a time until it goes away or a reply retires this process."""
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        try:
            reply = answer(job)
        except MemoryError:
            reply = _out_of_memory(500, "the request needs more memory than this server allows "
                                        "(kgbuild serve --max-query-memory)")
        except Exception as exc:  # noqa: BLE001 - report, never die on one bad job
            reply = ("error", 500, f"{type(exc).__name__}: {_no_paths(str(exc))}")
        conn.send(reply)
        if reply[-1] == RETIRE:
            return


def _count(store: ox.Store) -> tuple:
    return ("ok", "count", None, None, len(store), False)




class _Reader:
    """A reader's jobs, each on the checkpoint it names (opened once, until the server names a newer one)."""

    def __init__(self) -> None:
        self.gen: int | None = None
        self.store: ox.Store | None = None

    def __call__(self, job: tuple) -> tuple:
        if job[1] != self.gen:
            self.store = None  # closed before the next one is opened
            self.store = ox.Store.read_only(job[2])
            self.gen = job[1]
        if job[0] == "count":
            return _count(self.store)
        return run_query(self.store, *job[3:])


def _writer(store: ox.Store, offline: bool, job: tuple) -> tuple:
    """A job of the writer, on the live store."""
    try:
        if job[0] == "update":
            return run_update(store, job[1], job[2], offline)
        if job[0] == "write":
            return _write(store, job[1])
        if job[0] == "has_graph":
            return ("ok", "has_graph", None, store.contains_named_graph(ox.NamedNode(job[1])), 0, False)
        if job[0] == "backup":
            store.backup(job[1])
            return ("ok", "backup", None, None, 0, False)
        return _count(store)
    except OSError as exc:  # the store cannot be read or written (e.g. a full disk): the server reopens it
        return ("error", 507, f"{type(exc).__name__}: {_no_paths(str(exc))}")


def main(fd: int, max_memory: int = 0, store_path: str | None = None, offline: bool = False) -> None:
    conn = Connection(fd)
    global _OFFLINE
    offline = _OFFLINE = offline and _go_offline()
    _limit_memory(max_memory)
    from . import endpoint_policy

    endpoint_policy.warm_up()  # import and build rdflib's grammar now, not in the first query's time
    if store_path is None:
        conn.send(("ready", offline))
        _serve(conn, _Reader())
        return
    try:
        store = ox.Store(store_path)
    except OSError as exc:  # e.g. a full disk: RocksDB writes files as it opens
        conn.send(("failed", _no_paths(str(exc))))
        return
    conn.send(("ready", offline))
    _serve(conn, partial(_writer, store, offline))


if __name__ == "__main__":  # FD MAX_MEMORY STORE|- offline|online
    main(int(sys.argv[1]), int(sys.argv[2]), None if sys.argv[3] == "-" else sys.argv[3], sys.argv[4] == "offline")
