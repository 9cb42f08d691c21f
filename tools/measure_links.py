#!/usr/bin/env python3
"""Measure the Wikidata links of a build on gold-annotated articles: precision and coverage per class.

    python tools/measure_links.py seed|dev [--store S] [--json]

Without --store, builds the set into a temporary store with `kgbuild build`. States are checked against the gold
states of every article (their QIDs from the shared scorer's table, ../shared/spec/score.py): coverage is the share
of gold states that the article's graph links to the right item. Every other link is checked against JUDGED below,
the items a person checked for the entities of these sets; a link to any other item, or of an entity not judged,
counts as wrong until someone judges it. Coverage there is linked entities / entities of the class.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))
SETS = {
    "seed": (SHARED / "articles/seed/000_a3e0a6f692aefeff.txt", SHARED / "articles/seed/gold.jsonl"),
    "dev": (SHARED / "articles/dev/articles.jsonl", SHARED / "articles/dev/gold.jsonl"),
}
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
    "position/secretary-of-state-of-united-states": "Q14213",
    "position/vice-president-of-united-states": "Q11699", "position/prime-minister-of-canada": "Q839078",
    # officials, as of their article's date (seed 2026, dev 1987); a linked person's IRI carries its item
    "person/kassym-jomart-tokayev-q200881": "Q200881", "person/shehbaz-sharif-q2096387": "Q2096387",
    "person/helmut-kohl-q2518": "Q2518", "person/jacques-chirac-q2105": "Q2105",
    "person/margaret-thatcher-q7416": "Q7416",
    "person/reagan-q9960": "Q9960", "person/yoweri-museveni-q57274": "Q57274", "person/elizabeth-q9682": "Q9682",
    "person/george-bush-q23505": "Q23505",  # Vice President in 1987, not his son
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


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 1.0


def build(name: str, store: Path) -> None:
    articles, _ = SETS[name]
    subprocess.run(["kgbuild", "build", str(articles), "--store", str(store)], check=False,
                   capture_output=True, text=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", choices=sorted(SETS))
    ap.add_argument("--store", type=Path, default=None, help="an existing store of that set (default: build one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.store is None:
            build(args.set, store)
        result = measure(store, SETS[args.set][1])
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for cls, r in result.items():
        print(f"{cls:9} links {r['linked']:3}/{r['entities']:3} entities  coverage {r['coverage']:.3f}  "
              f"precision {r['precision']:.3f}" + (f"  wrong: {r['wrong']}" if r["wrong"] else ""))
    s = result["State"]
    print(f"gold states linked to their right item: {s['gold_states_linked_right']}/{s['gold_states']} "
          f"({s['gold_coverage']:.3f})" + (f"; missing: {s['gold_missing']}" if s["gold_missing"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
