"""SHACL shapes of Communecter resources and the validator every write goes through.

The server validates every write (form, LDP, inbox), so validation must be
cheap: the shape files are parsed once, split into one small shapes graph per
resource class, and a data graph is only checked against the shapes of the
classes it actually has. Those shapes are compiled once into plain Python
checks (shapes/_engine.py, ~0.1 ms per resource); pyshacl (no inference, no
ontology graph: the shapes target every subclass explicitly) stays the
reference the compiled checks are tested against, and runs any shape the
compiler does not support.

Shapes are open: triples from other vocabularies pass untouched. Links to other
resources are only checked to be IRIs; whether the target exists and has the
right type is the caller's business (it needs the store).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import pyshacl
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from ontology import NAMESPACES, RESOURCE_CLASSES, SH

from . import _compiler, _engine

__all__ = [
    "CCS",
    "SHAPE_FILES",
    "ValidationIssue",
    "ValidationResult",
    "all_shapes_graph",
    "shapes_graph_for",
    "validate",
    "validate_with_pyshacl",
    "warm_up",
]

HERE = Path(__file__).resolve().parent
CCS = Namespace("https://w3id.org/communecter/shapes#")

#: The shape files, common checks first. One file per resource type.
SHAPE_FILES: tuple[str, ...] = (
    "common.ttl",
    "citizen.ttl",
    "organization.ttl",
    "project.ttl",
    "event.ttl",
    "post.ttl",
    "proposal.ttl",
    "offer.ttl",
    "place.ttl",
    "territory.ttl",
)

_RESOURCE_CLASS_SET = frozenset(RESOURCE_CLASSES)
# When cutting the per-class shapes graphs out of the whole, a shape's triples
# are copied along with the nested shapes and lists they reach; the objects of
# these predicates are data terms (classes, properties, datatypes), not followed.
_NO_FOLLOW = frozenset({
    SH.targetClass, SH.targetNode, SH.path, SH["class"], SH.datatype,
    SH.lessThanOrEquals, SH.lessThan, SH.equals, SH.disjoint,
})


def _new_graph() -> Graph:
    # "core" binding: rdflib's default binds some thirty prefixes, which is slow
    # and clutters the Turtle we serve.
    return _bind(Graph(bind_namespaces="core"))


def _bind(g: Graph) -> Graph:
    for prefix, ns in NAMESPACES.items():
        g.bind(prefix, ns, override=True)
    g.bind("ccs", CCS, override=True)
    return g


@lru_cache(maxsize=1)
def _all_shapes() -> Graph:
    g = _new_graph()
    for name in SHAPE_FILES:
        g.parse(HERE / name, format="turtle")
    return g


def all_shapes_graph() -> Graph:
    """Every Communecter shape in one graph (a copy: callers may serialize or modify it)."""
    return _copy(_all_shapes())


def _copy(src: Graph) -> Graph:
    g = _new_graph()
    for t in src:
        g.add(t)
    return g


def warm_up() -> None:
    """Parse and compile every shape now rather than on the first writes (server start-up)."""
    for cls in RESOURCE_CLASSES:
        _compiled_for(cls)


@cache
def _closure(root: Node) -> frozenset[tuple[Node, Node, Node]]:
    """The triples of shape `root` and of the nested shapes and lists it reaches."""
    src = _all_shapes()
    out: set[tuple[Node, Node, Node]] = set()
    seen: set[Node] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in src.predicate_objects(node):
            out.add((node, p, o))
            if p in _NO_FOLLOW or isinstance(o, Literal):
                continue
            if isinstance(o, BNode) or (o, None, None) in src:
                todo.append(o)
    return frozenset(out)


@cache
def _class_graph(cls: URIRef) -> Graph:
    """The shapes targeting `cls`, with what they reference (built on first use, then shared)."""
    if cls not in _RESOURCE_CLASS_SET:
        raise KeyError(f"no shapes for {cls}: not a Communecter resource class")
    src = _all_shapes()
    g = _new_graph()
    for root in sorted(src.subjects(SH.targetClass, cls), key=str):
        for t in _closure(root):
            g.add(t)
    return g


def shapes_graph_for(class_iri: URIRef | str) -> Graph:
    """The shapes that apply to instances of `class_iri` (a copy), as served at /shapes/{Type}.

    Raises KeyError for a class that is not one of our concrete resource classes.
    """
    return _copy(_class_graph(URIRef(str(class_iri))))


@dataclass
class _Compiled:
    """What validating an instance of one class needs, built once per class."""

    graph: Graph
    roots: list[_engine.CompiledShape] | None  # None: the engine cannot run these shapes


_compiled_lock = threading.Lock()
# Keyed by class, never by combination of classes: the cache stays bounded
# whatever type mixes remote servers send.
_compiled: dict[URIRef, _Compiled] = {}


def _compiled_for(cls: URIRef) -> _Compiled:
    entry = _compiled.get(cls)
    if entry is not None:
        return entry
    with _compiled_lock:
        entry = _compiled.get(cls)
        if entry is None:
            graph = _class_graph(cls)
            try:
                roots: list[_engine.CompiledShape] | None = _compiler.Compiler(graph).roots()
            except _engine.Unsupported:
                roots = None
            entry = _compiled[cls] = _Compiled(graph=graph, roots=roots)
    return entry


def _shapes_graph_for_types(types: frozenset[URIRef]) -> Graph:
    if len(types) == 1:
        return _class_graph(next(iter(types)))
    g = _new_graph()
    for cls in sorted(types):
        for t in _class_graph(cls):
            g.add(t)
    return g


@dataclass(frozen=True)
class ValidationIssue:
    """One violation, in a form the UI and the API can show without SHACL knowledge."""

    focus: Node | None
    path: Node | None
    component: str
    value: Node | None
    #: language tag ('en', 'fr', '' for untagged) → message
    messages: dict[str, str] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        for candidate in (lang, "en", ""):
            if candidate in self.messages:
                return self.messages[candidate]
        return next(iter(self.messages.values()), self.component)

    def line(self, lang: str = "en") -> str:
        """One readable line: focus node, path, message, and which check failed."""
        focus = _short(self.focus) if self.focus is not None else "(graph)"
        path = _short(self.path) if self.path is not None else "(node)"
        detail = self.component
        if self.value is not None:
            shown = str(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            detail += f", value {shown!r}"
        return f"{focus} {path}: {self.message(lang)} [{detail}]"


class ValidationResult:
    """What `validate` returns: the verdict, the SHACL report, and readable lines.

    The report graph is built on first access: most callers only look at
    `conforms` and `messages`, and building it costs as much as validating.
    """

    def __init__(
        self,
        conforms: bool,
        issues: list[ValidationIssue],
        report_graph: Graph | None = None,
        build_report: Callable[[], Graph] | None = None,
    ) -> None:
        self.conforms = conforms
        self.issues = issues
        self._report = report_graph
        self._build_report = build_report

    @property
    def report_graph(self) -> Graph:
        """The SHACL validation report (sh:ValidationReport) as an rdflib Graph."""
        if self._report is None:
            assert self._build_report is not None
            self._report = self._build_report()
            for prefix, ns in NAMESPACES.items():
                self._report.bind(prefix, ns, override=True)
        return self._report

    @property
    def messages(self) -> list[str]:
        """One English line per violation: focus node, path, message."""
        return [i.line("en") for i in self.issues]

    def messages_for(self, lang: str) -> list[str]:
        """The same lines in another language ('fr'), English where a message has no translation."""
        return [i.line(lang) for i in self.issues]

    def __repr__(self) -> str:
        return f"ValidationResult(conforms={self.conforms}, issues={len(self.issues)})"


def _short(node: Node) -> str:
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, ns in NAMESPACES.items():
            if text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _issue_order(issue: ValidationIssue) -> tuple[str, str, str, str]:
    return (str(issue.focus), str(issue.path), issue.component, str(issue.value))


def _issues(report: Graph) -> list[ValidationIssue]:
    issues = []
    for result in report.objects(None, SH.result):
        messages: dict[str, str] = {}
        for m in report.objects(result, SH.resultMessage):
            lang = m.language if isinstance(m, Literal) and m.language else ""
            messages.setdefault(lang, str(m))
        component = report.value(result, SH.sourceConstraintComponent)
        comp = _component_name(component)
        issues.append(
            ValidationIssue(
                focus=report.value(result, SH.focusNode),
                path=report.value(result, SH.resultPath),
                component=comp,
                value=report.value(result, SH.value),
                messages=messages,
            )
        )
    issues.sort(key=_issue_order)
    return issues


def _no_type_result(data: Graph) -> ValidationResult:
    report = _new_graph()
    vr, res = BNode(), BNode()
    report.add((vr, RDF.type, SH.ValidationReport))
    report.add((vr, SH.conforms, Literal(False)))
    report.add((vr, SH.result, res))
    report.add((res, RDF.type, SH.ValidationResult))
    report.add((res, SH.resultSeverity, SH.Violation))
    report.add((res, SH.resultPath, RDF.type))
    report.add((res, SH.sourceShape, CCS.OneTypeShape))
    report.add((res, SH.sourceConstraintComponent, SH.MinCountConstraintComponent))
    focus = next((s for s in data.subjects() if isinstance(s, URIRef)), None)
    if focus is not None:
        report.add((res, SH.focusNode, focus))
    en = ("no Communecter resource type in the data: give the resource exactly one rdf:type "
          "among cc:Citizen, cc:Organization (or a kind of it), cc:Project, cc:Event, cc:Post, "
          "cc:Proposal, cc:Amendment, cc:Vote, cc:Action, cc:Offer, cc:Need, "
          "cc:PointOfInterest or a territory class.")
    fr = ("aucun type de ressource Communecter dans les données : donnez à la ressource "
          "exactement un rdf:type parmi cc:Citizen, cc:Organization (ou l'une de ses sortes), "
          "cc:Project, cc:Event, cc:Post, cc:Proposal, cc:Amendment, cc:Vote, cc:Action, "
          "cc:Offer, cc:Need, cc:PointOfInterest ou une classe de territoire.")
    report.add((res, SH.resultMessage, Literal(en, lang="en")))
    report.add((res, SH.resultMessage, Literal(fr, lang="fr")))
    return ValidationResult(conforms=False, issues=_issues(report), report_graph=report)


def _issue_from_engine(issue: _engine.Issue) -> ValidationIssue:
    messages: dict[str, str] = {}
    for m in issue.messages:
        messages.setdefault(m.language or "", str(m))
    if not messages:
        messages[""] = _engine.default_message(issue.component)
    return ValidationIssue(
        focus=issue.focus,
        path=issue.path,
        component=_component_name(issue.component),
        value=issue.value,
        messages=messages,
    )


def _component_name(component: Node | None) -> str:
    if component is None:
        return "Constraint"
    return str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")


def _our_types(data: Graph) -> frozenset[URIRef]:
    return frozenset(o for o in data.objects(None, RDF.type) if o in _RESOURCE_CLASS_SET)


def validate(data: Graph) -> ValidationResult:
    """Check a resource graph against the shapes of the Communecter classes it uses.

    `data` is not modified. A graph with no rdf:type among our resource classes
    does not conform (there is nothing to check it against, and the store only
    holds typed resources). Runs the compiled evaluator; shapes it cannot run
    go through pyshacl instead, with the same result.
    """
    types = _our_types(data)
    if not types:
        return _no_type_result(data)
    roots: dict[Node, _engine.CompiledShape] = {}
    for cls in sorted(types):
        compiled = _compiled_for(cls)
        if compiled.roots is None:
            return _validate_pyshacl(data, _shapes_graph_for_types(types))
        for shape in compiled.roots:  # a shape shared by several classes runs once
            roots.setdefault(shape.node, shape)
    raw = _engine.run(data, list(roots.values()))
    issues = sorted((_issue_from_engine(i) for i in raw), key=_issue_order)
    conforms = not raw
    return ValidationResult(
        conforms, issues, build_report=lambda: _engine.report_graph(raw, conforms)
    )


def validate_with_pyshacl(data: Graph) -> ValidationResult:
    """The same check done by pyshacl (slower): the reference the fast path is tested against."""
    types = _our_types(data)
    if not types:
        return _no_type_result(data)
    return _validate_pyshacl(data, _shapes_graph_for_types(types))


def _validate_pyshacl(data: Graph, shapes: Graph) -> ValidationResult:
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        abort_on_first=False,
        allow_warnings=False,
    )
    issues = [] if conforms else _issues(report)
    return ValidationResult(bool(conforms), issues, report_graph=report)
