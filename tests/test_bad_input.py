"""Hostile and broken request bodies get a clear 4xx that names the problem, and store nothing.

Every test takes a dump of the whole public store before the request and compares it after:
a refused request must leave no trace, not even a container membership triple.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
TERRITORY = f"{BASE}/territories/97411"
ALICE = f"{BASE}/persons/alice"
BOB = f"{BASE}/persons/bob"
OWN_CONTEXT = f"{BASE}/ns/context.jsonld"
W3ID_CONTEXT = "https://w3id.org/communecter/ns/context.jsonld"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACCEPTED = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")

EVENT_TTL = f"""@prefix cc: <{CC}> .
@prefix as: <{AS}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<> a cc:Event ; as:name "Fête des voisins" ; cc:territory <{TERRITORY}> ;
   as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .
"""


# --- helpers -----------------------------------------------------------------------------

def store_of(site):
    return site.app.extensions["communecter"].store


def dump(site) -> list[bytes]:
    return sorted(b"".join(store_of(site).dump("application/n-quads")).splitlines())


def post(site, body: bytes | str, content_type: str | None = "text/turtle",
         container: str = "events", **headers):
    headers = {**site.auth("alice"), **headers}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return site.client.post(f"/{container}/", data=body, headers=headers)


def refused(response, status: int | tuple[int, ...], *words: str) -> str:
    """Checks the status and that the message names the problem (any of `words`)."""
    text = response.get_data(as_text=True)
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, f"{response.status_code}: {text[:500]}"
    assert text.strip(), "the refusal has no message"
    if words:
        assert any(w.lower() in text.lower() for w in words), (
            f"the message does not name the problem ({' / '.join(words)}): {text[:500]}")
    return text


def event_jsonld(context, **extra) -> dict:
    document = {"@context": context, "id": "", "type": "Event", "name": "Fête",
                "startTime": "2026-12-20T18:00:00+04:00", "territory": TERRITORY}
    document.update(extra)
    return document


def create_event(site, slug: str = "fete") -> str:
    response = post(site, EVENT_TTL, Slug=slug)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.headers["Location"]


class Recorder(BaseHTTPRequestHandler):
    """Records every request; any request at all means the server reached out."""

    seen: list[str]

    def do_GET(self) -> None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        body = json.dumps({"@context": {"name": "http://evil.example/name"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server that records requests: the trap for outbound fetches."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def answered_within(seconds: float, request) -> tuple[int, str, bool]:
    """Runs `request(site)` in a forked copy of the test process and gives up after `seconds`.

    A request that costs the server minutes of CPU must fail the test quickly, not stall the
    suite. Returns (status, text, store unchanged?) as seen in the child.
    """
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        try:
            os.close(reader)
            status, text, unchanged = request()
            os.write(writer, pickle.dumps((status, text, unchanged)))
        finally:
            os._exit(0)
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], seconds)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"the server took more than {seconds:g} s to answer")
        chunks = []
        while chunk := os.read(reader, 1 << 16):
            chunks.append(chunk)
        assert chunks, "the child process died without an answer"
        return pickle.loads(b"".join(chunks))
    finally:
        os.close(reader)
        os.waitpid(pid, 0)


def timed_post(site, body: str, media: str, seconds: float) -> tuple[int, str, bool]:
    def request() -> tuple[int, str, bool]:
        before = dump(site)
        response = post(site, body, media)
        return response.status_code, response.get_data(as_text=True), dump(site) == before

    return answered_within(seconds, request)


# --- syntax ---------------------------------------------------------------------------

@pytest.mark.parametrize(("media", "body", "word"), [
    ("text/turtle", EVENT_TTL.replace('"Fête des voisins"', '"Fête des voisins'), "turtle"),
    ("text/turtle", "<> a <http://x/C> ; <http://x/p> .", "turtle"),
    ("application/n-triples", f"<{BASE}/events/x> <http://x/p> .", "nt"),
    ("application/rdf+xml", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                            "<rdf:Description></rdf:RDF>", "xml"),
], ids=["turtle-unterminated-string", "turtle-missing-object", "ntriples", "rdfxml"])
def test_malformed_rdf(site, media: str, body: str, word: str) -> None:
    before = dump(site)
    refused(post(site, body, media), 400, "malformed", word)
    assert dump(site) == before


@pytest.mark.parametrize("media", ["application/ld+json", "application/json"])
def test_malformed_json(site, media: str) -> None:
    before = dump(site)
    refused(post(site, '{"@context": "' + OWN_CONTEXT + '", "id": "", ', media), 400, "JSON")
    assert dump(site) == before


@pytest.mark.parametrize("document", [
    {"@context": OWN_CONTEXT, "@id": 5, "type": "Event"},
    {"@context": OWN_CONTEXT, "@id": "", "@type": 5},
    {"@context": 5, "@id": ""},
    {"@context": {"name": {"@id": 7}}, "@id": "", "name": "x"},
    {"@context": OWN_CONTEXT, "@id": "", "name": {"@value": "x", "@language": 3}},
], ids=["id-number", "type-number", "context-number", "term-id-number", "language-number"])
def test_malformed_jsonld(site, document: dict) -> None:
    before = dump(site)
    refused(post(site, json.dumps(document), "application/ld+json"), 400, "JSON-LD")
    assert dump(site) == before


def test_jsonld_with_named_graph_is_refused(site) -> None:
    document = {"@context": OWN_CONTEXT, "@id": f"{BASE}/persons/bob",
                "@graph": [{"@id": f"{BASE}/persons/bob", "name": "hacked"}]}
    before = dump(site)
    refused(post(site, json.dumps(document), "application/ld+json"), (400, 422), "graph")
    assert dump(site) == before


@pytest.mark.parametrize("extra", [
    {"superEvent": {"@id": f'{BASE}/events/q"uote'}},
    {"attributedTo": {"@id": f"{BASE}/persons/alice>"}},
    {"https://example.org/p\\q": "x"},
    {"name": {"@value": "x", "@type": 'https://example.org/"dt'}},
    {"url": {"@id": "https://example.org/100%zz"}},
], ids=["quote-in-link", "bracket-in-link", "backslash-in-property", "quote-in-datatype",
        "bad-percent-encoding"])
def test_jsonld_with_impossible_iris_is_refused(site, extra: dict) -> None:
    """JSON-LD takes any string as an IRI; such a graph could be neither stored nor queried
    (a quote in a local link used to reach the link check's query: a 500)."""
    before = dump(site)
    refused(post(site, json.dumps(event_jsonld(OWN_CONTEXT, **extra)), "application/ld+json"),
            400, "IRI")
    assert dump(site) == before


# --- media types ------------------------------------------------------------------------

@pytest.mark.parametrize("media", ["text/csv", "application/xml", "text/plain",
                                   "application/sparql-update",
                                   "application/x-www-form-urlencoded"])
def test_unknown_media_type(site, media: str) -> None:
    before = dump(site)
    response = post(site, EVENT_TTL, media)
    refused(response, 415, media)
    accept_post = response.headers.get("Accept-Post", "")
    for accepted in ACCEPTED:
        assert accepted in accept_post, f"Accept-Post does not list {accepted}: {accept_post!r}"
    assert dump(site) == before


@pytest.mark.parametrize("accept", ["é/é", "x" * 3000, "image/png"])
def test_an_accept_header_nothing_fits_is_a_406_everywhere(site, accept: str) -> None:
    """Each page that negotiates names what it offers (these used to be 500s)."""
    for path in ("/ns", "/.well-known/void", "/sparql", "/events/", "/territories/97411"):
        text = refused(site.client.get(path, headers={"Accept": accept}), 406, "text/turtle")
        assert "Accept" in text


def test_a_container_page_beyond_any_store_is_a_400(site) -> None:
    refused(site.client.get("/events/", query_string={"page": "9" * 20}), 400, "page")
    assert site.client.get("/events/", query_string={"page": "1000000"}).status_code == 200


def test_unknown_media_type_on_put(site) -> None:
    iri = create_event(site)
    before = dump(site)
    response = site.client.put(iri, data=EVENT_TTL, headers={"Content-Type": "text/csv",
                                                              **site.auth("alice")})
    refused(response, 415, "text/csv")
    assert dump(site) == before


def test_missing_content_type(site) -> None:
    before = dump(site)
    response = post(site, EVENT_TTL.encode(), content_type=None)
    assert "Content-Type" not in response.request.headers
    refused(response, (400, 415), "media type", "content-type")
    assert dump(site) == before


# --- size ---------------------------------------------------------------------------------

@pytest.fixture
def small_site(tmp_path: Path):
    """An app whose body limit is 2,000 bytes, with alice."""
    from store.private import PrivateStore
    from tests.conftest import InProcess, _citizen
    from web.app import create_app
    from web.settings import Settings

    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory", max_body_bytes=2000)
    app = create_app(settings, private=PrivateStore(None))
    small = InProcess(app.test_client(), app)
    small.tokens["alice"] = _citizen(app.extensions["communecter"], "alice")
    return small


def post_note(text: str) -> str:
    return (f'@prefix as: <{AS}> . @prefix cc: <{CC}> .\n'
            f'<> a cc:Post ; as:attributedTo <{ALICE}> ; as:content "{text}" ;\n'
            f'   cc:wall <{ALICE}> .\n')


def test_body_over_configured_limit(small_site) -> None:
    fits = post(small_site, post_note("court"), container="posts")
    assert fits.status_code == 201, fits.get_data(as_text=True)
    before = dump(small_site)
    big = post_note("x" * 2500)
    for media, body in (("text/turtle", big),
                        ("application/ld+json", json.dumps({"@id": "", "x": "y" * 2500}))):
        refused(post(small_site, body, media, container="posts"), 413, "2,000", "limit", "large")
    iri = fits.headers["Location"]
    response = small_site.client.put(iri, data=big, headers={"Content-Type": "text/turtle",
                                                             **small_site.auth("alice")})
    refused(response, 413, "2,000", "limit", "large")
    patch = f'INSERT DATA {{ <{iri}> <http://x/p> "{"y" * 2500}" }}'
    response = small_site.client.patch(iri, data=patch, headers={
        "Content-Type": "application/sparql-update", **small_site.auth("alice")})
    refused(response, 413, "2,000", "limit", "large")
    assert dump(small_site) == before


def test_sparql_query_over_configured_limit(small_site) -> None:
    """Form-encoded or direct, a query body over the limit is refused with the limit named
    (a body that streams in without a length: tests/test_sparql_endpoint.py)."""
    query = "ASK { }\n" + "# padding\n" * 300
    for data, media in (({"query": query}, None), (query, "application/sparql-query")):
        response = small_site.client.post(
            "/sparql", data=data, headers={"Content-Type": media} if media else {})
        refused(response, 413, "2,000", "limit", "large")
    fits = small_site.client.post("/sparql", data="ASK { }", headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert fits.status_code == 200 and fits.get_json()["boolean"] is True


def test_body_over_default_limit(site) -> None:
    before = dump(site)
    body = EVENT_TTL + "#" + "x" * 1_000_001 + "\n"
    refused(post(site, body), 413, "limit", "large")
    assert dump(site) == before


def test_too_many_triples(site) -> None:
    before = dump(site)
    lines = [f'<> <http://example.org/p> "value {n}" .' for n in range(5_001)]
    body = EVENT_TTL + "\n".join(lines)
    assert len(body.encode()) < 1_000_000
    refused(post(site, body), 413, "triples")
    assert dump(site) == before


def test_too_many_triples_in_jsonld(site) -> None:
    document = event_jsonld(OWN_CONTEXT, **{"http://example.org/p": list(range(6_000))})
    status, text, unchanged = timed_post(site, json.dumps(document), "application/ld+json", 3)
    assert status == 413, text
    assert "triples" in text
    assert unchanged


def test_jsonld_cost_grows_linearly(site) -> None:
    """A 25 KB JSON-LD body within every limit must not cost the server seconds of CPU."""
    values = [f"mot-clé {n}" for n in range(3_000)]
    document = event_jsonld(OWN_CONTEXT, **{"http://schema.org/keywords": values})
    status, text, _ = timed_post(site, json.dumps(document), "application/ld+json", 3)
    assert status == 201, text


def test_empty_body(site) -> None:
    before = dump(site)
    for media in ("text/turtle", "application/ld+json", "application/n-triples"):
        refused(post(site, b"", media), 400, "empty")
        refused(post(site, b"  \n\t ", media), 400, "empty")
    iri = create_event(site)
    middle = dump(site)
    response = site.client.put(iri, data=b"", headers={"Content-Type": "text/turtle",
                                                       **site.auth("alice")})
    refused(response, 400, "empty")
    assert dump(site) == middle
    assert len(middle) > len(before)


def test_non_utf8_body(site) -> None:
    before = dump(site)
    latin1 = EVENT_TTL.encode("latin-1")
    refused(post(site, latin1), 400, "UTF-8")
    refused(post(site, b"\xff\xfe" + EVENT_TTL.encode("utf-16-le"), "text/turtle"), 400, "UTF-8")
    document = json.dumps(event_jsonld(OWN_CONTEXT), ensure_ascii=False).encode("latin-1")
    refused(post(site, document, "application/ld+json"), 400, "UTF-8")
    assert dump(site) == before


# --- SPARQL endpoint ----------------------------------------------------------------------

def test_sparql_syntax_error(site) -> None:
    before = dump(site)
    bad = "SELEC ?s WHERE { ?s ?p ?o }"
    refused(site.client.get("/sparql", query_string={"query": bad}), 400, "SPARQL")
    refused(site.client.post("/sparql", data={"query": bad}), 400, "SPARQL")
    refused(site.client.post("/sparql", data=bad,
                             headers={"Content-Type": "application/sparql-query"}), 400, "SPARQL")
    refused(site.client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p "}),
            400, "SPARQL")
    assert dump(site) == before


def test_federated_queries_are_refused_and_fetch_nothing(site, listener) -> None:
    """SERVICE would make the endpoint fetch any address for anyone (this one is loopback)."""
    endpoint = url_of(listener, "/sparql")
    for text in (f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}",
                 f"select * {{ ?s ?p ?o .service silent <{endpoint}> {{ ?a ?b ?c }} }}",
                 f"SELECT * WHERE {{ \\u0053ERVICE <{endpoint}> {{ ?s ?p ?o }} }}"):
        refused(site.client.get("/sparql", query_string={"query": text}), 400, "SERVICE")
        refused(site.client.post("/sparql", data={"query": text}), 400, "SERVICE")
    assert listener.seen == []
    named = 'SELECT ?service { BIND("SERVICE" AS ?service) }'  # the word, not the keyword
    fine = site.client.get("/sparql", query_string={"query": named},
                           headers={"Accept": "application/sparql-results+json"})
    assert fine.get_json()["results"]["bindings"][0]["service"]["value"] == "SERVICE"


UPDATE = (f'INSERT DATA {{ GRAPH <{BOB}> {{ <{BOB}> <{AS}name> "hacked" }} }} ; '
          f"DROP GRAPH <{ALICE}>")


def test_sparql_update_form_is_forbidden(site) -> None:
    before = dump(site)
    refused(site.client.post("/sparql", data={"update": UPDATE}), 403, "read-only", "update")
    refused(site.client.get("/sparql", query_string={"update": UPDATE}), 403,
            "read-only", "update")
    assert dump(site) == before


def test_sparql_update_body_is_forbidden(site) -> None:
    before = dump(site)
    response = site.client.post("/sparql", data=UPDATE,
                                headers={"Content-Type": "application/sparql-update"})
    refused(response, 403, "read-only", "update")
    assert dump(site) == before


def test_sparql_update_as_query_is_refused(site) -> None:
    before = dump(site)
    refused(site.client.post("/sparql", data={"query": UPDATE}), (400, 403), "update", "SPARQL")
    assert dump(site) == before
    assert "hacked" not in site.client.get("/persons/bob").get_data(as_text=True)


# --- slugs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["..", "../x", "a/b", "a\\b", "%2F", "x%2f..", "/etc/passwd",
                                  "..%2F..%2Fpersons%2Falice", "a/../../persons/bob"])
def test_slug_with_path_tricks(site, slug: str) -> None:
    before = dump(site)
    refused(post(site, EVENT_TTL, Slug=slug), 400, "Slug")
    assert dump(site) == before


@pytest.mark.parametrize("slug", ["\x01", "a\nb", "a\rb", "a\x00b", "tab\there", "\x7f"],
                         ids=["soh", "newline", "cr", "nul", "tab", "del"])
def test_slug_with_control_characters(site, slug: str) -> None:
    # Werkzeug's client refuses such header values, so they go straight into the WSGI environ.
    before = dump(site)
    response = site.client.post("/events/", data=EVENT_TTL, environ_base={"HTTP_SLUG": slug},
                                headers={"Content-Type": "text/turtle", **site.auth("alice")})
    refused(response, 400, "Slug")
    assert dump(site) == before


def created_slug(response) -> str:
    assert response.status_code == 201, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(f"{BASE}/events/")
    slug = location.rsplit("/", 1)[1]
    assert slug and all(c.isascii() and (c.isalnum() or c in "-_") for c in slug), slug
    return slug


def test_slug_with_accents_and_spaces_is_made_safe(site) -> None:
    # Werkzeug sends header values as Latin-1, as browsers and http.client do.
    response = post(site, EVENT_TTL, Slug="  Fête de la Musique à Saint-Denis  ")
    assert created_slug(response) == "fete-de-la-musique-a-saint-denis"
    assert site.client.get(response.headers["Location"]).status_code == 200


def test_slug_percent_encoded_utf8_is_decoded(site) -> None:
    # RFC 5023 §9.7 (which LDP 5.2.3.10 refers to): the Slug is percent-encoded UTF-8.
    response = post(site, EVENT_TTL, Slug="F%C3%AAte%20de%20l%27%C3%A9t%C3%A9")
    assert created_slug(response) == "fete-de-l-ete"


def test_slug_raw_utf8_bytes_are_understood(site) -> None:
    # curl and many scripts send UTF-8 bytes as they are; WSGI hands them over as Latin-1.
    raw = "Fête à Cilaos".encode().decode("latin-1")
    response = site.client.post("/events/", data=EVENT_TTL, environ_base={"HTTP_SLUG": raw},
                                headers={"Content-Type": "text/turtle", **site.auth("alice")})
    assert created_slug(response) == "fete-a-cilaos"


# --- JSON-LD contexts -----------------------------------------------------------------------

def test_remote_context_is_refused(site) -> None:
    before = dump(site)
    remote = "https://evil.example/ctx.jsonld"
    response = post(site, json.dumps(event_jsonld(remote)), "application/ld+json")
    refused(response, 400, remote)
    assert dump(site) == before


def remote_context_documents(listener) -> dict[str, dict]:
    ctx = url_of(listener, "/ctx.jsonld")
    return {
        "top-level": event_jsonld(ctx),
        "in-array": event_jsonld([OWN_CONTEXT, ctx]),
        "import": event_jsonld([OWN_CONTEXT, {"@version": 1.1, "@import": ctx}]),
        "scoped-term": event_jsonld([OWN_CONTEXT, {"@version": 1.1, "place": {
            "@id": "http://schema.org/location", "@context": ctx}}],
            place={"name": "Kiosque"}),
        "nested-node": event_jsonld(OWN_CONTEXT, **{
            "http://schema.org/location": {"@context": ctx, "name": "Kiosque"}}),
        "type-scoped": event_jsonld([OWN_CONTEXT, {"@version": 1.1, "Kiosk": {
            "@id": "http://schema.org/Place", "@context": ctx}}],
            **{"http://schema.org/location": {"type": "Kiosk", "name": "Kiosque"}}),
    }


def test_remote_context_is_never_fetched(site, listener) -> None:
    before = dump(site)
    for name, document in remote_context_documents(listener).items():
        response = post(site, json.dumps(document), "application/ld+json", Slug=name)
        text = refused(response, 400, "context")
        assert "127.0.0.1" in text, f"{name}: the message does not name the context: {text}"
        assert listener.seen == [], f"{name}: the server fetched {listener.seen}"
    iri = create_event(site)
    middle = dump(site)
    document = event_jsonld(url_of(listener, "/ctx.jsonld"))
    response = site.client.put(iri, data=json.dumps(document), headers={
        "Content-Type": "application/ld+json", **site.auth("alice")})
    refused(response, 400, "context")
    assert listener.seen == []
    assert dump(site) == middle
    assert len(middle) > len(before)


@pytest.mark.parametrize("context", [OWN_CONTEXT, W3ID_CONTEXT, [W3ID_CONTEXT, {"x": "http://x/"}]],
                         ids=["instance", "w3id", "w3id-in-array"])
def test_communecter_context_works(site, context) -> None:
    response = post(site, json.dumps(event_jsonld(context)), "application/ld+json", Slug="ctx")
    assert response.status_code == 201, response.get_data(as_text=True)
    got = site.client.get(response.headers["Location"], headers={"Accept": "application/n-triples"})
    graph = Graph().parse(data=got.get_data(as_text=True), format="nt")
    subject = URIRef(response.headers["Location"])
    assert (subject, URIRef(AS + "name"), Literal("Fête")) in graph
    assert (subject, URIRef(CC + "territory"), URIRef(TERRITORY)) in graph


def test_activitystreams_context_works(site) -> None:
    document = {
        "@context": [AS_CONTEXT, {"cc": CC}],
        "id": "",
        "type": ["cc:Event", "Event"],
        "name": "Concert au Barachois",
        "startTime": "2026-12-20T18:00:00+04:00",
        "cc:territory": {"id": TERRITORY},
    }
    response = post(site, json.dumps(document), "application/ld+json", Slug="concert")
    assert response.status_code == 201, response.get_data(as_text=True)
    got = site.client.get(response.headers["Location"], headers={"Accept": "application/n-triples"})
    text = got.get_data(as_text=True)
    assert f"<{AS}Event>" in text and "Concert au Barachois" in text


# --- JSON bombs -----------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_jsonld(site, depth: int) -> None:
    before = dump(site)
    body = ('{"@context": "' + OWN_CONTEXT + '", "id": "", "type": "Event", "http://x/p": '
            + '{"http://x/p": ' * depth + '"bottom"' + "}" * depth + "}")
    refused(post(site, body, "application/ld+json"), 400, "deep", "depth", "nest")
    arrays = '{"@id": "", "http://x/p": ' + "[" * depth + "1" + "]" * depth + "}"
    refused(post(site, arrays, "application/ld+json"), 400, "deep", "depth", "nest")
    assert dump(site) == before


def test_huge_jsonld_array(site) -> None:
    before = dump(site)
    document = event_jsonld(OWN_CONTEXT, **{"http://example.org/p": list(range(100_000))})
    body = json.dumps(document)
    assert len(body) < 1_000_000
    refused(post(site, body, "application/ld+json"), (400, 413), "values", "items", "array")
    many_keys = {f"e:{n}": 0 for n in range(30_000)}
    body = json.dumps({"@context": [OWN_CONTEXT, {"e": "http://e.example/"}], "id": "",
                       **many_keys})
    assert len(body) < 1_000_000
    refused(post(site, body, "application/ld+json"), (400, 413), "values", "items")
    assert dump(site) == before


# --- XML ------------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:as="https://www.w3.org/ns/activitystreams#">
  <rdf:Description rdf:about=""><as:name>&lol9;</as:name></rdf:Description>
</rdf:RDF>
"""


def test_rdfxml_billion_laughs(site) -> None:
    before = dump(site)
    refused(post(site, BILLION_LAUGHS, "application/rdf+xml"), 400, "DOCTYPE", "entit")
    assert dump(site) == before


def test_rdfxml_external_entity(site, listener) -> None:
    before = dump(site)
    for target in ("file:///etc/passwd", url_of(listener, "/xxe")):
        body = (f'<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY x SYSTEM "{target}"> ]>\n'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:as="https://www.w3.org/ns/activitystreams#">'
                '<rdf:Description rdf:about=""><as:name>&x;</as:name></rdf:Description>'
                "</rdf:RDF>")
        refused(post(site, body, "application/rdf+xml"), 400, "DOCTYPE", "entit")
    assert listener.seen == []
    assert dump(site) == before


# --- PATCH ------------------------------------------------------------------------------------

def patch(site, iri: str, body: str, media: str = "application/sparql-update", **headers):
    return site.client.patch(iri, data=body, headers={"Content-Type": media,
                                                       **site.auth("alice"), **headers})


def test_patch_with_other_media_type(site) -> None:
    iri = create_event(site)
    before = dump(site)
    for media in ("text/turtle", "application/json", "text/n3"):
        response = patch(site, iri, f'INSERT DATA {{ <{iri}> <{AS}summary> "x" }}', media)
        refused(response, 415, "sparql-update")
        assert "application/sparql-update" in response.headers.get("Accept-Patch", "")
    assert dump(site) == before


@pytest.mark.parametrize("update", [
    "INSERT DATA { <> <http://x/p> }",
    "INSERT DATA { <> <http://x/p> 'x' ",
    "FROBNICATE <>",
    "SELECT * WHERE { ?s ?p ?o }",
], ids=["no-object", "unclosed", "no-such-operation", "a-query"])
def test_patch_malformed(site, update: str) -> None:
    iri = create_event(site)
    before = dump(site)
    refused(patch(site, iri, update), 400, "SPARQL", "malformed")
    assert dump(site) == before


def test_patch_confined_operations(site, listener) -> None:
    iri = create_event(site)
    name = f"<{AS}name>"
    updates = {
        "insert-graph": (f'INSERT DATA {{ GRAPH <{BOB}> {{ <{BOB}> {name} "hacked" }} }}', "graph"),
        "delete-graph": (f"DELETE DATA {{ GRAPH <{ALICE}> {{ <{ALICE}> {name} \"Alice\" }} }}",
                         "graph"),
        "modify-graph": (f'INSERT {{ GRAPH <{BOB}> {{ <{BOB}> {name} "hacked" }} }} WHERE {{}}',
                         "graph"),
        "delete-where-graph": ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", "graph"),
        "with": (f'WITH <{BOB}> DELETE {{ ?s ?p ?o }} INSERT {{ ?s {name} "hacked" }} '
                 "WHERE { ?s ?p ?o }", "with"),
        "using": (f"DELETE {{ <{iri}> {name} ?o }} USING <{BOB}> WHERE {{ ?s ?p ?o }}", "using"),
        "load": (f"LOAD <{url_of(listener, '/data.ttl')}>", "load"),
        "load-into": (f"LOAD <{url_of(listener, '/data.ttl')}> INTO GRAPH <{BOB}>", "load"),
        "drop-all": ("DROP ALL", "drop"),
        "drop-graph": (f"DROP GRAPH <{BOB}>", "drop"),
        "clear": ("CLEAR DEFAULT", "clear"),
        "create": (f"CREATE GRAPH <{BASE}/events/new>", "create"),
        "copy": (f"COPY DEFAULT TO <{BOB}>", "copy"),
        "add": (f"ADD DEFAULT TO <{BOB}>", "add"),
        "move": (f"MOVE DEFAULT TO <{BOB}>", "move"),
        "allowed-then-drop": (f'INSERT DATA {{ <{iri}> <{AS}summary> "ok" }} ; DROP ALL', "drop"),
        "service": (f"INSERT {{ <{iri}> <http://x/p> ?o }} WHERE {{ SERVICE "
                    f"<{url_of(listener, '/sparql')}> {{ ?s ?p ?o }} }}", "service"),
        "service-silent": (f"INSERT {{ <{iri}> <http://x/p> ?o }} WHERE {{ SERVICE SILENT "
                           f"<{url_of(listener, '/sparql')}> {{ ?s ?p ?o }} }}", "service"),
    }
    before = dump(site)
    for case, (update, word) in updates.items():
        response = patch(site, iri, update)
        text = response.get_data(as_text=True)
        assert response.status_code == 422, f"{case}: {response.status_code} {text}"
        assert word in text.lower() or "own graph" in text.lower(), f"{case}: {text}"
        assert dump(site) == before, f"{case} changed the store"
    assert listener.seen == [], f"a PATCH made the server fetch {listener.seen}"
    assert "hacked" not in site.client.get("/persons/bob").get_data(as_text=True)


def test_patch_that_is_allowed_works(site) -> None:
    iri = create_event(site)
    response = patch(site, iri, f'INSERT DATA {{ <{iri}> <{AS}summary> "Apportez un plat" }}')
    assert response.status_code == 204, response.get_data(as_text=True)
    assert "Apportez un plat" in site.client.get(iri).get_data(as_text=True)


# --- preconditions --------------------------------------------------------------------------

def test_put_with_stale_etag(site) -> None:
    iri = create_event(site)
    stale = site.client.get(iri, headers={"Accept": "text/turtle"}).headers["ETag"]
    changed = EVENT_TTL.replace("Fête des voisins", "Fête des voisins 2026")
    headers = {"Content-Type": "text/turtle", **site.auth("alice")}
    first = site.client.put(iri, data=changed, headers={**headers, "If-Match": stale})
    assert first.status_code == 204, first.get_data(as_text=True)
    before = dump(site)
    again = EVENT_TTL.replace("Fête des voisins", "Écrasé")
    refused(site.client.put(iri, data=again, headers={**headers, "If-Match": stale}), 412,
            "changed", "If-Match")
    refused(patch(site, iri, f'INSERT DATA {{ <{iri}> <{AS}summary> "x" }}', **{"If-Match": stale}),
            412, "changed", "If-Match")
    refused(site.client.delete(iri, headers={**site.auth("alice"), "If-Match": stale}), 412,
            "changed", "If-Match")
    assert dump(site) == before
    assert "Fête des voisins 2026" in site.client.get(iri).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/persons/%00", "/persons/a%0Ab", "/persons/a%20b",
                                  "/persons/%7F/followers", "/territories/%22x%22",
                                  "/events/%3Cscript%3E"])
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/activity+json"])
def test_addresses_no_iri_can_hold(site, path: str, accept: str) -> None:
    """Control characters, spaces and the characters IRIs forbid: 404, never a 500."""
    before = dump(site)
    response = site.client.get(path, headers={"Accept": accept})
    assert response.status_code == 404, response.data[:200]
    put = site.client.put(path, data=EVENT_TTL, headers={
        "Content-Type": "text/turtle", "Authorization": f"Bearer {site.tokens['alice']}"})
    assert put.status_code == 404
    assert dump(site) == before
