"""Compare `kgbuild serve` with Oxigraph's own server (`oxigraph serve`, PyPI package `oxigraph`) on the same data.

    python bench/bench_endpoint.py [--articles 300] [--repeat 15] [--threads 8] [--requests 400]

Both servers get the same N-Quads (synthetic articles shaped like the contract's model, so the competency questions
have answers) and the union default graph. Each query runs `--repeat` times on each server, interleaved, over a
kept-alive connection; then `--requests` queries go from `--threads` threads to each server in turn. Prints median
latencies, throughput, and kgbuild's ratio to Oxigraph (lower is better; the aim is within 1.5x).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG, KGR = "https://w3id.org/kgbuild/ontology#", "https://w3id.org/kgbuild/resource/"
RDF, RDFS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#"
OA, PROV = "http://www.w3.org/ns/oa#", "http://www.w3.org/ns/prov#"
STATES = ["Pakistan", "China", "India", "United States", "Turkey", "Iran", "Japan", "Brazil", "Egypt", "Kenya",
          "France", "Germany", "Qatar", "Saudi Arabia", "Indonesia", "Nigeria"]


def synthetic_nquads(articles: int) -> str:
    """Articles with states, officials, a meeting and an agreement each, with evidence, in their own graphs."""
    out = []

    def q(s: str, p: str, o: str, g: str) -> None:
        out.append(f"{s} {p} {o} <{g}> .\n")

    for n in range(articles):
        art = f"{KGR}article/a{n}"
        a, b = STATES[n % len(STATES)], STATES[(n * 7 + 3) % len(STATES)]
        if a == b:
            b = STATES[(n + 1) % len(STATES)]
        sa, sb = (f"<{KGR}state/{x.replace(' ', '-').lower()}>" for x in (a, b))
        pa, pb = f"<{KGR}person/p{n}>", f"<{KGR}person/q{n}>"
        meeting, agreement = f"<{KGR}event/a{n}-1>", f"<{KGR}agreement/a{n}-1>"
        q(f"<{art}>", f"<{RDF}type>", f"<{KG}Article>", art)
        q(f"<{art}>", "<http://schema.org/headline>", f'"{a} and {b} sign accords ({n})"', art)
        q(f"<{art}>", f"<{KG}text>", f'"{a} and {b} met on Monday and signed an accord. Article {n}."', art)
        for s, label in ((sa, a), (sb, b)):
            q(s, f"<{RDF}type>", f"<{KG}State>", art)
            q(s, f"<{RDFS}label>", f'"{label}"@en', art)
            wikidata = f"<http://www.wikidata.org/entity/Q{100 + STATES.index(label)}>"
            q(s, "<http://www.w3.org/2002/07/owl#sameAs>", wikidata, art)
        for p, s, label in ((pa, sa, f"Official {n}"), (pb, sb, f"Minister {n}")):
            q(p, f"<{RDF}type>", f"<{KG}Official>", art)
            q(p, f"<{RDFS}label>", f'"{label}"@en', art)
            q(p, f"<{KG}represents>", s, art)
        q(meeting, f"<{RDF}type>", f"<{KG}Meeting>", art)
        for p in (sa, sb, pa, pb):
            q(meeting, f"<{KG}participant>", p, art)
        q(meeting, f"<{KG}date>", f'"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"^^<http://www.w3.org/2001/XMLSchema#date>',
          art)
        q(agreement, f"<{RDF}type>", f"<{KG}MemorandumOfUnderstanding>", art)
        q(agreement, f"<{RDF}type>", f"<{KG}Agreement>", art)
        q(agreement, f"<{KG}party>", sa, art)
        q(agreement, f"<{KG}party>", sb, art)
        for fact in (meeting, agreement):
            ann, tgt, pos, quote = (f"<{KGR}ann/a{n}-{fact[-3:-1]}-{k}>" for k in "atpq")
            q(fact, f"<{PROV}wasDerivedFrom>", f"<{art}>", art)
            q(ann, f"<{OA}hasBody>", fact, art)
            q(ann, f"<{KG}rule>", '"rule-x"', art)
            q(ann, f"<{OA}hasTarget>", tgt, art)
            q(tgt, f"<{OA}hasSource>", f"<{art}>", art)
            q(tgt, f"<{OA}hasSelector>", pos, art)
            q(tgt, f"<{OA}hasSelector>", quote, art)
            q(pos, f"<{RDF}type>", f"<{OA}TextPositionSelector>", art)
            q(pos, f"<{OA}start>", '"0"^^<http://www.w3.org/2001/XMLSchema#integer>', art)
            q(pos, f"<{OA}end>", '"40"^^<http://www.w3.org/2001/XMLSchema#integer>', art)
            q(quote, f"<{RDF}type>", f"<{OA}TextQuoteSelector>", art)
            q(quote, f"<{OA}exact>", f'"{a} and {b} met on Monday and signed an accord."', art)
    return "".join(out)


def queries() -> dict[str, str]:
    found = {p.stem: p.read_text() for p in sorted((ROOT / "src" / "kgbuild" / "queries").glob("*.rq"))}
    found["count"] = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    found["lookup"] = f"SELECT ?p ?o WHERE {{ <{KGR}state/pakistan> ?p ?o }}"
    found["ask"] = f"ASK {{ ?s a <{KG}State> }}"
    found["construct"] = f"CONSTRUCT {{ ?m <{KG}participant> ?p }} WHERE {{ ?m <{KG}participant> ?p }} LIMIT 500"
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited early (port {port})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no server on port {port}")


class Client:
    """One kept-alive connection, as SPARQL client libraries and browsers use."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def query(self, sparql: str) -> float:
        body = urllib.parse.urlencode({"query": sparql})
        t0 = time.perf_counter()
        for attempt in (0, 1):
            try:
                self.conn.request("POST", self.path, body, {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            raise SystemExit(f"port {self.port}: HTTP {resp.status}: {data[:300]!r}")
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--budget", type=float, default=5.0, help="seconds per query before fewer runs are taken")
    ap.add_argument("--workers", type=int, default=None, help="kgbuild query worker processes")
    args = ap.parse_args()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(oxigraph).exists():
        raise SystemExit("the `oxigraph` command is missing: pip install oxigraph")
    import pyoxigraph as ox

    tmp = Path(tempfile.mkdtemp(prefix="kgbuild-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        data = tmp / "data.nq"
        data.write_text(synthetic_nquads(args.articles))
        ox.Store(str(tmp / "kg")).bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        subprocess.run([oxigraph, "load", "--location", str(tmp / "ox"), "--file", str(data)], check=True,
                       capture_output=True)
        kg_port, ox_port = free_port(), free_port()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
        opts = f", workers={args.workers}" if args.workers else ""
        procs.append(subprocess.Popen(
            [sys.executable, "-c", f"from kgbuild.endpoint import serve; serve({str(tmp / 'kg')!r}, port={kg_port}"
                                   f", threads={max(16, args.threads)}{opts})"],
            env=env, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([oxigraph, "serve", "--location", str(tmp / "ox"), "--bind",
                                       f"127.0.0.1:{ox_port}", "--union-default-graph"], stderr=subprocess.DEVNULL))
        wait_up(kg_port, procs[0], "/health")
        wait_up(ox_port, procs[1], "/")
        qs = queries()
        triples = sum(1 for _ in open(data))
        print(f"{args.articles} articles, {triples} quads; {args.repeat} runs per query per server, interleaved\n")
        paths = {kg_port: "/sparql", ox_port: "/query"}  # Oxigraph's server answers queries at /query
        kg, oxc = Client(kg_port, "/sparql"), Client(ox_port, "/query")
        for text in qs.values():  # warm both
            kg.query(text)
            oxc.query(text)
        print(f"{'query':<22}{'kgbuild ms':>12}{'oxigraph ms':>13}{'ratio':>8}")
        ratios, fast = [], []
        for name, text in qs.items():
            a, b = [], []
            started = time.monotonic()
            # Slow queries get fewer runs (at least 3) so that the whole benchmark stays within minutes.
            while len(a) < args.repeat and (len(a) < 3 or time.monotonic() - started < args.budget):
                a.append(kg.query(text))
                b.append(oxc.query(text))
            if statistics.median(b) < 0.5:
                fast.append(text)
            ma, mb = statistics.median(a) * 1000, statistics.median(b) * 1000
            ratios.append(ma / mb)
            print(f"{name:<22}{ma:>12.2f}{mb:>13.2f}{ma / mb:>8.2f}{len(a):>6} runs")
        print(f"{'geometric mean ratio':<47}{statistics.geometric_mean(ratios):>8.2f}\n")

        texts = fast  # throughput of the interactive queries; a 10 s query would only measure itself

        def throughput(port: int) -> float:
            local = threading.local()  # one kept-alive connection per thread

            def one(i: int) -> float:
                if not hasattr(local, "client"):
                    local.client = Client(port, paths[port])
                return local.client.query(texts[i % len(texts)])

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(one, range(args.requests)))
            return args.requests / (time.perf_counter() - t0)

        ta, tb = throughput(kg_port), throughput(ox_port)
        ta2, tb2 = throughput(kg_port), throughput(ox_port)
        ta, tb = max(ta, ta2), max(tb, tb2)
        print(f"throughput, {args.threads} threads, {args.requests} queries (the {len(texts)} under 0.5 s): "
              f"kgbuild {ta:.0f}/s, "
              f"oxigraph {tb:.0f}/s, ratio {tb / ta:.2f}")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
