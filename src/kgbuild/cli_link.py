"""The `kgbuild link` and `kgbuild stats` commands: Wikidata links beyond the gazetteers, and the linking report
(the work itself is in `link`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli_options import Failure, store_option, token_option
from .link import (
    DEFAULT_API,
    LINKS_GRAPH,
    Offline,
    WikidataClient,
    link_report,
    links_update,
    reconcile,
    unlinked_entities,
)
from .store import StoreError, default_location, open_store


# -- commands ----------------------------------------------------------------------------------------------------
@click.command()
@store_option
@token_option()
@click.option("--online", is_flag=True, help="Ask the Wikidata API about the entities the gazetteers left unlinked.")
@click.option("--api", default=DEFAULT_API, show_default=True, metavar="URL", help="MediaWiki API endpoint.")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False), default=None,
              help="JSON cache of API answers (default <store>/wikidata-cache.json, ./ for a remote store).")
@click.option("--rate", type=float, default=5.0, show_default=True, help="At most this many requests a second.")
@click.option("--dry-run", is_flag=True, help="Print the links without storing them.")
@click.option("-v", "--verbose", is_flag=True, help="Print each entity's outcome.")
def link(store_path: str | None, token: str | None, online: bool, api: str, cache_path: str | None, rate: float,
         dry_run: bool, verbose: bool) -> None:
    """Link the entities the bundled gazetteers could not link, through the Wikidata API (--online)."""
    location = store_path or default_location()
    remote = location.startswith(("http://", "https://"))
    if not remote and not Path(location).exists():
        # opening it to write would make an empty store there: a mistyped --store would pass unnoticed
        raise Failure(f"{location}: no store here (run `kgbuild build` first)")
    try:
        store = open_store(location, read_only=dry_run, token=token)
    except StoreError as exc:
        raise Failure(str(exc)) from None
    with store:  # closed before any exit, so the folder is free for the next user
        _link(store, location, remote, online, api, cache_path, rate, dry_run, verbose)


def _link(store: object, location: str, remote: bool, online: bool, api: str, cache_path: str | None, rate: float,
          dry_run: bool, verbose: bool) -> None:
    try:
        entities = unlinked_entities(store)
    except StoreError as exc:
        raise Failure(str(exc)) from None
    if not online:
        click.echo(f"{len(entities)} entities have no Wikidata link after the offline gazetteers; "
                   "`kgbuild link --online` asks the Wikidata API about them (see `kgbuild stats`).")
        return
    cache = Path(cache_path) if cache_path else Path("." if remote else location) / "wikidata-cache.json"
    client = WikidataClient(api, cache, rate)
    try:
        result = reconcile(entities, client, echo=click.echo if verbose else None)
    except Offline as exc:
        client.save()
        raise Failure(f"{exc}; no link written (answers so far are cached in {cache})") from None
    client.save()
    if not dry_run:
        try:
            store.update(links_update(result.links))
            store.flush()
        except StoreError as exc:
            raise Failure(str(exc)) from None
    else:
        for iri, qid in sorted(result.links.items()):
            click.echo(f"<{iri}> owl:sameAs wd:{qid}")
    click.echo(f"{len(entities)} unlinked entities looked up, {len(result.links)} linked "
               f"{'(dry run, not stored)' if dry_run else f'into <{LINKS_GRAPH}>'}; "
               f"{result.requests} API requests, the rest from {cache}")


@click.command()
@store_option
@token_option()
@click.option("--limit", type=int, default=20, show_default=True, help="How many unlinked entities to list (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def stats(store_path: str | None, token: str | None, limit: int, fmt: str) -> None:
    """Entities by class, linked to Wikidata or not, and the unlinked ones most mentioned first."""
    try:
        store = open_store(store_path or default_location(), read_only=True, token=token)
        report = link_report(store)
    except StoreError as exc:
        raise Failure(str(exc)) from None
    shown = report.unlinked[:limit] if limit else report.unlinked
    if fmt == "json":
        click.echo(json.dumps({
            "classes": {c: {"entities": n, "linked": k, "unlinked": n - k} for c, (n, k) in report.by_class.items()},
            "unlinked": [{"mentions": m, "class": c, "label": lab, "iri": iri} for m, c, lab, iri in shown],
        }, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'class':14}{'entities':>9}{'linked':>8}{'unlinked':>9}{'coverage':>10}")
    for c, (n, k) in report.by_class.items():
        click.echo(f"{c:14}{n:>9}{k:>8}{n - k:>9}{(k / n if n else 0):>10.0%}")
    if shown:
        click.echo(f"\nunlinked, most mentioned first (mentions = article graphs naming them; {len(shown)} of "
                   f"{len(report.unlinked)}):")
        for m, c, lab, iri in shown:
            click.echo(f"{m:>6}  {c:12}  {lab[:45]:45}  {iri}")
