"""`kgbuild query`'s output (kgbuild.results): the text table, and standard formats for the answers of both the
embedded store (pyoxigraph results) and a remote one (a bool for ASK, a list of triples for CONSTRUCT)."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest

from kgbuild.results import fitting, form, write_results

EX = "http://example.org/"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()  # pyoxigraph's own store in memory: what is tested here is how its answers are written
    label = ox.NamedNode(EX + "label")
    for i, text in enumerate(["short", "x" * 100, "ünïcode"]):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), label, ox.Literal(text, language="en" if i == 2 else None),
                          ox.NamedNode(EX + "g")))
    return store


def _written(result: object, fmt: str) -> str:
    out = io.StringIO()
    write_results(result, fmt, out)
    return out.getvalue()


@pytest.mark.parametrize(("limit", "count_line"), [(0, "(0 rows)"), (1, "(1 row)"), (3, "(3 rows)")])
def test_table_ends_with_the_row_count(store: ox.Store, limit: int, count_line: str) -> None:
    query = f"SELECT ?s ?l WHERE {{ GRAPH ?g {{ ?s <{EX}label> ?l }} }} ORDER BY ?s LIMIT {limit}"
    lines = _written(store.query(query), "table").splitlines()
    assert lines[0].split(" | ")[0].strip() == "s" and lines[0].split(" | ")[1].strip() == "l"
    assert set(lines[1]) <= {"-", "+"} and "-+-" in lines[1]
    assert len(lines) == 2 + limit + 1 and lines[-1] == count_line


def test_table_cells_are_values_cut_at_60_characters_and_unbound_is_empty(store: ox.Store) -> None:
    query = (f"SELECT ?l ?none WHERE {{ GRAPH ?g {{ ?s <{EX}label> ?l }} OPTIONAL {{ ?s <{EX}nothing> ?none }} }} "
             "ORDER BY ?s")
    header, rule, *rows, count = _written(store.query(query), "table").splitlines()
    cells = [[c.strip() for c in r.split("|")] for r in rows]
    assert cells == [["short", ""], ["x" * 59 + "…", ""], ["ünïcode", ""]]  # a value, not "ünïcode"@en
    assert len(rule.split("-+-")[0]) == 60 and header.startswith("l" + " " * 59 + " | none")
    assert count == "(3 rows)"


@pytest.mark.parametrize("answer", [True, False])
def test_ask_as_a_table_is_the_word_from_either_store(store: ox.Store, answer: bool) -> None:
    embedded = store.query(f"ASK {{ GRAPH ?g {{ ?s <{EX}label> ?l }} }}" if answer else f"ASK {{ <{EX}no> ?p ?o }}")
    assert _written(embedded, "table") == _written(answer, "table") == f"{str(answer).lower()}\n"


@pytest.mark.parametrize(("fmt", "parse"), [
    ("json", lambda text: json.loads(text)["boolean"]),
    ("xml", lambda text: bool(ox.parse_query_results(text.encode(), ox.QueryResultsFormat.XML))),
    ("tsv", lambda text: bool(ox.parse_query_results(text.encode(), ox.QueryResultsFormat.TSV))),
])
def test_a_remote_stores_ask_is_written_in_the_standard_results_formats(fmt: str, parse: object) -> None:
    # A remote store answers ASK with a Python bool: written as the embedded store's answer would be.
    for answer in (True, False):
        assert parse(_written(answer, fmt)) is answer


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_construct_in_a_dataset_format_is_the_default_graph(store: ox.Store, fmt: str) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}label> ?l }} WHERE {{ GRAPH ?g {{ ?s <{EX}label> ?l }} }}"
    remote_like = list(store.query(query))  # a remote store's CONSTRUCT: a list of triples
    for result in (store.query(query), remote_like):
        quads = list(ox.parse(_written(result, fmt).encode(), ox.RdfFormat.N_QUADS if fmt == "nquads"
                              else ox.RdfFormat.TRIG))
        assert len(quads) == 3 and all(q.graph_name == ox.DefaultGraph() for q in quads)


def test_a_format_that_does_not_fit_the_query_form_is_refused_by_name(store: ox.Store) -> None:
    select = store.query("SELECT * WHERE { ?s ?p ?o }")
    construct = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert (form(select), form(construct), form(store.query("ASK {}")), form(True)) == ("select", "graph", "ask",
                                                                                        "ask")
    with pytest.raises(ValueError, match="--format turtle does not fit a SELECT query"):
        write_results(select, "turtle", io.StringIO())
    with pytest.raises(ValueError, match="--format table does not fit a GRAPH query"):
        write_results(construct, "table", io.StringIO())
    assert "table" in fitting("select") and "table" not in fitting("graph")
