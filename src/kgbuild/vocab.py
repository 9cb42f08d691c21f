"""Namespaces of the public data model (see the contract) and the IRIs we mint."""

from __future__ import annotations

import os
import re
import unicodedata

KG = "https://w3id.org/kgbuild/ontology#"
KGR = os.environ.get("KGBUILD_BASE", "https://w3id.org/kgbuild/resource/")

ONTOLOGY_GRAPH = "https://w3id.org/kgbuild/ontology"
ENTITIES_GRAPH = KGR + "entities"  # shared descriptions of states, places, organisations, positions, people
SCHEMA = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
WD = "http://www.wikidata.org/entity/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES = {
    "kg": KG, "kgr": KGR, "schema": SCHEMA, "org": ORG, "sem": SEM, "prov": PROV, "oa": OA, "wd": WD,
    "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS,
    "article": KGR + "article/", "state": KGR + "state/", "place": KGR + "place/",
    "person": KGR + "person/", "position": KGR + "position/", "event": KGR + "event/",
    "agreement": KGR + "agreement/", "organization": KGR + "organization/",
}

SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def slug(text: str) -> str:
    """A readable, IRI-safe identifier: "Shehbaz Sharif" -> "shehbaz-sharif"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def article_iri(key: str) -> str:
    return f"{KGR}article/{key}"


def state_iri(state_id: str) -> str:
    return f"{KGR}state/{state_id}"


def place_iri(place_id: str) -> str:
    return f"{KGR}place/{place_id}"


def organization_iri(org_id: str) -> str:
    return f"{KGR}organization/{org_id}"


def person_iri(person_id: str) -> str:
    return f"{KGR}person/{person_id}"


def position_iri(position_id: str) -> str:
    return f"{KGR}position/{position_id}"


def event_iri(article_key: str, n: int) -> str:
    return f"{KGR}event/{article_key}-{n}"


def agreement_iri(article_key: str, n: int) -> str:
    return f"{KGR}agreement/{article_key}-{n}"
