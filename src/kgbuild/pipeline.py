"""The pipeline from an article to a validated graph, and a build of many articles into a store.

Articles are processed in worker processes (each compiles the rules and gazetteers once); the graphs
come back as plain text and are written by the one writer, in batches, each batch one transaction.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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
    slow_validation: bool = False  # validated by pySHACL: the shapes use SHACL the compiled validator does not know


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    triples: int = 0
    rejections: list[Outcome] = field(default_factory=list)
    interrupted: bool = False  # stopped on request before the end of the input
    slow_validations: int = 0  # articles validated by pySHACL instead of the compiled shapes (see validate)

    def line(self) -> str:
        slow = f", {self.slow_validations} validated by pySHACL" if self.slow_validations else ""
        return (f"{self.read} articles read, {self.stored} stored, {self.unchanged} unchanged, "
                f"{self.rejected} rejected, {self.triples} triples{slow}")


class ConfigError(Exception):
    """The rules, lexicon or gazetteers cannot be loaded; the message is one line for the user."""


def _stages() -> tuple:
    """The annotator, rules and mapper compiled from the mappings in use (once per folder and process)."""
    from .resources import mappings_dir

    return _compiled_stages(mappings_dir())


@lru_cache(maxsize=2)
def _compiled_stages(folder: Path) -> tuple:
    from .annotate import Annotator
    from .mapping import Mapper
    from .rules import RuleSet

    annotator = Annotator(folder)
    return annotator, RuleSet(folder / "rules" / "events.yaml"), Mapper(annotator.gaz)


def prepare() -> None:
    """Load and compile the rules, lexicon and gazetteers now, so that a broken file is reported once, before
    any article is read, rather than once per article. Raises ConfigError."""
    import yaml

    from .resources import mappings_dir

    folder = mappings_dir()
    # YAML syntax first, file by file: the parser then names the file, line and column.
    for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else ():
        try:
            with path.open(encoding="utf-8") as fh:
                yaml.safe_load(fh)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: {_one_line(exc)}") from None
    try:
        _stages()
    except Exception as exc:  # noqa: BLE001 - any failure here is a configuration problem
        name = getattr(exc, "filename", None)
        where = f"{name}: " if name else f"in {folder}: "
        raise ConfigError(f"cannot load the rules and gazetteers: {where}{type(exc).__name__}: {_one_line(exc)}") \
            from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


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
            slow = result.engine != "compiled"
            if not result.conforms:
                return Outcome(article.source, iri, error="does not conform to the shapes (see the report)",
                               report=result.report, warnings=article.warnings, slow_validation=slow)
        else:
            slow = False
        graph = ArticleGraph.of(iri, quads, entities)
        return Outcome(article.source, iri, graph, warnings=article.warnings, triples=graph.ntriples.count("\n"),
                       slow_validation=slow)
    except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
        return Outcome(article.source, error=f"internal error: {type(exc).__name__}: {exc}",
                       warnings=article.warnings)


def _process_item(item: Article | InputError | Outcome) -> Outcome:
    if isinstance(item, Outcome):
        return item
    if isinstance(item, InputError):
        return Outcome(item.source, error=item.reason)
    return process(item)


def _portable(item: Article | InputError) -> Article | Outcome:
    # An InputError does not survive pickling (its __init__ takes two arguments, its args hold one): a worker
    # would die unpickling it and the pool would hang. Send the rejection as an Outcome instead.
    if isinstance(item, InputError):
        return Outcome(item.source, error=item.reason)
    return item


def _worker_init(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops after the current batch), and the worker dies
    with the parent rather than lingering when the parent is killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


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
    done = threading.Event()

    def fed() -> Iterator[Article | Outcome]:
        for item in items:
            while not limit.acquire(timeout=0.2):
                if done.is_set():  # the consumer left early: let the pool's task thread end
                    return
            yield _portable(item)

    with mp.get_context(method).Pool(jobs, initializer=_worker_init, initargs=(os.getpid(),)) as pool:
        try:
            for outcome in pool.imap(_process_item, fed(), chunksize=CHUNK):
                limit.release()
                yield outcome
        finally:
            done.set()  # before the pool's exit joins its task thread, which may wait in fed()


def _warm_up() -> None:
    """Compile the stages and the shapes in this process (for forked workers to inherit)."""
    from .validate import compiled_shapes

    _stages()
    compiled_shapes()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


FLUSH_EVERY = 2000  # articles written between two flushes of the store to disk


def build(items: Iterable[Article | InputError], store, *, jobs: int = 1, batch_size: int = 200,
          on_outcome: Callable[[Outcome], None] | None = None,
          stop: Callable[[], bool] | None = None) -> Summary:
    """Process articles and write their graphs to the store in batches; each batch is one transaction.

    `stop` is asked after every article: when it answers true the articles processed so far are written (one
    last transaction), those still in the workers are dropped, and the summary says `interrupted`.
    """
    summary = Summary()
    batch: dict[str, ArticleGraph] = {}
    written = [0]

    def flush() -> None:
        if batch:
            stored, unchanged = store.put(list(batch.values()))
            summary.stored += stored
            summary.unchanged += unchanged
            batch.clear()
            written[0] += stored
            if written[0] >= FLUSH_EVERY:  # Oxigraph's write buffers would otherwise grow with the whole build
                store.flush()
                written[0] = 0

    results = outcomes(items, jobs)
    try:
        if stop is not None and stop():
            summary.interrupted = True
            return summary
        for outcome in results:
            _count(summary, outcome, batch, batch_size, flush)
            if on_outcome:
                on_outcome(outcome)
            if stop is not None and stop():
                summary.interrupted = True
                break
        flush()
    finally:
        results.close()  # stops the worker pool
    return summary


def _count(summary: Summary, outcome: Outcome, batch: dict[str, ArticleGraph], batch_size: int,
           flush: Callable[[], None]) -> None:
    summary.read += 1
    summary.slow_validations += outcome.slow_validation
    if outcome.graph is None:
        summary.rejected += 1
        summary.rejections.append(outcome)
        return
    summary.triples += outcome.triples
    if outcome.graph.iri in batch:  # the same article twice in one batch: the later one wins
        flush()
    batch[outcome.graph.iri] = outcome.graph
    if len(batch) >= batch_size:
        flush()
