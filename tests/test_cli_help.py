"""The README's command table says what `kgbuild --help` says: the same commands, and options each command has."""

from __future__ import annotations

import re

from click.testing import CliRunner
from conftest import ROOT

from kgbuild.cli import main


def _readme_table() -> list[str]:
    """The first cells of the table under "## Command line"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `kgbuild")]
    assert rows, "no command table under '## Command line' in README.md"
    return [row.split(" | ")[0] for row in rows]


def _readme_commands() -> dict[str, set[str]]:
    """Command name -> the --options the README shows for it."""
    found: dict[str, set[str]] = {}
    for cell in _readme_table():
        for usage in re.findall(r"`kgbuild ([^`]*)`", cell):
            name, *rest = usage.split()
            found.setdefault(name, set()).update(re.findall(r"--[a-z][a-z-]*", " ".join(rest)))
    return found


def _help_commands() -> list[str]:
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:\n", 1)[1]
    return [line.split()[0] for line in listing.splitlines() if line.startswith("  ")]


def test_readme_lists_every_command_of_help() -> None:
    assert sorted(_readme_commands()) == sorted(_help_commands())


def test_readme_options_exist() -> None:
    for name, options in _readme_commands().items():
        command = main.commands[name]
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        assert options <= known, f"README shows options of `kgbuild {name}` it does not have: {options - known}"
