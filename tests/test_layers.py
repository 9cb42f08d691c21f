"""The package's layers point one way, with no import cycle, and click only in the command-line modules.

The contracts are import-linter's, in pyproject.toml ([tool.importlinter]); CI runs `lint-imports`, and this test runs
it too, so that the suite run before every landing sees a module placed in no layer or an import against the layers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint_imports, "lint-imports is not installed: pip install -e '.[test]'"
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kept, 0 broken" in result.stdout, result.stdout


def test_import_kgbuild_is_cheap() -> None:
    """`import kgbuild` loads none of the heavy stages (spaCy, rdflib, pyshacl, pyoxigraph, Flask, click)."""
    code = ("import sys, kgbuild; heavy = {'spacy', 'rdflib', 'pyshacl', 'pyoxigraph', 'flask', 'click', 'yaml'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
