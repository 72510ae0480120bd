"""Reads a shapes graph into CompiledShape objects: the checks of each shape, built once.

A shape using anything the builders (shapes/_components.py) do not implement raises
`Unsupported`, and the caller falls back to pyshacl.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from shapes._components import BUILDERS
from shapes._engine import SH, Check, CompiledShape, Unsupported

# Predicates of a shape that carry no constraint, or that are read together
# with another parameter.
_PASSIVE = {
    RDF.type, SH.name, SH.description, SH.message, SH.order, SH.group, SH.defaultValue,
    SH.targetClass, SH.path, SH.severity, SH.deactivated, SH.flags, SH.property,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
    SH.closed, SH.ignoredProperties,
}


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
        builder = BUILDERS.get(pred)
        if builder is None:
            raise Unsupported(f"{pred} on {node}")
        check = builder(self, node, pred)
        return [check] if check is not None else []
