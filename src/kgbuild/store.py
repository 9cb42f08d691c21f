"""The Oxigraph store: one named graph per article, each replaced whole in one transaction.

An article graph carries `<article> kg:digest "..."`, a hash of its content, so a re-run of the same
input is recognised and changes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .vocab import ENTITIES_GRAPH, KG, ONTOLOGY_GRAPH

if TYPE_CHECKING:
    from .remote import RemoteStore

DEFAULT_STORE = "./kgbuild-store"
DIGEST = ox.NamedNode(KG + "digest")


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


def default_location() -> str:
    return os.environ.get("KGBUILD_STORE", DEFAULT_STORE)


def _graph_block(graph: str, ntriples: str) -> str:
    """`GRAPH <g> { ... }` for SPARQL INSERT DATA; N-Triples lines are valid SPARQL triples."""
    return f"GRAPH <{graph}> {{\n{ntriples}}}\n"


class Store:
    """An embedded Oxigraph store in a folder on disk."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            if read_only:
                if not self.path.exists():
                    raise StoreError(f"{self.path}: no store here (run `kgbuild build` first)")
                self._store = ox.Store.read_only(str(self.path))
            else:
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreError(
                    f"{self.path}: the store is in use by another process (a running build or `kgbuild serve`); "
                    "stop it, or send new articles to the server with --store http://HOST:PORT/"
                ) from None
            raise StoreError(f"{self.path}: cannot open the store: {message}") from None
        self.read_only = read_only

    # -- reading -------------------------------------------------------------------------------
    def query(self, sparql: str, *, union: bool = True, **kwargs: object) -> object:
        """Run a SPARQL query; the default graph is the union of all graphs unless told otherwise."""
        return self._store.query(sparql, use_default_graph_as_union=union, **kwargs)

    def digest(self, graph: str) -> str | None:
        node = ox.NamedNode(graph)
        for quad in self._store.quads_for_pattern(node, DIGEST, None, node):
            return quad.object.value
        return None

    def graphs(self) -> Iterator[str]:
        for g in self._store.named_graphs():
            if isinstance(g, ox.NamedNode):
                yield g.value

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, output: object, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        quad_format = fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
        if graph is not None and quad_format:  # keep the graph's name
            ox.serialize(self.quads(graph), output, format=fmt)
        elif graph is not None:
            self._store.dump(output, format=fmt, from_graph=ox.NamedNode(graph))
        elif fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            self._store.dump(output, format=fmt)
        else:
            # Triple formats cannot carry graph names: write the union of all graphs.
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in self._store}
            ox.serialize(triples, output, format=fmt)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)

    # -- writing -------------------------------------------------------------------------------
    def put(self, graphs: list[ArticleGraph]) -> tuple[int, int]:
        """Replace each article graph whose digest changed, all in one transaction.

        Returns (stored, unchanged). Either every graph of the batch is written or none is.
        """
        changed = [g for g in graphs if self.digest(g.iri) != g.digest]
        if changed:
            self._store.update(replace_update(changed))
        return len(changed), len(graphs) - len(changed)

    def load_ontology(self, turtle_paths: Iterable[Path]) -> None:
        """Load the vocabulary and shapes into their own graph, when they changed, in one transaction."""
        self.put([ontology_graph(turtle_paths)])

    def update(self, sparql_update: str) -> None:
        self._store.update(sparql_update)

    def flush(self) -> None:
        self._store.flush()

    def optimize(self) -> None:
        """Compact the files a build wrote (it flushes every few thousand articles): a store read from many small
        files answers queries up to 1.6 times slower (bench/RESULTS.md). Under a second for the 19k-article corpus."""
        self._store.optimize()

    def close(self) -> None:
        # pyoxigraph closes the database when the object is collected.
        del self._store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(location: str, *, read_only: bool = False, token: str | None = None) -> Store | RemoteStore:
    """The store at `location`: an embedded store in a folder, or a SPARQL server for an http(s):// URL."""
    from .remote import RemoteStore, is_remote  # here: remote imports this module

    if is_remote(location):
        return RemoteStore(location, read_only=read_only, token=token or os.environ.get("KGBUILD_TOKEN"))
    return Store(location, read_only=read_only)
