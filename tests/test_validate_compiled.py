"""The compiled shapes (validate()) against pySHACL on the same shapes: same verdict, same report lines.

pySHACL stays the reference: validate_reference() is its public validate() on shapes.ttl as written, and the path
taken for shapes the compiler does not support (loudly: the result's engine, the build's count and warning).
Cases: the broken graphs of test_ontology, further mutations that touch each kind of constraint the compiler handles,
and the graphs the pipeline makes from real articles.
"""

from __future__ import annotations

import itertools
import json
import re

import pyoxigraph as ox
import pytest
from conftest import shared_path
from test_ontology import BROKEN, GOOD, triples

from kgbuild.validate import compiled_shapes, validate, validate_reference
from kgbuild.vocab import KG

XSD = "http://www.w3.org/2001/XMLSchema#"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "http://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _replace_object(pred: str, new: ox.Literal | ox.NamedNode | ox.BlankNode, only_first: bool = False):
    def mutate(g: list[ox.Triple]) -> list[ox.Triple]:
        out, done = [], False
        for t in g:
            if t.predicate.value == pred and not (only_first and done):
                out.append(ox.Triple(t.subject, t.predicate, new))
                done = True
            else:
                out.append(t)
        return out
    return mutate


def _drop(pred: str, obj: str | None = None):
    return lambda g: [t for t in g if not (t.predicate.value == pred and (obj is None or t.object.value == obj))]


def _add_to_subjects_of(pred: str, new_pred: str, new_obj):
    def mutate(g: list[ox.Triple]) -> list[ox.Triple]:
        subjects = {t.subject for t in g if t.predicate.value == pred}
        return [*g, *(ox.Triple(s, ox.NamedNode(new_pred), new_obj) for s in subjects)]
    return mutate


MORE = {
    "ill-typed date": _replace_object(KG + "date", _typed("2024-13-45", "date")),
    "date as a string": _replace_object(SCHEMA + "datePublished", ox.Literal("4 February 2026")),
    "integer offset as decimal": _replace_object(OA + "start", _typed("3.5", "decimal")),
    "offset as text": _replace_object(OA + "end", ox.Literal("ten")),
    "blank node currency": _replace_object(SCHEMA + "currency", ox.BlankNode()),
    "negative money": _replace_object(SCHEMA + "value", _typed("-3", "decimal")),
    "iso code lower case": _replace_object(KG + "isoCode", ox.Literal("pk")),
    "label as IRI": _replace_object(LABEL, ox.NamedNode("https://example.org/x"), only_first=True),
    "label en-GB": _replace_object(LABEL, ox.Literal("Pakistan", language="en-gb"), only_first=True),
    "no labels": _drop(LABEL),
    "no types of annotations": _drop(RDF_TYPE, OA + "Annotation"),
    "no position selectors": _drop(RDF_TYPE, OA + "TextPositionSelector"),
    "no sources": _drop(OA + "hasSource"),
    "no provenance": _drop(PROV),
    "no states typed": _drop(RDF_TYPE, KG + "State"),
    "literal sameAs": _replace_object("http://www.w3.org/2002/07/owl#sameAs", ox.Literal("Q843")),
    "status a literal": _replace_object(KG + "status", ox.Literal("Held")),
    "two statuses": _add_to_subjects_of(KG + "status", KG + "status", ox.NamedNode(KG + "Ongoing")),
    "two dates": _add_to_subjects_of(KG + "date", KG + "date", _typed("2020-01-01", "date")),
    "topic a literal": _add_to_subjects_of(KG + "party", KG + "topic", ox.Literal("trade")),
    "mediator not a state": _add_to_subjects_of(KG + "party", KG + "mediator", ox.NamedNode(KG + "Nowhere")),
    "value not money": _add_to_subjects_of(KG + "party", KG + "value", ox.NamedNode(KG + "Nothing")),
    "string start": _replace_object(OA + "start", ox.Literal("0")),
}


def _same(graph: list) -> None:
    fast, reference = validate(graph), validate_reference(graph)
    assert (fast.engine, reference.engine) == ("compiled", "pyshacl")
    assert fast.conforms == reference.conforms, (fast.report, reference.report)
    # pySHACL's report lists the results nested by sh:node on lines of their own; the compiled shapes fold their
    # messages into the nesting result's line (and count them once). Outside sh:node they are the same.
    if "an evidence annotation needs an oa:hasTarget" not in fast.report:
        assert fast.report.splitlines()[0] == reference.report.splitlines()[0]
        assert sorted(fast.report.splitlines()) == sorted(reference.report.splitlines())


def test_the_shapes_compile() -> None:
    assert compiled_shapes() is not None, "shapes.ttl uses SHACL the compiler does not know: validate() falls back"


def test_good_graph() -> None:
    _same(triples(GOOD))


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graphs(case: str) -> None:
    _same(BROKEN[case][0](triples(GOOD)))


@pytest.mark.parametrize("case", sorted(MORE))
def test_more_broken_graphs(case: str) -> None:
    _same(MORE[case](triples(GOOD)))


def test_contract_example() -> None:
    data = ox.Dataset(ox.parse(shared_path("spec", "example.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    _same(list(data))


@pytest.mark.slow
def test_graphs_of_real_articles() -> None:
    from kgbuild.pipeline import _stages, extract
    from kgbuild.reader import read
    from kgbuild.records import Article

    corpus = shared_path("articles", "corpus", "reuters21578.jsonl.gz")
    _, _, mapper = _stages()
    checked = 0
    for article in itertools.islice(read([corpus]), 0, 3000, 10):
        if not isinstance(article, Article):
            continue
        _iri, quads, entities = mapper.map(extract(article))
        graph = [*quads, *entities]
        fast, reference = validate(graph), validate_reference(graph)
        assert fast.conforms == reference.conforms, article.source
        if "an evidence annotation needs an oa:hasTarget" not in fast.report:
            assert sorted(fast.report.splitlines()) == sorted(reference.report.splitlines()), article.source
        checked += 1
    assert checked > 100


# -- shapes the compiler does not support: pySHACL, and the user is told -------------------------------------------
UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kg: <https://w3id.org/kgbuild/ontology#> .
@prefix schema: <http://schema.org/> .
kg:HeadlineLengthShape a sh:NodeShape ; sh:targetClass kg:Article ;
    sh:property [ sh:path schema:headline ; sh:maxLength 20 ; sh:message "headline longer than 20 characters" ] .
"""


@pytest.fixture
def own_shapes(tmp_path, monkeypatch):
    """A user's ontology folder whose shapes add a constraint the compiler does not know (sh:maxLength)."""
    from kgbuild import resources

    folder = tmp_path / "ontology"
    folder.mkdir()
    for p in resources.ontology_files():
        (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    with (folder / "shapes.ttl").open("a", encoding="utf-8") as fh:
        fh.write(UNSUPPORTED)
    monkeypatch.setenv(resources.ONTOLOGY_ENV, str(folder))
    return folder


def test_unsupported_shapes_go_through_pyshacl(own_shapes) -> None:
    from kgbuild.validate import unsupported

    assert compiled_shapes() is None and "maxLength" in unsupported()
    result = validate(triples(GOOD))
    assert result.engine == "pyshacl"
    assert result.conforms == (max(len(h) for h in _headlines(triples(GOOD))) <= 20)


def _headlines(graph: list) -> list[str]:
    return [t.object.value for t in graph if t.predicate.value == SCHEMA + "headline"]


def test_a_build_with_unsupported_shapes_says_so(own_shapes, tmp_path) -> None:
    from click.testing import CliRunner

    from kgbuild.cli import main

    article = tmp_path / "a.txt"
    article.write_text("Pakistan and China sign a long-awaited trade accord\n\n"
                       "Pakistan and China signed an agreement in Beijing on Monday.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(article), "--store", str(tmp_path / "s"), "--jobs", "1",
                                       "--ontology", str(own_shapes)])
    assert result.exit_code == 1, result.output  # the headline is longer than the user's shapes allow
    assert "1 articles read, 0 stored, 0 unchanged, 1 rejected, 0 triples, 1 validated by pySHACL" in result.stdout
    assert "1 articles validated by pySHACL, about 20 times slower" in result.stderr
    assert "maxLength" in result.stderr
    # the report of rejected articles carries the SHACL report, as `kgbuild validate` prints it
    (row,) = [json.loads(line) for line in (tmp_path / "s" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["reason"] == "does not conform to the shapes (see the report)"
    assert "schema:headline: headline longer than 20 characters" in row["report"]


def test_validate_prints_the_report_of_each_failing_article_and_says_pyshacl(own_shapes, tmp_path) -> None:
    from click.testing import CliRunner

    from kgbuild.cli import main

    long, short = tmp_path / "long.txt", tmp_path / "short.txt"
    body = "\n\nPakistan and China signed an agreement in Beijing on Monday.\n"
    long.write_text("Pakistan and China sign a long-awaited trade accord" + body, encoding="utf-8")
    short.write_text("A short accord" + body, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(long), str(short), "--jobs", "1", "--ontology", str(own_shapes)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{long}: does not conform to the shapes (see the report)"
    assert lines[1] == "Does not conform: 1 violation(s)."
    assert re.match(r"Violation: article:\w+ schema:headline: headline longer than 20 characters", lines[2])
    assert lines[-1] == "2 articles validated, 1 conform, 1 rejected"
    assert str(short) not in result.stdout
    assert result.stderr.startswith("kgbuild: warning: 2 articles validated by pySHACL, about 20 times slower")
