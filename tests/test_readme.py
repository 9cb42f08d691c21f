"""The README's worked examples print what the README says (tools/readme_examples.py; refresh with --update)."""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT, shared_path


def _tool():
    spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "tools" / "readme_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_readme_examples_print_what_the_readme_shows() -> None:
    tool = _tool()
    shared = shared_path()
    text = tool.README.read_text(encoding="utf-8")
    sessions = tool.sessions(text)
    assert sessions and any(len(s) >= 3 for s in sessions), "no worked example found in README.md"
    for steps in sessions:
        outputs = tool.run(steps, shared)
        for step, output in zip(steps, outputs, strict=True):
            assert output == step.shown, (
                f"README.md: `{step.command}` now prints:\n{output}\nrefresh with python tools/readme_examples.py "
                "--update")


def test_sessions_are_read_as_commands_and_outputs() -> None:
    tool = _tool()
    text = "x\n```console\n$ kgbuild a\none\ntwo\n$ kgbuild b\n```\n```sh\n$ not this\n```\n"
    [steps] = tool.sessions(text)
    assert [(s.command, s.shown) for s in steps] == [("kgbuild a", "one\ntwo\n"), ("kgbuild b", "")]
