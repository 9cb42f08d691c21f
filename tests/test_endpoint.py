"""`kgbuild serve` over real HTTP: the server runs in its own process on a loopback port, as users run it."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
from conftest import EndpointServer as Server
from conftest import http

from kgbuild.store import ArticleGraph, Store

KG = "https://w3id.org/kgbuild/ontology#"
KGR = "https://w3id.org/kgbuild/resource/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
TOKEN = "s3cret-token"
A1, A2, BULK = KGR + "article/a1", KGR + "article/a2", KGR + "article/bulk"
MAX_ROWS = 1000


def _t(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


def _articles() -> list[ArticleGraph]:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    pk, cn, us = KGR + "state/PK", KGR + "state/CN", KGR + "state/US"
    a1 = [_t(pk, rdf_type, ox.NamedNode(KG + "State")), _t(pk, RDFS + "label", ox.Literal("Pakistan", language="en")),
          _t(cn, rdf_type, ox.NamedNode(KG + "State")), _t(cn, RDFS + "label", ox.Literal("China", language="en")),
          _t(A1, "http://schema.org/headline", ox.Literal("Pakistan and China meet"))]
    a2 = [_t(us, rdf_type, ox.NamedNode(KG + "State")), _t(us, RDFS + "label", ox.Literal("United States")),
          _t(A2, "http://schema.org/headline", ox.Literal("A second article"))]
    # Enough triples that a three-way cross product runs for hours: the runaway query of the timeout test.
    bulk = [_t(f"{KGR}thing/{i}", KG + "n", ox.Literal(str(i))) for i in range(3000)]
    return [ArticleGraph.of(A1, a1), ArticleGraph.of(A2, a2), ArticleGraph.of(BULK, bulk)]


def form(**fields: object) -> tuple[bytes, dict]:
    return urllib.parse.urlencode(fields, doseq=True).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    root = tmp_path_factory.mktemp("endpoint")
    with Store(root / "store") as store:
        store.put(_articles())
    srv = Server(root / "store", root / "server.log", timeout=1.0, token=TOKEN, max_rows=MAX_ROWS, workers=2,
                 max_request_bytes=1_000_000)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def readonly_server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    root = tmp_path_factory.mktemp("endpoint-ro")
    with Store(root / "store") as store:
        store.put(_articles()[:2])
    srv = Server(root / "store", root / "server.log", workers=2, allow_service_hosts=("127.0.0.1",))
    yield srv
    srv.stop()


def select(server: Server, query: str, **params: object) -> list[dict]:
    status, _, body = http("GET", server.base + "/sparql", params={"query": query, **params},
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return json.loads(body)["results"]["bindings"]


STATES = f"SELECT ?l WHERE {{ ?s a <{KG}State> ; <{RDFS}label> ?l }} ORDER BY ?l"


# -- the protocol -----------------------------------------------------------------------------------------
def test_health(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/health")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["triples"] == 3000 + 5 + 3 + 3  # with one digest triple per article


def test_query_by_get_form_and_direct_post_agree(server: Server) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    got = [http("GET", server.base + "/sparql", params={"query": STATES}, headers=accept)]
    data, headers = form(query=STATES)
    got.append(http("POST", server.base + "/sparql", data=data, headers={**headers, **accept}))
    got.append(http("POST", server.base + "/sparql", data=STATES,
                    headers={"Content-Type": "application/sparql-query", **accept}))
    labels = [[b["l"]["value"] for b in json.loads(body)["results"]["bindings"]] for _, _, body in got]
    assert all(status == 200 for status, _, _ in got)
    assert labels == [["China", "Pakistan", "United States"]] * 3  # the union of the article graphs


def test_dataset_parameters(server: Server) -> None:
    assert [b["l"]["value"] for b in select(server, STATES, **{"default-graph-uri": A2})] == ["United States"]
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    rows = select(server, q, **{"named-graph-uri": [A1, A2]})
    assert {r["g"]["value"] for r in rows} == {A1, A2}


@pytest.mark.parametrize(("accept", "fmt", "ctype", "check"), [
    (None, None, "application/sparql-results+json", lambda b: json.loads(b)["head"]["vars"] == ["l"]),
    ("application/sparql-results+xml", None, "application/sparql-results+xml", lambda b: b"<sparql" in b),
    ("text/csv", None, "text/csv", lambda b: b.splitlines()[0].strip() == b"l" and b"Pakistan" in b),
    ("text/tab-separated-values", None, "text/tab-separated-values", lambda b: b'"Pakistan"@en' in b),
    ("text/html", "csv", "text/csv", lambda b: b"China" in b),  # format= wins over Accept, for browsers
    ("*/*", None, "application/sparql-results+json", lambda b: json.loads(b)["results"]),
])
def test_select_formats(server: Server, accept: str | None, fmt: str | None, ctype: str, check: object) -> None:
    params = {"query": STATES, **({"format": fmt} if fmt else {})}
    status, headers, body = http("GET", server.base + "/sparql", params=params,
                                 headers={"Accept": accept} if accept else {})
    assert status == 200, body
    assert headers["content-type"].startswith(ctype)
    assert check(body)


def test_ask_and_unacceptable_format(server: Server) -> None:
    status, _, body = http("GET", server.base + "/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, _ = http("GET", server.base + "/sparql", params={"query": STATES}, headers={"Accept": "image/png"})
    assert status == 406


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG),
])
def test_construct_formats(server: Server, accept: str, fmt: ox.RdfFormat) -> None:
    query = f"CONSTRUCT {{ ?s <{RDFS}label> ?l }} WHERE {{ ?s <{RDFS}label> ?l }}"
    status, headers, body = http("GET", server.base + "/sparql", params={"query": query}, headers={"Accept": accept})
    assert status == 200, body
    assert headers["content-type"].startswith(accept)
    assert len(list(ox.parse(body, fmt))) == 3


def test_describe_defaults_to_turtle(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/sparql", params={"query": f"DESCRIBE <{KGR}state/PK>"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(body, ox.RdfFormat.TURTLE))) == 2


def test_service_description(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    triples = list(ox.parse(body, ox.RdfFormat.TURTLE))
    assert any(t.object == ox.NamedNode(sd + "Service") for t in triples)
    assert any(t.object == ox.NamedNode(sd + "UnionDefaultGraph") for t in triples)
    status, headers, body = http("GET", server.base + "/sparql", headers={"Accept": "application/n-triples"})
    assert status == 200 and len(list(ox.parse(body, ox.RdfFormat.N_TRIPLES))) == len(triples)


# -- safety -----------------------------------------------------------------------------------------------
def test_malformed_query_is_400_with_the_parser_message(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert b"line 1, column 25: expected" in body and b"Traceback" not in body


def test_row_cap(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert headers["x-kgbuild-truncated"].startswith("true")
    assert json.loads(body)["truncated"] is True and json.loads(body)["maxRows"] == MAX_ROWS  # the body says so too
    status, headers, body = http("GET", server.base + "/sparql", params={"query": STATES})
    assert "x-kgbuild-truncated" not in headers and "truncated" not in json.loads(body)


def test_request_size_limit(server: Server) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_200_000
    status, _, _ = http("POST", server.base + "/sparql", data=big, headers={"Content-Type": "application/sparql-query"})
    assert status == 413


def test_service_and_load_refused(server: Server, readonly_server: Server) -> None:
    for query in ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
                  "PREFIX ex: <http://example.org/> SELECT * WHERE { SERVICE SILENT ex:sparql { ?s ?p ?o } }",
                  "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }"):
        status, _, body = http("GET", server.base + "/sparql", params={"query": query})
        assert status == 403, (query, body)
    # An escape outside a string is no SPARQL for Oxigraph; the policy's parser cannot read it either: refused.
    query = "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    assert http("GET", server.base + "/sparql", params={"query": query})[0] == 400
    # A keyword inside a string or an IRI is no SERVICE call.
    ok = 'SELECT * WHERE { ?s ?p "SERVICE <http://example.org/>" } LIMIT 1'
    assert http("GET", server.base + "/sparql", params={"query": ok})[0] == 200
    status, _, _ = http("POST", server.base + "/sparql", data="LOAD <http://example.org/data.ttl>",
                        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert status == 403
    # An allowed host is reached: the read-only server federates with itself.
    query = f"SELECT ?l WHERE {{ SERVICE <{readonly_server.base}/sparql> {{ ?s <{RDFS}label> ?l }} }}"
    status, _, body = http("GET", readonly_server.base + "/sparql", params={"query": query})
    assert status == 200, body
    assert len(json.loads(body)["results"]["bindings"]) == 3


def test_cors(server: Server) -> None:
    status, headers, _ = http("GET", server.base + "/sparql", params={"query": STATES},
                              headers={"Origin": "https://yasgui.example"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    status, headers, _ = http("OPTIONS", server.base + "/sparql", headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert status in (200, 204) and "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def test_timeout_stops_the_query_and_others_still_answer(server: Server) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    result: dict[str, object] = {}

    def run() -> None:
        t0 = time.monotonic()
        result["status"], _, result["body"] = http("GET", server.base + "/sparql", params={"query": runaway})
        result["seconds"] = time.monotonic() - t0

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)
    answered = 0
    while thread.is_alive():  # the other worker keeps answering while the runaway one is busy
        t0 = time.monotonic()
        assert len(select(server, STATES)) == 3
        assert time.monotonic() - t0 < 0.5
        answered += 1
    thread.join()
    assert result["status"] == 503 and b"stopped" in result["body"]
    assert result["seconds"] < 3
    assert answered > 3
    # The killed worker is replaced: the server keeps its full strength.
    time.sleep(1.0)
    with ThreadPoolExecutor(4) as pool:
        assert all(len(rows) == 3 for rows in pool.map(lambda _: select(server, STATES), range(20)))


def test_200_concurrent_queries_from_16_threads(server: Server) -> None:
    queries = [STATES, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{KG}n> ?o }}", "ASK { ?s ?p ?o }"]

    def one(i: int) -> int:
        return http("GET", server.base + "/sparql", params={"query": queries[i % 3]})[0]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200


def test_access_log_is_json_lines_with_query_time(server: Server) -> None:
    select(server, STATES)
    time.sleep(0.2)
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    hits = [r for r in records if r["path"] == "/sparql" and r["kind"] == "select" and r["status"] == 200]
    assert hits and {"method", "status", "ms", "rows"} <= hits[-1].keys() and hits[-1]["rows"] == 3


# -- writes -----------------------------------------------------------------------------------------------
def test_updates_need_the_token(server: Server, readonly_server: Server) -> None:
    update = f'INSERT DATA {{ GRAPH <{KGR}article/u1> {{ <{KGR}x> <{RDFS}label> "x" }} }}'
    direct = {"Content-Type": "application/sparql-update"}
    assert http("POST", server.base + "/sparql", data=update, headers=direct)[0] == 401
    assert http("POST", server.base + "/sparql", data=update,
                headers={**direct, "Authorization": "Bearer wrong"})[0] == 403
    assert http("POST", readonly_server.base + "/sparql", data=update,
                headers={**direct, "Authorization": f"Bearer {TOKEN}"})[0] == 403
    assert select(server, f"SELECT * WHERE {{ <{KGR}x> ?p ?o }}") == []
    status, _, body = http("POST", server.base + "/sparql", data=update,
                           headers={**direct, "Authorization": f"Bearer {TOKEN}"})
    assert status in (200, 204), body
    assert len(select(server, f"SELECT * WHERE {{ <{KGR}x> ?p ?o }}")) == 1
    data, headers = form(update=f"DROP GRAPH <{KGR}article/u1>")
    assert http("POST", server.base + "/sparql", data=data,
                headers={**headers, "Authorization": f"Bearer {TOKEN}"})[0] in (200, 204)
    assert select(server, f"SELECT * WHERE {{ <{KGR}x> ?p ?o }}") == []
    status, _, body = http("POST", server.base + "/sparql", data="INSERT DATA { oops",
                           headers={**direct, "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and b"Traceback" not in body
    assert http("GET", server.base + "/sparql", params={"update": update})[0] in (400, 405)


def test_graph_store_protocol(server: Server) -> None:
    gs = server.base + "/graph-store"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, headers, body = http("GET", gs, params={"graph": A1}, headers={"Accept": "application/n-triples"})
    assert status == 200 and len(list(ox.parse(body, ox.RdfFormat.N_TRIPLES))) == 6
    assert http("GET", gs, params={"graph": KGR + "article/none"})[0] == 404
    status, headers, body = http("GET", gs, params={"default": ""})
    assert status == 200 and headers["content-type"].startswith("text/turtle")

    new = KGR + "article/gsp"
    turtle = f'<{KGR}y> <{RDFS}label> "y" ; <{KG}n> 1 .'
    ttl = {"Content-Type": "text/turtle"}
    assert http("PUT", gs, params={"graph": new}, data=turtle, headers=ttl)[0] == 401
    assert http("PUT", gs, params={"graph": new}, data=turtle, headers={**ttl, "Authorization": "Bearer no"})[0] == 403
    assert http("PUT", gs, params={"graph": new}, data=turtle, headers={**ttl, **auth})[0] == 201
    assert http("PUT", gs, params={"graph": new}, data=turtle, headers={**ttl, **auth})[0] in (200, 204)
    assert http("POST", gs, params={"graph": new}, data=f'<{KGR}y> <{KG}n> "2" .',
                headers={"Content-Type": "application/n-triples", **auth})[0] in (200, 204)
    status, _, body = http("GET", gs, params={"graph": new}, headers={"Accept": "text/turtle"})
    assert status == 200 and len(list(ox.parse(body, ox.RdfFormat.TURTLE))) == 3, body
    assert http("PUT", gs, params={"graph": new}, data="not turtle <", headers={**ttl, **auth})[0] == 400
    assert http("PUT", gs, params={"graph": new}, data=turtle,
                headers={"Content-Type": "image/png", **auth})[0] == 415
    assert http("DELETE", gs, params={"graph": new})[0] == 401
    assert http("DELETE", gs, params={"graph": new}, headers=auth)[0] in (200, 204)
    assert http("GET", gs, params={"graph": new})[0] == 404


def test_readers_never_see_half_a_write(server: Server) -> None:
    """A writer replaces a 200-triple graph again and again; every read sees all of one version."""
    graph, n = KGR + "article/atomic", 200
    stop = threading.Event()
    errors: list[str] = []

    def write() -> None:
        version = 0
        while not stop.is_set():
            version += 1
            body = "".join(f'<{KGR}t/{i}> <{KG}version> "{version}" .\n' for i in range(n))
            status = http("PUT", server.base + "/graph-store", params={"graph": graph}, data=body,
                          headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"})[0]
            if status not in (201, 204):
                errors.append(f"PUT {status}")

    writer = threading.Thread(target=write)
    writer.start()
    query = (f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?v) AS ?d) WHERE {{ GRAPH <{graph}> "
             f"{{ ?s <{KG}version> ?v }} }}")
    seen = set()
    try:
        for _ in range(60):
            row = select(server, query)[0]
            seen.add((int(row["n"]["value"]), int(row["d"]["value"])))
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert seen <= {(0, 0), (n, 1)}, seen
    assert (n, 1) in seen
    http("DELETE", server.base + "/graph-store", params={"graph": graph}, headers={"Authorization": f"Bearer {TOKEN}"})


# -- the page ---------------------------------------------------------------------------------------------
def test_query_page(server: Server) -> None:
    status, headers, body = http("GET", server.base + "/")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert page.count('href="/?example=cq0') == 8 and "<textarea" in page and "<form" in page
    status, _, body = http("GET", server.base + "/?example=cq01-states")
    assert "Which states does the graph know?" in body.decode()
    data, headers = form(query=f"SELECT ?s ?l WHERE {{ ?s a <{KG}State> ; <{RDFS}label> ?l }}")
    status, _, body = http("POST", server.base + "/", data=data, headers=headers)
    page = body.decode()
    assert status == 200 and "Pakistan" in page
    assert "/resource?iri=https%3A//w3id.org/kgbuild/resource/state/PK" in page
    assert "format=csv" in page and "format=tsv" in page
    status, _, body = http("POST", server.base + "/", data=form(query="SELECT nonsense")[0], headers=headers)
    assert status == 400 and "malformed query" in body.decode()


def test_resource_page_describes_the_iri(server: Server) -> None:
    status, _, body = http("GET", server.base + "/resource", params={"iri": KGR + "state/PK"})
    page = body.decode()
    assert status == 200 and "Pakistan" in page and "kg:State" in page
    assert "format=turtle" in page


def test_browser_get_on_sparql_gets_html(server: Server) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    status, headers, body = http("GET", server.base + "/sparql", params={"query": STATES}, headers=browser)
    assert status == 200 and headers["content-type"].startswith("text/html") and b"Pakistan" in body


# -- real clients -----------------------------------------------------------------------------------------
def test_sparqlwrapper(server: Server) -> None:
    sparqlwrapper = pytest.importorskip("SPARQLWrapper")
    for fmt in (sparqlwrapper.JSON, sparqlwrapper.XML):
        client = sparqlwrapper.SPARQLWrapper(server.base + "/sparql")
        client.setQuery(STATES)
        client.setReturnFormat(fmt)
        result = client.query().convert()
        if fmt == sparqlwrapper.JSON:
            assert [b["l"]["value"] for b in result["results"]["bindings"]] == ["China", "Pakistan", "United States"]
        else:
            assert len(result.getElementsByTagName("result")) == 3
    client = sparqlwrapper.SPARQLWrapper(server.base + "/sparql")
    client.setMethod(sparqlwrapper.POST)
    client.setQuery(f"CONSTRUCT WHERE {{ <{KGR}state/PK> ?p ?o }}")
    client.setReturnFormat(sparqlwrapper.TURTLE)
    graph = client.queryAndConvert()
    assert b"Pakistan" in graph


def test_rdflib_sparqlstore(server: Server) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(SPARQLStore(server.base + "/sparql"))
    labels = sorted(str(row[0]) for row in graph.query(STATES))
    assert labels == ["China", "Pakistan", "United States"]
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True


# -- the protocol's refusals and less used forms ------------------------------------------------------------
ASK_ANY = "ASK { ?s ?p ?o }"
CONSTRUCT_LABELS = f"CONSTRUCT {{ ?s <{RDFS}label> ?l }} WHERE {{ ?s <{RDFS}label> ?l }}"


@pytest.mark.parametrize(("method", "params", "headers", "data", "status", "says"), [
    # SPARQL is UTF-8: a body in another charset is refused, not misread; bytes that are no UTF-8 are a bad request.
    ("POST", {}, {"Content-Type": "application/sparql-query; charset=ISO-8859-1"}, b"ASK {}", 415,
     b"UTF-8, not iso-8859-1"),
    ("POST", {}, {"Content-Type": "application/sparql-query"}, b'ASK { ?s ?p "\xe9" }', 400, b"not UTF-8"),
    ("POST", {}, {"Content-Type": "text/plain"}, ASK_ANY.encode(), 415, b"application/sparql-query"),
    # Each query form answers 406 when the client accepts none of its formats, naming one it could accept.
    ("GET", {"query": ASK_ANY}, {"Accept": "text/turtle"}, None, 406, b"ASK result"),
    ("GET", {"query": CONSTRUCT_LABELS}, {"Accept": "application/sparql-results+json"}, None, 406, b"text/turtle"),
    ("GET", {}, {"Accept": "application/sparql-results+json"}, None, 406, b"service description is RDF"),
    # Werkzeug's own errors are plain text too, with their headers (Allow).
    ("PUT", {"query": ASK_ANY}, {}, b"", 405, b"405 Method Not Allowed"),
])
def test_sparql_refusals(server: Server, method: str, params: dict, headers: dict, data: bytes | None, status: int,
                         says: bytes) -> None:
    got, answer_headers, body = http(method, server.base + "/sparql", params=params, data=data, headers=headers)
    assert got == status and says in body, body
    assert answer_headers["content-type"].startswith("text/plain")
    if status == 405:
        assert set(answer_headers["allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "POST"}


@pytest.mark.parametrize(("text", "says"), [
    ("SELECT * WHERE { ?s ?p ?o } GROUP BY ?s", b"SELECT * is not authorized with GROUP BY"),
    (f"INSERT DATA {{ GRAPH <{KGR}article/v> {{ <{KGR}v> <{RDFS}label> ?x }} }}", b"Variables are not allowed"),
])
def test_what_oxigraph_refuses_after_the_policy_read_it_is_a_400_with_oxigraph_s_reason(server: Server, text: str,
                                                                                       says: bytes) -> None:
    # rdflib's grammar (the policy) reads both; Oxigraph does not: the client hears why, and nothing is written.
    kind = "update" if text.startswith("INSERT") else "query"
    status, _, body = http("POST", server.base + "/sparql", data=text,
                           headers={"Content-Type": f"application/sparql-{kind}", "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and f"malformed {kind}".encode() in body and says in body, body
    assert select(server, f"SELECT * WHERE {{ GRAPH <{KGR}article/v> {{ ?s ?p ?o }} }}") == []


def test_a_post_form_may_carry_the_query_in_the_url(server: Server) -> None:
    status, _, body = http("POST", server.base + "/sparql", params={"query": STATES}, data=b"",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3


@pytest.mark.parametrize(("fmt", "ctype"), [("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_ask_in_csv_and_tsv_is_the_bare_word(server: Server, fmt: str, ctype: str) -> None:
    for query, word in ((ASK_ANY, b"true\n"), (f"ASK {{ <{KGR}nothing> ?p ?o }}", b"false\n")):
        status, headers, body = http("GET", server.base + "/sparql", params={"query": query, "format": fmt})
        assert (status, body) == (200, word) and headers["content-type"].startswith(ctype)


@pytest.mark.parametrize(("query", "fmt", "filename"), [
    (STATES, "csv", "result.csv"), (CONSTRUCT_LABELS, "turtle", "result.ttl"), (STATES, "json", "result.srj"),
])
def test_download_names_the_file_by_its_format(server: Server, query: str, fmt: str, filename: str) -> None:
    status, headers, _ = http("GET", server.base + "/sparql", params={"query": query, "format": fmt, "download": "1"})
    assert status == 200 and headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert "content-disposition" not in http("GET", server.base + "/sparql", params={"query": query, "format": fmt})[1]


@pytest.mark.parametrize("accept", ["application/n-quads", "application/trig"])
def test_service_description_in_a_dataset_format_is_in_the_default_graph(server: Server, accept: str) -> None:
    status, headers, body = http("GET", server.base + "/sparql", headers={"Accept": accept})
    assert status == 200 and headers["content-type"].startswith(accept)
    quads = list(ox.parse(body, ox.RdfFormat.from_media_type(accept)))
    assert quads and all(q.graph_name == ox.DefaultGraph() for q in quads)
    assert ox.NamedNode(server.base + "/sparql") in {q.object for q in quads}


@pytest.mark.parametrize(("method", "params", "headers", "data", "status", "says"), [
    ("GET", {"default": "", "graph": A1}, {}, None, 400, b"name one graph"),
    ("GET", {}, {}, None, 400, b"name the graph"),
    ("GET", {"graph": "not an iri"}, {}, None, 400, b"not an IRI"),
    ("GET", {"graph": A1}, {"Accept": "application/sparql-results+json"}, None, 406, b"a graph is RDF"),
    ("DELETE", {"graph": KGR + "article/never-made"}, {"Authorization": f"Bearer {TOKEN}"}, None, 404, b"no graph"),
    ("PUT", {"graph": KGR + "article/q"}, {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/n-quads"},
     b"", 415, b"text/turtle"),
    ("POST", {"graph": KGR + "article/form"}, {"Authorization": f"Bearer {TOKEN}",
                                               "Content-Type": "multipart/form-data; boundary=b"},
     b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nnot a file\r\n--b--\r\n", 400, b"holds no file"),
])
def test_graph_store_refusals(server: Server, method: str, params: dict, headers: dict, data: bytes | None,
                              status: int, says: bytes) -> None:
    got, _, body = http(method, server.base + "/graph-store", params=params, headers=headers, data=data)
    assert got == status and says in body, body
    assert http("GET", server.base + "/graph-store", params={"graph": A1})[0] == 200  # nothing else changed


def test_graph_store_takes_the_files_of_a_form(server: Server) -> None:
    graph = KGR + "article/uploaded"
    files = [("a.ttl", "text/turtle", f'<{KGR}u1> <{RDFS}label> "one" .'),
             ("b.nt", "application/n-triples", f'<{KGR}u2> <{RDFS}label> "two" .\n')]
    body = b"".join(f'--b\r\nContent-Disposition: form-data; name="file{i}"; filename="{name}"\r\n'
                    f"Content-Type: {ctype}\r\n\r\n{text}\r\n".encode() for i, (name, ctype, text) in enumerate(files))
    status, _, answer = http("POST", server.base + "/graph-store", params={"graph": graph}, data=body + b"--b--\r\n",
                             headers={"Content-Type": "multipart/form-data; boundary=b",
                                      "Authorization": f"Bearer {TOKEN}"})
    try:
        assert status == 201, answer
        rows = select(server, f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s <{RDFS}label> ?l }} }} ORDER BY ?l")
        assert [r["l"]["value"] for r in rows] == ["one", "two"]
    finally:
        http("DELETE", server.base + "/graph-store", params={"graph": graph},
             headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.mark.parametrize(("update", "params", "says"), [
    (f"WITH <{A1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", {"using-graph-uri": A1},
     b"say the graphs in one place"),
    (f"DELETE {{ ?s ?p ?o }} USING <{A1}> WHERE {{ ?s ?p ?o }}", {"using-named-graph-uri": A2},
     b"say the graphs in one place"),
    ("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", {"using-graph-uri": "not an iri"}, b"not an IRI in using-graph-uri"),
])
def test_using_graph_parameters_that_cannot_apply_are_400_and_write_nothing(server: Server, update: str,
                                                                           params: dict, says: bytes) -> None:
    status, _, body = http("POST", server.base + "/sparql", params=params, data=update,
                           headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and says in body, body
    assert len(select(server, STATES)) == 3


def test_serving_a_store_that_is_not_there_without_a_token_is_an_error_naming_it(tmp_path) -> None:
    from kgbuild.endpoint import create_app
    from kgbuild.store import StoreError

    missing = tmp_path / "no-store"
    with pytest.raises(StoreError, match="no store here .*kgbuild build"):
        create_app(str(missing))
    assert not missing.exists()  # nothing made: with no token, nothing could ever fill it
