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


LABEL_CHARS = 26  # a node's label is cut here (the full one is its tooltip)
CHAR_WIDTH = 6.6  # px a character at the labels' 11 px (a generous mean for sans-serif)
LABEL_HEIGHT = 14.0
NODE_RADIUS, CENTRE_RADIUS = 9, 14


def _box(x: float, y: float, r: float, text: str) -> tuple[float, float, float, float]:
    """The box a node's label takes, centred under its circle: (left, top, right, bottom)."""
    w = len(text) * CHAR_WIDTH + 4
    return (x - w / 2, y + r + 1, x + w / 2, y + r + 1 + LABEL_HEIGHT)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clashes(nodes: list[tuple[float, float, float, str]]) -> bool:
    """Whether any label overlaps another label or another node's circle (nodes: x, y, radius, label)."""
    boxes = [_box(x, y, r, t) for x, y, r, t in nodes]
    circles = [(x - r, y - r, x + r, y + r) for x, y, r, _ in nodes]
    for i, a in enumerate(boxes):
        for j in range(len(nodes)):
            if j != i and (_overlaps(a, circles[j]) or (j > i and _overlaps(a, boxes[j]))):
                return True
    return False


def radial_svg(center: Node, inner: list[Node], outer: list[Node], edges: list[tuple[str, str, str]]) -> str:
    """A radial drawing: centre, inner ring, outer ring at the mean angle of its neighbours. Plain SVG.

    Labels never overlap: the rings are spread out (all distances scaled from the centre, labels keeping their
    size) until no label touches another label or a circle. The SVG scales to its container's width."""
    # Each node once: an official can be both a fact's participant (outer) and a state's official (inner).
    inner = list({n.id: n for n in reversed(inner) if n.id != center.id}.values())[::-1]
    taken = {center.id} | {n.id for n in inner}
    outer = [n for n in {n.id: n for n in outer}.values() if n.id not in taken]
    dropped = max(0, len(outer) - PICTURE_OUTER)
    degree = defaultdict(int)
    for a, b, _ in edges:
        degree[a] += 1
        degree[b] += 1
    outer = sorted(outer, key=lambda n: -degree[n.id])[:PICTURE_OUTER]
    r1 = max(120.0, len(inner) * 56 / (2 * math.pi))  # ~56 px of arc a node, for its label
    r2 = max(r1 + 150, len(outer) * 48 / (2 * math.pi))
    unit: dict[str, tuple[float, float]] = {center.id: (0.0, 0.0)}  # positions around (0, 0) before spreading
    angle: dict[str, float] = {}
    for i, n in enumerate(inner):
        a = 2 * math.pi * i / max(1, len(inner)) - math.pi / 2
        angle[n.id] = a
        unit[n.id] = (r1 * math.cos(a), r1 * math.sin(a))
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
            unit[n.id] = (r2 * math.cos(a), r2 * math.sin(a))
    nodes = [center, *inner, *(n for _, n in desired)]
    labels = {n.id: short_label(n.label, LABEL_CHARS) for n in nodes}
    radius = {n.id: CENTRE_RADIUS if n is center else NODE_RADIUS for n in nodes}

    scale = 1.0
    for _ in range(40):  # distances grow, labels do not: this ends with no clash (or at 1.15**40, never reached)
        if not _clashes([(unit[n.id][0] * scale, unit[n.id][1] * scale, radius[n.id], labels[n.id]) for n in nodes]):
            break
        scale *= 1.15
    # The drawing's extent, labels included, with a margin.
    boxes = [_box(unit[n.id][0] * scale, unit[n.id][1] * scale, radius[n.id], labels[n.id]) for n in nodes]
    left = min(min(b[0] for b in boxes), -CENTRE_RADIUS) - 20
    top = min(min(unit[n.id][1] * scale - radius[n.id] for n in nodes), 0) - 20
    right = max(b[2] for b in boxes) + 20
    bottom = max(b[3] for b in boxes) + 30
    width, height = right - left, bottom - top
    pos = {n.id: (unit[n.id][0] * scale - left, unit[n.id][1] * scale - top) for n in nodes}

    parts = [f'<svg class="kg-graph" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}" role="img" aria-label="graph around {escape(center.label)}">',
             f"<title>The graph around {escape(center.label)}</title>"]
    parts.append('<g class="edges">')
    for a, b, label in edges:
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        cls = "edge faint" if label in ("source", "mentions") else "edge"
        # The role is the edge's tooltip: written on the drawing, roles would cover each other and the labels.
        parts.append(f'<g class="{cls}" data-role="{escape(label)}"><title>{escape(label)}</title>'
                     f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/></g>')
    parts.append("</g><g class=\"nodes\">")
    for n in nodes:
        x, y = pos[n.id]
        r = radius[n.id]
        colour = COLOURS.get(n.kind, COLOURS["entity"])
        parts.append(f'<a href="{escape(n.href)}" class="node {n.kind}"><title>{escape(n.label)} ({n.kind})</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
                     f'<text x="{x:.1f}" y="{y + r + 12:.1f}">{escape(labels[n.id])}</text></a>')
    parts.append("</g>")
    if dropped:
        parts.append(f'<text class="note" x="10" y="{height - 10:.0f}">{dropped} more not drawn</text>')
    parts.append("</svg>")
    return "".join(parts)
