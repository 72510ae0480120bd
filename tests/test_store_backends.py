"""One behaviour, three backends: Oxigraph in memory, Oxigraph on disk, a real Virtuoso.

Every test taking `store` runs against each backend, so that the `sparql` backend is held
to exactly what the embedded one does. Virtuoso-only and Oxigraph-on-disk-only tests
follow (authentication, server-side timeouts, a SIGKILL in the middle of a write).

Standalone: `python -m pytest tests/test_store_backends.py` (the module loads the
`virtuoso` fixture itself; COMMUNECTER_NO_VIRTUOSO=1 skips the Virtuoso cases).
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from store.base import (
    PreconditionFailed,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    TripleStore,
    Write,
    graph_etag,
)
from store.oxigraph_store import OxigraphStore
from store.sparql_store import SparqlStore, query_form, render_update
from tests.services.virtuoso import VirtuosoServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

EX = "http://example.org/"
G1, G2, G3 = EX + "graph/1", EX + "graph/2", EX + "graph/3"
XSD = "http://www.w3.org/2001/XMLSchema#"
ROOT = Path(__file__).resolve().parent.parent

# Literals that break naive serializers. Language tags are lower case: Virtuoso lowers them.
TRICKY = f"""\
<{EX}r1> <{EX}name> "Caf\\u00e9 \\"quoted\\" line1\\nline2\\ttab \\r \\\\ back"@fr .
<{EX}r1> <{EX}name> "été ☃ 𝄞 中文"@en .
<{EX}r1> <{EX}count> "42"^^<{XSD}integer> .
<{EX}r1> <{EX}day> "2024-01-05"^^<{XSD}date> .
<{EX}r1> <{EX}at> "2024-01-05T10:00:00Z"^^<{XSD}dateTime> .
<{EX}r1> <{EX}code> "A-12"^^<{EX}Code> .
<{EX}r1> <{EX}plain> "{'long text ' * 400}" .
<{EX}r1> <{EX}place> _:address .
_:address <{EX}street> "1 rue de la Paix" .
_:address <{EX}geo> _:point .
_:point <{EX}lat> "48.8"^^<{XSD}decimal> .
<{EX}r1> <{EX}other> _:other .
_:other <{EX}street> "2 rue de la Paix" .
"""

ACCEPT = {
    "solutions": "application/sparql-results+json",
    "boolean": "application/sparql-results+json",
    "graph": "application/n-triples",
}


def triple(s: str, p: str, o: str) -> str:
    return f"<{EX}{s}> <{EX}{p}> {o} .\n"


def as_graph(ntriples: str | None) -> Graph:
    graph = Graph()
    if ntriples:
        graph.parse(data=ntriples, format="nt")
    return graph


def same_graph(actual: str | None, expected: str) -> bool:
    return isomorphic(as_graph(actual), as_graph(expected))


# --- backends ----------------------------------------------------------------------------


def sparql_store(server: VirtuosoServer) -> SparqlStore:
    server.clear()
    return SparqlStore(server.query_url, server.update_url, server.auth, timeout=20)


@pytest.fixture(
    params=["memory", "disk", pytest.param("virtuoso", marks=pytest.mark.virtuoso)]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TripleStore]:
    """A fresh, empty store of each kind (Virtuoso is started once, then cleared)."""
    if request.param == "memory":
        backend: TripleStore = OxigraphStore()
    elif request.param == "disk":
        backend = OxigraphStore(tmp_path / "oxigraph")
    else:
        backend = sparql_store(request.getfixturevalue("virtuoso"))
    yield backend
    backend.close()


# --- graphs ------------------------------------------------------------------------------


def test_replace_read_round_trip(store: TripleStore) -> None:
    store.write(Write(replace={G1: TRICKY}))
    read = store.graph(G1)
    assert same_graph(read, TRICKY)
    again = store.graph_with_etag(G1)
    assert again is not None and again[1] == graph_etag(read or "")

    store.write(Write(replace={G1: triple("r1", "name", '"new"')}))
    assert same_graph(store.graph(G1), triple("r1", "name", '"new"'))
    assert store.graph(G2) is None


def test_an_iri_the_store_refuses_names_no_graph(store: TripleStore) -> None:
    """Hostile IRIs reach look-ups (a remote Delete's object): they find nothing, no error."""
    for iri in (f"{EX}a b", f"{EX}<x>", f"{EX}a%zz", "relative"):
        assert store.graph(iri) is None
        assert store.graph_with_etag(iri) is None


def test_delete_graph(store: TripleStore) -> None:
    store.write(Write(replace={G1: TRICKY, G2: triple("r2", "name", '"two"')}))
    store.write(Write(delete=[G1]))
    assert store.graph(G1) is None
    assert same_graph(store.graph(G2), triple("r2", "name", '"two"'))


def test_add_and_remove_single_triples(store: TripleStore) -> None:
    members = triple("c", "member", f"<{EX}a>") + triple("c", "member", f"<{EX}b>")
    store.write(Write(replace={G1: members}))
    store.write(Write(add={G1: triple("c", "member", f"<{EX}x>")},
                      remove={G1: triple("c", "member", f"<{EX}a>")}))
    expected = triple("c", "member", f"<{EX}b>") + triple("c", "member", f"<{EX}x>")
    assert same_graph(store.graph(G1), expected)


def test_expect_absent(store: TripleStore) -> None:
    store.write(Write(replace={G1: triple("r1", "v", '"1"')}, expect_absent=[G1]))
    with pytest.raises(PreconditionFailed):
        store.write(Write(replace={G1: triple("r1", "v", '"2"'), G2: triple("r2", "v", '"2"')},
                          expect_absent=[G1]))
    assert same_graph(store.graph(G1), triple("r1", "v", '"1"'))
    assert store.graph(G2) is None


def test_expect_etags(store: TripleStore) -> None:
    store.write(Write(replace={G1: triple("r1", "v", '"1"')}))
    current = store.graph_with_etag(G1)
    assert current is not None
    etag = current[1]
    store.write(Write(replace={G1: triple("r1", "v", '"2"')}, expect_etags={G1: etag}))
    with pytest.raises(PreconditionFailed):  # the ETag is stale now
        store.write(Write(replace={G1: triple("r1", "v", '"3"')}, delete=[G2],
                          expect_etags={G1: etag}))
    with pytest.raises(PreconditionFailed):  # no such graph
        store.write(Write(replace={G3: triple("r3", "v", '"3"')}, expect_etags={G3: etag}))
    assert same_graph(store.graph(G1), triple("r1", "v", '"2"'))
    assert store.graph(G3) is None


def test_invalid_write_changes_nothing(store: TripleStore) -> None:
    store.write(Write(replace={G1: triple("r1", "v", '"1"'), G2: triple("r2", "v", '"2"')}))
    bad = Write(
        replace={G1: triple("r1", "v", '"changed"'), G3: f'<{EX}r3> <{EX}v> "unterminated .\n'},
        delete=[G2],
    )
    with pytest.raises((StoreError, SyntaxError)):
        store.write(bad)
    assert same_graph(store.graph(G1), triple("r1", "v", '"1"'))
    assert same_graph(store.graph(G2), triple("r2", "v", '"2"'))
    assert store.graph(G3) is None


# --- queries -----------------------------------------------------------------------------

PEOPLE = (
    triple("alice", "name", '"Alice"') + triple("alice", "label", '"A"@fr')
    + triple("bob", "name", '"Bob"')
)
PEOPLE_QUERY = (
    f"SELECT ?name ?label WHERE {{ ?s <{EX}name> ?name OPTIONAL {{ ?s <{EX}label> ?label }} }} "
    "ORDER BY ?name"
)


def test_select_and_ask(store: TripleStore) -> None:
    store.write(Write(replace={G1: PEOPLE}))
    rows = store.select(
        f"SELECT ?s ?name ?label WHERE {{ GRAPH <{G1}> {{ ?s <{EX}name> ?name "
        f"OPTIONAL {{ ?s <{EX}label> ?label }} }} }} ORDER BY ?name"
    )
    assert rows == [
        {"s": URIRef(EX + "alice"), "name": Literal("Alice"), "label": Literal("A", lang="fr")},
        {"s": URIRef(EX + "bob"), "name": Literal("Bob")},
    ]
    assert store.ask(f"ASK {{ GRAPH <{G1}> {{ <{EX}bob> ?p ?o }} }}") is True
    assert store.ask(f"ASK {{ GRAPH <{G2}> {{ <{EX}bob> ?p ?o }} }}") is False


@pytest.mark.parametrize(
    ("media", "parser"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
    ],
)
def test_endpoint_solutions(store: TripleStore, media: str, parser: str) -> None:
    store.write(Write(replace={G1: PEOPLE}))
    result = store.endpoint_query(PEOPLE_QUERY, {**ACCEPT, "solutions": media}, timeout=10)
    assert (result.kind, result.media_type) == ("solutions", media)
    parsed = Result.parse(io.BytesIO(result.body), format=parser)
    rows = [{str(k): v for k, v in row.items()} for row in parsed.bindings]
    label = Literal("A") if parser == "csv" else Literal("A", lang="fr")  # CSV has no tags
    assert rows == [{"name": Literal("Alice"), "label": label}, {"name": Literal("Bob")}]
    if parser == "tsv":
        assert result.body.splitlines()[0] == b"?name\t?label"


def test_endpoint_long_query_is_posted(store: TripleStore) -> None:
    """Past a few kB the query goes as a form POST (never a direct sparql-query POST)."""
    store.write(Write(replace={G1: PEOPLE}))
    padding = "# " + "x" * 5000 + "\n"
    query = padding + f'SELECT ?s WHERE {{ ?s <{EX}name> ?n VALUES ?n {{ "Bob" "Zoe" }} }}'
    assert len(query) > 5000
    result = store.endpoint_query(query, ACCEPT, timeout=10)
    assert [row["s"]["value"] for row in json.loads(result.body)["results"]["bindings"]] == [
        EX + "bob"
    ]


@pytest.mark.parametrize("media", ["application/sparql-results+json",
                                   "application/sparql-results+xml"])
def test_endpoint_boolean(store: TripleStore, media: str) -> None:
    store.write(Write(replace={G1: PEOPLE}))
    accept = {**ACCEPT, "boolean": media}
    yes = store.endpoint_query(f"ASK {{ <{EX}bob> ?p ?o }}", accept, timeout=10)
    no = store.endpoint_query(f"ASK {{ <{EX}carol> ?p ?o }}", accept, timeout=10)
    assert (yes.kind, yes.media_type) == ("boolean", media)
    assert [_boolean(answer.body, media) for answer in (yes, no)] == [True, False]


def _boolean(body: bytes, media: str) -> bool:
    if media.endswith("json"):
        return json.loads(body)["boolean"]
    element = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None
    return element.text == "true"


@pytest.mark.parametrize(
    ("media", "parser"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_endpoint_graph(store: TripleStore, media: str, parser: str) -> None:
    store.write(Write(replace={G1: PEOPLE, G2: TRICKY}))
    query = f"CONSTRUCT {{ ?s <{EX}name> ?o }} WHERE {{ ?s <{EX}name> ?o }}"
    result = store.endpoint_query(query, {**ACCEPT, "graph": media}, timeout=10)
    assert (result.kind, result.media_type) == ("graph", media)
    graph = Graph().parse(data=result.body, format=parser)
    expected = Graph()
    for t in as_graph(PEOPLE + TRICKY).triples((None, URIRef(EX + "name"), None)):
        expected.add(t)
    assert isomorphic(graph, expected)


def test_endpoint_default_graph_is_the_union(store: TripleStore) -> None:
    """Only our triples: Virtuoso's own ~2.5-5.6 k system triples must not show up."""
    store.write(Write(replace={G1: PEOPLE, G2: TRICKY}))
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    result = store.endpoint_query(query, ACCEPT, timeout=10)
    count = int(json.loads(result.body)["results"]["bindings"][0]["n"]["value"])
    assert count == len(as_graph(PEOPLE)) + len(as_graph(TRICKY))


@pytest.mark.parametrize(
    "query",
    ["SELECT * WHERE { ?s ?p }", "SELEC * WHERE { ?s ?p ?o }",
     f"INSERT DATA {{ GRAPH <{G3}> {{ <{EX}a> <{EX}b> <{EX}c> }} }}",
     # Virtuoso's pragmas can make it fetch URLs (the Sponger): not SPARQL, never sent
     'DEFINE get:soft "replace" SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }'],
)
def test_endpoint_syntax_error(store: TripleStore, query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        store.endpoint_query(query, ACCEPT, timeout=10)
    assert store.graph(G3) is None


# --- bulk load and dump ------------------------------------------------------------------


def test_bulk_load_and_dump_round_trip(store: TripleStore) -> None:
    store.write(Write(replace={EX + "bulk/0": triple("old", "v", '"replaced"')}))
    graphs = {
        f"{EX}bulk/{i}": triple(f"r{i}", "name", f'"name {i}"')
        + triple(f"r{i}", "address", "_:a") + f'_:a <{EX}street> "{i} rue" .\n'
        for i in range(300)
    }
    graphs[EX + "bulk/big"] = "".join(triple(f"s{i}", "v", f'"{i}"') for i in range(6000))
    assert store.bulk_load(graphs.items()) == len(graphs)

    dataset = Dataset()
    dataset.parse(data=b"".join(store.dump("application/n-quads")), format="nquads")
    dumped = {str(g.identifier): g for g in dataset.graphs() if len(g)}
    assert set(dumped) == set(graphs)
    assert len(dumped[EX + "bulk/big"]) == 6000
    for name in (EX + "bulk/0", EX + "bulk/299"):
        assert isomorphic(dumped[name], as_graph(graphs[name]))
    assert same_graph(store.graph(EX + "bulk/7"), graphs[EX + "bulk/7"])


# --- the sparql backend alone ------------------------------------------------------------


def test_query_form() -> None:
    prologue = "# comment <x>\nBASE <http://b/>\nPREFIX ex: <http://e/#>\nprefix : <x>\n"
    assert query_form(prologue + "select * {}") == "SELECT"
    assert query_form("  ASK{}") == "ASK"
    assert query_form("CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert query_form("DESCRIBE <x>") == "DESCRIBE"
    assert query_form(prologue + "INSERT DATA {}") is None
    assert query_form("define input:default-graph-uri <x> SELECT * {}") is None


def test_render_update_is_safe_and_keeps_blank_nodes_together() -> None:
    with pytest.raises(StoreError):  # an attempt to smuggle an operation in
        render_update(Write(add={G1: f'<{EX}a> <{EX}b> "x" . }} }} ; DROP ALL ; INSERT DATA {{'}))
    with pytest.raises(StoreError):
        render_update(Write(delete=[EX + "bad>iri"]))
    chain = "".join(f"_:n{i} <{EX}next> _:n{i + 1} .\n" for i in range(1000))
    update = render_update(Write(replace={G1: chain, G2: chain}))
    assert update.count("BIND (1 AS ?one)") == 2  # one template per blank-node chain


def test_unreachable_endpoint_is_a_store_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    store = SparqlStore(url, timeout=2)
    with pytest.raises(StoreError, match=url):
        store.graph(G1)
    with pytest.raises(StoreError, match=url):
        store.write(Write(replace={G1: triple("a", "b", '"c"')}))


class _BasicOnly(BaseHTTPRequestHandler):
    """An update endpoint that only knows basic auth (user:secret)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        expected = "Basic " + base64.b64encode(b"user:secret").decode()
        if self.headers.get("Authorization") == expected:
            self.send_response(204)
        else:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_auth_falls_back_to_basic() -> None:
    server = HTTPServer(("127.0.0.1", 0), _BasicOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/update"
        SparqlStore(url, url, "user:secret").write(Write(delete=[G1]))
        with pytest.raises(StoreError, match="401"):
            SparqlStore(url, url, "user:wrong").write(Write(delete=[G1]))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.virtuoso
def test_virtuoso_digest_auth(virtuoso: VirtuosoServer) -> None:
    virtuoso.clear()
    store = SparqlStore(virtuoso.query_url, virtuoso.auth_update_url, virtuoso.dba_auth)
    store.write(Write(replace={G1: TRICKY}))
    assert same_graph(store.graph(G1), TRICKY)
    wrong = SparqlStore(virtuoso.query_url, virtuoso.auth_update_url, "dba:wrong")
    with pytest.raises(StoreError, match="401"):
        wrong.write(Write(delete=[G1]))
    assert store.graph(G1) is not None


@pytest.mark.virtuoso
def test_virtuoso_timeout_is_not_a_partial_answer(virtuoso: VirtuosoServer) -> None:
    store = sparql_store(virtuoso)
    values = "".join(triple(f"s{i}", "v", f'"{i}"^^<{XSD}integer>') for i in range(3000))
    store.bulk_load([(G1, values)])
    slow = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{EX}v> ?x . ?b <{EX}v> ?y . ?c <{EX}v> ?z "
        "FILTER (?x + ?y + ?z = 7) }"
    )
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.endpoint_query(slow, ACCEPT, timeout=0.5)
    assert time.monotonic() - started < 5


# --- Oxigraph on disk: a write killed half-way ------------------------------------------

WRITER = """
import sys
from pathlib import Path
from store.base import Write
from store.oxigraph_store import OxigraphStore

store = OxigraphStore(Path(sys.argv[1]))
graph = "".join(
    f'<http://example.org/s{i}> <http://example.org/v> "VERSION" .\\n' for i in range(600)
)
version = 0
while True:
    version += 1
    text = graph.replace("VERSION", str(version))
    store.write(Write(replace={f"http://example.org/crash/{g}": text for g in range(10)}))
    print(version, flush=True)
"""


def test_oxigraph_on_disk_survives_sigkill_mid_write(tmp_path: Path) -> None:
    """Every reopened store holds one whole version of the 10 graphs, never a mix.

    The writer prints after each committed write; it is killed at several fractions of
    the time a write takes, after a print, so the kill lands inside the next write.
    """
    path = tmp_path / "crash"
    for fraction in (0.2, 0.5, 0.8):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert process.stdout is not None
        process.stdout.readline()
        started = time.monotonic()
        committed = int(process.stdout.readline())
        time.sleep((time.monotonic() - started) * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _one_whole_version(path) >= committed


def _one_whole_version(path: Path) -> int:
    store = OxigraphStore(path)
    try:
        rows = store.select(
            "SELECT ?g ?v (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?v } } GROUP BY ?g ?v"
        )
    finally:
        store.close()
    versions = {int(row["v"]) for row in rows}
    assert len(versions) == 1, f"graphs from several writes: {versions}"
    assert len(rows) == 10 and all(int(row["n"]) == 600 for row in rows)
    return versions.pop()


def test_blank_nodes_survive_as_distinct_nodes(store: TripleStore) -> None:
    store.write(Write(replace={G1: TRICKY}))
    graph = as_graph(store.graph(G1))
    blanks = {o for o in graph.objects() if isinstance(o, BNode)}
    assert len(blanks) == 3
