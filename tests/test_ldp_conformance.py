"""LDP 1.0 conformance of the production server, over HTTP.

One test per applicable requirement of W3C *Linked Data Platform 1.0* (Recommendation of
26 February 2015): §4.2 (LDP Resources), §4.3 (RDF Sources), §5.2 (Containers) and §5.3
(Basic Containers). Each test is named after its section and quotes the requirement in its
docstring. Where a requirement is conditional on a feature the server does not offer (LDP
Non-RDF Sources, creation by PUT, conditional requests being mandatory), the test checks the
choice the server makes instead, and says so.

The tests after the numbered ones check what the platform promises around LDP:
authentication (401/403), 415, 409 on server-managed triples, 405 with Allow, Prefer,
SPARQL Update PATCH confined to the resource's own graph, content negotiation, DELETE → 410,
ETags returned by writes, and paging of large containers.

Every test creates its own resources with unique slugs on the session `server`, so they are
independent of each other and of other modules using the same server.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from conftest import Server, start_server, stop_server
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

pytestmark = pytest.mark.server

LDP = Namespace("http://www.w3.org/ns/ldp#")
CC = Namespace("https://w3id.org/communecter/ns#")
AS = Namespace("https://www.w3.org/ns/activitystreams#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
PAIR = Namespace("http://virtual-assembly.org/ontologies/pair#")
SERVER_MANAGED = (DCTERMS.creator, DCTERMS.created, DCTERMS.modified, CC.verified)
EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
TIMEOUT = 30
TURTLE = {"Content-Type": "text/turtle"}
SPARQL_UPDATE = {"Content-Type": "application/sparql-update"}
NO_ACCEPT = {"Accept": None}  # requests drops a header whose value is None
PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
PREFIXES = """\
@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ldp: <http://www.w3.org/ns/ldp#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix pair: <http://virtual-assembly.org/ontologies/pair#> .
"""
SPARQL_PREFIXES = """\
PREFIX as: <https://www.w3.org/ns/activitystreams#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ldp: <http://www.w3.org/ns/ldp#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


# --- Requests -----------------------------------------------------------------------------


def fresh(prefix: str = "ldp") -> str:
    """A slug no other test (or run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def get(url: str, **headers: str | None) -> requests.Response:
    return requests.get(url, headers=headers, timeout=TIMEOUT)


def head(url: str, **headers: str | None) -> requests.Response:
    return requests.head(url, headers=headers, timeout=TIMEOUT)


def options(url: str) -> requests.Response:
    return requests.options(url, timeout=TIMEOUT)


def send(method: str, url: str, body: str | bytes | None = None,
         headers: dict[str, str] | None = None) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.request(method, url, data=data, headers=headers or {}, timeout=TIMEOUT)


def describe(response: requests.Response) -> str:
    return (f"{response.request.method} {response.url} → {response.status_code}: "
            f"{response.text[:300]!r}")


# --- Member data --------------------------------------------------------------------------


def event_ttl(base: str, name: str = "Fête de quartier", extra: str = "") -> str:
    """A valid cc:Event whose subject is the null relative IRI `<>`."""
    return PREFIXES + (
        f'<> a cc:Event ; as:name "{name}" ;\n'
        f'   as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ;\n'
        f"   cc:territory <{base}/territories/97411>{extra} .\n"
    )


def association_ttl(base: str, name: str = "Les Amis du Barachois") -> str:
    return PREFIXES + f'<> a cc:Association ; as:name "{name}" ; ' \
                      f"cc:territory <{base}/territories/97415> .\n"


def place_ttl(base: str, name: str) -> str:
    return PREFIXES + (
        f'<> a cc:PointOfInterest ; as:name "{name}" ; geo:lat -20.8789 ; geo:long 55.4481 ;\n'
        f"   cc:territory <{base}/territories/97411> .\n"
    )


def post(server: Server, container: str, body: str | bytes, who: str | None = "alice",
         slug: str | None = None, media: str = "text/turtle",
         extra: dict[str, str] | None = None) -> requests.Response:
    headers = {"Content-Type": media, **(extra or {})}
    if who is not None:
        headers.update(server.auth(who))
    if slug is not None:
        headers["Slug"] = slug
    return send("POST", f"{server.base_url}/{container}/", body, headers)


def location(response: requests.Response) -> str:
    assert response.status_code == 201, describe(response)
    assert "Location" in response.headers, "201 Created without a Location header"
    return urljoin(response.url, response.headers["Location"])


def new_event(server: Server, name: str = "Fête de quartier", extra: str = "",
              who: str = "alice") -> str:
    """Creates an event (as alice by default) and returns its IRI."""
    return location(post(server, "events", event_ttl(server.base_url, name, extra), who,
                         slug=fresh("event")))


def put(server: Server, url: str, body: str, who: str | None = "alice",
        media: str = "text/turtle", if_match: str | None = None) -> requests.Response:
    headers = {"Content-Type": media}
    if who is not None:
        headers.update(server.auth(who))
    if if_match is not None:
        headers["If-Match"] = if_match
    return send("PUT", url, body, headers)


def patch(server: Server, url: str, update: str, who: str | None = "alice",
          media: str = "application/sparql-update",
          if_match: str | None = None) -> requests.Response:
    headers = {"Content-Type": media}
    if who is not None:
        headers.update(server.auth(who))
    if if_match is not None:
        headers["If-Match"] = if_match
    return send("PATCH", url, SPARQL_PREFIXES + update, headers)


def delete(server: Server, url: str, who: str | None = "alice",
           if_match: str | None = None) -> requests.Response:
    headers = dict(server.auth(who)) if who is not None else {}
    if if_match is not None:
        headers["If-Match"] = if_match
    return send("DELETE", url, None, headers)


# --- Headers ------------------------------------------------------------------------------


def links(response: requests.Response) -> list[tuple[str, dict[str, str]]]:
    """Every (target IRI, parameters) of the Link headers, targets resolved against the URL."""
    found = []
    for part in re.split(r",\s*(?=<)", response.headers.get("Link", "")):
        match = re.match(r"\s*<([^>]*)>(.*)", part, re.S)
        if not match:
            continue
        parameters = {
            name.lower(): (quoted if quoted is not None else bare).strip()
            for name, quoted, bare in re.findall(
                r';\s*([^=;\s]+)\s*=\s*(?:"([^"]*)"|([^;]*))', match.group(2))
        }
        found.append((urljoin(response.url, match.group(1)), parameters))
    return found


def rel(response: requests.Response, relation: str) -> set[str]:
    """Targets of the links whose rel (a space-separated list) includes `relation`."""
    return {target for target, parameters in links(response)
            if relation in parameters.get("rel", "").split()}


def types(response: requests.Response) -> set[str]:
    return rel(response, "type")


def header_set(response: requests.Response, name: str) -> set[str]:
    value = response.headers.get(name, "")
    return {item.split(";")[0].strip().lower() for item in value.split(",") if item.strip()}


def methods(response: requests.Response) -> set[str]:
    return {item.upper() for item in header_set(response, "Allow")}


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def strong_etag(response: requests.Response) -> str:
    etag = response.headers.get("ETag")
    assert etag, f"no ETag on {describe(response)}"
    assert re.fullmatch(r'"[^"\s]*"', etag), f"{etag!r} is not a strong entity tag"
    return etag


# --- Graphs -------------------------------------------------------------------------------


def parse(response: requests.Response) -> Graph:
    media = media_type(response)
    assert media in PARSERS, f"not an RDF representation ({media}): {describe(response)}"
    graph = Graph()
    graph.parse(data=response.text, format=PARSERS[media], publicID=response.url)
    return graph


def graph_at(url: str, accept: str = "text/turtle") -> Graph:
    response = get(url, Accept=accept)
    assert response.status_code == 200, describe(response)
    return parse(response)


def body_graph(text: str, base: str, syntax: str = "turtle") -> Graph:
    """What a request body says, relative IRIs resolved as the server must resolve them."""
    graph = Graph()
    graph.parse(data=text, format=syntax, publicID=base)
    return graph


def client_state(graph: Graph, subject: str) -> Graph:
    """The graph without the triples the server manages (creator, dates, verified)."""
    kept = Graph()
    for triple in graph:
        if triple[0] == URIRef(subject) and triple[1] in SERVER_MANAGED:
            continue
        kept.add(triple)
    return kept


def members(container: str) -> list[str]:
    """Every ldp:contains object of a container, following rel="next" pages."""
    found: list[str] = []
    page: str | None = container
    visited: set[str] = set()
    while page is not None and page not in visited:
        visited.add(page)
        response = get(page, Accept="application/n-triples")
        assert response.status_code == 200, describe(response)
        graph = parse(response)
        found += [str(o) for o in graph.objects(URIRef(container), LDP.contains)]
        following = rel(response, "next")
        page = next(iter(following)) if following else None
    return found


def name_of(url: str) -> set[str]:
    return {str(o) for o in graph_at(url).objects(URIRef(url), AS.name)}


# =========================================================================================
# §4.2 Linked Data Platform Resources
# =========================================================================================


def test_4_2_1_1_http_1_1(server: Server) -> None:
    """4.2.1.1 LDP servers MUST at least be HTTP/1.1 conformant servers [RFC7230].

    Checked facets: responses are HTTP/1.1 with a Date header; HEAD answers carry no body;
    a 405 carries the Allow header (RFC 7231 §6.5.5); an unknown method is 405 or 501.
    """
    member = new_event(server)
    container = f"{server.base_url}/events/"
    for url in (member, container):
        response = get(url)
        assert response.raw.version == 11, f"{url} answered HTTP/{response.raw.version / 10}"
        assert "Date" in response.headers, f"{url}: no Date header"
        assert head(url).content == b"", f"HEAD {url} returned a body"
    refused = send("POST", member, event_ttl(server.base_url), {**TURTLE, **server.auth()})
    assert refused.status_code == 405, describe(refused)
    assert refused.headers.get("Allow"), "a 405 without Allow"
    unknown = send("BREW", container)
    assert unknown.status_code in (405, 501), describe(unknown)


def test_4_2_1_3_strong_etag(server: Server) -> None:
    """4.2.1.3 LDP server responses MUST use entity tags (either weak or strong ones) as
    response ETag header values, for responses that contain resource representations or
    successful responses to HTTP HEAD requests.

    The platform promises strong ETags: every representation (member, container, territory;
    Turtle, JSON-LD, N-Triples) has one, HEAD gives the GET's, distinct representations of
    one resource have distinct tags, If-None-Match gives 304, and a change changes the tag.
    """
    member = new_event(server)
    container = f"{server.base_url}/events/"
    territory = f"{server.base_url}/territories/97411"
    for url in (member, container, territory):
        seen = {}
        for accept in ("text/turtle", "application/ld+json", "application/n-triples"):
            response = get(url, Accept=accept)
            assert response.status_code == 200, describe(response)
            etag = strong_etag(response)
            assert strong_etag(head(url, Accept=accept)) == etag, f"HEAD {url} ({accept})"
            assert get(url, Accept=accept).headers.get("ETag") == etag, f"{url} is unstable"
            seen[accept] = etag
            cached = get(url, Accept=accept, **{"If-None-Match": etag})
            assert cached.status_code == 304, describe(cached)
        assert len(set(seen.values())) == len(seen), f"{url}: representations share {seen}"
    before = strong_etag(get(member, Accept="text/turtle"))
    changed = put(server, member, event_ttl(server.base_url, "Fête renommée"))
    assert changed.status_code in (200, 204), describe(changed)
    assert strong_etag(get(member, Accept="text/turtle")) != before, "PUT kept the ETag"
    container_before = strong_etag(get(container))
    new_event(server)
    assert strong_etag(get(container)) != container_before, "POST kept the container's ETag"


def test_4_2_1_4_link_type_resource_on_all_responses(server: Server) -> None:
    """4.2.1.4 LDP servers exposing LDPRs MUST advertise their LDP support by exposing a
    HTTP Link header with a target URI of http://www.w3.org/ns/ldp#Resource, and a link
    relation type of type (that is, rel="type") in all responses to requests made to an
    LDPR's HTTP Request-URI [RFC5988].

    "All responses": GET, HEAD, OPTIONS, 304, the successful writes and the refused ones
    made to an existing member, a read-only territory and a container.
    """
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    stale = '"00000000000000000000000000000000-ttl"'
    body = event_ttl(base, "Fête mise à jour")
    responses = {
        "GET": get(member),
        "GET ld+json": get(member, Accept="application/ld+json"),
        "HEAD": head(member),
        "OPTIONS": options(member),
        "GET 304": get(member, **{"If-None-Match": etag}),
        "PUT 412": put(server, member, body, if_match=stale),
        "PUT 409": put(server, member, event_ttl(
            base, extra=f" ; dcterms:creator <{base}/persons/bob>")),
        "PUT 401": put(server, member, body, who=None),
        "PUT 403": put(server, member, body, who="bob"),
        "PUT 415": put(server, member, "hello", media="text/plain"),
        "POST 405": send("POST", member, body, {**TURTLE, **server.auth()}),
        "PUT 2xx": put(server, member, body),
        "PATCH 2xx": patch(server, member, 'INSERT DATA { <> as:summary "Résumé" }'),
        "DELETE 2xx": delete(server, member),
    }
    territory = f"{base}/territories/97411"
    responses |= {
        "territory GET": get(territory),
        "territory HEAD": head(territory),
        "territory OPTIONS": options(territory),
        "territory PUT 405": put(server, territory, body),
    }
    container = f"{base}/events/"
    responses |= {
        "container GET": get(container),
        "container HEAD": head(container),
        "container OPTIONS": options(container),
        "container POST 201": post(server, "events", event_ttl(base), slug=fresh()),
        "container POST 415": post(server, "events", "hello", media="text/plain"),
        "container PUT 405": put(server, container, body),
    }
    missing = [f"{label} ({response.status_code})" for label, response in responses.items()
               if str(LDP.Resource) not in types(response)]
    assert not missing, f'no Link <{LDP.Resource}>; rel="type" on: {", ".join(missing)}'


def test_4_2_1_5_base_uri(server: Server) -> None:
    """4.2.1.5 LDP servers MUST assign the default base-URI for [RFC3987] relative-URI
    resolution to be the HTTP Request-URI when the resource already exists, and to the URI
    of the created resource when the request results in the creation of a new resource.
    """
    base = server.base_url
    extra = ' ; as:attachment <#programme> .\n<#programme> as:name "Programme"'
    created = new_event(server, extra=extra)
    graph = graph_at(created)
    assert (URIRef(created), RDF.type, CC.Event) in graph
    assert (URIRef(created), AS.attachment, URIRef(created + "#programme")) in graph
    assert (URIRef(created + "#programme"), AS.name, Literal("Programme")) in graph

    extra = ' ; as:attachment <#plan> .\n<#plan> as:name "Plan d\'accès"'
    replaced = put(server, created, event_ttl(base, "Fête", extra))
    assert replaced.status_code in (200, 204), describe(replaced)
    graph = graph_at(created)
    assert (URIRef(created), AS.attachment, URIRef(created + "#plan")) in graph
    assert (URIRef(created + "#plan"), AS.name, Literal("Plan d'accès")) in graph

    document = {"@context": {"cc": str(CC), "as": str(AS)}, "@id": "",
                "@type": "cc:Association", "as:name": "Les Amis",
                "cc:territory": {"@id": f"{base}/territories/97415"},
                "as:attachment": {"@id": "#statuts", "as:name": "Statuts"}}
    made = location(post(server, "organizations", json.dumps(document), slug=fresh(),
                         media="application/ld+json"))
    graph = graph_at(made)
    assert (URIRef(made), RDF.type, CC.Association) in graph
    assert (URIRef(made + "#statuts"), AS.name, Literal("Statuts")) in graph


def test_4_2_1_6_constrained_by_link_on_constraint_failures(server: Server) -> None:
    """4.2.1.6 LDP servers MUST publish any constraints on LDP clients' ability to create
    or update LDPRs, by adding a Link header with an appropriate context URI, a link
    relation of http://www.w3.org/ns/ldp#constrainedBy, and a target URI identifying a set
    of constraints [RFC5988], to all responses to requests that fail due to violation of
    those constraints. For example, a server that refuses resource creation requests via
    HTTP PUT, POST, or PATCH would return this Link header on its 4xx responses to such
    requests.

    The constraints here: the SHACL shapes, server-managed properties, PATCH confined to the
    resource's own graph, RDF Sources only, and no creation by PUT. The target must resolve.
    """
    base = server.base_url
    member = new_event(server)
    invalid = PREFIXES + '<> a cc:Event ; as:name "Sans date ni territoire" .\n'
    failures = {
        "POST breaking the shape": post(server, "events", invalid, slug=fresh()),
        "PUT breaking the shape": put(server, member, invalid),
        "POST setting dcterms:creator": post(server, "events", event_ttl(
            base, extra=f" ; dcterms:creator <{base}/persons/bob>"), slug=fresh()),
        "PUT changing dcterms:created": put(server, member, event_ttl(
            base, extra=' ; dcterms:created "2001-01-01T00:00:00Z"^^xsd:dateTime')),
        "PATCH naming another graph": patch(
            server, member, f'INSERT DATA {{ GRAPH <{base}/persons/bob> '
                            f'{{ <{base}/persons/bob> as:name "Pirate" }} }}'),
        "POST asking for an LDP-NR": post(
            server, "events", event_ttl(base), slug=fresh(),
            extra={"Link": f'<{LDP.NonRDFSource}>; rel="type"'}),
        "PUT creating a resource": put(server, f"{base}/events/{fresh()}", event_ttl(base)),
    }
    missing = []
    for label, response in failures.items():
        assert 400 <= response.status_code < 500, f"{label}: {describe(response)}"
        targets = rel(response, str(LDP.constrainedBy))
        if not targets:
            missing.append(f"{label} ({response.status_code})")
        for target in targets:
            assert get(target).status_code == 200, f"{label}: constrainedBy {target} is dangling"
    assert not missing, f"no ldp:constrainedBy Link on: {', '.join(missing)}"


def test_4_2_2_1_get_supported(server: Server) -> None:
    """4.2.2.1 LDP servers MUST support the HTTP GET method for LDPRs."""
    base = server.base_url
    for url in (new_event(server), f"{base}/events/", f"{base}/territories/97411",
                f"{base}/territories/", f"{base}/persons/alice"):
        response = get(url)
        assert response.status_code == 200, describe(response)
        assert (URIRef(url), None, None) in parse(response), f"{url} says nothing about itself"


def test_4_2_2_2_get_carries_options_headers(server: Server) -> None:
    """4.2.2.2 LDP servers MUST support the HTTP response headers defined in section 4.2.8
    HTTP OPTIONS for the HTTP GET method.

    Section 4.2.8 defines Allow: a GET answer lists the same methods as OPTIONS.
    """
    base = server.base_url
    for url in (new_event(server), f"{base}/events/", f"{base}/territories/97411",
                f"{base}/territories/"):
        allowed = methods(options(url))
        assert allowed, f"OPTIONS {url} without Allow"
        assert methods(get(url)) == allowed, f"GET {url}: Allow differs from OPTIONS"
        assert methods(head(url)) == allowed, f"HEAD {url}: Allow differs from OPTIONS"


def test_4_2_4_1_put_replaces_entire_state(server: Server) -> None:
    """4.2.4.1 If a HTTP PUT is accepted on an existing resource, LDP servers MUST replace
    the entire persistent state of the identified resource with the entity representation in
    the body of the request. LDP servers MAY ignore LDP-server-managed properties, and MAY
    ignore other properties such as dcterms:modified and dcterms:creator if they are handled
    specially by the server (for example, if the server overrides the value or supplies a
    default value). Any LDP servers that wish to support a more sophisticated merge of data
    provided by the client with existing state stored on the server for a resource MUST use
    HTTP PATCH, not HTTP PUT.
    """
    base = server.base_url
    member = new_event(server, "Ancien nom", ' ; as:summary "Ancien résumé" ; '
                                             'as:content "Ancien texte"')
    before = graph_at(member)
    body = event_ttl(base, "Nouveau nom", ' ; as:endTime "2026-12-20T23:00:00+04:00"'
                                          '^^xsd:dateTime')
    response = put(server, member, body, if_match=strong_etag(get(member)))
    assert response.status_code in (200, 204), describe(response)
    after = graph_at(member)
    assert isomorphic(client_state(after, member), body_graph(body, member)), (
        "after PUT the resource is not what was PUT:\n"
        + client_state(after, member).serialize(format="turtle"))
    for predicate in (DCTERMS.creator, DCTERMS.created):
        assert set(after.objects(URIRef(member), predicate)) == set(
            before.objects(URIRef(member), predicate)), f"PUT changed {predicate}"
    assert len(set(after.objects(URIRef(member), DCTERMS.modified))) == 1


def test_4_2_4_3_put_changing_server_managed_properties_fails(server: Server) -> None:
    """4.2.4.3 If an otherwise valid HTTP PUT request is received that attempts to change
    properties the server does not allow clients to modify, LDP servers MUST fail the request
    by responding with a 4xx range status code (typically 409 Conflict). LDP servers SHOULD
    provide a corresponding response body containing information about which properties
    could not be persisted.

    Server-managed here: dcterms:creator, dcterms:created, dcterms:modified, ldp:contains.
    Each attempt is a 409 naming the property, and the resource is left unchanged.
    """
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    attempts = {
        "dcterms:creator": f" ; dcterms:creator <{base}/persons/bob>",
        "dcterms:created": ' ; dcterms:created "2001-01-01T00:00:00Z"^^xsd:dateTime',
        "dcterms:modified": ' ; dcterms:modified "2001-01-01T00:00:00Z"^^xsd:dateTime',
        "ldp:contains": f" ; ldp:contains <{base}/events/{fresh()}>",
    }
    for name, extra in attempts.items():
        response = put(server, member, event_ttl(base, "Tentative", extra), if_match=etag)
        assert response.status_code == 409, f"{name}: {describe(response)}"
        assert name.split(":")[1] in response.text, f"the 409 does not name {name}"
    assert strong_etag(get(member)) == etag, "a refused PUT changed the resource"
    assert name_of(member) == {"Fête de quartier"}


def test_4_2_4_3_put_round_trip_keeps_server_managed_values(server: Server) -> None:
    """4.2.4.3 (non-normative note) Clients might provide properties equivalent to those
    already in the resource's state, e.g. as part of a GET/update representation/PUT
    sequence, and those PUT requests are intended to work as long as the server-managed
    properties are identical on the GET response and the subsequent PUT request.
    """
    member = new_event(server)
    response = get(member, Accept="text/turtle")
    graph = parse(response)
    graph.set((URIRef(member), AS.name, Literal("Fête relue")))
    again = put(server, member, graph.serialize(format="turtle"),
                if_match=strong_etag(response))
    assert again.status_code in (200, 204), describe(again)
    after = graph_at(member)
    assert name_of(member) == {"Fête relue"}
    for predicate in (DCTERMS.creator, DCTERMS.created):
        assert set(after.objects(URIRef(member), predicate)) == set(
            graph.objects(URIRef(member), predicate))


def test_4_2_4_4_put_persists_unknown_content(server: Server) -> None:
    """4.2.4.4 If an otherwise valid HTTP PUT request is received that contains properties
    the server chooses not to persist, e.g. unknown content, LDP servers MUST respond with an
    appropriate 4xx range status code [RFC7231].

    The platform's shapes are open: it chooses to persist every client triple (partner
    vocabularies, extra types, other subjects), so the condition is that nothing is silently
    dropped: the stored state is exactly what was PUT.
    """
    base = server.base_url
    member = new_event(server)
    extra = (' ; a pair:Event ; pair:comment "Apportez vos instruments" ;'
             ' foaf:topic <#orchestre> .\n<#orchestre> a foaf:Group ; foaf:name "Orchestre"')
    body = event_ttl(base, "Fête", extra)
    response = put(server, member, body)
    assert response.status_code in (200, 204), describe(response)
    assert isomorphic(client_state(graph_at(member), member), body_graph(body, member)), (
        "the server dropped or altered client triples")


def test_4_2_4_5_if_match_mismatch_412(server: Server) -> None:
    """4.2.4.5 LDP servers MUST respond with status code 412 (Condition Failed) if ETags
    fail to match when there are no other errors with the request [RFC7232].

    Checked for PUT, PATCH and DELETE, with an unknown tag, a tag that became stale, and a
    weak tag (If-Match uses the strong comparison); nothing changes on a 412.
    """
    base = server.base_url
    member = new_event(server)
    first = strong_etag(get(member))
    assert put(server, member, event_ttl(base, "Version 2"), if_match=first).status_code in (
        200, 204)
    current = strong_etag(get(member))
    unknown = '"00000000000000000000000000000000-ttl"'
    for label, response in {
        "PUT unknown": put(server, member, event_ttl(base, "X"), if_match=unknown),
        "PUT stale": put(server, member, event_ttl(base, "X"), if_match=first),
        "PUT weak": put(server, member, event_ttl(base, "X"), if_match="W/" + current),
        "PATCH stale": patch(server, member, 'INSERT DATA { <> as:summary "X" }',
                             if_match=first),
        "DELETE stale": delete(server, member, if_match=first),
    }.items():
        assert response.status_code == 412, f"{label}: {describe(response)}"
    assert strong_etag(get(member)) == current, "a 412 request changed the resource"
    assert name_of(member) == {"Version 2"}
    assert put(server, member, event_ttl(base, "Version 3"), if_match=current).status_code in (
        200, 204)
    assert name_of(member) == {"Version 3"}


def test_4_2_4_5_conditional_requests_not_required_no_428(server: Server) -> None:
    """4.2.4.5 LDP servers that require conditional requests MUST respond with status code
    428 (Precondition Required) when the absence of a precondition is the only reason for
    rejecting the request [RFC6585].

    The platform does not require conditional requests: a PUT, PATCH or DELETE without
    If-Match succeeds (never 428), and If-Match: * matches any current representation.
    """
    base = server.base_url
    member = new_event(server)
    response = put(server, member, event_ttl(base, "Sans condition"))
    assert response.status_code in (200, 204), describe(response)
    response = put(server, member, event_ttl(base, "Étoile"), if_match="*")
    assert response.status_code in (200, 204), describe(response)
    response = patch(server, member, 'INSERT DATA { <> as:summary "Sans condition" }')
    assert response.status_code in (200, 204), describe(response)
    response = delete(server, member)
    assert response.status_code in (200, 204), describe(response)


def test_4_2_4_6_put_does_not_create(server: Server) -> None:
    """4.2.4.6 LDP servers MAY choose to allow the creation of new resources using HTTP PUT.

    The platform chooses not to (members are created by POST to their container): a PUT to
    a new IRI is a 4xx and creates nothing.
    """
    target = f"{server.base_url}/events/{fresh('put')}"
    response = put(server, target, event_ttl(server.base_url))
    assert 400 <= response.status_code < 500, describe(response)
    assert get(target).status_code == 404
    assert target not in members(f"{server.base_url}/events/")


def test_4_2_6_1_head_supported(server: Server) -> None:
    """4.2.6.1 LDP servers MUST support the HTTP HEAD method.

    HEAD answers like GET, with the same headers and no body.
    """
    base = server.base_url
    for url in (new_event(server), f"{base}/events/", f"{base}/territories/97411"):
        full, bare = get(url), head(url)
        assert bare.status_code == 200, describe(bare)
        assert bare.content == b""
        for name in ("ETag", "Content-Type", "Allow", "Link"):
            assert bare.headers.get(name) == full.headers.get(name), f"HEAD {url}: {name}"


def test_4_2_7_1_options_accept_patch(server: Server) -> None:
    """4.2.7.1 LDP servers that support PATCH MUST include an Accept-Patch HTTP response
    header [RFC5789] on HTTP OPTIONS requests, listing patch document media type(s) supported
    by the server.

    The listed type (application/sparql-update) must work: a PATCH in it changes the resource.
    """
    member = new_event(server)
    reply = options(member)
    assert "PATCH" in methods(reply)
    accepted = header_set(reply, "Accept-Patch")
    assert "application/sparql-update" in accepted, reply.headers
    response = patch(server, member, 'INSERT DATA { <> as:summary "Ajouté par PATCH" }')
    assert response.status_code in (200, 204), describe(response)
    summaries = {str(o) for o in graph_at(member).objects(URIRef(member), AS.summary)}
    assert summaries == {"Ajouté par PATCH"}


def test_4_2_8_1_options_supported(server: Server) -> None:
    """4.2.8.1 LDP servers MUST support the HTTP OPTIONS method."""
    base = server.base_url
    for url in (new_event(server), f"{base}/events/", f"{base}/territories/97411",
                f"{base}/territories/", f"{base}/persons/alice"):
        response = options(url)
        assert 200 <= response.status_code < 300, describe(response)


def test_4_2_8_2_options_allow(server: Server) -> None:
    """4.2.8.2 LDP servers MUST indicate their support for HTTP Methods by responding to a
    HTTP OPTIONS request on the LDPR's URL with the HTTP Method tokens in the HTTP response
    header Allow.

    Allow must tell the truth: each listed method is not refused with 405 (requests built to
    fail harmlessly otherwise: no token, stale If-Match), each unlisted one is a 405.
    """
    base = server.base_url
    member = new_event(server)
    stale = {"If-Match": '"00000000000000000000000000000000-ttl"'}
    body = event_ttl(base)
    for url in (member, f"{base}/events/", f"{base}/territories/97411",
                f"{base}/territories/"):
        allowed = methods(options(url))
        assert {"GET", "HEAD", "OPTIONS"} <= allowed, f"OPTIONS {url}: Allow={allowed}"
        for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"):
            headers = {**stale, **TURTLE}
            if method == "PATCH":
                headers["Content-Type"] = "application/sparql-update"
            payload = "INSERT DATA { <> <urn:x:p> 1 }" if method == "PATCH" else body
            response = send(method, url, payload if method in ("POST", "PUT", "PATCH")
                            else None, headers)
            if method in allowed:
                assert response.status_code != 405, f"Allow lists {method}: {describe(response)}"
            else:
                assert response.status_code == 405, f"Allow omits {method}: {describe(response)}"
    assert get(member).status_code == 200, "probing the methods changed the member"


# =========================================================================================
# §4.3 RDF Sources
# =========================================================================================


def test_4_3_1_1_rdf_source_is_ldpr(server: Server) -> None:
    """4.3.1.1 Each LDP RDF Source MUST also be a conforming LDP Resource as defined in
    section 4.2 Resource, along with the restrictions in this section.

    Members advertise both ldp:Resource and ldp:RDFSource, with an ETag and Allow (the
    rest of §4.2 is checked by the tests above on the same kinds of resources).
    """
    base = server.base_url
    for url in (new_event(server), f"{base}/territories/97411", f"{base}/persons/alice"):
        response = get(url)
        assert {str(LDP.Resource), str(LDP.RDFSource)} <= types(response), response.headers
        strong_etag(response)
        assert methods(response), f"GET {url} without Allow"


def test_4_3_1_4_rdf_representation(server: Server) -> None:
    """4.3.1.4 LDP servers MUST provide an RDF representation for LDP-RSs. The HTTP
    Request-URI of the LDP-RS is typically the subject of most triples in the response.
    """
    base = server.base_url
    association = location(post(server, "organizations", association_ttl(base), slug=fresh()))
    place = location(post(server, "places", place_ttl(base, "Jardin de l'État"), slug=fresh()))
    for url in (new_event(server), association, place, f"{base}/territories/97411",
                f"{base}/persons/alice"):
        graph = graph_at(url)
        own = len(list(graph.triples((URIRef(url), None, None))))
        assert own and own * 2 >= len(graph), f"{url}: {own} of {len(graph)} triples about it"
        assert list(graph.objects(URIRef(url), RDF.type)), f"{url} has no explicit rdf:type"


def test_4_3_1_10_no_inferencing_required(server: Server) -> None:
    """4.3.1.10 LDP servers MUST NOT require LDP clients to implement inferencing in order
    to recognize the subset of content defined by LDP. [...] all content defined by LDP MUST
    be explicitly represented, unless noted otherwise within this document.

    The container's type and its containment triples are materialized, not implied.
    """
    container = f"{server.base_url}/events/"
    member = new_event(server)
    graph = graph_at(container, "application/n-triples")
    assert (URIRef(container), RDF.type, LDP.BasicContainer) in graph
    assert member in members(container)


def test_4_3_2_1_turtle_when_accepted(server: Server) -> None:
    """4.3.2.1 LDP servers MUST respond with a Turtle representation of the requested LDP-RS
    when the request includes an Accept header specifying text/turtle, unless HTTP content
    negotiation requires a different outcome [turtle].
    """
    member = new_event(server)
    for accept in ("text/turtle", "text/turtle;q=0.9, application/xml;q=0.1",
                   "application/rdf+xml;q=0.5, text/turtle", "text/turtle, */*;q=0.1"):
        for url in (member, f"{server.base_url}/events/"):
            response = get(url, Accept=accept)
            assert response.status_code == 200, describe(response)
            assert media_type(response) == "text/turtle", (
                f"Accept: {accept} → {media_type(response)}")
            assert (URIRef(url), None, None) in parse(response)


def test_4_3_2_2_turtle_by_default(server: Server) -> None:
    """4.3.2.2 LDP servers SHOULD respond with a text/turtle representation of the requested
    LDP-RS whenever the Accept request header is absent [turtle].

    The platform makes it its rule, also for Accept: */*.
    """
    member = new_event(server)
    for url in (member, f"{server.base_url}/events/"):
        for headers in (NO_ACCEPT, {"Accept": "*/*"}):
            response = get(url, **headers)
            assert response.status_code == 200, describe(response)
            assert media_type(response) == "text/turtle", f"{headers} → {media_type(response)}"


def test_4_3_2_3_jsonld_when_accepted(server: Server) -> None:
    """4.3.2.3 LDP servers MUST respond with a application/ld+json representation of the
    requested LDP-RS when the request includes an Accept header, unless content negotiation
    or Turtle support requires a different outcome [JSON-LD].

    Without a profile the platform serves compacted JSON-LD (with its @context); it must say
    exactly what the Turtle says.
    """
    member = new_event(server)
    for url in (member, f"{server.base_url}/events/", f"{server.base_url}/territories/97411"):
        response = get(url, Accept="application/ld+json")
        assert response.status_code == 200, describe(response)
        assert media_type(response) == "application/ld+json"
        document = response.json()
        assert isinstance(document, dict) and "@context" in document, "not compacted JSON-LD"
        assert isomorphic(parse(response), graph_at(url)), f"{url}: JSON-LD ≠ Turtle"


def test_4_3_2_3_jsonld_expanded_profile(server: Server) -> None:
    """4.3.2.3 LDP servers MUST respond with a application/ld+json representation of the
    requested LDP-RS when the request includes an Accept header [...] [JSON-LD].

    An Accept of application/ld+json with the expanded profile
    (profile="http://www.w3.org/ns/json-ld#expanded") still asks for application/ld+json: the
    platform promises expanded JSON-LD then (no @context, full IRIs), saying what Turtle says.
    """
    member = new_event(server)
    accept = f'application/ld+json; profile="{EXPANDED}"'
    for url in (member, f"{server.base_url}/events/"):
        response = get(url, Accept=accept)
        assert response.status_code == 200, describe(response)
        assert media_type(response) == "application/ld+json"
        document = response.json()
        nodes = document if isinstance(document, list) else document.get("@graph", [document])
        assert "@context" not in json.dumps(document), "expanded JSON-LD has no @context"
        for node in nodes:
            for key in node:
                assert key.startswith(("@", "http://", "https://")), f"not expanded: {key}"
        assert isomorphic(parse(response), graph_at(url)), f"{url}: expanded JSON-LD ≠ Turtle"
        compacted = get(url, Accept="application/ld+json")
        assert strong_etag(compacted) != strong_etag(response), "compacted and expanded share"


# =========================================================================================
# §5.2 Containers, §5.3 Basic Containers
# =========================================================================================


def test_5_2_1_1_container_is_rdf_source(server: Server) -> None:
    """5.2.1.1 Each Linked Data Platform Container MUST also be a conforming Linked Data
    Platform RDF Source.
    """
    for name in ("events", "organizations", "places", "territories"):
        container = f"{server.base_url}/{name}/"
        response = get(container)
        assert response.status_code == 200, describe(response)
        assert {str(LDP.Resource), str(LDP.RDFSource)} <= types(response), response.headers
        strong_etag(response)
        assert methods(response) == methods(options(container))
        graph = parse(response)
        assert list(graph.objects(URIRef(container), RDF.type)), f"{container}: no rdf:type"


def test_5_2_1_4_container_link_type_on_all_responses(server: Server) -> None:
    """5.2.1.4 LDP servers exposing LDPCs MUST advertise their LDP support by exposing a
    HTTP Link header with a target URI matching the type of container (see below) the server
    supports, and a link relation type of type (that is, rel="type") in all responses to
    requests made to the LDPC's HTTP Request-URI. LDP servers MAY provide additional HTTP
    Link: rel="type" headers.

    "All responses" to the container's URI: reads, the 201 of a POST, and refused requests.
    """
    base = server.base_url
    container = f"{base}/events/"
    minimal = f'return=representation; include="{LDP.PreferMinimalContainer}"'
    responses = {
        "GET": get(container),
        "GET ld+json": get(container, Accept="application/ld+json"),
        "GET Prefer minimal": get(container, Prefer=minimal),
        "HEAD": head(container),
        "OPTIONS": options(container),
        "GET 304": get(container, **{"If-None-Match": strong_etag(get(container))}),
        "POST 201": post(server, "events", event_ttl(base), slug=fresh()),
        "POST 401": post(server, "events", event_ttl(base), who=None),
        "POST 415": post(server, "events", "hello", media="text/plain"),
        "POST 422": post(server, "events", PREFIXES + "<> a cc:Event .\n"),
        "PUT 405": put(server, container, event_ttl(base)),
        "DELETE 405": delete(server, container),
        "territories GET": get(f"{base}/territories/"),
        "territories POST 405": post(server, "territories", event_ttl(base)),
    }
    missing = [f"{label} ({response.status_code})" for label, response in responses.items()
               if str(LDP.BasicContainer) not in types(response)]
    assert not missing, f'no Link <{LDP.BasicContainer}>; rel="type" on: {", ".join(missing)}'


def test_5_2_1_5_prefer_minimal_container(server: Server) -> None:
    """5.2.1.5 LDP servers SHOULD respect all of a client's LDP-defined hints, for example
    which subsets of LDP-defined state the client is interested in processing, to influence
    the set of triples returned in representations of a LDPC, particularly for large LDPCs.

    Prefer: return=representation; include="ldp:PreferMinimalContainer" → no containment
    triples, the container's own triples kept, Preference-Applied, and its own strong ETag.
    """
    container = f"{server.base_url}/events/"
    new_event(server)
    prefer = f'return=representation; include="{LDP.PreferMinimalContainer}"'
    response = get(container, Prefer=prefer)
    assert response.status_code == 200, describe(response)
    assert response.headers.get("Preference-Applied", "").replace(" ", "") == (
        "return=representation"), response.headers
    graph = parse(response)
    assert not list(graph.objects(URIRef(container), LDP.contains)), "containment was sent"
    assert (URIRef(container), RDF.type, LDP.BasicContainer) in graph
    assert "prefer" in header_set(response, "Vary"), "Vary must name Prefer"
    assert strong_etag(response) != strong_etag(get(container)), "minimal and full share"
    full = get(container)
    assert "Preference-Applied" not in full.headers
    assert list(parse(full).objects(URIRef(container), LDP.contains))


def test_5_2_1_5_prefer_containment_omit(server: Server) -> None:
    """5.2.1.5 LDP servers SHOULD respect all of a client's LDP-defined hints [...].

    Prefer: return=representation; omit="ldp:PreferContainment" → no ldp:contains, and
    Preference-Applied.
    """
    container = f"{server.base_url}/events/"
    new_event(server)
    response = get(container, Prefer=f'return=representation; omit="{LDP.PreferContainment}"')
    assert response.status_code == 200, describe(response)
    assert "return=representation" in response.headers.get("Preference-Applied", "")
    graph = parse(response)
    assert not list(graph.objects(URIRef(container), LDP.contains))
    assert (URIRef(container), RDF.type, LDP.BasicContainer) in graph


def test_5_2_1_5_prefer_containment_include(server: Server) -> None:
    """5.2.1.5 LDP servers SHOULD respect all of a client's LDP-defined hints [...].

    Prefer: return=representation; include="ldp:PreferContainment" → the containment triples,
    and Preference-Applied.
    """
    container = f"{server.base_url}/events/"
    member = new_event(server)
    response = get(container, Prefer=f'return=representation; include="{LDP.PreferContainment}"')
    assert response.status_code == 200, describe(response)
    assert "return=representation" in response.headers.get("Preference-Applied", "")
    assert list(parse(response).objects(URIRef(container), LDP.contains))
    assert member in members(container)


def test_5_2_3_1_post_201_with_location(server: Server) -> None:
    """5.2.3.1 LDP clients SHOULD create member resources by submitting a representation as
    the entity body of the HTTP POST to a known LDPC. If the resource was created
    successfully, LDP servers MUST respond with status code 201 (Created) and the Location
    header set to the new resource's URL.
    """
    response = post(server, "events", event_ttl(server.base_url, "Marché forain"),
                    slug=fresh())
    assert response.status_code == 201, describe(response)
    created = location(response)
    assert created.startswith(f"{server.base_url}/events/") and created != response.url
    assert name_of(created) == {"Marché forain"}


def test_5_2_3_2_post_adds_containment_triple(server: Server) -> None:
    """5.2.3.2 When a successful HTTP POST request to a LDPC results in the creation of a
    LDPR, a containment triple MUST be added to the state of the LDPC whose subject is the
    LDPC URI, whose predicate is ldp:contains and whose object is the URI for the newly
    created document (LDPR). [...] The newly created LDPR appears as a contained resource of
    the LDPC until the newly created document is deleted or removed by other methods.
    """
    base = server.base_url
    member = new_event(server)
    container = f"{base}/events/"
    assert member in members(container)
    assert put(server, member, event_ttl(base, "Modifiée")).status_code in (200, 204)
    assert member in members(container), "an update lost the containment triple"
    association = location(post(server, "organizations", association_ttl(base), slug=fresh()))
    assert association in members(f"{base}/organizations/")
    assert association not in members(container)


def test_5_2_3_3_non_rdf_post_refused(server: Server) -> None:
    """5.2.3.3 LDP servers MAY accept an HTTP POST of non-RDF representations (LDP-NRs) for
    creation of any kind of resource, for example binary resources.

    The platform does not host LDP-NRs: a POST of a non-RDF media type is 415 Unsupported
    Media Type with the Accept-Post header, and creates nothing.
    """
    slug = fresh("binary")
    for media, body in (("image/png", b"\x89PNG\r\n\x1a\n"), ("text/plain", b"hello"),
                        ("application/pdf", b"%PDF-1.4")):
        response = post(server, "events", body, slug=slug, media=media)
        assert response.status_code == 415, describe(response)
        assert "text/turtle" in header_set(response, "Accept-Post"), response.headers
    assert get(f"{server.base_url}/events/{slug}").status_code == 404


def test_5_2_3_4_interaction_model_refused(server: Server) -> None:
    """5.2.3.4 LDP servers that successfully create a resource from a RDF representation in
    the request entity body MUST honor the client's requested interaction model(s). If any
    requested interaction model cannot be honored, the server MUST fail the request.

    The platform only creates RDF Sources: asking for a container or a Non-RDF Source fails
    (4xx) and creates nothing.
    """
    base = server.base_url
    for model in (LDP.BasicContainer, LDP.Container, LDP.DirectContainer,
                  LDP.IndirectContainer, LDP.NonRDFSource):
        slug = fresh("model")
        for link in (f'<{model}>; rel="type"',
                     f'<{LDP.Resource}>; rel="type", <{model}>; rel="type"'):
            response = post(server, "events", event_ttl(base), slug=slug,
                            extra={"Link": link})
            assert 400 <= response.status_code < 500, f"{model}: {describe(response)}"
        assert get(f"{base}/events/{slug}").status_code == 404, f"{model}: something was made"
        assert f"{base}/events/{slug}" not in members(f"{base}/events/")


def test_5_2_3_4_interaction_model_honoured(server: Server) -> None:
    """5.2.3.4 LDP servers that successfully create a resource from a RDF representation in
    the request entity body MUST honor the client's requested interaction model(s).

    Asking for ldp:RDFSource (or ldp:Resource) gives an RDF Source.
    """
    for model in (LDP.RDFSource, LDP.Resource):
        response = post(server, "events", event_ttl(server.base_url), slug=fresh(),
                        extra={"Link": f'<{model}>; rel="type"'})
        created = location(response)
        assert {str(LDP.RDFSource), str(LDP.Resource)} <= types(get(created))
        assert str(LDP.BasicContainer) not in types(get(created))


def test_5_2_3_5_post_turtle(server: Server) -> None:
    """5.2.3.5 LDP servers that allow creation of LDP-RSs via POST MUST allow clients to
    create new members by enclosing a request entity body with a Content-Type request header
    whose value is text/turtle [turtle].
    """
    base = server.base_url
    body = event_ttl(base, "Concert au Barachois", ' ; as:summary "Gratuit"')
    created = location(post(server, "events", body, slug=fresh()))
    assert isomorphic(client_state(graph_at(created), created), body_graph(body, created))


def test_5_2_3_7_null_relative_uri_names_created_resource(server: Server) -> None:
    """5.2.3.7 LDP servers creating a LDP-RS via POST MUST interpret the null relative URI
    for the subject of triples in the LDP-RS representation in the request entity body as
    identifying the entity in the request body. Commonly, that entity is the model for the
    "to be created" LDPR, so triples whose subject is the null relative URI result in triples
    in the created resource whose subject is the created resource.
    """
    base = server.base_url
    created = new_event(server, "Nuit de la lecture")
    graph = graph_at(created)
    subject = URIRef(created)
    assert (subject, RDF.type, CC.Event) in graph
    assert (subject, AS.name, Literal("Nuit de la lecture")) in graph
    assert (subject, CC.territory, URIRef(f"{base}/territories/97411")) in graph
    assert not list(graph.triples((URIRef(f"{base}/events/"), None, None)))


def test_5_2_3_10_slug_hint(server: Server) -> None:
    """5.2.3.10 LDP servers MAY allow clients to suggest the URI for a resource created
    through POST, using the HTTP Slug header as defined in [RFC5023]. LDP adds no new
    requirements to this usage, so its presence functions as a client hint to the server
    providing a desired string to be incorporated into the server's final choice of resource
    URI.

    The platform uses the hint: a safe slug is kept as is, an accented one is made ASCII, a
    taken one gives another URI, and one that would leave the container is refused.
    """
    base = server.base_url
    slug = fresh("slug")
    first = location(post(server, "events", event_ttl(base), slug=slug))
    assert first == f"{base}/events/{slug}"
    second = location(post(server, "events", event_ttl(base), slug=slug))
    assert second != first and second.startswith(f"{base}/events/{slug}")
    token = uuid.uuid4().hex[:8]
    # RFC 5023 §9.7: the Slug value is the percent-encoded UTF-8 of the text ("Fête à …").
    accented = location(post(server, "events", event_ttl(base),
                             slug=f"F%C3%AAte %C3%A0 Sainte-Marie {token}"))
    last = accented.removeprefix(f"{base}/events/")
    assert "/" not in last and last.isascii() and token in last, accented
    assert "fete" in last.lower() and "sainte-marie" in last.lower(), (
        f"the percent-encoded Slug was not decoded: {accented}")
    for hostile in ("../persons/alice", "a/b", "..", "x\\y"):
        response = post(server, "events", event_ttl(base), slug=hostile)
        if response.status_code == 201:
            made = location(response)
            assert made.rsplit("/", 1)[0] == f"{base}/events", f"{hostile!r} → {made}"
        else:
            assert 400 <= response.status_code < 500, describe(response)


def test_5_2_3_11_no_uri_reuse(server: Server) -> None:
    """5.2.3.11 LDP servers that allow member creation via POST SHOULD NOT re-use URIs.

    A deleted member's URI stays gone: the same Slug later gives a new URI.
    """
    base = server.base_url
    slug = fresh("reuse")
    first = location(post(server, "events", event_ttl(base), slug=slug))
    assert delete(server, first).status_code in (200, 204)
    again = location(post(server, "events", event_ttl(base), slug=slug))
    assert again != first
    assert get(first).status_code == 410


def test_5_2_3_12_no_ldp_nr_so_no_describedby(server: Server) -> None:
    """5.2.3.12 Upon successful creation of an LDP-NR (HTTP status code of 201-Created and
    URI indicated by Location response header), LDP servers MAY create an associated LDP-RS
    to contain data about the newly created LDP-NR. If a LDP server creates this associated
    LDP-RS, it MUST indicate its location in the response by adding a HTTP Link header with a
    context URI identifying the newly created LDP-NR (instead of the effective request URI),
    a link relation value of describedby, and a target URI identifying the associated LDP-RS
    resource [RFC5988].

    The platform creates no LDP-NR (415 on non-RDF bodies), hence no associated LDP-RS: its
    creations answer no describedby link.
    """
    refused = post(server, "events", b"\x89PNG\r\n\x1a\n", slug=fresh(), media="image/png")
    assert refused.status_code == 415, describe(refused)
    assert not rel(refused, "describedby")
    created = post(server, "events", event_ttl(server.base_url), slug=fresh())
    assert created.status_code == 201
    assert not rel(created, "describedby")


def test_5_2_3_13_options_accept_post(server: Server) -> None:
    """5.2.3.13 LDP servers that support POST MUST include an Accept-Post response header
    on HTTP OPTIONS responses, listing POST request media type(s) supported by the server.

    Every listed RDF syntax must really create a member; a container refusing POST (the
    read-only territories) lists none.
    """
    base = server.base_url
    reply = options(f"{base}/organizations/")
    assert "POST" in methods(reply)
    listed = header_set(reply, "Accept-Post")
    assert {"text/turtle", "application/ld+json"} <= listed, reply.headers
    for media in sorted(listed):
        slug = fresh("accept-post")
        iri = f"{base}/organizations/{slug}"
        graph = body_graph(association_ttl(base, f"Association {media}"), iri)
        if media == "application/ld+json":
            body = graph.serialize(format="json-ld")
        elif media in PARSERS:
            body = graph.serialize(format=PARSERS[media])
        else:
            pytest.fail(f"Accept-Post lists {media}, which this test cannot exercise")
        created = location(post(server, "organizations", body, slug=slug, media=media))
        assert isomorphic(client_state(graph_at(created), created),
                          body_graph(association_ttl(base, f"Association {media}"), created))
    territories = options(f"{base}/territories/")
    assert "POST" not in methods(territories)
    assert "Accept-Post" not in territories.headers


def test_5_2_3_14_post_jsonld(server: Server) -> None:
    """5.2.3.14 LDP servers that allow creation of LDP-RSs via POST MUST allow clients to
    create new members by enclosing a request entity body with a Content-Type request header
    whose value is application/ld+json [JSON-LD].
    """
    base = server.base_url
    document = {"@context": {"cc": str(CC), "as": str(AS)}, "@id": "",
                "@type": "cc:Association", "as:name": "Les Amis de la Plaine",
                "cc:territory": {"@id": f"{base}/territories/97415"}}
    created = location(post(server, "organizations", json.dumps(document), slug=fresh(),
                            media="application/ld+json"))
    graph = graph_at(created)
    assert (URIRef(created), RDF.type, CC.Association) in graph
    assert (URIRef(created), AS.name, Literal("Les Amis de la Plaine")) in graph
    assert created in members(f"{base}/organizations/")


def test_5_2_4_1_put_on_container_refused(server: Server) -> None:
    """5.2.4.1 LDP servers SHOULD NOT allow HTTP PUT to update a LDPC's containment triples;
    if the server receives such a request, it SHOULD respond with a 409 (Conflict) status
    code.

    The platform manages containers itself: PUT on a container is 405 with Allow (PUT is not
    a container method at all), and ldp:contains in a member's PUT is a 409. Neither changes
    the containment.
    """
    base = server.base_url
    container = f"{base}/events/"
    member = new_event(server)
    body = PREFIXES + f"<> a ldp:BasicContainer ; ldp:contains <{base}/events/{fresh()}> .\n"
    response = put(server, container, body)
    assert response.status_code == 405, describe(response)
    assert "PUT" not in methods(response) and methods(response)
    smuggled = f"{base}/events/{fresh()}"
    response = put(server, member, event_ttl(base, extra=f" ; ldp:contains <{smuggled}>"))
    assert response.status_code == 409, describe(response)
    assert smuggled not in members(container) and member in members(container)


def test_5_2_5_1_delete_removes_containment_triple(server: Server) -> None:
    """5.2.5.1 When a contained LDPR is deleted, the LDPC server MUST also remove the
    corresponding containment triple, which has the effect of removing the deleted LDPR from
    the containing LDPC.
    """
    container = f"{server.base_url}/events/"
    member = new_event(server)
    keeper = new_event(server)
    assert member in members(container)
    response = delete(server, member)
    assert response.status_code in (200, 204), describe(response)
    listed = members(container)
    assert member not in listed, "the deleted member is still contained"
    assert keeper in listed, "DELETE removed another member"
    minimal = get(container, Prefer=f'return=representation; include="{LDP.PreferContainment}"')
    assert URIRef(member) not in set(parse(minimal).objects(URIRef(container), LDP.contains))


def test_5_2_5_2_no_associated_rdf_source_to_delete(server: Server) -> None:
    """5.2.5.2 When a contained LDPR is deleted, and the LDPC server created an associated
    LDP-RS (see the LDPC POST section), the LDPC server MUST also delete the associated
    LDP-RS it created.

    The platform creates no associated LDP-RS (no LDP-NR, no describedby link), so deleting
    a member leaves nothing of it behind in the container: the member is gone and no other
    resource describes it.
    """
    member = new_event(server)
    assert not rel(get(member), "describedby")
    assert delete(server, member).status_code in (200, 204)
    assert get(member).status_code == 410
    assert member not in members(f"{server.base_url}/events/")


def test_5_2_7_1_container_patch_refused(server: Server) -> None:
    """5.2.7.1 LDP servers are RECOMMENDED to support HTTP PATCH as the preferred method for
    updating a LDPC's minimal-container triples.

    The platform chooses to let no client update a container: PATCH on a container is 405
    with Allow, OPTIONS lists neither PATCH nor Accept-Patch, and nothing changes.
    """
    base = server.base_url
    container = f"{base}/events/"
    reply = options(container)
    assert "PATCH" not in methods(reply) and "Accept-Patch" not in reply.headers
    before = strong_etag(get(container, Prefer=(
        f'return=representation; include="{LDP.PreferMinimalContainer}"')))
    response = patch(server, container, 'INSERT DATA { <> dcterms:title "Piraté" }')
    assert response.status_code == 405, describe(response)
    assert "PATCH" not in methods(response)
    after = strong_etag(get(container, Prefer=(
        f'return=representation; include="{LDP.PreferMinimalContainer}"')))
    assert before == after


def test_5_2_8_1_no_ldp_nr_so_no_describedby_on_options(server: Server) -> None:
    """5.2.8.1 When responding to requests whose request-URI is a LDP-NR with an associated
    LDP-RS, a LDPC server MUST provide the same HTTP Link response header as is required in
    the create response.

    The platform has no LDP-NR: every member is an LDP-RS, advertised as such, with no
    describedby link on OPTIONS, GET or HEAD.
    """
    member = new_event(server)
    for response in (options(member), get(member), head(member)):
        assert str(LDP.NonRDFSource) not in types(response)
        assert str(LDP.RDFSource) in types(response)
        assert not rel(response, "describedby")


def test_5_3_1_1_basic_container(server: Server) -> None:
    """5.3.1.1 Each LDP Basic Container MUST also be a conforming LDP Container in section
    5.2 Container along with the following restrictions in this section.

    Every container advertises ldp:BasicContainer (and is one in its RDF), and has none of
    the Direct/Indirect Container membership triples.
    """
    for name in ("persons", "organizations", "projects", "events", "posts", "proposals",
                 "offers", "places", "territories"):
        container = f"{server.base_url}/{name}/"
        response = get(container, Accept="application/n-triples")
        assert response.status_code == 200, describe(response)
        assert str(LDP.BasicContainer) in types(response), f"{container}: {response.headers}"
        graph = parse(response)
        assert (URIRef(container), RDF.type, LDP.BasicContainer) in graph
        for predicate in (LDP.membershipResource, LDP.hasMemberRelation,
                          LDP.isMemberOfRelation, LDP.insertedContentRelation):
            assert not list(graph.objects(URIRef(container), predicate)), predicate


# =========================================================================================
# Beyond the MUSTs: what the platform promises around LDP
# =========================================================================================


def test_write_responses_etag_is_the_current_one(server: Server) -> None:
    """A strong ETag sent with a 201 or a 204 must be the tag of the resource's Turtle
    representation as it now is, so that a client may use it in If-Match without a GET
    (RFC 7231 §7.2: validators in a write's response describe the new representation)."""
    base = server.base_url
    problems = []
    response = post(server, "events", event_ttl(base), slug=fresh())
    created = location(response)
    current = strong_etag(get(created, Accept="text/turtle"))
    if "ETag" in response.headers:
        if response.headers["ETag"] != current:
            problems.append(f"201 ETag {response.headers['ETag']} ≠ GET ETag {current}")
        replayed = put(server, created, event_ttl(base, "Via l'ETag du 201"),
                       if_match=response.headers["ETag"])
        if replayed.status_code not in (200, 204):
            problems.append(f"PUT If-Match: <the 201's ETag> → {replayed.status_code}")
    current = strong_etag(get(created, Accept="text/turtle"))
    updated = put(server, created, event_ttl(base, "Mise à jour"), if_match=current)
    assert updated.status_code in (200, 204), describe(updated)
    current = strong_etag(get(created, Accept="text/turtle"))
    if "ETag" in updated.headers and updated.headers["ETag"] != current:
        problems.append(f"PUT's ETag {updated.headers['ETag']} ≠ GET ETag {current}")
    assert not problems, "; ".join(problems)


def test_anonymous_writes_401(server: Server) -> None:
    """Writing needs a bearer token: anonymous (or bad-token) POST, PUT, PATCH and DELETE are
    401 with WWW-Authenticate, and change nothing."""
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    slug = fresh("anonymous")
    bad = {"Authorization": "Bearer not-a-token"}
    attempts = {
        "POST": post(server, "events", event_ttl(base), who=None, slug=slug),
        "POST bad token": send("POST", f"{base}/events/", event_ttl(base),
                               {**TURTLE, **bad, "Slug": slug}),
        "PUT": put(server, member, event_ttl(base, "Anonyme"), who=None),
        "PUT bad token": send("PUT", member, event_ttl(base, "Anonyme"), {**TURTLE, **bad}),
        "PATCH": patch(server, member, 'INSERT DATA { <> as:summary "Anonyme" }', who=None),
        "DELETE": delete(server, member, who=None),
        "DELETE bad token": send("DELETE", member, None, bad),
    }
    for label, response in attempts.items():
        assert response.status_code == 401, f"{label}: {describe(response)}"
        assert "WWW-Authenticate" in response.headers, f"{label}: no WWW-Authenticate"
    assert strong_etag(get(member)) == etag
    assert get(f"{base}/events/{slug}").status_code == 404


def test_writes_to_another_actors_resource_403(server: Server) -> None:
    """Only a resource's creator may change it: bob's PUT, PATCH and DELETE on alice's event
    are 403 and change nothing."""
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    for label, response in {
        "PUT": put(server, member, event_ttl(base, "Volé"), who="bob"),
        "PATCH": patch(server, member, 'INSERT DATA { <> as:summary "Volé" }', who="bob"),
        "DELETE": delete(server, member, who="bob"),
    }.items():
        assert response.status_code == 403, f"{label}: {describe(response)}"
    assert strong_etag(get(member)) == etag
    assert put(server, member, event_ttl(base, "Toujours à Alice")).status_code in (200, 204)


def test_415_unsupported_media_types(server: Server) -> None:
    """Bodies the server cannot read are 415, with Accept-Post (POST, PUT) or Accept-Patch
    (PATCH) saying what it takes; a missing Content-Type is refused the same way."""
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    for label, response, header in (
        ("POST text/plain", post(server, "events", "hello", media="text/plain"), "Accept-Post"),
        ("POST no type", send("POST", f"{base}/events/", event_ttl(base), server.auth()),
         "Accept-Post"),
        ("PUT text/plain", put(server, member, "hello", media="text/plain"), "Accept-Post"),
        ("PATCH text/turtle", send("PATCH", member, event_ttl(base), {**TURTLE, **server.auth()}),
         "Accept-Patch"),
    ):
        assert response.status_code == 415, f"{label}: {describe(response)}"
        assert response.headers.get(header), f"{label}: no {header}"
    assert strong_etag(get(member)) == etag


def test_409_server_managed_triples_on_post_and_patch(server: Server) -> None:
    """Server-managed triples (ldp:contains, dcterms:creator/created/modified) cannot be set
    by a POST or changed by a PATCH: 409, nothing created or changed."""
    base = server.base_url
    member = new_event(server)
    etag = strong_etag(get(member))
    for label, extra in {
        "creator": f" ; dcterms:creator <{base}/persons/bob>",
        "created": ' ; dcterms:created "2001-01-01T00:00:00Z"^^xsd:dateTime',
        "modified": ' ; dcterms:modified "2001-01-01T00:00:00Z"^^xsd:dateTime',
        "contains": f" ; ldp:contains <{member}>",
    }.items():
        slug = fresh("managed")
        response = post(server, "events", event_ttl(base, extra=extra), slug=slug)
        assert response.status_code == 409, f"POST {label}: {describe(response)}"
        assert get(f"{base}/events/{slug}").status_code == 404
    for label, update in {
        "insert modified": 'INSERT DATA { <> dcterms:modified '
                           '"2001-01-01T00:00:00Z"^^xsd:dateTime }',
        "insert contains": f"INSERT DATA {{ <> ldp:contains <{base}/events/{fresh()}> }}",
        "replace creator": f"DELETE {{ <> dcterms:creator ?who }} "
                           f"INSERT {{ <> dcterms:creator <{base}/persons/bob> }} "
                           f"WHERE {{ <> dcterms:creator ?who }}",
    }.items():
        response = patch(server, member, update)
        assert response.status_code == 409, f"PATCH {label}: {describe(response)}"
    assert strong_etag(get(member)) == etag


def test_405_lists_allowed_methods(server: Server) -> None:
    """A method a resource does not support is 405, and the 405's Allow lists exactly what
    OPTIONS lists (RFC 7231 §6.5.5), also for a method the server has never heard of."""
    base = server.base_url
    member = new_event(server)
    body = event_ttl(base)
    cases = {
        "POST member": (member, "POST"),
        "PUT container": (f"{base}/events/", "PUT"),
        "PATCH container": (f"{base}/events/", "PATCH"),
        "DELETE container": (f"{base}/events/", "DELETE"),
        "POST territories": (f"{base}/territories/", "POST"),
        "PUT territory": (f"{base}/territories/97411", "PUT"),
        "PATCH territory": (f"{base}/territories/97411", "PATCH"),
        "DELETE territory": (f"{base}/territories/97411", "DELETE"),
        "BREW container": (f"{base}/events/", "BREW"),
        "BREW member": (member, "BREW"),
    }
    wrong = []
    for label, (url, method) in cases.items():
        response = send(method, url, body, {**TURTLE, **server.auth()})
        assert response.status_code == 405, f"{label}: {describe(response)}"
        if methods(response) != methods(options(url)):
            wrong.append(f"{label}: Allow {sorted(methods(response))} but OPTIONS says "
                         f"{sorted(methods(options(url)))}")
    assert not wrong, "; ".join(wrong)
    assert get(f"{base}/territories/97411").status_code == 200


def test_read_only_territories_advertise_no_writes(server: Server) -> None:
    """Territories are read-only: their GET, HEAD and OPTIONS answers list only read methods
    and advertise neither Accept-Patch nor Accept-Post (RFC 5789 §3.1: Accept-Patch implies
    that PATCH is allowed)."""
    base = server.base_url
    for url in (f"{base}/territories/97411", f"{base}/territories/"):
        for response in (get(url), head(url), options(url)):
            label = f"{response.request.method} {url}"
            assert methods(response) == {"GET", "HEAD", "OPTIONS"}, f"{label}: Allow"
            assert "Accept-Patch" not in response.headers, f"{label} advertises Accept-Patch"
            assert "Accept-Post" not in response.headers, f"{label} advertises Accept-Post"


def test_patch_sparql_update_changes_the_resource(server: Server) -> None:
    """PATCH with application/sparql-update (DELETE/INSERT … WHERE, INSERT DATA, DELETE DATA)
    changes just what it says, on the resource's own graph; 204 and a new ETag."""
    base = server.base_url
    member = new_event(server, "Avant", ' ; as:summary "À retirer"')
    before = graph_at(member)
    etag = strong_etag(get(member))
    update = ('DELETE { <> as:name ?old } INSERT { <> as:name "Après" } '
              'WHERE { <> as:name ?old } ;\n'
              'INSERT DATA { <> as:content "Ajouté" } ;\n'
              'DELETE DATA { <> as:summary "À retirer" }')
    response = patch(server, member, update, if_match=etag)
    assert response.status_code in (200, 204), describe(response)
    after = graph_at(member)
    expected = client_state(before, member)
    expected.remove((URIRef(member), AS.name, None))
    expected.remove((URIRef(member), AS.summary, None))
    expected.add((URIRef(member), AS.name, Literal("Après")))
    expected.add((URIRef(member), AS.content, Literal("Ajouté")))
    assert isomorphic(client_state(after, member), expected), after.serialize(format="turtle")
    assert strong_etag(get(member)) != etag
    assert member in members(f"{base}/events/")


def test_patch_naming_another_graph_refused(server: Server) -> None:
    """A PATCH is confined to the resource's own graph: any update naming another graph
    (GRAPH, WITH, USING) or acting on the store (DROP, CLEAR, LOAD, CREATE, COPY) is refused
    with a 4xx, and neither the resource nor the other graph changes."""
    base = server.base_url
    member = new_event(server)
    victim = new_event(server, "Événement de Bob", who="bob")
    bob = f"{base}/persons/bob"
    watched = {url: strong_etag(get(url)) for url in (member, victim, bob)}
    container_before = members(f"{base}/events/")
    updates = {
        "INSERT DATA GRAPH": f'INSERT DATA {{ GRAPH <{bob}> {{ <{bob}> as:name "Pirate" }} }}',
        "DELETE DATA GRAPH": f"DELETE DATA {{ GRAPH <{victim}> "
                             f"{{ <{victim}> as:name \"Événement de Bob\" }} }}",
        "DELETE WHERE GRAPH": f"DELETE WHERE {{ GRAPH <{victim}> {{ ?s ?p ?o }} }}",
        "WITH": f'WITH <{victim}> DELETE {{ ?s as:name ?n }} INSERT {{ ?s as:name "Pirate" }} '
                f"WHERE {{ ?s as:name ?n }}",
        "INSERT GRAPH WHERE": f'INSERT {{ GRAPH <{victim}> {{ <{victim}> as:summary "x" }} }} '
                              f"WHERE {{}}",
        "USING": f'INSERT {{ <> as:summary ?n }} USING <{victim}> WHERE {{ ?s as:name ?n }}',
        "DROP": f"DROP GRAPH <{victim}>",
        "CLEAR": "CLEAR ALL",
        "LOAD": f"LOAD <{bob}> INTO GRAPH <{member}>",
        "CREATE": f"CREATE GRAPH <{base}/events/{fresh()}>",
        "COPY": f"COPY <{victim}> TO <{member}>",
        "containment": f"DELETE DATA {{ GRAPH <{base}/events/> "
                       f"{{ <{base}/events/> ldp:contains <{victim}> }} }}",
    }
    for label, update in updates.items():
        response = patch(server, member, update)
        assert 400 <= response.status_code < 500, f"{label}: {describe(response)}"
    for url, etag in watched.items():
        assert strong_etag(get(url)) == etag, f"{url} changed"
    assert sorted(members(f"{base}/events/")) == sorted(container_before)


def test_delete_then_get_410(server: Server) -> None:
    """After DELETE, the member is gone: GET and HEAD are 410, further PUT, PATCH and DELETE
    are 410 too, and the container no longer lists it."""
    base = server.base_url
    member = new_event(server)
    response = delete(server, member)
    assert response.status_code in (200, 204), describe(response)
    for label, answer in {
        "GET": get(member),
        "HEAD": head(member),
        "PUT": put(server, member, event_ttl(base, "Ressuscitée")),
        "PATCH": patch(server, member, 'INSERT DATA { <> as:summary "x" }'),
        "DELETE": delete(server, member),
    }.items():
        assert answer.status_code == 410, f"{label}: {describe(answer)}"
    assert member not in members(f"{base}/events/")


def test_content_negotiation_other_syntaxes(server: Server) -> None:
    """Besides Turtle and JSON-LD: N-Triples and RDF/XML say the same as Turtle, text/html
    gives a page, Vary names Accept, and an unknown type is 406."""
    member = new_event(server, "Kabar au Port")
    for url in (member, f"{server.base_url}/events/"):
        turtle = graph_at(url)
        for accept in ("application/n-triples", "application/rdf+xml"):
            response = get(url, Accept=accept)
            assert response.status_code == 200, describe(response)
            assert media_type(response) == accept
            assert isomorphic(parse(response), turtle), f"{url}: {accept} ≠ Turtle"
            assert "accept" in header_set(response, "Vary")
        page = get(url, Accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
        assert page.status_code == 200 and media_type(page) == "text/html", describe(page)
        assert "<html" in page.text.lower()
        refused = get(url, Accept="image/png")
        assert refused.status_code == 406, describe(refused)
    assert "Kabar au Port" in get(member, Accept="text/html").text


# --- Paging -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second production server whose containers page every 5 members."""
    data_dir: Path = tmp_path_factory.mktemp("ldp-paged") / "data"
    data_dir.mkdir()
    running = start_server(data_dir, env={"COMMUNECTER_PAGE_SIZE": "5"})
    try:
        running.cli("import-territories")
        running.tokens["alice"] = running.cli("token", "create", "alice", "--create").split()[-1]
        yield running
    finally:
        stop_server(running)


def test_paging_large_container(paged_server: Server) -> None:
    """A container larger than a page (COMMUNECTER_PAGE_SIZE) is served in pages linked by
    rel="next"/"prev"; following them lists every member exactly once, each page still
    being the container (rel="type" ldp:BasicContainer) with its own strong ETag."""
    server = paged_server
    base = server.base_url
    container = f"{base}/places/"
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(
            lambda n: location(post(server, "places", place_ttl(base, f"Lieu {n}"),
                                    slug=f"lieu-{n:02d}")), range(12)))
    assert len(set(created)) == 12
    seen: list[str] = []
    etags = set()
    page: str | None = container
    pages = 0
    while page is not None:
        pages += 1
        assert pages <= 10, "the rel=next chain does not end"
        response = get(page, Accept="text/turtle")
        assert response.status_code == 200, describe(response)
        assert str(LDP.BasicContainer) in types(response), f"{page}: {response.headers}"
        etags.add(strong_etag(response))
        listed = [str(o) for o in parse(response).objects(URIRef(container), LDP.contains)]
        assert len(listed) <= 5, f"{page} holds {len(listed)} members, more than a page"
        seen += listed
        if pages > 1:
            assert rel(response, "prev"), f"{page}: no rel=prev"
        following = rel(response, "next")
        assert len(following) <= 1
        page = next(iter(following)) if following else None
        if page is not None:
            assert urlsplit(page).netloc == urlsplit(base).netloc
            assert len(listed) == 5, "a page before the last is not full"
    assert pages == 3, f"12 members at 5 a page make 3 pages, not {pages}"
    assert sorted(seen) == sorted(created), "paging lost or repeated members"
    assert len(etags) == pages, "pages share an ETag"
    prefer = f'return=representation; include="{LDP.PreferMinimalContainer}"'
    minimal = get(container, Prefer=prefer)
    assert not rel(minimal, "next"), "a minimal container has no pages to follow"
