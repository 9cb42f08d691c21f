"""Linking to Wikidata: `kgbuild link --online` against recorded API answers on loopback, `kgbuild stats`, and the
precision and coverage of the offline links on the seed and dev sets."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, shared_path, tool

from kgbuild.cli import main
from kgbuild.link import (
    LINKS_GRAPH,
    Entity,
    Item,
    Offline,
    WikidataClient,
    choose,
    link_report,
    unlinked_entities,
)
from kgbuild.store import Store
from kgbuild.vocab import ENTITIES_GRAPH, KG, KGR, OWL, PROV, RDF, RDFS, SCHEMA, WD

FIXTURES = ROOT / "tests" / "fixtures" / "wikidata"


# -- a loopback Wikidata API replaying recorded answers -----------------------------------------------------------
class Replay(BaseHTTPRequestHandler):
    requests: list[dict] = []
    throttle = 0  # answer this many next requests 429 Too Many Requests, Retry-After: 1
    lagged = 0  # and then this many with the API's maxlag error, Retry-After: 1

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urllib.parse.urlparse(self.path)
        params = dict(urllib.parse.parse_qsl(url.query))
        Replay.requests.append({**params, "_at": time.monotonic()})
        if Replay.throttle:
            Replay.throttle -= 1
            self._send(429, {"error": {"code": "ratelimited", "info": "too many requests"}}, {"Retry-After": "1"})
        elif Replay.lagged:
            Replay.lagged -= 1
            self._send(200, {"error": {"code": "maxlag", "info": "Waiting for a database server: 6 seconds lagged"}},
                       {"Retry-After": "1", "X-Database-Lag": "6"})
        elif url.path != "/w/api.php" or params.get("format") != "json":
            self._send(404, {"error": {"code": "badpath", "info": url.path}})
        elif params.get("action") == "wbsearchentities":
            name = re.sub(r"[^a-z0-9]+", "-", params["search"].lower()).strip("-")
            path = FIXTURES / "search" / f"{name}.json"
            body = json.loads(path.read_text()) if path.exists() else {
                "searchinfo": {"search": params["search"]}, "search": [], "success": 1}
            self._send(200, body)
        elif params.get("action") == "wbgetentities":
            entities = {}
            for qid in params["ids"].split("|"):
                path = FIXTURES / "entities" / f"{qid}.json"
                entities[qid] = json.loads(path.read_text()) if path.exists() else {"id": qid, "missing": ""}
            self._send(200, {"entities": entities, "success": 1})
        else:
            self._send(200, {"error": {"code": "badvalue", "info": "unknown action"}})

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Replay.requests, Replay.throttle, Replay.lagged = [], 0, 0
    yield f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    server.shutdown()
    server.server_close()


# -- a store with entities the gazetteers left unlinked -----------------------------------------------------------
def _article(key: str, day: str) -> str:
    a = f"{KGR}article/{key}"
    return (f"GRAPH <{a}> {{ <{a}> <{RDF}type> <{KG}Article> ; <{SCHEMA}datePublished> "
            f"\"{day}\"^^<http://www.w3.org/2001/XMLSchema#date> . ")


def _store(path: Path) -> Store:
    s, p, o = KGR + "state/", KGR + "person/", KGR + "position/"
    e = f"GRAPH <{ENTITIES_GRAPH}> {{ "
    triples = [
        (s + "us", f"<{RDF}type> <{KG}State> ; <{RDFS}label> \"United States\"@en ; <{OWL}sameAs> <{WD}Q30>"),
        (s + "ge", f"<{RDF}type> <{KG}State> ; <{RDFS}label> \"Georgia\"@en ; <{OWL}sameAs> <{WD}Q230>"),
        # Georgia with its ISO code (the code picks the country) and without (the name alone cannot)
        (s + "georgia-coded", f"<{RDF}type> <{KG}State> ; <{RDFS}label> \"Georgia\"@en ; <{KG}isoCode> \"GE\""),
        (s + "georgia", f"<{RDF}type> <{KG}State> ; <{RDFS}label> \"Georgia\"@en"),
        (KGR + "place/georgia", f"<{RDF}type> <{KG}Place> ; <{RDFS}label> \"Georgia\"@en"),
        (KGR + "place/tbilisi", f"<{RDF}type> <{KG}Place> ; <{RDFS}label> \"Tbilisi\"@en ; <{KG}inState> <{s}ge>"),
        (KGR + "organization/un", f"<{RDF}type> <{KG}Organization> ; <{RDFS}label> \"United Nations\"@en"),
        (o + "vp-us", f"<{RDF}type> <{KG}Position> ; <{RDFS}label> \"Vice President of United States\"@en ; "
                      f"<{KG}title> \"Vice President\" ; <{KG}ofState> <{s}us> ; <{OWL}sameAs> <{WD}Q11699>"),
        (o + "president-us", f"<{RDF}type> <{KG}Position> ; <{RDFS}label> \"President of United States\"@en ; "
                             f"<{KG}title> \"President\" ; <{KG}ofState> <{s}us> ; <{OWL}sameAs> <{WD}Q11696>"),
        (o + "sos-us", f"<{RDF}type> <{KG}Position> ; <{RDFS}label> \"Secretary of State of United States\"@en ; "
                       f"<{KG}title> \"Secretary of State\" ; <{KG}ofState> <{s}us>"),
        (p + "bush-1987", f"<{RDF}type> <{KG}Official> ; <{RDFS}label> \"George Bush\"@en"),
        (p + "bush-2003", f"<{RDF}type> <{KG}Official> ; <{RDFS}label> \"George Bush\"@en"),
        (p + "bush-both", f"<{RDF}type> <{KG}Official> ; <{RDFS}label> \"George Bush\"@en"),
    ]
    entities = e + " ".join(f"<{subj}> {rest} ." for subj, rest in triples) + " } "
    arts = (
        _article("a1987", "1987-03-01")
        + f"<{p}bush-1987> <{KG}holds> <{o}vp-us> ; <{KG}represents> <{s}us> ; "
          f"<{PROV}wasDerivedFrom> <{KGR}article/a1987> . "
        + f"<{KGR}article/a1987> <{SCHEMA}mentions> <{s}georgia> , <{s}georgia-coded> , <{KGR}place/tbilisi> . }} "
        + _article("a2003", "2003-05-01")
        + f"<{p}bush-2003> <{KG}holds> <{o}president-us> ; <{KG}represents> <{s}us> ; "
          f"<{PROV}wasDerivedFrom> <{KGR}article/a2003> . "
        + f"<{p}bush-both> <{KG}holds> <{o}president-us> ; <{PROV}wasDerivedFrom> <{KGR}article/a2003> . "
        + f"<{KGR}article/a2003> <{SCHEMA}mentions> <{s}georgia> . }} "
        + _article("a1990", "1990-05-01")
        + f"<{p}bush-both> <{PROV}wasDerivedFrom> <{KGR}article/a1990> . "
        + f"<{o}sos-us> <{PROV}wasDerivedFrom> <{KGR}article/a1990> . "
        + f"<{KGR}article/a1990> <{SCHEMA}mentions> <{s}georgia> . }} "
    )
    store = Store(path)
    store.update("INSERT DATA { " + entities + arts + "}")
    return store


EXPECTED = {
    "state/georgia-coded": "Q230",  # the ISO code backs the type
    "place/tbilisi": "Q994",  # a capital, in the state we say
    "organization/un": "Q1065",
    "position/sos-us": "Q14213",  # "United States Secretary of State", jurisdiction the US
    "person/bush-1987": "Q23505",  # the Vice President of 1987
    "person/bush-2003": "Q207",  # the President of 2003
}
# Left out: state/georgia and place/georgia (two items share the name), person/bush-both (a President in 1990 and
# in 2003: two people).


def _links(store_path: Path) -> dict[str, str]:
    store = Store(store_path, read_only=True)
    rows = store.query(f"SELECT ?s ?o WHERE {{ GRAPH <{LINKS_GRAPH}> {{ ?s <{OWL}sameAs> ?o }} }}")
    return {r["s"].value[len(KGR):]: r["o"].value[len(WD):] for r in rows}


def test_link_online_replayed(api: str, tmp_path: Path) -> None:
    _store(tmp_path / "s")
    cache = tmp_path / "cache.json"
    runner = CliRunner()
    result = runner.invoke(main, ["link", "--online", "--api", api, "--store", str(tmp_path / "s"),
                                  "--cache", str(cache), "--rate", "100"])
    assert result.exit_code == 0, result.output
    assert _links(tmp_path / "s") == EXPECTED
    first = len(Replay.requests)
    assert first > 0 and cache.exists()
    assert all(r["format"] == "json" for r in Replay.requests)

    # a second run asks nothing: every answer comes from the cache; the links graph is replaced, not added to
    result = runner.invoke(main, ["link", "--online", "--api", api, "--store", str(tmp_path / "s"),
                                  "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert len(Replay.requests) == first
    assert "0 API requests" in result.output
    assert _links(tmp_path / "s") == EXPECTED
    store = Store(tmp_path / "s", read_only=True)
    assert len(list(store.quads(LINKS_GRAPH))) == len(EXPECTED)


def test_link_online_follows_the_api_etiquette(api: str, tmp_path: Path) -> None:
    """maxlag on every request; a 429 and a maxlag error waited out for their Retry-After, then retried; the
    candidates of all entities fetched together, 50 ids to a wbgetentities request."""
    _store(tmp_path / "s")
    Replay.throttle, Replay.lagged = 1, 1
    result = CliRunner().invoke(main, ["link", "--online", "--api", api, "--store", str(tmp_path / "s"),
                                       "--cache", str(tmp_path / "cache.json"), "--rate", "100"])
    assert result.exit_code == 0, result.output
    assert _links(tmp_path / "s") == EXPECTED  # the refused requests were asked again
    asked = Replay.requests
    assert all(r["maxlag"] == "5" for r in asked)
    # the first request got 429, its retry the maxlag error, the next one an answer: each a second after the last
    assert asked[0] == {**asked[1], "_at": asked[0]["_at"]} == {**asked[2], "_at": asked[0]["_at"]}
    assert asked[1]["_at"] - asked[0]["_at"] >= 0.95 and asked[2]["_at"] - asked[1]["_at"] >= 0.95
    batches = [r["ids"].split("|") for r in asked if r.get("action") == "wbgetentities"]
    ids = {q for b in batches for q in b}
    assert all(len(b) <= 50 for b in batches) and sum(map(len, batches)) == len(ids)  # no id asked twice
    assert len(batches) == -(-len(ids) // 50)  # as few requests as 50 to a request allows
    searches = [r for r in asked if r.get("action") == "wbsearchentities"]
    assert len(ids) > len(batches) and len(searches) > len(batches)  # more than one entity's candidates a batch


def test_link_dry_run_prints_the_links_and_stores_none(api: str, tmp_path: Path) -> None:
    _store(tmp_path / "s").close()
    result = CliRunner().invoke(main, ["link", "--online", "--dry-run", "--verbose", "--api", api, "--store",
                                       str(tmp_path / "s"), "--cache", str(tmp_path / "cache.json"), "--rate", "100"])
    assert result.exit_code == 0, result.output
    printed = dict(re.findall(rf"^<{re.escape(KGR)}(\S+)> owl:sameAs wd:(Q\d+)$", result.stdout, re.M))
    assert printed == EXPECTED
    # --verbose: a line for each entity looked up, linked or not, with its reason
    assert re.search(r"^Official +George Bush +- +", result.stdout, re.M)
    assert re.search(r"^Place +Tbilisi +Q994 ", result.stdout, re.M)
    assert "(dry run, not stored)" in result.stdout.splitlines()[-1]
    assert _links(tmp_path / "s") == {}


@pytest.mark.parametrize("args", [[], ["--dry-run"]])
def test_link_on_a_store_that_is_not_there_is_one_line_and_makes_none(args: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["link", "--store", str(tmp_path / "typo"), *args])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"kgbuild: error: {tmp_path / 'typo'}: no store here (run `kgbuild build` first)"
    assert not (tmp_path / "typo").exists()


def test_stats_table_lists_coverage_and_the_most_mentioned_unlinked(tmp_path: Path) -> None:
    _store(tmp_path / "s").close()
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "s"), "--limit", "2"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["class", "entities", "linked", "unlinked", "coverage"]
    assert [r.split() for r in rows] == [["State", "4", "2", "2", "50%"], ["Place", "2", "0", "2", "0%"],
                                         ["Organization", "1", "0", "1", "0%"], ["Position", "3", "2", "1", "67%"],
                                         ["Official", "3", "0", "3", "0%"]]
    unlinked = result.stdout.split("\n\n")[1].splitlines()
    assert unlinked[0].endswith("(mentions = article graphs naming them; 2 of 9):")
    assert [line.split() for line in unlinked[1:]] == [["3", "State", "Georgia", KGR + "state/georgia"],
                                                        ["2", "Official", "George", "Bush", KGR + "person/bush-both"]]


def test_rate_limited_for_good_is_one_line(api: str, tmp_path: Path) -> None:
    _store(tmp_path / "s")
    Replay.throttle = 100
    client = WikidataClient(api, None, rate=100)
    client.RETRIES = 2
    with pytest.raises(Offline, match="answered HTTP 429"):
        client.search("Georgia")
    assert client.requests == 3 and client.retries == 2


def test_no_link_from_a_shared_name() -> None:
    """Georgia the country and Georgia the US state: the type alone does not pick one."""
    items = [Item.of(json.loads((FIXTURES / "entities" / f"{q}.json").read_text())) for q in ("Q230", "Q1428")]
    assert choose(Entity("x", "State", "Georgia"), items) == (None, "2 items share the name")
    assert choose(Entity("x", "State", "Georgia", iso="GE"), items)[0] == "Q230"
    assert choose(Entity("x", "State", "Georgia", iso="US"), items)[0] is None
    assert choose(Entity("x", "Place", "Georgia"), items)[0] is None
    # one item of that name and type: linked; the US state is no city, whatever its name
    assert choose(Entity("x", "State", "Georgia"), items[:1])[0] == "Q230"
    assert choose(Entity("x", "Place", "Georgia"), items[1:])[0] is None


def test_officials_need_the_position_in_its_term() -> None:
    items = [Item.of(json.loads((FIXTURES / "entities" / f"{q}.json").read_text())) for q in ("Q23505", "Q207")]
    pres = "Q11696"
    assert choose(Entity("x", "Official", "George Bush", position_qid=pres, years=frozenset({1991})), items)[0] \
        == "Q23505"
    assert choose(Entity("x", "Official", "George Bush", position_qid=pres, years=frozenset({2005})), items)[0] \
        == "Q207"
    assert choose(Entity("x", "Official", "George Bush", position_qid=pres, years=frozenset({1995})), items)[0] \
        is None
    # without a position, two people of one name: nothing
    assert choose(Entity("x", "Official", "George Bush", state_qid="Q30"), items)[0] is None
    # a name that is not theirs
    assert choose(Entity("x", "Official", "George Walker", position_qid=pres, years=frozenset({2005})), items)[0] \
        is None


def test_offline_is_one_line_and_exit_1(tmp_path: Path) -> None:
    _store(tmp_path / "s")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(main, ["link", "--online", "--api", f"http://127.0.0.1:{port}/w/api.php",
                                       "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Wikidata API" in lines[0], result.stderr
    assert _links(tmp_path / "s") == {}


def test_rate_limit(api: str) -> None:
    client = WikidataClient(api, None, rate=10)
    start = time.monotonic()
    for name in ("a", "b", "c", "d"):
        client.search(name)
    assert time.monotonic() - start >= 0.3
    assert client.requests == 4
    client.search("a")  # from the cache
    assert client.requests == 4


def test_without_online_nothing_is_asked(tmp_path: Path) -> None:
    _store(tmp_path / "s")
    result = CliRunner().invoke(main, ["link", "--store", str(tmp_path / "s")])
    assert result.exit_code == 0
    assert "--online" in result.output


def test_unlinked_entities_know_their_context(tmp_path: Path) -> None:
    ents = {e.iri[len(KGR):]: e for e in unlinked_entities(_store(tmp_path / "s"))}
    assert "state/us" not in ents and "position/vp-us" not in ents
    assert ents["person/bush-1987"].position_qid == "Q11699" and ents["person/bush-1987"].years == {1987}
    assert ents["person/bush-both"].years == {1990, 2003}
    assert ents["place/tbilisi"].state_qid == "Q230"
    assert ents["position/sos-us"].state_names == ("United States",)


def test_stats(tmp_path: Path) -> None:
    store = _store(tmp_path / "s")
    report = link_report(store)
    assert report.by_class["State"] == (4, 2)
    assert report.by_class["Official"] == (3, 0)
    # most mentioned first: the state named by three articles, then the official of two
    assert report.unlinked[0] == (3, "State", "Georgia", KGR + "state/georgia")
    assert report.unlinked[1] == (2, "Official", "George Bush", KGR + "person/bush-both")
    store.close()
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "s"), "--format", "json", "--limit", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["classes"]["Place"] == {"entities": 2, "linked": 0, "unlinked": 2}
    assert len(data["unlinked"]) == 9


# -- the offline links on the seed and dev sets -------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", ["seed", "dev"])
def test_offline_links_on_gold_sets(name: str, tmp_path: Path) -> None:
    m = tool("measure_links")
    articles, gold = m.SETS[name]
    shared_path(*articles.parts[-3:])
    m.build(name, tmp_path / "store")
    result = m.measure(tmp_path / "store", gold)
    states = result["State"]
    # every state the gold lists is linked to its right item, and every link made is right
    assert states["gold_coverage"] == 1.0, states["gold_missing"]
    for cls in ("State", "Place", "Position", "Official"):
        assert result[cls]["wrong"] == [], cls
        assert result[cls]["precision"] == 1.0
    # coverage reached when this was written (seed: positions 2/4, officials 2/4; dev: positions 16/46,
    # officials 5/48; every state and place): extraction changes may add entities, not lose these links
    floor = {"seed": {"Position": 2, "Official": 2, "Place": 1}, "dev": {"Position": 16, "Official": 5, "Place": 16}}
    for cls, n in floor[name].items():
        assert result[cls]["linked"] >= n, (cls, result[cls])
