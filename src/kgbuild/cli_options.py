"""What the CLI modules share: options several commands take, and the one-line error (in a module of their own,
so that every CLI module can use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, TypeVar

import click

from .graphs import TOKEN_ENV

F = TypeVar("F", bound=Callable[..., object])


class Failure(click.ClickException):
    """An error for the user: one line, exit code 1 (2 is usage)."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"kgbuild: error: {self.message}", err=True)


def _use_folders(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--mappings / --ontology: read the declarative knowledge from the user's own copy (see `resources`)."""
    if value is not None:
        from .resources import use

        use(**{param.name: value})
    return value


mappings_option = click.option(
    "--mappings", type=click.Path(exists=True, file_okay=False), default=None, metavar="DIR", expose_value=False,
    callback=_use_folders, is_eager=True,
    help="Rules, lexicon and gazetteers from this folder instead of the bundled ones (or $KGBUILD_MAPPINGS).")
ontology_option = click.option(
    "--ontology", type=click.Path(exists=True, file_okay=False), default=None, metavar="DIR", expose_value=False,
    callback=_use_folders, is_eager=True,
    help="Vocabulary and SHACL shapes (kgbuild.ttl, shapes.ttl) from this folder (or $KGBUILD_ONTOLOGY).")

store_option = click.option(
    "--store", "store_path", default=None, metavar="S",
    help="Store folder (default ./kgbuild-store or $KGBUILD_STORE), or the http(s):// URL of a SPARQL 1.1 server "
         "(kgbuild serve, Oxigraph, Fuseki, GraphDB, QLever).")


def token_option(help: str = "Bearer token sent to a remote --store (or $KGBUILD_TOKEN).") -> Callable[[F], F]:
    """--token, or the environment's token (TOKEN_ENV): what a client sends to a remote store, what `serve` accepts."""
    return click.option("--token", envvar=list(TOKEN_ENV), default=None, metavar="T", help=help)
