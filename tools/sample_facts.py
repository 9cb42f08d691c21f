#!/usr/bin/env python3
"""Print the facts the extractor finds in a random sample of the unannotated wire stories, one fact a line.

    python tools/sample_facts.py --size 600 --seed 7 > before.txt
    (change a rule)
    python tools/sample_facts.py --size 600 --seed 7 > after.txt
    diff before.txt after.txt

No gold exists for these stories: every line that changes is read, to see whether a change that helps the
annotated sets does right on text nobody tuned on. `--keyword` keeps stories naming at least one of the words.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kgbuild.records import Facts

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "articles/corpus/reuters21578.jsonl.gz"
KEYWORDS = ("minister", "president", "talks", "visit", "agreement", "accord", "signed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=300, help="stories in the sample (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="the sample's random seed (default 7)")
    parser.add_argument("--keyword", action="append", help=f"keep stories naming one of these (default {KEYWORDS})")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"no corpus at {CORPUS} (set KGBUILD_SHARED)", file=sys.stderr)
        return 2

    import kgbuild
    from kgbuild.pipeline import extract

    words = tuple(w.lower() for w in (args.keyword or KEYWORDS))
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        rows = [r for r in map(json.loads, fh) if any(w in (r.get("text") or "").lower() for w in words)]
    sample = random.Random(args.seed).sample(rows, min(args.size, len(rows)))
    with tempfile.TemporaryDirectory(prefix="kgbuild-sample-") as folder:
        path = Path(folder) / "sample.jsonl"  # the reader takes files: the sample as JSON Lines
        path.write_text("".join(json.dumps(r) + "\n" for r in sample), encoding="utf-8")
        for article in kgbuild.read(path):
            _print_facts(article.identifier, extract(article))
    return 0


def _print_facts(key: str | None, facts: Facts) -> None:
    for o in facts.annotated.officials:
        print(key, "official", o.name, "|", o.title, "|", o.state)
    for m in facts.meetings:
        print(key, "meeting", m.kind, m.status, sorted(m.states), m.host, m.place, m.date)
    for a in facts.agreements:
        print(key, "agreement", a.kind, a.status, sorted(a.parties), a.date, a.count, a.amount, a.currency)
    print(key, "states", sorted(facts.states))


if __name__ == "__main__":
    sys.exit(main())
