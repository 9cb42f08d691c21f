"""The ontology and the SHACL shapes: they parse, cover the contract, and accept / reject the right graphs."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox
import pytest
import rdflib
from conftest import ROOT, shared_path
from rdflib.namespace import OWL, RDF, RDFS

from kgbuild.validate import ValidationResult, validate, validate_reference
from kgbuild.vocab import KG

ONTOLOGY = ROOT / "ontology" / "kgbuild.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"

PREFIXES = """
@prefix kg: <https://w3id.org/kgbuild/ontology#> .
@prefix article: <https://w3id.org/kgbuild/resource/article/> .
@prefix state: <https://w3id.org/kgbuild/resource/state/> .
@prefix place: <https://w3id.org/kgbuild/resource/place/> .
@prefix person: <https://w3id.org/kgbuild/resource/person/> .
@prefix position: <https://w3id.org/kgbuild/resource/position/> .
@prefix event: <https://w3id.org/kgbuild/resource/event/> .
@prefix agreement: <https://w3id.org/kgbuild/resource/agreement/> .
@prefix schema: <http://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# A complete, conforming article graph: the contract's example plus the evidence it abridges, a visit and a target.
GOOD = PREFIXES + """
article:a1 a kg:Article ;
    schema:headline "Pakistan and Kazakhstan sign 37 MoUs" ;
    schema:datePublished "2026-02-04"^^xsd:date ;
    schema:identifier "seed-1" ;
    kg:dateline place:islamabad ;
    kg:text "Pakistan and Kazakhstan sign 37 MoUs\\n\\nISLAMABAD: Pakistan and Kazakhstan on Wednesday signed 37 MoU." .

state:pk a kg:State ; rdfs:label "Pakistan"@en ; owl:sameAs wd:Q843 ; kg:isoCode "PK" .
state:kz a kg:State ; rdfs:label "Kazakhstan" ; owl:sameAs wd:Q232 ; kg:isoCode "KZ" .
place:islamabad a kg:Place ; rdfs:label "Islamabad"@en ; kg:inState state:pk .

person:shehbaz-sharif a kg:Official ; rdfs:label "Shehbaz Sharif"@en ;
    kg:represents state:pk ; kg:holds position:pm-pk ; prov:wasDerivedFrom article:a1 .
position:pm-pk a kg:Position ; rdfs:label "Prime Minister of Pakistan"@en ; kg:title "Prime Minister" ;
    kg:ofState state:pk ; prov:wasDerivedFrom article:a1 .

event:a1-1 a kg:Meeting , kg:Visit ; rdfs:label "Visit to Islamabad"@en ;
    kg:participant state:pk , state:kz , person:shehbaz-sharif ;
    kg:host state:pk ; kg:place place:islamabad ; kg:date "2026-02-04"^^xsd:date ; kg:status kg:Held ;
    prov:wasDerivedFrom article:a1 .

agreement:a1-1 a kg:Agreement , kg:MemorandumOfUnderstanding ; rdfs:label "37 MoUs"@en ;
    kg:party state:pk , state:kz ; kg:instrumentCount "37"^^xsd:nonNegativeInteger ;
    kg:date "2026-02-04"^^xsd:date ; kg:status kg:Concluded ; kg:signedAt event:a1-1 ;
    prov:wasDerivedFrom article:a1 .

agreement:a1-2 a kg:Agreement , kg:Target ; rdfs:label "USD 1 billion trade target"@en ;
    kg:party state:pk , state:kz ; kg:status kg:Planned ; kg:targetDate "2027-12-31"^^xsd:date ;
    kg:value [ a schema:MonetaryAmount ; schema:value "1000000000"^^xsd:decimal ; schema:currency "USD" ] ;
    prov:wasDerivedFrom article:a1 .

[] a oa:Annotation ; oa:hasBody person:shehbaz-sharif ; kg:rule "official.title-name" ;
   oa:hasTarget [ oa:hasSource article:a1 ;
                  oa:hasSelector [ a oa:TextPositionSelector ; oa:start 38 ; oa:end 110 ] ,
                                 [ a oa:TextQuoteSelector ; oa:exact "ISLAMABAD: ..." ] ] .
[] a oa:Annotation ; oa:hasBody event:a1-1 ; kg:rule "meeting.visit" ;
   oa:hasTarget [ oa:hasSource article:a1 ;
                  oa:hasSelector [ a oa:TextPositionSelector ; oa:start 38 ; oa:end 110 ] ] .
[] a oa:Annotation ; oa:hasBody agreement:a1-1 ; kg:rule "agreement.signed-count" ;
   oa:hasTarget [ oa:hasSource article:a1 ;
                  oa:hasSelector [ a oa:TextPositionSelector ; oa:start 38 ; oa:end 110 ] ] .
[] a oa:Annotation ; oa:hasBody agreement:a1-2 ; kg:rule "agreement.trade-target" ;
   oa:hasTarget [ oa:hasSource article:a1 ;
                  oa:hasSelector [ a oa:TextPositionSelector ; oa:start 38 ; oa:end 110 ] ] .
"""


def triples(turtle: str) -> list[ox.Triple]:
    return list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))


def kg(name: str) -> ox.NamedNode:
    return ox.NamedNode(KG + name)


def without(graph: list[ox.Triple], predicate: str, subject_suffix: str = "") -> list[ox.Triple]:
    """The graph minus the triples with this predicate (on subjects whose IRI ends with subject_suffix)."""
    return [
        t for t in graph
        if not (t.predicate.value == predicate and str(getattr(t.subject, "value", "")).endswith(subject_suffix))
    ]


# -- parsing and coverage ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES], ids=lambda p: p.name)
def test_parses_with_rdflib_and_oxigraph(path) -> None:
    graph = rdflib.Graph().parse(path, format="turtle")
    assert len(graph) > 100
    assert len(list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))) == len(graph)


def _ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


def test_ontology_header() -> None:
    g = _ontology()
    onto = rdflib.URIRef("https://w3id.org/kgbuild/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    dcterms = rdflib.Namespace("http://purl.org/dc/terms/")
    for p in (OWL.versionInfo, dcterms.license, dcterms.description):
        assert g.value(onto, p) is not None, p


CONTRACT_TERMS = """
Article State Place Organization Official Position Meeting Visit Agreement MemorandumOfUnderstanding Partnership
CommercialAgreement Target Ceasefire Treaty JointBodyAgreement Status MeetingStatus Held Ongoing Planned Concluded
rule text digest dateline isoCode inState ofState represents holds title participant host place date status party
mediator instrumentCount value targetDate signedAt topic
""".split()


def test_every_contract_term_is_declared_with_label_and_comment() -> None:
    g = _ontology()
    for name in CONTRACT_TERMS:
        term = rdflib.URIRef(KG + name)
        assert g.value(term, RDF.type) is not None, f"kg:{name} is not declared"
        assert g.value(term, RDFS.label) is not None, f"kg:{name} has no rdfs:label"
        assert g.value(term, RDFS.comment) is not None, f"kg:{name} has no rdfs:comment"


def test_properties_have_domain_and_range_and_classes_are_aligned() -> None:
    g = _ontology()
    for prop in set(g.subjects(RDF.type, OWL.ObjectProperty)) | set(g.subjects(RDF.type, OWL.DatatypeProperty)):
        if str(prop).startswith(KG):
            assert g.value(prop, RDFS.domain) is not None, prop
            assert g.value(prop, RDFS.range) is not None, prop
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    assert (rdflib.URIRef(KG + "State"), skos.closeMatch, rdflib.URIRef("http://www.wikidata.org/entity/Q6256")) in g
    assert (rdflib.URIRef(KG + "Position"), RDFS.subClassOf, rdflib.URIRef("http://www.w3.org/ns/org#Post")) in g
    assert (rdflib.URIRef(KG + "Visit"), RDFS.subClassOf, rdflib.URIRef(KG + "Meeting")) in g
    for kind in ("MemorandumOfUnderstanding", "Partnership", "CommercialAgreement", "Target", "Ceasefire", "Treaty",
                 "JointBodyAgreement"):
        assert (rdflib.URIRef(KG + kind), RDFS.subClassOf, rdflib.URIRef(KG + "Agreement")) in g


def test_every_term_of_the_contract_example_and_queries_is_declared() -> None:
    g = _ontology()
    declared = {s for s in g.subjects(RDF.type, None)}
    example = ox.parse(shared_path("spec", "example.trig").read_bytes(), format=ox.RdfFormat.TRIG)
    used: set[rdflib.URIRef] = set()
    for quad in example:
        used.add(rdflib.URIRef(quad.predicate.value))
        o = quad.object
        if isinstance(o, ox.NamedNode) and (quad.predicate.value == str(RDF.type) or o.value.startswith(KG)):
            used.add(rdflib.URIRef(o.value))
    builtin = {RDF.type, RDFS.label, OWL.sameAs}
    missing = sorted(str(t) for t in used - builtin if t not in declared and not str(t).startswith(str(OWL)))
    # oa: terms belong to the Web Annotation vocabulary; every other term used must be declared here.
    missing = [t for t in missing if not t.startswith("http://www.w3.org/ns/oa#")]
    assert not missing, f"used in example.trig but not declared in kgbuild.ttl: {missing}"
    for rq in sorted(shared_path("spec", "cq").glob("*.rq")):
        for name in set(re.findall(r"\bkg:([A-Za-z]+)", rq.read_text(encoding="utf-8"))):
            assert rdflib.URIRef(KG + name) in declared, f"{rq.name} uses kg:{name}, not declared"


# -- validation -----------------------------------------------------------------------------------------


def test_a_complete_graph_conforms_without_warnings() -> None:
    result = validate(triples(GOOD))
    assert isinstance(result, ValidationResult)
    assert result.conforms, result.report
    assert "Warning" not in result.report, result.report


def test_quads_are_accepted_too() -> None:
    graph = ox.NamedNode("https://w3id.org/kgbuild/resource/article/a1")
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples(GOOD)]
    assert validate(quads).conforms


def _add(graph: list[ox.Triple], *extra: ox.Triple) -> list[ox.Triple]:
    return [*graph, *extra]


ART = ox.NamedNode("https://w3id.org/kgbuild/resource/article/a1")
SCHEMA = "http://schema.org/"
OA = "http://www.w3.org/ns/oa#"


def _no_official_evidence(g: list[ox.Triple]) -> list[ox.Triple]:
    person = "https://w3id.org/kgbuild/resource/person/shehbaz-sharif"
    return [t for t in g if not (t.predicate.value == OA + "hasBody" and t.object.value == person)]


def _currency_dollars(g: list[ox.Triple]) -> list[ox.Triple]:
    return [
        ox.Triple(t.subject, t.predicate, ox.Literal("dollars")) if t.predicate.value == SCHEMA + "currency" else t
        for t in g
    ]


def _negative_offset(g: list[ox.Triple]) -> list[ox.Triple]:
    first = next(t for t in g if t.predicate.value == OA + "start")
    return [ox.Triple(t.subject, t.predicate, ox.Literal("-5", datatype=ox.NamedNode(str(rdflib.XSD.integer))))
            if t == first else t for t in g]


def _start_after_end(g: list[ox.Triple]) -> list[ox.Triple]:
    first = next(t for t in g if t.predicate.value == OA + "start")
    return [ox.Triple(t.subject, t.predicate, ox.Literal("500", datatype=ox.NamedNode(str(rdflib.XSD.integer))))
            if t == first else t for t in g]


BROKEN: dict[str, tuple[Callable[[list[ox.Triple]], list[ox.Triple]], str]] = {
    "meeting without status": (lambda g: without(g, KG + "status", "event/a1-1"), "kg:status"),
    "meeting with a status of agreements": (
        lambda g: _add(without(g, KG + "status", "event/a1-1"),
                       ox.Triple(ox.NamedNode("https://w3id.org/kgbuild/resource/event/a1-1"), kg("status"),
                                 kg("Concluded"))),
        "kg:Held, kg:Ongoing or kg:Planned"),
    "agreement without party": (lambda g: without(g, KG + "party", "agreement/a1-1"), "kg:party"),
    "official without evidence": (_no_official_evidence, "no evidence"),
    "two headlines": (lambda g: _add(g, ox.Triple(ART, ox.NamedNode(SCHEMA + "headline"), ox.Literal("Another"))),
                      "schema:headline"),
    "currency dollars": (_currency_dollars, "ISO 4217"),
    "negative offset": (_negative_offset, "non-negative"),
    "start after end": (_start_after_end, "less than its oa:end"),
    "party not a state": (
        lambda g: _add(g, ox.Triple(ox.NamedNode("https://w3id.org/kgbuild/resource/agreement/a1-1"), kg("party"),
                                    ox.NamedNode("https://w3id.org/kgbuild/resource/person/shehbaz-sharif"))),
        "must be a kg:State"),
    "article without text": (lambda g: without(g, KG + "text"), "kg:text"),
    "state with two labels": (
        lambda g: _add(g, ox.Triple(ox.NamedNode("https://w3id.org/kgbuild/resource/state/pk"),
                                    ox.NamedNode(str(RDFS.label)), ox.Literal("Islamic Republic of Pakistan"))),
        "exactly one rdfs:label"),
    "label in French": (
        lambda g: [ox.Triple(t.subject, t.predicate, ox.Literal("Kazakhstan", language="fr"))
                   if t.predicate.value == str(RDFS.label) and t.subject.value.endswith("state/kz") else t for t in g],
        "@en"),
    "meeting not derived from the article": (lambda g: without(g, str(rdflib.PROV.wasDerivedFrom), "event/a1-1"),
                                             "prov:wasDerivedFrom"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graphs_fail_with_a_message_naming_the_problem(case: str) -> None:
    mutate, expected = BROKEN[case]
    result = validate(mutate(triples(GOOD)))
    assert not result.conforms, result.report
    violations = [line for line in result.report.splitlines() if line.startswith("Violation")]
    assert violations, result.report
    assert any(expected in line for line in violations), result.report


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_fast_path_reports_what_plain_pyshacl_reports(case: str) -> None:
    # The prepared, flattened shapes must find exactly what pyshacl.validate() finds on shapes.ttl as written.
    graph = BROKEN[case][0](triples(GOOD))
    fast, reference = validate(graph), validate_reference(graph)
    assert fast.conforms == reference.conforms
    assert sorted(fast.report.splitlines()) == sorted(reference.report.splitlines())


def test_article_without_date_warns_but_conforms() -> None:
    result = validate(without(triples(GOOD), SCHEMA + "datePublished"))
    assert result.conforms, result.report
    assert "Warning" in result.report and "schema:datePublished" in result.report


def test_agreement_typed_only_by_kind_warns() -> None:
    graph = [t for t in triples(GOOD)
             if not (t.predicate.value == str(RDF.type) and t.object.value == KG + "Agreement")]
    result = validate(graph)
    assert result.conforms, result.report
    assert "typed kg:Agreement" in result.report


def test_visit_must_also_be_a_meeting() -> None:
    graph = [t for t in triples(GOOD)
             if not (t.predicate.value == str(RDF.type) and t.object.value == KG + "Meeting")]
    result = validate(graph)
    assert not result.conforms
    assert "also be typed kg:Meeting" in result.report


def test_contract_example_fails_only_for_its_abridged_evidence() -> None:
    # example.trig leaves out the evidence of its official and meeting ("abridged"); nothing else may be wrong.
    data = ox.Dataset(ox.parse(shared_path("spec", "example.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    result = validate(list(data))
    violations = [line for line in result.report.splitlines() if line.startswith("Violation")]
    assert violations and all("no evidence" in line for line in violations), result.report


def test_the_shapes_are_loaded_once() -> None:
    from kgbuild import validate as module

    validate(triples(GOOD))
    first = module.compiled_shapes()
    validate(triples(GOOD))
    assert first is not None and module.compiled_shapes() is first
