"""The `kgbuild` command line: build, validate, query, export, serve."""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .reader import DEFAULT_MAX_CHARS
from .store import StoreError, default_location, open_store

if TYPE_CHECKING:
    from .pipeline import Outcome, Summary

EXPORT_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld")  # keys of kgbuild.formats.GRAPHS
ONTOLOGY_DIR = Path(__file__).resolve().parent.parent.parent / "ontology"


class Failure(click.ClickException):
    """An error for the user: one line, exit code 1 (2 is usage)."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"kgbuild: error: {self.message}", err=True)


def _fail(ctx: click.Context, exc: BaseException) -> None:
    if ctx.find_root().params.get("verbose"):
        traceback.print_exception(exc)
    raise Failure(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and details.")
@click.version_option(__version__, prog_name="kgbuild")
def main(verbose: bool) -> None:
    """Build a knowledge graph of states, officials, meetings and agreements from news articles."""


store_option = click.option("--store", "store_path", default=None, metavar="S",
                            help="Store folder (default ./kgbuild-store or $KGBUILD_STORE), or the http(s):// URL of "
                                 "a SPARQL 1.1 server (kgbuild serve, Oxigraph, Fuseki, GraphDB, QLever).")
token_option = click.option("--token", envvar="KGBUILD_TOKEN", default=None, metavar="T",
                            help="Bearer token sent to a remote --store (or $KGBUILD_TOKEN).")


def _ontology_files() -> list[Path]:
    from .gazetteer import mappings_dir

    folder = mappings_dir().parent / "ontology"
    return [p for p in (folder / "kgbuild.ttl", folder / "shapes.ttl") if p.exists()]


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@store_option
@token_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the rejected articles and their reasons (default: <store>/rejected.jsonl).")
@click.option("--max-chars", type=click.IntRange(min=1), default=None,
              help=f"Reject articles longer than this many characters of text (default {DEFAULT_MAX_CHARS:,}).")
@click.pass_context
def build(ctx: click.Context, inputs: tuple[str, ...], store_path: str | None, token: str | None, jobs: int | None,
          report_path: str | None, max_chars: int | None) -> None:
    """Read INPUTS (files, folders, - for stdin), extract, validate and store each article.

    Each problem with an input is one line on stderr naming the file (and line); the rest goes on, and the exit
    code is 1 when any article was rejected. Ctrl-C stops after the current batch (exit code 130); a second
    Ctrl-C stops at once. Either way every article in the store is complete, and running the same build again
    finishes the job.
    """
    from .pipeline import ConfigError, default_jobs, prepare
    from .pipeline import build as run_build
    from .reader import read

    location = store_path or default_location()
    interrupt = _Interrupt()
    store = None
    try:
        with interrupt:
            store = open_store(location, token=token)
            store.load_ontology(_ontology_files())
            prepare()  # a broken rule or gazetteer file: one line, before any article
            items = read(list(inputs), max_chars=max_chars or DEFAULT_MAX_CHARS)
            summary = _run_build(run_build, items, store, jobs or default_jobs(), interrupt)
            store.flush()
            if summary.stored and hasattr(store, "optimize"):  # embedded: compact the files the build wrote
                store.optimize()
            _write_report(summary, location, report_path)
    except (StoreError, ConfigError, OSError) as exc:
        _fail(ctx, exc)
    except KeyboardInterrupt:
        _flush_quietly(store)
        click.echo("kgbuild: interrupted; every article stored so far is complete (run the build again to finish)",
                   err=True)
        sys.exit(130)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback with --verbose
        _fail(ctx, Exception(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)"))
    click.echo(summary.line())
    if summary.interrupted:
        click.echo("kgbuild: interrupted after the current batch; every article stored so far is complete "
                   "(run the build again to finish)", err=True)
        sys.exit(130)
    sys.exit(1 if summary.rejected else 0)


def _run_build(run_build: Callable[..., Summary], items: Iterable[object], store: object, jobs: int,
               interrupt: _Interrupt) -> Summary:
    show_progress = sys.stderr.isatty()
    with click.progressbar(length=0, label="building", file=sys.stderr, show_pos=True) if show_progress \
            else _NoBar() as bar:
        def on_outcome(outcome: Outcome) -> None:
            if outcome.error:
                click.echo(f"kgbuild: {outcome.source}: {outcome.error}", err=True)
            for w in outcome.warnings:
                click.echo(f"kgbuild: warning: {w}", err=True)
            bar.update(1)

        interrupt.armed = True  # from here on the first Ctrl-C lets the current batch finish
        return run_build(items, store, jobs=jobs, on_outcome=on_outcome, stop=interrupt.requested)


def _write_report(summary: Summary, location: str, report_path: str | None) -> None:
    """The rejected articles and their reasons, one JSON object a line (none: no file is written)."""
    if not summary.rejections:
        return
    # a remote store has no folder of its own: the report goes to the working folder
    folder = Path("." if location.startswith(("http://", "https://")) else location)
    path = Path(report_path) if report_path else folder / "rejected.jsonl"
    try:
        with path.open("w", encoding="utf-8") as fh:
            for o in summary.rejections:
                fh.write(json.dumps({"source": o.source, "reason": o.error, "report": o.report}) + "\n")
    except OSError as exc:
        raise StoreError(f"{path}: cannot write the report of rejected articles: {exc.strerror}") from None
    click.echo(f"kgbuild: rejected articles and reasons written to {path}", err=True)


def _flush_quietly(store: object) -> None:
    try:
        if store is not None:
            store.flush()
    except Exception:  # noqa: BLE001, S110 - best effort on the way out
        pass


class _Interrupt:
    """SIGINT during a build: before the articles flow it stops at once; then the first Ctrl-C asks the build to
    stop after the current batch, and a second one stops at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.armed = False
        self.stopping = False
        self._previous: object = None

    def requested(self) -> bool:
        return self.stopping

    def _handle(self, signum: int, frame: object) -> None:
        if not self.armed or self.stopping:
            raise KeyboardInterrupt
        self.stopping = True
        click.echo("kgbuild: interrupted: finishing the current batch (Ctrl-C again to stop at once)", err=True)

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
@click.argument("inputs", nargs=-1, required=True)
@click.pass_context
def validate(ctx: click.Context, inputs: tuple[str, ...]) -> None:
    """Extract and validate INPUTS without storing; print the SHACL report of each failing article."""
    from .pipeline import outcomes
    from .reader import read

    failed = total = 0
    for outcome in outcomes(read(list(inputs))):
        total += 1
        if outcome.error:
            failed += 1
            click.echo(f"{outcome.source}: {outcome.error}")
            if outcome.report:
                click.echo(outcome.report)
    click.echo(f"{total} articles validated, {total - failed} conform, {failed} rejected")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("query")
@store_option
@token_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "turtle"]), default="table")
@click.pass_context
def query(ctx: click.Context, query: str, store_path: str | None, token: str | None, fmt: str) -> None:
    """Run a SPARQL QUERY (text, or @file.rq) against the store."""
    from .results import write_results

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
        _fail(ctx, Exception(f"invalid query: {exc}"))
    write_results(result, fmt, sys.stdout)


@main.command()
@store_option
@token_option
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
        if graph and graph not in set(store.graphs()):
            raise StoreError(f"no graph <{graph}> in the store")
        rdf_format = to_rdf_format(fmt)
        if output:
            with open(output, "wb") as fh:
                store.dump(fh, rdf_format, graph)
        else:
            store.dump(sys.stdout.buffer, rdf_format, graph)
            sys.stdout.buffer.flush()
    except StoreError as exc:
        _fail(ctx, exc)


@main.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--timeout", default=30.0, type=float, show_default=True, help="Per-query timeout in seconds.")
@click.option("--token", envvar="KGBUILD_UPDATE_TOKEN", default=None,
              help="Bearer token that allows updates (or $KGBUILD_UPDATE_TOKEN); without it the store is read-only.")
@click.option("--max-rows", default=None, type=int, help="Cap on result rows of a query (default 100000).")
@click.option("--allow-service-host", "service_hosts", multiple=True, metavar="HOST",
              help="Allow SERVICE and LOAD of IRIs on this host (repeatable), e.g. query.wikidata.org.")
@click.option("--threads", default=None, type=int, help="Server threads (default 16).")
@click.option("--workers", default=None, type=int, help="Query worker processes (default: one per core, at least 2).")
@click.pass_context
def serve(ctx: click.Context, store_path: str | None, host: str, port: int, timeout: float,
          token: str | None, max_rows: int | None, service_hosts: tuple[str, ...], threads: int | None,
          workers: int | None) -> None:
    """Serve the store: SPARQL endpoint at /sparql, query page at /, explore pages at /explore/."""
    from .endpoint import serve as run

    options: dict = {"timeout": timeout, "token": token, "allow_service_hosts": service_hosts, "workers": workers}
    if max_rows is not None:
        options["max_rows"] = max_rows
    if threads is not None:
        options["threads"] = threads
    try:
        run(store_path or default_location(), host, port, **options)
    except StoreError as exc:
        _fail(ctx, exc)



# Running the extraction on a Dask cluster (`pip install kgbuild[dist]`); Dask itself is imported only when they run.
from .distributed import load as _load_command  # noqa: E402
from .distributed import shard as _shard_command  # noqa: E402

main.add_command(_shard_command)
main.add_command(_load_command)

# Linking to Wikidata beyond the bundled gazetteers (`link --online`) and the linking report (`stats`).
from .link import link as _link_command  # noqa: E402
from .link import stats as _stats_command  # noqa: E402

main.add_command(_link_command)
main.add_command(_stats_command)


if __name__ == "__main__":
    main()
