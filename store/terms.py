"""Conversions between pyoxigraph terms and rdflib terms.

The application works with rdflib terms (shapes, templates, JSON-LD); Oxigraph answers with
its own. Converting at the store boundary keeps the rest of the code backend-agnostic.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
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


def solution_to_dict(solution: ox.QuerySolution, names: list[str]) -> dict[str, Node]:
    row: dict[str, Node] = {}
    for name in names:
        value = solution[name]
        if value is not None:
            row[name] = to_rdflib(value)
    return row
