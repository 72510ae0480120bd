"""The vocabulary, the shapes and the dataset description that every instance serves."""

from __future__ import annotations

import json

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from tests.conftest import BASE

VOID = "http://rdfs.org/ns/void#"


def test_ns_is_html_for_people_and_turtle_for_machines(site):
    page = site.client.get("/ns", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Citizen" in page.get_data(as_text=True)
    turtle = site.client.get("/ns", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert (URIRef("https://w3id.org/communecter/ns#Citizen"), RDF.type, OWL.Class) in graph


def test_context_document(site):
    response = site.client.get("/ns/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert "@context" in json.loads(response.data)


def test_shapes_are_served(site):
    response = site.client.get("/shapes/Event", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert "NodeShape" in response.get_data(as_text=True)
    assert site.client.get("/shapes/NoSuchType").status_code == 404


def test_void_describes_the_dataset_endpoint_and_dumps(site):
    response = site.client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.data, format="turtle")
    dataset = URIRef(f"{BASE}/.well-known/void#dataset")
    assert (dataset, URIRef(VOID + "sparqlEndpoint"), URIRef(f"{BASE}/sparql")) in graph
    dumps = list(graph.objects(dataset, URIRef(VOID + "dataDump")))
    assert dumps
    for dump in dumps:
        assert site.client.get(str(dump)[len(BASE):]).status_code == 200


def test_unknown_container_is_404(site):
    assert site.client.get("/nothing-here/").status_code == 404
