"""kgbuild: news articles in, a validated RDF knowledge graph of states, officials, meetings and agreements out.

The Python API (the command line and the endpoint are layers over it)::

    import kgbuild

    facts = kgbuild.extract("Pakistan and China signed 12 MoUs in Beijing on Monday.", published="2026-02-04")
    report = kgbuild.build(["articles/"], "kg-store")        # -> BuildReport: read, stored, rejected, ...
    with kgbuild.Store.open("kg-store", read_only=True) as store:
        for row in store.query("SELECT ?s WHERE { ?s a <https://w3id.org/kgbuild/ontology#State> }"):
            print(row["s"])
        store.export("kg.trig")
    for article in kgbuild.read("articles/"):
        ...

Importing kgbuild is cheap: the stages (spaCy, the rules, the shapes) load on first use.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .pipeline import Outcome
    from .pipeline import Summary as BuildReport
    from .records import Article, Facts, InputError
    from .remote import RemoteStore
    from .store import Store, StoreError

__all__ = ["Article", "BuildReport", "Facts", "InputError", "Outcome", "Store", "StoreError", "__version__", "build",
           "extract", "read", "use"]

Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def read(paths: Paths, *, max_chars: int | None = None,
         on_error: Callable[[InputError], None] | None = None) -> Iterator[Article]:
    """The articles in files and folders (scraped pages, plain text, HTML, JSON, JSON Lines, gzipped; "-" is stdin).

    A bad file, line or record is an `InputError` naming it (and the line): raised, or passed to `on_error` and
    skipped so that the rest is read.
    """
    from .reader import DEFAULT_MAX_CHARS
    from .reader import read as read_inputs
    from .records import InputError

    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    for item in read_inputs([os.fspath(p) for p in items], max_chars=max_chars or DEFAULT_MAX_CHARS):
        if isinstance(item, InputError):
            if on_error is None:
                raise item
            on_error(item)
        else:
            yield item


def extract(text: str, *, published: dt.date | dt.datetime | str | None = None, title: str | None = None,
            identifier: str | None = None, url: str | None = None) -> Facts:
    """The facts the rules find in one article: states, meetings, agreements, officials (`Facts`).

    The text is read as `kgbuild build` reads a JSON Lines record with these fields: without a `title` its first
    line is the headline, and a text of one line is a body without a headline. `published` (a date or an ISO 8601
    string) is the day relative dates ("on Monday") count from. Raises `InputError` for text that holds no article.
    """
    from .pipeline import extract as extract_article

    record: dict[str, Any] = {"text": text, "title": title, "id": identifier, "url": url}
    if published is not None:
        record["date"] = published.isoformat() if isinstance(published, dt.date) else published
    return extract_article(_article(record))


def _article(record: dict[str, Any]) -> Article:
    """One record through the reader, as a line of JSON Lines on stdin."""
    import hashlib

    from .reader import normalise_text, parse_date
    from .reader import read as read_inputs
    from .records import Article, InputError

    line = json.dumps({k: v for k, v in record.items() if v is not None})
    item = next(read_inputs(["-"], stdin=io.StringIO(line)))
    if isinstance(item, Article):
        return item
    text = normalise_text(record["text"] or "")
    if record["title"] is None and text and "\n" not in text:  # a snippet: all body, no headline
        date = record.get("date")
        return Article(key=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], headline="", text=text,
                       published=parse_date(date) if date else None, identifier=record["id"], url=record["url"],
                       source="<text>")
    raise InputError("<text>", item.reason)


def build(paths: Paths | Iterable[Article], store: str | os.PathLike[str] | Store | RemoteStore, *,
          jobs: int = 1, max_chars: int | None = None, token: str | None = None,
          on_outcome: Callable[[Outcome], None] | None = None, stop: Callable[[], bool] | None = None,
          budget: float | None = None, max_decompressed: int | None = None,
          keep_rejections: bool = True) -> BuildReport:
    """Read, extract, validate and store articles; returns the `BuildReport` (read, stored, unchanged, rejected,
    triples, and each rejection with its reason).

    `paths`: files, folders or "-" (as `read`), or `Article` records. `store`: a folder (made when missing), an
    http(s):// URL of a SPARQL 1.1 server (`token` for its updates), or an open `Store`. Articles are processed on
    `jobs` worker processes and written in batches, one transaction each; a bad input or article is counted and
    reported, and the rest goes on. `on_outcome` sees every article's `Outcome`; `stop` is asked after each one
    and while the workers work, and when it answers true the build ends after writing what it has (the report
    says `interrupted`). `budget`: seconds an article may take before it is rejected (its worker process stopped
    and replaced; always on worker processes then). `max_decompressed`: bytes a gzipped file may inflate to.
    `keep_rejections=False` keeps only the count of rejections (pass `on_outcome` to see them): for inputs with
    very many.
    Raises `StoreError` (store cannot be opened or written) and `ConfigError` (broken rules or gazetteers).
    """
    from .pipeline import build as run_build
    from .pipeline import prepare
    from .reader import DEFAULT_MAX_CHARS
    from .reader import read as read_inputs
    from .records import Article
    from .resources import ontology_files
    from .store import open_store

    given = iter([paths] if isinstance(paths, (str, os.PathLike)) else paths)
    first = next(given, None)
    if isinstance(first, Article):  # records already read: a stream, not materialised
        items: Iterable[Any] = itertools.chain([first], given)
    else:
        names = [os.fspath(p) for p in ([first, *given] if first is not None else [])]
        limits = {"max_decompressed": max_decompressed} if max_decompressed else {}
        items = read_inputs(names, max_chars=max_chars or DEFAULT_MAX_CHARS, **limits)
    opened = isinstance(store, (str, os.PathLike))
    target = open_store(os.fspath(store), token=token) if opened else store
    try:
        target.load_ontology(ontology_files())
        prepare()  # a broken rule or gazetteer file: one error, before any article
        report = run_build(items, target, jobs=jobs, on_outcome=on_outcome, stop=stop, budget=budget,
                           keep_rejections=keep_rejections)
        if not report.interrupted:  # stopping: what is committed is in the write-ahead log already (kill-safe)
            target.flush()
        if report.stored and not report.interrupted and hasattr(target, "optimize"):  # compact what it wrote
            target.optimize()
        return report
    except BaseException:
        try:
            target.flush()  # keep what was committed; every stored article is complete
        except Exception:  # noqa: BLE001, S110 - best effort on the way out
            pass
        raise
    finally:
        if opened:
            target.close()  # releases the folder's lock for the next user


def use(*, mappings: str | os.PathLike[str] | None = None, ontology: str | os.PathLike[str] | None = None) -> None:
    """Read the rules, lexicon and gazetteers from `mappings`, the vocabulary and shapes from `ontology` (folders
    laid out like the bundled ones) instead of the bundled copies."""
    from .resources import use as use_folders

    use_folders(mappings=mappings, ontology=ontology)


_LAZY = {"Article": "records", "Facts": "records", "InputError": "records", "Store": "store", "StoreError": "store",
         "Outcome": "pipeline", "BuildReport": ("pipeline", "Summary")}


def __getattr__(name: str) -> Any:
    """The record and store classes, imported on first use (so that `import kgbuild` stays cheap)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'kgbuild' has no attribute {name!r}")
    import importlib

    where = _LAZY[name]
    module, attr = where if isinstance(where, tuple) else (where, name)
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
