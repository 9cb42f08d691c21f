"""The `kgbuild` command line: build, validate, query, export, serve."""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__, cli_distributed, cli_link
from .cli_options import Failure, mappings_option, ontology_option, store_option, token_option
from .pipeline import DEFAULT_BUDGET
from .reader import DEFAULT_MAX_CHARS, DEFAULT_MAX_DECOMPRESSED
from .report import RejectionReport
from .results import FORMATS, default_format, fitting, form, write_results
from .sparql_syntax import describe
from .store import StoreError, default_location, open_store

if TYPE_CHECKING:
    from .pipeline import Outcome, Summary

EXPORT_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld")  # keys of kgbuild.formats.GRAPHS


def _fail(ctx: click.Context, exc: BaseException) -> None:
    if ctx.find_root().params.get("verbose"):
        traceback.print_exception(exc)
    raise Failure(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and details.")
@click.version_option(__version__, prog_name="kgbuild")
def main(verbose: bool) -> None:
    """Build a knowledge graph of states, officials, meetings and agreements from news articles."""


jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help="Worker processes (default: the number of cores).")
time_budget_option = click.option(
    "--time-budget", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_BUDGET, show_default=True,
    metavar="SECONDS", help="Reject an article that takes longer than this to extract and validate; the rest go on.")
inputs_argument = click.argument("inputs", nargs=-1, required=True,
                                 type=click.Path(exists=True, allow_dash=True, path_type=str))


@main.command()
@inputs_argument
@store_option
@token_option()
@jobs_option
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the rejected articles and their reasons (default: <store>/rejected.jsonl).")
@click.option("--max-chars", type=click.IntRange(min=1), default=None,
              help=f"Reject articles longer than this many characters of text (default {DEFAULT_MAX_CHARS:,}).")
@time_budget_option
@click.option("--max-decompressed", type=click.IntRange(min=1), default=DEFAULT_MAX_DECOMPRESSED, metavar="BYTES",
              help=f"Stop reading a gzipped file past this many decompressed bytes (default "
                   f"{DEFAULT_MAX_DECOMPRESSED:,}).")
@mappings_option
@ontology_option
@click.pass_context
def build(ctx: click.Context, inputs: tuple[str, ...], store_path: str | None, token: str | None, jobs: int | None,
          report_path: str | None, max_chars: int | None, time_budget: float, max_decompressed: int) -> None:
    """Read INPUTS (files, folders, - for stdin), extract, validate and store each article.

    Each problem with an input is one line on stderr naming the file (and line); the rest goes on, and the exit
    code is 1 when any article was rejected. An article that takes longer than --time-budget is rejected. Named
    pipes, devices and sockets met in a folder are skipped with a warning. Ctrl-C stops within a second or two,
    writing the articles done so far (exit code 130); a second Ctrl-C stops at once. Either way every article in
    the store is complete, and running the same build again finishes the job.
    """
    from . import build as run_build
    from .pipeline import ConfigError, default_jobs

    location = store_path or default_location()
    interrupt = _Interrupt()
    report = RejectionReport(_report_path(location, report_path))
    try:
        with interrupt, report:  # a report not committed by the end of the block (an error) is discarded
            summary = _run_build(run_build, list(inputs), location, token, jobs or default_jobs(), max_chars,
                                 interrupt, report, {"budget": time_budget, "max_decompressed": max_decompressed})
            _commit_report(report)
    except (StoreError, ConfigError, OSError) as exc:
        _fail(ctx, _disk_error(exc))
    except KeyboardInterrupt:  # the build flushed what it had committed
        click.echo("kgbuild: interrupted; every article stored so far is complete (run the build again to finish)",
                   err=True)
        _exit_now(130)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback with --verbose
        _fail(ctx, Exception(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)"))
    click.echo(summary.line())
    if summary.slow_validations:
        from .validate import unsupported

        click.echo(f"kgbuild: warning: {summary.slow_validations} articles validated by pySHACL, about 20 times "
                   f"slower: the shapes use SHACL the compiled validator does not support ({unsupported()})", err=True)
    if summary.interrupted:
        click.echo("kgbuild: interrupted; every article stored so far is complete "
                   "(run the build again to finish)", err=True)
        _exit_now(130)
    sys.exit(1 if summary.rejected else 0)


def _run_build(run_build: Callable[..., Summary], inputs: list[str], location: str, token: str | None, jobs: int,
               max_chars: int | None, interrupt: _Interrupt, report: RejectionReport, limits: dict) -> Summary:
    show_progress = sys.stderr.isatty()
    with click.progressbar(length=0, label="building", file=sys.stderr, show_pos=True) if show_progress \
            else _NoBar() as bar:
        def on_outcome(outcome: Outcome) -> None:
            # written straight to stderr: click.echo's checks and flush per call were a third of the cost of a
            # rejected record (a dump of a million bad records prints a million lines)
            if outcome.error:
                sys.stderr.write(f"kgbuild: {outcome.source}: {outcome.error}\n")
                try:  # streamed as they come: a million rejections must not be held in memory
                    report.add(outcome.source, outcome.error, outcome.report)
                except OSError as exc:
                    raise StoreError(f"{report.path}: cannot write the report of rejected articles: "
                                     f"{exc.strerror or exc}") from None
            for w in outcome.warnings:
                sys.stderr.write(f"kgbuild: warning: {w}\n")
            bar.update(1)

        return run_build(inputs, location, jobs=jobs, max_chars=max_chars, token=token, on_outcome=on_outcome,
                         stop=interrupt.requested, keep_rejections=False, **limits)


def _exit_now(code: int) -> None:
    """Exit after an interrupt without the interpreter's tear-down of the loaded rules and gazetteers (1.6 s on a
    busy machine: Ctrl-C is to stop within two seconds). The store is closed and the report settled by now. Inside
    a test's CliRunner (stdout not the process's own) the ordinary exit is kept."""
    if sys.stdout is not sys.__stdout__ or sys.stderr is not sys.__stderr__:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _report_path(location: str, report_path: str | None) -> Path:
    # a remote store has no folder of its own: the report goes to the working folder
    folder = Path("." if location.startswith(("http://", "https://")) else location)
    return Path(report_path) if report_path else folder / "rejected.jsonl"


def _commit_report(report: RejectionReport) -> None:
    """The rejected articles and their reasons, one JSON object a line (none: no file is written)."""
    try:
        path = report.commit()
    except OSError as exc:
        raise StoreError(f"{report.path}: cannot write the report of rejected articles: {exc.strerror or exc}") \
            from None
    if path is not None:
        click.echo(f"kgbuild: rejected articles and reasons written to {path}", err=True)


def _disk_error(exc: BaseException) -> BaseException:
    """A full disk, whichever layer met it, as one line."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG):
        return Exception(f"{exc.strerror}{f' writing {exc.filename}' if exc.filename else ''}: nothing half-written "
                         "was left behind; free some space and run the build again")
    return exc


class _Interrupt:
    """SIGINT during a build: before the articles flow it stops at once; then the first Ctrl-C asks the build to
    stop (the workers are stopped, the articles done so far written), and a second one stops at once
    (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.armed = False
        self.stopping = False
        self._previous: object = None

    def requested(self) -> bool:
        # asked first when the articles start to flow: from then on the first Ctrl-C stops the build gently
        self.armed = True
        return self.stopping

    def _handle(self, signum: int, frame: object) -> None:
        if not self.armed or self.stopping:
            raise KeyboardInterrupt
        self.stopping = True
        click.echo("kgbuild: interrupted: writing the articles done so far (Ctrl-C again to stop at once)", err=True)

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


@main.command()
@inputs_argument
@jobs_option
@time_budget_option
@mappings_option
@ontology_option
@click.pass_context
def validate(ctx: click.Context, inputs: tuple[str, ...], jobs: int | None, time_budget: float) -> None:
    """Extract and validate INPUTS without storing; print the SHACL report of each failing article.

    An article that takes longer than --time-budget is rejected, as in `kgbuild build`."""
    from .pipeline import default_jobs, outcomes
    from .reader import read

    failed = total = slow = 0
    for outcome in outcomes(read(list(inputs)), jobs or default_jobs(), budget=time_budget):
        if outcome.graph is None and outcome.error is None:  # not an article (a named pipe in a folder): skipped
            for w in outcome.warnings:
                click.echo(f"kgbuild: warning: {w}", err=True)
            continue
        total += 1
        slow += outcome.slow_validation
        if outcome.error:
            failed += 1
            click.echo(f"{outcome.source}: {outcome.error}")
            if outcome.report:
                click.echo(outcome.report)
    click.echo(f"{total} articles validated, {total - failed} conform, {failed} rejected")
    if slow:
        from .validate import unsupported

        click.echo(f"kgbuild: warning: {slow} articles validated by pySHACL, about 20 times slower: the shapes use "
                   f"SHACL the compiled validator does not support ({unsupported()})", err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("query")
@store_option
@token_option()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="SELECT and ASK: table (default), json, xml, csv, tsv; CONSTRUCT and DESCRIBE: ntriples (default), "
                   "turtle, rdfxml, jsonld, n3, nquads, trig.")
@click.pass_context
def query(ctx: click.Context, query: str, store_path: str | None, token: str | None, fmt: str | None) -> None:
    """Run a SPARQL QUERY (text, or @file.rq) against the store.

    The default graph is the union of all graphs in the store (see the README's "Graphs").
    """
    if query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            _fail(ctx, Exception(f"{query[1:]}: {exc.strerror}"))
    try:
        store = open_store(store_path or default_location(), read_only=True, token=token)
        result = store.query(query)
    except StoreError as exc:
        _fail(ctx, exc)
    except SyntaxError as exc:
        _fail(ctx, Exception(f"invalid query: {describe(query, exc)}"))
    query_form = form(result)  # known before any solution is computed: results stream lazily
    if fmt is not None and fmt not in fitting(query_form):
        raise click.UsageError(f"--format {fmt} does not fit a {query_form.upper()} query; "
                               f"use one of: {', '.join(fitting(query_form))}", ctx)
    write_results(result, fmt or default_format(query_form), sys.stdout)


@main.command()
@store_option
@token_option()
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="turtle")
@click.option("--graph", default=None, metavar="IRI", help="Export one article's graph only.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
@click.pass_context
def export(ctx: click.Context, store_path: str | None, token: str | None, fmt: str, graph: str | None,
           output: str | None) -> None:
    """Export the store (or one article graph) as Turtle, N-Triples, N-Quads, TriG or JSON-LD."""
    from .formats import rdf_format as to_rdf_format

    try:
        store = open_store(store_path or default_location(), read_only=True, token=token)
        store.export(output or sys.stdout.buffer, to_rdf_format(fmt), graph=graph)
        if not output:
            sys.stdout.buffer.flush()
    except StoreError as exc:
        _fail(ctx, exc)
    except OSError as exc:  # a full disk: one line; export() left no partial file
        _fail(ctx, Exception(f"{output or 'standard output'}: cannot write: {exc.strerror or exc}"))


@main.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--timeout", default=30.0, type=float, show_default=True, help="Per-query timeout in seconds.")
@token_option(help="Bearer token that allows updates (or $KGBUILD_TOKEN); without it the store is read-only.")
@click.option("--max-rows", default=None, type=int, help="Cap on result rows of a query (default 100000).")
@click.option("--allow-service-host", "service_hosts", multiple=True, metavar="HOST",
              help="Allow SERVICE and LOAD of IRIs on this host (repeatable), e.g. query.wikidata.org.")
@click.option("--threads", default=None, type=int, help="Server threads (default 16).")
@click.option("--workers", default=None, type=int, help="Query worker processes (default: one per core, at least 2).")
@ontology_option
@click.option("--max-response-bytes", default=512 * 1024**2, type=click.IntRange(min=1), metavar="N",
              show_default=True, help="Largest answer; a query whose answer is larger is refused with a message.")
@click.option("--max-query-memory", default=2 * 1024**3, type=click.IntRange(min=64 * 1024**2), metavar="N",
              show_default=True, help="Memory one query or update may use; past it, it is stopped with a message.")
@click.option("--base-url", default=None, metavar="URL",
              help="The server's public URL (default http://HOST:PORT/): the base of relative IRIs in queries and "
                   "the IRI in the service description.")
@click.option("--union-default-graph/--no-union-default-graph", default=True, show_default=True,
              help="A query that names no dataset (FROM, default-graph-uri) reads the union of all graphs, "
                   "or only the store's default graph.")
@click.pass_context
def serve(ctx: click.Context, store_path: str | None, host: str, port: int, timeout: float,
          token: str | None, max_rows: int | None, service_hosts: tuple[str, ...], threads: int | None,
          workers: int | None, max_response_bytes: int, max_query_memory: int, base_url: str | None,
          union_default_graph: bool) -> None:
    """Serve the store: SPARQL endpoint at /sparql, query page at /, explore pages at /explore/."""
    from .endpoint import serve as run

    if not _port_free(host, port):  # before the query workers start: one line, nothing to clean up
        _fail(ctx, Exception(f"port {port} is in use; try --port"))
    options: dict = {"timeout": timeout, "token": token, "allow_service_hosts": service_hosts, "workers": workers,
                     "max_response_bytes": max_response_bytes, "max_query_memory": max_query_memory,
                     "base_url": base_url, "union_default_graph": union_default_graph}
    if max_rows is not None:
        options["max_rows"] = max_rows
    if threads is not None:
        options["threads"] = threads
    try:
        run(store_path or default_location(), host, port, **options)
    except StoreError as exc:
        _fail(ctx, exc)
    except OSError as exc:  # taken between the check and the bind, or an address we cannot bind
        if exc.errno == errno.EADDRINUSE:
            _fail(ctx, Exception(f"port {port} is in use; try --port"))
        _fail(ctx, Exception(f"cannot listen on {host}:{port}: {exc.strerror or exc}"))


def _port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (with SO_REUSEADDR, as waitress binds)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return True  # let the server report the bad host
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return exc.errno != errno.EADDRINUSE
    return True



# Commands of their own modules: Wikidata linking (`link --online`, `stats`); the extraction on a Dask cluster
# (`pip install kgbuild[dist]`; Dask itself is imported only when they run).
main.add_command(cli_link.link)
main.add_command(cli_link.stats)
main.add_command(cli_distributed.shard)
main.add_command(cli_distributed.load)


if __name__ == "__main__":
    main()
