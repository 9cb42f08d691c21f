"""A store behind HTTP: any SPARQL 1.1 server (Protocol + Update, optionally Graph Store) used like `Store`.

`--store http://host:port/...` selects it. The location names the server; its endpoints are found like this:

* query endpoint: the URL itself when its path ends in `/query` or `/sparql`, else the first of `BASE/query`
  (Oxigraph server, Fuseki `/DATASET/query`), `BASE/sparql` (kgbuild serve) and `BASE` itself (QLever, GraphDB
  `/repositories/ID`, Fuseki `/DATASET`) that answers `ASK {}` with a SPARQL JSON boolean. Probing uses GET only,
  so it never writes.
* update endpoint: the sibling `update` of a `.../query` endpoint (Oxigraph, Fuseki), `.../statements` under a GraphDB
  `/repositories/ID`, else the query endpoint itself (kgbuild serve, QLever, Virtuoso, Blazegraph).
* graph store (used only to bulk-load shards): `store` (Oxigraph) or `data` (Fuseki) beside a `.../query` endpoint,
  when it answers `HEAD ?default`; without one, shards are loaded with SPARQL Update like `put`.

Any of them can be given explicitly in the URL fragment (never sent to a server):
`http://host:7200/repositories/kg#update=http://host:7200/repositories/kg/statements&store=...`; relative values
resolve against the query endpoint.

Union default graph: the CLI's queries (and the competency questions) expect the default graph to be the union of
the article graphs, as in the embedded store. `query(..., union=True)` finds once how this server gives that: the
`union-default-graph` parameter (Oxigraph server; stores whose default graph already is the union, like kgbuild serve,
GraphDB and QLever, ignore it), else Jena's `default-graph-uri=urn:x-arq:UnionGraph` (Fuseki), else the standard
way: every named graph listed as a `default-graph-uri` (correct everywhere, costly for very many graphs).
`union=False` sends the query as is: the server's own default graph.

Writes: `put` sends one SPARQL Update request per batch (`DROP SILENT GRAPH <g> ; ... ; INSERT DATA {...}`); a request
is one transaction on Oxigraph, Fuseki/TDB2 and kgbuild serve, so a batch is stored whole or not at all.
A bearer token (`--token`, $KGBUILD_TOKEN) goes with every request.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from .graphs import DIGEST, IDENTIFIER, ArticleGraph, Exports, StoreError, ontology_graph, replace_update

JSON_RESULTS = "application/sparql-results+json"
ACCEPT_ANY = f"{JSON_RESULTS}, application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
JENA_UNION = "urn:x-arq:UnionGraph"
DEFAULT_TIMEOUT = 300.0


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


class _Triples(list):
    """The triples of a CONSTRUCT or DESCRIBE answer; results.write_results prints them like QueryTriples."""


class RemoteStore(Exports):
    """A SPARQL 1.1 server used as the store (see the module notes for endpoints and the union default graph)."""

    def __init__(self, location: str, *, read_only: bool = False, token: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        url, _, fragment = location.partition("#")
        self.location = url
        self.read_only = read_only
        self.timeout = timeout
        self._headers = {"User-Agent": "kgbuild"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        parts = urllib.parse.urlsplit(url)
        if parts.username:  # http://user:pass@host/ -> Basic auth (GraphDB, Fuseki with shiro)
            credentials = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self._headers.setdefault("Authorization", "Basic " + base64.b64encode(credentials.encode()).decode())
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
            self.location = url
        explicit = dict(urllib.parse.parse_qsl(fragment))
        self.query_url = explicit.get("query") and urllib.parse.urljoin(url, explicit["query"]) or self._find_query(url)
        self.update_url = urllib.parse.urljoin(self.query_url, explicit["update"]) if "update" in explicit \
            else _update_url(self.query_url)
        self._store_url: str | None | bool = (urllib.parse.urljoin(self.query_url, explicit["store"])
                                              if "store" in explicit else False)  # False: not looked for yet
        self._union: tuple[str, list[tuple[str, str]]] | None = None

    # -- HTTP ----------------------------------------------------------------------------------------
    def _request(self, method: str, url: str, *, data: bytes | None = None, content_type: str | None = None,
                 accept: str | None = None) -> IO[bytes]:
        headers = dict(self._headers)
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)  # noqa: S310 - the user's own store URL
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace").strip()
            exc.close()
            message = body.splitlines()[0][:500] if body else exc.reason
            if exc.code == 400:
                # The server refused the query or update text: the CLI shows it as an invalid query.
                raise SyntaxError(f"{url}: {message}") from None
            hint = ""
            if exc.code in (401, 403):
                hint = " (pass the update token with --token or $KGBUILD_TOKEN)"
            elif exc.code in (404, 405, 415) and method == "POST":
                hint = f" (is {url} the right endpoint? name it with {self.location}#update=URL)"
            raise StoreError(f"{url}: HTTP {exc.code}: {message}{hint}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"{url}: cannot reach the store: {reason}") from None

    def _find_query(self, url: str) -> str:
        path = urllib.parse.urlsplit(url).path.rstrip("/")
        if path.endswith(("/query", "/sparql")):
            return url
        base = url if url.endswith("/") else url + "/"
        tried, unreachable = [], None
        # /query first: where both exist (Fuseki, Oxigraph), /sparql may refuse updates that /update takes
        for candidate in (base + "query", base + "sparql", url):
            tried.append(candidate)
            try:
                probe = f"{candidate}?{urllib.parse.urlencode({'query': 'ASK {}'})}"
                with self._request("GET", probe, accept=JSON_RESULTS) as resp:
                    if resp.headers.get_content_type() in (JSON_RESULTS, "application/json") and \
                            "boolean" in json.loads(resp.read()):
                        return candidate
            except StoreError as exc:
                unreachable = exc if "cannot reach" in str(exc) else None
                continue
            except (SyntaxError, ValueError):
                continue
        if unreachable is not None:
            reason = str(unreachable).partition("cannot reach the store: ")[2]
            raise StoreError(f"{url}: cannot reach the store: {reason}")
        raise StoreError(f"{url}: no SPARQL endpoint found (tried {', '.join(tried)}); give the query endpoint's URL")

    def _form(self, url: str, fields: list[tuple[str, str]], accept: str) -> IO[bytes]:
        data = urllib.parse.urlencode(fields).encode("utf-8")
        return self._request("POST", url, data=data, content_type="application/x-www-form-urlencoded", accept=accept)

    # -- reading -------------------------------------------------------------------------------------
    def query(self, sparql: str, *, union: bool = True, whole: bool = False, **kwargs: object) -> object:
        """Run a SPARQL query; the default graph is the union of all graphs unless `union=False`.

        SELECT/ASK answers come back as pyoxigraph QuerySolutions/QueryBoolean, CONSTRUCT/DESCRIBE as a list of
        triples, so the CLI prints them all alike. `whole`: fail rather than warn when the server cuts the answer.
        """
        if kwargs:
            raise TypeError(f"a remote store does not take {', '.join(kwargs)}")
        fields = [("query", sparql)] + (self._union_fields() if union else [])
        resp = self._form(self.query_url, fields, ACCEPT_ANY)
        media = resp.headers.get_content_type()
        cut = resp.headers.get("X-Kgbuild-Truncated")  # kgbuild serve cuts answers at its --max-rows
        if cut:
            if whole:
                resp.close()
                raise StoreError(f"{self.query_url}: the server cut the answer ({cut}); export on the server instead")
            print(f"kgbuild: warning: the server cut the answer: {cut}", file=sys.stderr)
        if media in (JSON_RESULTS, "application/json"):
            return ox.parse_query_results(resp, ox.QueryResultsFormat.JSON)  # streamed: large answers are fine
        if media in ("application/sparql-results+xml",):
            return ox.parse_query_results(resp, ox.QueryResultsFormat.XML)
        rdf_format = ox.RdfFormat.from_media_type(media)
        if rdf_format is None:
            raise StoreError(f"{self.query_url}: unexpected answer of type {media}")
        with resp:
            return _Triples(ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(resp, rdf_format))

    def _select(self, sparql: str, *, union: bool = False) -> list[dict[str, object]]:
        result = self.query(sparql, union=union, whole=True)
        names = [v.value for v in result.variables]
        return [{n: sol[n] for n in names} for sol in result]

    def _ask(self, sparql: str, fields: list[tuple[str, str]]) -> bool:
        with self._form(self.query_url, [("query", sparql), *fields], JSON_RESULTS) as resp:
            return bool(ox.parse_query_results(resp.read(), ox.QueryResultsFormat.JSON))

    def _union_fields(self) -> list[tuple[str, str]]:
        """Protocol fields that make the default graph the union of the named graphs on this server (probed once)."""
        if self._union is not None:
            mode, fields = self._union
            return self._listed() if mode == "list" else fields
        rows = self._select("SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) } LIMIT 1")
        if not rows:
            return [("union-default-graph", "")]  # nothing stored yet: nothing to find either way; decide later
        probe = f"ASK {{ <{rows[0]['s'].value}> <{rows[0]['p'].value}> ?o }}"
        for mode, fields in (("param", [("union-default-graph", "")]), ("jena", [("default-graph-uri", JENA_UNION)])):
            if self._ask(probe, fields):
                self._union = (mode, fields)
                return fields
        self._union = ("list", [])
        return self._listed()

    def _listed(self) -> list[tuple[str, str]]:
        return [("default-graph-uri", g) for g in self.graphs()]

    def digest(self, graph: str) -> str | None:
        return self.digests([graph]).get(graph)

    def digests(self, graphs: list[str]) -> dict[str, str]:
        """The stored digest of each of these graphs that has one, in one request."""
        return self._about(graphs, DIGEST)

    def identifiers(self, graphs: list[str]) -> dict[str, str]:
        """The id (schema:identifier) each of these article graphs is stored with, for those stored with one."""
        return self._about(graphs, IDENTIFIER)

    def _about(self, graphs: list[str], predicate: ox.NamedNode) -> dict[str, str]:
        """The value each of these graphs states about itself with `predicate`, in one request."""
        if not graphs:
            return {}
        values = " ".join(f"<{g}>" for g in graphs)
        pattern = f"GRAPH ?g {{ ?g <{predicate.value}> ?v }}"
        rows = self._select(f"SELECT ?g ?v WHERE {{ VALUES ?g {{ {values} }} {pattern} }}")
        return {r["g"].value: r["v"].value for r in rows}

    def graphs(self) -> Iterator[str]:
        for row in self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"):
            if isinstance(row["g"], ox.NamedNode):
                yield row["g"].value

    def __len__(self) -> int:
        """The number of quads in named graphs (kgbuild writes only there; the server's default graph may be a view)."""
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value) if rows else 0

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }} BIND(<{graph}> AS ?g)" if graph else "GRAPH ?g { ?s ?p ?o }"
        for sol in self.query(f"SELECT ?s ?p ?o ?g WHERE {{ {pattern} }}", union=False, whole=True):
            yield ox.Quad(sol["s"], sol["p"], sol["o"], sol["g"])

    def dump(self, output: object, fmt: ox.RdfFormat, graph: str | None = None) -> None:
        """Write the store (or one graph) like Store.dump, read with SPARQL queries so that any server will do."""
        if graph is not None and fmt.supports_datasets:  # keep the graph's name
            ox.serialize(self.quads(graph), output, format=fmt)
        elif graph is not None:
            triples = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", union=False,
                                 whole=True)
            ox.serialize(triples, output, format=fmt)
        elif fmt.supports_datasets:
            ox.serialize(self.quads(), output, format=fmt)
        else:
            # Triple formats cannot carry graph names: write the union of all graphs.
            ox.serialize({ox.Triple(q.subject, q.predicate, q.object) for q in self.quads()}, output, format=fmt)

    # -- writing -------------------------------------------------------------------------------------
    def update(self, sparql_update: str) -> None:
        if self.read_only:
            raise StoreError(f"{self.location}: opened read-only")
        data = urllib.parse.urlencode({"update": sparql_update}).encode("utf-8")
        with self._request("POST", self.update_url, data=data, content_type="application/x-www-form-urlencoded"):
            pass

    def put(self, graphs: list[ArticleGraph]) -> tuple[int, int]:
        """Replace each article graph whose digest changed, in one update request (one transaction).

        Returns (stored, unchanged).
        """
        stored = self.digests([g.iri for g in graphs])
        changed = [g for g in graphs if stored.get(g.iri) != g.digest]
        if changed:
            self.update(replace_update(changed))
        return len(changed), len(graphs) - len(changed)

    def load_ontology(self, turtle_paths: Iterable[Path]) -> None:
        """Load the vocabulary and shapes into their own graph when they changed, in one request."""
        self.put([ontology_graph(turtle_paths)])

    def graph_store_url(self) -> str | None:
        """The Graph Store Protocol endpoint that takes a whole dataset (N-Quads) by POST, if the server has one."""
        if self._store_url is False:
            self._store_url = None
            if self.query_url.rstrip("/").endswith("/query"):
                for name in ("store", "data"):
                    candidate = urllib.parse.urljoin(self.query_url, name)
                    try:
                        with self._request("HEAD", candidate + "?default"):
                            self._store_url = candidate
                            break
                    except (StoreError, SyntaxError):
                        continue
        return self._store_url or None

    def post_nquads(self, data: bytes | IO[bytes]) -> None:
        """Add quads to the dataset through the Graph Store Protocol (not a replacement: drop graphs first)."""
        url = self.graph_store_url()
        if url is None:
            raise StoreError(f"{self.location}: no graph store endpoint for N-Quads; name one with #store=URL")
        body = data if isinstance(data, bytes) else data.read()
        with self._request("POST", url, data=body, content_type="application/n-quads"):
            pass

    def flush(self) -> None:
        """Nothing to do: the server has made each request durable before answering."""

    def close(self) -> None:
        """Nothing to do: no connection outlives a request."""

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteStore(query={self.query_url!r}, update={self.update_url!r})"



def _update_url(query_url: str) -> str:
    """The conventional update endpoint beside a query endpoint (see the module notes)."""
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")
    if path.endswith("/query"):
        return urllib.parse.urlunsplit(parts._replace(path=path[: -len("query")] + "update"))
    if re.search(r"/repositories/[^/]+$", path):  # GraphDB (RDF4J): updates go to .../statements
        return urllib.parse.urlunsplit(parts._replace(path=path + "/statements"))
    return query_url


__all__ = ["RemoteStore", "is_remote"]
