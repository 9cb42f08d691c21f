"""Links to Wikidata beyond the bundled gazetteers, and a report of what is linked.

`kgbuild build` links states, places, organisations, positions and office holders offline, from the data files in
`mappings/gazetteers/`. `kgbuild link --online` (opt-in; nothing else needs a network) reconciles the entities left
without a link through the Wikidata API: `wbsearchentities` finds candidates by name, `wbgetentities` gives their
statements, and a candidate is kept only when its type fits and it is the only one that does:

  kg:State         P31 a (sovereign, historical) state; P297 = our ISO code when two items share the name
  kg:Place         P31 a city or settlement; P17 = the QID of its kg:inState when we know it
  kg:Organization  P31 an organisation
  kg:Position      P31 a position or public office, P1001 (jurisdiction) = the QID of its kg:ofState, and a label or
                   alias that spells "<title> of [the] <state>" or "<state> <title>"
  kg:Official      P31 human, and P39 (position held) = the QID of the position we say they hold, in a term that
                   covers the year of an article naming them; without a known position, the one human of that name
                   with P27 (citizenship) = the state they represent

No link is made from a name alone when two items share it (Georgia the state and the US state): the type must
be backed by something else we know (code, country, position) or the name must be unique.

The links go to their own named graph (LINKS_GRAPH), replaced whole in one transaction on every run. API answers are
cached in a JSON file (default <store>/wikidata-cache.json), so a second run makes no request.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from .vocab import ENTITIES_GRAPH, KG, KGR, OWL, PROV, RDFS, SCHEMA, WD

LINKS_GRAPH = KGR + "links"
DEFAULT_API = "https://www.wikidata.org/w/api.php"
USER_AGENT = f"kgbuild/{version('kgbuild')} (entity linking; https://w3id.org/kgbuild)"
CLASSES = ("State", "Place", "Organization", "Position", "Official")

# P31 (instance of) values accepted per class.
STATE_TYPES = {"Q6256", "Q3624078", "Q3024240", "Q7275"}  # country, sovereign state, historical country, state
PLACE_TYPES = {"Q515", "Q5119", "Q1549591", "Q1637706", "Q200250", "Q486972", "Q3957"}  # city, capital, big city,
# city with millions of inhabitants, metropolis, human settlement, town
ORG_TYPES = {"Q43229", "Q484652", "Q245065"}  # organization, international organization, intergovernmental org.
POSITION_TYPES = {"Q4164871", "Q294414", "Q48352", "Q2285706"}  # position, public office, head of state, of government
HUMAN = "Q5"
# Items that carry a name without being a thing of that name: disambiguation page, family name, given names, list.
NAME_ITEMS = {"Q4167410", "Q101352", "Q202444", "Q12308941", "Q11879590", "Q13406463"}


class Offline(Exception):
    """The Wikidata API cannot be reached."""


# -- the API client ----------------------------------------------------------------------------------------------
class WikidataClient:
    """GET requests to the MediaWiki API as Wikidata's API etiquette asks: at most `rate` a second, `maxlag` on each
    request, a 429 or 503 (and a maxlag error) waited out for its Retry-After (or a doubling back-off) and retried,
    entities fetched 50 to a request. Answers are kept in a JSON cache, so a second run asks nothing."""

    BATCH = 50  # ids in one wbgetentities request (the API's limit for clients without the bot right)
    RETRIES = 5
    MAX_WAIT = 120.0  # seconds; a longer Retry-After is capped here

    def __init__(self, api: str = DEFAULT_API, cache: Path | None = None, rate: float = 5.0,
                 timeout: float = 20.0, maxlag: int = 5) -> None:
        self.api = api
        self.cache_path = cache
        self.cache: dict[str, object] = {}
        if cache and cache.exists():
            try:
                self.cache = json.loads(cache.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.cache = {}
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.timeout = timeout
        self.maxlag = maxlag
        self.requests = 0
        self.retries = 0
        self._last = 0.0

    def get(self, **params: str) -> dict:
        params = {**params, "format": "json"}
        key = urllib.parse.urlencode(sorted(params.items()))  # the cache key: the question, not how it was asked
        if key in self.cache:
            return self.cache[key]
        data = self._fetch(f"{self.api}?{key}&maxlag={self.maxlag}")
        self.cache[key] = data
        return data

    def _fetch(self, url: str) -> dict:
        for attempt in range(self.RETRIES + 1):
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                    data = json.loads(resp.read().decode("utf-8"))
                    headers = resp.headers
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 503) and attempt < self.RETRIES:  # too many requests, or the servers are busy
                    self._back_off(exc.headers, attempt)
                    continue
                raise Offline(f"the Wikidata API at {self.api} answered HTTP {exc.code}") from None
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise Offline(f"cannot reach the Wikidata API at {self.api} ({reason})") from None
            error = data.get("error") if isinstance(data, dict) else None
            if error and error.get("code") == "maxlag" and attempt < self.RETRIES:  # replication lags: wait
                self._back_off(headers, attempt)
                continue
            if error:
                raise Offline(f"the Wikidata API at {self.api} refused the request: {error.get('info', '')}")
            return data
        raise Offline(f"the Wikidata API at {self.api} kept asking to wait; try again later")  # pragma: no cover

    def _back_off(self, headers: object, attempt: int) -> None:
        """Sleep for the answer's Retry-After (seconds or an HTTP date), else 1, 2, 4 ... seconds."""
        wait = float(2 ** attempt)
        value = headers.get("Retry-After") if headers is not None else None
        if value:
            try:
                wait = float(value)
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                if when is not None:
                    wait = when.timestamp() - time.time()
        self.retries += 1
        time.sleep(min(max(wait, 0.0), self.MAX_WAIT))

    def save(self) -> None:
        if self.cache_path:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.cache, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(self.cache_path)

    def search(self, name: str, limit: int = 10) -> list[str]:
        data = self.get(action="wbsearchentities", search=name, language="en", uselang="en", type="item",
                        limit=str(limit))
        return [hit["id"] for hit in data.get("search", [])]

    def entities(self, ids: Iterable[str]) -> dict[str, Item]:
        """The items of `ids`: those not cached yet asked for 50 to a request; each item is cached on its own."""
        wanted = sorted(set(ids))
        missing = [q for q in wanted if f"entity:{q}" not in self.cache]
        for i in range(0, len(missing), self.BATCH):
            chunk = missing[i:i + self.BATCH]
            query = urllib.parse.urlencode(sorted({"action": "wbgetentities", "ids": "|".join(chunk),
                                                   "props": "labels|aliases|claims", "languages": "en",
                                                   "format": "json"}.items()))
            data = self._fetch(f"{self.api}?{query}&maxlag={self.maxlag}")
            for qid in chunk:
                self.cache[f"entity:{qid}"] = data.get("entities", {}).get(qid, {"id": qid, "missing": ""})
        out: dict[str, Item] = {}
        for qid in wanted:
            raw = self.cache[f"entity:{qid}"]
            if "missing" not in raw:
                out[qid] = Item.of(raw)
        return out


@dataclass
class Statement:
    value: str | None  # the item's QID or the string's text
    start: int | None = None  # years of the P580/P582 qualifiers
    end: int | None = None


@dataclass
class Item:
    qid: str
    names: set[str]
    claims: dict[str, list[Statement]] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict) -> Item:
        names = {norm(v["value"]) for v in raw.get("labels", {}).values()}
        names |= {norm(a["value"]) for values in raw.get("aliases", {}).values() for a in values}
        claims: dict[str, list[Statement]] = {}
        for prop, statements in raw.get("claims", {}).items():
            for st in statements:
                if st.get("rank") == "deprecated":
                    continue
                qualifiers = st.get("qualifiers", {})
                claims.setdefault(prop, []).append(Statement(
                    _snak_value(st.get("mainsnak", {})), _year(qualifiers.get("P580")), _year(qualifiers.get("P582"))))
        return cls(raw["id"], names, claims)

    def values(self, prop: str) -> set[str]:
        return {s.value for s in self.claims.get(prop, []) if s.value}


def _snak_value(snak: dict) -> str | None:
    if snak.get("snaktype") != "value":
        return None
    value = snak.get("datavalue", {}).get("value")
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def _year(snaks: list | None) -> int | None:
    for snak in snaks or []:
        value = snak.get("datavalue", {}).get("value")
        if isinstance(value, dict) and "time" in value:
            m = re.match(r"[+-]?(\d+)-", value["time"])
            if m:
                return int(m.group(1))
    return None


def norm(text: str) -> str:
    """Names compared without case, accents or punctuation: "Chun Doo-hwan" = "chun doo hwan"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# -- what we know of an entity -----------------------------------------------------------------------------------
@dataclass
class Entity:
    iri: str
    cls: str
    label: str
    state_qid: str | None = None  # kg:inState, kg:ofState, kg:represents: that state's QID
    state_names: tuple[str, ...] = ()
    iso: str | None = None
    title: str | None = None
    position_qid: str | None = None
    years: frozenset[int] = frozenset()


def _rows(store: object, sparql: str) -> list[dict[str, str | None]]:
    result = store.query(sparql)
    names = [v.value for v in result.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in result]


PREFIXES = (f"PREFIX kg: <{KG}> PREFIX rdfs: <{RDFS}> PREFIX owl: <{OWL}> PREFIX prov: <{PROV}> "
            f"PREFIX schema: <{SCHEMA}>\n")


def unlinked_entities(store: object) -> list[Entity]:
    """The states, places, organisations, positions and officials with no Wikidata link outside LINKS_GRAPH."""
    no_link = (f"FILTER NOT EXISTS {{ GRAPH ?lg {{ ?e owl:sameAs ?any }} "
               f"FILTER(?lg != <{LINKS_GRAPH}> && STRSTARTS(STR(?any), \"{WD}\")) }}")
    rows = _rows(store, PREFIXES + f"""
        SELECT ?e ?c ?label ?state ?sq ?sname ?iso ?title ?pq ?date WHERE {{
          VALUES ?c {{ {' '.join('kg:' + c for c in CLASSES)} }}
          GRAPH <{ENTITIES_GRAPH}> {{ ?e a ?c . OPTIONAL {{ ?e rdfs:label ?label }} }}
          {no_link}
          OPTIONAL {{ ?e kg:isoCode ?iso }}
          OPTIONAL {{ ?e kg:title ?title }}
          OPTIONAL {{ ?e kg:inState|kg:ofState|kg:represents ?state .
                      OPTIONAL {{ ?state owl:sameAs ?sq FILTER STRSTARTS(STR(?sq), "{WD}") }}
                      OPTIONAL {{ ?state rdfs:label ?sname }} }}
          OPTIONAL {{ ?e kg:holds ?pos . ?pos owl:sameAs ?pq FILTER STRSTARTS(STR(?pq), "{WD}") }}
          OPTIONAL {{ ?e prov:wasDerivedFrom ?art . ?art schema:datePublished ?date }}
        }}""")
    found: dict[str, Entity] = {}
    facts: dict[str, dict[str, set]] = {}
    for r in rows:
        e = found.setdefault(r["e"], Entity(r["e"], r["c"].rsplit("#", 1)[-1], r["label"] or ""))
        f = facts.setdefault(r["e"], {"sq": set(), "sname": set(), "pq": set(), "year": set()})
        if r["iso"]:
            e.iso = r["iso"]
        if r["title"]:
            e.title = r["title"]
        for key, value in (("sq", r["sq"]), ("sname", r["sname"]), ("pq", r["pq"]),
                           ("year", r["date"][:4] if r["date"] else None)):
            if value:
                f[key].add(value)
    for iri, e in found.items():
        f = facts[iri]
        # Several states or positions for one node: we cannot say which one to check, so check none.
        e.state_qid = _qid(next(iter(f["sq"]))) if len(f["sq"]) == 1 else None
        e.state_names = tuple(sorted(f["sname"]))
        e.position_qid = _qid(next(iter(f["pq"]))) if len(f["pq"]) == 1 else None
        e.years = frozenset(int(y) for y in f["year"] if y.isdigit())
    return sorted(found.values(), key=lambda e: (CLASSES.index(e.cls), e.iri))


def _qid(iri: str) -> str:
    return iri[len(WD):] if iri.startswith(WD) else iri


# -- choosing a candidate ----------------------------------------------------------------------------------------
def _search_names(e: Entity) -> list[str]:
    if e.cls == "Position" and e.title and e.state_names:
        state = e.state_names[0]
        return [f"{e.title} of {state}", f"{state} {e.title}"]
    return [e.label] if e.label else []


def _position_forms(e: Entity) -> set[str]:
    forms = set()
    for state in e.state_names:
        forms |= {norm(f"{e.title} of {state}"), norm(f"{e.title} of the {state}"), norm(f"{state} {e.title}")}
    return forms


def _held_in(statements: list[Statement], position: str, years: Iterable[int]) -> bool:
    for s in statements:
        if s.value != position:
            continue
        if not years or any((s.start is None or s.start <= y) and (s.end is None or y <= s.end) for y in years):
            return True
    return False


def choose(e: Entity, items: list[Item]) -> tuple[str | None, str]:
    """The one item this entity is, or None; and why."""
    name = norm(e.label)
    items = [i for i in items if not i.values("P31") & NAME_ITEMS]
    if e.cls == "Official":
        items = [i for i in items if HUMAN in i.values("P31")]  # two people of one name share it; a ship does not
    if e.cls == "Position":
        forms = _position_forms(e)
        named = [i for i in items if i.names & forms]
    else:
        named = [i for i in items if name in i.names]
    if not named:
        return None, "no candidate of that name"
    backed = False  # whether something beyond the type and the name picked the candidate
    if e.cls == "State":
        fit = [i for i in named if i.values("P31") & STATE_TYPES]
        if e.iso:
            fit, backed = [i for i in fit if e.iso in i.values("P297")], True
    elif e.cls == "Place":
        fit = [i for i in named if i.values("P31") & PLACE_TYPES]
        if e.state_qid:
            fit, backed = [i for i in fit if e.state_qid in i.values("P17")], True
    elif e.cls == "Organization":
        fit = [i for i in named if i.values("P31") & ORG_TYPES]
    elif e.cls == "Position":
        if not e.state_qid:
            return None, "position of no linked state"
        fit = [i for i in named if i.values("P31") & POSITION_TYPES and e.state_qid in i.values("P1001")]
        backed = True
    elif e.cls == "Official":
        fit = [i for i in named if HUMAN in i.values("P31")]
        if e.position_qid:
            fit, backed = [i for i in fit if _held_in(i.claims.get("P39", []), e.position_qid, e.years)], True
        elif e.state_qid:
            fit = [i for i in fit if e.state_qid in i.values("P27")]
        else:
            return None, "official of no linked state or position"
    else:
        return None, "class not linked"
    if len(fit) != 1:
        return None, f"{len(fit)} candidates fit" if fit else "no candidate of the right type"
    if len(named) > 1 and not backed:
        return None, f"{len(named)} items share the name"
    return fit[0].qid, "linked"


@dataclass
class LinkResult:
    links: dict[str, str]
    reasons: dict[str, str]
    requests: int


def reconcile(entities: list[Entity], client: WikidataClient, *,
              echo: Callable[[str], object] | None = None) -> LinkResult:
    """Search every entity's names, fetch all their candidates at once (50 to a request), then choose; `echo` is
    given a line on each entity's outcome."""
    candidates: dict[str, list[str]] = {}
    for e in entities:
        ids: list[str] = []
        for text in _search_names(e):
            ids += [q for q in client.search(text) if q not in ids]
        candidates[e.iri] = ids
    items = client.entities(q for ids in candidates.values() for q in ids)
    links: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for e in entities:
        qid, why = choose(e, [items[q] for q in sorted(set(candidates[e.iri])) if q in items])
        reasons[e.iri] = why
        if qid:
            links[e.iri] = qid
        if echo:
            echo(f"{e.cls:12} {e.label[:40]:40} {qid or '-':12} {why}")
    return LinkResult(links, reasons, client.requests)


def links_update(links: dict[str, str]) -> str:
    """One SPARQL update: the links graph replaced whole."""
    triples = "".join(f"<{iri}> <{OWL}sameAs> <{WD}{qid}> .\n" for iri, qid in sorted(links.items()))
    update = f"DROP SILENT GRAPH <{LINKS_GRAPH}>"
    if triples:
        update += f" ;\nINSERT DATA {{ GRAPH <{LINKS_GRAPH}> {{\n{triples}}} }}"
    return update


# -- the report --------------------------------------------------------------------------------------------------
@dataclass
class Report:
    by_class: dict[str, tuple[int, int]]  # class -> (entities, linked)
    unlinked: list[tuple[int, str, str, str]]  # (mentions, class, label, iri), most mentioned first


def link_report(store: object) -> Report:
    rows = _rows(store, PREFIXES + f"""
        SELECT ?e ?c (SAMPLE(?l) AS ?label) (MAX(?isLinked) AS ?linked) WHERE {{
          VALUES ?c {{ {' '.join('kg:' + c for c in CLASSES)} }}
          GRAPH <{ENTITIES_GRAPH}> {{ ?e a ?c . OPTIONAL {{ ?e rdfs:label ?l }} }}
          BIND(EXISTS {{ GRAPH ?lg {{ ?e owl:sameAs ?q FILTER STRSTARTS(STR(?q), "{WD}") }} }} AS ?isLinked)
        }} GROUP BY ?e ?c""")
    mentions = _rows(store, PREFIXES + f"""
        SELECT ?e (COUNT(DISTINCT ?g) AS ?n) WHERE {{
          VALUES ?c {{ {' '.join('kg:' + c for c in CLASSES)} }}
          GRAPH <{ENTITIES_GRAPH}> {{ ?e a ?c }}
          GRAPH ?g {{ {{ ?e ?p ?o }} UNION {{ ?s ?p2 ?e }} }}
          FILTER(?g != <{ENTITIES_GRAPH}> && ?g != <{LINKS_GRAPH}>)
        }} GROUP BY ?e""")
    count = {r["e"]: int(r["n"]) for r in mentions}
    by_class: dict[str, list[int]] = {c: [0, 0] for c in CLASSES}
    unlinked = []
    for r in rows:
        cls = r["c"].rsplit("#", 1)[-1]
        by_class[cls][0] += 1
        if r["linked"] in ("true", "1"):
            by_class[cls][1] += 1
        else:
            unlinked.append((count.get(r["e"], 0), cls, r["label"] or "", r["e"]))
    unlinked.sort(key=lambda u: (-u[0], u[1], u[2]))
    return Report({c: (n, k) for c, (n, k) in by_class.items()}, unlinked)
