"""Turning an untrusted request body into an RDF graph, or a clear 4xx.

Every body is hostile until parsed within limits: size (checked before reading), syntax,
JSON nesting and breadth, XML entities, number of triples, and JSON-LD contexts (never
fetched remotely).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request
from rdflib import Graph

from federation.jsonld import UnknownContext, expand
from store.terms import impossible_iri, parse_graph_text

PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
NAMES = {"turtle": "Turtle", "nt": "N-Triples", "xml": "RDF/XML"}
ACCEPTED = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
MAX_TRIPLES = 5_000
MAX_JSON_DEPTH = 24
MAX_JSON_ITEMS = 20_000


class BadBody(Exception):
    """The body cannot be used; `status` is the HTTP answer (400, 413, 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(request: Request) -> str:
    return (request.mimetype or "").lower()


def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing anything over `limit` bytes without reading it all."""
    if request.content_length is not None and request.content_length > limit:
        raise BadBody(413, f"the body is larger than the {limit:,}-byte limit")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise BadBody(413, f"the body is larger than the {limit:,}-byte limit")
    return data


def parse_graph(request: Request, base_iri: str, base_url: str, limit: int) -> Graph:
    """The request body as a graph whose relative IRIs resolve against `base_iri`."""
    kind = media_type(request)
    if kind not in PARSERS:
        raise BadBody(
            415,
            f"unsupported media type {kind or '(none)'}; send one of: {', '.join(ACCEPTED)}",
        )
    data = read_body(request, limit)
    if not data.strip():
        raise BadBody(400, "the body is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadBody(400, f"the body is not UTF-8: {error}") from error
    if PARSERS[kind] == "json-ld":
        graph = _parse_jsonld(text, base_iri, base_url)
    else:
        graph = _parse_text(text, PARSERS[kind], base_iri)
    if len(graph) > MAX_TRIPLES:
        raise BadBody(413, f"a resource may have at most {MAX_TRIPLES:,} triples")
    return graph


def _parse_text(text: str, syntax: str, base_iri: str) -> Graph:
    if syntax == "xml" and ("<!DOCTYPE" in text or "<!ENTITY" in text):
        raise BadBody(400, "RDF/XML with a DOCTYPE or entities is not accepted")
    try:
        return parse_graph_text(text, syntax, base_iri)
    except (SyntaxError, ValueError) as error:
        raise BadBody(400, f"malformed {NAMES[syntax]} body: {_first_line(error)}") from error


def _parse_jsonld(text: str, base_iri: str, base_url: str) -> Graph:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadBody(400, f"malformed JSON: {_first_line(error)}") from error
    _check_shape(document)
    try:
        expanded = expand(document, base_iri, base_url)
    except UnknownContext as error:
        raise BadBody(400, str(error)) from error
    except (ValueError, RecursionError) as error:
        raise BadBody(400, _first_line(error)) from error
    if _has_named_graph(expanded):
        raise BadBody(400, "named graphs are not accepted in a resource body")
    graph = Graph(bind_namespaces="none")
    try:
        graph.parse(data=json.dumps(expanded), format="json-ld", base=base_iri)
    except Exception as error:  # rdflib's JSON-LD parser raises assorted types
        raise BadBody(400, f"invalid JSON-LD: {_first_line(error)}") from error
    _refuse_impossible_iris(graph)
    return graph


def _refuse_impossible_iris(graph: Graph) -> None:
    for triple in graph:
        iri = impossible_iri(triple)
        if iri is not None:
            raise BadBody(400, f"not a valid IRI: {iri[:200]!r} (IRIs cannot hold spaces, "
                          'control characters or any of <>"{}|^`\\, and % comes before two '
                          "hexadecimal digits)")


def _has_named_graph(expanded: Any) -> bool:
    """In expanded JSON-LD, "@graph" inside a node object is a named graph."""
    stack = [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if "@graph" in value:
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _check_shape(document: Any) -> None:
    """Refuses JSON bombs (deep nesting, huge arrays) before the JSON-LD processor sees them."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    items = 0
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadBody(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        children = value.values() if isinstance(value, dict) else value if isinstance(
            value, list) else ()
        for child in children:
            items += 1
            if items > MAX_JSON_ITEMS:
                raise BadBody(413, f"the JSON has more than {MAX_JSON_ITEMS:,} values")
            stack.append((child, depth + 1))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
