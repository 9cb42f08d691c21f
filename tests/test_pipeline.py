"""End to end: the command line builds real stores on disk from articles, then queries and exports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, shared_path

from kgbuild.reader import read
from kgbuild.store import Store

EXAMPLES = ROOT / "examples"


kgbuild = run_cli


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed = shared_path("articles", "seed", "000_a3e0a6f692aefeff.txt")
    store = tmp_path_factory.mktemp("seed") / "store"
    result = kgbuild("build", str(seed), "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "2 articles read, 2 stored" in result.stdout
    return store


def query(store: Path, sparql: str) -> list[dict]:
    result = kgbuild("query", sparql, "--store", str(store), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def test_trade_target_answers_as_gold(seed_store: Path) -> None:
    cq = shared_path("spec", "cq", "cq04-trade-targets.rq")
    rows = query(seed_store, "@" + str(cq))
    assert len(rows) == 1
    row = rows[0]
    assert set(row["parties"].split("|")) == {"Pakistan", "Kazakhstan"}
    assert float(row["amount"]) == 1_000_000_000
    assert row["currency"] == "USD"
    assert row["targetDate"] == "2027-02-04"


def test_every_competency_question_runs(seed_store: Path) -> None:
    for cq in sorted(shared_path("spec", "cq").glob("*.rq")):
        rows = query(seed_store, "@" + str(cq))
        assert rows, f"{cq.name} gave no answer on the seed"


def test_states_and_officials(seed_store: Path) -> None:
    states = {r["state"] for r in query(seed_store, "@" + str(shared_path("spec", "cq", "cq01-states.rq")))}
    assert {"Pakistan", "Kazakhstan", "Malaysia", "India", "United States", "Afghanistan"} <= states
    officials = query(seed_store, "@" + str(shared_path("spec", "cq", "cq02-officials.rq")))
    by_name = {r["name"]: (r.get("title"), r["state"]) for r in officials}
    assert by_name["Shehbaz Sharif"] == ("Prime Minister", "Pakistan")
    assert by_name["Kassym-Jomart Tokayev"] == ("President", "Kazakhstan")
    assert by_name["Ahsan Iqbal"] == ("Planning Minister", "Pakistan")


def test_evidence_offsets_point_into_the_text(seed_store: Path) -> None:
    rows = query(seed_store, "@" + str(shared_path("spec", "cq", "cq07-evidence.rq")))
    assert rows
    for r in rows:
        assert r["text"][int(r["start"]):int(r["end"])] == r["exact"]
        assert r["rule"]


def test_rerun_changes_nothing(seed_store: Path) -> None:
    before = kgbuild("export", "--store", str(seed_store), "--format", "nquads").stdout
    result = kgbuild("build", str(shared_path("articles", "seed", "000_a3e0a6f692aefeff.txt")),
                     "--store", str(seed_store))
    assert result.returncode == 0
    assert "0 stored, 2 unchanged" in result.stdout
    after = kgbuild("export", "--store", str(seed_store), "--format", "nquads").stdout
    assert sorted(before.splitlines()) == sorted(after.splitlines())


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "trig", "jsonld"])
def test_export_formats_parse(seed_store: Path, fmt: str, tmp_path: Path) -> None:
    import rdflib

    out = tmp_path / f"export.{fmt}"
    result = kgbuild("export", "--store", str(seed_store), "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    parser = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig", "jsonld": "json-ld"}[fmt]
    g = rdflib.Dataset() if fmt in ("nquads", "trig", "jsonld") else rdflib.Graph()  # JSON-LD keeps the graphs
    g.parse(out, format=parser)
    assert len(g) > 100


def test_export_one_graph(seed_store: Path) -> None:
    store = Store(seed_store, read_only=True)
    graphs = [g for g in store.graphs() if "/article/" in g]
    del store
    result = kgbuild("export", "--store", str(seed_store), "--format", "nquads", "--graph", graphs[0])
    assert result.returncode == 0
    assert all(line.rstrip(" .").endswith(f"<{graphs[0]}>") for line in result.stdout.splitlines() if line)


def test_our_example_builds_from_stdin(tmp_path: Path) -> None:
    text = (EXAMPLES / "article.txt").read_text(encoding="utf-8")
    result = kgbuild("build", "-", "--store", str(tmp_path / "s"), stdin=text)
    assert result.returncode == 0, result.stderr
    assert "1 articles read, 1 stored" in result.stdout


def test_bad_input_is_one_line_and_exit_1(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text((EXAMPLES / "article.txt").read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "title": "T", "text": "A text."}\n{not json\n', encoding="utf-8")
    result = kgbuild("build", str(good), str(bad), "--store", str(tmp_path / "s"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{bad}:2:" in result.stderr
    assert "1 rejected" in result.stdout
    report = (tmp_path / "s" / "rejected.jsonl").read_text(encoding="utf-8")
    assert "bad.jsonl:2" in report


def test_usage_error_exits_2() -> None:
    assert kgbuild("build").returncode == 2
    assert kgbuild("export", "--format", "xml").returncode == 2


def test_query_errors_are_one_line(tmp_path: Path, seed_store: Path) -> None:
    result = kgbuild("query", "SELEC nonsense", "--store", str(seed_store))
    assert result.returncode == 1
    assert result.stderr.startswith("kgbuild: error:") and "Traceback" not in result.stderr
    missing = kgbuild("query", "SELECT * WHERE { ?s ?p ?o }", "--store", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no store" in missing.stderr


def test_reader_yields_two_seed_articles() -> None:
    articles = list(read([shared_path("articles", "seed", "000_a3e0a6f692aefeff.txt")]))
    assert len(articles) == 2


def test_evidence_is_minted_per_article(tmp_path: Path) -> None:
    """The same official at the same offsets in two articles has two pieces of evidence, one per article."""
    text = (EXAMPLES / "article.txt").read_text(encoding="utf-8")
    headline, body = text.split("\n\n", 1)
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps({"id": f"copy-{n}", "title": headline, "date": "2026-03-10", "text": body})
                            + "\n" for n in (1, 2)), encoding="utf-8")
    store = tmp_path / "s"
    assert kgbuild("build", str(path), "--store", str(store)).returncode == 0
    rows = query(store, """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?ann (COUNT(DISTINCT ?source) AS ?n) WHERE { ?ann oa:hasTarget/oa:hasSource ?source } GROUP BY ?ann""")
    assert rows and all(r["n"] == "1" for r in rows)
