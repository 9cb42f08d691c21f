"""`kgbuild serve` attacked as a stranger would, over real HTTP on loopback: hidden SERVICE and LOAD, script links,
queries and updates that grow without bound, a full disk; and the protocol's edges (two queries, HEAD, dataset
IRIs, format names, relative IRIs, the Graph Store's default graph and direct URLs)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import free_port, http, kgbuild_serve

from kgbuild.store import ArticleGraph, Store

KG = "https://w3id.org/kgbuild/ontology#"
KGR = "https://w3id.org/kgbuild/resource/"
SCHEMA = "http://schema.org/"
TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEMORY_CAP = 320 * 1024 * 1024
RESPONSE_CAP = 100_000


def _store(path: Path) -> None:
    n = ox.NamedNode(KG + "n")
    bulk = [ox.Triple(ox.NamedNode(f"{KGR}thing/{i}"), n, ox.Literal(str(i))) for i in range(3000)]
    with Store(path) as store:
        store.put([ArticleGraph.of(KGR + "article/bulk", bulk)])


class Listener:
    """A TCP server on another loopback port that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("endpoint-security")
    _store(root / "store")
    port = free_port()
    proc = kgbuild_serve(root / "store", port, root / "server.log", timeout=3.0, token=TOKEN, workers=2,
                         max_query_memory=MEMORY_CAP, max_response_bytes=RESPONSE_CAP,
                         base_url=f"http://kg.example:{port}/")
    proc.base = f"http://127.0.0.1:{port}"
    proc.port = port
    proc.log_path = root / "server.log"
    yield proc
    proc.stop()


def _sparql(server, query: str, **headers: str) -> tuple[int, dict, bytes]:
    return http("POST", server.base + "/sparql", data=urllib.parse.urlencode({"query": query}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", **headers})


def _update(server, text: str) -> tuple[int, dict, bytes]:
    return http("POST", server.base + "/sparql", data=text,
                headers={"Content-Type": "application/sparql-update", **AUTH})


# -- no outbound request ------------------------------------------------------------------------------------------
def test_disguised_service_and_load_reach_no_other_host(server, tmp_path: Path) -> None:
    listener = Listener()
    local = tmp_path / "local.nt"
    local.write_text(f"<{KGR}secret> <{KG}n> 1 .\n", encoding="utf-8")
    url = f"http://127.0.0.1:{listener.port}/sparql"
    queries = [
        f"SELECT * WHERE {{ ?s ?p ?o #\rSERVICE <{url}> {{ ?a ?b ?c }}\n}}",
        f'SELECT * WHERE {{ BIND("a\\u0022" AS ?x) SERVICE <{url}> {{ ?a ?b ?c }} BIND("\\u0022" AS ?y) }}',
        f'SELECT * WHERE {{ BIND("a\\"" AS ?x) SERVICE <{url}> {{ ?a ?b ?c }} }}',
        f"SELECT * WHERE {{ BIND('''a\\u0027''' AS ?x) SERVICE <{url}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVICE <http://\\u0031\\u0032\\u0037.0.0.1:{listener.port}/sparql> {{ ?a ?b ?c }} }}",
        f"select * {{ service <{url}> {{ ?a ?b ?c }} }}",
        f"SELECT*{{SERVICE<{url}>{{?a ?b ?c}}}}",
        f"SELECT * WHERE {{\t\x0c\n SeRvIcE\r\n\t<{url}>\n{{ ?a ?b ?c }} }}",
        f"PREFIX e: <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ SERVICE e:sparql {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} LIMIT 1",
        f"ASK {{ FILTER NOT EXISTS {{ SERVICE SILENT <{url}> {{ ?a ?b ?c }} }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?a ?b ?c }} }}",
        f"BASE <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?a ?b ?c }} }}",
        f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }}",
    ]
    updates = [
        f"LOAD <{url}>", f"load\r<{url}>", f"LOAD SILENT <{url}> ; LOAD <{url}>",
        f"CLEAR SILENT GRAPH <{KGR}g> ; # \r LOAD <{url}>",
        f"INSERT {{ ?a ?b ?c }} WHERE {{ SERVICE SILENT <{url}> {{ ?a ?b ?c }} }}",
    ]
    # A large update (a batch of articles) runs unparsed in the writer, which can reach no host: LOAD fails there.
    data = "".join(f'<{KGR}x/{i}> <{KG}text> "{"z" * 80}" .\n' for i in range(1000))
    big = [f"INSERT DATA {{ GRAPH <{KGR}big-load> {{\n{data}}} }} ; LOAD <{url}>",
           f"INSERT DATA {{ GRAPH <{KGR}big-load> {{\n{data}}} }} ; LOAD SILENT <{url}> INTO GRAPH <{KGR}l>",
           f"INSERT DATA {{ GRAPH <{KGR}big-load> {{\n{data}}} }} ; LOAD SILENT <file://{local}> INTO GRAPH <{KGR}f>"]
    try:
        for q in queries:
            status, _, body = _sparql(server, q)
            assert status in (400, 403), (q, status, body)
            status, _, body = http("GET", server.base + "/", params={"query": q})  # the page runs queries too
            assert status in (400, 403), (q, status)
        for u in updates:
            status, _, body = _update(server, u)
            assert status in (400, 403), (u, status, body)
        for u in big:
            status, _, body = _update(server, u)
            assert status in (204, 400, 403, 500), (status, body)
        # An escaped quote ends no string, for the policy as for Oxigraph: the whole clause is one literal, data.
        status, _, body = _sparql(server, f'SELECT ?y {{ BIND("a\\u0022 AS ?x) SERVICE <{url}> {{ ?a ?b ?c }} '
                                          f'BIND(\\u0022" AS ?y) }}', Accept="application/sparql-results+json")
        assert status == 200 and f"SERVICE <{url}>" in json.loads(body)["results"]["bindings"][0]["y"]["value"]
        status, _, body = _sparql(server, f"ASK {{ <{KGR}secret> ?p ?o }}", Accept="application/sparql-results+json")
        assert status == 200 and json.loads(body)["boolean"] is False  # no local file was read either
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()


def test_load_silent_of_a_host_not_allowed_succeeds_and_fetches_nothing(server) -> None:
    # SPARQL 1.1 Update 3.1.4: SILENT makes a failed LOAD a success. Here it fails by policy, before any request.
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}/data.ttl"
    graph = f"{KGR}loaded-silently"
    try:
        for text in (f"LOAD SILENT <{url}>", f"LOAD SILENT <{url}> INTO GRAPH <{graph}>",
                     f"PREFIX e: <http://127.0.0.1:{listener.port}/> LOAD SILENT e:data.ttl ; "
                     f"LOAD SILENT <file:///etc/hostname> INTO GRAPH <{graph}>"):
            status, _, body = _update(server, text)
            assert status == 204, (text, status, body)
        status, _, body = _update(server, f"LOAD <{url}>")  # without SILENT: refused, as before
        assert status == 403 and b"LOAD is not allowed" in body, body
        # With other operations, the update runs in the writer, which can reach no host, as one transaction.
        status, _, body = _update(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <{KGR}x> <{KG}n> 1 }} }} ; "
                                          f"LOAD SILENT <{url}> INTO GRAPH <{graph}>")
        offline = b"cannot be put offline" not in server.log_path.read_bytes()
        assert status == (204 if offline else 403), body
        status, _, body = _sparql(server, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                                  Accept="application/sparql-results+json")
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == ("1" if offline else "0")
        time.sleep(0.3)  # a connection would have been accepted by now
        assert listener.connections == 0
    finally:
        listener.close()
        _update(server, f"DROP SILENT GRAPH <{graph}>")


def test_language_tagged_at_service_literal_is_data(server) -> None:
    """A literal that merely reads "@service" or "@load" is data, not a request to fetch anything."""
    status, _, body = _sparql(server, 'SELECT * WHERE { BIND("@service"@en AS ?a) BIND("@load"@en AS ?b) }',
                              Accept="application/sparql-results+json")
    assert status == 200, body
    assert _update(server, f'INSERT DATA {{ GRAPH <{KGR}lit> {{ <{KGR}x> <{KG}note> "@service"@en, "@load"@fr }} }}'
                   )[0] == 204


def _bindings(server, query: str) -> list[dict]:
    status, _, body = _sparql(server, query, Accept="application/sparql-results+json")
    assert status == 200, (query, body)
    return json.loads(body)["results"]["bindings"]


def test_service_and_load_as_language_tags_prefixes_and_variables_are_no_calls(server) -> None:
    """`"x"@service`, a prefix or a variable named service or load: names, not the keywords (checked on the parse)."""
    rows = _bindings(server, 'SELECT ?x WHERE { VALUES ?x { "x"@service "y"@load } }')
    assert sorted((r["x"]["value"], r["x"]["xml:lang"]) for r in rows) == [("x", "service"), ("y", "load")]
    rows = _bindings(server, "PREFIX service: <http://example.org/s#> PREFIX load: <http://example.org/l#>\n"
                             "SELECT ?service ?load { BIND(service:load AS ?service) BIND(load:service AS ?load) }")
    assert rows == [{"service": {"type": "uri", "value": "http://example.org/s#load"},
                     "load": {"type": "uri", "value": "http://example.org/l#service"}}]
    assert _update(server, f'PREFIX service: <{KGR}> INSERT DATA {{ GRAPH service:tags {{ service:y <{KG}note> '
                           f'"x"@service, "y"@load }} }}')[0] == 204
    rows = _bindings(server, f"SELECT ?load WHERE {{ GRAPH <{KGR}tags> {{ ?service <{KG}note> ?load }} }}")
    assert sorted(r["load"]["xml:lang"] for r in rows) == ["load", "service"]


def test_escapes_in_strings_and_iris_are_read_as_oxigraph_reads_them(server) -> None:
    rows = _bindings(server, 'SELECT ?a ?b ?i { BIND("\\u00e9\\U0001F46A" AS ?a) BIND("say \\u0022hi\\u0022" AS ?b) '
                             'BIND(<http://example.org/\\u0061b> AS ?i) }')
    assert rows == [{"a": {"type": "literal", "value": "\u00e9\U0001F46A"},
                     "b": {"type": "literal", "value": 'say "hi"'},
                     "i": {"type": "uri", "value": "http://example.org/ab"}}]
    # No SPARQL for Oxigraph either: an escape outside a string, and one of no character.
    for query in ("SELECT * WHERE { ?s ?p \\u005cU00000031 }", "SELECT * WHERE { ?s ?p '\\uD800' }"):
        assert _sparql(server, query)[0] == 400, query


# -- only http(s) links ---------------------------------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "action", "formaction", "xlink:href")]


def test_no_script_or_data_link_on_any_page(server) -> None:
    article = KGR + "article/evil"
    turtle = (f'<{article}> a <{KG}Article> ; <{SCHEMA}headline> "evil" ; <{SCHEMA}url> <javascript:alert(1)> ;\n'
              f'  <{SCHEMA}about> <data:text/html,hi> , <JaVaScRiPt:alert(2)> .')
    assert http("PUT", server.base + "/graph-store", params={"graph": article}, data=turtle,
                headers={"Content-Type": "text/turtle", **AUTH})[0] in (201, 204)
    pages = ["/", "/resource?iri=" + urllib.parse.quote("javascript:alert(1)"),
             "/resource?iri=" + urllib.parse.quote("data:text/html,<script>alert(1)</script>"),
             "/resource?iri=" + urllib.parse.quote(article),
             "/?query=" + urllib.parse.quote(f"SELECT * WHERE {{ GRAPH <{article}> {{ ?s ?p ?o }} }}"),
             "/explore/", "/explore/article?iri=" + urllib.parse.quote(article),
             "/explore/entity?iri=" + urllib.parse.quote("javascript:alert(1)")]
    seen = 0
    for page in pages:
        status, headers, body = http("GET", server.base + page, headers={"Accept": "text/html"})
        if not headers.get("content-type", "").startswith("text/html"):
            continue
        seen += 1
        assert headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        parser = _Links()
        parser.feed(body.decode("utf-8"))
        bad = [u for u in parser.urls if u.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
        assert not bad, (page, bad)
        if page.startswith("/explore/article"):
            assert status == 200 and b"javascript:alert(1)" in body  # shown, as text
    assert seen >= 6


# -- bounded cost -----------------------------------------------------------------------------------------------------
def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def test_caps_hold_and_the_server_answers_afterwards(server) -> None:
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(server.proc.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        # A result multiplied by a cross product: cut by the response size limit, with a message.
        status, _, body = _sparql(server, f"SELECT * WHERE {{ ?a <{KG}n> ?x . ?b <{KG}n> ?y }}")
        assert status == 500 and b"response limit" in body and b"--max-response-bytes" in body
        # Sorting a cross product: the worker passes the memory limit, is stopped and replaced.
        values = " ".join(f"VALUES ?v{i} {{ {' '.join(str(j) for j in range(40))} }}" for i in range(6))
        status, _, body = _sparql(server, f"SELECT * WHERE {{ {values} }} ORDER BY DESC(?v5) LIMIT 1")
        assert status == 503, body
        # An update gets the same time limit as a query; nothing of it is written.
        status, _, body = _update(server, f"INSERT {{ GRAPH <{KGR}big> {{ ?a <{KG}m> ?z }} }} WHERE "
                                          f"{{ GRAPH ?g {{ ?a <{KG}n> ?x . ?b <{KG}n> ?y . ?c <{KG}n> ?z }} }}")
        assert status == 503 and b"time limit" in body, body
    finally:
        stop.set()
        watcher.join()
    assert 0 < peak[0] < 2 * MEMORY_CAP, peak[0]
    status, _, body = _sparql(server, f"ASK {{ GRAPH <{KGR}big> {{ ?s ?p ?o }} }}",
                              Accept="application/sparql-results+json")
    assert status == 200 and json.loads(body)["boolean"] is False
    assert http("GET", server.base + "/health")[0] == 200
    assert _update(server, f"INSERT DATA {{ GRAPH <{KGR}after> {{ <{KGR}a> <{KG}n> 1 }} }}")[0] == 204


@pytest.mark.parametrize(("path", "params"), [
    ("/sparql", {"query": f"CONSTRUCT WHERE {{ ?s <{KG}n> ?o }}", "format": "turtle"}),  # cut while being read
    ("/graph-store", {"graph": KGR + "article/bulk", "format": "ntriples"}),
])
def test_a_graph_larger_than_the_response_limit_is_refused_with_the_option_to_raise_it(server, path: str,
                                                                                       params: dict) -> None:
    status, headers, body = http("GET", server.base + path, params=params)  # 3000 triples: some 200 KB, cap 100 KB
    assert status == 500 and b"response limit (100000 bytes" in body and b"--max-response-bytes" in body, body
    assert headers["content-type"].startswith("text/plain")


def test_graph_store_reads_do_not_wait_behind_a_running_update(server) -> None:
    gs, nt = server.base + "/graph-store", {"Accept": "application/n-triples"}
    small = {"graph": KGR + "small"}
    data = "".join(f"<{KGR}s/{i}> <{KG}n> {i} .\n" for i in range(5))
    assert http("PUT", gs, params=small, data=data, headers={"Content-Type": "text/turtle", **AUTH}
                )[0] in (201, 204)
    assert http("GET", gs, params=small, headers=nt)[0] == 200  # now the readers' checkpoint has every write
    runaway = (f"INSERT {{ GRAPH <{KGR}big> {{ ?a <{KG}m> ?z }} }} WHERE "
               f"{{ GRAPH ?g {{ ?a <{KG}n> ?x . ?b <{KG}n> ?y . ?c <{KG}n> ?z }} }}")
    update: list[tuple] = []
    writer = threading.Thread(target=lambda: update.append(_update(server, runaway)))
    writer.start()
    try:
        time.sleep(0.5)  # the update reaches the writer, which holds it until the 3 s time limit stops it
        status, _, body = http("GET", gs, params=small, headers=nt)
        missing = http("GET", gs, params={"graph": KGR + "no-such-graph"}, headers=nt)[0]
        head = http("HEAD", gs, params=small, headers=nt)[0]
        answered_while_the_update_ran = writer.is_alive()
    finally:
        writer.join()
    assert (status, missing, head) == (200, 404, 200) and body.count(b"\n") == 5
    # Asking whether a graph exists went to a reader, not to the writer (which would have answered after the update).
    assert answered_while_the_update_ran
    assert update[0][0] == 503 and b"time limit" in update[0][2], update


def test_big_literal_is_an_error_message(server) -> None:
    literal = "x" * (15 * 1024 * 1024)
    status, headers, body = http("POST", server.base + "/sparql", data=f'SELECT ("{literal}" AS ?x) {{}}',
                                 headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert status in (400, 413, 500, 503) and headers["content-type"].startswith("text/plain")
    assert b"MemoryError" not in body and b"Traceback" not in body and len(body) < 2000
    assert http("GET", server.base + "/health")[0] == 200


# -- headers ---------------------------------------------------------------------------------------------------------
def test_cors_lets_pages_read_but_not_write(server) -> None:
    status, headers, _ = http("OPTIONS", server.base + "/sparql", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization"})
    assert "PUT" not in headers["access-control-allow-methods"]
    assert "authorization" not in headers["access-control-allow-headers"].lower()
    assert "POST" in headers["access-control-allow-methods"]


def test_service_description_names_the_configured_url_not_the_host_header(server) -> None:
    status, _, body = http("GET", server.base + "/sparql", headers={"Accept": "text/turtle", "Host": "evil.example"})
    assert status == 200 and b"evil.example" not in body
    assert f"http://kg.example:{server.port}/sparql".encode() in body


# -- the protocol's edges --------------------------------------------------------------------------------------------
def test_protocol_edges(server) -> None:
    base = server.base + "/sparql"
    ask = "ASK { ?s ?p ?o }"
    assert http("GET", base, params={"query": [ask, ask]})[0] == 400
    data = urllib.parse.urlencode({"query": [ask, ask]}, doseq=True).encode()
    assert http("POST", base, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 400
    data = urllib.parse.urlencode({"query": ask, "update": "CLEAR ALL"}).encode()
    assert http("POST", base, data=data, headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH}
                )[0] == 400
    data = urllib.parse.urlencode({"update": ["CLEAR SILENT GRAPH <http://a/>"] * 2}).encode()
    assert http("POST", base, data=data, headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH}
                )[0] == 400
    assert http("GET", base, params={"query": ask, "default-graph-uri": "not an iri"})[0] == 400
    status, headers, body = http("HEAD", base, params={"query": ask})
    assert status == 200 and body == b"" and headers["content-type"].startswith("application/sparql-results+json")
    construct = f"CONSTRUCT WHERE {{ <{KGR}thing/1> ?p ?o }}"
    for name, media in (("rdf+xml", "application/rdf+xml"), ("xml", "application/rdf+xml"), ("n3", "text/n3"),
                        ("json-ld", "application/ld+json"), ("turtle", "text/turtle"), ("rdf", "application/rdf+xml")):
        status, headers, _ = http("GET", base, params={"query": construct, "format": name})
        assert status == 200 and headers["content-type"].startswith(media), name
    # Valid SPARQL the engine does not run: refused, saying which function, without Python's words for it.
    status, _, body = http("GET", base, params={"query": "SELECT (<http://example.org/f>(1) AS ?x) {}"})
    assert status == 500 and b"<http://example.org/f> is not supported" in body and b"Error" not in body, body
    unknown = "BIND(<http://example.org/f>(1) AS ?x)"
    status, _, body = _update(server, f"INSERT {{ <http://a> <http://b> ?x }} WHERE {{ {unknown} }}")
    assert status == 500 and b"<http://example.org/f> is not supported" in body and b"Error" not in body, body
    status, _, body = http("GET", base, params={"query": "SELECT ?x { BIND(<rel> AS ?x) }", "format": "json"})
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == f"http://kg.example:{server.port}/rel"


def test_dataset_of_the_query_is_the_dataset(server) -> None:
    count = "SELECT (COUNT(*) AS ?n) {} WHERE { ?s ?p ?o }"
    def n(query: str, **params: object) -> int:
        status, _, body = http("GET", server.base + "/sparql", params={"query": query, **params},
                               headers={"Accept": "application/sparql-results+json"})
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    bulk = KGR + "article/bulk"
    assert n(count.replace("{}", "")) >= 3001  # the union: no dataset named
    assert n(count.replace("{}", f"FROM <{KGR}nothing>")) == 0
    assert n(count.replace("{}", f"FROM <{bulk}>")) == 3001
    assert n(count.replace("{}", ""), **{"named-graph-uri": bulk}) == 0  # named graphs only: empty default graph


def test_update_naming_no_graphs_reads_and_writes_the_stores_own_default_graph(server) -> None:
    """In union mode a query without a dataset reads the union; an update without USING, WITH or using-graph-uri
    reads and writes the store's own default graph, so its WHERE and its templates mean the same graph."""
    one, copy = f"<{KGR}thing/1> <{KG}n> ?o", f"<{KGR}copy-of-one>"
    def copied() -> bool:
        _, _, body = _sparql(server, f"ASK {{ GRAPH {copy} {{ ?s ?p ?o }} }}", Accept="application/sparql-results+json")
        return json.loads(body)["boolean"]
    assert _update(server, f"DELETE WHERE {{ {one} }}")[0] == 204  # matches nothing: the article graph is intact
    assert _bindings(server, f"SELECT ?o WHERE {{ {one} }}") == [{"o": {"type": "literal", "value": "1"}}]
    assert _update(server, f"INSERT {{ GRAPH {copy} {{ {one} }} }} WHERE {{ {one} }}")[0] == 204
    assert not copied()
    bulk = f"<{KGR}article/bulk>"
    assert _update(server, f"INSERT {{ GRAPH {copy} {{ {one} }} }} USING {bulk} WHERE {{ {one} }}")[0] == 204
    assert copied()
    assert _update(server, f"DROP GRAPH {copy}")[0] == 204
    status, _, _ = http("POST", server.base + "/sparql", params={"using-graph-uri": f"{KGR}article/bulk"},
                        data=f"INSERT {{ GRAPH {copy} {{ {one} }} }} WHERE {{ {one} }}",
                        headers={"Content-Type": "application/sparql-update", **AUTH})
    assert status == 204 and copied()
    assert _update(server, f"DROP GRAPH {copy}")[0] == 204


def test_graph_store_default_graph_direct_urls_and_new_graphs(server) -> None:
    gs = server.base + "/graph-store"
    ttl = {"Content-Type": "text/turtle", **AUTH}
    status, headers, _ = http("PUT", gs, params={"default": ""}, data=f"<{KGR}d> <{KG}n> 1 .", headers=ttl)
    assert status in (201, 204) and "text/html" not in headers.get("content-type", "")
    status, _, body = http("GET", gs, params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert status == 200 and body.count(b"\n") == 1
    status, headers, _ = http("PUT", gs + "/people/1", data=f"<{KGR}p> <{KG}n> 2 .", headers=ttl)
    assert status == 201 and "text/html" not in headers.get("content-type", "")
    status, _, body = http("GET", server.base + "/sparql", params={
        "query": f"ASK {{ GRAPH <http://kg.example:{server.port}/graph-store/people/1> {{ ?s ?p 2 }} }}",
        "format": "json"})
    assert json.loads(body)["boolean"] is True
    status, headers, _ = http("POST", gs, data=f"<{KGR}q> <{KG}n> 3 .", headers=ttl)
    assert status == 201 and headers["location"].startswith(f"http://kg.example:{server.port}/graph-store/")
    assert http("GET", headers["location"].replace(f"http://kg.example:{server.port}", server.base),
                headers={"Accept": "text/turtle"})[0] == 200
    assert http("DELETE", gs, params={"default": ""}, headers=AUTH)[0] == 204


# -- a full disk ------------------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_reported_and_writes_work_again_once_space_is_back(small_disk: Path, tmp_path: Path) -> None:
    _store(small_disk / "store")
    port = free_port()
    srv = kgbuild_serve(small_disk / "store", port, tmp_path / "server.log", token=TOKEN, workers=2, timeout=20.0)
    base = f"http://127.0.0.1:{port}"
    try:
        filler = small_disk / "filler"
        free = shutil.disk_usage(small_disk).free
        with open(filler, "wb") as fh:
            fh.truncate(0)
            fh.write(b"\0" * max(free - 256 * 1024, 0))
        big = "".join(f'<{KGR}t/{i}> <{KG}text> "{"y" * 200} {i}" .\n' for i in range(4000))
        nt = {"Content-Type": "application/n-triples", **AUTH}
        status, _, body = http("PUT", base + "/graph-store", params={"graph": KGR + "big"}, data=big, headers=nt)
        assert status == 507 and b"No space" in body and str(small_disk).encode() not in body, (status, body)
        status, _, body = http("GET", base + "/health")
        assert status == 503 and json.loads(body)["write_error"]
        filler.unlink()
        status, _, body = http("PUT", base + "/graph-store", params={"graph": KGR + "big"}, data=big, headers=nt)
        assert status in (201, 204), body
        status, _, body = http("GET", base + "/health")
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, _, body = http("GET", base + "/sparql", params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{KGR}big> {{ ?s ?p ?o }} }}", "format": "json"})
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "4000"
    finally:
        srv.stop()



def _fill(disk: Path) -> Path:
    """A file taking every free byte of `disk`."""
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def test_a_failed_checkpoint_is_reported_retried_after_a_write_and_not_on_every_read(small_disk: Path,
                                                                                      tmp_path: Path) -> None:
    _store(small_disk / "store")
    port, log = free_port(), tmp_path / "server.log"
    srv = kgbuild_serve(small_disk / "store", port, log, token=TOKEN, workers=2, timeout=20.0)
    base, gs, ttl = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/graph-store", {"Content-Type": "text/turtle",
                                                                                            **AUTH}
    try:
        assert http("PUT", gs, params={"graph": KGR + "a"}, data=f"<{KGR}a> <{KG}n> 1 .", headers=ttl)[0] == 201
        filler = _fill(small_disk)  # the checkpoint of that write needs the disk (RocksDB flushes first): it fails
        for _ in range(3):  # the readers answer from the last checkpoint, which is older than the write
            assert http("GET", gs, params={"graph": KGR + "a"})[0] == 404
        status, _, body = http("GET", base + "/health")
        assert status == 503 and json.loads(body)["status"] == "reads behind writes", body
        assert "No space" in json.loads(body)["checkpoint_error"], body
        filler.unlink()
        # Reads alone do not retry it yet (one attempt per 10 s): one failure, one warning, for four reads.
        assert log.read_text().count("cannot make a checkpoint") == 1
        # A write that works retries it at the next read.
        assert http("PUT", gs, params={"graph": KGR + "b"}, data=f"<{KGR}b> <{KG}n> 2 .", headers=ttl)[0] == 201
        assert [http("GET", gs, params={"graph": KGR + g})[0] for g in "ab"] == [200, 200]
        status, _, body = http("GET", base + "/health")
        assert status == 200 and "checkpoint_error" not in json.loads(body), body
    finally:
        srv.stop()


def test_a_client_cannot_retire_a_worker_by_naming_memory(tmp_path: Path) -> None:
    # A worker is replaced after a memory failure; that is decided on the failure, not on the error's text, which
    # quotes the query: a bad query saying "memory" must not cost the server a process start each time.
    import pyoxigraph as ox

    from kgbuild.endpoint_pool import _Worker

    ox.Store(str(tmp_path / "store")).flush()
    worker = _Worker()
    try:
        for sparql in ("SELECT * WHERE { ?s ?p ?o } memory", "SELECT (<urn:memory>(1) AS ?x) {}"):
            worker.conn.send(("query", 1, str(tmp_path / "store"), sparql, None, None, "json", None, 10, {}))
            reply = worker.conn.recv()
            assert reply[0] == "error" and "memory" in reply[2], reply
            with pytest.raises(subprocess.TimeoutExpired):  # still running: it did not retire
                worker.proc.wait(0.5)
    finally:
        worker.kill()


def test_an_update_past_the_memory_limit_writes_nothing_and_the_next_one_works(server) -> None:
    values = " ".join(f"VALUES ?v{i} {{ {' '.join(str(j) for j in range(40))} }}" for i in range(6))
    status, _, body = _update(server, f"INSERT {{ GRAPH <{KGR}oom> {{ <{KGR}x> <{KG}n> ?v5 }} }} WHERE "
                                      f"{{ {{ SELECT * WHERE {{ {values} }} ORDER BY DESC(?v5) LIMIT 1 }} }}")
    # Rust aborts the writer on the failed allocation: it is replaced, and the transaction was never committed.
    assert status == 503 and b"out of memory" in body and b"nothing was written" in body, (status, body)
    status, _, body = _sparql(server, f"ASK {{ GRAPH <{KGR}oom> {{ ?s ?p ?o }} }}",
                              Accept="application/sparql-results+json")
    assert json.loads(body)["boolean"] is False
    assert _update(server, f"INSERT DATA {{ GRAPH <{KGR}oom> {{ <{KGR}x> <{KG}n> 1 }} }}")[0] == 204
    assert _update(server, f"DROP GRAPH <{KGR}oom>")[0] == 204
