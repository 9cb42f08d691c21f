"""The cost of a rejected record: `kgbuild build` of a JSON Lines dump whose every record is rejected (`{}`).

Each rejection is a line on stderr and a line in the report; memory must not grow with them (issue 14: one million
rejected records under 350 MB). Runs the real command in a subprocess, its stderr to a file, and prints per source
tree the median wall time, the time per rejected record (start-up, measured on an empty input, taken off) and the
peak RSS. Several trees are run turn about in one run, so their figures are side by side:

    python bench/bench_rejections.py                          # the installed kgbuild, 1,000,000 records, 3 runs
    git archive main src mappings ontology | tar -x -C /tmp/old
    python bench/bench_rejections.py --tree /tmp/old --tree . --records 200000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(tree: str | None, data: Path, folder: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one build of `data` into a fresh store."""
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = str(Path(tree, "src").resolve())
    store = Path(tempfile.mkdtemp(dir=folder))
    with (folder / "stderr.txt").open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "kgbuild.cli", "build", str(data), "--store", str(store),
                                 "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"{tree or 'installed'}: kgbuild build exited with {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", action="append", help="a source tree (with src/, mappings/, ontology/); repeatable")
    args = parser.parse_args()
    trees = args.tree or [None]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dump, empty = folder / "rejected.jsonl", folder / "empty.jsonl"
        dump.write_text("{}\n" * args.records)
        empty.write_text("")
        full: dict[str | None, list[tuple[float, float]]] = {t: [] for t in trees}
        start: dict[str | None, list[float]] = {t: [] for t in trees}
        for _ in range(args.runs):
            for tree in trees:  # turn about: a busy moment of the machine falls on every tree alike
                start[tree].append(run(tree, empty, folder)[0])
                full[tree].append(run(tree, dump, folder))
    base = None
    for tree in trees:
        seconds = statistics.median(s for s, _ in full[tree])
        per = (seconds - statistics.median(start[tree])) / args.records * 1e6
        peak = max(m for _, m in full[tree])
        base = base or per
        print(f"{tree or 'installed'}: {args.records:,} rejected records in {seconds:.1f} s (median of {args.runs}), "
              f"{per:.1f} µs a record after start-up ({per / base:.2f}x the first), peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
