"""SPARQL 1.1 Update text for a `Write`: N-Triples parsed and re-serialized (nothing can
escape into the update), blank nodes through INSERT templates, and few operations whatever
the size, so that Virtuoso's compiler accepts it. Split from `store.sparql_store`, which
sends what is rendered here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from store.base import StoreError, Write

DATA_BLOCK = 2000  # triples per GRAPH block of INSERT/DELETE DATA (Virtuoso: ~5,000 max)
TEMPLATE_OPERATION = 500  # blank-node triples per INSERT template (Virtuoso: ~1,400 max)


def _iri(iri: str) -> str:
    """The IRI in angle brackets, validated so that it cannot break out of the update."""
    try:
        return str(ox.NamedNode(iri))
    except ValueError as error:
        raise StoreError(f"invalid graph IRI {iri!r}: {error}") from error


def _parse_triples(graph: str, ntriples: str) -> list[ox.Triple]:
    """Parses (and so validates) N-Triples before they are pasted into an update."""
    try:
        quads = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
        return [quad.triple for quad in quads]
    except SyntaxError as error:
        raise StoreError(f"invalid N-Triples for <{graph}>: {error}") from error


def _has_bnode(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _nt(triples: list[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()


def _relabel(triples: list[ox.Triple], prefix: str) -> list[ox.Triple]:
    """Gives each graph's blank nodes their own labels, so graphs never share one."""

    def term(node: Any) -> Any:
        return ox.BlankNode(prefix + node.value) if isinstance(node, ox.BlankNode) else node

    return [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]


def _bnode_components(triples: list[ox.Triple]) -> list[list[ox.Triple]]:
    """Triples grouped so that triples sharing a blank node stay together (a blank node
    in two INSERT templates would become two nodes)."""
    parent: dict[str, str] = {}

    def find(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for t in triples:
        labels = [n.value for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)]
        for label in labels[1:]:
            parent[find(label)] = find(labels[0])
    components: dict[str, list[ox.Triple]] = {}
    for t in triples:
        node = t.subject if isinstance(t.subject, ox.BlankNode) else t.object
        components.setdefault(find(node.value), []).append(t)
    return list(components.values())


def _pack(
    components: list[tuple[str, list[ox.Triple]]], size: int
) -> list[list[tuple[str, list[ox.Triple]]]]:
    """(graph, component) pairs packed into groups of about `size` triples."""
    groups: list[list[tuple[str, list[ox.Triple]]]] = [[]]
    count = 0
    for graph, component in components:
        if groups[-1] and count + len(component) > size:
            groups.append([])
            count = 0
        groups[-1].append((graph, component))
        count += len(component)
    return [group for group in groups if group]


def _blocks(graph: str, triples: list[ox.Triple]) -> list[str]:
    """`GRAPH <g> { ... }` blocks of at most DATA_BLOCK triples each."""
    name = _iri(graph)
    return [
        f"GRAPH {name} {{\n{_nt(triples[i:i + DATA_BLOCK])}}}"
        for i in range(0, len(triples), DATA_BLOCK)
    ]


def _clear_operation(graphs: list[str]) -> list[str]:
    if not graphs:
        return []
    if len(graphs) == 1:
        return [f"DELETE WHERE {{ GRAPH {_iri(graphs[0])} {{ ?s ?p ?o }} }}"]
    names = " ".join(_iri(g) for g in dict.fromkeys(graphs))
    return [
        "DELETE { GRAPH ?g { ?s ?p ?o } } "
        f"WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    ]


def _remove_operation(remove: Mapping[str, str]) -> list[str]:
    blocks: list[str] = []
    for graph, text in remove.items():
        triples = _parse_triples(graph, text)
        if any(_has_bnode(t) for t in triples):
            raise StoreError(f"cannot remove triples with blank nodes from <{graph}>")
        blocks.extend(_blocks(graph, triples))
    return [f"DELETE DATA {{\n{chr(10).join(blocks)}\n}}"] if blocks else []


def _insert_operations(inserts: Iterable[tuple[str, list[ox.Triple]]]) -> list[str]:
    """One INSERT DATA for ground triples, INSERT templates for those with blank nodes.

    The templates end in `WHERE { BIND (1 AS ?one) }`, which means the same as
    `WHERE {}` (one empty solution): Virtuoso 7.2 inserts a multi-graph template with an
    empty WHERE and then fails with an internal error (SR002) while reporting it.
    """
    data: list[str] = []
    components: list[tuple[str, list[ox.Triple]]] = []
    for index, (graph, triples) in enumerate(inserts):
        data.extend(_blocks(graph, [t for t in triples if not _has_bnode(t)]))
        with_bnodes = _relabel([t for t in triples if _has_bnode(t)], f"g{index}x")
        components.extend((graph, c) for c in _bnode_components(with_bnodes))
    operations = [f"INSERT DATA {{\n{chr(10).join(data)}\n}}"] if data else []
    for group in _pack(components, TEMPLATE_OPERATION):
        blocks = "\n".join(f"GRAPH {_iri(graph)} {{\n{_nt(c)}}}" for graph, c in group)
        operations.append(f"INSERT {{\n{blocks}\n}} WHERE {{ BIND (1 AS ?one) }}")
    return operations


def _parsed(graphs: Mapping[str, str]) -> list[tuple[str, list[ox.Triple]]]:
    return [(graph, _parse_triples(graph, text)) for graph, text in graphs.items()]


def render_update(change: Write) -> str:
    """The whole write as one SPARQL 1.1 Update request that Virtuoso also accepts.

    Same meaning as `Write.as_sparql_update()`, but the N-Triples are parsed and
    re-serialized (nothing in them can escape into the update text), blank nodes go
    through INSERT templates, and there are few operations whatever the size.
    """
    return _render([*change.replace, *change.delete], change.remove,
                   [*_parsed(change.replace), *_parsed(change.add)])


def _render(
    cleared: list[str], remove: Mapping[str, str], inserts: list[tuple[str, list[ox.Triple]]]
) -> str:
    operations = [
        *_clear_operation(cleared),
        *_remove_operation(remove),
        *_insert_operations(inserts),
    ]
    return " ;\n".join(operations)

