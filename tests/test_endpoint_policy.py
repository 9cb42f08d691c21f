"""The endpoint's policy and Oxigraph read a request's text alike: whenever the policy lets a query or update through,
Oxigraph finds no SERVICE or LOAD in it. Oxigraph is asked on an empty store in memory, with ftp: IRIs, which it
refuses to fetch ("Not supported URL scheme"): it shows what it would have called while nothing leaves the process.

The requests hide a SERVICE (or LOAD) inside a string, an IRI or a comment that the policy sees, with quotes,
backslashes, line ends and \\u escapes around it that could make one reader end that token where the other does not."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kgbuild.endpoint_policy import Refused, check

PIECES = ['"', "'", "\\u0022", "\\u0027", "\\U00000022", "\\u005c", "\\u005C", '\\"', "\\'", "\\\\", "#", "\r", "\n",
          "\\u000d", "\\u000a", "<", ">", "a", " ", "}", ")", "\\u0041", "\u00e9", "\\n", "\\u003E"]
OPEN = ['"', "'", '"""', "'''", "<http://example.org/", ""]  # what may swallow the SERVICE clause ...
CLOSE = ['"', "'", '"""', "'''", ">", ""]  # ... and end after it
FETCH = "SERVICE <ftp://example.org/sparql> {{ ?s ?p ?o }}"
TEMPLATES = [
    "SELECT * WHERE {{ BIND(1 AS ?z) BIND({o}{a} AS ?x) " + FETCH + " BIND({b}{c} AS ?y) }}",
    "SELECT * WHERE {{ BIND(1 AS ?z) #{o}{a} " + FETCH + " {b}{c}\n}}",
    "SELECT * WHERE {{ BIND({o}{a}{c} AS ?x) " + FETCH + " BIND({o}{b}{c} AS ?y) }}",
]
UPDATE = "INSERT DATA {{ <http://a.example/> <http://b.example/> {o}{a} }} ; LOAD <ftp://example.org/data> ;{b}{c} }}"
fragment = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)


def _fetches(run: Callable[[], object]) -> bool:
    """Whether Oxigraph tried to fetch the ftp: IRI while running the request."""
    try:
        run()
    except OSError as exc:
        return "URL scheme" in str(exc)
    except (SyntaxError, ValueError, RuntimeError):
        return False
    return False


def _let_through(text: str, update: bool) -> bool:
    try:
        check(text, update=update)
    except Refused:
        return False
    return True


@example(template=0, o='"', a="a\\u0022", b="\\u0022", c='"')
@example(template=1, o="", a="\r", b="", c="")
@example(template=0, o="'''", a="\\u0027", b="", c="'''")
@settings(max_examples=150)
@given(template=st.integers(0, len(TEMPLATES) - 1), o=st.sampled_from(OPEN), a=fragment, b=fragment,
       c=st.sampled_from(CLOSE))
def test_a_query_the_policy_lets_through_makes_oxigraph_fetch_nothing(template: int, o: str, a: str, b: str,
                                                                      c: str) -> None:
    query = TEMPLATES[template].format(o=o, a=a, b=b, c=c)
    if _let_through(query, update=False):
        assert not _fetches(lambda: list(ox.Store().query(query))), query


@example(o='"', a="\\u0022", b="", c='"')
@settings(max_examples=60)
@given(o=st.sampled_from(OPEN), a=fragment, b=fragment, c=st.sampled_from(CLOSE))
def test_an_update_the_policy_lets_through_makes_oxigraph_fetch_nothing(o: str, a: str, b: str, c: str) -> None:
    update = UPDATE.format(o=o, a=a, b=b, c=c)
    if _let_through(update, update=True):
        assert not _fetches(lambda: ox.Store().update(update)), update


def test_the_check_sees_what_oxigraph_would_fetch() -> None:
    """The two tests above can fail: Oxigraph does try the ftp: IRIs, and the policy lets hidden ones through."""
    query = TEMPLATES[0].format(o="1", a="", b="2", c="")
    assert _fetches(lambda: list(ox.Store().query(query)))
    assert not _let_through(query, update=False)
    hidden = TEMPLATES[0].format(o='"', a="", b="", c='"')  # the clause is a string: data for both readers
    assert _let_through(hidden, update=False) and not _fetches(lambda: list(ox.Store().query(hidden)))
    update = UPDATE.format(o='"x"', a="", b=" INSERT DATA {", c="")
    assert _fetches(lambda: ox.Store().update(update))
    assert not _let_through(update, update=True)


@pytest.mark.parametrize(("text", "allowed", "silent_loads", "operations"), [
    ("LOAD SILENT <http://x.example/d>", (), 1, 1),
    ("PREFIX x: <http://x.example/> LOAD SILENT x:d INTO GRAPH <http://g.example/> ; CLEAR SILENT DEFAULT", (), 1, 2),
    ("LOAD SILENT <http://x.example/d>", ("x.example",), 0, 1),  # an allowed host: a real LOAD, nothing to mark
    ("LOAD SILENT <http://y.example/d> ; LOAD <http://x.example/d>", ("x.example",), 1, 2),
    ("LOAD SILENT <file:///etc/passwd>", ("x.example",), 1, 1),
])
def test_load_silent_of_what_may_not_be_fetched_is_marked_not_refused(text: str, allowed: tuple[str, ...],
                                                                      silent_loads: int, operations: int) -> None:
    checked = check(text, update=True, allowed_hosts=allowed)
    assert (checked.silent_loads, checked.operations) == (silent_loads, operations)


@pytest.mark.parametrize(("text", "update", "allowed", "says"), [
    ("LOAD SILENT <http://y.example/d> ; LOAD <http://y.example/e>", True, (), "LOAD is not allowed"),
    ("LOAD <http://y.example/d>", True, ("x.example", "a.example"), "allowed hosts: a.example, x.example"),
    ("SELECT * WHERE { SERVICE SILENT <http://y.example/s> { ?s ?p ?o } }", False, ("x.example",),
     "SERVICE of <http://y.example/s> is not allowed"),
    ("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", False, ("x.example",), "a variable or an unknown IRI"),
    ("LOAD <ftp://x.example/d>", True, ("x.example",), "LOAD of <ftp://x.example/d>"),  # the host, but not http(s)
])
def test_what_would_fetch_from_a_host_not_allowed_is_refused_naming_it(text: str, update: bool,
                                                                       allowed: tuple[str, ...], says: str) -> None:
    with pytest.raises(Refused, match=re.escape(says)) as refused:
        check(text, update=update, allowed_hosts=allowed)
    assert refused.value.status == 403


def test_an_escape_that_is_no_character_is_a_bad_request() -> None:
    with pytest.raises(Refused, match="is no character") as refused:
        check('SELECT * WHERE { BIND("\\UFFFFFFFF" AS ?x) }', update=False)
    assert refused.value.status == 400
