"""The vocabulary served by every instance: /ns, /ns/context.jsonld and /shapes/."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS

import shapes
from ontology import context_document, ontology_graph
from web.negotiation import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, choose, serialize
from web.platform import platform

bp = Blueprint("vocabulary", __name__)


def _graph_response(graph: Graph, title: str) -> Response:
    media = choose(request, (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML))
    if media == HTML:
        return Response(_html(graph, title), content_type="text/html; charset=utf-8")
    text = graph.serialize(format="nt")
    body = serialize(text, media, platform().base_url)
    return Response(body, content_type=media, headers={"Vary": "Accept",
                                                       "Access-Control-Allow-Origin": "*"})


def _html(graph: Graph, title: str) -> str:
    terms = []
    for kind, rdf_type in (("Classe", OWL.Class), ("Propriété", OWL.ObjectProperty),
                           ("Propriété", OWL.DatatypeProperty), ("Individu", OWL.NamedIndividual)):
        for subject in sorted(set(graph.subjects(RDF.type, rdf_type))):
            labels = {lbl.language: str(lbl) for lbl in graph.objects(subject, RDFS.label)}
            comments = {c.language: str(c) for c in graph.objects(subject, RDFS.comment)}
            terms.append({"iri": str(subject), "kind": kind, "fr": labels.get("fr", ""),
                          "en": labels.get("en", ""), "comment": comments.get("fr", "")})
    return render_template("vocabulary.html", title=title, terms=terms)


@bp.get("/ns")
def namespace() -> Response:
    return _graph_response(ontology_graph(), "Vocabulaire Communecter")


@bp.get("/ns/context.jsonld")
def context() -> Response:
    body = json.dumps(context_document(), ensure_ascii=False, indent=1)
    return Response(body, content_type="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*"})


@bp.get("/shapes/")
def all_shapes() -> Response:
    return _graph_response(shapes.all_shapes_graph(), "Formes SHACL")


@bp.get("/shapes/<name>")
def one_shape(name: str) -> Response:
    from ontology import CC

    try:
        graph = shapes.shapes_graph_for(CC[name])
    except (KeyError, ValueError):
        abort(404)
    if graph is None or len(graph) == 0:
        abort(404)
    return _graph_response(graph, f"Forme SHACL : {name}")
