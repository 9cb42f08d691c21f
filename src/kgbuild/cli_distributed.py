"""The `kgbuild shard` and `kgbuild load` commands: extraction on a Dask cluster into N-Quads shards, and their
load into a store (the work itself is in `distributed`; Dask is imported only when a command runs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .cli_options import Failure, mappings_option, ontology_option, store_option, token_option
from .distributed import DEFAULT_PARTITION_SIZE, REJECTED, ShardSummary, extract_to_shards, load_shards
from .resources import ontology_files
from .store import StoreError, default_location, open_store


# -- the commands ------------------------------------------------------------------------------------------------
@click.command("shard")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the shards.")
@click.option("--scheduler", default=None, metavar="ADDR",
              help="Dask scheduler address (tcp://host:8786); default: a local cluster on this machine.")
@click.option("--workers", type=int, default=None, help="Worker processes of the local cluster (default: cores).")
@click.option("--partitions", type=int, default=None, help="Split the input into this many partitions.")
@click.option("--partition-size", type=int, default=DEFAULT_PARTITION_SIZE, show_default=True,
              help="Articles per partition (when --partitions is not given).")
@mappings_option
@ontology_option
def shard(inputs: tuple[str, ...], out_dir: str, scheduler: str | None, workers: int | None,
          partitions: int | None, partition_size: int) -> None:
    """Extract INPUTS on a Dask cluster into N-Quads shards (load them with `kgbuild load`)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise Failure("kgbuild shard needs Dask: pip install 'kgbuild[dist]'") from None
    summary = ShardSummary()

    def progress(s: ShardSummary) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{len(s.shards)} shards, {s.stored} articles, {s.rejected} rejected", err=True, nl=False)

    extract_to_shards(inputs, out_dir, scheduler=scheduler, partitions=partitions, partition_size=partition_size,
                      workers=workers, on_progress=progress, summary=summary)
    if sys.stderr.isatty():
        click.echo("", err=True)
    if summary.rejected:
        click.echo(f"kgbuild: rejected articles and reasons written to {Path(out_dir) / REJECTED}", err=True)
    click.echo(summary.line())


@click.command("load")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True))
@store_option
@token_option()
@ontology_option
def load(shards: tuple[str, ...], store_path: str | None, token: str | None) -> None:
    """Load N-Quads SHARDS (files or folders of part-*.nq) made by `kgbuild shard` into the store."""
    files: list[Path] = []
    for s in shards:
        p = Path(s)
        files.extend(sorted(p.glob("part-*.nq")) if p.is_dir() else [p])
    started = time.perf_counter()
    collisions: list[str] = []

    def collision(message: str) -> None:  # one line each, and the loading goes on (as build's rejections)
        collisions.append(message)
        click.echo(f"kgbuild: {message}", err=True)

    try:
        with open_store(store_path or default_location(), token=token) as store:
            store.load_ontology(ontology_files())  # as `kgbuild build` does, so both give the same store
            stored, unchanged = load_shards(files, store, on_collision=collision)
    except (StoreError, ValueError) as exc:
        raise Failure(str(exc)) from None
    refused = f"{len(collisions)} refused (colliding ids), " if collisions else ""
    click.echo(f"{len(files)} shards loaded: {stored} graphs stored, {unchanged} unchanged, {refused}"
               f"{time.perf_counter() - started:.1f} s")
    sys.exit(1 if collisions else 0)
