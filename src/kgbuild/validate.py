"""SHACL validation of one article's graph against the shapes (ontology/shapes.ttl, see `resources`).

The pipeline validates every article separately (tens of thousands of them), so the per-call cost matters.
validate() runs the shapes compiled to plain Python (CompiledShapes: ~0.7 ms for a 185-triple article in
bench/bench_validate.py, about 20x faster than pySHACL). Shapes that use SHACL the compiler does not support (a
user's own, with --ontology) are validated by pySHACL's public validate() instead: the result says so
(`engine`), the build counts those articles in its summary and warns. validate_reference() is that same pySHACL
call; tests/test_validate_compiled.py holds the two equal.

Only sh:Violation results make a graph non-conforming; sh:Warning results are reported but accepted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from .resources import shapes_path
from .vocab import PREFIXES

_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)


@dataclass(frozen=True)
class ValidationResult:
    """conforms: no sh:Violation. report: one line per result (violations and warnings), for people."""

    conforms: bool
    report: str
    engine: str = "compiled"  # or "pyshacl": the shapes use SHACL the compiled validator does not support


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


# -- the shapes ---------------------------------------------------------------------------------------

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)


@lru_cache(maxsize=2)
def _shapes_graph(path: Path) -> Graph:
    """The shapes file parsed once per process (for pySHACL, which harvests its shapes from it on every call)."""
    return Graph().parse(path, format="turtle")


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


# -- the compiled shapes ---------------------------------------------------------------------------------
#
# pyshacl spends ~10 ms an article building an rdflib graph and walking its generic constraint machinery; the
# shapes here use a small part of SHACL Core, which compiles to a few dictionary look-ups per focus node. The
# compiler reads shapes.ttl itself (it stays the one source of the checks); a shape using anything outside the
# supported subset makes validate() fall back to pyshacl. Same semantics as the flattened pyshacl path:
# a property shape's focus nodes are those of every targeted node shape that holds it, counted once; results
# per value node (per value pair for sh:lessThan), severities and messages as pyshacl gives them.
# tests/test_validate_compiled.py checks both paths report the same lines on the corpus and on broken graphs.

_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_NODE_KINDS = {
    SH.IRI: (ox.NamedNode,), SH.BlankNode: (ox.BlankNode,), SH.Literal: (ox.Literal,),
    SH.BlankNodeOrIRI: (ox.BlankNode, ox.NamedNode), SH.BlankNodeOrLiteral: (ox.BlankNode, ox.Literal),
    SH.IRIOrLiteral: (ox.NamedNode, ox.Literal),
}
# Predicates a shape may carry that change nothing in validation.
_IGNORED = {RDF.type, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group, SH.path, SH.property,
            SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.qualifiedMinCount,
            URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
            URIRef("http://www.w3.org/2000/01/rdf-schema#label")}
_SUPPORTED = {SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH["in"], SH.hasValue, SH.pattern,
              SH.languageIn, SH.minInclusive, SH.lessThan, SH["or"], SH.node, SH.qualifiedValueShape}


class _Unsupported(Exception):
    pass


def _to_ox(node: Node) -> Any:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise _Unsupported(f"a blank node where a value was expected: {node!r}")


class _Data:
    """One article's triples (a set, as rdflib holds them), indexed by subject and by object."""

    __slots__ = ("out", "inc", "_types", "_sub")

    def __init__(self, quads: Iterable[ox.Quad | ox.Triple]) -> None:
        out: dict[Any, dict[Any, list]] = {}
        inc: dict[Any, dict[Any, list]] = {}
        seen: set[tuple] = set()
        for q in quads:
            s, p, o = q.subject, q.predicate, q.object
            key = (s, p, o)
            if key in seen:
                continue
            seen.add(key)
            out.setdefault(s, {}).setdefault(p, []).append(o)
            inc.setdefault(o, {}).setdefault(p, []).append(s)
        self.out, self.inc = out, inc
        self._types: dict[Any, set] = {}
        self._sub: dict[Any, set] | None = None

    def objects(self, s: Any, p: Any) -> list:
        return self.out.get(s, {}).get(p, [])

    def subjects(self, p: Any, o: Any) -> list:
        return self.inc.get(o, {}).get(p, [])

    def superclasses(self, cls: Any) -> set:
        """cls and every class it is an rdfs:subClassOf* in this graph."""
        if self._sub is None:
            self._sub = {}
        found = self._sub.get(cls)
        if found is None:
            found, todo = {cls}, [cls]
            while todo:
                for sup in self.objects(todo.pop(), _SUBCLASS):
                    if sup not in found:
                        found.add(sup)
                        todo.append(sup)
            self._sub[cls] = found
        return found

    def is_instance(self, node: Any, cls: Any) -> bool:
        types = self._types.get(node)
        if types is None:
            types = set()
            for t in self.objects(node, _RDF_TYPE):
                types |= self.superclasses(t)
            self._types[node] = types
        return cls in types

    def instances(self, cls: Any) -> set:
        """Nodes typed cls or a subclass of it (rdf:type/rdfs:subClassOf*)."""
        classes, todo = {cls}, [cls]
        while todo:
            for sub in self.subjects(_SUBCLASS, todo.pop()):
                if sub not in classes:
                    classes.add(sub)
                    todo.append(sub)
        return {s for c in classes for s in self.subjects(_RDF_TYPE, c)}


def _literal_value(term: ox.Literal) -> Literal:
    return _to_rdflib(term)  # type: ignore[return-value]


_XSD_CHECKED = {XSD.integer: (int,), XSD.float: (float,), XSD.boolean: (bool,)}


@lru_cache(maxsize=65536)
def _well_typed(lexical: str, rule: URIRef) -> bool:
    """pyshacl's test of a literal whose datatype is the rule's: rdflib reads it, and for the types pyshacl
    knows, into the right Python type."""
    import datetime as _dt
    from decimal import Decimal

    value = Literal(lexical, datatype=rule)
    if getattr(value, "ill_typed", None) is True:
        return False
    py = value.value
    if rule in _XSD_CHECKED:
        return isinstance(py, _XSD_CHECKED[rule])
    if rule == XSD.decimal:
        return isinstance(py, Decimal)
    if rule == XSD.date:
        return isinstance(py, _dt.date)
    if rule == XSD.time:
        return isinstance(py, _dt.time)
    if rule == XSD.dateTime:
        return isinstance(py, _dt.datetime)
    return True


def _datatype_test(rule: URIRef) -> Any:
    """A function telling whether a value node matches sh:datatype `rule`, as pyshacl decides it."""
    iri = str(rule)
    if rule == XSD.string:
        return lambda v: isinstance(v, ox.Literal) and not v.language and v.datatype.value == iri
    if rule == RDF.langString:
        return lambda v: isinstance(v, ox.Literal) and bool(v.language)
    if rule == URIRef("http://www.w3.org/2000/01/rdf-schema#Literal"):
        return lambda v: isinstance(v, ox.Literal)
    return lambda v: (isinstance(v, ox.Literal) and not v.language and v.datatype.value == iri
                      and _well_typed(v.value, rule))


@dataclass(frozen=True)
class _Detail:
    """A result's value with the messages of the results nested under it (sh:node)."""

    value: Any
    messages: list[str]


class _Shape:
    """A compiled shape: a node shape (path None: it checks the focus node itself) or a property shape."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.path: Any = None
        self.inverse = False
        self.checks: list = []  # functions (focus, values, data) -> list of results, a result being the value or None
        self.properties: list[_Shape] = []
        self.severity = SH.Violation
        self.messages: list[str] = []
        self.targets: list[tuple[URIRef, Any]] = []

    def values(self, focus: Any, data: _Data) -> list:
        if self.path is None:
            return [focus]
        return data.subjects(self.path, focus) if self.inverse else data.objects(focus, self.path)

    def failures(self, focus: Any, data: _Data) -> list:
        """The sh:value of each result (None for results without one) for this focus node, property shapes aside."""
        values = self.values(focus, data)
        out: list = []
        for check in self.checks:
            out.extend(check(focus, values, data))
        return out

    def result_messages(self, focus: Any, data: _Data) -> list[str] | None:
        """None when `focus` conforms to this shape, else the messages of all the results it gets (nested too)."""
        messages: list[str] = []
        failed = False
        for shape in (self, *self.properties):
            for result in shape.failures(focus, data):
                failed = True
                messages.extend(shape.messages)
                if isinstance(result, _Detail):
                    messages.extend(result.messages)
        return messages if failed else None

    def conforms(self, focus: Any, data: _Data) -> bool:
        """True when validating `focus` against this shape gives no result at all (any severity)."""
        return not self.failures(focus, data) and all(p.conforms(focus, data) for p in self.properties)


class CompiledShapes:
    """The shapes of shapes.ttl compiled to plain Python over one article's triples."""

    def __init__(self, graph: Graph) -> None:
        self.sg = graph
        self._shapes: dict[Node, _Shape] = {}
        self.top: list[_Shape] = []  # property shapes evaluated on their (inherited) targets
        node_shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(SH.property, None))
        node_shapes |= {s for p in _TARGETS for s in graph.subjects(p, None)}
        for ns in node_shapes:
            if (ns, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in graph or \
                    (ns, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in graph:
                raise _Unsupported("implicit class targets")
            targets = [(p, _to_ox(o)) for p in _TARGETS for o in graph.objects(ns, p)]
            shape = self.shape(ns)
            if targets and graph.value(ns, SH.path) is not None:  # a property shape with its own targets
                shape.targets.extend(t for t in targets if t not in shape.targets)
                if shape not in self.top:
                    self.top.append(shape)
                continue
            if not targets:
                continue
            if shape.checks:
                raise _Unsupported("constraints on a targeted node shape itself")
            for prop in shape.properties:
                prop.targets.extend(t for t in targets if t not in prop.targets)
                if prop not in self.top:
                    self.top.append(prop)
        for prop in graph.objects(None, SH.property):
            self.shape(prop)  # reject unsupported features even in shapes nothing targets

    # -- compiling --------------------------------------------------------------------------------
    def shape(self, node: Node) -> _Shape:
        found = self._shapes.get(node)
        if found is not None:
            return found
        g = self.sg
        shape = self._shapes[node] = _Shape(node)
        if (node, SH.deactivated, None) in g:
            raise _Unsupported("sh:deactivated")
        for p in set(g.predicates(node, None)):
            if p not in _IGNORED and p not in _SUPPORTED:
                raise _Unsupported(f"{p}")
        path = g.value(node, SH.path)
        if path is not None:
            if isinstance(path, URIRef):
                shape.path = ox.NamedNode(str(path))
            else:
                inverse = g.value(path, SH.inversePath)
                if not isinstance(inverse, URIRef) or len(list(g.predicate_objects(path))) != 1:
                    raise _Unsupported("a path other than an IRI or sh:inversePath of an IRI")
                shape.path, shape.inverse = ox.NamedNode(str(inverse)), True
        shape.severity = g.value(node, SH.severity) or SH.Violation
        shape.messages = sorted({str(m) for m in g.objects(node, SH.message)})
        shape.properties = [self.shape(p) for p in g.objects(node, SH.property)]
        for p, o in g.predicate_objects(node):
            check = self._check(p, o, node)
            if check is not None:
                shape.checks.append(check)
        return shape

    def _list(self, head: Node) -> list:
        from rdflib.collection import Collection

        return list(Collection(self.sg, head))

    def _check(self, p: Node, o: Node, node: Node) -> Any:  # noqa: C901 - one branch per constraint
        if p == SH.minCount:
            n = int(o)
            return lambda f, vs, d: [None] if len(vs) < n else []
        if p == SH.maxCount:
            n = int(o)
            return lambda f, vs, d: [None] if len(vs) > n else []
        if p == SH.datatype:
            ok = _datatype_test(o)
            return lambda f, vs, d: [v for v in vs if not ok(v)]
        if p == SH.nodeKind:
            kinds = _NODE_KINDS[o]
            return lambda f, vs, d: [v for v in vs if not isinstance(v, kinds)]
        if p == SH["class"]:
            cls = _to_ox(o)
            return lambda f, vs, d: [v for v in vs if isinstance(v, ox.Literal) or not d.is_instance(v, cls)]
        if p == SH["in"]:
            allowed = {_to_ox(x) for x in self._list(o)}
            return lambda f, vs, d: [v for v in vs if v not in allowed]
        if p == SH.hasValue:
            wanted = _to_ox(o)
            return lambda f, vs, d: [] if wanted in vs else [None]
        if p == SH.pattern:
            if (node, SH.flags, None) in self.sg:
                raise _Unsupported("sh:flags")
            rx = re.compile(str(o))
            return lambda f, vs, d: [v for v in vs if isinstance(v, ox.BlankNode) or not rx.search(v.value)]
        if p == SH.languageIn:
            langs = {str(x).lower() for x in self._list(o)}

            def lang_ok(v: Any) -> bool:
                if not isinstance(v, ox.Literal) or not v.language:
                    return False
                lang = v.language.lower()
                return "*" in langs or lang in langs or lang.split("-")[0] in langs

            return lambda f, vs, d: [v for v in vs if not lang_ok(v)]
        if p == SH.minInclusive:
            from pyshacl.rdfutil import compare_literal

            limit = o
            limit_is_string = isinstance(limit.value, str)

            def at_least(v: Any) -> bool:
                if not isinstance(v, ox.Literal):
                    return False
                lit = _literal_value(v)
                if isinstance(lit.value, str) != limit_is_string:
                    return False
                try:
                    return compare_literal(lit, limit) >= 0
                except (TypeError, NotImplementedError):
                    return False

            return lambda f, vs, d: [v for v in vs if not at_least(v)]
        if p == SH.lessThan:
            other = _to_ox(o)

            def key(v: Any) -> tuple[bool, Any]:
                if isinstance(v, ox.BlankNode):
                    raise _Unsupported("sh:lessThan on a blank node")
                if isinstance(v, ox.NamedNode):
                    return True, v.value
                lit = _literal_value(v)
                return isinstance(lit.value, str), lit.value if isinstance(lit.value, str) else lit

            def less_than(f: Any, vs: list, d: _Data) -> list:
                out = []
                for v in set(vs):
                    vs_, vk = key(v)
                    for c in set(d.objects(f, other)):
                        cs, ck = key(c)
                        if vs_ != cs:
                            out.append(v)
                            continue
                        try:
                            ok = vk < ck
                        except TypeError:
                            ok = False
                        if not ok:
                            out.append(v)
                return out

            return less_than
        if p == SH["or"]:
            alternatives = [self.shape(x) for x in self._list(o)]
            return lambda f, vs, d: [v for v in vs if not any(a.conforms(v, d) for a in alternatives)]
        if p == SH.node:
            # pyshacl nests the value's own results under this one (sh:detail), and their messages with them.
            other_shape = self.shape(o)

            def node_check(f: Any, vs: list, d: _Data) -> list:
                out = []
                for v in vs:
                    details = other_shape.result_messages(v, d)
                    if details is not None:
                        out.append(_Detail(v, details))
                return out

            return node_check
        if p == SH.qualifiedValueShape:
            qualified = self.shape(o)
            least = int(self.sg.value(node, SH.qualifiedMinCount) or 0)
            return lambda f, vs, d: [None] if sum(qualified.conforms(v, d) for v in vs) < least else []
        return None  # an ignored predicate

    # -- running ----------------------------------------------------------------------------------
    def run(self, quads: Iterable[ox.Quad | ox.Triple]) -> tuple[int, str]:
        """(number of violations, report lines) for one article's graph."""
        data = _Data(quads)
        results: list[tuple[_Shape, Any, Any]] = []
        focus_cache: dict[tuple, set] = {}
        for shape in self.top:
            focus: set = set()
            for kind, target in shape.targets:
                key = (kind, target)
                nodes = focus_cache.get(key)
                if nodes is None:
                    if kind == SH.targetClass:
                        nodes = data.instances(target)
                    elif kind == SH.targetNode:
                        nodes = {target}
                    elif kind == SH.targetObjectsOf:
                        nodes = {o for po in data.out.values() for o in po.get(target, ())}
                    else:
                        nodes = {s for s, po in data.out.items() if target in po}
                    focus_cache[key] = nodes
                focus |= nodes
            for f in focus:
                for value in shape.failures(f, data):
                    results.append((shape, f, value))
        if not results:
            return 0, ""
        return self._report(results, data)

    def _report(self, results: list[tuple[_Shape, Any, Any]], data: _Data) -> tuple[int, str]:
        lines: list[tuple[bool, str]] = []
        violations = 0
        for shape, focus, value in results:
            is_violation = shape.severity == SH.Violation
            violations += is_violation
            messages = shape.messages
            if isinstance(value, _Detail):
                messages = sorted({*messages, *value.messages})
                value = value.value
            line = f"{str(shape.severity).rsplit('#', 1)[-1]}: {self._describe(focus, data)}"
            if shape.path is not None:
                line += " " + ("^" if shape.inverse else "") + _short(URIRef(shape.path.value))
            line += ": " + ("; ".join(messages) or "does not conform to " + _short(shape.node))
            if value is not None and value != focus:
                line += f" (value: {self._describe(value, data)})"
            lines.append((not is_violation, line))
        lines.sort()
        return violations, "\n".join(line for _, line in lines)

    def _describe(self, node: Any, data: _Data, depth: int = 0) -> str:
        """As _describe, over the indexed triples."""
        if not isinstance(node, ox.BlankNode) or depth >= 3:
            return _short(_to_rdflib(node))
        types = [_short(_to_rdflib(t)) for t in data.objects(node, _RDF_TYPE)]
        what = types[0] if types else "blank node"
        body = next(iter(data.objects(node, _OX_HAS_BODY)), None)
        if body is not None:
            return f"[{what} on {_short(_to_rdflib(body))}]"
        for p, subjects in data.inc.get(node, {}).items():
            if subjects:
                return f"[{what}, {_short(_to_rdflib(p))} of {self._describe(subjects[0], data, depth + 1)}]"
        return f"[{what}]"


_OX_HAS_BODY = ox.NamedNode(PREFIXES["oa"] + "hasBody")


def compiled_shapes() -> CompiledShapes | None:
    """The shapes compiled once per process; None when they use SHACL the compiler does not support."""
    return _compiled(shapes_path())[0]


def unsupported() -> str | None:
    """Why the shapes in use cannot be compiled (what they use that the compiler does not know), or None."""
    return _compiled(shapes_path())[1]


@lru_cache(maxsize=2)
def _compiled(path: Path) -> tuple[CompiledShapes | None, str | None]:
    graph = Graph(store="SimpleMemory")
    graph.parse(path, format="turtle")
    try:
        return CompiledShapes(graph), None
    except _Unsupported as exc:
        return None, str(exc)


# -- the entry point -----------------------------------------------------------------------------------


def validate(quads: Iterable[ox.Quad | ox.Triple]) -> ValidationResult:
    """Validate one article's graph against the shapes; warnings are reported but do not fail it.

    Runs the compiled shapes (see `compiled_shapes`); shapes that use SHACL the compiler does not know go through
    pySHACL (`validate_reference`, about 20x slower), and the result's `engine` says "pyshacl".
    """
    compiled = compiled_shapes()
    if compiled is None:
        return validate_reference(quads)
    violations, text = compiled.run(quads)
    return _result(violations == 0, violations, text)


def _result(pyshacl_conforms: bool, violations: int, text: str, engine: str = "compiled") -> ValidationResult:
    # pyshacl already counts only violations (warnings allowed); the recount guards that contract.
    conforms = pyshacl_conforms and violations == 0
    if not text:
        text = "Conforms: no violations, no warnings."
    elif conforms:
        text = "Conforms, with warnings:\n" + text
    else:
        text = f"Does not conform: {violations} violation(s).\n" + text
    return ValidationResult(conforms=conforms, report=text, engine=engine)


def validate_reference(quads: Iterable[ox.Quad | ox.Triple]) -> ValidationResult:
    """The same check through pySHACL's public `validate()` on the shapes file as written.

    The path for shapes the compiler does not support, and the reference the tests hold the compiled shapes to.
    """
    import pyshacl

    data = to_rdflib_graph(quads)
    shapes = _shapes_graph(shapes_path())
    conforms, report_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True
    )
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        results.append(("", node, [(node, p, o) for p, o in report_graph.predicate_objects(node)]))
    violations, text = _report(results, data, report_graph)
    return _result(bool(conforms), violations, text, engine="pyshacl")
