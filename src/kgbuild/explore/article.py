"""An article's page: its text with every evidence span marked, its facts with the evidence behind each, and
what the shapes say of it now."""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app
from markupsafe import Markup, escape

from ..vocab import KG, OA, SCHEMA
from .display import Money, Ref, Triples, anchor, kind_of, local_name, money


@dataclass
class Span:
    """One stretch of evidence text and the facts it supports."""

    start: int
    end: int
    exact: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # (fact anchor, rule)
    ok: bool = True  # the quote matches the text at the offsets

    @property
    def id(self) -> str:
        return f"ev-{self.start}-{self.end}"


@dataclass
class Fact:
    iri: str
    anchor: str
    label: str
    kind: str
    types: list[str]
    status: str | None
    date: str | None
    roles: dict[str, list[Ref]]
    details: list[tuple[str, str | Money]]
    evidence: list[tuple[str, str, str]]  # (span id, rule, quote)


def article_model(iri: str, triples: list[ox.Triple]) -> dict:
    t = Triples(triples)
    text = t.one(iri, KG + "text") or ""

    def ref(e: str) -> Ref:
        return Ref.of(e, t.label(e), kind_of(e, t.types(e)))

    # evidence: annotation -> (body, rule, start, end, exact)
    spans: dict[tuple[int, int], Span] = {}
    by_fact: dict[str, list[tuple[Span, str]]] = defaultdict(list)
    for ann in t.subjects_of_type(OA + "Annotation"):
        body, rule = t.one(ann, OA + "hasBody"), t.one(ann, KG + "rule") or "?"
        for target in t.values(ann, OA + "hasTarget"):
            start = end = exact = None
            for sel in t.values(target, OA + "hasSelector"):
                if t.one(sel, OA + "start") is not None:
                    start, end = int(t.one(sel, OA + "start")), int(t.one(sel, OA + "end"))
                if t.one(sel, OA + "exact") is not None:
                    exact = t.one(sel, OA + "exact")
            if start is None or body is None:
                continue
            span = spans.get((start, end))
            if span is None:
                span = spans[(start, end)] = Span(start, end, exact or text[start:end],
                                                  ok=exact is None or text[start:end] == exact)
            span.facts.append((anchor(body), rule))
            by_fact[body].append((span, rule))

    def evidence(*bodies: str) -> list[tuple[str, str, str]]:
        seen, out = set(), []
        for b in bodies:
            for span, rule in sorted(by_fact.get(b, ()), key=lambda x: (x[0].start, x[1])):
                if (span.id, rule) not in seen:
                    seen.add((span.id, rule))
                    out.append((span.id, rule, span.exact))
        return out

    def fact(f: str, kind: str, roles: tuple[str, ...], details: list[tuple[str, str | Money]]) -> Fact:
        types = sorted(local_name(x) for x in t.types(f) if x.startswith(KG) and x not in (KG + "Meeting",
                                                                                              KG + "Agreement"))
        status = t.one(f, KG + "status")
        return Fact(f, anchor(f), t.label(f), kind, types, local_name(status) if status else None,
                    t.one(f, KG + "date"), {r: [ref(o) for o in t.values(f, KG + r)] for r in roles}, details,
                    evidence(f))

    meetings = []
    for f in t.subjects_of_type(KG + "Meeting"):
        meetings.append(fact(f, "meeting", ("participant", "host", "place"), []))
    agreements = []
    for f in t.subjects_of_type(KG + "Agreement"):
        details = []
        for v in t.values(f, KG + "value"):
            amount = money(t.one(v, SCHEMA + "value"), t.one(v, SCHEMA + "currency"))
            if amount:
                details.append(("value", amount))
        for p, name in ((KG + "targetDate", "target date"), (KG + "instrumentCount", "instruments")):
            details += [(name, v) for v in t.values(f, p)]
        details += [("topic", t.label(v)) for v in t.values(f, KG + "topic")]
        details += [("signed at", t.label(v)) for v in t.values(f, KG + "signedAt")]
        agreements.append(fact(f, "agreement", ("party", "mediator"), details))
    officials = []
    for p in t.subjects_of_type(KG + "Official"):
        positions = t.values(p, KG + "holds")
        f = fact(p, "official", ("represents", "holds"), [])
        f.evidence = evidence(p, *positions)
        officials.append(f)
    for group in (meetings, agreements):
        group.sort(key=lambda f: (f.date or "", f.iri))
    officials.sort(key=lambda f: f.label)
    # A position's evidence is shown on its holder's row: a sentence links to that row.
    alias = {anchor(pos.iri): f.anchor for f in officials for pos in f.roles["holds"]}
    for span in spans.values():
        span.facts = [(alias.get(a, a), rule) for a, rule in span.facts]

    mentioned = [ref(e) for e in t.values(iri, SCHEMA + "mentions")]
    dateline = t.one(iri, KG + "dateline")
    return {
        "iri": iri, "headline": t.one(iri, SCHEMA + "headline") or local_name(iri),
        "published": t.one(iri, SCHEMA + "datePublished"), "identifier": t.one(iri, SCHEMA + "identifier"),
        "url": t.one(iri, SCHEMA + "url"), "dateline": ref(dateline) if dateline else None,
        "mentioned": sorted(mentioned, key=lambda r: r.label),
        "text_html": mark_text(text, list(spans.values())), "spans": sorted(spans.values(), key=lambda s: s.start),
        "meetings": meetings, "agreements": agreements, "officials": officials,
        "bad_spans": [s for s in spans.values() if not s.ok],
    }


def mark_text(text: str, spans: list[Span]) -> Markup:
    """The text as HTML with each span in a <mark>, properly nested: a span that crosses the end of an enclosing
    one is cut there and continued after it (the first piece carries the id, every piece the data-ev)."""
    queue = [(s.start, -s.end, i, s.start, True) for i, s in enumerate(spans) if 0 <= s.start < s.end <= len(text)]
    heapq.heapify(queue)
    root: dict = {"end": len(text), "children": []}
    stack = [root]
    while queue:
        start, neg_end, i, _, primary = heapq.heappop(queue)
        end = -neg_end
        while len(stack) > 1 and stack[-1]["end"] <= start:
            stack.pop()
        parent = stack[-1]
        if end > parent["end"]:  # crosses the enclosing mark: cut, and queue the rest
            heapq.heappush(queue, (parent["end"], -end, i, parent["end"], False))
            end = parent["end"]
        if end <= start:
            continue
        node = {"start": start, "end": end, "span": spans[i], "primary": primary, "children": []}
        parent["children"].append(node)
        stack.append(node)

    out: list[str] = []

    def emit(node: dict, pos: int) -> None:
        for child in node["children"]:
            out.append(str(escape(text[pos:child["start"]])))
            span: Span = child["span"]
            facts = " ".join(dict.fromkeys(a for a, _ in span.facts))
            rules = ", ".join(dict.fromkeys(r for _, r in span.facts))
            ident = f' id="{span.id}"' if child["primary"] else ""
            out.append(f'<mark class="ev"{ident} data-ev="{span.id}" data-facts="{facts}" title="{escape(rules)}">')
            emit(child, child["start"])
            out.append("</mark>")
            pos = child["end"]
        out.append(str(escape(text[pos:node["end"]])))

    root["start"] = 0
    emit(root, 0)
    return Markup("".join(out))


def shacl_status(triples: list[ox.Triple]) -> dict:
    """Stored articles conformed when built (the build rejects the others). The shapes are rechecked on the stored
    graph plus its entities, to show the warnings: it is cheap (2-20 ms, printed by bench/bench_pages.py; set the app's
    config KGBUILD_EXPLORE_RECHECK = False to skip it). The store may
    differ from what was validated (pyoxigraph 0.5 stores xsd:nonNegativeInteger as xsd:integer), so a violation
    found by the recheck is shown as such, next to the build's verdict, not instead of it."""
    status: dict = {"conforms": True, "recheck": None}
    if not current_app.config.get("KGBUILD_EXPLORE_RECHECK", True):
        return status
    from ..validate import validate

    t0 = time.perf_counter()
    result = validate(triples)
    ms = (time.perf_counter() - t0) * 1000
    lines = [line for line in result.report.splitlines()[1:] if line.strip()]
    status["recheck"] = {"conforms": result.conforms, "ms": round(ms, 1),
                         "violations": [x for x in lines if x.startswith("Violation")],
                         "warnings": [x for x in lines if not x.startswith("Violation")]}
    return status
