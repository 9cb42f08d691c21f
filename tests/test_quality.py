"""Extraction quality on the gold-annotated articles, scored by the shared scorer; no change may lower it silently.

The floor is in quality_floor.json: precision and recall per fact category and the macro F1 reached so far.
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


@pytest.mark.parametrize("name", ["seed", "dev"])
def test_quality_does_not_drop(name: str) -> None:
    shared_path("spec", "score.py")
    result = evaluate.evaluate(name)["all"]
    floor = FLOOR[name]
    assert not result["articles_missing"], f"articles not found in the graph: {result['articles_missing']}"
    macro = result["macro_f1"]
    assert macro >= floor["macro_f1"] - SLACK, f"{name} macro F1 {macro} < {floor['macro_f1']}"
    for what in ("states", "officials", "meetings", "agreements"):
        got = result["facts"][what]
        precision, recall = floor[what]
        assert got["precision"] >= precision - SLACK, f"{name} {what} precision {got['precision']} < {precision}"
        assert got["recall"] >= recall - SLACK, f"{name} {what} recall {got['recall']} < {recall}"
    evidence = result["evidence"]
    assert evidence["annotations"] and evidence["offsets_match_text"] == evidence["annotations"]


def test_issue_targets_hold() -> None:
    """The goals of the rules issue: seed macro F1 >= 0.9; dev >= 0.75, per-category precision and recall floors."""
    assert FLOOR["seed"]["macro_f1"] >= 0.9
    dev = FLOOR["dev"]
    assert dev["macro_f1"] >= 0.75
    for what, minimum in (("states", 0.7), ("officials", 0.7), ("meetings", 0.6), ("agreements", 0.6)):
        assert min(dev[what]) >= minimum, f"dev {what} floor {dev[what]} is below the issue's {minimum}"
