"""The annotator and the rules on sentences we wrote: each test is a kind of sentence the rules must handle."""

from __future__ import annotations

import datetime as dt

import pytest

from kgbuild.pipeline import extract
from kgbuild.records import Article


def article(text: str, day: dt.date = dt.date(2026, 3, 4), dateline: str | None = None) -> Article:
    headline = "A headline for the test"
    return Article(key="t", headline=headline, text=f"{headline}\n\n{text}", published=day, dateline=dateline)


def officials(text: str, **kw: object) -> dict[str, tuple[str | None, str | None]]:
    return {o.name: (o.title, o.state) for o in extract(article(text, **kw)).annotated.officials}


@pytest.mark.parametrize("text, name, title, state", [
    ("Chilean President Gabriel Boric arrived on Monday.", "Gabriel Boric", "President", "cl"),
    ("Planning Minister Dr. Lena Varga of Hungary spoke.", "Lena Varga", "Planning Minister", "hu"),
    ("King Harald of Norway received the guests.", "Harald", "King", "no"),
    ("Moscow's ambassador Ivan Petrov left.", "Ivan Petrov", "Ambassador", "ru"),
    ("Kenyan Foreign Minister Amina Odhiambo met her Ugandan counterpart John Okello.", "John Okello",
     "Foreign Minister", "ug"),
])
def test_officials_by_title_pattern(text: str, name: str, title: str, state: str) -> None:
    assert officials(text)[name] == (title, state)


def test_a_capital_used_for_the_government_names_the_state_of_an_official() -> None:
    # The capital is the state's seat: its state comes from the gazetteer's capitals.
    assert officials("Ottawa's envoy Claire Dubois arrived.")["Claire Dubois"][1] == "ca"


def test_surname_mentions_resolve_to_the_person() -> None:
    facts = extract(article("Irish Prime Minister Sean Byrne visited Oslo. Byrne said the talks went well."))
    (byrne,) = [o for o in facts.annotated.officials if o.name == "Sean Byrne"]
    assert len(byrne.mentions) == 2


def test_in_1987_german_means_west_germany() -> None:
    facts = extract(article("German officials met French officials in Paris on Monday.", day=dt.date(1987, 3, 4)))
    assert "west-germany" in facts.states and "de" not in facts.states


def test_a_planned_visit_with_a_weekday_lands_after_the_article_date() -> None:
    facts = extract(article("Danish Prime Minister Mette Holm will visit Japan on Friday for talks."))
    (visit,) = facts.meetings
    assert (visit.kind, visit.status, visit.date, visit.host) == ("visit", "planned", dt.date(2026, 3, 6), "jp")
    assert set(visit.states) == {"dk", "jp"}


def test_a_signed_agreement_with_count_money_and_deadline() -> None:
    facts = extract(article(
        "Peru and Vietnam on Tuesday signed 12 memoranda of understanding and set a target of raising "
        "bilateral trade to $3 billion within two years."))
    kinds = {a.kind: a for a in facts.agreements}
    assert kinds["mou"].count == 12 and set(kinds["mou"].parties) == {"pe", "vn"}
    assert kinds["mou"].date == dt.date(2026, 3, 3)
    assert kinds["target"].amount == 3_000_000_000 and kinds["target"].currency == "USD"
    assert kinds["target"].target_date == dt.date(2028, 3, 4)


def test_a_mediator_is_not_a_party() -> None:
    facts = extract(article("Fighting between Armenia and Azerbaijan ended when Moscow brokered a ceasefire "
                            "between them on Sunday."))
    (ceasefire,) = [a for a in facts.agreements if a.kind == "ceasefire"]
    assert set(ceasefire.parties) == {"am", "az"} and ceasefire.mediators == ["ru"]


def test_company_deals_and_proposals_are_not_diplomacy() -> None:
    facts = extract(article("Acme Corp said it signed a contract with a Brazilian firm. "
                            "Chile proposed a meeting with Bolivia."))
    assert facts.agreements == [] and facts.meetings == []
