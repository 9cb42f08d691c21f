"""Past one machine: the extraction on a Dask cluster, written as N-Quads shards, then loaded into a store.

    kgbuild shard corpus.jsonl.gz --out shards/ --scheduler tcp://scheduler:8786   # or no --scheduler: this machine
    kgbuild load shards/*.nq --store ./kgbuild-store                                # or --store http://host:port/

Why Dask (`pip install kgbuild[dist]`): it is pure Python, installs with pip next to kgbuild and runs the same
`pipeline.process` in its worker processes; each worker loads the spaCy model and gazetteers once (they are cached
per process) and is then fed partitions. Spark would need a JVM on every node and pyspark (~300 MB) only to ship
Python functions to Python workers, which is what Dask does natively.

How it runs: this process (the client) reads the inputs with `reader.read` and sends partitions of articles to the
workers, a few per worker at a time so that memory stays flat however large the input. Each worker returns its
partition's graphs as N-Quads text (each article's triples, its digest included, in its named graph) and the
client writes one shard file per partition (`part-00000.nq`, ...; written to a temporary name and renamed, so a shard
that exists is complete). Workers need kgbuild installed (the same version) but no shared file system: articles and
shards travel through Dask. Workers should run one thread each (`dask worker --nthreads 1 --nworkers N`): spaCy is
CPU-bound and the GIL would serialise threads anyway.

Loading (`load_shards`) gives the same store as `kgbuild build` on the same input:

* embedded store: graphs whose digest changed are dropped, then loaded with Oxigraph's bulk loader (about 2.5x faster
  than transactions of INSERT DATA). The bulk loader is not transactional, so the digests go in last, in one
  transaction: after a crash a half-loaded graph has no digest and the next load replaces it.
* remote store: `put` in batches, one SPARQL Update request (one transaction) each. Posting N-Quads to the Graph
  Store endpoint measured only ~15% faster on Oxigraph server and would leave graphs half-replaced to readers.

Rejected articles (and unreadable input) are written to `rejected.jsonl` beside the shards.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from .graphs import IDENTIFIER, id_collision
from .records import Article, InputError
from .store import DIGEST, ArticleGraph, Store
from .vocab import ENTITIES_GRAPH

SHARD_PATTERN = "part-{:05d}.nq"
REJECTED = "rejected.jsonl"
DEFAULT_PARTITION_SIZE = 500


@dataclass
class ShardSummary:
    read: int = 0
    stored: int = 0  # articles whose graph went into a shard
    rejected: int = 0
    triples: int = 0
    shards: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.read} articles read, {self.stored} in {len(self.shards)} shards, {self.rejected} rejected, "
                f"{self.triples} triples, {self.seconds:.1f} s")


def _as_quads(ntriples: str, graph: str) -> str:
    """N-Triples lines as N-Quads: the graph name put before each final dot."""
    suffix = f" <{graph}> .\n"
    return "".join(line[:-1].rstrip() + suffix for line in ntriples.splitlines() if line)


def _quad_lines(graph: ArticleGraph) -> str:
    """An article as a block of N-Quads: its shared entity descriptions (in ENTITIES_GRAPH), then its own graph,
    its digest last, so that a reader knows where the block ends."""
    return _as_quads(graph.entities, ENTITIES_GRAPH) + _as_quads(graph.ntriples, graph.iri)


def extract_partition(articles: list[Article], process: Callable[[Article], object] | None = None
                      ) -> tuple[str, list[dict], int]:
    """Run on a worker: (N-Quads of the partition's graphs, rejections, triples)."""
    if process is None:
        from .pipeline import process
    out, rejections, triples = [], [], 0
    for article in articles:
        outcome = process(article)
        if outcome.graph is None:
            rejections.append({"source": outcome.source, "reason": outcome.error, "report": outcome.report})
        else:
            out.append(_quad_lines(outcome.graph))
            triples += outcome.triples
    return "".join(out), rejections, triples


def _partitions(items: Iterable[Article | InputError], size: int, unreadable: list[dict]) -> Iterator[list[Article]]:
    """Articles in lists of `size`; input errors go straight to `unreadable` (there is nothing to extract)."""

    def articles() -> Iterator[Article]:
        for item in items:
            if isinstance(item, InputError):
                unreadable.append({"source": item.source, "reason": item.reason, "report": None})
            else:
                yield item

    stream = articles()
    while chunk := list(islice(stream, size)):
        yield chunk


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def extract_to_shards(inputs: Iterable[str | Path], out_dir: str | Path, *, scheduler: str | object | None = None,
                      partitions: int | None = None, partition_size: int = DEFAULT_PARTITION_SIZE,
                      workers: int | None = None, process: Callable[[Article], object] | None = None,
                      on_progress: Callable[[ShardSummary], None] | None = None,
                      summary: ShardSummary | None = None) -> list[Path]:
    """Extract the articles of `inputs` on a Dask cluster into N-Quads shards in `out_dir`, one per partition.

    `scheduler`: a scheduler address (tcp://host:8786), a `distributed.Client`, or None for a local cluster of
    `workers` processes (default: the number of cores). `partitions`: split the input into this many partitions
    (the articles are read into memory first to count them); otherwise partitions of `partition_size` articles are
    streamed. `process` replaces `pipeline.process` (it must be importable on the workers). Returns the shard paths.
    """
    from distributed import Client, LocalCluster, as_completed

    from .reader import read

    started = time.perf_counter()
    summary = summary if summary is not None else ShardSummary()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.nq"):  # shards of an earlier run would be loaded with these
        old.unlink()
    rejected: list[dict] = []
    unreadable: list[dict] = []
    items: Iterable[Article | InputError] = read([str(i) for i in inputs])
    if partitions:
        listed = list(items)
        size = max(1, -(-sum(isinstance(i, Article) for i in listed) // partitions))
        items = listed
    else:
        size = partition_size
    own_cluster = None
    if scheduler is None:
        # processes, one thread each (see the module notes); loopback only, no dashboard to open ports for
        own_cluster = LocalCluster(n_workers=workers or _cores(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
        client = Client(own_cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    else:
        client = scheduler
    try:
        width = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
        chunks = enumerate(_partitions(items, size, unreadable))
        pending = as_completed()
        index_of = {}

        def submit_next() -> bool:
            nxt = next(chunks, None)
            if nxt is None:
                return False
            index, chunk = nxt
            summary.read += len(chunk)
            future = client.submit(extract_partition, chunk, process, pure=False)
            index_of[future.key] = index
            pending.add(future)
            return True

        for _ in range(width):  # a few partitions per worker in flight: memory stays flat on a long input
            if not submit_next():
                break
        for future in pending:
            text, rejections, triples = future.result()
            index = index_of.pop(future.key)
            future.release()
            path = out / SHARD_PATTERN.format(index)
            _write_atomic(path, text)
            summary.shards.append(path)
            summary.stored += text.count(f"<{DIGEST.value}>")
            summary.triples += triples
            rejected.extend(rejections)
            summary.rejected = len(rejected) + len(unreadable)
            if on_progress:
                on_progress(summary)
            submit_next()
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
        elif isinstance(scheduler, str):
            client.close()
    rejected = unreadable + rejected
    summary.read += len(unreadable)
    with (out / REJECTED).open("w", encoding="utf-8") as fh:
        for r in rejected:
            fh.write(json.dumps(r) + "\n")
    summary.rejected = len(rejected)
    summary.shards.sort()
    summary.seconds = time.perf_counter() - started
    return summary.shards


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# -- loading -----------------------------------------------------------------------------------------------------
def read_shard(path: str | Path, on_collision: Callable[[str], None] | None = None,
               stored_ids: Callable[[list[str]], dict[str, str]] | None = None) -> list[ArticleGraph]:
    """The article graphs of a shard, as `put` takes them.

    An article that comes twice (the same input read twice) keeps its later graph, as in `build`. An article whose
    id differs only in case from an earlier one's in the shard, or from the id `stored_ids` gives for its graph (the
    store's `identifiers`, asked once for the whole shard), names the same graph but is not that article: it is
    left out, and `on_collision` is given a message naming both (without one, that is a ValueError).
    """
    blocks = list(_blocks(path))
    stored = stored_ids(list({graph.iri for _, graph in blocks})) if stored_ids else {}
    graphs: dict[str, ArticleGraph] = {}
    for number, graph in blocks:
        iri = graph.iri
        if iri in graphs:
            other, where = identifier(graphs[iri]), "earlier in the shard"
        else:
            other, where = stored.get(iri), "already in the store"
        if message := _collision(graph, other, f"{path}:{number}", where):
            _report(message, on_collision)
            continue
        graphs.pop(iri, None)  # re-inserted: the order of the shard is kept
        graphs[iri] = graph
    return list(graphs.values())


def _blocks(path: str | Path) -> Iterator[tuple[int, ArticleGraph]]:
    """A shard's articles in order, each with the line its block ends on: a block is the article's entity
    descriptions, then its graph, its digest last (as in `ArticleGraph.ntriples`)."""
    marker = f"<{DIGEST.value}> "
    block: list[str] = []
    entities: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            # The graph name is the last term, an IRI, which cannot hold " <": the last " <" starts it.
            body, _, graph = line[:-1].rstrip().rpartition(" <")
            if not body or not graph.endswith(">"):
                raise ValueError(f"{path}:{number}: not an N-Quads line of a kgbuild shard")
            iri, triple = graph[:-1], body + " ."
            if iri == ENTITIES_GRAPH:
                entities.append(triple)
                continue
            block.append(triple)
            if triple.startswith(f"<{iri}> {marker}"):
                shared = "\n".join(entities) + "\n" if entities else ""
                yield number, ArticleGraph(iri, "\n".join(block) + "\n", triple.split('"')[1], shared)
                block, entities = [], []
    if block or entities:
        raise ValueError(f"{path}: ends inside a graph (no digest after its last triples): not a complete shard")


def identifier(graph: ArticleGraph) -> str | None:
    """The article's id as its input wrote it (schema:identifier), read from the graph's own lines."""
    prefix = f"<{graph.iri}> <{IDENTIFIER.value}> "
    for line in graph.ntriples.splitlines():
        if line.startswith(prefix):
            return next(ox.parse(line.encode("utf-8"), ox.RdfFormat.N_TRIPLES)).object.value
    return None


def _collision(graph: ArticleGraph, other_id: str | None, where: str, other_where: str) -> str | None:
    """Why `graph` must not overwrite an article of the same name from another id, as `build` rejects it."""
    if other_id is None:  # nothing there: the graph's own id is not even read
        return None
    message = id_collision(graph.iri, identifier(graph), other_id, other_where)
    return None if message is None else f"{where}: {message} (not loaded)"


def _report(message: str, on_collision: Callable[[str], None] | None) -> None:
    if on_collision is None:
        raise ValueError(message)
    on_collision(message)


def load_shards(shards: Iterable[str | Path], store: object, *, batch_size: int = 200,
                on_collision: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Load shards into a store (embedded or remote); returns (stored, unchanged) graphs, like `build`.

    An article whose id differs only in case from one already stored (or earlier in its shard) is not loaded, as
    `build` rejects it: `on_collision` gets a message naming both and the loading goes on (without one, the first
    collision is a ValueError)."""
    stored = unchanged = 0
    for path in shards:
        graphs = read_shard(path, on_collision, store.identifiers)
        if isinstance(store, Store):
            s, u = _bulk_load(store, graphs)
            stored, unchanged = stored + s, unchanged + u
            continue
        for i in range(0, len(graphs), batch_size):
            s, u = store.put(graphs[i:i + batch_size])
            stored, unchanged = stored + s, unchanged + u
    store.flush()
    return stored, unchanged


def _bulk_load(store: Store, graphs: list[ArticleGraph]) -> tuple[int, int]:
    changed = [g for g in graphs if store.digest(g.iri) != g.digest]
    if not changed:
        return 0, len(graphs)
    # Store has no bulk-load method of its own; the Oxigraph store underneath has the fast loader.
    oxstore: ox.Store = store._store  # noqa: SLF001
    marker = f"<{DIGEST.value}> "
    body, digests = [], []
    for g in changed:
        body.append(_as_quads(g.entities, ENTITIES_GRAPH))  # shared descriptions: only ever added, as in put
        suffix = f" <{g.iri}> .\n"
        for line in g.ntriples.splitlines():
            if line.startswith(f"<{g.iri}> {marker}"):
                digests.append(f"GRAPH <{g.iri}> {{ {line} }}\n")
            else:
                body.append(line[:-1].rstrip() + suffix)
    store.update(" ;\n".join(f"DROP SILENT GRAPH <{g.iri}>" for g in changed))
    oxstore.bulk_load("".join(body).encode("utf-8"), ox.RdfFormat.N_QUADS)
    # The digests last, in one transaction: a crash before this leaves graphs without one, which the next load
    # sees as changed and replaces.
    store.update("INSERT DATA {\n" + "".join(digests) + "}")
    return len(changed), len(graphs) - len(changed)
