"""The `sparql` backend: any SPARQL 1.1 Query + Update endpoint over HTTP.

It speaks only the standard SPARQL 1.1 Protocol (queries as GET or form-encoded POST,
updates as a direct `application/sparql-update` POST), so it works with Virtuoso, Fuseki,
Oxigraph server, QLever or GraphDB. It was written and tested against Virtuoso 7.2, whose
quirks it absorbs without depending on them:

- a direct `application/sparql-query` POST never gets an answer: never sent;
- blank nodes are refused in INSERT DATA: triples with blank nodes are inserted with an
  INSERT template and a WHERE clause with one solution, which is standard too;
- the SPARQL compiler gives up on long requests (about 5,000 triples in one block,
  1,400 in an INSERT template, a few hundred operations): a write is at most four kinds
  of operations, with blocks of 2,000 triples and templates of 500. A single write with
  several thousand blank-node triples can still exceed it: it then fails whole (the
  compiler refuses it before anything runs). With `MaxQueryCostEstimationTime` set in
  virtuoso.ini (Debian's default file sets 400), INSERT DATA fails above about 1,000
  triples per request: leave that setting out;
- ASK answers are a one-column result set (`__ASK_RETVAL`) and content negotiation ignores
  the query form: the form is read from the query's first keyword to choose what to ask
  for, and the answer is re-serialized in the negotiated media type;
- a query stopped by the `timeout` parameter comes back as HTTP 200 with partial results
  and `X-SQL-State: S1TAT`: that is a QueryTimeout, never a (wrong) answer;
- result sets are silently truncated at the server's `ResultSetMaxRows`: `dump` pages
  below `page_rows`, which must stay under that limit; the application's own queries are
  bounded by design.

Atomicity: each `write` is ONE update request, checked under a process-level lock. What
the remote guarantees for a request is the remote's business: Virtuoso compiles the whole
request first, so a syntax error changes nothing, but it commits operation by operation,
so a failure in the middle of execution (transaction timeout, disk full) can leave the
first operations applied; Fuseki (TDB2) and Oxigraph server run a request as one
transaction. Preconditions are only as strong as the lock: two processes writing through
this backend to the same endpoint can interleave a check and a write.

Data fidelity on Virtuoso 7.2 (seen in tests, not fixable from here): language tags come
back lower-cased, xsd:boolean is stored as a number (`true` and `1`^^xsd:integer are then
the same triple), numbers are canonicalized ("01" -> "1", "1.50" -> "1.5"), and GeoSPARQL
wktLiteral becomes virtrdf:Geometry with float rounding.

Untrusted queries (`endpoint_query`) go to `query_url` without credentials; `auth` is only
sent to `update_url`, so the public endpoint never runs with write rights. Only the four
query forms are accepted there: an update or a vendor pragma is a syntax error.

Default graph of untrusted queries: the union of all graphs, which is Virtuoso's default
dataset, but that also holds its own system graphs (virtrdf#, ldp#, ...; 2.5-5.6 k
triples). SPARQL has no standard way to leave graphs out of the default dataset (only
`FROM` / `default-graph-uri`, which list the graphs to keep), so this is done on the
server: Virtuoso's graph-level security puts the system graphs in the private-graphs
group, hidden from the anonymous user that runs `query_url` queries (the SQL is in
tests/services/virtuoso.py, `_prepare`). Other servers: Fuseki needs
`unionDefaultGraph`, Oxigraph server `endpoint_params={"union-default-graph": ""}`.
Virtuoso answers DESCRIBE without FROM with an empty graph.

Speed on Virtuoso (loopback, 2 cores): a replace of a 20-triple graph takes ~5 ms, ~7 ms
with blank nodes, ~10-13 ms when preceded by the ETag read; a graph read ~3 ms. Its JSON
results writer is slow (~10 k rows/s, XML is 3x faster but loses carriage returns and control
characters), which bounds `dump` for graphs read through SELECT; graphs larger than a page
come through CONSTRUCT (N-Triples), several times faster.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pyoxigraph as ox
import requests
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from store.base import (
    EndpointResult,
    PreconditionFailed,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    TripleStore,
    Write,
    graph_etag,
)
from store.oxigraph_store import GRAPH_FORMATS, RESULT_FORMATS

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

GET_LIMIT = 4000  # longer queries go as a form-encoded POST (URL length limits)
DATA_BLOCK = 2000  # triples per GRAPH block of INSERT/DELETE DATA (Virtuoso: ~5,000 max)
TEMPLATE_OPERATION = 500  # blank-node triples per INSERT template (Virtuoso: ~1,400 max)
TEMPLATE_REQUEST = 2000  # blank-node triples per bulk-load request
BATCH_BYTES = 4_000_000  # size of one bulk-load request
BATCH_GRAPHS = 2000  # graphs replaced by one bulk-load request
GRAPHS_PER_PAGE = 200  # graphs fetched together by `dump`

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


# --- writes ------------------------------------------------------------------------------


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


# --- the store ---------------------------------------------------------------------------


class SparqlStore(TripleStore):
    """A remote SPARQL 1.1 endpoint as the public dataset.

    `query_url` / `update_url`: the Query and Update endpoints (the same URL for most
    servers; Virtuoso: /sparql for queries, /sparql-auth with `auth` for updates).
    `auth`: "user:password", sent to the update endpoint only (digest, then basic).
    `timeout`: seconds allowed to the application's own queries; `update_timeout` to
    writes. `page_rows` must stay below the server's result-size limit (Virtuoso's
    ResultSetMaxRows, 10,000 by default). `endpoint_params` are added to every untrusted
    query, e.g. {"union-default-graph": ""} for Oxigraph server; Virtuoso and GraphDB
    already use the union of all graphs as default graph.
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        auth: str | None = None,
        timeout: float = 30.0,
        update_timeout: float = 120.0,
        page_rows: int = 5000,
        endpoint_params: Mapping[str, str] | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        credentials = parse_auth(auth)
        self._auth = _Auth(*credentials) if credentials else None
        self.timeout = timeout
        self.update_timeout = update_timeout
        self.page_rows = page_rows
        self.endpoint_params = dict(endpoint_params or {})
        self._session = requests.Session()
        self._write_lock = threading.Lock()
        self._virtuoso: bool | None = None

    # --- HTTP ------------------------------------------------------------------------

    def _query_request(
        self, query: str, accept: str, timeout: float, params: Mapping[str, str] | None = None
    ) -> requests.Response:
        """Sends a query as GET, or as a form POST when long; never as a direct POST."""
        fields = {"query": query, **(params or {})}
        headers = {"Accept": accept}
        try:
            if len(query) <= GET_LIMIT:
                response = self._session.get(
                    self.query_url, params=fields, headers=headers, timeout=timeout, stream=True
                )
            else:
                response = self._session.post(
                    self.query_url, data=fields, headers=headers, timeout=timeout, stream=True
                )
        except requests.Timeout as error:
            raise QueryTimeout(f"{self.query_url} did not answer within {timeout:g} s") from error
        except requests.RequestException as error:
            raise StoreError(f"SPARQL endpoint {self.query_url} unreachable: {error}") from error
        self._note_server(response)
        return response

    def _note_server(self, response: requests.Response) -> None:
        if self._virtuoso is None:
            self._virtuoso = "virtuoso" in response.headers.get("Server", "").lower()

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        """The whole body, giving up at the deadline even if the server trickles."""
        chunks: list[bytes] = []
        try:
            for chunk in response.iter_content(1 << 16):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    response.close()
                    raise QueryTimeout("the query ran past its time limit")
        except requests.Timeout as error:
            raise QueryTimeout("the query ran past its time limit") from error
        except requests.RequestException as error:
            raise StoreError(f"SPARQL endpoint {self.query_url} failed: {error}") from error
        return b"".join(chunks)

    def _checked(self, response: requests.Response, deadline: float) -> tuple[bytes, str]:
        """Body and media type of a successful answer; errors mapped to store errors."""
        body = self._read(response, deadline)
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.status_code == 200:
            if response.headers.get("X-SQL-State", "").upper() == "S1TAT":
                raise QueryTimeout("the query ran past its time limit (partial answer)")
            return body, media
        message = _error_message(body)
        if response.status_code == 400 or _is_compiler_error(message):
            raise QuerySyntaxError(message)
        if "S1T00" in message or response.status_code in (408, 504):
            raise QueryTimeout(message)
        raise StoreError(f"{self.query_url} answered {response.status_code}: {message}")

    def _results(self, query: str, ask: bool = False) -> Results:
        deadline = time.monotonic() + self.timeout
        response = self._query_request(query, JSON_RESULTS, self.timeout)
        body, _media = self._checked(response, deadline)
        return Results(body, ask)

    def _update(self, update: str) -> None:
        """One update request; any failure is a StoreError naming the endpoint."""
        payload = update.encode()
        for _attempt in range(2):
            try:
                response = self._session.post(
                    self.update_url,
                    data=payload,
                    headers={"Content-Type": UPDATE_TYPE, "Accept": "*/*"},
                    auth=self._auth,
                    timeout=self.update_timeout,
                )
            except requests.RequestException as error:
                raise StoreError(f"SPARQL update to {self.update_url} failed: {error}") from error
            if not (response.status_code == 401 and self._auth
                    and self._auth.switch_to_basic(response)):
                break
        if response.status_code == 401:
            raise StoreError(f"{self.update_url} refused the credentials (401)")
        if not 200 <= response.status_code < 300:
            message = _error_message(response.content)
            raise StoreError(f"{self.update_url} answered {response.status_code}: {message}")

    # --- reads -----------------------------------------------------------------------

    def graph(self, iri: str) -> str | None:
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(iri)} {{ ?s ?p ?o }} }}"
        deadline = time.monotonic() + self.timeout
        response = self._query_request(query, RDF_ACCEPT, self.timeout)
        body, media = self._checked(response, deadline)
        triples = _parse_rdf(body, media)
        return _nt(triples) if triples else None

    def select(self, query: str) -> list[dict[str, Node]]:
        results = self._results(query)
        return [{k: term_to_rdflib(v) for k, v in row.items()} for row in results.rows]

    def ask(self, query: str) -> bool:
        results = self._results(query, ask=True)
        if results.boolean is None:
            raise StoreError(f"{self.query_url} did not answer the ASK query with a boolean")
        return results.boolean

    def endpoint_query(self, query: str, accept: dict[str, str], timeout: float) -> EndpointResult:
        form = query_form(query)
        if form is None:
            raise QuerySyntaxError("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
        params = dict(self.endpoint_params)
        if self._virtuoso is None:
            self._probe()
        if self._virtuoso:
            params["timeout"] = str(max(1, int(timeout * 1000)))  # stops the server side too
        deadline = time.monotonic() + timeout
        wanted = RDF_ACCEPT if _KIND[form] == "graph" else JSON_RESULTS
        response = self._query_request(query, wanted, timeout + 1.0, params)
        body, media = self._checked(response, deadline)
        if media in RDF_PARSERS:
            out = accept["graph"]
            triples = _parse_rdf(body, media)
            return EndpointResult("graph", ox.serialize(triples, format=GRAPH_FORMATS[out]), out)
        if media in OTHER_RESULTS:
            return _foreign_answer(body, OTHER_RESULTS[media], accept)
        return _results_answer(Results(body, ask=form == "ASK"), accept)

    def _probe(self) -> None:
        """Learns the server's kind (from its Server header) with a trivial query."""
        try:
            deadline = time.monotonic() + self.timeout
            self._read(self._query_request("ASK {}", JSON_RESULTS, self.timeout), deadline)
        except StoreError:
            self._virtuoso = None

    # --- writes ----------------------------------------------------------------------

    def write(self, change: Write) -> None:
        update = render_update(change)
        with self._write_lock:
            self._check(change)
            if update:
                self._update(update)

    def _check(self, change: Write) -> None:
        for iri in change.expect_absent:
            if self.ask(f"ASK {{ GRAPH {_iri(iri)} {{ ?s ?p ?o }} }}"):
                raise PreconditionFailed(f"{iri} already exists")
        for iri, etag in change.expect_etags.items():
            current = self.graph(iri)
            if current is None or graph_etag(current) != etag:
                raise PreconditionFailed(f"{iri} has changed")

    def bulk_load(self, graphs: Iterable[tuple[str, str]]) -> int:
        """Replaces the graphs in requests of about BATCH_BYTES (at most BATCH_GRAPHS
        graphs and TEMPLATE_REQUEST blank-node triples); atomic per request only."""
        count = 0
        batch: list[tuple[str, list[ox.Triple]]] = []
        size = blank = 0
        for iri, ntriples in graphs:
            triples = _parse_triples(iri, ntriples)
            batch.append((iri, triples))
            size += len(ntriples) + len(iri)
            blank += sum(1 for t in triples if _has_bnode(t))
            count += 1
            if size >= BATCH_BYTES or blank >= TEMPLATE_REQUEST or len(batch) >= BATCH_GRAPHS:
                self._load_batch(batch)
                batch, size, blank = [], 0, 0
        if batch:
            self._load_batch(batch)
        return count

    def _load_batch(self, batch: list[tuple[str, list[ox.Triple]]]) -> None:
        update = _render([graph for graph, _ in batch], {}, batch)
        with self._write_lock:
            self._update(update)

    # --- dump ------------------------------------------------------------------------

    def dump(self, media_type: str) -> Iterator[bytes]:
        fmt = ox.RdfFormat.TRIG if media_type == "application/trig" else ox.RdfFormat.N_QUADS
        for names in self._graph_pages():
            for start in range(0, len(names), GRAPHS_PER_PAGE):
                for quads in self._quads(names[start:start + GRAPHS_PER_PAGE]):
                    yield ox.serialize(quads, format=fmt)

    def _graph_pages(self) -> Iterator[list[str]]:
        """Graph names in pages, by key (not offset) so concurrent writes do not shift them."""
        last = ""
        while True:
            query = (
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER (STR(?g) > {json.dumps(last)}) }} ORDER BY STR(?g) LIMIT {self.page_rows}"
            )
            names = [row["g"]["value"] for row in self._results(query).rows]
            if names:
                yield names
                last = names[-1]
            if len(names) < self.page_rows:
                return

    def _quads(self, names: list[str]) -> Iterator[list[ox.Quad]]:
        """The quads of these graphs, fetched in groups that fit in one page."""
        group: list[str] = []
        rows = 0
        for name, count in self._sizes(names):
            if count > self.page_rows:
                yield from self._big_graph(name)
                continue
            if group and rows + count > self.page_rows:
                yield from self._fetch(group)
                group, rows = [], 0
            group.append(name)
            rows += count
        if group:
            yield from self._fetch(group)

    def _sizes(self, names: list[str]) -> list[tuple[str, int]]:
        values = " ".join(_iri(name) for name in names)
        query = (
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        counts = {row["g"]["value"]: int(row["n"]["value"]) for row in self._results(query).rows}
        return [(name, counts[name]) for name in names if counts.get(name)]

    def _fetch(self, names: list[str]) -> Iterator[list[ox.Quad]]:
        """One page of quads; split again if the graphs grew since they were counted."""
        values = " ".join(_iri(name) for name in names)
        query = (
            f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
            f"LIMIT {self.page_rows + 1}"
        )
        rows = self._results(query).rows
        if len(rows) <= self.page_rows:
            yield [_quad(row) for row in rows]
        elif len(names) == 1:
            yield from self._big_graph(names[0])
        else:
            yield from self._fetch(names[: len(names) // 2])
            yield from self._fetch(names[len(names) // 2 :])

    def _big_graph(self, name: str) -> Iterator[list[ox.Quad]]:
        """One graph larger than a page, in CONSTRUCT pages (N-Triples: fast and exact)."""
        graph = ox.NamedNode(name)
        offset = 0
        while True:
            query = (
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(name)} {{ ?s ?p ?o }} }} "
                f"ORDER BY ?s ?p ?o LIMIT {self.page_rows} OFFSET {offset}"
            )
            deadline = time.monotonic() + self.timeout
            response = self._query_request(query, RDF_ACCEPT, self.timeout)
            triples = _parse_rdf(*self._checked(response, deadline))
            if triples:
                yield [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
            if len(triples) < self.page_rows:
                return
            offset += self.page_rows

    def stats(self) -> dict[str, int]:
        rows = self._results("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        return {"triples": int(rows[0]["n"]["value"]) if rows else 0}

    def close(self) -> None:
        self._session.close()


# --- helpers -----------------------------------------------------------------------------


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
