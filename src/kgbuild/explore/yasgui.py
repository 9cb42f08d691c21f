"""What the query page's YASGUI editor is told: our /sparql endpoint, and the prefixes, classes and properties of
our ontology for completion (so it never asks prefix.cc or LOV). Given to every template as `yasgui`, through the
explore blueprint (query.html puts it in a JSON data block, which the CSP allows; static/query.js reads it)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pyoxigraph as ox
from flask import request
from markupsafe import Markup

from ..resources import ontology_dir
from ..vocab import OWL, RDF, RDFS


def _ontology_file() -> Path:
    return ontology_dir() / "kgbuild.ttl"


@functools.lru_cache(maxsize=1)
def ontology_terms() -> dict[str, object]:
    """{"prefixes": {prefix: namespace}, "classes": [IRI], "properties": [IRI]} of the ontology file (empty lists
    when it is not there: the editor then completes variables only)."""
    path = _ontology_file()
    if not path.exists():
        return {"prefixes": {}, "classes": [], "properties": []}
    parser = ox.parse(path=path, format=ox.RdfFormat.TURTLE)
    classes, properties = set(), set()
    kinds = {OWL + "Class": classes, RDFS + "Class": classes, OWL + "ObjectProperty": properties,
             OWL + "DatatypeProperty": properties, RDF + "Property": properties}
    for t in parser:
        if t.predicate.value == RDF + "type" and t.object.value in kinds and isinstance(t.subject, ox.NamedNode):
            kinds[t.object.value].add(t.subject.value)
    return {"prefixes": dict(sorted(parser.prefixes.items())), "classes": sorted(classes),
            "properties": sorted(properties)}


def config() -> Markup:
    """The editor's configuration as JSON, safe inside <script type="application/json">."""
    data = {"endpoint": request.script_root + "/sparql", **ontology_terms()}
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
