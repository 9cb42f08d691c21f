"""The pipeline from an article to a validated graph, and a build of many articles into a store.

Articles are processed in worker processes (each compiles the rules and gazetteers once); the graphs
come back as plain text and are written by the one writer, in batches, each batch one transaction.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .records import Article, Facts, InputError
from .store import ArticleGraph


@dataclass(frozen=True)
class Outcome:
    """What became of one article: its graph, or the reason it was rejected."""

    source: str
    iri: str | None = None
    graph: ArticleGraph | None = None
    error: str | None = None  # one line for the user
    report: str | None = None  # the SHACL report, for articles that failed validation
    warnings: tuple[str, ...] = ()
    triples: int = 0


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    triples: int = 0
    rejections: list[Outcome] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.read} articles read, {self.stored} stored, {self.unchanged} unchanged, "
                f"{self.rejected} rejected, {self.triples} triples")


@lru_cache(maxsize=1)
def _stages() -> tuple:
    from .annotate import Annotator
    from .mapping import Mapper
    from .rules import RuleSet

    annotator = Annotator()
    return annotator, RuleSet(), Mapper(annotator.gaz)


def extract(article: Article) -> Facts:
    annotator, rules, _ = _stages()
    return rules.apply(annotator.annotate(article))


def process(article: Article, *, validate: bool = True) -> Outcome:
    """Annotate, apply the rules, map to RDF and validate one article."""
    from .validate import validate as shacl

    try:
        _, _, mapper = _stages()
        iri, quads, entities = mapper.map(extract(article))
        if validate:
            result = shacl([*quads, *entities])
            if not result.conforms:
                return Outcome(article.source, iri, error="does not conform to the shapes (see the report)",
                               report=result.report, warnings=article.warnings)
        graph = ArticleGraph.of(iri, quads, entities)
        return Outcome(article.source, iri, graph, warnings=article.warnings, triples=graph.ntriples.count("\n"))
    except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
        return Outcome(article.source, error=f"internal error: {type(exc).__name__}: {exc}",
                       warnings=article.warnings)


def _process_item(item: Article | InputError) -> Outcome:
    if isinstance(item, InputError):
        return Outcome(item.source, error=item.reason)
    return process(item)


CHUNK = 16  # articles per task sent to a worker: fewer, larger messages
IN_FLIGHT = 32  # tasks per worker read ahead of the writer, at most: memory does not grow with the input


def outcomes(items: Iterable[Article | InputError], jobs: int = 1) -> Iterator[Outcome]:
    """Process articles in order, on `jobs` worker processes.

    With fork, the rules and gazetteers are compiled here once, before the workers start, and shared with them
    copy-on-write; with spawn each worker compiles them once. Pool.imap would read the whole input ahead into its
    task queue; a semaphore keeps at most IN_FLIGHT tasks per worker between the reader and the writer.
    """
    if jobs <= 1:
        for item in items:
            yield _process_item(item)
        return
    method = "fork" if hasattr(os, "fork") else "spawn"
    if method == "fork":
        _warm_up()
    limit = threading.BoundedSemaphore(CHUNK * IN_FLIGHT * jobs)

    def fed() -> Iterator[Article | InputError]:
        for item in items:
            limit.acquire()
            yield item

    with mp.get_context(method).Pool(jobs) as pool:
        for outcome in pool.imap(_process_item, fed(), chunksize=CHUNK):
            limit.release()
            yield outcome


def _warm_up() -> None:
    """Compile the stages and the shapes in this process (for forked workers to inherit)."""
    from .validate import compiled_shapes

    _stages()
    compiled_shapes()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def build(items: Iterable[Article | InputError], store, *, jobs: int = 1, batch_size: int = 200,
          on_outcome: Callable[[Outcome], None] | None = None) -> Summary:
    """Process articles and write their graphs to the store in batches; each batch is one transaction."""
    summary = Summary()
    batch: dict[str, ArticleGraph] = {}

    def flush() -> None:
        if batch:
            stored, unchanged = store.put(list(batch.values()))
            summary.stored += stored
            summary.unchanged += unchanged
            batch.clear()

    for outcome in outcomes(items, jobs):
        summary.read += 1
        if outcome.graph is None:
            summary.rejected += 1
            summary.rejections.append(outcome)
        else:
            summary.triples += outcome.triples
            if outcome.graph.iri in batch:  # the same article twice in one batch: the later one wins
                flush()
            batch[outcome.graph.iri] = outcome.graph
            if len(batch) >= batch_size:
                flush()
        if on_outcome:
            on_outcome(outcome)
    flush()
    return summary
