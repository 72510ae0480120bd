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

ALLOWED_OPERATIONS = {"InsertData", "DeleteData", "DeleteWhere", "Modify"}


class PatchRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def apply_sparql_patch(request: Request, ntriples: str, iri: str, limit: int) -> Graph:
    """The resource's graph after the PATCH in the request body."""
    if (request.mimetype or "").lower() != "application/sparql-update":
        raise PatchRefused(415, "PATCH takes application/sparql-update")
    if request.content_length is not None and request.content_length > limit:
        raise PatchRefused(413, f"the body is larger than the {limit:,}-byte limit")
    text = request.get_data(as_text=True)
    if len(text.encode()) > limit:
        raise PatchRefused(413, f"the body is larger than the {limit:,}-byte limit")
    try:
        parsed = parseUpdate(text)
        update = translateUpdate(parsed, base=iri)
    except Exception as error:  # pyparsing and rdflib raise various types for bad syntax
        raise PatchRefused(400, f"malformed SPARQL Update: {str(error).splitlines()[0]}") from error
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
    for key in ("quads", "graph", "using", "with", "withClause"):
        value = operation.get(key) if hasattr(operation, "get") else None
        if value:
            raise PatchRefused(422, "a PATCH may only change this resource's own graph "
                               "(no GRAPH, WITH or USING)")
    for part in ("insert", "delete"):
        clause = operation.get(part) if hasattr(operation, "get") else None
        if clause is not None and clause.get("quads"):
            raise PatchRefused(422, "a PATCH may only change this resource's own graph "
                               "(no GRAPH, WITH or USING)")
