"""One check builder per SHACL constraint component, and the value comparisons they share.

Each builder takes the compiler, the shape node and the parameter predicate, and returns a
Check: (context, focus node, value nodes) -> failures. Semantics follow pyshacl where the
recommendation leaves room (datatype checks, literal comparison, string forms).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from pyshacl.rdfutil.compare import compare_literal
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from shapes._engine import SH, Check, Context, Failure, Unsupported, conforms

if TYPE_CHECKING:
    from shapes._compiler import Compiler

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


def _is_instance(data: Graph, v: Node, cls: Node) -> bool:
    for t in data.objects(v, RDF.type):  # type: ignore[arg-type]
        if t == cls or cls in data.transitive_objects(t, RDFS.subClassOf):
            return True
    return False


# Each takes the compiler, the shape node and the parameter predicate, and returns
# a Check: (context, focus node, value nodes) -> failures.


def _min_count(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(None, SH.MinCountConstraintComponent)] if len(vs) < n else []
    return check


def _max_count(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(None, SH.MaxCountConstraintComponent)] if len(vs) > n else []
    return check


def _datatype(c: Compiler, node: Node, pred: URIRef) -> Check:
    dt = c.one(node, pred)
    if not isinstance(dt, URIRef):
        raise Unsupported(f"sh:datatype of {node}")

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.DatatypeConstraintComponent) for v in vs if not _datatype_ok(v, dt)]
    return check


def _node_kind(c: Compiler, node: Node, pred: URIRef) -> Check:
    kinds = _NODE_KINDS.get(c.one(node, pred))  # type: ignore[arg-type]
    if kinds is None:
        raise Unsupported(f"sh:nodeKind of {node}")

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.NodeKindConstraintComponent) for v in vs if not isinstance(v, kinds)]
    return check


def _in(c: Compiler, node: Node, pred: URIRef) -> Check:
    allowed = frozenset(c.list_param(c.one(node, pred)))  # type: ignore[arg-type]

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.InConstraintComponent) for v in vs if v not in allowed]
    return check


def _min_length(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def too_short(v: Node) -> bool:
        return n > 0 and (isinstance(v, BNode) or len(_string_form(v)) < n)

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, SH.MinLengthConstraintComponent) for v in vs if too_short(v)]
    return check


def _max_length(c: Compiler, node: Node, pred: URIRef) -> Check:
    n = c.int_param(node, pred) or 0

    def too_long(v: Node) -> bool:
        return isinstance(v, BNode) or len(_string_form(v)) > n

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
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

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
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

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs if outside(v)]
    return check


def _less_than(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"{pred} with a complex path on {node}")
    strict = pred == SH.lessThan
    component = SH.LessThanConstraintComponent if strict else SH.LessThanOrEqualsConstraintComponent

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        others = ctx.values(f, other)
        return [(v, component) for v in vs for o in others if not _pair_le(v, o, strict)]
    return check


def _equals(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"sh:equals with a complex path on {node}")

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        diff = set(vs) ^ set(ctx.values(f, other))
        return [(v, SH.EqualsConstraintComponent) for v in sorted(diff, key=str)]
    return check


def _disjoint(c: Compiler, node: Node, pred: URIRef) -> Check:
    other = c.one(node, pred)
    if not isinstance(other, URIRef):
        raise Unsupported(f"sh:disjoint with a complex path on {node}")

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        others = set(ctx.values(f, other))
        return [(v, SH.DisjointConstraintComponent) for v in vs if v in others]
    return check


def _unique_lang(c: Compiler, node: Node, pred: URIRef) -> Check | None:
    flag = c.one(node, pred)
    if not (isinstance(flag, Literal) and flag.value is True):
        return None

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        seen: dict[str, int] = defaultdict(int)
        for v in vs:
            if isinstance(v, Literal) and v.language:
                seen[v.language.lower()] += 1
        return [(None, SH.UniqueLangConstraintComponent) for n in seen.values() if n > 1]
    return check


def _has_value(c: Compiler, node: Node, pred: URIRef) -> Check:
    wanted = c.one(node, pred)

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [] if wanted in vs else [(None, SH.HasValueConstraintComponent)]
    return check


def _class(c: Compiler, node: Node, pred: URIRef) -> Check:
    cls = c.one(node, pred)

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
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

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs
                if not accept(sum(1 for m in members if conforms(ctx, m, v)), len(members))]
    return check


def _node_or_not(c: Compiler, node: Node, pred: URIRef) -> Check:
    inner = c.shape(c.one(node, pred))  # type: ignore[arg-type]
    negate = pred == SH["not"]
    component = SH.NotConstraintComponent if negate else SH.NodeConstraintComponent

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        return [(v, component) for v in vs if conforms(ctx, inner, v) == negate]
    return check


def _qualified(c: Compiler, node: Node, pred: URIRef) -> Check:
    disjoint = c.one(node, SH.qualifiedValueShapesDisjoint)
    if isinstance(disjoint, Literal) and disjoint.value is True:
        raise Unsupported("sh:qualifiedValueShapesDisjoint")
    inner = c.shape(c.one(node, pred))  # type: ignore[arg-type]
    qmin = c.int_param(node, SH.qualifiedMinCount)
    qmax = c.int_param(node, SH.qualifiedMaxCount)

    def check(ctx: Context, f: Node, vs: list[Node]) -> list[Failure]:
        n = sum(1 for v in vs if conforms(ctx, inner, v))
        out: list[Failure] = []
        if qmin is not None and n < qmin:
            out.append((None, SH.QualifiedMinCountConstraintComponent))
        if qmax is not None and n > qmax:
            out.append((None, SH.QualifiedMaxCountConstraintComponent))
        return out
    return check


BUILDERS: dict[URIRef, Callable[[Compiler, Node, URIRef], Check | None]] = {
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
