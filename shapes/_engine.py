"""A compiled evaluator for the part of SHACL Core our shapes use.

Why not pyshacl on every write: pyshacl rebuilds its constraint objects from
the shapes graph on every run and costs ~6-9 ms for one Event, where the server
needs hundreds of validations per second on one core. Here each shape is read
once into plain Python checks; a validation is then a few dict look-ups per
property (~0.1-0.3 ms).

Semantics follow the SHACL recommendation and, where it leaves room, pyshacl's
choices (datatype checks, literal comparison, string forms), so both give the
same verdict: tests/test_shapes.py runs every example through both. A shapes
graph using anything not implemented here raises `Unsupported` at compile time
and the caller falls back to pyshacl.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from pyshacl.rdfutil.compare import compare_literal
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")


class Unsupported(Exception):
    """The shapes graph uses a SHACL feature this evaluator does not implement."""


# Predicates of a shape that carry no constraint, or that are read together
# with another parameter.
_PASSIVE = {
    RDF.type, SH.name, SH.description, SH.message, SH.order, SH.group, SH.defaultValue,
    SH.targetClass, SH.path, SH.severity, SH.deactivated, SH.flags, SH.property,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
    SH.closed, SH.ignoredProperties,
}

# (focus, value or None, component) for each failure of one check.
Failure = tuple[Node | None, URIRef]
Check = Callable[["_Context", Node, list[Node]], list[Failure]]


@dataclass
class Issue:
    """One validation result, before it becomes report triples."""

    focus: Node
    path: URIRef | None
    value: Node | None
    component: URIRef
    shape: Node
    severity: URIRef
    messages: tuple[Literal, ...]


@dataclass
class CompiledShape:
    node: Node
    path: URIRef | None
    severity: URIRef
    messages: tuple[Literal, ...]
    checks: list[Check] = field(default_factory=list)
    properties: list[CompiledShape] = field(default_factory=list)
    target_classes: tuple[URIRef, ...] = ()
    deactivated: bool = False


class _Context:
    """Per-validation caches over the data graph (one scan per focus node)."""

    __slots__ = ("_out", "data")

    def __init__(self, data: Graph) -> None:
        self.data = data
        self._out: dict[Node, dict[Node, list[Node]]] = {}

    def values(self, focus: Node, path: URIRef) -> list[Node]:
        out = self._out.get(focus)
        if out is None:
            out = defaultdict(list)
            if not isinstance(focus, Literal):
                for p, o in self.data.predicate_objects(focus):
                    out[p].append(o)
            self._out[focus] = out
        return out.get(path, [])


# --- value helpers ------------------------------------------------------------

_ACTUAL_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _datatype_ok(v: Node, dt: URIRef) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype == dt:
        if getattr(v, "ill_typed", None) is True:
            return False
    elif dt == RDFS.Literal or (dt == RDFS.Datatype and v.datatype):
        return True
    elif not ((v.datatype is None and v.language is None and dt == XSD.string)
              or (dt == RDF.langString and v.language)):
        return False
    expected = _ACTUAL_TYPES.get(dt)
    return expected is None or isinstance(v.value, expected)


_STRING_TYPES = (None, RDF.langString, XSD.string)


def _string_form(v: Node) -> str:
    """The string sh:minLength / sh:maxLength / sh:pattern look at (as pyshacl reads it)."""
    if isinstance(v, Literal) and v.value is not None and v.datatype in _STRING_TYPES:
        return str(v.value)
    return str(v)


_NODE_KINDS = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


def _compare(v: Node, bound: Literal) -> int | None:
    """pyshacl's comparison of a value with a range bound; None when incomparable."""
    if not isinstance(v, Literal):
        return None
    if isinstance(v.value, str) != isinstance(bound.value, str):
        return None
    try:
        return compare_literal(v, bound)
    except (TypeError, NotImplementedError):
        return None


def _pair_le(v: Node, o: Node, strict: bool) -> bool:
    """v < o (strict) or v <= o, as pyshacl's sh:lessThan / sh:lessThanOrEquals compare.

    IRIs and string literals compare as strings, other literals by value; a string
    never compares with a non-string. (rdflib's Literal is a str subclass, hence the
    explicit flags.)
    """
    if isinstance(v, BNode) or isinstance(o, BNode):
        return False
    a, a_is_string = _comparable(v)
    b, b_is_string = _comparable(o)
    if a_is_string != b_is_string:
        return False
    try:
        return bool(a < b) if strict else bool(a <= b)  # type: ignore[operator]
    except TypeError:
        return False


def _comparable(node: Node) -> tuple[object, bool]:
    if isinstance(node, URIRef):
        return str(node), True
    if isinstance(node, Literal) and isinstance(node.value, str):
        return node.value, True
    return node, False


# --- compilation --------------------------------------------------------------


class Compiler:
    """Turns shape nodes of one shapes graph into CompiledShape objects (memoised)."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self._done: dict[Node, CompiledShape] = {}

    def one(self, node: Node, pred: URIRef) -> Node | None:
        vals = list(self.g.objects(node, pred))
        if len(vals) > 1:
            raise Unsupported(f"several {pred} on {node}")
        return vals[0] if vals else None

    def int_param(self, node: Node, pred: URIRef) -> int | None:
        v = self.one(node, pred)
        if v is None:
            return None
        if not isinstance(v, Literal) or not isinstance(v.value, int):
            raise Unsupported(f"{pred} of {node} is not an integer")
        return int(v.value)

    def list_param(self, head: Node) -> list[Node]:
        return list(Collection(self.g, head))

    def roots(self) -> list[CompiledShape]:
        """Every shape with a target, compiled (with what it references)."""
        nodes = set(self.g.subjects(SH.targetClass, None))
        for pred in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
            if (None, pred, None) in self.g:
                raise Unsupported(f"{pred} targets")
        for cls in (RDFS.Class, URIRef("http://www.w3.org/2002/07/owl#Class")):
            for s in self.g.subjects(RDF.type, cls):
                shape_types = set(self.g.objects(s, RDF.type))
                if shape_types & {SH.NodeShape, SH.PropertyShape}:
                    raise Unsupported(f"implicit class target on {s}")
        return [self.shape(n) for n in sorted(nodes, key=str)]

    def shape(self, node: Node) -> CompiledShape:
        if node in self._done:
            return self._done[node]
        g = self.g
        path = self.one(node, SH.path)
        if path is not None and not isinstance(path, URIRef):
            raise Unsupported(f"complex path on {node}")
        severity = self.one(node, SH.severity) or SH.Violation
        deactivated = self.one(node, SH.deactivated)
        messages = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal))
        if self.one(node, SH.closed) not in (None, Literal(False)):
            raise Unsupported(f"sh:closed on {node}")
        compiled = CompiledShape(
            node=node,
            path=path,
            severity=severity,  # type: ignore[arg-type]
            messages=messages,
            target_classes=tuple(sorted(
                (c for c in g.objects(node, SH.targetClass) if isinstance(c, URIRef)), key=str)),
            deactivated=isinstance(deactivated, Literal) and bool(deactivated.value),
        )
        self._done[node] = compiled  # before recursing: shapes may reference each other
        for pred in sorted(set(g.predicates(node, None)), key=str):
            if pred in _PASSIVE or not str(pred).startswith(str(SH)):
                continue
            compiled.checks.extend(self.checks(node, pred))
        compiled.properties = [self.shape(p) for p in sorted(g.objects(node, SH.property), key=str)]
        return compiled

    def checks(self, node: Node, pred: URIRef) -> list[Check]:
        builder = _BUILDERS.get(pred)
        if builder is None:
            raise Unsupported(f"{pred} on {node}")
        check = builder(self, node, pred)
        return [check] if check is not None else []


# --- one builder per constraint component -----------------------------------------
# Each takes the compiler, the shape node and the parameter predicate, and returns
# a Check: (context, focus node, value nodes) -> failures.


def _min_count(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(None, SH.MinCountConstraintComponent)] if len(vs) < n else []
    return check


def _max_count(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(None, SH.MaxCountConstraintComponent)] if len(vs) > n else []
    return check


def _datatype(c: Compiler, node: Node, pred: URIRef) -> Check:
    dt = c.one(node, pred)
    if not isinstance(dt, URIRef):
        raise Unsupported(f"sh:datatype of {node}")

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.DatatypeConstraintComponent) for v in vs if not _datatype_ok(v, dt)]
    return check


def _node_kind(c: Compiler, node: Node, pred: URIRef) -> Check:
    kinds = _NODE_KINDS.get(c.one(node, pred))  # type: ignore[arg-type]
    if kinds is None:
        raise Unsupported(f"sh:nodeKind of {node}")

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.NodeKindConstraintComponent) for v in vs if not isinstance(v, kinds)]
    return check


def _in(c: Compiler, node: Node, pred: URIRef) -> Check:
    allowed = frozenset(c.list_param(c.one(node, pred)))  # type: ignore[arg-type]

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.InConstraintComponent) for v in vs if v not in allowed]
    return check


def _min_length(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def too_short(v: Node) -> bool:
        return n > 0 and (isinstance(v, BNode) or len(_string_form(v)) < n)

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.MinLengthConstraintComponent) for v in vs if too_short(v)]
    return check


def _max_length(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def too_long(v: Node) -> bool:
        return isinstance(v, BNode) or len(_string_form(v)) > n

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.MaxLengthConstraintComponent) for v in vs if too_long(v)]
    return check


def _pattern(c: Compiler, node: Node, pred: URIRef) -> Check:
    flags_lit = c.one(node, SH.flags)
    flags = 0
    if flags_lit is not None:
        text = str(flags_lit).lower()
        flags |= re.I if "i" in text else 0
        flags |= re.M if "m" in text else 0
    rx = re.compile(str(c.one(node, pred)), flags)

    def mismatch(v: Node) -> bool:
        return isinstance(v, BNode) or not rx.search(_string_form(v))

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.PatternConstraintComponent) for v in vs if mismatch(v)]
    return check


_RANGES: dict[URIRef, tuple[URIRef, Callable[[int], bool]]] = {
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, lambda cmp: cmp >= 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, lambda cmp: cmp <= 0),
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, lambda cmp: cmp > 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, lambda cmp: cmp < 0),
}


def _range(c: Compiler, node: Node, pred: URIRef) -> Check:
    bound = c.one(node, pred)
    if not isinstance(bound, Literal):
        raise Unsupported(f"{pred} of {node} is not a literal")
    component, accept = _RANGES[pred]

    def outside(v: Node) -> bool:
        cmp = _compare(v, bound)
        return cmp is None or not accept(cmp)

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs if outside(v)]
    return check


def _less_than(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"{pred} with a complex path on {node}")
    strict = pred == SH.lessThan
    component = SH.LessThanConstraintComponent if strict else SH.LessThanOrEqualsConstraintComponent

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        others = ctx.values(f, other)
        return [(v, component) for v in vs for o in others if not _pair_le(v, o, strict)]
    return check


def _equals(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"sh:equals with a complex path on {node}")

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        diff = set(vs) ^ set(ctx.values(f, other))
        return [(v, SH.EqualsConstraintComponent) for v in sorted(diff, key=str)]
    return check


def _disjoint(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"sh:disjoint with a complex path on {node}")

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        others = set(ctx.values(f, other))
        return [(v, SH.DisjointConstraintComponent) for v in vs if v in others]
    return check


def _unique_lang(c: Compiler, node: Node, pred: URIRef) -> Check | None:
    flag = c.one(node, pred)
    if not (isinstance(flag, Literal) and flag.value is True):
        return None

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        seen: dict[str, int] = defaultdict(int)
        for v in vs:
            if isinstance(v, Literal) and v.language:
                seen[v.language.lower()] += 1
        return [(None, SH.UniqueLangConstraintComponent) for n in seen.values() if n > 1]
    return check


def _has_value(c: Compiler, node: Node, pred: URIRef) -> Check:
    wanted = c.one(node, pred)

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [] if wanted in vs else [(None, SH.HasValueConstraintComponent)]
    return check


def _class(c: Compiler, node: Node, pred: URIRef) -> Check:
    cls = c.one(node, pred)

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.ClassConstraintComponent) for v in vs if not _is_instance(ctx.data, v, cls)]
    return check


_LOGICAL: dict[URIRef, tuple[URIRef, Callable[[int, int], bool]]] = {
    SH["or"]: (SH.OrConstraintComponent, lambda ok, n: ok >= 1),
    SH["and"]: (SH.AndConstraintComponent, lambda ok, n: ok == n),
    SH.xone: (SH.XoneConstraintComponent, lambda ok, n: ok == 1),
}


def _logical(c: Compiler, node: Node, pred: URIRef) -> Check:
    members = [c.shape(s) for s in c.list_param(c.one(node, pred))]  # type: ignore[arg-type]
    component, accept = _LOGICAL[pred]

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs
                if not accept(sum(1 for m in members if conforms(ctx, m, v)), len(members))]
    return check


def _node_or_not(c: Compiler, node: Node, pred: URIRef) -> Check:
    inner = c.shape(c.one(node, pred))  # type: ignore[arg-type]
    negate = pred == SH["not"]
    component = SH.NotConstraintComponent if negate else SH.NodeConstraintComponent

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs if conforms(ctx, inner, v) == negate]
    return check


def _qualified(c: Compiler, node: Node, pred: URIRef) -> Check:
    disjoint = c.one(node, SH.qualifiedValueShapesDisjoint)
    if isinstance(disjoint, Literal) and disjoint.value is True:
        raise Unsupported("sh:qualifiedValueShapesDisjoint")
    inner = c.shape(c.one(node, pred))  # type: ignore[arg-type]
    qmin = c.int_param(node, SH.qualifiedMinCount)
    qmax = c.int_param(node, SH.qualifiedMaxCount)

    def check(ctx: _Context, f: Node, vs: list[Node]) -> list[Failure]:
        n = sum(1 for v in vs if conforms(ctx, inner, v))
        out: list[Failure] = []
        if qmin is not None and n < qmin:
            out.append((None, SH.QualifiedMinCountConstraintComponent))
        if qmax is not None and n > qmax:
            out.append((None, SH.QualifiedMaxCountConstraintComponent))
        return out
    return check


_BUILDERS: dict[URIRef, Callable[[Compiler, Node, URIRef], Check | None]] = {
    SH.minCount: _min_count,
    SH.maxCount: _max_count,
    SH.datatype: _datatype,
    SH.nodeKind: _node_kind,
    SH["in"]: _in,
    SH.minLength: _min_length,
    SH.maxLength: _max_length,
    SH.pattern: _pattern,
    SH.minInclusive: _range,
    SH.maxInclusive: _range,
    SH.minExclusive: _range,
    SH.maxExclusive: _range,
    SH.lessThan: _less_than,
    SH.lessThanOrEquals: _less_than,
    SH.equals: _equals,
    SH.disjoint: _disjoint,
    SH.uniqueLang: _unique_lang,
    SH.hasValue: _has_value,
    SH["class"]: _class,
    SH["or"]: _logical,
    SH["and"]: _logical,
    SH.xone: _logical,
    SH["not"]: _node_or_not,
    SH.node: _node_or_not,
    SH.qualifiedValueShape: _qualified,
}


def _is_instance(data: Graph, v: Node, cls: Node) -> bool:
    for t in data.objects(v, RDF.type):  # type: ignore[arg-type]
        if t == cls or cls in data.transitive_objects(t, RDFS.subClassOf):
            return True
    return False


def _targets(data: Graph, by_type: dict[Node, list[Node]], has_subclasses: bool,
             classes: Iterable[URIRef]) -> list[Node]:
    """SHACL instances of `classes`: rdf:type, following rdfs:subClassOf in the data graph."""
    found: dict[Node, None] = {}
    for cls in classes:
        for c in data.transitive_subjects(RDFS.subClassOf, cls) if has_subclasses else (cls,):
            for s in by_type.get(c, ()):
                found[s] = None
    return list(found)


# --- evaluation ---------------------------------------------------------------


def evaluate(ctx: _Context, shape: CompiledShape, focus: Node, out: list[Issue] | None) -> bool:
    """Check `focus` against `shape`; append issues to `out` (None: just answer)."""
    if shape.deactivated:
        return True
    values = ctx.values(focus, shape.path) if shape.path is not None else [focus]
    ok = True
    for check in shape.checks:
        for value, component in check(ctx, focus, values):
            ok = False
            if out is None:
                return False
            out.append(Issue(focus, shape.path, value, component, shape.node, shape.severity,
                             shape.messages))
    for prop in shape.properties:
        for v in values:
            if not evaluate(ctx, prop, v, out):
                ok = False
                if out is None:
                    return False
    return ok


def conforms(ctx: _Context, shape: CompiledShape, node: Node) -> bool:
    return evaluate(ctx, shape, node, None)


def run(data: Graph, roots: list[CompiledShape]) -> list[Issue]:
    """Every issue of `data` against the target-bearing shapes `roots`."""
    ctx = _Context(data)
    by_type: dict[Node, list[Node]] = defaultdict(list)
    for s, t in data.subject_objects(RDF.type):
        by_type[t].append(s)
    has_subclasses = (None, RDFS.subClassOf, None) in data
    issues: list[Issue] = []
    for shape in roots:
        for focus in _targets(data, by_type, has_subclasses, shape.target_classes):
            evaluate(ctx, shape, focus, issues)
    return issues


_DEFAULT_MESSAGES = {
    SH.MinCountConstraintComponent: "Less values than required",
    SH.MaxCountConstraintComponent: "More values than allowed",
    SH.DatatypeConstraintComponent: "Value does not have the required datatype",
    SH.NodeKindConstraintComponent: "Value is not of the required node kind",
    SH.InConstraintComponent: "Value is not one of the allowed values",
    SH.MinLengthConstraintComponent: "Value is too short",
    SH.MaxLengthConstraintComponent: "Value is too long",
    SH.PatternConstraintComponent: "Value does not match the pattern",
}


def default_message(component: URIRef) -> str:
    """A generic English message for shapes that give none (ours always do)."""
    return _DEFAULT_MESSAGES.get(component, "Constraint not satisfied")


def report_graph(issues: list[Issue], conforms_: bool) -> Graph:
    """A SHACL validation report with the same shape pyshacl produces."""
    g = Graph(bind_namespaces="none")
    g.bind("sh", SH)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(conforms_)))
    for issue in issues:
        r = BNode()
        g.add((report, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.focusNode, issue.focus))
        if issue.path is not None:
            g.add((r, SH.resultPath, issue.path))
        if issue.value is not None:
            g.add((r, SH.value, issue.value))
        g.add((r, SH.resultSeverity, issue.severity))
        g.add((r, SH.sourceShape, issue.shape))
        g.add((r, SH.sourceConstraintComponent, issue.component))
        messages = issue.messages or (Literal(default_message(issue.component)),)
        for m in messages:
            g.add((r, SH.resultMessage, m))
    return g
