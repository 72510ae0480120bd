"""Conversions between pyoxigraph terms and rdflib terms.

The application works with rdflib terms (shapes, templates, JSON-LD); Oxigraph answers with
its own. Converting at the store boundary keeps the rest of the code backend-agnostic.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: object) -> Node:
    """One Oxigraph term as the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


NOT_IN_IRIS = re.compile(r'[\x00-\x20\x7f<>"{}|^`\\]')  # what RFC 3987 leaves out of IRIs


@lru_cache(maxsize=4096)
def storable_iri(iri: str) -> bool:
    """Whether the store can hold this IRI: Oxigraph's RFC 3987 check (no spaces or
    delimiters, % before two hex digits). An IRI that fails it names nothing stored."""
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def impossible_iri(triple: tuple[Node, Node, Node]) -> str | None:
    """The first IRI of the triple (datatypes included) that the store would refuse, and no
    query could name. JSON-LD takes any string as an IRI; the Turtle, N-Triples and RDF/XML
    parsers refuse such IRIs themselves."""
    for node in triple:
        iri = node if isinstance(node, URIRef) else getattr(node, "datatype", None)
        if iri is not None and not storable_iri(str(iri)):
            return str(iri)
    return None


def solution_to_dict(solution: ox.QuerySolution, names: list[str]) -> dict[str, Node]:
    row: dict[str, Node] = {}
    for name in names:
        value = solution[name]
        if value is not None:
            row[name] = to_rdflib(value)
    return row


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One rdflib term as the equivalent Oxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def graph_to_ntriples(graph: Graph) -> str:
    """Canonical N-Triples of an rdflib graph (rdflib's own writer is several times slower)."""
    triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()


SYNTAXES = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
}


def parse_graph_text(text: str | bytes, syntax: str, base_iri: str | None = None) -> Graph:
    """Parses Turtle, N-Triples, RDF/XML or N-Quads (default graph only) with Oxigraph.

    Raises SyntaxError with the parser's message; quads in named graphs raise ValueError.
    """
    graph = Graph(bind_namespaces="none")
    for quad in ox.parse(text, format=SYNTAXES[syntax], base_iri=base_iri):
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise ValueError("named graphs are not accepted here")
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph
