"""A compiled evaluator for the part of SHACL Core our shapes use: its data model,
the evaluation and the report (shapes/_compiler.py reads the shapes, and
shapes/_components.py holds one check builder per constraint component).

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

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")


class Unsupported(Exception):
    """The shapes graph uses a SHACL feature this evaluator does not implement."""


# (focus, value or None, component) for each failure of one check.
Failure = tuple[Node | None, URIRef]
Check = Callable[["Context", Node, list[Node]], list[Failure]]


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


class Context:
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


def evaluate(ctx: Context, shape: CompiledShape, focus: Node, out: list[Issue] | None) -> bool:
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


def conforms(ctx: Context, shape: CompiledShape, node: Node) -> bool:
    return evaluate(ctx, shape, node, None)


def run(data: Graph, roots: list[CompiledShape]) -> list[Issue]:
    """Every issue of `data` against the target-bearing shapes `roots`."""
    ctx = Context(data)
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
