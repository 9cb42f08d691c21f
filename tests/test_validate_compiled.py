"""The compiled shapes (validate()) against pyshacl on the same shapes: same verdict, same report lines.

pyshacl stays the reference: validate_pyshacl() runs it on the prepared shapes, validate_reference() through its
public validate() on shapes.ttl as written. Cases: the broken graphs of test_ontology, further mutations that touch
each kind of constraint the compiler handles, and the graphs the pipeline makes from real articles.
"""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest
from conftest import shared_path
from test_ontology import BROKEN, GOOD, triples

from kgbuild.validate import compiled_shapes, validate, validate_pyshacl, validate_reference
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
    fast, prepared, reference = validate(graph), validate_pyshacl(graph), validate_reference(graph)
    assert fast.conforms == prepared.conforms == reference.conforms, (fast.report, reference.report)
    assert fast.report.splitlines()[0] == prepared.report.splitlines()[0]
    assert sorted(fast.report.splitlines()) == sorted(prepared.report.splitlines())
    # pyshacl's public report lists the results nested by sh:node on lines of their own; the prepared path (and
    # the compiled one) fold their messages into the nesting result's line. Outside sh:node they are the same.
    if "an evidence annotation needs an oa:hasTarget" not in fast.report:
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
        fast, prepared = validate(graph), validate_pyshacl(graph)
        assert fast.conforms == prepared.conforms, article.source
        assert sorted(fast.report.splitlines()) == sorted(prepared.report.splitlines()), article.source
        checked += 1
    assert checked > 100
