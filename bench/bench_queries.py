"""Latency of the competency questions on the full-corpus store: kgbuild's engine beside `oxigraph serve`.

    python bench/bench_queries.py [--store PATH] [--corpus FILE] [--repeat 15] [--jobs N]

Without --store, builds the whole corpus into a fresh store first (`kgbuild build --jobs N`). The store is exported
as N-Quads and loaded into Oxigraph's own server (`oxigraph load` + `oxigraph serve --union-default-graph`, PyPI
package `oxigraph`). Each query of src/kgbuild/queries runs `--repeat` times on each side, interleaved:
- kgbuild: Store.query (the engine of `kgbuild query`: pyoxigraph in process, union default graph), every row read;
- oxigraph: an HTTP POST to /query over a kept-alive connection, the whole JSON answer read.
Prints the rows, the medians and the ratio kgbuild / oxigraph (the kgbuild side pays no HTTP nor JSON, so a ratio
above 1 points at the store, not at the transport).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_endpoint import Client, free_port, wait_up

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))  # as in tests/conftest.py
CORPUS = SHARED / "articles" / "corpus" / "reuters21578.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=None, help="an existing store (else the corpus is built)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per query before fewer runs are taken")
    ap.add_argument("--skip", default="", help="comma-separated queries not to time (e.g. cq07-evidence)")
    ap.add_argument("--probe", type=float, default=120.0,
                    help="a query whose first run on Oxigraph takes longer than this many seconds is reported, "
                         "not timed further")
    args = ap.parse_args()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(oxigraph).exists():
        raise SystemExit("the `oxigraph` command is missing: pip install oxigraph")
    import pyoxigraph as ox

    from kgbuild.pipeline import default_jobs
    from kgbuild.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="kgbuild-bench-q-"))
    proc = None
    try:
        store_path = args.store
        if store_path is None:
            store_path = tmp / "kg"
            kgbuild = shutil.which("kgbuild") or str(Path(sys.executable).with_name("kgbuild"))
            t0 = time.perf_counter()
            out = subprocess.run([kgbuild, "build", str(args.corpus), "--store", str(store_path), "--jobs",
                                  str(args.jobs or default_jobs())], capture_output=True, text=True)
            if out.returncode not in (0, 1):
                raise SystemExit(f"build failed: {out.stderr[-2000:]}")
            print(f"built {store_path} in {time.perf_counter() - t0:.1f} s: {out.stdout.strip()}")
        store = Store(store_path, read_only=True)
        data = tmp / "data.nq"
        with data.open("wb") as fh:
            store.dump(fh, ox.RdfFormat.N_QUADS)
        quads = len(store)
        graphs = sum(1 for _ in store.graphs())
        subprocess.run([oxigraph, "load", "--location", str(tmp / "ox"), "--file", str(data)], check=True,
                       capture_output=True)
        port = free_port()
        proc = subprocess.Popen([oxigraph, "serve-read-only", "--location", str(tmp / "ox"), "--bind",
                                 f"127.0.0.1:{port}", "--union-default-graph"], stderr=subprocess.DEVNULL)
        wait_up(port, proc, "/")
        client = Client(port, "/query")
        skip = {q.strip() for q in args.skip.split(",") if q.strip()}
        queries = {p.stem: p.read_text() for p in sorted((ROOT / "src" / "kgbuild" / "queries").glob("*.rq"))
                   if p.stem not in skip}
        print(f"{quads} quads in {graphs} graphs; {args.repeat} runs per query per side, interleaved, medians\n")

        def ours(text: str) -> tuple[float, int]:
            t0 = time.perf_counter()
            rows = sum(1 for _ in store.query(text))
            return time.perf_counter() - t0, rows

        print(f"{'query':<22}{'rows':>7}{'kgbuild ms':>12}{'oxigraph ms':>13}{'ratio':>8}")
        ratios = []
        for name, text in queries.items():
            probe = Client(port, "/query")
            probe.conn.timeout = args.probe
            try:
                first = probe.query(text)  # warms Oxigraph, and finds the queries too slow to time
            except (TimeoutError, OSError):
                print(f"{name:<22}{'':>7}{'':>12}{'> ' + format(args.probe, '.0f') + ' s':>13}   not timed")
                continue
            ours(text)
            a, b, rows = [], [], 0
            started = time.monotonic()
            while len(a) < args.repeat and (len(a) < 3 or time.monotonic() - started < args.budget):
                t, rows = ours(text)
                a.append(t)
                b.append(client.query(text))
            ma, mb = statistics.median(a) * 1000, statistics.median(b) * 1000
            ratios.append(ma / mb)
            print(f"{name:<22}{rows:>7}{ma:>12.1f}{mb:>13.1f}{ma / mb:>8.2f}{len(a):>5} runs"
                  f" (first Oxigraph run {first:.1f} s)" if first > 10 else
                  f"{name:<22}{rows:>7}{ma:>12.1f}{mb:>13.1f}{ma / mb:>8.2f}{len(a):>5} runs")
        print(f"{'geometric mean ratio':<54}{statistics.geometric_mean(ratios):>8.2f}")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
