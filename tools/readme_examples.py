"""Runs the README's worked examples and checks (or rewrites) the output shown under each command.

Every ```console block of README.md is a session: lines starting with `$ kgbuild ` are commands, the lines after
each one up to the next `$ ` are what it prints on stdout. The commands run in order in a fresh folder (the
README's relative paths, `examples/` and `../shared/`, point at this checkout's and the shared folder), with a fresh
store, as `python -m kgbuild.cli` of this checkout.

    python tools/readme_examples.py            # exit 1 and a diff when the README's output is stale
    python tools/readme_examples.py --update   # rerun the commands and write their output into README.md

tests/test_readme.py runs the check, so a change in what the commands print fails the tests until the README
is refreshed with --update.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)


@dataclass
class Step:
    command: str  # as written after "$ "
    shown: str  # the output the README shows


def sessions(text: str) -> list[list[Step]]:
    out = []
    for block in BLOCK.finditer(text):
        steps: list[Step] = []
        for line in block.group(1).splitlines(keepends=True):
            if line.startswith("$ "):
                steps.append(Step(line[2:].strip(), ""))
            elif steps:
                steps[-1].shown += line
        out.append(steps)
    return out


def run(steps: list[Step], shared: Path) -> list[str]:
    """What each command prints now (stdout), run in order in a fresh folder."""
    outputs = []
    with tempfile.TemporaryDirectory(prefix="kgbuild-readme-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        (work / "examples").symlink_to(ROOT / "examples")
        (Path(tmp) / "shared").symlink_to(shared)
        env = {**os.environ, "KGBUILD_STORE": str(work / "kgbuild-store"),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        for step in steps:
            args = shlex.split(step.command)
            if args[0] != "kgbuild":
                raise SystemExit(f"README example is not a kgbuild command: {step.command}")
            result = subprocess.run([sys.executable, "-m", "kgbuild.cli", *args[1:]], cwd=work, env=env,
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise SystemExit(f"README example failed (exit {result.returncode}): {step.command}\n{result.stderr}")
            outputs.append(result.stdout)
    return outputs


def refreshed(text: str, shared: Path) -> str:
    """README text with each console block's outputs replaced by what the commands print now."""
    def block(match: re.Match) -> str:
        steps = sessions(match.group(0))[0]
        outputs = run(steps, shared)
        return "```console\n" + "".join(f"$ {s.command}\n{o}" for s, o in zip(steps, outputs, strict=True)) + "```\n"

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="write the commands' output into README.md")
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared")),
                        help="the shared folder (default ../shared or $KGBUILD_SHARED)")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = refreshed(text, args.shared.resolve())
    if args.update:
        if new != text:
            README.write_text(new, encoding="utf-8")
            print("README.md: example output refreshed")
        else:
            print("README.md: example output already current")
        return 0
    if new != text:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True),
                                                   "README.md", "README.md (commands run now)"))
        print("README.md: example output is stale; run python tools/readme_examples.py --update", file=sys.stderr)
        return 1
    print("README.md: example output matches the commands")
    return 0


if __name__ == "__main__":
    sys.exit(main())
