"""The package's layers point one way, with no import cycle, and click only in the command-line modules.

Read from the sources with `ast` (every import statement, at module level, in functions and under TYPE_CHECKING):

    records -> reader -> annotate -> rules/mapping -> validate -> store -> serve/query/export/link -> API -> CLI

A new module belongs to the layer of its name's stem (`reader_html` and `reader/html.py` to `reader`); one that
fits no layer fails here until it is given one in LAYERS.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "kgbuild"

# Lowest first; a module may import modules of its own layer or of lower ones, never of a higher one.
LAYERS: list[tuple[str, set[str]]] = [
    ("records and data", {"records", "vocab", "yamlfile", "normalize", "resources", "formats", "sparql_syntax"}),
    ("gazetteers", {"gazetteer"}),
    ("reader", {"reader"}),
    ("annotate", {"annotate", "tokenizer"}),
    ("rules and mapping", {"rules", "mapping"}),
    ("validate", {"validate"}),
    ("store", {"graphs", "store", "remote"}),
    ("pipeline", {"pipeline", "distributed", "workers", "report"}),
    ("serve, query, export, link", {"results", "link", "endpoint", "explore", "views"}),
    ("the Python API", {"__init__"}),
    ("command line", {"cli"}),
]
CLI_STEM = "cli"


def _modules() -> dict[str, Path]:
    """Dotted names below kgbuild ("store", "cli_link", "reader.html", "__init__" for the package) -> file."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if len(parts) > 1 and parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The kgbuild modules (names as in MODULES) one import statement imports; others are left out."""
    if isinstance(node, ast.Import):
        return [_known(a.name.removeprefix("kgbuild").lstrip(".")) for a in node.names
                if a.name == "kgbuild" or a.name.startswith("kgbuild.")]
    if node.level == 0:
        if node.module != "kgbuild" and not (node.module or "").startswith("kgbuild."):
            return []
        base = node.module.removeprefix("kgbuild").lstrip(".")
    else:
        is_package = module == "__init__" or MODULES[module].name == "__init__.py"
        package = [] if module == "__init__" else module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    # `from . import cli_link` imports a module; `from . import __version__` a name of the package
    return [_known(f"{base}.{a.name}" if base else a.name) if (f"{base}.{a.name}" if base else a.name) in MODULES
            else _known(base) for a in node.names]


def _known(name: str) -> str:
    return name or "__init__"


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _resolve(module, node) if t != module)
        graph[module] = edges
    return graph


def _external(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _layer(module: str) -> int:
    stem = module.split(".")[0]
    for candidate in (stem, stem.split("_")[0]):
        for index, (_, members) in enumerate(LAYERS):
            if candidate in members:
                return index
    raise AssertionError(f"kgbuild.{module} is in no layer: add it to LAYERS in {Path(__file__).name}")


GRAPH = _imports()


def test_the_graph_is_read() -> None:
    """The checks below see real edges (a resolver that found none would pass them all)."""
    assert "remote" in GRAPH["store"] and "graphs" in GRAPH["remote"]
    assert "cli_link" in GRAPH["cli"] and "pipeline" in GRAPH["__init__"]
    assert "reader" in GRAPH["__init__"]


def test_no_import_cycle() -> None:
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles in kgbuild:\n" + "\n".join(cycles)


def test_layers_point_one_way() -> None:
    upward = [f"kgbuild.{m} ({LAYERS[_layer(m)][0]}) imports kgbuild.{t} ({LAYERS[_layer(t)][0]})"
              for m, targets in GRAPH.items() for t in sorted(targets) if _layer(t) > _layer(m)]
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_click_only_in_the_command_line(module: str) -> None:
    is_cli = module.split(".")[0].split("_")[0] == CLI_STEM
    if not is_cli:
        assert "click" not in _external(MODULES[module]), f"kgbuild.{module} imports click outside the CLI modules"


def test_import_kgbuild_is_cheap() -> None:
    """`import kgbuild` loads none of the heavy stages (spaCy, rdflib, pyshacl, pyoxigraph, Flask, click)."""
    import subprocess
    import sys

    code = ("import sys, kgbuild; heavy = {'spacy', 'rdflib', 'pyshacl', 'pyoxigraph', 'flask', 'click', 'yaml'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
