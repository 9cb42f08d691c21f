"""Kinds of sentence the modern-release rules handle (issue 12), on sentences we wrote ourselves."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kgbuild.pipeline import extract
from kgbuild.records import Article

DAY = dt.date(2024, 5, 15)  # a Wednesday


def facts(text: str, url: str | None = None, day: dt.date = DAY):
    headline = "A headline for the test"
    return extract(Article(key="t", headline=headline, text=f"{headline}\n\n{text}", published=day, url=url))


def officials(text: str, url: str | None = None) -> dict[str, tuple[str | None, str | None]]:
    return {o.name: (o.title, o.state) for o in facts(text, url).annotated.officials}


def test_long_modern_titles_and_courtesy_styles() -> None:
    got = officials("Australian Minister for Foreign Affairs and Minister for Women Senator the Hon Jane Roe "
                    "welcomed Chilean Secretary of State for Foreign, Commonwealth and Trade Affairs Pedro Soto.")
    assert got["Jane Roe"][1] == "au"
    assert got["Jane Roe"][0].startswith("Minister for Foreign Affairs")
    assert got["Pedro Soto"][1] == "cl"


def test_title_of_state_before_the_name() -> None:
    got = officials("The Prime Minister met the President of Ruritania's neighbour, President of Peru Ana Quispe.")
    assert got["Ana Quispe"] == ("President", "pe")


def test_former_officials_and_people_without_a_state_are_not_officials() -> None:
    got = officials("Former Prime Minister Tom Brand of Canada spoke. Commissioner Eva Lind praised the plan.")
    assert "Tom Brand" not in got and "Eva Lind" not in got


def test_a_release_names_its_own_minister_without_the_state() -> None:
    text = "Minister of Transport Omar Haddad announced the new routes."
    assert "Omar Haddad" not in officials(text)  # no state anywhere: not recorded as an official
    assert officials(text, url="https://www.canada.ca/en/news/x.html")["Omar Haddad"][1] == "ca"


def test_bare_title_in_a_readout_is_the_publishers_state_and_topics_take_no_part() -> None:
    f = facts("The Prime Minister met President Jean Dupont of France in London today. "
              "The leaders discussed the war in Ukraine and Russia's invasion.", url="https://www.gov.uk/news/x")
    assert [set(m.states) for m in f.meetings] == [{"gb", "fr"}]


def test_a_venue_is_not_a_side() -> None:
    f = facts("Japanese Prime Minister Ken Sato met Indian Prime Minister Ravi Rao at the summit in Rome.")
    assert [set(m.states) for m in f.meetings] == [{"jp", "in"}]


def test_a_trip_to_several_states_is_one_visit_each() -> None:
    f = facts("Canadian Foreign Minister John Smith will visit Japan, South Korea and Vietnam next week.")
    assert sorted(sorted(m.states) for m in f.meetings) == [["ca", "jp"], ["ca", "kr"], ["ca", "vn"]]
    assert {m.status for m in f.meetings} == {"planned"}


def test_agreements_with_a_list_of_states_are_one_each() -> None:
    f = facts("Canada has concluded new air transport agreements with Chile, Peru and Colombia.")
    assert sorted(sorted(a.parties) for a in f.agreements) == [["ca", "cl"], ["ca", "co"], ["ca", "pe"]]
    assert {a.kind for a in f.agreements} == {"commercial"}


def test_agreements_still_negotiated_or_only_pledged_are_not_recorded() -> None:
    f = facts("France and Italy agreed to work towards a new trade agreement. "
              "They agreed it was important to build a modern partnership. "
              "They announced the start of talks on a new defence treaty between France and Italy.")
    assert f.agreements == []


def test_a_joint_statement_issued_by_both_is_a_treaty() -> None:
    f = facts("Spain and Portugal issued a joint statement on energy security.")
    assert [(a.kind, sorted(a.parties)) for a in f.agreements] == [("treaty", ["es", "pt"])]


def test_a_capitalised_modal_is_a_name_not_a_tense() -> None:
    # in 2018 the office-holder table has her as the UK's Prime Minister, so the home state holds
    f = facts("Prime Minister Theresa May held talks with Irish Prime Minister Sean Byrne on Monday.",
              url="https://www.gov.uk/x", day=dt.date(2018, 4, 18))
    assert [m.status for m in f.meetings] == ["held"]
    assert "Theresa May" in {o.name for o in f.annotated.officials}


def test_next_and_last_weekday() -> None:
    f = facts("Irish Prime Minister Sean Byrne will visit Norway next Wednesday.")
    assert [m.date for m in f.meetings] == [dt.date(2024, 5, 22)]
    f = facts("Irish Prime Minister Sean Byrne visited Norway last Wednesday.")
    assert [m.date for m in f.meetings] == [dt.date(2024, 5, 8)]


def test_facts_are_plain_records() -> None:
    f = facts("Spain and Portugal issued a joint statement on energy security.")
    assert dataclasses.is_dataclass(f.agreements[0])


def test_the_home_state_is_not_given_to_an_office_the_table_shows_held_by_someone_else() -> None:
    # on a UK site in 2024 the UK's Prime Minister was someone else: "Prime Minister Ana Quispe" is not British
    f = facts("Prime Minister Ana Quispe met the Prime Minister.", url="https://www.gov.uk/x")
    assert "Ana Quispe" not in {o.name for o in f.annotated.officials}


def test_a_named_declaration_agreed_is_a_treaty_not_an_echo() -> None:
    f = facts("Spain and Portugal held talks in Madrid. "
              "The leaders welcomed the agreement of the Lisbon Declaration, a new approach to energy.")
    assert [(a.kind, sorted(a.parties)) for a in f.agreements] == [("treaty", ["es", "pt"])]


def wire(text: str, day: dt.date, dateline: str | None = None):
    headline = "A WIRE HEADLINE FOR THE TEST"
    return extract(Article(key="w", headline=headline, text=f"{headline}\n\n{text}", published=day,
                           dateline=dateline))


def test_a_title_and_surname_take_their_state_from_the_office_holder_table() -> None:
    # Datelined Tokyo, a bare "President Reagan" is not Japan's: the table has him as the United States' president
    # that day. A surname the table does not know still falls back to the dateline's state.
    f = wire("Prime Minister Ken Sato will discuss trade with President Reagan and with Finance Minister Aoki.",
             dt.date(1987, 3, 2), dateline="TOKYO")
    got = {o.name: o.state for o in f.annotated.officials}
    assert got["Reagan"] == "us"
    assert got["Ken Sato"] == "jp" and got["Aoki"] == "jp"


def test_a_visit_starting_on_a_day_without_a_year_is_the_coming_one() -> None:
    f = wire("Prime Minister Ken Sato of Japan told his party to prepare a package in time for his visit to "
             "Washington starting on April 29.", dt.date(1987, 3, 26))
    assert [(m.kind, m.status, m.date) for m in f.meetings] == [("visit", "planned", dt.date(1987, 4, 29))]


def test_a_city_naming_an_agreement_is_not_a_party() -> None:
    f = facts("Chile and Ecuador signed the Lima border protocol on Monday.")
    assert [(a.kind, set(a.parties)) for a in f.agreements] == [("treaty", {"cl", "ec"})]
    f = facts("Chile signed the protocol with Bern on Monday.")  # a capital standing for its government is a side
    assert [set(a.parties) for a in f.agreements] == [{"cl", "ch"}]


def test_an_earlier_accord_named_in_passing_is_background() -> None:
    f = facts("Chile will boost demand as pledged under last month's currency accord signed with Peru.")
    assert f.agreements == []
    f = facts("Chile signed a currency accord with Peru on Monday.")
    assert [set(a.parties) for a in f.agreements] == [{"cl", "pe"}]


def test_who_is_briefed_on_a_visit_takes_no_part_in_it() -> None:
    f = facts("Chilean President Ana Soto briefed Peruvian Foreign Minister Luis Rojas on her visit to Brazil.")
    assert [(m.kind, set(m.states)) for m in f.meetings] == [("visit", {"cl", "br"})]
    f = facts("Chilean President Ana Soto held talks with Peruvian Foreign Minister Luis Rojas on trade.")
    assert [set(m.states) for m in f.meetings] == [{"cl", "pe"}]


def test_a_firms_or_committees_chairman_is_no_officer_of_the_datelines_state() -> None:
    f = wire("Acmeco Chairman John Doe said Senate Banking Committee Chairman Tom Roe and Federal Reserve Board "
             "Chairman Paul Volcker met Primary Industries Minister Ann Poe.", dt.date(1987, 3, 2),
             dateline="WASHINGTON")
    got = {o.name: o.state for o in f.annotated.officials}
    assert "John Doe" not in got and "Tom Roe" not in got  # a firm's, a committee's: no state assumed
    assert got["Paul Volcker"] == "us" and got["Ann Poe"] == "us"  # a state's body, a minister: the dateline's


def test_a_news_conference_or_a_bodys_own_meeting_is_no_encounter_of_states() -> None:
    f = facts("Chilean Finance Minister Ana Soto told a news conference in Lima that Peru's exports would rise.")
    assert f.meetings == []
    f = facts("Chilean Finance Minister Ana Soto told the annual meeting of a Peruvian bank that exports would rise.")
    assert f.meetings == []
    f = facts("Chilean Finance Minister Ana Soto attended a conference in Lima with Peruvian Foreign Minister "
              "Luis Rojas.")
    assert [set(m.states) for m in f.meetings] == [{"cl", "pe"}]


def test_one_states_deal_needs_a_named_other_side() -> None:
    assert facts("Chile struck a deal with Acmeco Corp to build a copper smelter.").agreements == []
    f = facts("Chile reached a debt rescheduling agreement with the Paris Club on Monday.")
    assert [(a.kind, a.parties) for a in f.agreements] == [("commercial", ["cl"])]


def test_meeting_a_states_demands_is_no_meeting() -> None:
    assert facts("Chile has taken steps to meet Peruvian demands for lower tariffs.").meetings == []
    f = facts("Chilean Foreign Minister Ana Soto will meet Peruvian officials on tariffs.")
    assert [set(m.states) for m in f.meetings] == [{"cl", "pe"}]


def test_set_to_arrive_is_planned() -> None:
    f = facts("Chilean Foreign Minister Ana Soto is set to arrive in Lima on April 13.")
    assert [(m.kind, m.status, m.date) for m in f.meetings] == [("visit", "planned", dt.date(2025, 4, 13))]



def test_a_term_open_when_the_holder_table_was_made_does_not_refuse_a_later_holder_of_that_office() -> None:
    # The table (to the end of 2022) ends with a British defence secretary in office; a 2024 release of the UK's
    # government names another.
    got = officials("Defence Secretary Ann Poe met her Chilean counterpart in London.",
                    url="https://www.gov.uk/government/news/x")
    assert got.get("Ann Poe") == ("Defence Secretary", "gb")


def test_a_governments_seat_is_its_city_and_keeps_two_encounters_apart() -> None:
    f = facts("The Prime Minister met Prime Minister Luis Rojas of Peru in Downing Street today. They welcomed the "
              "progress made during the Home Secretary's visit to Peru in March.", url="https://www.gov.uk/news/x")
    got = sorted((m.kind, m.host, m.place) for m in f.meetings)
    assert got == [("meeting", "gb", "london"), ("visit", "pe", None)]


def test_an_ayn_or_hamza_ending_a_name_word_is_part_of_the_name() -> None:
    got = officials("Chile's President met the Prime Minister of Iraq Ali Hasan’ Al-Rawi in Santiago.")
    assert got["Ali Hasan’ Al-Rawi"] == ("Prime Minister", "iq")


def test_a_day_and_month_with_no_tense_is_the_coming_one() -> None:
    f = wire("Prime Minister Ken Sato of Japan and his visit to Washington on April 29 are the talk of Tokyo.",
             dt.date(1987, 3, 26))
    assert [(m.kind, m.status, m.date) for m in f.meetings] == [("visit", "planned", dt.date(1987, 4, 29))]


def test_a_place_ending_a_name_after_particles_is_part_of_the_name() -> None:
    f = facts("Peruvian President Ana Soto spoke with Mexican President Luis de la Madrid about trade.")
    assert {o.name: o.state for o in f.annotated.officials}["Luis de la Madrid"] == "mx"
    assert "es" not in f.states


def test_an_agreement_reached_today_is_concluded_whatever_it_will_bring() -> None:
    f = facts("Chile will import copper from Peru under an agreement reached in Lima today.")
    assert [(a.status, a.date) for a in f.agreements] == [("concluded", DAY)]
