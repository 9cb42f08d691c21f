"""Extraction quality on the gold-annotated articles, scored by the shared scorer; no change may lower it silently.

The floor is in quality_floor.json: F1 per fact category and the macro F1 reached so far, for each annotated set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT, shared_path

sys.path.insert(0, str(ROOT / "tools"))
import evaluate  # noqa: E402

FLOOR = json.loads((Path(__file__).parent / "quality_floor.json").read_text(encoding="utf-8"))
SLACK = 0.0005  # the scorer rounds to three decimals


@pytest.mark.parametrize("name", ["seed", "dev", "dev-web"])
def test_quality_does_not_drop(name: str) -> None:
    shared_path("spec", "score.py")
    result = evaluate.evaluate(name)["all"]
    floor = FLOOR[name]
    assert not result["articles_missing"], f"articles not found in the graph: {result['articles_missing']}"
    macro = result["macro_f1"]
    assert macro >= floor["macro_f1"] - SLACK, f"{name} macro F1 {macro} < {floor['macro_f1']}"
    for what in ("states", "officials", "meetings", "agreements"):
        got = result["facts"][what]["f1"]
        assert got >= floor[what] - SLACK, f"{name} {what} F1 {got} < {floor[what]}"
    evidence = result["evidence"]
    assert evidence["annotations"] and evidence["offsets_match_text"] == evidence["annotations"]


def test_issue_targets_hold() -> None:
    """Floors the issues set and that have been reached: seed macro F1 >= 0.9, dev >= 0.88."""
    assert FLOOR["seed"]["macro_f1"] >= 0.9
    assert FLOOR["dev"]["macro_f1"] >= 0.88
