"""Explore pages of `kgbuild serve`: an article's facts in its text, an entity's story across articles, and a picture
of the graph around either.

* `/explore/` lists states and articles and searches labels and headlines.
* `/explore/article?iri=A`: the article text with every evidence span marked (`<mark id="ev-START-END">`) and linked
  from the fact tables (meetings, agreements, officials, each with the rule id behind each piece of evidence); its
  SHACL status; download links for its graph (Turtle, JSON-LD, via the Graph Store Protocol route).
* `/explore/entity?iri=E`: a state, official, place, organisation or position: its Wikidata link, every meeting and
  agreement it takes part in as a timeline (newest first, bounded), a state's officials and their positions.
* `/explore/graph.svg?iri=X`: the picture alone.

Pages are rendered on the server and read without JavaScript: a fact's evidence links are fragment links, and CSS
`:target` highlights the sentence. static/explore.js only enhances (hover a fact to see its sentences, click a
sentence to see its facts).

The graph picture is SVG drawn here with a radial layout (the article or entity in the centre, its facts on an inner
ring, the entities they name on an outer ring placed at the mean angle of their facts to keep edges short). The
pictures have tens of nodes, not thousands, so a JS graph library (vendored, to be kept up to date, and needing
JavaScript to show anything) buys nothing here; inline SVG has links on every node and works with JS off.

Every query runs through the server's worker pool like /sparql queries (same time limit), reads one article's graph
with `GRAPH <iri>` and bounds the cross-article lists with LIMIT.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from .endpoint_pool import QueryTimeout, WorkerFailed
from .vocab import ENTITIES_GRAPH, KG, KGR, OA, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, WD, XSD

blueprint = Blueprint("explore", __name__, url_prefix="/explore")

TIMELINE_LIMIT = 200  # facts on an entity page
OFFICIALS_LIMIT = 200
ARTICLES_LIMIT = 30
PICTURE_FACTS = 16  # facts drawn around an entity
PICTURE_PEOPLE = 8  # and officials (of a state) or holders (of a position)
PICTURE_OUTER = 32  # outer-ring nodes drawn at most

TYPE = RDF + "type"
LABEL = RDFS + "label"
ROLES = ("participant", "party", "mediator", "host", "place")
AGREEMENT_KINDS = ("MemorandumOfUnderstanding", "Partnership", "CommercialAgreement", "Target", "Ceasefire", "Treaty",
                   "JointBodyAgreement")
KINDS = {"state": "State", "person": "Official", "place": "Place", "organization": "Organisation",
         "position": "Position", "event": "Meeting", "agreement": "Agreement", "article": "Article"}
PREFIX = (f"PREFIX kg: <{KG}>\nPREFIX rdfs: <{RDFS}>\nPREFIX schema: <{SCHEMA}>\nPREFIX prov: <{PROV}>\n"
          f"PREFIX oa: <{OA}>\nPREFIX owl: <{OWL}>\nPREFIX xsd: <{XSD}>\n")


# -- running queries on the worker pool ------------------------------------------------------------------


def _fail(status: int, message: str) -> None:
    abort(Response(f"{message}\n", status=status, content_type="text/plain; charset=utf-8"))


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kgbuild-explore")


def _job(sparql: str, construct: bool) -> tuple:
    return ("query", sparql, None, None, None if construct else "json", "ntriples" if construct else None, 100_000)


def _reply(future_or_reply: object) -> bytes:
    """The body of a worker's reply; failures become the HTTP answer (503 on timeout, as on /sparql)."""
    try:
        reply = future_or_reply.result() if isinstance(future_or_reply, Future) else future_or_reply
    except QueryTimeout as exc:
        _fail(503, str(exc))
    except WorkerFailed as exc:
        _fail(503, str(exc))
    if reply[0] == "error":
        _fail(reply[1], reply[2])
    g.kind = "explore"
    g.rows = (g.get("rows") or 0) + reply[4]
    return reply[3]


def _call(sparql: str, *, construct: bool = False) -> bytes:
    return _reply(current_app.extensions["kgbuild"].call(_job(sparql, construct)))


def _solutions(body: bytes) -> list[dict[str, str]]:
    data = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def select(sparql: str) -> list[dict[str, str]]:
    """The solutions of a SELECT query as {variable: value} (IRIs and literals alike as their plain value)."""
    return _solutions(_call(PREFIX + sparql))


def select_many(queries: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """Independent SELECT queries at once, on as many query workers as are free: a page's latency is then its
    slowest query's, not their sum."""
    backend = current_app.extensions["kgbuild"]
    futures = {name: _POOL.submit(backend.call, _job(PREFIX + q, False)) for name, q in queries.items()}
    return {name: _solutions(_reply(f)) for name, f in futures.items()}


def construct(sparql: str) -> list[ox.Triple]:
    return list(ox.parse(_call(PREFIX + sparql, construct=True), ox.RdfFormat.N_TRIPLES))


def _iri_arg() -> str:
    iri = request.args.get("iri", "").strip()
    if not iri:
        _fail(400, "name the resource: ?iri=IRI")
    try:
        ox.NamedNode(iri)
    except ValueError:
        _fail(400, f"not an IRI: {iri!r}")
    if re.search(r'[<>"{}|^`\\\s]', iri):  # never splice such characters into a query
        _fail(400, f"not an IRI: {iri!r}")
    return iri


def _literal(text: str) -> str:
    """A SPARQL string literal of user text."""
    text = "".join(ch for ch in text if ch >= " ")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8")


# -- naming things -------------------------------------------------------------------------------------


def kind_of(iri: str, types: set[str] | None = None) -> str:
    """'state', 'person', ... from the rdf:types when known, else from the path of the minted IRI."""
    for t, kind in ((KG + "State", "state"), (KG + "Official", "person"), (KG + "Place", "place"),
                    (KG + "Organization", "organization"), (KG + "Position", "position"), (KG + "Meeting", "event"),
                    (KG + "Agreement", "agreement"), (KG + "Article", "article")):
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


# -- the article page ----------------------------------------------------------------------------------


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
    details: list[tuple[str, str]]
    evidence: list[tuple[str, str, str]]  # (span id, rule, quote)


def _article_triples(iri: str) -> list[ox.Triple]:
    """The article's graph and the entities-graph descriptions of what it names: one query, one graph lookup."""
    return construct(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}
  UNION
  {{ {{ SELECT DISTINCT ?s WHERE {{ GRAPH <{iri}> {{ [] ?q ?s FILTER(isIRI(?s)) }} }} }}
     GRAPH <{ENTITIES_GRAPH}> {{ ?s ?p ?o }} }}
}}""")


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

    def fact(f: str, kind: str, roles: tuple[str, ...], details: list[tuple[str, str]]) -> Fact:
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
            details.append(("value", f"{t.one(v, SCHEMA + 'value')} {t.one(v, SCHEMA + 'currency') or ''}".strip()))
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
    from .validate import validate

    t0 = time.perf_counter()
    result = validate(triples)
    ms = (time.perf_counter() - t0) * 1000
    lines = [line for line in result.report.splitlines()[1:] if line.strip()]
    status["recheck"] = {"conforms": result.conforms, "ms": round(ms, 1),
                         "violations": [x for x in lines if x.startswith("Violation")],
                         "warnings": [x for x in lines if not x.startswith("Violation")]}
    return status


@blueprint.route("/article")
def article() -> Response:
    iri = _iri_arg()
    triples = _article_triples(iri)
    if not any(t.subject.value == iri and t.predicate.value == TYPE and t.object.value == KG + "Article"
               for t in triples):
        _fail(404, f"no article <{iri}> in the store")
    model = article_model(iri, triples)
    model["shacl"] = shacl_status(triples)
    model["picture"] = Markup(article_picture(iri, triples))
    model["downloads"] = [(name, url_for("graph_store", graph=iri, format=fmt, download=1))
                          for name, fmt in (("Turtle", "turtle"), ("JSON-LD", "jsonld"))]
    return _html(render_template("explore_article.html", title=model["headline"], **model))


# -- the entity page -----------------------------------------------------------------------------------


ROLE_FILTER = "FILTER(?role IN (" + ", ".join(f"kg:{r}" for r in ROLES) + "))"


def _entity_queries(iri: str) -> dict[str, str]:
    facts = " UNION ".join(f"{{ ?f kg:{r} <{iri}> }}" for r in ROLES)
    about = (f"{{ ?g schema:mentions <{iri}> }} UNION {{ ?g kg:dateline <{iri}> }} UNION "
             f"{{ <{iri}> prov:wasDerivedFrom ?g }}")
    return {
        # Its own description (entities graph) and what article graphs say of it (an official's positions).
        "desc": f"SELECT DISTINCT ?g ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} LIMIT 5000",
        # Every fact it takes part in, with the dates to sort them by (the fact's, else its article's): the
        # distinct (fact, article) pairs first, then lookups in that article's graph only for them, the cheapest
        # order for Oxigraph (~50 ms for the ~2,500 facts of the United States in the full corpus; sorting and
        # cutting in SPARQL and fetching the rest in the same query takes ~80 ms).
        "timeline": f"""SELECT ?f ?g ?date ?pub WHERE {{
  {{ SELECT DISTINCT ?f ?g WHERE {{ GRAPH ?g {{ {facts} }} }} }}
  GRAPH ?g {{ ?f kg:status ?status OPTIONAL {{ ?f kg:date ?date }} OPTIONAL {{ ?g schema:datePublished ?pub }} }}
}}""",
        "timeline_total": f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH ?g {{ {facts} }} }}",
        "officials": f"""SELECT ?p ?pos (COUNT(DISTINCT ?g) AS ?n) WHERE {{
  GRAPH ?g {{ ?p kg:represents <{iri}> OPTIONAL {{ ?p kg:holds ?pos }} }}
}} GROUP BY ?p ?pos ORDER BY DESC(?n) ?p LIMIT {OFFICIALS_LIMIT * 2}""",
        "holders": f"""SELECT ?p (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?p kg:holds <{iri}> }} }}
GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT {OFFICIALS_LIMIT}""",
        # The newest articles that mention it, have it as dateline, or derive facts about it (officials).
        "articles": f"""SELECT ?g ?h ?d WHERE {{
  {{ SELECT DISTINCT ?g ?d WHERE {{ GRAPH ?g {{ {about} ?g schema:datePublished ?d }} }}
     ORDER BY DESC(?d) LIMIT {ARTICLES_LIMIT} }}
  GRAPH ?g {{ ?g schema:headline ?h }}
}} ORDER BY DESC(?d)""",
        "articles_total": f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ {about} }} }}",
    }


def entity_model(iri: str) -> dict:
    r = select_many(_entity_queries(iri))
    if not r["desc"]:
        return {}
    timeline, timeline_total = _timeline(iri, r["timeline"], r["timeline_total"])
    # Labels of everything named on the page, from the entities graph, in one lookup.
    linked = (KG + "inState", KG + "ofState", KG + "represents", KG + "holds")
    names = labels({x["o"] for x in r["desc"] if x["p"] in linked} | {o for t in timeline for _, o in t["others"]}
                   | {x["p"] for x in r["officials"]} | {x["pos"] for x in r["officials"] if x.get("pos")}
                   | {x["p"] for x in r["holders"]})

    def ref(o: str, kind: str | None = None) -> Ref:
        return Ref.of(o, names.get(o) or local_name(o), kind)

    props: dict[str, dict[str, None]] = defaultdict(dict)
    for row in r["desc"]:
        props[row["p"]].setdefault(row["o"], None)
    types = set(props.get(TYPE, {}))
    kind = kind_of(iri, types)
    label = next(iter(props.get(LABEL, {})), None) or next(iter(props.get(KG + "title", {})), None) or local_name(iri)
    model: dict = {
        "iri": iri, "label": label, "kind": kind, "kind_name": KINDS.get(kind, "Entity"),
        "types": sorted(local_name(x) for x in types), "alt_labels": sorted(props.get(SKOS + "altLabel", {})),
        "wikidata": [(o, wikidata_url(o)) for o in props.get(OWL + "sameAs", {}) if o.startswith(WD)],
        "iso": next(iter(props.get(KG + "isoCode", {})), None),
        "links": [(name, ref(o)) for p, name in ((KG + "inState", "in"), (KG + "ofState", "of"),
                                                 (KG + "represents", "represents"), (KG + "holds", "holds"))
                  for o in sorted(props.get(p, {}), key=lambda o: names.get(o, o))],
    }
    _timeline_refs(timeline, ref)
    model["timeline"], model["timeline_total"] = timeline, timeline_total
    model["officials"] = _officials(r["officials"], ref) if kind == "state" else []
    model["holders"] = [{"ref": ref(x["p"], "person"), "positions": [], "articles": int(x["n"])}
                        for x in r["holders"]] if kind == "position" else []
    articles = {x["g"]: {"ref": Ref.of(x["g"], x["h"], "article"), "date": x["d"][:10]} for x in r["articles"]}
    model["articles"] = list(articles.values())
    model["articles_total"] = max(int(r["articles_total"][0]["n"]) if r["articles_total"] else 0, len(articles))
    return model


def labels(iris: set[str]) -> dict[str, str]:
    """rdfs:label of entities, from the entities graph, in one lookup."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = select(f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {values} }} GRAPH <{ENTITIES_GRAPH}> {{ ?e rdfs:label ?l }} }}")
    return {r["e"]: r["l"] for r in rows}


def _timeline(iri: str, rows: list[dict], total_rows: list[dict]) -> tuple[list[dict], int]:
    """The newest TIMELINE_LIMIT facts (rows: fact, article, dates), with their status, label and who else is in."""
    newest: dict[str, dict] = {}
    for r in sorted(sorted(rows, key=lambda r: r["f"]), key=lambda r: r.get("date") or (r.get("pub") or "")[:10],
                    reverse=True):
        if r["f"] not in newest:
            newest[r["f"]] = r
            if len(newest) == TIMELINE_LIMIT:
                break
    details: list[dict] = []
    if newest:
        pairs = " ".join(f"(<{r['f']}> <{r['g']}>)" for r in newest.values())
        # One triple pattern with ?f and ?g bound: a lookup a fact (~5 ms; a join on kg:status here costs ~50 ms).
        details = select(f"""SELECT ?f ?role ?o WHERE {{ VALUES (?f ?g) {{ {pairs} }}
  GRAPH ?g {{ ?f ?role ?o FILTER(?role IN ({", ".join(f"kg:{r}" for r in ROLES)}, kg:status, rdfs:label)) }} }}""")
    facts = {f: {"iri": f, "href": article_url(r["g"], f), "article": r["g"],
                 "date": r.get("date") or (r.get("pub") or "")[:10], "dated": "date" in r, "status": "",
                 "label": local_name(f), "kind": kind_of(f), "roles": set(), "others": set()}
             for f, r in newest.items()}
    for d in details:
        item = facts[d["f"]]
        if d["role"] == KG + "status":
            item["status"] = local_name(d["o"])
        elif d["role"] == LABEL:
            item["label"] = d["o"]
        elif d["o"] == iri:
            item["roles"].add(local_name(d["role"]))
        else:
            item["others"].add((local_name(d["role"]), d["o"]))
    return list(facts.values()), max(int(total_rows[0]["n"]) if total_rows else 0, len(facts))


def _timeline_refs(items: list[dict], ref) -> None:
    """Turn each item's (role, entity IRI) pairs into (Ref, roles) once the labels are known."""
    for item in items:
        item["roles"] = sorted(item["roles"])
        by_entity: dict[str, set[str]] = defaultdict(set)
        for role, o in item["others"]:
            by_entity[o].add(role)
        # (entity, its roles other than the plain participant/party), participants first, then by name
        item["others"] = sorted(((ref(o), sorted(r - {"participant", "party"})) for o, r in by_entity.items()),
                                key=lambda x: (bool(x[1]), x[0].label))


def _officials(rows: list[dict], ref) -> list[dict]:
    people: dict[str, dict] = {}
    for r in rows:
        person = people.setdefault(r["p"], {"ref": ref(r["p"], "person"), "positions": [], "articles": 0})
        person["articles"] = max(person["articles"], int(r["n"]))
        if r.get("pos"):
            person["positions"].append(ref(r["pos"], "position"))
    return sorted(people.values(), key=lambda p: (-p["articles"], p["ref"].label))[:OFFICIALS_LIMIT]


@blueprint.route("/entity")
def entity() -> Response:
    iri = _iri_arg()
    model = entity_model(iri)
    if not model:
        _fail(404, f"nothing is known of <{iri}> in the store")
    if model["kind"] == "article":
        return redirect(article_url(iri))
    if model["kind"] in ("event", "agreement") and model["articles"]:
        return redirect(article_url(model["articles"][0]["ref"].iri, iri))
    model["picture"] = Markup(entity_picture(model))
    return _html(render_template("explore_entity.html", title=model["label"], **model))


# -- index and search ----------------------------------------------------------------------------------


@blueprint.route("/")
def index() -> Response:
    q = request.args.get("q", "").strip()[:200]
    page = max(0, min(request.args.get("page", 0, type=int), 10_000))
    states = select(f"""SELECT ?s ?l WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?s a kg:State ; rdfs:label ?l }} }}
ORDER BY ?l LIMIT 1000""")
    hits, found = [], []
    if q:
        needle = _literal(q.lower())
        found = select(f"""SELECT ?e ?l WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?e rdfs:label ?l
  FILTER(CONTAINS(LCASE(STR(?l)), {needle})) }} }} ORDER BY STRLEN(STR(?l)) ?l LIMIT 50""")
        hits = select(f"""SELECT ?a ?h ?d WHERE {{ GRAPH ?a {{ ?a schema:headline ?h ; schema:datePublished ?d
  FILTER(CONTAINS(LCASE(STR(?h)), {needle})) }} }} ORDER BY DESC(STR(?d)) LIMIT 50""")
        recent = []
    else:
        recent = select(f"""SELECT ?a ?h ?d WHERE {{
  {{ SELECT ?a ?d WHERE {{ GRAPH ?a {{ ?a schema:datePublished ?d }} }}
     ORDER BY DESC(?d) ?a LIMIT 51 OFFSET {page * 50} }}
  GRAPH ?a {{ ?a schema:headline ?h }} }} ORDER BY DESC(?d) ?a""")
    ctx = {
        "q": q, "page": page, "more": len(recent) > 50,
        "states": [Ref.of(r["s"], r["l"], "state") for r in states],
        "entities": [Ref.of(r["e"], r["l"]) for r in found],
        "articles": [{"ref": Ref.of(r["a"], r["h"], "article"), "date": r["d"][:10]} for r in (hits or recent[:50])],
    }
    return _html(render_template("explore_index.html", title="kgbuild explore", **ctx))


@blueprint.route("/graph.svg")
def picture() -> Response:
    iri = _iri_arg()
    triples = _article_triples(iri)
    if triples:
        svg = article_picture(iri, triples)
    else:
        model = entity_model(iri)
        if not model:
            _fail(404, f"nothing is known of <{iri}> in the store")
        svg = entity_picture(model)
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


# -- the pictures --------------------------------------------------------------------------------------


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


def _short_label(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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
                     f'<text x="{x:.1f}" y="{y + r + 12:.1f}">{escape(_short_label(n.label))}</text></a>')
    parts.append("</g>")
    if dropped:
        parts.append(f'<text class="note" x="10" y="{size - 10:.0f}">{dropped} more not drawn</text>')
    parts.append("</svg>")
    return "".join(parts)
