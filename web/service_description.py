"""The SPARQL 1.1 Service Description answered by GET /sparql without a query."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from werkzeug.wrappers import Request, Response

from web.negotiation import JSONLD, RDFXML, TURTLE, choose, serialize

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")


def description_graph(base_url: str) -> Graph:
    graph = Graph()
    service = URIRef(f"{base_url}/sparql")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))  # no SERVICE: see web/sparql.py
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                "SPARQL_Results_TSV", "Turtle", "JSON-LD", "N-Triples", "RDF_XML"):
        graph.add((service, SD.resultFormat, FORMATS[fmt]))
    dataset = BNode()
    default = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, URIRef("http://purl.org/dc/terms/description"),
               Literal("The union of every public resource graph", lang="en")))
    graph.add((service, URIRef("http://rdfs.org/ns/void#inDataset"),
               URIRef(f"{base_url}/.well-known/void#dataset")))
    return graph


def service_description(request: Request, base_url: str) -> Response:
    """Raises NotAcceptable when the client accepts none of the RDF syntaxes."""
    media = choose(request, (TURTLE, JSONLD, RDFXML, "application/n-triples"))
    text = description_graph(base_url).serialize(format="nt")
    return Response(serialize(text, media, base_url), 200, content_type=media)
