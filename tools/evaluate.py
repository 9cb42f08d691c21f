#!/usr/bin/env python3
"""Score the extractor on gold-annotated articles with the shared scorer.

    python tools/evaluate.py seed|dev [--json]

Builds the articles into a fresh temporary store with `kgbuild build`, exports N-Quads and runs
`../shared/spec/score.py` on them. Prints the scorer's report (or its JSON).
"""

from __future__ import annotations

import argparse
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


def evaluate(name: str) -> dict:
    articles, gold = SETS[name]
    with tempfile.TemporaryDirectory() as tmp:
        store, export = Path(tmp) / "store", Path(tmp) / "export.nq"
        kgbuild = [sys.executable, "-m", "kgbuild.cli"]
        subprocess.run([*kgbuild, "build", str(articles), "--store", str(store), "--jobs", "1"],
                       check=False, capture_output=True, text=True)
        subprocess.run([*kgbuild, "export", "--store", str(store), "--format", "nquads", "-o", str(export)],
                       check=True, capture_output=True, text=True)
        out = subprocess.run([sys.executable, str(SHARED / "spec/score.py"), "--gold", str(gold),
                              "--graph", str(export), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", choices=sorted(SETS))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = evaluate(args.set)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for what, v in result["facts"].items():
        print(f"{what:24} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  "
              f"(tp {v['tp']}, fp {v['fp']}, fn {v['fn']})")
    for what, v in result["attributes"].items():
        print(f"{what:24} accuracy {v['accuracy']:.3f} over {v['n']} matched")
    ev = result["evidence"]
    print(f"evidence offsets matching the text: {ev['offsets_match_text']}/{ev['annotations']}")
    print(f"macro F1 {result['macro_f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
