"""LDP PATCH with SPARQL Update, confined to the resource's own graph.

The update runs against an in-memory copy of the resource, never against the store: only
INSERT DATA, DELETE DATA, DELETE WHERE and DELETE/INSERT … WHERE on the default graph are
allowed, so a PATCH cannot name another graph, load a URL or drop anything else.
"""

from __future__ import annotations

from flask import Request
from rdflib import Graph
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from web.rdf_input import BadBody, read_body

ALLOWED_OPERATIONS = {"InsertData", "DeleteData", "DeleteWhere", "Modify"}
CONFINED = "a PATCH may only change this resource's own graph (no GRAPH, WITH or USING)"


class PatchRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def apply_sparql_patch(request: Request, ntriples: str, iri: str, limit: int) -> Graph:
    """The resource's graph after the PATCH in the request body."""
    if (request.mimetype or "").lower() != "application/sparql-update":
        raise PatchRefused(415, "PATCH takes application/sparql-update")
    try:
        text = read_body(request, limit).decode("utf-8", errors="replace")
    except BadBody as refused:  # counted as it is read: a chunked body announces no length
        raise PatchRefused(refused.status, refused.message) from refused
    try:
        parsed = parseUpdate(text)
        update = translateUpdate(parsed, base=iri)
    except Exception as error:  # pyparsing and rdflib raise various types for bad syntax
        raise PatchRefused(400, f"malformed SPARQL Update: {str(error).splitlines()[0]}") from error
    if _mentions(parsed, "ServiceGraphPattern"):
        raise PatchRefused(422, "SERVICE is not allowed in a PATCH: it would query another server")
    for operation in update.algebra:
        _check_confined(operation)
    graph = Graph()
    graph.parse(data=ntriples, format="nt")
    graph.update(update)
    return graph


def _check_confined(operation: object) -> None:
    name = getattr(operation, "name", type(operation).__name__)
    if name not in ALLOWED_OPERATIONS:
        raise PatchRefused(422, f"{name} is not allowed in a PATCH; change only this resource")
    # rdflib's CompValue.get answers the key's name for a missing key: test membership.
    for key in ("quads", "graph", "using", "with", "withClause"):
        if _present(operation, key):
            raise PatchRefused(422, CONFINED)
    for part in ("insert", "delete"):
        if _present(operation, part) and _present(operation[part], "quads"):
            raise PatchRefused(422, CONFINED)


def _mentions(node: object, name: str) -> bool:
    """Whether the parse tree holds a node of that name anywhere (SERVICE can hide deep)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if getattr(item, "name", None) == name:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "asList"):
            stack.extend(item.asList())
    return False


def _present(node: object, key: str) -> bool:
    try:
        return key in node and bool(node[key])  # type: ignore[operator,index]
    except TypeError:
        return False
