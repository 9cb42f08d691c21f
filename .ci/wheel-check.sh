#!/usr/bin/env bash
# The package works installed from a wheel, away from the checkout: `python -m build` makes the wheel, a fresh
# virtual environment installs it (dependencies from the index, as a user gets them), and from another folder
# `kgbuild build` stores an article and `kgbuild.extract` returns facts. Usage: .ci/wheel-check.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-compile "$work"/dist/kgbuild-*.whl
mkdir "$work/elsewhere"
cp examples/article.txt "$work/elsewhere/"
cd "$work/elsewhere"
# from here on nothing of the checkout is reachable: no src/ on the path, mappings/ and ontology/ from the wheel
"$work/venv/bin/kgbuild" build article.txt --store store --jobs 1
"$work/venv/bin/python" - <<'EOF'
import kgbuild

assert "site-packages" in kgbuild.__file__, kgbuild.__file__
facts = kgbuild.extract("Pakistan and China signed an agreement in Beijing on Monday.", published="2026-02-04")
assert facts.states == ["pk", "cn"] and facts.agreements, facts
print(f"wheel: extract found states {facts.states} and {len(facts.agreements)} agreement(s) from {kgbuild.__file__}")
EOF
