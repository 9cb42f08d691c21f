"""The picture of the graph around an article or an entity: plain SVG drawn on the server with a radial layout
(the article or entity in the centre, its facts on an inner ring, the entities they name on an outer ring placed at
the mean angle of their facts to keep edges short). Every node is a link; it shows with JavaScript off."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from markupsafe import escape

from ..vocab import KG, SCHEMA
from .display import Triples, anchor, entity_url, kind_of, local_name, short_label

PICTURE_FACTS = 16  # facts drawn around an entity
PICTURE_PEOPLE = 8  # and officials (of a state) or holders (of a position)
PICTURE_OUTER = 32  # outer-ring nodes drawn at most


@dataclass
class Node:
    id: str
    label: str
    kind: str
    href: str


COLOURS = {"article": "#37474f", "event": "#2e7d32", "agreement": "#6a1b9a", "state": "#1565c0", "person": "#ef6c00",
           "place": "#00838f", "organization": "#ad1457", "position": "#757575", "entity": "#9e9e9e"}


def article_picture(iri: str, triples: list[ox.Triple]) -> str:
    t = Triples(triples)
    center = Node(iri, t.one(iri, SCHEMA + "headline") or local_name(iri), "article", "#text")
    inner, edges = [], []
    facts = (t.subjects_of_type(KG + "Meeting") + t.subjects_of_type(KG + "Agreement")
             + t.subjects_of_type(KG + "Official"))
    for f in facts:
        kind = kind_of(f, t.types(f))
        href = "#" + anchor(f)
        inner.append(Node(f, t.label(f), kind, href))
        edges.append((f, iri, "source"))
    outer: dict[str, Node] = {}

    def add(e: str) -> None:
        if e not in outer and e != iri and e not in {n.id for n in inner}:
            outer[e] = Node(e, t.label(e), kind_of(e, t.types(e)), entity_url(e))

    for f in facts:
        for p in ("participant", "host", "place", "party", "mediator", "represents", "holds"):
            for o in t.values(f, KG + p):
                add(o)
                edges.append((f, o, p))
    for e in t.values(iri, SCHEMA + "mentions"):
        if e not in outer:
            add(e)
            edges.append((iri, e, "mentions"))
    for e in t.values(iri, KG + "dateline"):
        add(e)
        edges.append((iri, e, "dateline"))
    return radial_svg(center, inner, list(outer.values()), edges)


def entity_picture(model: dict) -> str:
    iri = model["iri"]
    center = Node(iri, model["label"], model["kind"], "#top")
    inner, outer, edges = [], {}, []
    for item in model["timeline"][:PICTURE_FACTS]:
        inner.append(Node(item["iri"], item["label"], item["kind"], item["href"]))
        for role in item["roles"]:
            edges.append((item["iri"], iri, role))
        for ref, roles in item["others"]:
            outer.setdefault(ref.iri, Node(ref.iri, ref.label, ref.kind, ref.href))
            edges.append((item["iri"], ref.iri, ", ".join(roles) or ("party" if item["kind"] == "agreement"
                                                                       else "participant")))
    for person in (model["officials"] or model["holders"])[:PICTURE_PEOPLE]:
        ref = person["ref"]
        inner.append(Node(ref.iri, ref.label, "person", ref.href))
        edges.append((ref.iri, iri, "represents" if model["kind"] == "state" else "holds"))
        for pos in person["positions"][:2]:
            outer.setdefault(pos.iri, Node(pos.iri, pos.label, "position", pos.href))
            edges.append((ref.iri, pos.iri, "holds"))
    for name, ref in model["links"]:
        if ref.iri not in outer:
            inner.append(Node(ref.iri, ref.label, ref.kind, ref.href))
            edges.append((iri, ref.iri, name))
    return radial_svg(center, inner, list(outer.values()), edges)


def radial_svg(center: Node, inner: list[Node], outer: list[Node], edges: list[tuple[str, str, str]]) -> str:
    """A radial drawing: centre, inner ring, outer ring at the mean angle of its neighbours. Plain SVG."""
    dropped = max(0, len(outer) - PICTURE_OUTER)
    degree = defaultdict(int)
    for a, b, _ in edges:
        degree[a] += 1
        degree[b] += 1
    outer = sorted(outer, key=lambda n: -degree[n.id])[:PICTURE_OUTER]
    r1 = max(120.0, len(inner) * 56 / (2 * math.pi))  # ~56 px of arc a node, for its label
    r2 = max(r1 + 150, len(outer) * 48 / (2 * math.pi))
    size = 2 * (r2 + 130)
    cx = cy = size / 2
    pos: dict[str, tuple[float, float]] = {center.id: (cx, cy)}
    angle: dict[str, float] = {}
    for i, n in enumerate(inner):
        a = 2 * math.pi * i / max(1, len(inner)) - math.pi / 2
        angle[n.id] = a
        pos[n.id] = (cx + r1 * math.cos(a), cy + r1 * math.sin(a))
    neighbours = defaultdict(list)
    for a, b, _ in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)

    def wanted(n: Node) -> float:
        xs = [angle[m] for m in neighbours[n.id] if m in angle]
        if not xs:
            return math.pi
        return math.atan2(sum(math.sin(x) for x in xs), sum(math.cos(x) for x in xs))

    desired = sorted(((wanted(n), n) for n in outer), key=lambda x: x[0])
    k = len(desired)
    if k:
        step = 2 * math.pi / k
        shift = math.atan2(sum(math.sin(d - i * step) for i, (d, _) in enumerate(desired)),
                           sum(math.cos(d - i * step) for i, (d, _) in enumerate(desired)))
        for i, (_, n) in enumerate(desired):
            a = shift + i * step
            pos[n.id] = (cx + r2 * math.cos(a), cy + r2 * math.sin(a))
    nodes = [center, *inner, *(n for _, n in desired)]

    parts = [f'<svg class="kg-graph" viewBox="0 0 {size:.0f} {size:.0f}" width="{size:.0f}" height="{size:.0f}" '
             f'role="img" aria-label="graph around {escape(center.label)}">',
             f"<title>The graph around {escape(center.label)}</title>"]
    parts.append('<g class="edges">')
    for a, b, label in edges:
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        cls = "edge faint" if label in ("source", "mentions") else "edge"
        parts.append(f'<g class="{cls}"><line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
                     f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}">{escape(label)}</text></g>')
    parts.append("</g><g class=\"nodes\">")
    for n in nodes:
        x, y = pos[n.id]
        r = 14 if n is center else 9
        colour = COLOURS.get(n.kind, COLOURS["entity"])
        parts.append(f'<a href="{escape(n.href)}" class="node {n.kind}"><title>{escape(n.label)} ({n.kind})</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
                     f'<text x="{x:.1f}" y="{y + r + 12:.1f}">{escape(short_label(n.label))}</text></a>')
    parts.append("</g>")
    if dropped:
        parts.append(f'<text class="note" x="10" y="{size - 10:.0f}">{dropped} more not drawn</text>')
    parts.append("</svg>")
    return "".join(parts)
