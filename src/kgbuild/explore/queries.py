"""What the explore pages ask of the store, and how: every query runs through the server's worker pool like
/sparql queries (same time limit), reads one article's graph with `GRAPH <iri>` and bounds cross-article lists
with LIMIT. IRIs spliced in here have been checked by `http.iri_arg`."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor

import pyoxigraph as ox
from flask import current_app, g

from ..endpoint_pool import QueryTimeout, WorkerFailed
from ..vocab import ENTITIES_GRAPH, KG, OA, OWL, PROV, RDFS, SCHEMA, XSD
from .http import fail

TIMELINE_LIMIT = 200  # facts on an entity page
OFFICIALS_LIMIT = 200
ARTICLES_LIMIT = 30
ROLES = ("participant", "party", "mediator", "host", "place")
PREFIX = (f"PREFIX kg: <{KG}>\nPREFIX rdfs: <{RDFS}>\nPREFIX schema: <{SCHEMA}>\nPREFIX prov: <{PROV}>\n"
          f"PREFIX oa: <{OA}>\nPREFIX owl: <{OWL}>\nPREFIX xsd: <{XSD}>\n")

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kgbuild-explore")


# -- running them ------------------------------------------------------------------------------------------------


def _job(sparql: str, construct: bool) -> tuple:
    return ("query", sparql, None, None, None if construct else "json", "ntriples" if construct else None, 100_000)


def _reply(future_or_reply: object) -> bytes:
    """The body of a worker's reply; failures become the HTTP answer (503 on timeout, as on /sparql)."""
    try:
        reply = future_or_reply.result() if isinstance(future_or_reply, Future) else future_or_reply
    except (QueryTimeout, WorkerFailed) as exc:
        fail(503, str(exc))
    if reply[0] == "error":
        fail(reply[1], reply[2])
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


# -- what they ask -----------------------------------------------------------------------------------------------


def article_triples(iri: str) -> list[ox.Triple]:
    """The article's graph and the entities-graph descriptions of what it names: one query, one graph lookup."""
    return construct(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}
  UNION
  {{ {{ SELECT DISTINCT ?s WHERE {{ GRAPH <{iri}> {{ [] ?q ?s FILTER(isIRI(?s)) }} }} }}
     GRAPH <{ENTITIES_GRAPH}> {{ ?s ?p ?o }} }}
}}""")


def labels(iris: set[str]) -> dict[str, str]:
    """rdfs:label of entities, from the entities graph, in one lookup."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = select(f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {values} }} GRAPH <{ENTITIES_GRAPH}> {{ ?e rdfs:label ?l }} }}")
    return {r["e"]: r["l"] for r in rows}


def entity_queries(iri: str) -> dict[str, str]:
    """The independent queries behind an entity page (run together with `select_many`)."""
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


def fact_details(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Roles, status and label of facts, each looked up in its own article's graph: (fact, article) pairs."""
    if not pairs:
        return []
    values = " ".join(f"(<{f}> <{g}>)" for f, g in pairs)
    # One triple pattern with ?f and ?g bound: a lookup a fact (~5 ms; a join on kg:status here costs ~50 ms).
    return select(f"""SELECT ?f ?role ?o WHERE {{ VALUES (?f ?g) {{ {values} }}
  GRAPH ?g {{ ?f ?role ?o FILTER(?role IN ({", ".join(f"kg:{r}" for r in ROLES)}, kg:status, rdfs:label)) }} }}""")


def states() -> list[dict[str, str]]:
    return select(f"""SELECT ?s ?l WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?s a kg:State ; rdfs:label ?l }} }}
ORDER BY ?l LIMIT 1000""")


def search(needle: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Entities whose label and articles whose headline contain `needle` (a SPARQL literal, lower case)."""
    found = select_many({
        "entities": f"""SELECT ?e ?l WHERE {{ GRAPH <{ENTITIES_GRAPH}> {{ ?e rdfs:label ?l
  FILTER(CONTAINS(LCASE(STR(?l)), {needle})) }} }} ORDER BY STRLEN(STR(?l)) ?l LIMIT 50""",
        "articles": f"""SELECT ?a ?h ?d WHERE {{ GRAPH ?a {{ ?a schema:headline ?h ; schema:datePublished ?d
  FILTER(CONTAINS(LCASE(STR(?h)), {needle})) }} }} ORDER BY DESC(STR(?d)) LIMIT 50""",
    })
    return found["entities"], found["articles"]


def recent_articles(page: int, size: int = 50) -> list[dict[str, str]]:
    """Articles newest first, one more than a page (to tell whether there is a next one)."""
    return select(f"""SELECT ?a ?h ?d WHERE {{
  {{ SELECT ?a ?d WHERE {{ GRAPH ?a {{ ?a schema:datePublished ?d }} }}
     ORDER BY DESC(?d) ?a LIMIT {size + 1} OFFSET {page * size} }}
  GRAPH ?a {{ ?a schema:headline ?h }} }} ORDER BY DESC(?d) ?a""")


TIMELINE_FACTS = 2000  # facts on a timeline page
_PARTIES = "kg:participant|kg:party|kg:host|kg:mediator"


def timeline_queries(state: str, other: str | None = None) -> dict[str, str]:
    """The independent queries behind a timeline page (run together with `select_many`): the states' labels, the
    facts, and (for one state) the states it met or agreed with."""
    named = " ".join(f"<{i}>" for i in (state, other) if i)
    labels = f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {named} }} GRAPH <{ENTITIES_GRAPH}> {{ ?e rdfs:label ?l }} }}"
    queries = {"labels": labels, "facts": _timeline_facts(state, other)}
    if not other:
        queries["partners"] = _partners(state)
    return queries


def _timeline_facts(state: str, other: str | None = None) -> str:
    """Meetings and agreements `state` takes part in (with `other` too, when given): fact, article, kind, the
    fact's date else its article's, label, status."""
    pair = f"?f {_PARTIES} <{other}> ." if other else ""
    return (f"""SELECT ?f ?g ?kind ?when ?dated ?label ?status WHERE {{
  {{ SELECT DISTINCT ?f ?g WHERE {{ GRAPH ?g {{ ?f {_PARTIES} <{state}> . {pair} }} }} }}
  GRAPH ?g {{
    {{ ?f a kg:Meeting BIND("meeting" AS ?kind) }} UNION {{ ?f a kg:Agreement BIND("agreement" AS ?kind) }}
    OPTIONAL {{ ?f kg:date ?date }} OPTIONAL {{ ?g schema:datePublished ?pub }}
    OPTIONAL {{ ?f rdfs:label ?label }} OPTIONAL {{ ?f kg:status ?status }}
  }}
  BIND(COALESCE(STR(?date), SUBSTR(STR(?pub), 1, 10)) AS ?when)
  BIND(BOUND(?date) AS ?dated)
}} ORDER BY ?when ?f LIMIT {TIMELINE_FACTS}""")


def _partners(state: str) -> str:
    """The states that meet or agree with `state`: how often, first and last date."""
    return (f"""SELECT ?o ?l (COUNT(DISTINCT ?m) AS ?meetings) (COUNT(DISTINCT ?a) AS ?agreements)
  (MIN(?when) AS ?first) (MAX(?when) AS ?last) WHERE {{
  {{ SELECT DISTINCT ?f ?g ?o WHERE {{
     GRAPH ?g {{ ?f {_PARTIES} <{state}> ; {_PARTIES} ?o FILTER(?o != <{state}>) }} }} }}
  GRAPH <{ENTITIES_GRAPH}> {{ ?o a kg:State ; rdfs:label ?l }}
  GRAPH ?g {{
    {{ ?f a kg:Meeting BIND(?f AS ?m) }} UNION {{ ?f a kg:Agreement BIND(?f AS ?a) }}
    OPTIONAL {{ ?f kg:date ?date }} OPTIONAL {{ ?g schema:datePublished ?pub }}
  }}
  BIND(COALESCE(STR(?date), SUBSTR(STR(?pub), 1, 10)) AS ?when)
}} GROUP BY ?o ?l ORDER BY DESC(COUNT(DISTINCT ?m) + COUNT(DISTINCT ?a)) ?l LIMIT 300""")
