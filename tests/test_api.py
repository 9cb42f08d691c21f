"""The Python API in kgbuild/__init__.py: extract, build, read, Store.open (query, export), use."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from conftest import ROOT, run_cli

import kgbuild
from kgbuild import resources

EXAMPLE = ROOT / "examples" / "article.txt"
KG = "https://w3id.org/kgbuild/ontology#"


def test_extract_a_snippet() -> None:
    facts = kgbuild.extract("Pakistan and China signed an agreement in Beijing on Monday.",
                            published=dt.date(2026, 2, 4))
    assert isinstance(facts, kgbuild.Facts)
    assert facts.states == ["pk", "cn"]
    assert facts.annotated.article.headline == ""
    assert [set(a.parties) for a in facts.agreements] == [{"pk", "cn"}]
    assert facts.agreements[0].date == dt.date(2026, 2, 2)  # "on Monday" before the day published


def test_extract_reads_like_a_json_lines_record() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    facts = kgbuild.extract(text, published="2026-03-10")
    article = facts.annotated.article
    assert article.headline.startswith("Chile and Norway sign 5 memoranda")
    assert article.dateline == "OSLO"
    assert {"cl", "no"} <= set(facts.states)
    targets = [a for a in facts.agreements if a.kind == "target"]
    assert targets and targets[0].amount == 500_000_000 and targets[0].target_date == dt.date(2028, 3, 10)


def test_extract_of_nothing_is_an_input_error() -> None:
    with pytest.raises(kgbuild.InputError, match="empty text"):
        kgbuild.extract("   ")


def test_read_raises_or_reports_bad_input(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text(json.dumps({"id": "x1", "text": EXAMPLE.read_text(encoding="utf-8")}) + "\n{broken\n",
                    encoding="utf-8")
    errors: list[kgbuild.InputError] = []
    articles = list(kgbuild.read(good, on_error=errors.append))
    assert [a.key for a in articles] == ["x1"]
    assert len(errors) == 1 and errors[0].source == f"{good}:2"
    with pytest.raises(kgbuild.InputError):
        list(kgbuild.read([good]))


def test_build_then_open_query_and_export(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    seen: list[kgbuild.Outcome] = []
    report = kgbuild.build([EXAMPLE, tmp_path / "missing.txt"], store_path, on_outcome=seen.append)
    assert isinstance(report, kgbuild.BuildReport)
    assert (report.read, report.stored, report.rejected) == (2, 1, 1)
    assert report.rejections[0].source.endswith("missing.txt") and len(seen) == 2
    assert kgbuild.build([EXAMPLE], store_path).unchanged == 1  # the folder's lock was released by the first build

    with kgbuild.Store.open(store_path, read_only=True) as store:
        states = {r["s"].value for r in store.query(f"SELECT ?s WHERE {{ ?s a <{KG}State> }}")}
        assert {"https://w3id.org/kgbuild/resource/state/cl", "https://w3id.org/kgbuild/resource/state/no"} <= states
        article = next(g for g in store.graphs() if "/article/" in g)
        store.export(tmp_path / "all.trig")
        store.export(tmp_path / "one.nt", graph=article)
        with pytest.raises(kgbuild.StoreError, match="no graph"):
            store.export(tmp_path / "none.nt", graph="https://example.org/none")
        assert len(store) == sum(1 for _ in ox.parse(path=str(tmp_path / "all.trig"), format=ox.RdfFormat.TRIG))
    one = list(ox.parse(path=str(tmp_path / "one.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert any(t.subject == ox.NamedNode(article) for t in one)
    assert not (tmp_path / "none.nt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.trig", "one.nt", "store"]  # no temporary file left


def test_build_takes_records_and_an_open_store(tmp_path: Path) -> None:
    articles = list(kgbuild.read(EXAMPLE))
    with kgbuild.Store.open(tmp_path / "s") as store:
        report = kgbuild.build(iter(articles), store)
        assert report.stored == 1
        assert store.query("ASK { ?a a <https://w3id.org/kgbuild/ontology#Article> }")


def test_build_stops_when_asked_and_keeps_what_it_did(tmp_path: Path) -> None:
    inputs = tmp_path / "a.jsonl"
    text = EXAMPLE.read_text(encoding="utf-8")
    inputs.write_text("".join(json.dumps({"id": f"stop-{i}", "text": text}) + "\n" for i in range(3)),
                      encoding="utf-8")
    seen: list[kgbuild.Outcome] = []
    report = kgbuild.build(inputs, tmp_path / "s", on_outcome=seen.append, stop=lambda: len(seen) >= 1)
    assert report.interrupted and (report.read, report.stored) == (1, 1)
    with kgbuild.Store.open(tmp_path / "s", read_only=True) as store:
        ids = {r["id"].value for r in store.query(
            "SELECT ?id WHERE { GRAPH ?g { ?a <http://schema.org/identifier> ?id } }")}
    assert ids == {"stop-0"}
    again = kgbuild.build(inputs, tmp_path / "s")  # the same build again finishes the job
    assert not again.interrupted and (again.read, again.stored, again.unchanged) == (3, 2, 1)


def test_build_on_worker_processes_from_a_thread_that_is_not_the_main_one(tmp_path: Path) -> None:
    """A web application or a notebook may build from a thread of its own, where Python allows no signal handler:
    the worker pool must not try to set one there."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["report"] = kgbuild.build([EXAMPLE], tmp_path / "s", jobs=2, budget=60)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert "error" not in outcome, outcome.get("error")
    report = outcome["report"]
    assert isinstance(report, kgbuild.BuildReport) and (report.read, report.stored) == (1, 1)


def test_export_format_by_name_extension_or_media_type(tmp_path: Path) -> None:
    kgbuild.build([EXAMPLE], tmp_path / "s")
    store = kgbuild.Store.open(tmp_path / "s", read_only=True)
    for name, fmt in (("a.out", "nq"), ("b.out", "application/n-quads"), ("c.out", ox.RdfFormat.N_QUADS)):
        store.export(tmp_path / name, fmt)
    assert (tmp_path / "a.out").read_bytes() == (tmp_path / "b.out").read_bytes() == (tmp_path / "c.out").read_bytes()
    with pytest.raises(ValueError, match="unknown RDF format"):
        store.export(tmp_path / "d.out", "excel")


def test_use_reads_the_users_own_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the mappings where Norway has one more name: found from then on, in this process."""
    monkeypatch.setenv(resources.MAPPINGS_ENV, str(resources.mappings_dir()))  # restored after the test
    copy = tmp_path / "mappings"
    shutil.copytree(resources.mappings_dir(), copy)
    path = copy / "gazetteers" / "states.yaml"
    states = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(s for s in states if s["id"] == "no")["names"].append("Nordlandia")
    path.write_text(yaml.safe_dump(states, allow_unicode=True), encoding="utf-8")
    text = "Nordlandia and Pakistan signed an agreement in Islamabad on Monday."
    assert kgbuild.extract(text).states == ["pk"]
    kgbuild.use(mappings=copy)
    assert resources.mappings_dir() == copy.resolve()
    assert kgbuild.extract(text).states == ["no", "pk"]
    with pytest.raises(FileNotFoundError, match="no such ontology folder"):
        kgbuild.use(ontology=tmp_path / "nowhere")


def test_bundled_data_is_found() -> None:
    assert (resources.mappings_dir() / "rules" / "events.yaml").is_file()
    assert [p.name for p in resources.ontology_files()] == ["kgbuild.ttl", "shapes.ttl"]
    assert resources.shapes_path() == resources.ontology_dir() / "shapes.ttl"


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert kgbuild.__version__ == version("kgbuild")


def test_the_command_line_takes_the_users_mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kgbuild build --mappings DIR` reads the rules from DIR: a copy whose rules file is broken fails the build."""
    bundled = resources.mappings_dir()
    monkeypatch.setenv(resources.MAPPINGS_ENV, str(bundled))  # restored after the test
    copy = tmp_path / "mappings"
    shutil.copytree(bundled, copy)
    (copy / "rules" / "events.yaml").write_text("meetings: [\n", encoding="utf-8")
    result = run_cli("build", EXAMPLE, "--store", tmp_path / "s", "--jobs", "1", "--mappings", copy)
    assert result.returncode == 1
    assert result.stderr.startswith("kgbuild: error: ") and "events.yaml" in result.stderr
    assert run_cli("build", EXAMPLE, "--store", tmp_path / "s", "--jobs", "1",
                   "--mappings", bundled).returncode == 0
