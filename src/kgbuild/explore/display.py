"""How things are named and shown on the explore pages: kinds, labels, anchors, links, amounts of money."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

import pyoxigraph as ox
from flask import request
from markupsafe import Markup, escape

from ..vocab import KG, KGR, RDF, RDFS, WD

TYPE = RDF + "type"
LABEL = RDFS + "label"
KINDS = {"state": "State", "person": "Official", "place": "Place", "organization": "Organisation",
         "position": "Position", "event": "Meeting", "agreement": "Agreement", "article": "Article"}
_TYPE_KINDS = ((KG + "State", "state"), (KG + "Official", "person"), (KG + "Place", "place"),
               (KG + "Organization", "organization"), (KG + "Position", "position"), (KG + "Meeting", "event"),
               (KG + "Agreement", "agreement"), (KG + "Article", "article"))


def kind_of(iri: str, types: set[str] | None = None) -> str:
    """'state', 'person', ... from the rdf:types when known, else from the path of the minted IRI."""
    for t, kind in _TYPE_KINDS:
        if types and t in types:
            return kind
    if iri.startswith(KGR):
        head = iri[len(KGR):].split("/", 1)[0]
        if head in KINDS:
            return head
    return "entity"


def local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


def anchor(iri: str) -> str:
    """The HTML id of a fact on its article page, from its IRI (event/K-1 and agreement/K-1 stay distinct)."""
    tail = "-".join(iri.rstrip("/").split("/")[-2:])
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", tail)


def article_url(iri: str, fact: str | None = None) -> str:
    return f"{request.script_root}/explore/article?iri={quote(iri, safe=':/')}" + (f"#{anchor(fact)}" if fact else "")


def entity_url(iri: str) -> str:
    return f"{request.script_root}/explore/entity?iri={quote(iri, safe=':/')}"


def wikidata_url(iri: str) -> str:
    return "https://www.wikidata.org/wiki/" + iri[len(WD):] if iri.startswith(WD) else iri


def whole_words(text: str) -> Markup:
    """Text whose hyphenated words ('2026-02-03', 'Kassym-Jomart') a browser may not break at the hyphen: lines
    wrap at spaces only (a template filter)."""
    return Markup(" ".join(f'<span class="w">{escape(w)}</span>' if "-" in w else str(escape(w))
                           for w in str(text).split(" ")))


def short_label(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "CN¥"}


@dataclass(frozen=True)
class Money:
    """An amount as read (`short`: '$1 billion', 'USD 2.5 million') and exactly (`exact`: 'USD 1,000,000,000')."""

    short: str
    exact: str

    def __html__(self) -> str:
        """As a template shows it: the short form, the exact one in a tooltip."""
        return f'<span class="money" title="{escape(self.exact)}">{escape(self.short)}</span>'

    def __str__(self) -> str:
        return self.short


def money(value: str | None, currency: str | None) -> Money | None:
    """A schema:MonetaryAmount's value and currency for people: short in the cell, exact in its tooltip."""
    if value is None:
        return None
    currency = (currency or "").strip()
    try:
        amount = Decimal(value)
    except InvalidOperation:
        text = f"{currency} {value}".strip()
        return Money(text, text)
    exact_number = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{amount.normalize():,f}"
    exact = f"{currency} {exact_number}".strip()
    symbol = _SYMBOLS.get(currency)
    scale, word = next(((n, w) for n, w in _SCALES if abs(amount) >= n), (Decimal(1), ""))
    number = f"{(amount / scale):.2f}".rstrip("0").rstrip(".") if word else exact_number
    short = f"{symbol}{number}" if symbol else f"{currency} {number}".strip()
    return Money(f"{short} {word}".strip(), exact)


class Triples:
    """A small subject index over a list of triples."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.triples = triples
        self.spo: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            objs = self.spo[t.subject.value][t.predicate.value]
            if t.object not in objs:
                objs.append(t.object)

    def objects(self, s: str, p: str) -> list[ox.NamedNode | ox.Literal]:
        return self.spo.get(s, {}).get(p, [])

    def values(self, s: str, p: str) -> list[str]:
        return [o.value for o in self.objects(s, p)]

    def one(self, s: str, p: str) -> str | None:
        objs = self.objects(s, p)
        return objs[0].value if objs else None

    def types(self, s: str) -> set[str]:
        return set(self.values(s, TYPE))

    def subjects_of_type(self, t: str) -> list[str]:
        return sorted(s for s, po in self.spo.items() if any(o.value == t for o in po.get(TYPE, ())))

    def label(self, s: str) -> str:
        return self.one(s, LABEL) or self.one(s, KG + "title") or local_name(s)


@dataclass
class Ref:
    """A linked entity as the templates show it."""

    iri: str
    label: str
    kind: str
    href: str

    @classmethod
    def of(cls, iri: str, label: str, kind: str | None = None) -> Ref:
        kind = kind or kind_of(iri)
        if kind == "article":
            return cls(iri, label, kind, article_url(iri))
        return cls(iri, label, kind, entity_url(iri))
