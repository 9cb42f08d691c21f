"""The W3C SPARQL 1.1 test suites over HTTP, against `kgbuild serve` and the Oxigraph server side by side.

    python bench/w3c_suites.py [--shared ../shared] [--suite protocol ...] [--verbose]

Suites (../shared/w3c/sparql/sparql11, see its README):
  protocol          protocol/manifest.ttl: requests and expected answers as ht: HTTP records
  gsp-indirect      graph-store-protocol/manifest-indirect.ttl (?graph= and ?default)
  gsp-direct        graph-store-protocol/manifest-direct.ttl (graph URLs under the store)
  http-rdf-update   http-rdf-update/manifest.ttl (the older textual Graph Store tests)
  query             the QueryEvaluationTests of manifest-sparql11-query.ttl, each loaded and queried over HTTP
  query-syntax      the syntax tests of manifest-sparql11-query.ttl: a good query answered (200), a bad one a 400
  results           manifest-sparql11-results.ttl: answers asked for and compared in CSV, TSV and JSON
  update            the UpdateEvaluationTests of manifest-sparql11-update.ttl: the store's graphs after each update

Each server starts empty in a temporary folder on a loopback port; before each test the store is emptied and the
test's data loaded with the Graph Store Protocol (read here with the data file's URL as base, sent as N-Triples).
A query is sent with its file's URL as BASE, asking for the format of the expected results (XML for .srx, JSON for
.srj, ...). kgbuild runs with an update token and, for the query suites, with --no-union-default-graph (the W3C
tests use the store's default graph, as the Oxigraph server does by default). Answers are compared as the suite's
"Test case structure" says (see the query evaluation section below).
Prints, per suite, the tests each server passed; --verbose names the failures.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parent.parent
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
TOKEN = "w3c-suites"
STATUS = {"OK": (200,), "Created": (201,), "NoContent": (204,), "NotFound": (404,), "BadRequest": (400,),
          "StatusCode2xx": range(200, 300), "StatusCode3xx": range(300, 400), "StatusCode4xx": range(400, 500)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A server under test: where its query, update and graph store services are."""

    name: str
    base: str
    query: str
    update: str
    store: str
    proc: subprocess.Popen
    headers: dict = field(default_factory=dict)

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict, bytes]:
        # http.client, not urllib: urllib adds a Content-Type the tests of a missing one must not send
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                         headers={**self.headers, **(headers or {})})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        except OSError as exc:
            return 0, {}, str(exc).encode()
        finally:
            conn.close()

    def reset(self) -> None:
        self.request("POST", self.update, b"DROP ALL", {"Content-Type": "application/sparql-update"})

    def load(self, data: bytes, fmt: ox.RdfFormat, graph: str | None) -> None:
        target = "?default" if graph is None else "?graph=" + urllib.parse.quote(graph, safe="")
        status, _, body = self.request("POST", self.store + target, data, {"Content-Type": fmt.media_type})
        if status >= 300:
            raise RuntimeError(f"{self.name}: loading data failed: {status} {body[:200]!r}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server ended: {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}")


def start_kgbuild(folder: Path, union: bool) -> Server:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    args = [sys.executable, "-m", "kgbuild.cli", "serve", "--store", str(folder / "kgbuild"), "--port", str(port),
            "--token", TOKEN, "--timeout", "20", "--workers", "2"]
    if not union:
        args.append("--no-union-default-graph")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/health", proc)
    return Server("kgbuild", base, base + "/sparql", base + "/sparql", base + "/graph-store", proc,
                  {"Authorization": f"Bearer {TOKEN}"})


def start_oxigraph(folder: Path) -> Server:
    port = free_port()
    exe = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    proc = subprocess.Popen([exe, "serve", "--location", str(folder / "oxigraph"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base + "/query?query=ASK%7B%7D", proc)
    return Server("oxigraph", base, base + "/query", base + "/update", base + "/store", proc)


# -- protocol and graph store: HTTP records ------------------------------------------------------------------------
def _manifest(path: Path) -> tuple[Graph, list[URIRef]]:
    graph = Graph()
    graph.parse(path, format="turtle", publicID=W3C_BASE + path.parent.name + "/" + path.name)
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = []
    for entries_node in graph.objects(manifest, MF.entries):
        entries += list(Collection(graph, entries_node))
    for include in graph.objects(manifest, MF.include):
        sub = path.parent / str(include).rsplit("/", 1)[-1]
        if sub.exists():
            subgraph, subentries = _manifest(sub)
            graph += subgraph
            entries += subentries
    return graph, entries


def _status_ok(graph: Graph, resp: object, status: int) -> bool:
    expected = list(graph.objects(resp, MF.expectedStatus)) + list(graph.objects(resp, HT.sc))
    if not expected:
        return True
    for e in expected:
        name = str(e).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name.isdigit() and int(name) == status or status in STATUS.get(name, ()):
            return True
        code = graph.value(e, HT.statusCodeNumber)
        if code is not None and int(code) == status:
            return True
    return False


def _body_ok(graph: Graph, resp: object, headers: dict, body: bytes) -> bool:
    fmt = graph.value(resp, MF.expectedFormat)
    boolean = graph.value(resp, MF.expectedBoolean)
    media = headers.get("content-type", "").split(";")[0].strip()
    try:
        if fmt is not None and str(fmt) in ("boolean", "tabular"):
            results = ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(media))
            if str(fmt) == "boolean":
                return isinstance(results, ox.QueryBoolean) and (boolean is None or bool(results) == boolean.toPython())
            return isinstance(results, ox.QuerySolutions)
        if fmt is not None and str(fmt) == "RDF":
            list(ox.parse(body, ox.RdfFormat.from_media_type(media)))
        elif boolean is not None:
            return bool(ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(media))) == \
                boolean.toPython()
    except (SyntaxError, ValueError, TypeError):
        return False
    for h in graph.objects(resp, HT.headers):
        for header in Collection(graph, h):
            name, value = str(graph.value(header, HT.fieldName)).lower(), str(graph.value(header, HT.fieldValue))
            if name == "content-type" and headers.get(name, "").split(";")[0].strip() != value.split(";")[0].strip():
                return False
    return True


def _target(server: Server, path: str, method: str, headers: dict, body: bytes | None) -> str:
    path = path.replace("$HOST$", urllib.parse.urlsplit(server.base).netloc)
    if path.startswith("/sparql"):
        rest = path[len("/sparql"):].lstrip("/")
        is_update = (headers.get("content-type", "").startswith("application/sparql-update")
                     or (body or b"").startswith(b"update=") or "update=" in rest)
        return (server.update if is_update else server.query) + rest
    if path.startswith("/gsp"):
        return server.store + path[len("/gsp"):]
    return server.base + path


def run_records(server: Server, manifest: Path) -> tuple[int, int, list[str]]:
    graph, entries = _manifest(manifest)
    passed, failed = 0, []
    for test in entries:
        if (test, DAWGT.approval, DAWGT.Withdrawn) in graph:
            continue
        server.reset()
        for data in graph.objects(test, UT.graphData):
            source = Path(manifest.parent, str(graph.value(data, UT.graph)).rsplit("/", 1)[-1])
            server.load(source.read_bytes(), ox.RdfFormat.from_extension(source.suffix[1:]),
                        str(graph.value(data, RDFS.label)))
        action = graph.value(test, MF.action)
        ok, why, location = True, "", ""
        for requests in graph.objects(action, HT.requests):
            for req in Collection(graph, requests):
                method = str(graph.value(req, HT.methodName))
                headers: dict[str, str] = {}
                for hs in graph.objects(req, HT.headers):
                    for h in Collection(graph, hs):
                        headers[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
                body = None
                content = graph.value(req, HT.body)
                if content is not None:
                    chars = str(graph.value(content, CNT.chars))
                    encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                    body = chars.encode(encoding.lower().replace("utf-16", "utf-16-le") if encoding else "utf-8")
                path = str(graph.value(req, HT.absolutePath))
                path = path.replace("$LOCATION$", urllib.parse.quote(location, safe=""))
                url = _target(server, path, method, headers, body)
                status, rheaders, rbody = server.request(method, url, body, headers)
                location = rheaders.get("location", location)
                resp = graph.value(req, HT.resp)
                if not (_status_ok(graph, resp, status) and (status >= 300 or _body_ok(graph, resp, rheaders, rbody))):
                    ok = False
                    why = f" ({method} got {status}: {rbody[:150]!r})"
                    break
        if ok:
            passed += 1
        else:
            failed.append(str(graph.value(test, MF.name)) + why)
    return passed, passed + len(failed), failed


# -- http-rdf-update: requests written out in the comments ------------------------------------------------------------
def run_textual(server: Server, manifest: Path) -> tuple[int, int, list[str]]:
    graph, entries = _manifest(manifest)
    host = urllib.parse.urlsplit(server.base).netloc
    store_path = urllib.parse.urlsplit(server.store).path.lstrip("/")
    server.reset()
    created: str | None = None
    passed, failed = 0, []
    for test in entries:
        text = "\n".join(str(c) for c in graph.objects(test, RDFS.comment) if "#### Request" in str(c))
        request, _, response = text.partition("#### Response")
        lines = [line[4:] if line.startswith("    ") else line for line in request.split("\n")]
        while lines and not re.match(r"[A-Z]+ \S", lines[0]):
            lines.pop(0)
        method, path = lines[0].split()[:2]
        headers, i = {}, 1
        while i < len(lines) and lines[i].strip():
            key, _, value = lines[i].partition(":")
            headers[key.strip().lower()] = value.strip()
            i += 1
        body = "\n".join(lines[i + 1:]).strip()
        subst = {"$HOST$": host, "$GRAPHSTORE$": store_path, "$NEWPATH$": created or ""}
        for key, value in subst.items():
            path, body = path.replace(key, value), body.replace(key, value)
        headers.pop("host", None)
        headers.pop("content-length", None)
        if path.startswith("http"):
            url = path
        else:
            url = server.base + "/" + path.lstrip("/")
        data = body.encode("utf-8") if method in ("PUT", "POST") else None
        if data is not None and "boundary" in headers.get("content-type", ""):
            data = data.replace(b"\n", b"\r\n")
        status, rheaders, rbody = server.request(method, url, data, headers)
        if status == 201 and "location" in rheaders:
            created = rheaders["location"].replace("http://" + host + "/", "")
        expected = re.search(r"^\s*(\d{3})", response.replace("\r", ""), re.M)
        # The textual tests name one status where the Graph Store Protocol allows several (200 or 204 after a write):
        # a success answers a success, an error the same error.
        want = int(expected.group(1)) if expected else 0
        ok = want == status or (200 <= want < 300 and 200 <= status < 300)
        resp_lines = [line[4:] if line.startswith("    ") else line for line in response.split("\n")]
        blank = [n for n, line in enumerate(resp_lines) if not line.strip()]
        expected_body = ""
        status_at = next((n for n, line in enumerate(resp_lines) if re.match(r"\s*\d{3}", line)), None)
        if status_at is not None:
            after = [n for n in blank if n > status_at + 1]
            if after:
                expected_body = "\n".join(resp_lines[after[0]:]).strip()
        if ok and method == "GET" and expected_body.startswith("@prefix"):
            expected_body = expected_body.replace("$HOST$", host).replace("$GRAPHSTORE$", store_path)
            try:
                want, got = Graph(), Graph()
                want.parse(data=expected_body, format="turtle")
                got.parse(data=rbody.decode("utf-8"), format="turtle")
                ok = isomorphic(want, got)
            except Exception:  # noqa: BLE001 - an unreadable answer fails the test
                ok = False
        if ok:
            passed += 1
        else:
            failed.append(f"{graph.value(test, MF.name)} (got {status})")
    return passed, passed + len(failed), failed


# -- query evaluation ----------------------------------------------------------------------------------------------
# Answers are compared as the suite's "Test case structure" (sparql11/index.html, Query Evaluation Tests) says: the
# same variables and, up to a one-to-one renaming of blank nodes, the same multiset of solutions (a graph: the same
# set of triples), with identical IRIs and literals equal by value (compared in canonical form: "1.0"^^xsd:decimal is
# "1"^^xsd:decimal, "0"^^xsd:boolean is "false"^^xsd:boolean; "1"^^xsd:integer is not "1"^^xsd:decimal; language tags
# in lower case, as RDF 1.1 says). Order counts only where the expected result set gives rs:index.
# (mf:LaxCardinality, for REDUCED, is not used by the manifests run here.)
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = str(RDF.type)
RESULT_FORMATS = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON,
                  ".tsv": ox.QueryResultsFormat.TSV, ".csv": ox.QueryResultsFormat.CSV}
Term = tuple  # ("iri", value) | ("literal", lexical form, datatype, language) | ("bnode", label) | ("csv", text)
Row = dict  # variable -> Term


@dataclass
class Answer:
    """A query's answer as compared: a boolean, solutions, or a graph (its triples as rows s, p, o)."""

    boolean: bool | None = None
    variables: frozenset = frozenset()
    rows: list[Row] = field(default_factory=list)
    graph: bool = False
    ordered: bool = False
    media: str = "application/sparql-results+json"  # what to ask a server for, to get an answer like this one


def _term(t: object) -> Term:
    if isinstance(t, ox.BlankNode):
        return ("bnode", t.value)
    if isinstance(t, ox.NamedNode):
        return ("iri", t.value)
    if isinstance(t, ox.Literal):
        return ("literal", _canonical(t.value, t.datatype.value), t.datatype.value, (t.language or "").lower())
    return ("other", str(t))


XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                              "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt",
                              "unsignedShort", "unsignedByte")}


def _canonical(lexical: str, datatype: str) -> object:
    """A literal's value for comparison, where the lexical form is a valid one of a numeric or boolean type; else
    its lexical form (an ill-typed literal equals only itself)."""
    text = lexical.strip()
    try:
        if datatype in INTEGERS:
            return ("value", int(text))
        if datatype == XSD + "decimal" and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text):
            return ("value", Decimal(text).normalize())
        if datatype in (XSD + "double", XSD + "float"):
            value = float({"INF": "inf", "-INF": "-inf", "+INF": "inf"}.get(text, text))
            return ("value", "NaN" if value != value else value)
        if datatype == XSD + "boolean" and text in ("true", "false", "1", "0"):
            return ("value", text in ("true", "1"))
    except ValueError:
        pass
    return lexical


def _results_answer(results: object, media: str) -> Answer:
    if isinstance(results, ox.QueryBoolean):
        return Answer(boolean=bool(results), media=media)
    names = [v.value for v in results.variables]
    rows = [{n: _term(sol[n]) for n in names if sol[n] is not None} for sol in results]
    return Answer(variables=frozenset(names), rows=rows, media=media)


def _graph_answer(triples: object) -> Answer:
    unique = {(_term(t.subject), _term(t.predicate), _term(t.object)) for t in triples}
    return Answer(rows=[{"s": s, "p": p, "o": o} for s, p, o in unique], graph=True, media="text/turtle")


def _csv_answer(text: str) -> Answer:
    """CSV results keep only each term's text (a blank node keeps its label, to be renamed like any other)."""
    records = list(csv.reader(io.StringIO(text)))
    header = records[0] if records else []
    rows = [{h: ("bnode", v[2:]) if v.startswith("_:") else ("csv", v)
             for h, v in zip(header, rec, strict=True) if v != ""} for rec in records[1:]]
    return Answer(variables=frozenset(header), rows=rows, media="text/csv")


def _result_set(quads: list) -> Answer | None:
    """A result set written in RDF (the DAWG result-set vocabulary), or None if the graph is no result set."""
    props: dict[tuple, list] = {}
    for q in quads:
        props.setdefault((q.subject, q.predicate.value), []).append(q.object)
    sets = [s for (s, p), objects in props.items() if p == RDF_TYPE and ox.NamedNode(RS + "ResultSet") in objects]
    if not sets:
        return None
    rs = sets[0]
    if (rs, RS + "boolean") in props:
        return Answer(boolean=props[(rs, RS + "boolean")][0].value == "true")
    solutions = []
    for sol in props.get((rs, RS + "solution"), []):
        row = {props[(b, RS + "variable")][0].value: _term(props[(b, RS + "value")][0])
               for b in props.get((sol, RS + "binding"), [])}
        index = props.get((sol, RS + "index"))
        solutions.append((int(index[0].value) if index else 0, row))
    solutions.sort(key=lambda item: item[0])
    variables = frozenset(v.value for v in props.get((rs, RS + "resultVariable"), []))
    ordered = any(props.get((sol, RS + "index")) for sol in props.get((rs, RS + "solution"), []))
    return Answer(variables=variables, rows=[row for _, row in solutions], ordered=ordered)


def _expected(path: Path, iri: str) -> Answer:
    fmt = RESULT_FORMATS.get(path.suffix)
    if path.suffix == ".csv":
        return _csv_answer(path.read_text(encoding="utf-8"))
    if fmt is not None:
        return _results_answer(ox.parse_query_results(path.read_bytes(), fmt), fmt.media_type)
    quads = list(ox.parse(path.read_bytes(), ox.RdfFormat.from_extension(path.suffix[1:]), base_iri=iri))
    return _result_set(quads) or _graph_answer(quads)


def _received(headers: dict, body: bytes) -> Answer:
    media = headers.get("content-type", "").split(";")[0].strip()
    if media == "text/csv":
        return _csv_answer(body.decode("utf-8"))
    results = ox.QueryResultsFormat.from_media_type(media)
    if results is not None:
        return _results_answer(ox.parse_query_results(body, results), media)
    return _graph_answer(ox.parse(body, ox.RdfFormat.from_media_type(media)))


def _equivalent(expected: Answer, got: Answer) -> bool:
    if expected.boolean is not None or got.boolean is not None:
        return expected.boolean == got.boolean
    if expected.graph != got.graph or expected.variables != got.variables or len(expected.rows) != len(got.rows):
        return False
    if expected.ordered:  # each solution in its place
        return _pair_off([([e], [g]) for e, g in zip(expected.rows, got.rows, strict=True)])
    return _pair_off([(expected.rows, got.rows)])


def _pair_off(groups: list[tuple[list[Row], list[Row]]]) -> bool:
    """Whether each group's expected rows pair one to one with its received rows under one renaming of blank nodes."""
    if not any(t[0] == "bnode" for exp, got in groups for row in exp + got for t in row.values()):
        return all(Counter(frozenset(r.items()) for r in exp) == Counter(frozenset(r.items()) for r in got)
                   for exp, got in groups)
    todo = sorted(((i, row) for i, (exp, _) in enumerate(groups) for row in exp),
                  key=lambda item: sum(t[0] == "bnode" for t in item[1].values()))
    used: list[set[int]] = [set() for _ in groups]
    forward: dict[Term, Term] = {}
    backward: dict[Term, Term] = {}

    def bind(exp: Row, got: Row) -> list[Term] | None:
        if exp.keys() != got.keys():
            return None
        added: list[Term] = []
        for var, e in exp.items():
            g = got[var]
            if e[0] == "bnode" and g[0] == "bnode":
                if forward.get(e, g) != g or backward.get(g, e) != e:
                    break
                if e not in forward:
                    forward[e], backward[g] = g, e
                    added.append(e)
            elif e != g:
                break
        else:
            return added
        unbind(added)
        return None

    def unbind(added: list[Term]) -> None:
        for e in added:
            del backward[forward.pop(e)]

    def solve(n: int) -> bool:
        if n == len(todo):
            return True
        group, exp = todo[n]
        for j, got in enumerate(groups[group][1]):
            if j in used[group]:
                continue
            added = bind(exp, got)
            if added is None:
                continue
            used[group].add(j)
            if solve(n + 1):
                return True
            used[group].discard(j)
            unbind(added)
        return False

    return solve(0)


def _local(base: Path, iri: object) -> Path:
    return base / str(iri)[len(W3C_BASE):] if str(iri).startswith(W3C_BASE) else Path(str(iri).removeprefix("file://"))


def _test_files(root: Path, graph: Graph, node: object, ns: Namespace = QT) -> list[tuple[Path, str, str | None]]:
    """(file, its URL, graph name or None for the default graph) of a test's qt:data/qt:graphData (ut: in updates);
    a graph is named by its file's URL or by its rdfs:label."""
    files = [(data, None) for data in graph.objects(node, ns.data)]
    for data in graph.objects(node, ns.graphData):
        label = graph.value(data, RDFS.label)  # [ qt:graph <file> ; rdfs:label "graph IRI" ]
        files.append((graph.value(data, ns.graph), str(label)) if label is not None else (data, str(data)))
    return [(_local(root, iri), str(iri), name) for iri, name in files]


def _read_rdf(path: Path, iri: str) -> list:
    return list(ox.parse(path.read_bytes(), ox.RdfFormat.from_extension(path.suffix[1:]), base_iri=iri))


def _load_test_data(server: Server, root: Path, graph: Graph, action: object, ns: Namespace = QT) -> None:
    """The test's dataset: each file read here with its own URL as base (relative IRIs in it resolve as the test
    means) and sent as N-Triples."""
    for path, iri, name in _test_files(root, graph, action, ns):
        server.load(ox.serialize(_read_rdf(path, iri), format=ox.RdfFormat.N_TRIPLES) or b"", ox.RdfFormat.N_TRIPLES,
                    name)


def _entries(root: Path, manifest: str, types: tuple[URIRef, ...]) -> Iterator[tuple[Path, Graph, URIRef]]:
    top = Graph()
    top.parse(root / manifest, publicID=W3C_BASE + manifest)
    for include in Collection(top, next(top.objects(None, MF.include))):
        path = _local(root, include)
        graph, entries = _manifest(path)
        for test in entries:
            if (test, DAWGT.approval, DAWGT.Withdrawn) not in graph and graph.value(test, RDF.type) in types:
                yield path, graph, test


# A test's check: whether it passed, and what to add to its name when it did not.
Check = Callable[[], tuple[bool, str]]


def _tally(tests: Iterator[tuple[str, Check]]) -> tuple[int, int, list[str]]:
    """Passed, total and the failed tests' names; a check that raises fails with its error."""
    passed, failed, total = 0, [], 0
    for name, check in tests:
        total += 1
        try:
            ok, why = check()
        except Exception as exc:  # noqa: BLE001 - a test that cannot run fails
            ok, why = False, f" ({type(exc).__name__}: {exc})"
        if ok:
            passed += 1
        else:
            failed.append(name + why)
    return passed, total, failed


def _suite_tests(root: Path, manifest: str, types: tuple[URIRef, ...],
                 check: Callable[[Graph, URIRef], tuple[bool, str]]) -> Iterator[tuple[str, Check]]:
    """Each test of the manifest with its name, checked by `check(manifest graph, test)`."""
    for path, graph, test in _entries(root, manifest, types):
        yield f"{path.parent.name}/{graph.value(test, MF.name)}", lambda graph=graph, test=test: check(graph, test)


def run_query_suite(server: Server, shared: Path, manifest: str = "manifest-sparql11-query.ttl",
                    types: tuple[URIRef, ...] = (MF.QueryEvaluationTest,)) -> tuple[int, int, list[str]]:
    root = shared / "w3c" / "sparql" / "sparql11"

    def check(graph: Graph, test: URIRef) -> tuple[bool, str]:
        action = graph.value(test, MF.action)
        server.reset()
        _load_test_data(server, root, graph, action)
        query_iri = graph.value(action, QT.query)
        query = _local(root, query_iri).read_text(encoding="utf-8")
        result = graph.value(test, MF.result)
        expected = _expected(_local(root, result), str(result))
        # The query's base is its file's URL, as in the suite's own runs.
        status, headers, body = server.request(
            "POST", server.query, urllib.parse.urlencode({"query": f"BASE <{query_iri}>\n{query}"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": expected.media})
        if status != 200:
            return False, f" (got {status}: {body[:150]!r})"
        return _equivalent(expected, _received(headers, body)), ""

    return _tally(_suite_tests(root, manifest, types, check))


def _graph_store(server: Server) -> dict[str | None, Answer]:
    """The non-empty graphs of the server's store (None: the default graph), read back over the Graph Store Protocol.
    Empty graphs are left out: SPARQL 1.1 Update lets a store keep them or not."""
    status, headers, body = server.request(
        "POST", server.query, urllib.parse.urlencode({"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
    if status != 200:
        raise RuntimeError(f"listing the graphs failed: {status} {body[:150]!r}")
    names = [None, *(sol["g"].value for sol in ox.parse_query_results(body, ox.QueryResultsFormat.JSON))]
    state = {}
    for name in names:
        target = "?default" if name is None else "?graph=" + urllib.parse.quote(name, safe="")
        status, _, body = server.request("GET", server.store + target, headers={"Accept": "application/n-triples"})
        if status == 404:
            continue
        if status != 200:
            raise RuntimeError(f"reading graph {name} failed: {status} {body[:150]!r}")
        answer = _graph_answer(ox.parse(body, ox.RdfFormat.N_TRIPLES))
        if answer.rows:
            state[name] = answer
    return state


def run_update_suite(server: Server, shared: Path) -> tuple[int, int, list[str]]:
    """The UpdateEvaluationTests of manifest-sparql11-update.ttl: the store loaded with the test's data, the update
    sent (its file's URL as BASE), then every graph compared with the expected store as answers are."""
    root = shared / "w3c" / "sparql" / "sparql11"

    def check(graph: Graph, test: URIRef) -> tuple[bool, str]:
        action, result = graph.value(test, MF.action), graph.value(test, MF.result)
        server.reset()
        _load_test_data(server, root, graph, action, UT)
        request = graph.value(action, UT.request)
        text = _local(root, request).read_text(encoding="utf-8")
        status, _, body = server.request("POST", server.update, f"BASE <{request}>\n{text}".encode(),
                                         {"Content-Type": "application/sparql-update"})
        if not 200 <= status < 300:
            return False, f" (got {status}: {body[:150]!r})"
        expected: dict[str | None, Answer] = {}
        for file, iri, graph_name in _test_files(root, graph, result, UT):
            answer = _graph_answer(_read_rdf(file, iri))
            if answer.rows:
                expected[graph_name] = answer
        got = _graph_store(server)
        return expected.keys() == got.keys() and all(_equivalent(expected[g], got[g]) for g in expected), ""

    return _tally(_suite_tests(root, "manifest-sparql11-update.ttl", (MF.UpdateEvaluationTest,), check))


def run_syntax_suite(server: Server, shared: Path) -> tuple[int, int, list[str]]:
    """The syntax tests of the query manifests over HTTP: a good query is answered (200), a bad one is a 400."""
    root = shared / "w3c" / "sparql" / "sparql11"
    passed, failed, total = 0, [], 0
    good, bad = MF.PositiveSyntaxTest11, MF.NegativeSyntaxTest11
    for path, graph, test in _entries(root, "manifest-sparql11-query.ttl", (good, bad)):
        total += 1
        action = graph.value(test, MF.action)
        query = _local(root, action).read_bytes()
        status, _, body = server.request("POST", server.query, query,
                                         {"Content-Type": "application/sparql-query",
                                          "Accept": "application/sparql-results+json, text/turtle"})
        want = 200 if graph.value(test, RDF.type) == good else 400
        if status == want:
            passed += 1
        else:
            failed.append(f"{path.parent.name}/{graph.value(test, MF.name)} (got {status}: {body[:120]!r})")
    return passed, total, failed


# Suites whose tests use the store's default graph as such: kgbuild runs them with --no-union-default-graph.
STANDARD_DATASET = ("query", "query-syntax", "results", "update")
SUITES: dict[str, Callable[[Server, Path], tuple[int, int, list[str]]]] = {
    "protocol": lambda s, sh: run_records(s, sh / "w3c/sparql/sparql11/protocol/manifest.ttl"),
    "gsp-indirect": lambda s, sh: run_records(s, sh / "w3c/sparql/sparql11/graph-store-protocol/manifest-indirect.ttl"),
    "gsp-direct": lambda s, sh: run_records(s, sh / "w3c/sparql/sparql11/graph-store-protocol/manifest-direct.ttl"),
    "http-rdf-update": lambda s, sh: run_textual(s, sh / "w3c/sparql/sparql11/http-rdf-update/manifest.ttl"),
    "query": run_query_suite,
    "query-syntax": run_syntax_suite,
    "update": run_update_suite,
    "results": lambda s, sh: run_query_suite(s, sh, "manifest-sparql11-results.ttl",
                                             (MF.QueryEvaluationTest, MF.CSVResultFormatTest)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared")))
    parser.add_argument("--suite", action="append", choices=list(SUITES), help="run only these (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="name each failed test")
    args = parser.parse_args()
    if not (args.shared / "w3c").exists():
        sys.exit(f"{args.shared / 'w3c'}: the W3C suites are not there (see --shared)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kgbuild-w3c-") as tmp:
        for suite in args.suite or list(SUITES):
            counts = []
            for name in ("kgbuild", "oxigraph"):
                folder = Path(tmp) / f"{suite}-{name}"
                folder.mkdir()
                server = (start_kgbuild(folder, union=suite not in STANDARD_DATASET) if name == "kgbuild"
                          else start_oxigraph(folder))
                try:
                    passed, total, failed = SUITES[suite](server, args.shared)
                finally:
                    server.stop()
                counts.append((passed, total))
                if args.verbose:
                    for f in failed:
                        print(f"  {suite} {name} FAIL: {f}", file=sys.stderr)
            rows.append((suite, *counts))
    print(f"{'suite':<16} {'kgbuild serve':>14} {'oxigraph serve':>15}")
    for suite, (kp, kt), (op, ot) in rows:
        print(f"{suite:<16} {f'{kp}/{kt}':>14} {f'{op}/{ot}':>15}")
    print(json.dumps({suite: {"kgbuild": k[0], "oxigraph": o[0], "tests": k[1]} for suite, k, o in rows}))


if __name__ == "__main__":
    main()
