#!/usr/bin/env python3
"""Score the extractor on every gold-annotated set, and on each half of each set, in one run.

    python tools/evaluate.py                  # the table: every set, whole and by half
    python tools/evaluate.py dev-web --json   # one set, the shared scorer's full report as JSON

Each set is built into a fresh temporary store with `kgbuild build`, exported as N-Quads and scored with the shared
scorer (`../shared/spec/score.py`). The halves split a set by the position of its articles in the gold file (odd
rows are half A, even rows half B): tune on one half, check on the other.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))
SETS = {
    "seed": (SHARED / "articles/seed/000_a3e0a6f692aefeff.txt", SHARED / "articles/seed/gold.jsonl"),
    "dev": (SHARED / "articles/dev/articles.jsonl", SHARED / "articles/dev/gold.jsonl"),
    "dev-web": (SHARED / "articles/dev-web/articles.jsonl", SHARED / "articles/dev-web/gold.jsonl"),
}
CATEGORIES = ("states", "officials", "meetings", "agreements")


def _scorer():
    spec = importlib.util.spec_from_file_location("kgbuild_shared_score", SHARED / "spec/score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_export(articles: Path, workdir: Path) -> Path:
    """Build the articles into a fresh store under workdir and export it as N-Quads."""
    store, export = workdir / "store", workdir / "export.nq"
    kgbuild = [sys.executable, "-m", "kgbuild.cli"]
    subprocess.run([*kgbuild, "build", str(articles), "--store", str(store), "--jobs", "1"],
                   check=False, capture_output=True, text=True)
    subprocess.run([*kgbuild, "export", "--store", str(store), "--format", "nquads", "-o", str(export)],
                   check=True, capture_output=True, text=True)
    return export


def evaluate(name: str) -> dict[str, dict]:
    """The scorer's result for the set, and for its halves A and B (when it has more than two articles)."""
    import pyoxigraph as ox

    score = _scorer()
    articles, gold_path = SETS[name]
    gold = [json.loads(line) for line in gold_path.open(encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        export = build_export(articles, Path(tmp))
        store = ox.Store()
        store.bulk_load(path=str(export), format=ox.RdfFormat.N_QUADS)
        results = {"all": score.score(store, gold)}
        if len(gold) > 2:
            results["A"] = score.score(store, gold[0::2])
            results["B"] = score.score(store, gold[1::2])
    return results


def table(results: dict[str, dict[str, dict]]) -> str:
    head = "| set | half | articles | " + " | ".join(f"{c} P / R / F1" for c in CATEGORIES) + " | macro F1 |"
    lines = [head, "|" + " --- |" * (len(CATEGORIES) + 4)]
    for name, halves in results.items():
        for half, r in halves.items():
            cells = [f"{r['facts'][c]['precision']:.2f} / {r['facts'][c]['recall']:.2f} / {r['facts'][c]['f1']:.2f}"
                     for c in CATEGORIES]
            lines.append(f"| {name} | {half} | {r['articles']} | " + " | ".join(cells) + f" | {r['macro_f1']:.3f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", metavar="SET", help=f"the sets to score: {', '.join(SETS)} (default: all)")
    ap.add_argument("--json", action="store_true", help="print the scorer's full results as JSON")
    args = ap.parse_args()
    unknown = [n for n in args.sets if n not in SETS]
    if unknown:
        ap.error(f"unknown set {unknown[0]!r}; choose from {', '.join(SETS)}")
    missing = [str(p) for n in (args.sets or SETS) for p in SETS[n] if not p.exists()]
    if missing:
        print(f"error: {missing[0]} is absent: ../shared is not beside this checkout", file=sys.stderr)
        return 2
    results = {name: evaluate(name) for name in (args.sets or SETS)}
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
