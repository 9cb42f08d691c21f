"""The pipeline from an article to a validated graph, and a build of many articles into a store.

Articles are processed in worker processes (each compiles the rules and gazetteers once); the graphs
come back as plain text and are written by the one writer, in batches, each batch one transaction.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import workers
from .graphs import id_collision
from .records import Article, Facts, InputError, Skipped
from .store import ArticleGraph

if TYPE_CHECKING:
    from .remote import RemoteStore
    from .store import Store


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
    controls_removed: int = 0  # characters XML cannot carry that the reader took out of the text
    identifier: str | None = None  # the input's id, as written


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    triples: int = 0
    controls_removed: int = 0
    # each rejected article's Outcome, unless the build was asked not to keep them (the CLI streams them to its
    # report instead: a million rejected records would hold hundreds of MB here)
    rejections: list[Outcome] = field(default_factory=list)
    interrupted: bool = False  # stopped on request before the end of the input
    slow_validations: int = 0  # articles validated by pySHACL instead of the compiled shapes (see validate)

    def line(self) -> str:
        slow = f", {self.slow_validations} validated by pySHACL" if self.slow_validations else ""
        controls = f", {self.controls_removed} control characters removed" if self.controls_removed else ""
        return (f"{self.read} articles read, {self.stored} stored, {self.unchanged} unchanged, "
                f"{self.rejected} rejected, {self.triples} triples{slow}{controls}")


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
    # YAML syntax first, file by file: the parser then names the file, line and column. libyaml's parser when there
    # is one: the pure-Python one took 0.4 s of every build's start.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else ():
        try:
            with path.open(encoding="utf-8") as fh:
                yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
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


def process(article: Article) -> Outcome:
    """Annotate, apply the rules, map to RDF and validate one article."""
    from .validate import validate as shacl

    try:
        _, _, mapper = _stages()
        iri, quads, entities = mapper.map(extract(article))
        result = shacl([*quads, *entities])
        slow = result.engine != "compiled"
        if not result.conforms:
            return Outcome(article.source, iri, error="does not conform to the shapes (see the report)",
                           report=result.report, warnings=article.warnings, slow_validation=slow)
        graph = ArticleGraph.of(iri, quads, entities)
        return Outcome(article.source, iri, graph, warnings=article.warnings, triples=graph.ntriples.count("\n"),
                       slow_validation=slow, controls_removed=article.controls_removed, identifier=article.identifier)
    except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
        return Outcome(article.source, error=f"internal error: {type(exc).__name__}: {exc}",
                       warnings=article.warnings)


def _process_item(item: Article | InputError) -> Outcome:
    if isinstance(item, Skipped):  # not an article: a warning, neither read nor rejected
        return Outcome(item.source, warnings=(f"{item.source}: {item.reason}",))
    if isinstance(item, InputError):
        return Outcome(item.source, error=item.reason)
    return process(item)


def _local(item: Article | InputError) -> Outcome | None:
    """The outcome of an item that needs no worker (a rejection by the reader), else None."""
    return None if isinstance(item, Article) else _process_item(item)


def _worker_init(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the workers), and the worker dies
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


DEFAULT_BUDGET = 60.0  # seconds one article may take in the workers (reading, annotating, mapping, validating)


def outcomes(items: Iterable[Article | InputError], jobs: int = 1, *, budget: float | None = None,
             stop: Callable[[], bool] | None = None) -> Iterator[Outcome]:
    """Process articles in order: here when jobs is 1 and there is no time budget, else on `jobs` worker processes.

    With workers, an article running past `budget` seconds is rejected (its worker killed and replaced) and the
    rest go on; `stop()` answering true ends the iteration at once, the articles in the workers dropped. With
    fork, the rules and gazetteers are compiled here once, before the workers start, and shared with them
    copy-on-write; with spawn each worker compiles them once.
    """
    if jobs <= 1 and budget is None:
        for item in items:
            if stop is not None and stop():
                return
            yield _process_item(item)
        return
    if hasattr(os, "fork"):
        _warm_up()
    results = workers.run(items, _process_item, jobs=max(jobs, 1), budget=budget, local=_local,
                          init=partial(_worker_init, os.getpid()), stop=stop or (lambda: False),
                          ahead=AHEAD * max(jobs, 1))
    for item, result in results:
        if isinstance(result, workers.Overrun):
            result = Outcome(item.source, error=str(result), warnings=getattr(item, "warnings", ()))
        yield result


AHEAD = 64  # articles per worker read ahead of the writer, at most: memory does not grow with the input


def _warm_up() -> None:
    """Compile the stages and the shapes in this process (for forked workers to inherit)."""
    from .validate import compiled_shapes

    _stages()
    compiled_shapes()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


FLUSH_EVERY = 2000  # articles written between two flushes of the store to disk


def build(items: Iterable[Article | InputError], store: Store | RemoteStore, *, jobs: int = 1, batch_size: int = 200,
          on_outcome: Callable[[Outcome], None] | None = None,
          stop: Callable[[], bool] | None = None, budget: float | None = None,
          keep_rejections: bool = True) -> Summary:
    """Process articles and write their graphs to the store in batches; each batch is one transaction.

    Every outcome goes to `on_outcome`; the rejected ones are also kept in the summary unless `keep_rejections` is
    false (then memory does not grow with them). `stop` is
    asked after every article and while waiting for the workers: when it answers true the articles processed so
    far are written (one last transaction), those still in the workers are dropped, and the summary says
    `interrupted`. `budget`: seconds an article may take in the workers before it is rejected (see `outcomes`).
    An article whose id differs only in case from one in the store or earlier in the build is rejected naming both.
    """
    summary = Summary()
    writer = _Writer(store, summary, batch_size, keep_rejections)
    results = outcomes(items, jobs, budget=budget, stop=stop)
    try:
        if stop is not None and stop():
            summary.interrupted = True
            return summary
        for outcome in results:
            outcome = writer.add(outcome)
            if on_outcome:
                on_outcome(outcome)
            if stop is not None and stop():
                break
        if stop is not None and stop():
            summary.interrupted = True
        writer.flush()
    finally:
        results.close()  # stops the worker pool
    return summary


class _Writer:
    """The outcomes' graphs, counted and written to the store in batches (one transaction each)."""

    def __init__(self, store: Store | RemoteStore, summary: Summary, batch_size: int, keep_rejections: bool) -> None:
        self.store, self.summary, self.batch_size, self.keep_rejections = store, summary, batch_size, keep_rejections
        self.batch: dict[str, ArticleGraph] = {}
        self.ids: dict[str, tuple[str | None, str]] = {}  # IRI -> the id and source of the graph in the batch
        self.written = 0  # since the last flush to disk

    def add(self, outcome: Outcome) -> Outcome:
        """Count the outcome and queue its graph; the outcome as it stands then (a colliding id rejects it)."""
        summary = self.summary
        if outcome.graph is None and outcome.error is None:  # a skipped input
            return outcome
        outcome = self._collision(outcome)
        summary.read += 1
        summary.slow_validations += outcome.slow_validation
        if outcome.graph is None:
            summary.rejected += 1
            if self.keep_rejections:
                summary.rejections.append(outcome)
            return outcome
        summary.triples += outcome.triples
        summary.controls_removed += outcome.controls_removed
        iri = outcome.graph.iri
        if iri in self.batch:  # the same article twice in one batch: the later one wins
            self.flush()
        self.batch[iri] = outcome.graph
        self.ids[iri] = (outcome.identifier, outcome.source)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return outcome

    def _collision(self, outcome: Outcome) -> Outcome:
        """An article whose IRI an article in the store or in this batch already has, from an id that differs as
        written (the key lowercases ids: "G-1" and "g-1"), is rejected naming both: it must not overwrite the other.
        The same id again is the same article, and the later one wins."""
        if outcome.graph is None or outcome.identifier is None:
            return outcome
        iri = outcome.graph.iri
        if iri in self.ids:
            other, where = self.ids[iri]
        else:  # written earlier in this build or by another build: the store knows its id
            other, where = self.store.identifiers([iri]).get(iri), "already in the store"
        message = id_collision(iri, outcome.identifier, other, where)
        return outcome if message is None else Outcome(outcome.source, outcome.iri, warnings=outcome.warnings,
                                                       error=message)

    def flush(self) -> None:
        if not self.batch:
            return
        stored, unchanged = self.store.put(list(self.batch.values()))
        self.summary.stored += stored
        self.summary.unchanged += unchanged
        self.batch.clear()
        self.ids.clear()
        self.written += stored
        if self.written >= FLUSH_EVERY:  # Oxigraph's write buffers would otherwise grow with the whole build
            self.store.flush()
            self.written = 0
