"""Options several commands share (in a module of their own, so that every CLI module can use them)."""

from __future__ import annotations

import click


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
