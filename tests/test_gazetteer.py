"""The gazetteers: well-formed ids and QIDs, the names the scorer knows, unambiguous forms, date-resolved holders."""

from __future__ import annotations

import csv
import re
import shutil
import unicodedata
from collections import defaultdict

import pytest
from conftest import shared_path

from kgbuild import gazetteer as gaz

QID = re.compile(r"^Q\d+$")
HISTORICAL = {  # name -> QID, as the scorer (shared/spec/score.py) expects them
    "Soviet Union": "Q15180", "West Germany": "Q713750", "East Germany": "Q16957", "Yugoslavia": "Q83286",
    "Czechoslovakia": "Q33946",
}


@pytest.fixture(scope="module")
def g() -> gaz.Gazetteers:
    return gaz.load()


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace(".", "")).strip()


def test_ids_unique_and_qids_well_formed(g: gaz.Gazetteers) -> None:
    assert len(g.states) > 190
    for key, s in g.states.items():
        assert key == s.id and re.fullmatch(r"[a-z0-9-]+", s.id)
        assert s.qid is None or QID.match(s.qid), s
    for table in (g.places, g.organizations):
        for key, e in table.items():
            assert key == e.id
            assert e.qid is None or QID.match(e.qid), e
    for p in g.places.values():
        assert p.state is None or p.state in g.states, p
    for o in g.organizations.values():
        assert o.state is None or o.state in g.states, o
    for (state, title), p in g.positions.items():
        assert state in g.states and title == p.title and (p.qid is None or QID.match(p.qid))
    for h in g.holders:
        assert h.state in g.states and (h.qid is None or QID.match(h.qid)), h
        assert h.start is None or h.end is None or h.start <= h.end, h
    iso = [s.iso2 for s in g.states.values() if s.iso2]
    assert len(iso) == len(set(iso))


def test_state_qids_agree_with_the_reference_table(g: gaz.Gazetteers) -> None:
    rows = list(csv.DictReader(shared_path("wikidata", "countries.csv").open(encoding="utf-8")))
    by_name = {norm(r["name"]): r["qid"] for r in rows if r["qid"]}
    by_name["zaire"] = "Q974"  # the scorer's EXTRA_STATES: Wikidata keeps Zaire and DR Congo as one item
    by_iso = {r["iso2"].lower(): r["qid"] for r in rows if r["qid"]}
    for s in g.states.values():
        if not s.historical and s.id in by_iso and s.id not in ("dd", "zr"):
            assert s.qid == by_iso[s.id], s
        for name in (s.name, *s.names):
            if norm(name) in by_name and by_name[norm(name)] != s.qid:
                pytest.fail(f"{name!r} of {s.id} is {by_name[norm(name)]} in countries.csv, not {s.qid}")


def test_canonical_names(g: gaz.Gazetteers) -> None:
    names = {s.name: s for s in g.states.values()}
    expected = {"United States": "Q30", "United Kingdom": "Q145", "China": "Q148", "South Korea": "Q884",
                "Turkey": "Q43", "Pakistan": "Q843", "Denmark": "Q35", **HISTORICAL}
    for name, qid in expected.items():
        assert name in names and names[name].qid == qid, name


def test_historical_states(g: gaz.Gazetteers) -> None:
    historical = {s.name: s for s in g.states.values() if s.historical}
    for name, qid in HISTORICAL.items():
        assert historical[name].qid == qid
    assert g.states["soviet-union"].name == "Soviet Union"
    assert "USSR" in g.states["soviet-union"].abbreviations
    assert "Bonn" in g.states["west-germany"].capitals
    assert "East Berlin" in g.states["east-germany"].capitals


def test_ambiguous_names(g: gaz.Gazetteers) -> None:
    assert g.states["ge"].ambiguous  # Georgia: also the US state
    assert not g.states["pk"].ambiguous and not g.states["tr"].ambiguous


def test_forms_name_one_state(g: gaz.Gazetteers) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for s in g.states.values():
        for form in (*s.abbreviations, *s.adjectives):
            owners[form].add(s.id)
    shared = {form: ids for form, ids in owners.items() if len(ids) > 1}
    assert not shared
    names: dict[str, set[str]] = defaultdict(set)
    for s in g.states.values():
        for form in (s.name, *s.names, *s.abbreviations):
            names[form].add(s.id)
    assert not {form: ids for form, ids in names.items() if len(ids) > 1}


def test_common_forms(g: gaz.Gazetteers) -> None:
    def state_of(form: str) -> str:
        (sid,) = [s.id for s in g.states.values()
                  if form in (s.name, *s.names, *s.abbreviations, *s.adjectives, *s.capitals)]
        return sid

    assert state_of("U.S.") == state_of("American") == state_of("Washington") == "us"
    assert state_of("Britain") == state_of("British") == "gb"
    assert state_of("Pakistani") == state_of("Islamabad") == "pk"
    assert state_of("Kazakh") == "kz"
    assert state_of("Soviet") == state_of("USSR") == "soviet-union"
    assert state_of("Chinese") == state_of("Beijing") == "cn"
    assert state_of("Saudi") == "sa"


def test_holder_by_year(g: gaz.Gazetteers) -> None:
    h = g.holder("pk", "Prime Minister", 2026)
    assert h is not None and h.name == "Shehbaz Sharif" and h.qid == "Q2096387"
    assert g.holder("pk", "Prime Minister", 1850) is None
    assert g.holder("pk", "Grand Vizier", 2020) is None
    assert g.holder("nowhere", "President", 2020) is None
    assert g.positions[("pk", "Prime Minister")].qid == "Q735575"


def test_load_is_cached_per_folder(tmp_path, monkeypatch) -> None:
    """Loaded once per folder (speed is measured in bench/, not here); another mappings folder is read anew."""
    first = gaz.load()
    assert gaz.load() is first
    copy = tmp_path / "mappings"
    shutil.copytree(gaz.mappings_dir(), copy)
    monkeypatch.setenv("KGBUILD_MAPPINGS", str(copy))
    assert gaz.mappings_dir() == copy
    other = gaz.load()
    assert other is not first and other == first


def test_holders_resolve_by_the_article_date(g: gaz.Gazetteers) -> None:
    """"The Prime Minister" of a 1987 and of a 2022 article are different people, and a year of change is no one."""
    assert g.holder("gb", "Prime Minister", 1987).qid == "Q7416"  # Margaret Thatcher
    assert g.holder("gb", "Prime Minister", 2020).qid == "Q180589"  # Boris Johnson
    assert g.holder("gb", "Prime Minister", 2022) is None  # Johnson and Truss: the date cannot decide
    assert g.holder("us", "President", 1987).qid == "Q9960"
    assert g.holder("us", "President", 2023).qid == "Q6279"
    assert g.holder("us", "President", 2026).qid == "Q22686"  # the table's open term of Biden is closed in 2025
    assert g.holder("west-germany", "Chancellor", 1987).qid == "Q2518"
    assert g.holder("de", "Chancellor", 1987) is None  # Germany of 1987 is West Germany (successions.yaml)
    assert g.holder("fr", "Prime Minister", 1987).qid == "Q2105"


def test_positions_beyond_the_table(g: gaz.Gazetteers) -> None:
    assert g.positions[("us", "Secretary of State")].qid == "Q14213"
    assert g.positions[("west-germany", "Chancellor")].qid == g.positions[("de", "Chancellor")].qid == "Q4970706"
    # "Queen Elizabeth", "King Charles": the office the table calls monarch; a state's own "King" office stays
    assert g.positions[("gb", "Queen")].qid == g.positions[("gb", "Monarch")].qid == "Q9134365"
    assert g.positions[("sa", "King")].qid == "Q850168"
    assert g.holder("gb", "Queen", 1987).qid == "Q9682"
    # every position and holder names a state of the gazetteer
    assert all(p.state in g.states for p in g.positions.values())
    assert all(h.state in g.states for h in g.holders)
    assert all(h.qid is None or QID.match(h.qid) for h in g.holders)


def test_generated_files_are_up_to_date(tmp_path) -> None:
    """The committed gazetteers are what tools/build_gazetteers.py makes of the sources and overrides.yaml."""
    import subprocess
    import sys

    wikidata = shared_path("wikidata", "countries.csv").parent
    folder = gaz.mappings_dir() / "gazetteers"
    tool = gaz.mappings_dir().parent / "tools" / "build_gazetteers.py"
    subprocess.run([sys.executable, str(tool), "--wikidata", str(wikidata), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for name in ("states.yaml", "places.yaml", "organizations.yaml", "positions.csv", "holders.csv"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (folder / name).read_text(encoding="utf-8"), name


# -- a name that two items share: Georgia the state and the US state ----------------------------------------------
def _states(text: str) -> list[str]:
    import datetime as dt

    from kgbuild.annotate import default_annotator
    from kgbuild.records import Article

    ann = default_annotator().annotate(Article("k", "h", text, dt.date(2020, 1, 1)))
    return [m.key for m in ann.mentions if m.kind == "state"]


def test_georgia_alone_is_not_the_state(g: gaz.Gazetteers) -> None:
    assert g.states["ge"].ambiguous and g.states["ge"].qid == "Q230"
    assert "ge" not in _states("The governor of Georgia met farmers in Atlanta on Monday.")
    assert "ge" not in _states("Georgia officials said the harvest was late.")


def test_georgia_beside_another_state_is_the_state() -> None:
    assert "ge" in _states("Georgia and Armenia signed a transit agreement on Monday.")


def test_the_us_state_of_georgia_is_not_the_state() -> None:
    assert "ge" not in _states("The U.S. state of Georgia signed a trade deal with Japan.")
