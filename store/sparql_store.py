"""The `sparql` backend: any SPARQL 1.1 Query + Update endpoint over HTTP.

It speaks only the standard SPARQL 1.1 Protocol (queries as GET or form-encoded POST,
updates as a direct `application/sparql-update` POST), so it works with Virtuoso, Fuseki,
Oxigraph server, QLever or GraphDB. It was written and tested against Virtuoso 7.2, whose
quirks it absorbs without depending on them (reading answers: store/sparql_protocol.py;
rendering updates: store/sparql_updates.py; paging `dump`: store/sparql_dump.py):

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

import threading
import time
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
import requests
from rdflib.term import Node

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
from store.oxigraph_store import GRAPH_FORMATS
from store.sparql_dump import GRAPHS_PER_PAGE, SparqlDump
from store.sparql_protocol import (
    _KIND,
    JSON_RESULTS,
    OTHER_RESULTS,
    RDF_ACCEPT,
    RDF_PARSERS,
    UPDATE_TYPE,
    Results,
    _Auth,
    _error_message,
    _foreign_answer,
    _is_compiler_error,
    _parse_rdf,
    _results_answer,
    normalize_term,
    parse_auth,
    query_form,
    term_to_oxigraph,
    term_to_rdflib,
)
from store.sparql_updates import _has_bnode, _iri, _nt, _parse_triples, _render, render_update
from store.terms import storable_iri

# kept importable from here: they lived in this module before it was split
__all__ = ["GRAPHS_PER_PAGE", "Results", "SparqlStore", "normalize_term", "parse_auth",
           "query_form", "render_update", "term_to_oxigraph", "term_to_rdflib"]

GET_LIMIT = 4000  # longer queries go as a form-encoded POST (URL length limits)
TEMPLATE_REQUEST = 2000  # blank-node triples per bulk-load request
BATCH_BYTES = 4_000_000  # size of one bulk-load request
BATCH_GRAPHS = 2000  # graphs replaced by one bulk-load request


# --- the store ---------------------------------------------------------------------------


class SparqlStore(SparqlDump, TripleStore):
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
        if not storable_iri(iri):  # a hostile IRI names nothing here
            return None
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

    def stats(self) -> dict[str, int]:
        rows = self._results("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        return {"triples": int(rows[0]["n"]["value"]) if rows else 0}

    def close(self) -> None:
        self._session.close()
