"""The command line as its users expect it (issue 16): each point over the real command, with click's CliRunner;
a subprocess only where a real process matters (`serve` on a port in use, the token between server and client)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import ROOT, ServerProcess, free_port

from kgbuild.cli import main
from kgbuild.vocab import ENTITIES_GRAPH

EXAMPLE = ROOT / "examples" / "article.txt"
KG = "https://w3id.org/kgbuild/ontology#"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--store", str(path), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str, env: dict | None = None):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(main, list(args), env=env)


# -- export ---------------------------------------------------------------------------------------------------------


def test_jsonld_export_keeps_the_named_graphs(store: Path) -> None:
    result = run("export", "--store", str(store), "--format", "jsonld")
    assert result.exit_code == 0, result.output
    quads = list(ox.parse(result.stdout_bytes, ox.RdfFormat.JSON_LD))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert ENTITIES_GRAPH in graphs
    assert any(g.startswith("https://w3id.org/kgbuild/resource/article/") for g in graphs)
    nquads = run("export", "--store", str(store), "--format", "nquads")
    assert sorted(map(str, quads)) == sorted(map(str, ox.parse(nquads.stdout_bytes, ox.RdfFormat.N_QUADS)))
    # one article graph: its name is kept too
    article = next(g for g in graphs if "/article/" in g)
    one = run("export", "--store", str(store), "--format", "jsonld", "--graph", article)
    assert {q.graph_name.value for q in ox.parse(one.stdout_bytes, ox.RdfFormat.JSON_LD)} == {article}


# -- query ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sparql", "fmt", "fitting"), [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "turtle", "table, json, xml, csv, tsv"),
    ("ASK { ?s ?p ?o }", "jsonld", "table, json, xml, csv, tsv"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "csv", "turtle, ntriples, rdfxml, jsonld, n3, nquads, trig"),
])
def test_query_format_that_does_not_fit_is_a_usage_error(store: Path, sparql: str, fmt: str, fitting: str) -> None:
    result = run("query", "--store", str(store), "--format", fmt, sparql)
    assert result.exit_code == 2
    assert f"--format {fmt} does not fit" in result.output and f"use one of: {fitting}" in result.output
    assert result.stdout == ""  # nothing half-written


def test_ask_json_is_sparql_json(store: Path) -> None:
    result = run("query", "--store", str(store), "--format", "json", f"ASK {{ ?s a <{KG}State> }}")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"head": {}, "boolean": True}
    assert run("query", "--store", str(store), "ASK { ?s a <urn:nothing> }").stdout == "false\n"
    xml = run("query", "--store", str(store), "--format", "xml", "ASK {}").stdout
    assert "<boolean>true</boolean>" in xml


def test_construct_formats(store: Path) -> None:
    sparql = f"CONSTRUCT {{ ?s a <{KG}State> }} WHERE {{ ?s a <{KG}State> }}"
    default = run("query", "--store", str(store), sparql)
    turtle = run("query", "--store", str(store), "--format", "turtle", sparql)
    assert default.exit_code == turtle.exit_code == 0
    triples = set(map(str, ox.parse(default.stdout_bytes, ox.RdfFormat.N_TRIPLES)))
    assert len(triples) == 2  # Chile and Norway
    assert set(map(str, ox.parse(turtle.stdout_bytes, ox.RdfFormat.TURTLE))) == triples


def test_syntax_error_names_line_column_and_expectation(store: Path) -> None:
    result = run("query", "--store", str(store), "PREFIX kg: <https://w3id.org/kgbuild/ontology#>\n"
                                                  "SELECT ?s WHERE {\n  ?s a kg:State ;\n} LIMT 3")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("kgbuild: error: invalid query: line 4, column ")
    assert "expected" in lines[0] and len(lines[0]) < 160  # short: no grammar dump
    assert lines[1].strip() == "} LIMT 3" and lines[2].strip() == "^"
    undeclared = run("query", "--store", str(store), "SELECT * WHERE { ?s a foo:Bar }")
    assert "line 1, column 30: undeclared prefix 'foo:'" in undeclared.output



def test_query_from_a_file_and_a_missing_file(store: Path, tmp_path: Path) -> None:
    rq = tmp_path / "states.rq"
    rq.write_text(f"ASK {{ ?s a <{KG}State> }}\n", encoding="utf-8")
    assert run("query", "--store", str(store), f"@{rq}").stdout == "true\n"
    missing = run("query", "--store", str(store), f"@{tmp_path / 'none.rq'}")
    assert missing.exit_code == 1 and missing.stdout == ""
    assert missing.stderr == f"kgbuild: error: {tmp_path / 'none.rq'}: No such file or directory\n"


# -- build, serve: usage and environment errors ----------------------------------------------------------------------


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    for command in ("build", "validate"):
        args = [command, str(EXAMPLE), str(tmp_path / "nowhere.txt")]
        result = run(*args, *(["--store", str(tmp_path / "s")] if command == "build" else []))
        assert result.exit_code == 2, result.output
        assert "nowhere.txt" in result.output and "does not exist" in result.output
    assert not (tmp_path / "s").exists()  # nothing was started


def test_serve_on_a_port_in_use_is_one_line(store: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "kgbuild.cli", "serve", "--store", str(store), "--port",
                                 str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == f"kgbuild: error: port {port} is in use; try --port\n"



NO_STORE = "no store here (run `kgbuild build` first)"


@pytest.mark.parametrize(("command", "reason"), [
    (["query", "ASK {}"], NO_STORE), (["export"], NO_STORE), (["stats"], NO_STORE), (["link", "--dry-run"], NO_STORE),
    (["serve", "--workers", "1"], "no store here (run `kgbuild build` first, or serve with --token to fill it)"),
    (["load"], "ends inside a graph (no digest after its last triples): not a complete shard"),
], ids=["query", "export", "stats", "link", "serve", "load"])
def test_every_command_says_an_error_in_one_line_of_one_form(tmp_path: Path, command: list[str], reason: str) -> None:
    """A store that is not there (for load, a shard cut short): `kgbuild: error: ...`, exit code 1, nothing else."""
    where = tmp_path / "none"
    if command == ["load"]:
        where = tmp_path / "part-0.nq"
        where.write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n", encoding="utf-8")
        command = ["load", str(where)]
    elif command[0] == "serve":
        command = [*command, "--port", str(free_port())]
    result = run(*command, "--store", str(tmp_path / "none"))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"kgbuild: error: {where}: {reason}\n")

def test_verbose_adds_the_trace_to_the_one_line_error(tmp_path: Path) -> None:
    args = ["query", "--store", str(tmp_path / "none"), "ASK {}"]
    line = f"kgbuild: error: {tmp_path / 'none'}: no store here (run `kgbuild build` first)\n"
    assert run(*args).stderr == line
    verbose = run("--verbose", *args)
    assert verbose.exit_code == 1
    assert verbose.stderr.startswith("Traceback (most recent call last):\n") and verbose.stderr.endswith(line)
    assert "kgbuild.graphs.StoreError: " in verbose.stderr


def test_export_to_a_folder_that_is_not_there_is_one_line(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "folder" / "kg.ttl"
    result = run("export", "--store", str(store), "-o", str(out))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"kgbuild: error: {out}: cannot write: No such file or directory\n"


def test_a_build_piped_is_quiet_and_reports_no_rejections(store: Path) -> None:
    """No progress bar when stderr is not a terminal (CliRunner's is not): a clean build prints its summary and
    nothing else, and writes no report of rejected articles."""
    result = run("build", str(EXAMPLE), "--store", str(store), "--jobs", "1")
    assert result.exit_code == 0
    assert result.stdout.startswith("1 articles read, 0 stored, 1 unchanged, 0 rejected, ")
    assert result.stderr == ""
    assert not (store / "rejected.jsonl").exists()


def test_a_build_on_a_terminal_shows_a_progress_bar(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the test above: stderr a real terminal (a pseudo-terminal), the command called in this
    process as its entry point calls it."""
    master, slave = os.openpty()
    with open(master, "rb", buffering=0) as screen, open(slave, "w", encoding="utf-8") as tty:
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", tty)
            with pytest.raises(SystemExit) as exited:
                main(["build", str(EXAMPLE), "--store", str(store), "--jobs", "1"], standalone_mode=False)
        tty.flush()
        os.set_blocking(master, False)
        shown = screen.read(1 << 16).decode("utf-8")
    assert exited.value.code == 0
    assert re.search(r"building +\[#+\] +1/", shown), shown


def test_the_report_of_rejections_is_json_whatever_the_file_names(tmp_path: Path) -> None:
    """The report is written by hand (json.dumps was most of the cost of a rejection): names with quotes,
    backslashes, tabs, newlines and non-ASCII letters must still make one JSON object a line."""
    folder = tmp_path / "in"
    folder.mkdir()
    names = ['say "hi".txt', "back\\slash.txt", "tab\there.txt", "new\nline.txt", "caf\u00e9 \u4e2d.txt"]
    for name in names:
        (folder / name).write_text("", encoding="utf-8")
    result = run("build", str(folder), "--store", str(tmp_path / "s"), "--jobs", "1")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in (tmp_path / "s" / "rejected.jsonl").read_text(encoding="utf-8")
            .splitlines()]
    assert rows == [{"source": str(folder / name), "reason": "empty file", "report": None} for name in sorted(names)]



@pytest.mark.parametrize(("where", "reason"), [("no/such/folder/report.jsonl", "No such file or directory"),
                                               ("store/rejected.jsonl", "Is a directory")],
                         ids=["opened", "moved-into-place"])
def test_a_report_that_cannot_be_written_is_one_line_and_leaves_no_partial_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, reason: str) -> None:
    """The report fails when its first rejection is written (its folder is not there), or when it is moved into
    place at the end (a folder has its name)."""
    monkeypatch.chdir(tmp_path)
    Path("empty.txt").write_text("", encoding="utf-8")
    Path("store", "rejected.jsonl").mkdir(parents=True)
    report = [] if where.startswith("store/") else ["--report", where]
    result = run("build", "empty.txt", str(EXAMPLE), "--store", "store", "--jobs", "1", *report)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["kgbuild: empty.txt: empty file",
                                          f"kgbuild: error: {where}: cannot write the report of rejected articles: "
                                          f"{reason}"]
    assert [p for p in tmp_path.rglob("*") if ".partial" in p.name] == []



def test_without_dask_shard_says_what_to_install_and_load_still_works(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install kgbuild` without the [dist] extra: a machine that loads shards made elsewhere."""
    from kgbuild.distributed import extract_partition
    from kgbuild.reader import read

    quads, rejections, _ = extract_partition(list(read([EXAMPLE])))  # a shard, as a Dask worker writes it
    assert not rejections
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "part-00000.nq").write_text(quads, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed: importing it fails
    shard = run("shard", str(EXAMPLE), "--out", str(tmp_path / "out"))
    assert (shard.exit_code, shard.stderr) == (1, "kgbuild: error: kgbuild shard needs Dask: "
                                                  "pip install 'kgbuild[dist]'\n")
    load = run("load", str(tmp_path / "shards"), "--store", str(tmp_path / "s"))
    assert load.exit_code == 0, load.output
    assert load.stdout.startswith("1 shards loaded: 1 graphs stored, 0 unchanged, ")


@pytest.mark.parametrize("name", ["KGBUILD_TOKEN", "KGBUILD_UPDATE_TOKEN"])
def test_one_token_variable_for_server_and_client(store: Path, tmp_path: Path, name: str) -> None:
    """The server takes the token from either name, and so does the client: a user who sets one is not refused."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KGBUILD_TOKEN", "KGBUILD_UPDATE_TOKEN")}
    copy = tmp_path / "store"
    run("export", "--store", str(store), "--format", "nquads", "-o", str(tmp_path / "all.nq"))
    ox.Store(str(copy)).bulk_load(path=str(tmp_path / "all.nq"), format=ox.RdfFormat.N_QUADS)
    server = ServerProcess([sys.executable, "-m", "kgbuild.cli", "serve", "--store", str(copy), "--port", str(port),
                            "--workers", "1"], f"http://127.0.0.1:{port}/health", tmp_path / "server.log",
                           {**env, name: "s3cret", "PYTHONPATH": str(ROOT / "src")})
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as resp:
            assert json.loads(resp.read())["updates"] is True
        remote = f"http://127.0.0.1:{port}/"
        new = tmp_path / "new.txt"  # an article the store does not hold yet: the build must write
        new.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Chile and Norway sign", "Chile, Norway sign", 1),
                       encoding="utf-8")
        refused = run("build", str(new), "--store", remote, "--jobs", "1",
                      env={"KGBUILD_TOKEN": None, "KGBUILD_UPDATE_TOKEN": None})
        assert refused.exit_code == 1 and "token" in refused.output
        accepted = run("build", str(new), "--store", remote, "--jobs", "1",
                       env={"KGBUILD_TOKEN": None, "KGBUILD_UPDATE_TOKEN": None, name: "s3cret"})
        assert accepted.exit_code == 0, accepted.output
    finally:
        server.stop()
