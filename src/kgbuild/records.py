"""The plain, typed records that flow one way through the pipeline.

reader -> Article -> annotate -> Annotated -> rules -> Facts -> mapping -> RDF quads -> validate -> store
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class InputError(Exception):
    """A problem with one input (file, line or record); the batch goes on without it."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self) -> tuple:  # travels to worker processes
        return (InputError, (self.source, self.reason))


class Skipped(InputError):
    """An input passed over on purpose (a named pipe met in a folder): a warning for the user, not a rejection."""

    def __reduce__(self) -> tuple:
        return (Skipped, (self.source, self.reason))


@dataclass(frozen=True)
class Article:
    """One article as the reader normalised it.

    `text` is the normalised text (kept as kg:text): the headline, a blank line, then the body.
    Every character offset in later stages counts Unicode code points in this text.
    """

    key: str  # stable, content- or id-derived; the article IRI is <base>article/<key>
    headline: str
    text: str
    published: dt.date | dt.datetime | None = None
    identifier: str | None = None
    url: str | None = None
    dateline: str | None = None  # the place named in the dateline, as written ("ISLAMABAD", "LONDON")
    source: str = ""  # where it came from, for messages: "file.jsonl:12"
    warnings: tuple[str, ...] = ()
    dateline_date: dt.date | None = None  # the local day a wire dateline gives ("PEKING, March 26")
    controls_removed: int = 0  # characters XML 1.0 cannot carry, taken out of the text by the reader

    @property
    def date(self) -> dt.date | None:
        """The publication day, against which relative dates are resolved."""
        if isinstance(self.published, dt.datetime):
            return self.published.date()
        return self.published

    @property
    def reference_date(self) -> dt.date | None:
        """The day relative dates ("today", "on Friday") count from: the dateline's local day when it gives one."""
        return self.dateline_date or self.date


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    """A span of the article text recognised as something.

    kind: state, city, org, person, title, date, money, count.
    key: the canonical id of what it names (a state id such as "pk", a city id, a person key), when known.
    value: the normalised value: ISO date string, (amount, currency), an int count.
    role: how a state is named (name, abbreviation, adjective, capital) or how a date was resolved.
    """

    kind: str
    start: int
    end: int
    text: str
    key: str | None = None
    value: object = None
    role: str | None = None


@dataclass(frozen=True)
class Official:
    key: str  # person id, e.g. "shehbaz-sharif"
    name: str
    title: str | None
    state: str | None  # state id
    mentions: tuple[tuple[int, int], ...]  # (start, end) of every mention, the first naming the title
    rule: str = "official.title-name"


@dataclass
class Annotated:
    article: Article
    sentences: list[Sentence]
    mentions: list[Mention]
    officials: list[Official]
    home: str | None = None  # the state the article speaks from: its dateline's, else its publisher's


@dataclass
class Evidence:
    start: int
    end: int
    rule: str


@dataclass
class Meeting:
    kind: str  # "visit" or "meeting"
    status: str  # held, ongoing, planned
    states: list[str]  # state ids, every participating state (host included)
    people: list[str] = field(default_factory=list)  # official keys
    organizations: list[str] = field(default_factory=list)
    host: str | None = None
    place: str | None = None  # city id
    date: dt.date | None = None
    evidence: list[Evidence] = field(default_factory=list)
    reference: bool = False  # "during the visit": an encounter told of elsewhere
    contextual: bool = False  # the sentence names no side; the sides come from context


@dataclass
class Agreement:
    kind: str  # mou, partnership, commercial, target, ceasefire, treaty, body
    status: str  # concluded, planned
    parties: list[str]
    mediators: list[str] = field(default_factory=list)
    count: int | None = None
    date: dt.date | None = None
    amount: float | None = None
    currency: str | None = None
    target_date: dt.date | None = None
    evidence: list[Evidence] = field(default_factory=list)
    generic: bool = False  # named only generically ("the agreement"): may be one named more precisely
    signed: bool = False  # the sentence says it was signed, initialled or ratified


@dataclass
class Facts:
    """What the rules found in one article."""

    annotated: Annotated
    states: list[str]  # every state the article mentions as the guidelines count them
    meetings: list[Meeting]
    agreements: list[Agreement]
