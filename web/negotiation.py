"""Content negotiation and RDF serialization for every representation we serve.

Representations are derived from a graph's N-Triples and its ETag; since a given ETag always
yields the same bytes, they are cached by (ETag, media type) in each process.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock

import pyoxigraph as ox
from pyld import jsonld
from werkzeug.wrappers import Request

from federation.jsonld import compact_context_url, local_document_loader
from ontology import context_document

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
HTML = "text/html"
RDF_TYPES = (TURTLE, JSONLD, NTRIPLES, RDFXML)
OXIGRAPH_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    RDFXML: ox.RdfFormat.RDF_XML,
}
EXPANDED_PROFILE = "http://www.w3.org/ns/json-ld#expanded"
ETAG_SUFFIX = {TURTLE: "ttl", JSONLD: "jsonld", NTRIPLES: "nt", RDFXML: "rdf", HTML: "html"}
PREFIXES = {
    "cc": "https://w3id.org/communecter/ns#",
    "cct": "https://w3id.org/communecter/themes#",
    "as": "https://www.w3.org/ns/activitystreams#",
    "dcterms": "http://purl.org/dc/terms/",
    "ldp": "http://www.w3.org/ns/ldp#",
    "schema": "http://schema.org/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
}


class NotAcceptable(Exception):
    """No representation we have fits the Accept header."""


def choose(request: Request, offered: tuple[str, ...] = (*RDF_TYPES, HTML)) -> str:
    """The best media type for this request; Turtle when the client states no preference."""
    accept = request.accept_mimetypes
    if not accept or accept.provided is False or str(accept) in ("", "*/*"):
        return TURTLE if TURTLE in offered else offered[0]
    best = accept.best_match(offered)
    if best is None:
        best = _match_ignoring_parameters(request, offered)
    if best is None:
        if accept.quality("application/activity+json") or accept.quality("application/json"):
            return JSONLD if JSONLD in offered else offered[0]
        raise NotAcceptable(", ".join(offered))
    return best


def _match_ignoring_parameters(request: Request, offered: tuple[str, ...]) -> str | None:
    """Werkzeug skips Accept values with parameters (a JSON-LD profile): match the bare type."""
    ranked = sorted(request.accept_mimetypes, key=lambda item: -item[1])
    for value, quality in ranked:
        bare = value.split(";", 1)[0].strip().lower()
        if quality > 0 and bare in offered:
            return bare
    return None


ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS2 = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def wants_activitystreams(request: Request) -> str | None:
    """The ActivityStreams media type to answer with, when the client prefers one
    (`application/activity+json`, or JSON-LD with the ActivityStreams profile) at least
    as much as any other type it names; None otherwise (plain JSON-LD stays Linked Data)."""
    best_as2, chosen, best_other = 0.0, None, 0.0
    for value, quality in request.accept_mimetypes:
        bare = value.split(";", 1)[0].strip().lower()
        if bare == ACTIVITY_JSON:
            candidate = ACTIVITY_JSON
        elif bare == JSONLD and "https://www.w3.org/ns/activitystreams" in value:
            candidate = LD_JSON_AS2
        else:
            if bare != "*/*":
                best_other = max(best_other, quality)
            continue
        if quality > best_as2 or (quality == best_as2 and candidate == ACTIVITY_JSON):
            best_as2, chosen = quality, candidate
    return chosen if best_as2 > 0 and best_as2 >= best_other else None


def wants_expanded(request: Request) -> bool:
    for value, _quality in request.accept_mimetypes:
        if value.startswith(JSONLD) and EXPANDED_PROFILE in value:
            return True
    return False


def etag_for(graph_etag: str, media_type: str, variant: str = "") -> str:
    """A strong ETag per representation: different bytes must never share one."""
    return f'"{graph_etag}-{ETAG_SUFFIX.get(media_type, "x")}{variant}"'


def graph_etag_from_header(value: str) -> str | None:
    value = value.strip()
    if value.startswith("W/"):
        return None
    value = value.strip('"')
    return value.rsplit("-", 1)[0] if "-" in value else value


class RepresentationCache:
    """A small LRU of serialized representations, keyed by (ETag, media type, variant)."""

    def __init__(self, size: int = 20_000) -> None:
        self._items: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: tuple[str, ...]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, ...], value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)


def serialize(ntriples: str, media_type: str, base_url: str, expanded: bool = False) -> bytes:
    """The N-Triples of one graph in the requested RDF syntax."""
    if media_type == NTRIPLES:
        return ntriples.encode()
    if media_type == JSONLD:
        return _jsonld(ntriples, base_url, expanded)
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    prefixes = PREFIXES if media_type == TURTLE else None
    body = ox.serialize(triples, format=OXIGRAPH_FORMATS[media_type], prefixes=prefixes)
    if media_type == RDFXML:
        body = body.replace(b"\r", b"&#13;")  # XML parsers fold raw CR into LF
    return body


def _jsonld(ntriples: str, base_url: str, expanded: bool) -> bytes:
    document = jsonld.from_rdf(ntriples, {"format": "application/n-quads"})
    if expanded:
        return json.dumps(document, ensure_ascii=False).encode()
    options = {"documentLoader": local_document_loader(), "base": None}
    compacted = jsonld.compact(document, context_document(), options)
    compacted["@context"] = compact_context_url(base_url)
    return json.dumps(compacted, ensure_ascii=False).encode()
