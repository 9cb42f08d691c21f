"""An entity's page: a state, official, place, organisation or position, every meeting and agreement it takes part
in (newest first, bounded), a state's officials and their positions, the articles that name it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..vocab import KG, OWL, SKOS, WD
from .display import KINDS, LABEL, TYPE, Ref, article_url, kind_of, local_name, wikidata_url
from .queries import OFFICIALS_LIMIT, TIMELINE_LIMIT, entity_queries, fact_details, labels, select_many


def entity_model(iri: str) -> dict:
    r = select_many(entity_queries(iri))
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


def _timeline(iri: str, rows: list[dict], total_rows: list[dict]) -> tuple[list[dict], int]:
    """The newest TIMELINE_LIMIT facts (rows: fact, article, dates), with their status, label and who else is in."""
    newest: dict[str, dict] = {}
    for r in sorted(sorted(rows, key=lambda r: r["f"]), key=lambda r: r.get("date") or (r.get("pub") or "")[:10],
                    reverse=True):
        if r["f"] not in newest:
            newest[r["f"]] = r
            if len(newest) == TIMELINE_LIMIT:
                break
    details = fact_details([(r["f"], r["g"]) for r in newest.values()])
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


def _timeline_refs(items: list[dict], ref: Callable[..., Ref]) -> None:
    """Turn each item's (role, entity IRI) pairs into (Ref, roles) once the labels are known."""
    for item in items:
        item["roles"] = sorted(item["roles"])
        by_entity: dict[str, set[str]] = defaultdict(set)
        for role, o in item["others"]:
            by_entity[o].add(role)
        # (entity, its roles other than the plain participant/party), participants first, then by name
        item["others"] = sorted(((ref(o), sorted(r - {"participant", "party"})) for o, r in by_entity.items()),
                                key=lambda x: (bool(x[1]), x[0].label))


def _officials(rows: list[dict], ref: Callable[..., Ref]) -> list[dict]:
    people: dict[str, dict] = {}
    for r in rows:
        person = people.setdefault(r["p"], {"ref": ref(r["p"], "person"), "positions": [], "articles": 0})
        person["articles"] = max(person["articles"], int(r["n"]))
        if r.get("pos"):
            person["positions"].append(ref(r["pos"], "position"))
    return sorted(people.values(), key=lambda p: (-p["articles"], p["ref"].label))[:OFFICIALS_LIMIT]
