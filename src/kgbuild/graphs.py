"""Article graphs as the stores take them, and what every store (embedded or remote) does alike.

An article graph carries `<article> kg:digest "..."`, a hash of its content, so a re-run of the same
input is recognised and changes nothing. `store` (embedded Oxigraph) and `remote` (a SPARQL server) both build
on this module; neither imports the other's internals.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from .vocab import ENTITIES_GRAPH, KG, ONTOLOGY_GRAPH, SCHEMA

DEFAULT_STORE = "./kgbuild-store"
DIGEST = ox.NamedNode(KG + "digest")
IDENTIFIER = ox.NamedNode(SCHEMA + "identifier")  # an article's id as the input wrote it


def id_collision(iri: str, new_id: str | None, other_id: str | None, other_where: str) -> str | None:
    """Why an article with id `new_id` must not overwrite the graph `iri` made from `other_id`, or None when it is
    the same article. Ids are keyed in lower case ("G-1" and "g-1" give one IRI); ids that are not
    [A-Za-z0-9._-] name the article by its text, so the same IRI from two such ids is the same text again."""
    if other_id is None or new_id is None or other_id == new_id or other_id.lower() != new_id.lower():
        return None
    return (f"id {new_id!r} collides with id {other_id!r} ({other_where}): both give the article <{iri}> (ids are "
            f"compared ignoring case); rename one of them")


class StoreError(Exception):
    """The store cannot be opened or written; the message is meant for the user."""


@dataclass(frozen=True)
class ArticleGraph:
    """An article's graph ready to store: its IRI, its triples as N-Triples text, and their digest.

    `entities` holds the descriptions of the shared entities the article names (type, label, Wikidata link of
    states, places, organisations, positions, officials), which go to the one ENTITIES_GRAPH rather than into
    every article's graph: the same triple in thousands of graphs makes union-graph queries repeat it
    thousands of times (pyoxigraph 0.5 counts a triple once per graph, oxigraph#1919).

    Plain strings, so that graphs made in worker processes travel cheaply to the one writer.
    """

    iri: str
    ntriples: str
    digest: str
    entities: str = ""

    @classmethod
    def of(cls, iri: str, triples: Iterable[ox.Triple | ox.Quad],
           entities: Iterable[ox.Triple | ox.Quad] = ()) -> ArticleGraph:
        """Serialise the triples (sorted, so equal graphs give equal text) and add their digest to the graph."""
        lines = _sorted_lines(triples)
        shared = _sorted_lines(entities)
        digest = hashlib.sha256("\n".join([*lines, "", *shared]).encode("utf-8")).hexdigest()
        lines.append(f'<{iri}> <{DIGEST.value}> "{digest}" .')
        return cls(iri, "\n".join(lines) + "\n", digest, "\n".join(shared) + "\n" if shared else "")


def _sorted_lines(triples: Iterable[ox.Triple | ox.Quad]) -> list[str]:
    data = ox.serialize([ox.Triple(t.subject, t.predicate, t.object) for t in triples], format=ox.RdfFormat.N_TRIPLES)
    return sorted(set(data.decode("utf-8").splitlines()))


def ontology_graph(turtle_paths: Iterable[Path]) -> ArticleGraph:
    """The ontology files as one graph; its digest is that of the files, so an unchanged ontology is not rewritten
    (its blank nodes would otherwise get new labels on every load)."""
    paths = list(turtle_paths)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()
    triples = [t for p in paths for t in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE)]
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return ArticleGraph(ONTOLOGY_GRAPH, body + f'<{ONTOLOGY_GRAPH}> <{DIGEST.value}> "{digest}" .\n', digest)


def replace_update(graphs: list[ArticleGraph]) -> str:
    """One SPARQL update that replaces these article graphs and adds their entities: one transaction."""
    parts = [f"DROP SILENT GRAPH <{g.iri}>" for g in graphs]
    blocks = [_graph_block(g.iri, g.ntriples) for g in graphs]
    entities = "".join(g.entities for g in graphs)
    if entities:
        blocks.append(_graph_block(ENTITIES_GRAPH, entities))
    parts.append("INSERT DATA {\n" + "".join(blocks) + "}")
    return " ;\n".join(parts)


# One token variable on both sides: the client sends $KGBUILD_TOKEN and the server accepts it; $KGBUILD_UPDATE_TOKEN
# (the server's older name) is read too, on both sides.
TOKEN_ENV = ("KGBUILD_TOKEN", "KGBUILD_UPDATE_TOKEN")


def env_token() -> str | None:
    """The bearer token from the environment: the first of TOKEN_ENV that is set and not empty."""
    return next((os.environ[name] for name in TOKEN_ENV if os.environ.get(name)), None)


def default_location() -> str:
    return os.environ.get("KGBUILD_STORE", DEFAULT_STORE)


def _graph_block(graph: str, ntriples: str) -> str:
    """`GRAPH <g> { ... }` for SPARQL INSERT DATA; N-Triples lines are valid SPARQL triples."""
    return f"GRAPH <{graph}> {{\n{ntriples}}}\n"


class Exports:
    """`export` for any store that has `graphs()` and `dump(output, format, graph)`."""

    def export(self, destination: str | os.PathLike[str] | IO[bytes], format: ox.RdfFormat | str | None = None,
               *, graph: str | None = None) -> None:
        """Write the store (or one graph) as RDF.

        `destination` is a file path or a binary file object. `format` is a pyoxigraph `RdfFormat`, a file
        extension ("ttl", "nq", "trig", "jsonld") or a media type; by default it follows the path's extension,
        else Turtle. Triple formats get the union of all graphs; N-Quads and TriG keep the graph names.
        A file is written to a temporary name beside it and renamed when complete: never half-written.
        """
        rdf_format = rdf_format_of(format, destination)
        if graph is not None and graph not in set(self.graphs()):  # type: ignore[attr-defined]
            raise StoreError(f"no graph <{graph}> in the store")
        if not isinstance(destination, (str, os.PathLike)):
            self.dump(destination, rdf_format, graph)  # type: ignore[attr-defined]
            return
        path = Path(destination)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder: the rename is atomic
        try:
            with tmp.open("wb") as fh:
                self.dump(fh, rdf_format, graph)  # type: ignore[attr-defined]
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def rdf_format_of(format: ox.RdfFormat | str | None, destination: object = None) -> ox.RdfFormat:
    """pyoxigraph's RdfFormat for a format, an extension or a media type (or the destination's extension)."""
    if isinstance(format, ox.RdfFormat):
        return format
    if format is None:
        suffix = Path(destination).suffix if isinstance(destination, (str, os.PathLike)) else ""
        return (ox.RdfFormat.from_extension(suffix[1:]) if suffix else None) or ox.RdfFormat.TURTLE
    found = ox.RdfFormat.from_media_type(format) if "/" in format else ox.RdfFormat.from_extension(format.lstrip("."))
    if found is None:
        raise ValueError(f"unknown RDF format {format!r}: give a file extension (ttl, nt, nq, trig, jsonld, rdf) "
                         "or a media type")
    return found
