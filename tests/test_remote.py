"""Remote stores: a real `oxigraph serve` and our own `kgbuild serve` used through `--store http://...`."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import EndpointServer, free_port

from kgbuild.cli import main
from kgbuild.remote import RemoteStore
from kgbuild.store import ArticleGraph, Store, StoreError, open_store

KG = "https://w3id.org/kgbuild/ontology#"
KGR = "https://w3id.org/kgbuild/resource/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TOKEN = "remote-test-token"


@contextlib.contextmanager
def running_kgbuild(folder: Path, **options: object) -> Iterator[str]:
    """`kgbuild serve` with an update token, over an empty store in `folder`."""
    server = EndpointServer(folder / "served", folder / "serve.log", token=TOKEN, workers=2, **options)
    try:
        yield server.base + "/"
    finally:
        server.stop()


@pytest.fixture
def kgbuild_server(tmp_path: Path) -> Iterator[str]:
    with running_kgbuild(tmp_path) as url:
        yield url


def _t(s: str, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


def _graphs(version: int = 1) -> list[ArticleGraph]:
    a1, a2 = KGR + "article/r1", KGR + "article/r2"
    pk, cn = KGR + "state/PK", KGR + "state/CN"
    bnode = ox.BlankNode("b1")  # a fixed id: equal input, equal digest
    g1 = [_t(pk, RDF_TYPE, ox.NamedNode(KG + "State")), _t(pk, LABEL, ox.Literal("Pakistan", language="en")),
          _t(a1, "http://schema.org/headline", ox.Literal(f'Talks "in" Beijing\nv{version}')),
          ox.Triple(bnode, ox.NamedNode(LABEL), ox.Literal("a blank node"))]
    g2 = [_t(cn, RDF_TYPE, ox.NamedNode(KG + "State")), _t(cn, LABEL, ox.Literal("China", language="en"))]
    return [ArticleGraph.of(a1, g1), ArticleGraph.of(a2, g2)]


def _rows(result: object) -> list[tuple]:
    """Comparable rows: terms as N-Triples text, blank node ids blanked out."""
    if isinstance(result, ox.QueryBoolean):
        return [(bool(result),)]
    if not hasattr(result, "variables"):
        return sorted(tuple("_:" if isinstance(t, ox.BlankNode) else str(t) for t in tr) for tr in result)
    names = [v.value for v in result.variables]
    return sorted(tuple("_:" if isinstance(sol[n], ox.BlankNode) else str(sol[n]) for n in names) for sol in result)


# -- the store API against Oxigraph server -----------------------------------------------------------------------
def test_discovers_oxigraph_endpoints(oxigraph_server: str) -> None:
    store = open_store(oxigraph_server)
    assert isinstance(store, RemoteStore)
    assert store.query_url == oxigraph_server + "query"
    assert store.update_url == oxigraph_server + "update"
    assert store.graph_store_url() == oxigraph_server + "store"
    explicit = RemoteStore(oxigraph_server + "query#update=update&store=store")
    assert (explicit.update_url, explicit.graph_store_url()) == (store.update_url, oxigraph_server + "store")


def test_put_replaces_changed_graphs_and_keeps_unchanged(oxigraph_server: str) -> None:
    store = open_store(oxigraph_server)
    graphs = _graphs()
    assert store.put(graphs) == (2, 0)
    assert store.put(graphs) == (0, 2)
    assert store.digest(graphs[0].iri) == graphs[0].digest
    assert store.digest(KGR + "article/none") is None
    assert sorted(store.graphs()) == sorted(g.iri for g in graphs)
    size = len(store)
    assert size == sum(g.ntriples.count("\n") for g in graphs)
    changed = _graphs(version=2)
    assert store.put(changed) == (1, 1)
    assert len(store) == size  # replaced, not added to
    rows = _rows(store.query(f"SELECT ?h WHERE {{ <{changed[0].iri}> <http://schema.org/headline> ?h }}"))
    assert rows == [(str(ox.Literal('Talks "in" Beijing\nv2')),)]


def test_an_id_differing_only_in_case_from_a_stored_one_is_an_error(oxigraph_server: str, tmp_path: Path) -> None:
    """As with the embedded store (tests/test_hostile.py): the remote store is asked for the stored id."""
    text = "Prime Minister Shehbaz Sharif met Chinese President Xi Jinping in Beijing on Wednesday."
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"id": "Case-3", "title": "Talks", "text": text}) + "\n", encoding="utf-8")
    second.write_text(json.dumps({"id": "case-3", "title": "Talks", "text": text + " More."}) + "\n",
                      encoding="utf-8")
    runner, report = CliRunner(), ["--report", str(tmp_path / "rejected.jsonl")]  # not in the working folder
    assert runner.invoke(main, ["build", str(first), "--store", oxigraph_server, "--jobs", "1", *report]).exit_code == 0
    result = runner.invoke(main, ["build", str(second), "--store", oxigraph_server, "--jobs", "1", *report])
    assert result.exit_code == 1
    assert (f"kgbuild: {second}:1: id 'case-3' collides with id 'Case-3' (already in the store)" in result.stderr)
    assert open_store(oxigraph_server).identifiers([KGR + "article/case-3"]) == {KGR + "article/case-3": "Case-3"}


def test_queries_see_the_union_of_the_graphs_like_the_embedded_store(oxigraph_server: str, tmp_path: Path) -> None:
    graphs = _graphs()
    remote = open_store(oxigraph_server)
    remote.put(graphs)
    with Store(tmp_path / "embedded") as local:
        local.put(graphs)
        for q in (f"SELECT ?s ?l WHERE {{ ?s <{LABEL}> ?l }}", f"ASK {{ ?s a <{KG}State> }}",
                  "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "SELECT ?g ?s WHERE { GRAPH ?g { ?s a ?c } }"):
            assert _rows(remote.query(q)) == _rows(local.query(q)), q
    assert _rows(remote.query("ASK { ?s ?p ?o }", union=False)) == [(False,)]  # the server's own default graph


def test_listed_graphs_give_the_union_where_a_server_has_no_union_option(oxigraph_server: str) -> None:
    # The last resort of the probe (every named graph as a default-graph-uri), forced here on Oxigraph server.
    store = open_store(oxigraph_server)
    store.put(_graphs())
    expected = _rows(store.query(f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}"))
    assert store._union is not None and store._union[0] == "param"
    store._union = ("list", [])
    assert _rows(store.query(f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}")) == expected and len(expected) == 3


def test_dump_and_cli_query_and_export(oxigraph_server: str) -> None:
    graphs = _graphs()
    store = open_store(oxigraph_server)
    store.put(graphs)
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS)
    quads = list(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS))
    assert len(quads) == len(store) and {q.graph_name.value for q in quads} == {g.iri for g in graphs}
    runner = CliRunner()
    result = runner.invoke(main, ["query", "--store", oxigraph_server, "--format", "json",
                                  f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }} ORDER BY ?l"])
    assert result.exit_code == 0, result.output
    values = [b["l"]["value"] for b in json.loads(result.output)["results"]["bindings"]]
    assert values == ["China", "Pakistan", "a blank node"]
    result = runner.invoke(main, ["query", "--store", oxigraph_server, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"])
    assert result.exit_code == 0 and len(result.output.splitlines()) == len(store)
    result = runner.invoke(main, ["query", "--store", oxigraph_server, "SELEC nothing"])
    assert result.exit_code == 1 and "invalid query" in result.output
    result = runner.invoke(main, ["export", "--store", oxigraph_server, "--format", "ntriples", "--graph",
                                  graphs[1].iri])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == sorted(graphs[1].ntriples.splitlines())


def test_unreachable_store_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot reach the store"):
        open_store(f"http://127.0.0.1:{free_port()}/")
    result = CliRunner().invoke(main, ["query", "--store", f"http://127.0.0.1:{free_port()}/", "ASK {}"])
    assert result.exit_code == 1 and "cannot reach the store" in result.output


def test_one_graph_in_a_dataset_format_keeps_its_name_and_the_store_in_a_triple_format_is_the_union(
        oxigraph_server: str) -> None:
    graphs = _graphs()
    store = open_store(oxigraph_server)
    store.put(graphs)
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS, graph=graphs[1].iri)
    quads = list(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS))
    assert len(quads) == graphs[1].ntriples.count("\n") and {q.graph_name.value for q in quads} == {graphs[1].iri}
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_TRIPLES)
    triples = list(ox.parse(out.getvalue(), ox.RdfFormat.N_TRIPLES))
    assert len(triples) == len(store) == sum(g.ntriples.count("\n") for g in graphs)


class ThirdPartyServer:
    """A stand-in for a server we do not ship (GraphDB, a proxy): it records each request and answers
    `ASK {}` with a SPARQL JSON boolean only on `sparql_path`, 404 elsewhere."""

    def __init__(self, sparql_path: str | None) -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))
                if sparql_path is not None and self.path.split("?")[0] == sparql_path:
                    body = b'{"head":{},"boolean":true}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json")
                else:
                    body = b"no such page"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"127.0.0.1:{self.httpd.server_address[1]}"
        # shutdown() waits for the loop's next poll: a short one keeps each test well under a second
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown() -> None:
    server = ThirdPartyServer("/repositories/kg")
    try:
        store = open_store(f"http://kg-user:p%40ss@{server.base}/repositories/kg")
        # GraphDB's layout: the repository answers queries and takes updates at .../statements.
        assert store.query_url == f"http://{server.base}/repositories/kg"
        assert store.update_url == f"http://{server.base}/repositories/kg/statements"
        assert {auth for _, _, auth in server.requests} == {"Basic a2ctdXNlcjpwQHNz"}  # base64 of kg-user:p@ss
        with pytest.raises(StoreError) as error:
            store.update("CLEAR ALL")  # the stand-in has no /statements: 404
        assert "HTTP 404" in str(error.value) and "p%40ss" not in str(error.value) and "p@ss" not in str(error.value)
        assert "kg-user" not in repr(store)
    finally:
        server.close()


def test_a_server_without_a_sparql_endpoint_is_named_with_the_urls_tried() -> None:
    server = ThirdPartyServer(None)
    try:
        with pytest.raises(StoreError, match=r"no SPARQL endpoint found \(tried .*/data/query, .*/data/sparql, "
                                             r".*/data\); give the query endpoint's URL"):
            open_store(f"http://{server.base}/data")
        assert [m for m, _, _ in server.requests] == ["GET"] * 3  # probing never writes
    finally:
        server.close()


@pytest.mark.parametrize(("query", "update"), [
    ("/ds/query", "/ds/update"),  # Oxigraph server, Fuseki
    ("/repositories/kg", "/repositories/kg/statements"),  # GraphDB
    ("/sparql", "/sparql"),  # kgbuild serve, QLever, Virtuoso
])
def test_the_update_endpoint_beside_a_query_endpoint(query: str, update: str) -> None:
    url = f"http://127.0.0.1:9/any#query={query}"  # a query endpoint named in the fragment: nothing is probed
    assert RemoteStore(url).update_url == f"http://127.0.0.1:9{update}"


def test_a_store_opened_read_only_refuses_writes_and_one_without_a_graph_store_refuses_n_quads() -> None:
    server = ThirdPartyServer("/sparql")
    try:
        with pytest.raises(StoreError, match="opened read-only"):
            RemoteStore(f"http://{server.base}/sparql", read_only=True).update("CLEAR ALL")
        with pytest.raises(StoreError, match="no graph store endpoint for N-Quads; name one with #store=URL"):
            RemoteStore(f"http://{server.base}/sparql").post_nquads(b"")
        assert server.requests == []  # refused before any request (a /sparql URL is taken as it is, unprobed)
    finally:
        server.close()


# -- our own kgbuild serve, with its update token -----------------------------------------------------------------
def test_kgbuild_serve_with_token(kgbuild_server: str) -> None:
    anonymous = open_store(kgbuild_server)
    assert anonymous.query_url == kgbuild_server + "sparql" and anonymous.update_url == anonymous.query_url
    with pytest.raises(StoreError, match="--token"):
        anonymous.put(_graphs())
    with pytest.raises(StoreError, match="403"):
        open_store(kgbuild_server, token="wrong").put(_graphs())
    store = open_store(kgbuild_server, token=TOKEN)
    assert store.put(_graphs()) == (2, 0)
    assert store.put(_graphs()) == (0, 2)
    assert sorted(store.graphs()) == sorted(g.iri for g in _graphs())
    rows = _rows(anonymous.query(f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}"))  # reads need no token
    assert len(rows) == 3


def test_an_answer_cut_by_the_server_is_never_taken_for_the_whole(tmp_path: Path, capsys) -> None:
    with running_kgbuild(tmp_path, max_rows=2) as url:
        store = open_store(url, token=TOKEN)
        store.put(_graphs())
        with pytest.raises(StoreError, match="cut the answer"):
            list(store.quads())
        assert len(_rows(store.query(f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}"))) == 2  # the CLI's query: a warning
        assert "the server cut the answer" in capsys.readouterr().err


def test_token_from_environment(kgbuild_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KGBUILD_TOKEN", TOKEN)
    assert open_store(kgbuild_server).put(_graphs()) == (2, 0)


# -- end to end: `kgbuild build --store http://...` against an embedded build ------------------------------------
def _cq_files(shared: callable) -> list[Path]:
    files = sorted(shared("spec", "cq").glob("*.rq"))
    assert len(files) == 8
    return files


@pytest.fixture(scope="module")
def embedded_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("kgbuild.gazetteer", reason="the extraction pipeline needs the gazetteer")
    from conftest import shared_path

    articles = shared_path("articles", "dev", "articles.jsonl")
    folder = tmp_path_factory.mktemp("embedded") / "store"
    result = CliRunner().invoke(main, ["build", str(articles), "--store", str(folder), "--jobs", "1"])
    assert result.exit_code in (0, 1), result.output  # 1: some articles rejected, the rest stored
    return articles, folder


def _build(articles: Path, location: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["build", str(articles), "--store", location, "--jobs", "1", *extra])
    assert result.exit_code in (0, 1), result.output
    return result.output.strip().splitlines()[-1]


def _same_answers(remote: RemoteStore, folder: Path, files: list[Path]) -> None:
    with Store(folder, read_only=True) as local:
        for path in files:
            q = path.read_text(encoding="utf-8")
            assert _rows(remote.query(q)) == _rows(local.query(q)), path.name


def test_build_into_oxigraph_server(embedded_build: tuple[Path, Path], oxigraph_server: str, shared: callable,
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a remote build writes its rejection report to the working folder
    articles, folder = embedded_build
    first = _build(articles, oxigraph_server)
    assert " 0 unchanged" in first
    again = _build(articles, oxigraph_server)
    assert " 0 stored" in again, again
    remote = open_store(oxigraph_server, read_only=True)
    with Store(folder, read_only=True) as local:
        assert len(remote) == len(local)
    _same_answers(remote, folder, _cq_files(shared))


def test_build_into_kgbuild_serve(embedded_build: tuple[Path, Path], kgbuild_server: str, shared: callable,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    articles, folder = embedded_build
    assert " 0 unchanged" in _build(articles, kgbuild_server, "--token", TOKEN)
    assert " 0 stored" in _build(articles, kgbuild_server, "--token", TOKEN)
    _same_answers(open_store(kgbuild_server, read_only=True), folder, _cq_files(shared))
