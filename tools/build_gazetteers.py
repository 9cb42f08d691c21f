#!/usr/bin/env python3
"""Generate the gazetteers in mappings/gazetteers/ from the Wikidata reference tables and our overrides.

    python tools/build_gazetteers.py [--wikidata ../shared/wikidata]

Inputs: countries.csv and office-holders.csv (see SOURCES.md), mappings/gazetteers/overrides.yaml and offices.yaml
(the kinds of office, and our titles for them).
Outputs (committed, so a build never needs these inputs): states.yaml, places.yaml, organizations.yaml,
positions.csv, holders.csv.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mappings" / "gazetteers"


def slug(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def plural(word: str) -> str | None:
    if word.endswith(("ese", "ch", "sh", "ss", "Swiss")) or " " in word:
        return None
    return word + "s"


def build_states(countries: list[dict], overrides: dict) -> list[dict]:
    out = []
    extra = overrides["states"]
    for row in countries:
        if row["is_independent_country_codes"] != "Yes" and row["iso2"] != "TW":
            continue
        iso = row["iso2"]
        o = extra.get(iso, {})
        name = o.get("name", row["name"])
        names = [n for n in dict.fromkeys([name, row["name"], *o.get("names", [])]) if n]
        demonyms = [d.strip() for d in re.split(r",| or ", row["demonym_mledoze"]) if d.strip()]
        adjectives = list(dict.fromkeys([*o.get("adjectives", []), *demonyms]))
        adjectives += [p for a in adjectives if (p := plural(a)) and p not in adjectives and a in demonyms]
        capitals = o.get("capitals") or [c for c in dict.fromkeys(
            [row["capital_name_mledoze"], row["capital_name_country_codes"]]) if c]
        out.append({
            "id": iso.lower(), "name": name, "qid": row["qid"] or None, "iso2": iso,
            "names": names, "abbreviations": o.get("abbreviations", []), "adjectives": adjectives,
            "capitals": capitals, "historical": False, "ambiguous": bool(o.get("ambiguous", False)),
        })
    current_capitals = {c for s in out for c in s["capitals"]}
    for h in overrides["historical"]:
        # A seat that a state of today also has ("Moscow") is read by date instead: see successions.yaml.
        capitals = [c for c in h.get("capitals", []) if c not in current_capitals]
        out.append({
            "id": h["id"], "name": h["name"], "qid": h.get("qid"), "iso2": None,
            "names": list(dict.fromkeys([h["name"], *h.get("names", [])])),
            "abbreviations": h.get("abbreviations", []), "adjectives": h.get("adjectives", []),
            "capitals": capitals, "historical": True, "ambiguous": False,
            "start": h.get("start"), "end": h.get("end"),
        })
    # A surface form must name one state; where two claim it, the current sovereign state keeps it.
    seen: dict[str, str] = {}
    for s in out:
        for field in ("abbreviations", "adjectives"):
            kept = []
            for form in s[field]:
                if form in seen and seen[form] != s["id"]:
                    continue
                seen[form] = s["id"]
                kept.append(form)
            s[field] = kept
    return out


def build_places(states: list[dict], overrides: dict) -> list[dict]:
    by_iso = {s["iso2"]: s["id"] for s in states if s["iso2"]}
    ids = {s["id"] for s in states}
    places: dict[str, dict] = {}
    for p in overrides["places"]:
        state = p.get("state")
        state = by_iso.get(state, state if state in ids else None)
        places[slug(p["name"])] = {"id": slug(p["name"]), "name": p["name"], "qid": p.get("qid"), "state": state,
                                   "aliases": p.get("aliases", [])}
    for s in states:
        for cap in s["capitals"]:
            if slug(cap) not in places and not any(cap in p["aliases"] for p in places.values()):
                places[slug(cap)] = {"id": slug(cap), "name": cap, "qid": None, "state": s["id"], "aliases": []}
    return sorted(places.values(), key=lambda p: p["id"])


# Titles of the 2022 table's heads as our vocabulary writes them.
TITLE_FIXES = {"prime minister": "Prime Minister", "president": "President", "federal chancellor": "Chancellor",
               "emir": "Emir", "monarch": "Monarch", "premier": "Premier"}
KIND_ORDER = ("head", "foreign", "defence", "finance", "economy", "trade")
WORLD_LEADERS = "world-leaders-2021"  # the rows of office-holders-2022.csv, whose positions the gazetteer had first


def load_offices(path: Path):
    sys.path.insert(0, str(ROOT / "src"))
    from kgbuild import gazetteer, yamlfile

    data = yamlfile.load(path)
    return gazetteer.Offices.from_data(data), data


def title_of(label: str, kinds: frozenset, state: str, data: dict) -> str:
    """Our title for a position: the word of a head's office, or the kind's title (as the state writes it)."""
    minister = [k for k in KIND_ORDER if k in kinds and k != "head"]
    if minister:
        return data["by_state"].get(state, {}).get(minister[0]) or data["titles"][minister[0]]
    low = label.lower()
    for word in sorted(data["heads"], key=len, reverse=True):
        if low.startswith(word):
            return data["heads"][word]
    raw = label.split(" of ")[0]
    return TITLE_FIXES.get(raw.lower(), raw[:1].upper() + raw[1:])


def state_qids(states: list[dict], countries: list[dict]) -> dict[str, str]:
    """Every QID a source gives a state of the gazetteer, to its id: the table names the Netherlands Q55 and
    Denmark Q756617 where we have Q29999 and Q35. A state's own QID, and a historical state's, come first."""
    by_qid = {s["qid"]: s["id"] for s in states if s["qid"]}
    by_iso = {s["iso2"]: s["id"] for s in states if s["iso2"]}
    for row in countries:
        if row["iso2"] not in by_iso:
            continue
        others = [row[c] for c in ("qid_country_codes", "qid_rigour", "qid_world_leaders_2021", "qid_conzept")]
        for qid in [*others, *row["rigour_other_qids"].split(";")]:
            if qid:
                by_qid.setdefault(qid, by_iso[row["iso2"]])
    return by_qid


def build_positions(rows: list[dict], states: list[dict], countries: list[dict], overrides: dict,
                    offices_path: Path) -> tuple[list[dict], list[dict]]:
    offices, data = load_offices(offices_path)
    by_qid = state_qids(states, countries)
    ids = {s["id"] for s in states}

    def state_id(code: str) -> str:
        return code.lower() if code.lower() in ids else code

    def kind(kinds: frozenset) -> str:
        return "+".join(k for k in KIND_ORDER if k in kinds)

    positions: dict[tuple[str, str], dict] = {}
    rank: dict[tuple[str, str], tuple] = {}  # which position of a (state, title) the gazetteer keeps
    seen: dict[tuple[str, str], set[str]] = {}
    holders: dict[tuple, dict] = {}
    for r in rows:
        state = by_qid.get(r["country_qid"])
        if not state or not r["holder_qid"]:
            continue  # a territory or a state of the past that the gazetteer does not have
        label = r["position_label"]
        # Every row is an office of the table's kinds: a "Minister of State" here is Monaco's head of government.
        kinds = offices.kinds_of(label) - {"lesser"}
        title = title_of(label, kinds, state, data)
        key = (state, title)
        seen.setdefault(key, set()).add(r["position_qid"])
        order = (WORLD_LEADERS in r["source"], r["start_date"][:4])
        if key not in rank or order > rank[key]:
            rank[key] = order
            positions[key] = {"state": state, "title": title, "label": label, "qid": r["position_qid"]}
        h = {"state": state, "title": title, "name": r["holder_label"], "qid": r["holder_qid"],
             "start": r["start_date"], "end": r["end_date"], "position": r["position_qid"], "kind": kind(kinds)}
        holders.setdefault((state, title, h["qid"], h["start"]), h)
    # A title that names several positions of a state ("Finance Minister" of Nigeria: finance, or budget and
    # planning) links none, unless the 2022 table of heads named it: the item would be a guess.
    for key, qids in seen.items():
        if len(qids) > 1 and not rank[key][0]:
            del positions[key]
    for p in overrides.get("positions", []):
        state = state_id(p["state"])
        positions[(state, p["title"])] = {"state": state, "title": p["title"], "label": p["label"], "qid": p["qid"]}
    for o in overrides.get("holders", []):
        state = state_id(o["state"])
        start, end = str(o.get("start") or ""), str(o.get("end") or "")
        same = [k for k, h in holders.items() if k[:3] == (state, o["title"], o["qid"]) and h["start"][:4] == start]
        if same:  # the table's term, with its exact dates; the override closes it where the table has it open
            for k in same:
                holders[k]["end"] = holders[k]["end"] or end
            continue
        pos = positions.get((state, o["title"]))
        holders[(state, o["title"], o["qid"], start)] = {
            "state": state, "title": o["title"], "name": o["name"], "qid": o["qid"], "start": start, "end": end,
            "position": pos["qid"] if pos else "", "kind": kind(offices.kinds_of(o["title"]))}
    # "King", "Queen": the office the table calls "Monarch", where the state has no position of that title itself.
    for office, aliases in (overrides.get("title_aliases") or {}).items():
        for (state, title), pos in list(positions.items()):
            if title != office:
                continue
            for alias in aliases:
                if (state, alias) in positions:
                    continue
                positions[(state, alias)] = dict(pos, title=alias)
                for h in [h for h in holders.values() if h["state"] == state and h["title"] == office]:
                    holders[(state, alias, h["qid"], h["start"])] = dict(h, title=alias)
    return (sorted(positions.values(), key=lambda p: (p["state"], p["title"])),
            sorted(holders.values(), key=lambda h: (h["state"], h["title"], h["start"], h["qid"])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wikidata", type=Path, default=ROOT.parent / "shared" / "wikidata")
    ap.add_argument("--overrides", type=Path, default=OUT / "overrides.yaml")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the generated files")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    overrides = yaml.safe_load(args.overrides.read_text(encoding="utf-8"))
    countries = list(csv.DictReader((args.wikidata / "countries.csv").open(encoding="utf-8")))
    holders_rows = list(csv.DictReader((args.wikidata / "office-holders.csv").open(encoding="utf-8")))
    states = build_states(countries, overrides)
    places = build_places(states, overrides)
    offices = args.overrides.parent / "offices.yaml"
    positions, holders = build_positions(holders_rows, states, countries, overrides, offices)
    header = "# Generated by tools/build_gazetteers.py from the sources in SOURCES.md; edit overrides.yaml instead.\n"
    for name, data in (("states", states), ("places", places), ("organizations", overrides["organizations"])):
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
        (out / f"{name}.yaml").write_text(header + text, encoding="utf-8")
    for name, rows in (("positions", positions), ("holders", holders)):
        with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(f"{len(states)} states, {len(places)} places ({sum(1 for p in places if p['qid'])} with QIDs), "
          f"{len(overrides['organizations'])} organisations, {len(positions)} positions, {len(holders)} holders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
