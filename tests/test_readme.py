"""The README's worked examples print what the README says (tools/readme_examples.py; refresh with --update)."""

from __future__ import annotations

from conftest import shared_path, tool


def test_readme_examples_print_what_the_readme_shows() -> None:
    examples = tool("readme_examples")
    shared = shared_path()
    text = examples.README.read_text(encoding="utf-8")
    sessions = examples.sessions(text)
    assert sessions and any(len(s) >= 3 for s in sessions), "no worked example found in README.md"
    for steps in sessions:
        outputs = examples.run(steps, shared)
        for step, output in zip(steps, outputs, strict=True):
            assert output == step.shown, (
                f"README.md: `{step.command}` now prints:\n{output}\nrefresh with python tools/readme_examples.py "
                "--update")


def test_sessions_are_read_as_commands_and_outputs() -> None:
    examples = tool("readme_examples")
    text = "x\n```console\n$ kgbuild a\none\ntwo\n$ kgbuild b\n```\n```sh\n$ not this\n```\n"
    [steps] = examples.sessions(text)
    assert [(s.command, s.shown) for s in steps] == [("kgbuild a", "one\ntwo\n"), ("kgbuild b", "")]
