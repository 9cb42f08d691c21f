"""SHACL validation of one article's graph against ontology/shapes.ttl.

The pipeline validates every article separately (tens of thousands of them), so the per-call cost matters
(bench/bench_validate.py: ~10 ms for a 185-triple article, against ~24-29 ms through pyshacl.validate()):
- the shapes are parsed, flattened (see _flatten) and harvested into pyshacl Shape objects once per process;
- pyoxigraph terms are converted to rdflib terms directly, without a serialise/parse round trip;
- no inference and no ontology mixing: the shapes target every subclass explicitly instead;
- the data graph is validated in place (it is ours and thrown away afterwards), so pyshacl does not clone it;
- the report is built from pyshacl's raw results, not from its report graph and text.
Only sh:Violation results make a graph non-conforming; sh:Warning results are reported but accepted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from .vocab import PREFIXES

SHAPES_PATH = Path(os.environ.get("KGBUILD_SHAPES", Path(__file__).resolve().parents[2] / "ontology" / "shapes.ttl"))

_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)


@dataclass(frozen=True)
class ValidationResult:
    """conforms: no sh:Violation. report: one line per result (violations and warnings), for people."""

    conforms: bool
    report: str


# -- term conversion ---------------------------------------------------------------------------------


def _to_rdflib(term: Any) -> Node:
    """One pyoxigraph term as the equal rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # A simple literal is xsd:string in RDF 1.1; rdflib spells it without a datatype.
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot validate an RDF term of type {type(term).__name__}: {term!r}")


def to_rdflib_graph(quads: Iterable[ox.Quad | ox.Triple]) -> Graph:
    """The triples of `quads` (graph names ignored: one article's graph is validated on its own)."""
    graph = Graph()
    cache: dict[Any, Node] = {}  # IRIs repeat a lot in an article graph; convert each once

    def conv(term: Any) -> Node:
        node = cache.get(term)
        if node is None:
            node = cache[term] = _to_rdflib(term)
        return node

    graph.addN((conv(q.subject), conv(q.predicate), conv(q.object), graph) for q in quads)
    return graph


# -- the shapes, loaded once ---------------------------------------------------------------------------

_OPTIONS: dict[str, Any] = {
    "inference": "none",
    "advanced": False,
    "inplace": True,  # the rdflib graph is built here for this call only; skip pyshacl's defensive clone
    "allow_warnings": True,  # a warning is reported but does not make the graph non-conforming
    "allow_infos": True,
    "abort_on_first": False,
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)

_lock = threading.Lock()
_shapes: ShapesGraph | None = None


def _flatten(graph: Graph) -> None:
    """Give each property shape of a targeted node shape that node shape's targets, and unlink it.

    Same checks, fewer calls: pyshacl evaluates a nested property shape once per focus node (rebuilding its
    constraint components each time), a targeted property shape once for all its focus nodes. A node shape
    that another shape refers to (sh:node, sh:or...) is left alone, since flattening would change that reference.
    """
    for node_shape, prop_shape in list(graph.subject_objects(SH.property)):
        targets = [(p, o) for p in _TARGETS for o in graph.objects(node_shape, p)]
        if not targets or any(True for _ in graph.subject_predicates(node_shape)):
            continue
        for p, o in targets:
            graph.add((prop_shape, p, o))
        graph.remove((node_shape, SH.property, prop_shape))


def _shapes_graph() -> ShapesGraph:
    """The harvested shapes, built on first use and reused by every later call in this process."""
    global _shapes
    if _shapes is None:
        # SimpleMemory: no per-triple context bookkeeping; pyshacl reads the shapes graph thousands of times a call.
        graph = Graph(store="SimpleMemory")
        graph.parse(SHAPES_PATH, format="turtle")
        _flatten(graph)
        shapes = ShapesGraph(graph)
        _ = shapes.shapes  # harvest the Shape objects now, not on the first article
        _shapes = shapes
    return _shapes


class _PreparedValidator(Validator):
    """pyshacl's Validator, given an already harvested ShapesGraph instead of re-reading the shapes.

    Validator.__init__ wraps its shapes graph in a new ShapesGraph whose Shape objects are re-harvested on
    every call. Only the attributes Validator.run() reads are set here.
    """

    def __init__(self, data_graph: DataGraph, shapes: ShapesGraph) -> None:
        options = dict(_OPTIONS)
        self._load_default_options(options)
        self.options = options
        self.logger = options["logger"]
        self.debug = False
        self.pre_inferenced = False
        self.inplace = True
        self.data_graph = data_graph
        self._target_graph = None
        self.ont_graph = None
        self.data_graph_is_multigraph = data_graph.is_multigraph()
        self.shacl_graph = shapes

    @classmethod
    def create_validation_report(cls, sg: ShapesGraph, conforms: bool, results: list[tuple]) -> tuple[Any, str]:
        # pyshacl builds an rdflib report graph (binding every namespace, copying blank nodes) and a long
        # text; we report from the raw results instead, so hand them back untouched.
        return results, ""


class _FastParameters(list):
    """pyshacl's list of constraint parameters with O(1) membership (it tests `p in list` for every triple)."""

    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__(items)
        self._set = frozenset(self)

    def __contains__(self, item: object) -> bool:
        return item in self._set


_quiet = threading.local()


def _speed_up_pyshacl() -> None:
    """Two narrow accelerations of pyshacl internals; if its internals differ, validation is just slower.

    - constraint parameter look-up by set instead of a list scan;
    - no text description for results produced inside our own validate() (we never show pyshacl's text,
      and sh:or builds one for every failing alternative even when the value conforms).
    """
    try:
        from pyshacl import shape as shape_module
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
        from pyshacl.constraints.constraint_component import ConstraintComponent
    except ImportError:  # pragma: no cover - another pyshacl layout
        return
    shape_module.CONSTRAINT_PARAMS = (_FastParameters(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)
    original = ConstraintComponent.make_v_result_description
    if getattr(original, "_kgbuild", False):
        return

    def make_v_result_description(self: Any, *args: Any, **kwargs: Any) -> str:
        if getattr(_quiet, "on", False):
            return ""
        return original(self, *args, **kwargs)

    make_v_result_description._kgbuild = True  # type: ignore[attr-defined]
    ConstraintComponent.make_v_result_description = make_v_result_description  # type: ignore[method-assign]


_speed_up_pyshacl()


# -- the report ----------------------------------------------------------------------------------------


def _short(node: Node) -> str:
    """A readable name: a prefixed IRI, a quoted literal, or [] for a blank node."""
    if isinstance(node, URIRef):
        iri = str(node)
        best = max((ns for ns in PREFIXES.items() if iri.startswith(ns[1])), key=lambda ns: len(ns[1]), default=None)
        return f"{best[0]}:{iri[len(best[1]):]}" if best else f"<{iri}>"
    if isinstance(node, Literal):
        text = str(node)
        return repr(text if len(text) <= 60 else text[:57] + "...")
    if isinstance(node, BNode):
        return "[]"
    return str(node)


def _path_text(path: Node | None, sg: Graph) -> str:
    if path is None:
        return ""
    if isinstance(path, BNode):
        inverse = sg.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + _short(inverse)
    return _short(path)


_OA_HAS_BODY = URIRef(PREFIXES["oa"] + "hasBody")


def _describe(node: Node, data: Graph, depth: int = 0) -> str:
    """A blank node by where it sits: `[oa:Annotation on agreement:x-1]`, `[oa:TextPositionSelector,
    oa:hasSelector of [...]]`; anything else by its short name."""
    if not isinstance(node, BNode) or depth >= 3:
        return _short(node)
    types = [_short(t) for t in data.objects(node, RDF.type)]
    what = types[0] if types else "blank node"
    body = next(data.objects(node, _OA_HAS_BODY), None)
    if body is not None:
        return f"[{what} on {_short(body)}]"
    parent = next(data.subject_predicates(node), None)
    if parent is not None:
        return f"[{what}, {_short(parent[1])} of {_describe(parent[0], data, depth + 1)}]"
    return f"[{what}]"


def _report(results: list[tuple], data: Graph, sg: Graph) -> tuple[int, str]:
    """(number of violations, one line per result: severity, focus node, path, message, value)."""
    lines: list[tuple[bool, str]] = []
    violations = 0
    for _text, _node, triples in results:
        fields: dict[Node, Node] = {}
        messages: list[str] = []
        for _s, p, o in triples:
            if isinstance(o, tuple):  # (graph, node): pyshacl's pointer to a node of the data or shapes graph
                o = o[1]
            if p == SH.resultMessage:
                messages.append(str(o))
            else:
                fields.setdefault(p, o)
        severity = fields.get(SH.resultSeverity, SH.Violation)
        is_violation = severity == SH.Violation
        violations += is_violation
        focus = fields.get(SH.focusNode)
        value = fields.get(SH.value)
        line = f"{str(severity).rsplit('#', 1)[-1]}: {_describe(focus, data)}"
        path = _path_text(fields.get(SH.resultPath), sg)
        if path:
            line += f" {path}"
        line += ": " + ("; ".join(sorted(set(messages))) or "does not conform to " + _short(fields.get(SH.sourceShape)))
        if value is not None and value != focus:
            line += f" (value: {_describe(value, data)})"
        lines.append((not is_violation, line))
    lines.sort()  # violations first, then a stable order
    return violations, "\n".join(line for _, line in lines)


# -- the entry point -----------------------------------------------------------------------------------


def validate(quads: Iterable[ox.Quad | ox.Triple]) -> ValidationResult:
    """Validate one article's graph against the shapes; warnings are reported but do not fail it."""
    data = to_rdflib_graph(quads)
    shapes = _shapes_graph()
    with _lock:  # the shared Shape objects are not meant for concurrent runs
        _quiet.on = True
        try:
            validator = _PreparedValidator(DataGraph.from_rdflib_graph(data), shapes)
            pyshacl_conforms, results, _text = validator.run()
        finally:
            _quiet.on = False
    violations, text = _report(results, data, shapes.graph)
    return _result(bool(pyshacl_conforms), violations, text)


def _result(pyshacl_conforms: bool, violations: int, text: str) -> ValidationResult:
    # pyshacl already counts only violations (warnings allowed); the recount guards that contract.
    conforms = pyshacl_conforms and violations == 0
    if not text:
        text = "Conforms: no violations, no warnings."
    elif conforms:
        text = "Conforms, with warnings:\n" + text
    else:
        text = f"Does not conform: {violations} violation(s).\n" + text
    return ValidationResult(conforms=conforms, report=text)


def validate_reference(quads: Iterable[ox.Quad | ox.Triple]) -> ValidationResult:
    """The same check through pyshacl's public `validate()` on the unmodified shapes file.

    Slower (it re-reads and re-harvests the shapes on every call); kept to cross-check the fast path in the
    tests and to measure it in bench/bench_validate.py.
    """
    import pyshacl

    data = to_rdflib_graph(quads)
    shapes = Graph().parse(SHAPES_PATH, format="turtle")
    conforms, report_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True
    )
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        results.append(("", node, [(node, p, o) for p, o in report_graph.predicate_objects(node)]))
    violations, text = _report(results, data, report_graph)
    return _result(bool(conforms), violations, text)
