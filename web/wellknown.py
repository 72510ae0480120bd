"""Discovery documents under /.well-known/ (VoID now; WebFinger and NodeInfo come with
federation)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ontology import CLASS_BY_CONTAINER
from web.negotiation import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, choose, serialize
from web.platform import platform

bp = Blueprint("wellknown", __name__)
VOID = Namespace("http://rdfs.org/ns/void#")


def void_graph(base_url: str) -> Graph:
    graph = Graph()
    dataset = URIRef(f"{base_url}/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("Communecter — données publiques", lang="fr")))
    graph.add((dataset, DCTERMS.title, Literal("Communecter public data", lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(f"{base_url}/sparql")))
    graph.add((dataset, VOID.uriSpace, Literal(f"{base_url}/")))
    graph.add((dataset, VOID.vocabulary, URIRef("https://w3id.org/communecter/ns#")))
    for fmt, media in (("nq", "application/n-quads"), ("trig", "application/trig")):
        dump = URIRef(f"{base_url}/dump.{fmt}")
        graph.add((dataset, VOID.dataDump, dump))
        graph.add((dump, DCTERMS["format"], Literal(media)))
    for slug in [*CLASS_BY_CONTAINER, "territories"]:
        graph.add((dataset, VOID.rootResource, URIRef(f"{base_url}/{slug}/")))
    graph.add((dataset, DCTERMS.modified, Literal(_today(), datatype=XSD.date)))
    return graph


def _today() -> str:
    from datetime import date

    return date.today().isoformat()


@bp.get("/.well-known/void")
def void() -> Response:
    base = platform().base_url
    media = choose(request, (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML))
    if media == HTML:
        media = TURTLE
    body = serialize(void_graph(base).serialize(format="nt"), media, base)
    return Response(body, content_type=media, headers={"Access-Control-Allow-Origin": "*"})


@bp.get("/dump.<fmt>")
def dump(fmt: str) -> Response:
    media = {"nq": "application/n-quads", "trig": "application/trig"}.get(fmt)
    if media is None:
        return Response("unknown dump format: use /dump.nq or /dump.trig\n", 404,
                        mimetype="text/plain")
    return Response(platform().store.dump(media), content_type=media)
