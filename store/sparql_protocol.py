"""What a SPARQL 1.1 endpoint says, read in a vendor-neutral way: the form of a query,
credentials, result terms (cleaned of Virtuoso's variants), RDF bodies, re-serialized
answers and error messages. Split from `store.sparql_store` so that the store class holds
only the conversation with the server (requests, writes, dump).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
import requests
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from store.base import EndpointResult, StoreError
from store.oxigraph_store import RESULT_FORMATS

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
JSON_RESULTS = "application/sparql-results+json"
RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
UPDATE_TYPE = "application/sparql-update; charset=utf-8"
RDF_PARSERS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}

OTHER_RESULTS = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}

_PROLOGUE = re.compile(
    r"(?:\s|\#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*[^\s:<>]*:\s*<[^>]*>)*", re.IGNORECASE
)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_KIND = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_VIRTUOSO_ASK = "__ASK_RETVAL"


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read after the prologue; None for anything else.

    Needed because some servers (Virtuoso) ignore the form when negotiating the answer's
    format, and because the public endpoint must refuse updates.
    """
    prologue = _PROLOGUE.match(query)
    form = _FORM.match(query, prologue.end() if prologue else 0)
    return form.group(1).upper() if form else None


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NOT_CODE = re.compile(  # strings, IRIs and comments, where a keyword is not a keyword
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![\w?$:])SERVICE(?![\w:-])", re.IGNORECASE)


def uses_service(query: str) -> bool:
    """Whether the query asks the endpoint to query another one (SERVICE).

    A public endpoint that ran them would fetch any address for anyone, private ones
    included. Read as SPARQL reads it: code point escapes first (they may spell a
    keyword), then the keyword outside strings, IRIs and comments. In doubt it says yes.
    """

    def char(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1) or match.group(2), 16))
        except (ValueError, OverflowError):
            return match.group(0)

    code = _NOT_CODE.sub(" ", _CODEPOINT.sub(char, query))
    return _SERVICE.search(code) is not None


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """"user:password" as a pair (the password may contain colons)."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep:
        raise ValueError("auth must be 'user:password'")
    return user, password


class _Auth(AuthBase):
    """Digest first (Virtuoso's /sparql-auth), basic when the server only offers that."""

    def __init__(self, user: str, password: str) -> None:
        self.digest = HTTPDigestAuth(user, password)
        self.basic = HTTPBasicAuth(user, password)
        self.use_basic = False

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return self.basic(request) if self.use_basic else self.digest(request)

    def switch_to_basic(self, response: requests.Response) -> bool:
        """True when the server asked for basic auth and we were still sending digest."""
        offered = response.headers.get("WWW-Authenticate", "").lower()
        if self.use_basic or "basic" not in offered or "digest" in offered:
            return False
        self.use_basic = True
        return True


# --- terms -------------------------------------------------------------------------------


def _bnode_label(value: str) -> str:
    """A blank node label valid in N-Triples, stable for the same remote node."""
    label = value.removeprefix("_:").removeprefix("nodeID://")
    if _BNODE_LABEL.fullmatch(label):
        return label
    return "h" + hashlib.sha1(value.encode()).hexdigest()[:24]


def normalize_term(raw: Mapping[str, Any]) -> dict[str, str]:
    """One SPARQL JSON term, cleaned of vendor variants (typed-literal, numbers, nodeID://)."""
    kind = raw.get("type")
    value = raw.get("value")
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = "" if value is None else str(value)
    if kind == "uri":
        return {"type": "uri", "value": value}
    if kind == "bnode":
        return {"type": "bnode", "value": _bnode_label(value)}
    if kind in ("literal", "typed-literal"):
        term = {"type": "literal", "value": value}
        language = raw.get("xml:lang")
        datatype = raw.get("datatype")
        if language:
            term["xml:lang"] = language
        elif datatype and datatype not in (XSD_STRING, RDF_LANG_STRING):
            term["datatype"] = datatype
        return term
    raise StoreError(f"unsupported term in SPARQL results: {raw!r}")


def term_to_rdflib(term: Mapping[str, str]) -> Node:
    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "bnode":
        return BNode(term["value"])
    datatype = term.get("datatype")
    return Literal(
        term["value"], lang=term.get("xml:lang"), datatype=URIRef(datatype) if datatype else None
    )


def term_to_oxigraph(term: Mapping[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if term["type"] == "uri":
        return ox.NamedNode(term["value"])
    if term["type"] == "bnode":
        return ox.BlankNode(term["value"])
    if "xml:lang" in term:
        return ox.Literal(term["value"], language=term["xml:lang"])
    if "datatype" in term:
        return ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"]))
    return ox.Literal(term["value"])


class Results:
    """A parsed SPARQL JSON answer: a boolean, or variables and normalized rows."""

    def __init__(self, body: bytes, ask: bool) -> None:
        try:
            data = json.loads(body)
        except ValueError as error:
            raise StoreError(f"the endpoint sent invalid SPARQL JSON: {error}") from error
        self.boolean: bool | None = data.get("boolean")
        self.variables: list[str] = list(data.get("head", {}).get("vars", []))
        bindings = data.get("results", {}).get("bindings", []) if self.boolean is None else []
        self.rows = [{k: normalize_term(v) for k, v in row.items()} for row in bindings]
        if self.boolean is None and ask and self.variables == [_VIRTUOSO_ASK]:
            self.boolean = any(row.get(_VIRTUOSO_ASK, {}).get("value") in ("1", "true")
                               for row in self.rows)

    def as_standard_json(self) -> bytes:
        if self.boolean is not None:
            return json.dumps({"head": {}, "boolean": self.boolean}).encode()
        results = {"bindings": self.rows}
        return json.dumps({"head": {"vars": self.variables}, "results": results}).encode()


# --- answers ---------------------------------------------------------------------------

def _quad(row: Mapping[str, Mapping[str, str]]) -> ox.Quad:
    """A result row (?g ?s ?p ?o) as a quad."""
    return ox.Quad(
        term_to_oxigraph(row["s"]),
        term_to_oxigraph(row["p"]),
        term_to_oxigraph(row["o"]),
        term_to_oxigraph(row["g"]),
    )


def _parse_rdf(body: bytes, media: str) -> list[ox.Triple]:
    fmt = RDF_PARSERS.get(media, ox.RdfFormat.TURTLE)
    try:
        return [quad.triple for quad in ox.parse(body, format=fmt)]
    except SyntaxError as error:
        raise StoreError(f"the endpoint sent invalid RDF ({media}): {error}") from error


def _results_answer(results: Results, accept: Mapping[str, str]) -> EndpointResult:
    """Re-serializes a parsed answer in the negotiated format, through Oxigraph's writers
    so that every backend produces the same bytes."""
    kind = "solutions" if results.boolean is None else "boolean"
    media = accept[kind]
    parsed = ox.parse_query_results(results.as_standard_json(), ox.QueryResultsFormat.JSON)
    return EndpointResult(kind, parsed.serialize(format=RESULT_FORMATS[media]), media)


def _foreign_answer(
    body: bytes, fmt: ox.QueryResultsFormat, accept: Mapping[str, str]
) -> EndpointResult:
    """An answer in XML or TSV from a server that ignored our Accept header."""
    try:
        parsed = ox.parse_query_results(body, fmt)
    except SyntaxError as error:
        raise StoreError(f"the endpoint sent invalid SPARQL results: {error}") from error
    kind = "boolean" if isinstance(parsed, ox.QueryBoolean) else "solutions"
    media = accept[kind]
    return EndpointResult(kind, parsed.serialize(format=RESULT_FORMATS[media]), media)


def _error_message(body: bytes) -> str:
    """The server's explanation, without the echo of the query that Virtuoso appends."""
    text = body.decode("utf-8", "replace").split("\nSPARQL query:")[0].strip()
    return text[:500] or "no explanation"


def _is_compiler_error(message: str) -> bool:
    return "SPARQL compiler" in message or "SP030" in message
