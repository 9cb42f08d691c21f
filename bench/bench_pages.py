"""Load times of the explore pages (kgbuild/explore.py) on a store built from the Reuters corpus.

    python bench/bench_pages.py [--articles N | --store S] [--repeat 20] [--jobs 2] [--limit-ms 300]

Without --store it builds a store from the first N articles of ../shared/articles/corpus/reuters21578.jsonl.gz
(N=0, the default: all of them; `kgbuild build FILE --store S --jobs 2`, some minutes) in a temporary folder; with
--store it reuses one. Then it serves the store with `kgbuild serve` on a loopback port and times, over one
kept-alive connection, the whole answer of each page (first request discarded as warm-up):
  * the article page of the article with the most meetings and agreements, and of a sample of other articles;
  * the entity page of the United States (the busiest state), of the busiest official, and of a place;
  * the graph picture (SVG) of the United States;
  * the timeline of the United States, and of the United States and the state it meets most.
Prints median, 90th percentile and maximum per page; exits 1 when a median exceeds --limit-ms (default 300).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "articles" / "corpus" / "reuters21578.jsonl.gz"
KG, KGR = "https://w3id.org/kgbuild/ontology#", "https://w3id.org/kgbuild/resource/"
ENTITIES = KGR + "entities"
PREFIXES = f"PREFIX kg: <{KG}>\nPREFIX prov: <http://www.w3.org/ns/prov#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def build(articles: int, store: Path, jobs: int) -> None:
    source = CORPUS
    if articles:
        source = store.parent / "articles.jsonl"
        with gzip.open(CORPUS, "rt", encoding="utf-8") as src, open(source, "w", encoding="utf-8") as out:
            for n, line in enumerate(src):
                if n >= articles:
                    break
                out.write(line)
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kgbuild.cli", "build", str(source), "--store", str(store),
                             "--jobs", str(jobs)], capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"build failed:\n{result.stderr[-3000:]}")
    print(f"built {store} in {time.perf_counter() - t0:.0f} s: {result.stdout.strip().splitlines()[-1]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def select(self, sparql: str) -> list[dict[str, str]]:
        status, body = self.get("/sparql?" + urllib.parse.urlencode({"query": PREFIXES + sparql, "format": "json"}))
        if status != 200:
            sys.exit(f"query failed ({status}): {body[:500]!r}")
        return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def pages(client: Client, sample: int) -> list[tuple[str, str]]:
    """(name, path) of the pages to time, chosen from the store's data."""
    def page(kind: str, iri: str) -> str:
        return f"/explore/{kind}?" + urllib.parse.urlencode({"iri": iri})

    out = []
    busiest = client.select("""SELECT ?a (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?a {
  ?f prov:wasDerivedFrom ?a . { ?f a kg:Meeting } UNION { ?f a kg:Agreement } } }
GROUP BY ?a ORDER BY DESC(?n) LIMIT 1""")
    if busiest:
        out.append((f"article, busiest ({busiest[0]['n']} facts)", page("article", busiest[0]["a"])))
    with_facts = client.select("""SELECT DISTINCT ?a WHERE { GRAPH ?a { ?f prov:wasDerivedFrom ?a } } LIMIT 5000""")
    random.seed(8)
    for row in random.sample(with_facts, min(sample, len(with_facts))):
        out.append(("article, sampled", page("article", row["a"])))
    us = client.select(f"""SELECT ?s WHERE {{ GRAPH <{ENTITIES}> {{ ?s a kg:State ; rdfs:label ?l
  FILTER(STR(?l) = "United States") }} }} LIMIT 1""")
    if us:
        out.append(("entity, United States", page("entity", us[0]["s"])))
        out.append(("graph.svg, United States", page("graph.svg", us[0]["s"])))
        out.append(("timeline, United States", page("timeline", us[0]["s"])))
        state = us[0]["s"]
        partner = client.select(f"""SELECT ?o (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH ?g {{
  ?f kg:participant|kg:party <{state}> , ?o FILTER(?o != <{state}>) }} }} GROUP BY ?o ORDER BY DESC(?n) LIMIT 1""")
        if partner:
            out.append((f"timeline, United States and its busiest partner ({partner[0]['n']} facts)",
                        page("timeline", state) + "&" + urllib.parse.urlencode({"with": partner[0]["o"]})))
    official = client.select("""SELECT ?p (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?p kg:represents ?s } }
GROUP BY ?p ORDER BY DESC(?n) LIMIT 1""")
    if official:
        out.append((f"entity, busiest official ({official[0]['n']} articles)", page("entity", official[0]["p"])))
    place = client.select(f"""SELECT ?p WHERE {{ GRAPH <{ENTITIES}> {{ ?p a kg:Place }} }} LIMIT 1""")
    if place:
        out.append(("entity, a place", page("entity", place[0]["p"])))
    out.append(("index", "/explore/"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", help="reuse this store instead of building one")
    ap.add_argument("--articles", type=int, default=0, help="corpus articles to build from (0: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--sample", type=int, default=5, help="other articles whose page is timed")
    ap.add_argument("--limit-ms", type=float, default=300.0)
    args = ap.parse_args()

    tmp = None
    if args.store:
        store = Path(args.store)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="kgbuild-bench-pages-"))
        store = tmp / "store"
        build(args.articles, store, args.jobs)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    log = open(Path(tempfile.gettempdir()) / f"kgbuild-bench-pages-{port}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-c", f"from kgbuild.endpoint import serve; serve({str(store)!r}, "
                               f"port={port})"], stdout=log, stderr=log, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if Client(port).get("/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"the server did not start; see {log.name}")
            time.sleep(0.2)
        client = Client(port)
        triples = json.loads(client.get("/health")[1])["triples"]
        print(f"store {store}: {triples} triples; {args.repeat} timed loads per page after one warm-up")
        print(f"{'page':60} {'median':>8} {'p90':>8} {'max':>8} {'KiB':>6}")
        worst = 0.0
        for name, path in pages(client, args.sample):
            status, body = client.get(path)  # warm-up
            if status != 200:
                sys.exit(f"{path}: HTTP {status}: {body[:300]!r}")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
            recheck = re.search(r"Rechecked now .*?\(([\d.]+) ms\)", body.decode("utf-8", "replace"), re.S)
            if recheck:
                name += f" [SHACL {recheck.group(1)} ms]"
            times.sort()
            median = statistics.median(times)
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
            print(f"{name[:60]:60} {median:8.1f} {p90:8.1f} {times[-1]:8.1f} {len(body) / 1024:6.0f}")
            if not name.startswith("index"):
                worst = max(worst, median)
        print(f"slowest median (articles and entities): {worst:.1f} ms (limit {args.limit_ms:g} ms)")
        return 0 if worst <= args.limit_ms else 1
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
