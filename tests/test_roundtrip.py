"""One rich resource survives every RDF syntax we serve, both ways, without losing a triple.

The event below has language-tagged strings, typed literals (dateTime, date, time, duration,
integer, decimal latitude/longitude, double, boolean), several themes, URLs with query and
fragment, text with quotes, newlines, tabs, carriage returns, emoji and other scripts, a blank
node, extra rdf:types and triples from vocabularies the shapes do not know (PAIR, schema.org,
Dublin Core) — all of which must be kept.

Out: GET it as Turtle, JSON-LD (compacted and expanded), N-Triples and RDF/XML; each parses to a
graph isomorphic to the N-Triples, which holds every triple that was sent.
In: PUT each representation back (with If-Match of its ETag); the stored graph stays the same.
"""

from __future__ import annotations

import json

import pytest
from pyld import jsonld
from rdflib import ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, XSD

from federation.jsonld import local_document_loader
from ontology import context_document
from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
SCHEMA = "http://schema.org/"
PAIR = "http://virtual-assembly.org/ontologies/pair#"
SLUG = "fete-de-l-ete"
IRI = f"{BASE}/events/{SLUG}"
TERRITORY = f"{BASE}/territories/97411"
EXPANDED = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
COMPACTED = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'

RICH = rf"""@prefix cc: <{CC}> .
@prefix cct: <https://w3id.org/communecter/themes#> .
@prefix as: <{AS}> .
@prefix schema: <{SCHEMA}> .
@prefix pair: <{PAIR}> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<> a cc:Event, schema:Event, pair:Event ;
   as:name "Fête de l'été"@fr, "Summer party"@en, "Fèt lété"@rcf ;
   as:summary "Une fête \"populaire\" avec les dalons — ça va être bien ! 🎉"@fr ;
   as:content '''Programme :\n\t- 18 h : séga\r\n\t- 20 h : maloya
« guillemets », 'apostrophes', "quotes", <balises> & \\ barre, مرحبا, 漢字, Œuvre''' ;
   as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ;
   as:endTime "2026-12-20T23:30:00+04:00"^^xsd:dateTime ;
   cc:eventType cc:Festival ;
   cc:theme cct:culture, cct:social, cct:sport ;
   cc:territory <{TERRITORY}> ;
   as:url <https://example.org/fete-ete?lang=fr&x=1#programme> ;
   cc:onlineUrl <https://visio.example.org/r/f%C3%AAte> ;
   schema:maximumAttendeeCapacity 150 ;
   geo:lat -20.8789 ;
   geo:long 55.4481 ;
   schema:isAccessibleForFree true ;
   schema:price 12.5 ;
   schema:ratingValue 4.5E0 ;
   schema:startDate "2026-12-20"^^xsd:date ;
   schema:doorTime "17:30:00"^^xsd:time ;
   schema:duration "PT5H30M"^^xsd:duration ;
   schema:keywords "musique", "séga", "maloya" ;
   schema:organizer <{BASE}/persons/alice> ;
   schema:location [ a schema:Place ; schema:name "Kiosque du Barachois" ;
                     schema:address "Boulevard Gabriel Macé, Saint-Denis" ] ;
   pair:hasKeyword "fête", "été" ;
   pair:comment "un commentaire PAIR"@fr ;
   dcterms:language "fr"^^xsd:language ;
   dcterms:identifier "007" .
"""

FORMATS = {
    "turtle": ("text/turtle", "text/turtle"),
    "jsonld-compacted": ("application/ld+json", "application/ld+json"),
    "jsonld-compacted-profile": (COMPACTED, "application/ld+json"),
    "jsonld-expanded": (EXPANDED, "application/ld+json"),
    "ntriples": ("application/n-triples", "application/n-triples"),
    "rdfxml": ("application/rdf+xml", "application/rdf+xml"),
}
SERVER_MANAGED = (DCTERMS.creator, DCTERMS.created, DCTERMS.modified)


# --- helpers -----------------------------------------------------------------------------

def store_of(site):
    return site.app.extensions["communecter"].store


def sent_graph() -> Graph:
    return Graph().parse(data=RICH, format="turtle", publicID=IRI)


def create(site) -> Graph:
    response = site.client.post("/events/", data=RICH.encode(), headers={
        "Content-Type": "text/turtle", "Slug": SLUG, **site.auth("alice")})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == IRI
    return stored(site)


def stored(site) -> Graph:
    text = store_of(site).graph(IRI)
    assert text is not None
    return Graph().parse(data=text, format="nt")


def without(graph: Graph, *predicates: URIRef) -> Graph:
    out = Graph()
    for triple in graph:
        if triple[1] not in predicates:
            out.add(triple)
    return out


def explain(expected: Graph, actual: Graph) -> str:
    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
    lost = sorted(line for line in only_expected.serialize(format="nt").splitlines()
                  if line.strip())
    added = sorted(line for line in only_actual.serialize(format="nt").splitlines()
                   if line.strip())
    return "lost:\n  " + "\n  ".join(lost) + "\nadded:\n  " + "\n  ".join(added)


def assert_isomorphic(expected: Graph, actual: Graph, what: str) -> None:
    assert isomorphic(expected, actual), (
        f"{what} is not the same graph\n{explain(expected, actual)}")


def jsonld_graph(document: object) -> Graph:
    """A JSON-LD document as a graph, its contexts served from the local cache only."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "base": IRI,
                                      "documentLoader": local_document_loader(BASE)})
    dataset = ConjunctiveGraph()
    dataset.parse(data=nquads, format="nquads")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def parse(body: str, media: str) -> Graph:
    if media == "application/ld+json":
        return jsonld_graph(json.loads(body))
    syntax = {"text/turtle": "turtle", "application/n-triples": "nt",
              "application/rdf+xml": "xml"}[media]
    return Graph().parse(data=body, format=syntax, publicID=IRI)


def get(site, accept: str):
    response = site.client.get(IRI, headers={"Accept": accept})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


# --- the resource as stored ---------------------------------------------------------------

def test_every_sent_triple_is_stored(site) -> None:
    graph = create(site)
    assert_isomorphic(sent_graph(), without(graph, *SERVER_MANAGED), "the stored resource")
    subject = URIRef(IRI)
    assert graph.value(subject, DCTERMS.creator) == URIRef(f"{BASE}/persons/alice")
    assert graph.value(subject, DCTERMS.created).datatype == XSD.dateTime
    ntriples = Graph().parse(data=get(site, "application/n-triples").get_data(as_text=True),
                             format="nt")
    assert_isomorphic(graph, ntriples, "the N-Triples representation")


def test_literals_keep_their_exact_form(site) -> None:
    graph = create(site)
    subject = URIRef(IRI)
    names = set(graph.objects(subject, URIRef(AS + "name")))
    assert names == {Literal("Fête de l'été", lang="fr"), Literal("Summer party", lang="en"),
                     Literal("Fèt lété", lang="rcf")}
    content = str(graph.value(subject, URIRef(AS + "content")))
    assert "\r\n\t- 20 h" in content and "« guillemets »" in content and "مرحبا" in content
    assert "🎉" in str(graph.value(subject, URIRef(AS + "summary")))
    capacity = graph.value(subject, URIRef(SCHEMA + "maximumAttendeeCapacity"))
    assert capacity.datatype == XSD.integer and capacity.toPython() == 150
    lat = graph.value(subject, URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat"))
    assert lat.datatype == XSD.decimal and str(lat) == "-20.8789"
    free = graph.value(subject, URIRef(SCHEMA + "isAccessibleForFree"))
    assert free.datatype == XSD.boolean and free.toPython() is True
    assert len(set(graph.objects(subject, URIRef(CC + "theme")))) == 3


# --- out: every representation is the same graph -------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_representation_has_every_triple(site, name: str) -> None:
    accept, media = FORMATS[name]
    reference = create(site)
    response = get(site, accept)
    assert response.mimetype == media
    body = response.get_data(as_text=True)
    assert_isomorphic(reference, parse(body, media), f"the {name} representation")
    if name.startswith("jsonld-compacted"):
        document = json.loads(body)
        assert document["@context"] == f"{BASE}/ns/context.jsonld"
    if name == "jsonld-expanded":
        assert "@context" not in body


def test_compacted_jsonld_with_rdflib(site) -> None:
    """A second JSON-LD processor (rdflib's) reads the compacted form the same way."""
    reference = create(site)
    document = json.loads(get(site, "application/ld+json").get_data(as_text=True))
    document["@context"] = context_document()["@context"]
    graph = Graph().parse(data=json.dumps(document), format="json-ld", base=IRI)
    assert_isomorphic(reference, graph, "the compacted JSON-LD read by rdflib")


def test_expanded_jsonld_with_rdflib(site) -> None:
    reference = create(site)
    body = get(site, EXPANDED).get_data(as_text=True)
    graph = Graph().parse(data=body, format="json-ld", base=IRI)
    assert_isomorphic(reference, graph, "the expanded JSON-LD read by rdflib")


# --- in: every representation PUT back leaves the resource as it was -----------------------

@pytest.mark.parametrize("name", FORMATS)
def test_put_back_changes_nothing(site, name: str) -> None:
    accept, media = FORMATS[name]
    original = create(site)
    response = get(site, accept)
    etag = response.headers["ETag"]
    put = site.client.put(IRI, data=response.data, headers={
        "Content-Type": media, "If-Match": etag, **site.auth("alice")})
    assert put.status_code == 204, f"{put.status_code}: {put.get_data(as_text=True)}"
    after = stored(site)
    # dcterms:modified is the one thing a write may change; it stays one xsd:dateTime.
    assert_isomorphic(without(original, DCTERMS.modified), without(after, DCTERMS.modified),
                      f"the resource after a PUT of its {name} representation")
    modified = list(after.objects(URIRef(IRI), DCTERMS.modified))
    assert len(modified) == 1 and modified[0].datatype == XSD.dateTime
    assert modified[0].toPython() >= original.value(URIRef(IRI), DCTERMS.modified).toPython()


def test_put_back_every_format_in_turn(site) -> None:
    """Turtle → JSON-LD → expanded → N-Triples → RDF/XML → Turtle, each from the last one."""
    original = without(create(site), DCTERMS.modified)
    for name in ("turtle", "jsonld-compacted", "jsonld-expanded", "ntriples", "rdfxml", "turtle"):
        accept, media = FORMATS[name]
        response = get(site, accept)
        put = site.client.put(IRI, data=response.data, headers={
            "Content-Type": media, "If-Match": response.headers["ETag"], **site.auth("alice")})
        assert put.status_code == 204, f"{name}: {put.status_code} {put.get_data(as_text=True)}"
        assert_isomorphic(original, without(stored(site), DCTERMS.modified),
                          f"the resource after the {name} PUT")
