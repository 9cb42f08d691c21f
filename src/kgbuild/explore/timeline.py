"""A timeline of the meetings and agreements of a state, or of a pair of states: a plot over time (SVG drawn on the
server, a mark a fact, linked to the fact on its article's page), the facts in order, and the states it met or
agreed with, linking to their pages and to the pair's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape

from .display import Ref, article_url, local_name

WIDTH, LANE, TOP, LEFT, RIGHT = 1000, 70, 30, 110, 30
TABLE_ROWS = 200  # facts listed under the plot (the plot shows them all)
LANES = ("meeting", "agreement")
COLOURS = {"meeting": "#2e7d32", "agreement": "#6a1b9a"}


@dataclass
class Item:
    iri: str
    kind: str  # 'meeting' or 'agreement'
    date: dt.date | None
    dated: bool  # the fact's own date (else its article's)
    label: str
    status: str
    href: str


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def items(rows: list[dict[str, str]]) -> list[Item]:
    """The facts of a timeline, oldest first (undated last), each once."""
    seen: dict[str, Item] = {}
    for r in rows:
        if r["f"] in seen:
            continue
        seen[r["f"]] = Item(r["f"], r["kind"], _day(r.get("when")), r.get("dated") == "true",
                            r.get("label") or local_name(r["f"]), local_name(r.get("status") or ""),
                            article_url(r["g"], r["f"]))
    return sorted(seen.values(), key=lambda i: (i.date is None, i.date or dt.date.min, i.iri))


def newest(facts: list[Item], n: int = TABLE_ROWS) -> list[Item]:
    """The newest `n` facts, newest first (undated ones last)."""
    dated = [f for f in facts if f.date]
    return (dated[::-1] + [f for f in facts if not f.date])[:n]


def partners(rows: list[dict[str, str]]) -> list[dict]:
    return [{"ref": Ref.of(r["o"], r["l"], "state"), "meetings": int(r["meetings"]),
             "agreements": int(r["agreements"]), "first": (r.get("first") or "")[:10],
             "last": (r.get("last") or "")[:10]} for r in rows]


def plot(facts: list[Item], title: str) -> Markup:
    """The facts on a time axis, one lane a kind; marks on the same spot stack upwards. Scales to its container."""
    dated = [f for f in facts if f.date]
    height = TOP + LANE * len(LANES) + 40
    parts = [f'<svg class="kg-timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not dated:
        parts.append(f'<text class="note" x="{LEFT}" y="{TOP + 20}">no dated meeting or agreement</text></svg>')
        return Markup("".join(parts))
    first, last = min(f.date for f in dated), max(f.date for f in dated)
    start = dt.date(first.year, 1, 1)
    end = dt.date(last.year + 1, 1, 1)
    span = (end - start).days

    def x(day: dt.date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span

    for i, lane in enumerate(LANES):
        y = TOP + LANE * i + LANE / 2
        parts.append(f'<text class="lane" x="{LEFT - 12}" y="{y + 4:.0f}">{lane}s</text>'
                     f'<line class="lane" x1="{LEFT}" y1="{y:.0f}" x2="{WIDTH - RIGHT}" y2="{y:.0f}"/>')
    axis = TOP + LANE * len(LANES)
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{axis}" x2="{WIDTH - RIGHT}" y2="{axis}"/>')
    years = list(range(start.year, end.year + 1))
    every = max(1, len(years) // 12)  # at most ~12 year labels
    for year in years[::every]:
        tx = x(dt.date(year, 1, 1))
        parts.append(f'<line class="tick" x1="{tx:.1f}" y1="{axis}" x2="{tx:.1f}" y2="{axis + 6}"/>'
                     f'<text class="year" x="{tx:.1f}" y="{axis + 20}">{year}</text>')
    stacked: dict[tuple[str, int], int] = {}
    for f in dated:
        lane = LANES.index(f.kind) if f.kind in LANES else 0
        fx = x(f.date)
        slot = (f.kind, round(fx / 8))  # marks closer than 8 px share a spot: stack them
        level = stacked.get(slot, 0)
        stacked[slot] = level + 1
        fy = TOP + LANE * lane + LANE / 2 - min(level, 3) * 11  # apart, each its own click target
        note = ("" if f.dated else ", article date") + (f", {f.status}" if f.status else "")
        tip = f"{f.label} ({f.date.isoformat()}{note})"
        shape = (f'<circle cx="{fx:.1f}" cy="{fy:.1f}" r="5"/>' if f.kind == "meeting" else
                 f'<rect x="{fx - 4.5:.1f}" y="{fy - 4.5:.1f}" width="9" height="9"/>')
        parts.append(f'<a class="mark {f.kind}" href="{escape(f.href)}"><title>{escape(tip)}</title>{shape}</a>')
    parts.append("</svg>")
    return Markup("".join(parts))
