"""The office-holder index: people found by name and day, their state, and the Wikidata link of an official."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import shared_path, tool

from kgbuild import gazetteer as gaz
from kgbuild.mapping import Mapper
from kgbuild.records import Official

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def offices() -> gaz.Offices:
    return gaz.load().offices


def term(state: str, title: str, name: str, qid: str, start: str | None, end: str | None,
         kinds: str) -> gaz.HolderEntry:
    return gaz.HolderEntry(state, title, name, qid, D(start) if start else None, D(end) if end else None,
                           None, frozenset(kinds.split("+")))


# Made-up people of made-up terms: what each case needs, and nothing else.
TERMS = [
    term("fr", "President", "Anne-Marie Dubois-Lefèvre", "Q1", "2010-05-01", "2015-04-30", "head"),
    term("de", "Foreign Minister", "Dr. Karl Heinrich Brenner", "Q2", "2012-01-10", "2016-02-01", "foreign"),
    term("qa", "Emir", "Khalid bin Saad Al Rashid", "Q3", "2013-06-25", None, "head"),
    term("kr", "President", "Park Min-jun", "Q4", "2008-02-25", "2013-02-24", "head"),
    term("kp", "Foreign Minister", "Park Min-jun", "Q11", "2009-01-01", "2011-01-01", "foreign"),
    term("es", "Finance Minister", "Jose Brenner", "Q5", "2014-03-01", "2018-06-01", "finance+economy"),
    # one name, two people of two eras
    term("us", "President", "Samuel T. Walker", "Q6", "1989-01-20", "1993-01-20", "head"),
    term("us", "President", "Samuel Walker", "Q7", "2001-01-20", "2009-01-20", "head"),
    term("no", "King", "Olaf IV of Fictland", "Q8", "1991-01-17", None, "head"),
    term("jp", "Prime Minister", "Hiro Tanaka", "Q9", "2010-06-08", "2011-09-02", "head"),
    term("jp", "Foreign Minister", "Hiro Tanaka", "Q9", "2005-01-01", "2006-01-01", "foreign"),
    term("gb", "Foreign Secretary", "Liz Kemp", "Q10", "2021-09-15", "2022-09-06", "foreign"),
]


@pytest.fixture(scope="module")
def index(offices: gaz.Offices) -> gaz.HolderIndex:
    return gaz.HolderIndex.build(tuple(TERMS), offices)


def qids(found: list[gaz.HolderEntry]) -> set[str]:
    return {h.qid for h in found}


def test_names_match_without_accents_case_honorifics_or_middle_names(index: gaz.HolderIndex) -> None:
    day = D("2013-03-01")
    assert qids(index.terms("Anne-Marie Dubois-Lefevre", day)) == {"Q1"}
    assert qids(index.terms("ANNE-MARIE DUBOIS-LEFÈVRE", day)) == {"Q1"}
    assert qids(index.terms("Karl Brenner", day)) == {"Q2"}  # first and last name of "Dr. Karl Heinrich Brenner"
    assert qids(index.terms("Mr. Karl Heinrich Brenner", day)) == {"Q2"}
    assert qids(index.terms("Khalid bin Saad al-Rashid", D("2020-01-01"))) == {"Q3"}
    assert qids(index.terms("Khalid bin Saad", D("2020-01-01"))) == {"Q3"}  # the first words of the name
    assert qids(index.terms("Park Min-jun", D("2012-01-01"))) == {"Q4"}
    assert qids(index.terms("Olaf IV", D("2000-01-01"))) == {"Q8"}  # "Olaf IV of Fictland"
    assert qids(index.terms("Olaf IV Haraldsen", D("2000-01-01"))) == {"Q8"}
    assert index.terms("Anne Dupont", day) == []


def test_a_surname_alone_needs_a_title_of_a_known_kind(index: gaz.HolderIndex) -> None:
    day = D("2013-03-01")
    assert index.terms("Lefevre", day) == []  # no title: too weak
    assert qids(index.terms("Dubois-Lefevre", day)) == {"Q1"}  # but the last words of the name are the name
    assert index.terms("Lefevre", day, title="Minister") == []  # a title of no kind we know: too weak
    assert qids(index.terms("Lefevre", day, title="President")) == {"Q1"}
    # initial and surname
    assert qids(index.terms("K. Brenner", day, title="Foreign Minister")) == {"Q2"}
    # a longer name whose first name differs ("Elizabeth" for "Liz"): the surname, with the state and the office
    assert qids(index.terms("Elizabeth Kemp", D("2022-01-21"), state="gb", title="Foreign Secretary")) == {"Q10"}
    assert index.terms("Elizabeth Kemp", D("2022-01-21"), title="Foreign Secretary") == []
    # a link from a surname needs the state, or a surname no one else in the table bears
    assert index.person("Brenner", day, "de", "Foreign Minister") == "Q2"
    assert index.person("Brenner", day, None, "Foreign Minister") is None  # a Spanish minister is a Brenner too
    assert index.person("Lefevre", day, None, "President") == "Q1"


def test_terms_hold_on_their_days_with_a_few_days_tolerance(index: gaz.HolderIndex) -> None:
    assert qids(index.terms("Anne-Marie Dubois-Lefevre", D("2015-05-03"))) == {"Q1"}  # three days after the end
    assert index.terms("Anne-Marie Dubois-Lefevre", D("2015-06-30")) == []
    assert index.terms("Anne-Marie Dubois-Lefevre", D("2010-04-01")) == []
    assert qids(index.terms("Anne-Marie Dubois-Lefevre", None)) == {"Q1"}  # no day: any term
    # an open term stays open
    assert qids(index.terms("Khalid bin Saad Al Rashid", D("2030-01-01"))) == {"Q3"}


def test_the_day_tells_two_people_of_one_name_apart(index: gaz.HolderIndex) -> None:
    assert index.person("Samuel Walker", D("1990-06-01"), "us", "President") == "Q6"
    assert index.person("Samuel Walker", D("2005-06-01"), "us", "President") == "Q7"
    assert index.person("Samuel Walker", D("1997-06-01"), "us", "President") is None
    assert index.person("Samuel Walker", None, "us", "President") is None  # both: no link


def test_state_and_office_must_agree(index: gaz.HolderIndex) -> None:
    day = D("2011-01-01")
    assert index.person("Hiro Tanaka", day, "jp", "Prime Minister") == "Q9"
    assert index.person("Hiro Tanaka", day, "kr", "Prime Minister") is None  # another state
    assert index.person("Hiro Tanaka", day, "jp", "Foreign Minister") is None  # not his office that day
    assert index.person("Hiro Tanaka", day, "jp", "Deputy Prime Minister") is None  # a lesser office
    assert index.person("Hiro Tanaka", D("2005-06-01"), "jp", "Minister for Foreign Affairs") == "Q9"
    assert index.person("Jose Brenner", D("2015-01-01"), "es", "Minister of Economy") == "Q5"


def test_holder_state_is_none_when_two_states_hold_the_name(index: gaz.HolderIndex) -> None:
    assert index.holder_state("Park Min-jun", D("2010-01-01")) is None  # a Park Min-jun in each Korea
    assert index.holder_state("Park Min-jun", D("2010-01-01"), title="President") == "kr"
    assert index.holder_state("Park Min-jun", D("2012-01-01")) == "kr"
    assert index.holder_state("Park Min-jun", D("2020-01-01")) is None  # out of office
    # "Brenner" is a foreign minister in Germany and a finance minister in Spain in 2015
    assert index.holder_state("Brenner", D("2015-01-01"), title="Foreign Minister") == "de"
    assert index.holder_state("Brenner", D("2015-01-01"), title="Minister") is None
    assert index.holder_state("Brenner", D("2015-01-01")) is None  # a surname of two people
    # a surname no one else in the table bears gives the state by itself, on a day in office
    assert index.holder_state("Lefevre", D("2013-03-01")) == "fr"
    assert index.holder_state("Lefevre", D("2013-03-01"), title="Minister") is None  # a title of no kind we know
    assert index.holder_state("Lefevre", D("2020-03-01")) is None


def test_kinds_of_titles(offices: gaz.Offices) -> None:
    kinds = offices.kinds_of
    assert kinds("Minister of Economy and Finance") == {"economy", "finance"}
    assert kinds("Minister of Foreign Affairs and Foreign Trade") == {"foreign", "trade"}
    assert kinds("Chancellor of the Exchequer") == {"finance"}
    assert kinds("Chancellor") == kinds("Premier") == kinds("Emir") == kinds("President of the Republic") == {"head"}
    assert kinds("Secretary of State") == {"foreign"}
    assert kinds("Secretary of State for Defence") == {"defence"}
    assert kinds("Secretary of State for Foreign, Commonwealth and Development Affairs") == {"foreign"}
    assert kinds("Deputy Prime Minister and Minister of Foreign Affairs") == {"foreign"}
    assert kinds("Deputy Foreign Minister") == kinds("Vice President") == kinds("Minister of State") == {"lesser"}
    assert kinds("Minister of Transport") == kinds(None) == frozenset()


def test_the_shipped_table(tmp_path: Path) -> None:
    """holders.csv: dated terms of the 2000s with their people, and the overrides that reach before and after."""
    g = gaz.load()
    assert g.holder_index.person("Hillary Rodham Clinton", D("2011-04-11"), "us", "Secretary of State") == "Q6294"
    assert g.holder_state("Lee Myung-bak", D("2011-04-11")) == "kr"
    assert g.holder_state("Tamim bin Hamad al-Thani", D("2023-05-05")) == "qa"
    assert g.holder_index.person("Putin", D("2013-03-26"), "ru", "President") == "Q7747"
    assert g.holder_index.person("Vladimir Putin", D("2010-03-26"), "ru", "President") is None  # Prime Minister then
    assert g.holder_index.person("Dmitry Medvedev", D("2010-03-26"), "ru", "President") == "Q23530"
    assert g.holder_index.person("George Bush", D("1987-03-01"), "us", "Vice President") == "Q23505"  # override
    (h,) = g.terms("Theresa May", D("2018-04-18"), "gb")
    assert (h.title, h.qid, h.start, h.end, h.kinds) == ("Prime Minister", "Q264766", D("2016-07-13"),
                                                         D("2019-07-24"), {"head"})
    assert h.position == g.positions[("gb", "Prime Minister")].qid == "Q14211"


def test_mapping_links_an_official_in_office(tmp_path: Path) -> None:
    mapper = Mapper()

    def iri(name: str, title: str | None, state: str | None, day: str) -> str:
        return mapper.person_iri(Official("x", name, title, state, ((0, 1),), "test"), D(day))

    assert iri("Naoto Kan", "Prime Minister", "jp", "2011-04-11").endswith("/x-q47846")
    assert iri("Naoto Kan", "Prime Minister", None, "2011-04-11").endswith("/x-q47846")
    assert iri("Naoto Kan", "Prime Minister", "cn", "2011-04-11").endswith("/x")  # the text's state disagrees
    assert iri("Naoto Kan", "Prime Minister", "jp", "2015-04-11").endswith("/x")  # out of office
    assert iri("Naoto Kan", "Foreign Minister", "jp", "2011-04-11").endswith("/x")  # not his office


@pytest.mark.slow
def test_dev_web_officials_are_linked_to_their_people(tmp_path: Path) -> None:
    """Issue 12: of dev-web's gold officials found in the office-holder table, >= 60% linked at precision >= 0.98."""
    import pyoxigraph as ox

    m = tool("measure_links")
    articles, gold = m.SETS["dev-web"]
    shared_path(*articles.parts[-3:])
    shared_path("wikidata", "office-holders.csv")
    m.build("dev-web", tmp_path / "store")
    people = m.measure_people(ox.Store.read_only(str(tmp_path / "store")), gold)
    assert people["in_table"] >= 50, people["found"]  # the check itself finds the people
    assert people["coverage"] >= 0.60, people["missed"]
    assert people["precision"] >= 0.98, people["wrong"]
