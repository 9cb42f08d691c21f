"""The embedded Oxigraph store: one named graph per article, each replaced whole in one transaction.

`Store.open(location)` (or `open_store`) gives this store for a folder and a `RemoteStore` for an http(s):// URL;
both take the same calls (query, graphs, put, export...).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

# The article graphs and the store's error live in `graphs`, which the remote store shares; re-exported here.
from .graphs import (  # noqa: F401
    DEFAULT_STORE,
    DIGEST,
    IDENTIFIER,
    ArticleGraph,
    Exports,
    StoreError,
    default_location,
    env_token,
    ontology_graph,
    replace_update,
)
from .remote import RemoteStore, is_remote


class Store(Exports):
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

    @classmethod
    def open(cls, location: str | os.PathLike[str], *, read_only: bool = False,
             token: str | None = None) -> Store | RemoteStore:
        """The store at `location`: an embedded store in a folder (made when missing, unless read-only), or the
        SPARQL 1.1 server at an http(s):// URL (`token`: bearer token, default $KGBUILD_TOKEN)."""
        return open_store(str(location), read_only=read_only, token=token)

    # -- reading -------------------------------------------------------------------------------
    def query(self, sparql: str, *, union: bool = True, **kwargs: object) -> object:
        """Run a SPARQL query; the default graph is the union of all graphs unless told otherwise."""
        return self._store.query(sparql, use_default_graph_as_union=union, **kwargs)

    def digest(self, graph: str) -> str | None:
        node = ox.NamedNode(graph)
        for quad in self._store.quads_for_pattern(node, DIGEST, None, node):
            return quad.object.value
        return None

    def identifiers(self, graphs: list[str]) -> dict[str, str]:
        """The id (schema:identifier) each of these article graphs is stored with, for those stored with one."""
        found = {}
        for graph in graphs:
            node = ox.NamedNode(graph)
            for quad in self._store.quads_for_pattern(node, IDENTIFIER, None, node):
                found[graph] = quad.object.value
        return found

    def graphs(self) -> Iterator[str]:
        for g in self._store.named_graphs():
            if isinstance(g, ox.NamedNode):
                yield g.value

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, output: object, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        quad_format = fmt.supports_datasets  # N-Quads, TriG, JSON-LD (a @graph per named graph)
        if graph is not None and quad_format:  # keep the graph's name
            ox.serialize(self.quads(graph), output, format=fmt)
        elif graph is not None:
            self._store.dump(output, format=fmt, from_graph=ox.NamedNode(graph))
        elif quad_format:
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
    if is_remote(location):
        return RemoteStore(location, read_only=read_only, token=token or env_token())
    return Store(location, read_only=read_only)
