#!/usr/bin/env python3
"""Measure the Wikidata links of a build on gold-annotated articles: precision and coverage per class.

    python tools/measure_links.py seed|dev|dev-web [--store S] [--json] [--verbose]

Without --store, builds the set into a temporary store with `kgbuild build`. States are checked against the gold
states of every article (their QIDs from the shared scorer's table, ../shared/spec/score.py): coverage is the share
of gold states that the article's graph links to the right item. Every other link is checked against JUDGED below,
the items a person checked for the entities of these sets; a link to any other item, or of an entity not judged,
counts as wrong until someone judges it. Coverage there is linked entities / entities of the class.

People, on every set, are also checked against the office-holder table (../shared/wikidata/office-holders.csv),
independently of the build's own matcher: each gold official is looked up there by its gold name, state and the
article's date (the holders of that state in office within a week of that day whose name holds every word of the
gold name, else its surname; one person or none). "Officials in the table" are the gold officials found so;
"linked" are those whose person the article's graph links to that item; a person link of an article is right when
its item is one of those gold people and the linked node's name shares a word with the item's name, or JUDGED says
so (people the table lacks: Reagan, Kohl); wrong otherwise (also when the node is no gold official: listed, to be
judged by hand).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))
SETS = {
    "seed": (SHARED / "articles/seed/000_a3e0a6f692aefeff.txt", SHARED / "articles/seed/gold.jsonl"),
    "dev": (SHARED / "articles/dev/articles.jsonl", SHARED / "articles/dev/gold.jsonl"),
    "dev-web": (SHARED / "articles/dev-web/articles.jsonl", SHARED / "articles/dev-web/gold.jsonl"),
}
WIKIDATA = SHARED / "wikidata"
KGR = "https://w3id.org/kgbuild/resource/"
WD = "http://www.wikidata.org/entity/"
KG = "https://w3id.org/kgbuild/ontology#"

# The right item of each entity of the seed and dev sets that has one we are sure of, by its IRI after KGR. A node
# whose extraction is wrong (a "King of United Kingdom" made of a Saudi king) is judged by what the node says.
JUDGED = {
    # places
    "place/islamabad": "Q1362", "place/algiers": "Q3561", "place/ankara": "Q3640", "place/beijing": "Q956",
    "place/bonn": "Q586", "place/brussels": "Q239", "place/buenos-aires": "Q1486", "place/frankfurt": "Q1794",
    "place/london": "Q84", "place/moscow": "Q649", "place/nairobi": "Q3870", "place/ottawa": "Q1930",
    "place/paris": "Q90", "place/seoul": "Q8684", "place/tel-aviv": "Q33935", "place/tokyo": "Q1490",
    "place/washington": "Q61",
    # positions
    "position/president-of-kazakhstan": "Q5256775", "position/prime-minister-of-pakistan": "Q735575",
    "position/chancellor-of-west-germany": "Q4970706", "position/president-of-west-germany": "Q25223",
    "position/king-of-saudi-arabia": "Q850168", "position/king-of-united-kingdom": "Q9134365",
    "position/queen-of-united-kingdom": "Q9134365", "position/president-of-argentina": "Q12969145",
    "position/president-of-france": "Q191954", "position/president-of-south-korea": "Q6296418",
    "position/president-of-uganda": "Q18204367", "position/president-of-united-states": "Q11696",
    "position/prime-minister-of-france": "Q1587677", "position/prime-minister-of-japan": "Q274948",
    "position/prime-minister-of-portugal": "Q1723031", "position/prime-minister-of-sweden": "Q687075",
    "position/prime-minister-of-united-kingdom": "Q14211",
    # positions of the office-holder table, checked against its position labels and terms
    "position/commerce-secretary-of-united-states": "Q2003296",
    "position/treasury-secretary-of-united-states": "Q4215834",
    "position/defence-minister-of-france": "Q15215099",  # "Minister of the Armed Forces", Le Drian's office of 2012
    "position/finance-minister-of-brazil": "Q18176438", "position/finance-minister-of-nigeria": "Q5449550",
    "position/foreign-minister-of-japan": "Q1355043", "position/foreign-minister-of-turkey": "Q20988486",
    "position/prime-minister-of-south-korea": "Q15407843",
    "position/secretary-of-state-of-united-states": "Q14213",
    "position/vice-president-of-united-states": "Q11699", "position/prime-minister-of-canada": "Q839078",
    # officials, as of their article's date (seed 2026, dev 1987); a linked person's IRI carries its item
    "person/kassym-jomart-tokayev-q200881": "Q200881", "person/shehbaz-sharif-q2096387": "Q2096387",
    "person/helmut-kohl-q2518": "Q2518", "person/jacques-chirac-q2105": "Q2105",
    "person/margaret-thatcher-q7416": "Q7416",
    "person/reagan-q9960": "Q9960", "person/yoweri-museveni-q57274": "Q57274", "person/elizabeth-q9682": "Q9682",
    "person/george-bush-q23505": "Q23505",  # Vice President in 1987, not his son
    "person/daniel-arap-moi-q193492": "Q193492", "person/vahit-halefoglu-q4495020": "Q4495020",
}


def _scorer():
    spec = importlib.util.spec_from_file_location("kgbuild_score", SHARED / "spec" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(store: ox.Store, sparql: str) -> list[dict]:
    res = store.query(sparql, use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in res]


def measure(store_path: Path, gold_path: Path) -> dict:
    score = _scorer()
    store = ox.Store.read_only(str(store_path))
    out: dict[str, dict] = {}
    # states: gold states per article, linked to the scorer's QID
    arts = _rows(store, f"""PREFIX schema: <http://schema.org/> PREFIX kg: <{KG}>
        SELECT ?g ?id ?h WHERE {{ GRAPH ?g {{ ?a a kg:Article ; schema:headline ?h
                                  OPTIONAL {{ ?a schema:identifier ?id }} }} }}""")
    by_id = {r["id"]: r["g"] for r in arts if r["id"]}
    by_title = {score.norm(r["h"]): r["g"] for r in arts}
    gold_n = gold_right = 0
    missing: list[str] = []
    for line in gold_path.open(encoding="utf-8"):
        if not line.strip():
            continue
        gold = json.loads(line)
        graph = by_id.get(gold["id"]) or by_title.get(score.norm(gold["title"]))
        linked = set()
        if graph:
            linked = {r["q"][len(WD):] for r in _rows(store, f"""PREFIX kg: <{KG}> PREFIX owl: <http://www.w3.org/2002/07/owl#>
                SELECT DISTINCT ?q WHERE {{ ?s a kg:State ; owl:sameAs ?q .
                {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} UNION {{ GRAPH <{graph}> {{ ?x ?y ?s }} }} }}""")}
        for name in gold["states"]:
            gold_n += 1
            qid = score.state_key(name)
            if qid in linked:
                gold_right += 1
            else:
                missing.append(f"{gold['id']}: {name} ({qid})")
    state_links = _rows(store, f"""PREFIX kg: <{KG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?s ?l ?q WHERE {{ ?s a kg:State ; rdfs:label ?l . OPTIONAL {{ ?s owl:sameAs ?q }} }}""")
    wrong_states = [f"{r['l']} -> {r['q']}" for r in state_links
                    if r["q"] and score.STATES.get(score.norm(r["l"])) not in (None, r["q"][len(WD):])]
    n_states = len({r["s"] for r in state_links})
    linked_states = {r["s"] for r in state_links if r["q"]}
    out["State"] = {"entities": n_states, "linked": len(linked_states), "wrong": wrong_states,
                    "precision": _ratio(len(linked_states) - len(wrong_states), len(linked_states)),
                    "coverage": _ratio(len(linked_states), n_states),
                    "gold_states": gold_n, "gold_states_linked_right": gold_right,
                    "gold_coverage": _ratio(gold_right, gold_n), "gold_missing": missing}
    for cls in ("Place", "Position", "Official"):
        rows = _rows(store, f"""PREFIX kg: <{KG}> PREFIX owl: <http://www.w3.org/2002/07/owl#>
            SELECT ?s ?q WHERE {{ ?s a kg:{cls} OPTIONAL {{ ?s owl:sameAs ?q FILTER STRSTARTS(STR(?q), "{WD}") }} }}""")
        entities = {r["s"] for r in rows}
        links = {(r["s"], r["q"][len(WD):]) for r in rows if r["q"]}
        wrong = sorted(f"{s[len(KGR):]} -> {q}" for s, q in links if JUDGED.get(s[len(KGR):]) != q)
        linked = {s for s, _ in links}
        out[cls] = {"entities": len(entities), "linked": len(linked), "links": len(links), "wrong": wrong,
                    "precision": _ratio(len(links) - len(wrong), len(links)),
                    "coverage": _ratio(len(linked), len(entities))}
    return out


def _words(name: str) -> list[str]:
    import unicodedata

    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in re.findall(r"[a-z0-9]+", name.replace("'", "")) if len(w) > 1]


def _day(value: str, end: bool) -> dt.date:
    if not value:
        return dt.date(9000, 1, 1) if end else dt.date(1, 1, 8)
    if len(value) == 4:
        return dt.date(int(value), 12, 31) if end else dt.date(int(value), 1, 1)
    return dt.date.fromisoformat(value)


class HolderTable:
    """The office-holder table, read here on its own so that the check does not share the build's matcher."""

    def __init__(self, score) -> None:
        self.score = score
        self.rows = list(csv.DictReader((WIKIDATA / "office-holders.csv").open(encoding="utf-8")))
        self.labels = {r["holder_qid"]: r["holder_label"] for r in self.rows}
        # every QID a source gives a country (the table names the Netherlands Q55, the scorer Q29999)
        self.same_country: dict[str, set[str]] = {}
        for r in csv.DictReader((WIKIDATA / "countries.csv").open(encoding="utf-8")):
            qids = {q for c in ("qid", "qid_country_codes", "qid_rigour", "qid_world_leaders_2021", "qid_conzept")
                    if (q := r[c])} | {q for q in r["rigour_other_qids"].split(";") if q}
            for q in qids:
                self.same_country.setdefault(q, set()).update(qids)

    def person(self, name: str, state: str | None, day: dt.date | None) -> str | None:
        """The QID of the gold official by name, state and day; None when the table has no one, or several."""
        if not (state and day):
            return None
        country = self.score.state_key(state)
        countries = self.same_country.get(country, {country})
        week = dt.timedelta(days=7)
        present = [r for r in self.rows if r["country_qid"] in countries
                   and _day(r["start_date"], False) - week <= day <= _day(r["end_date"], True) + week]
        words = _words(name)
        if not words:
            return None
        # every word of the gold name; else its surname; else, for a reign, its first word ("Abdullah II Ibn ...")
        tests = [lambda w: set(words) <= set(w), lambda w: words[-1] in w]
        if re.search(r"\b[IVX]+\b", name):
            tests.append(lambda w: words[0] in w)
        for test in tests:
            qids = {r["holder_qid"] for r in present if test(_words(r["holder_label"]))}
            if qids:
                return qids.pop() if len(qids) == 1 else None
        return None


def measure_people(store: ox.Store, gold_path: Path) -> dict:
    """Gold officials found in the office-holder table: how many are linked to their person, and how right the
    person links of these articles are."""
    score = _scorer()
    table = HolderTable(score)
    arts = _rows(store, f"""PREFIX schema: <http://schema.org/> PREFIX kg: <{KG}>
        SELECT ?g ?id ?h ?d WHERE {{ GRAPH ?g {{ ?a a kg:Article ; schema:headline ?h
            OPTIONAL {{ ?a schema:identifier ?id }} OPTIONAL {{ ?a schema:datePublished ?d }} }} }}""")
    by_id = {r["id"]: r for r in arts if r["id"]}
    by_title = {score.norm(r["h"]): r for r in arts}
    in_table = linked = links = right = 0
    right_iris: set[str] = set()
    missed: list[str] = []
    wrong: list[str] = []
    found: list[str] = []
    for line in gold_path.open(encoding="utf-8"):
        if not line.strip():
            continue
        gold = json.loads(line)
        art = by_id.get(gold["id"]) or by_title.get(score.norm(gold["title"]))
        day = dt.date.fromisoformat(art["d"][:10]) if art and art["d"] else None  # the date the build read
        people = {}
        for o in gold["officials"]:
            qid = table.person(o["name"], o.get("state"), day)
            if qid:
                people[qid] = o["name"]
                found.append(f"{gold['id']}: {o['name']} ({o.get('state')}) = {qid} {table.labels[qid]}")
        graph_links = []
        if art:
            graph_links = _rows(store, f"""PREFIX kg: <{KG}> PREFIX owl: <http://www.w3.org/2002/07/owl#>
                PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                SELECT DISTINCT ?p ?l ?q WHERE {{ GRAPH <{art["g"]}> {{ ?p prov:wasDerivedFrom ?a }}
                    ?p a kg:Official ; rdfs:label ?l ; owl:sameAs ?q }}""")
        linked_qids = set()
        for r in graph_links:
            qid = r["q"][len(WD):]
            links += 1
            gold_person = qid in people and set(_words(r["l"])) & set(
                _words(table.labels.get(qid, "")) + _words(people[qid]))
            if gold_person or JUDGED.get(r["p"][len(KGR):]) == qid:
                right += 1
                right_iris.add(r["p"][len(KGR):])
                if gold_person:
                    linked_qids.add(qid)
            else:
                wrong.append(f"{gold['id']}: {r['l']} -> {qid} {table.labels.get(qid, '')}")
        in_table += len(people)
        linked += len(linked_qids)
        missed += [f"{gold['id']}: {name} ({q})" for q, name in people.items() if q not in linked_qids]
    return {"in_table": in_table, "linked": linked, "coverage": _ratio(linked, in_table), "links": links,
            "right": right, "precision": _ratio(right, links), "wrong": wrong, "missed": missed, "found": found,
            "right_iris": right_iris}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 1.0


def build(name: str, store: Path) -> None:
    """The set's store, as `kgbuild build` makes it (rejected articles are left out, as there)."""
    import kgbuild
    from kgbuild.pipeline import default_jobs

    articles, _ = SETS[name]
    kgbuild.build([articles], store, jobs=default_jobs())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", choices=sorted(SETS))
    ap.add_argument("--store", type=Path, default=None, help="an existing store of that set (default: build one)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="also list the gold officials found in the table")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.store is None:
            build(args.set, store)
        result = measure(store, SETS[args.set][1])
        people = measure_people(ox.Store.read_only(str(store)), SETS[args.set][1])
    official = result["Official"]  # a person link judged right by the table check is right here too
    official["wrong"] = [w for w in official["wrong"] if w.split(" -> ")[0] not in people["right_iris"]]
    official["precision"] = _ratio(official["links"] - len(official["wrong"]), official["links"])
    people["right_iris"] = sorted(people["right_iris"])
    if args.json:
        print(json.dumps({**result, "People": people}, indent=2))
        return 0
    for cls, r in result.items():
        print(f"{cls:9} links {r['linked']:3}/{r['entities']:3} entities  coverage {r['coverage']:.3f}  "
              f"precision {r['precision']:.3f}" + (f"  wrong: {r['wrong']}" if r["wrong"] else ""))
    s = result["State"]
    print(f"gold states linked to their right item: {s['gold_states_linked_right']}/{s['gold_states']} "
          f"({s['gold_coverage']:.3f})" + (f"; missing: {s['gold_missing']}" if s["gold_missing"] else ""))
    print(f"gold officials in the office-holder table linked to their person: {people['linked']}/"
          f"{people['in_table']} ({people['coverage']:.3f}); person links right: {people['right']}/{people['links']} "
          f"(precision {people['precision']:.3f})")
    for line in people["wrong"]:
        print(f"  wrong or unjudged link: {line}")
    if args.verbose:
        for line in people["missed"]:
            print(f"  not linked: {line}")
        for line in people["found"]:
            print(f"  in the table: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
