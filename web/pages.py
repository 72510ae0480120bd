"""Readable HTML for any resource: the same graph that Turtle and JSON-LD serve."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from rdflib import Graph, URIRef

from ontology import label as ontology_label
from web.negotiation import PREFIXES


def label(iri: str) -> str:
    """The term's label in the page's language, or its prefixed name."""
    if iri.startswith(("https://w3id.org/communecter/", )):
        return ontology_label(iri, get_locale_name())
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def get_locale_name() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "fr"


PageRenderer = Callable[[str, Graph], str]
_RENDERERS: dict[str, PageRenderer] = {}


def page_renderer(container: str) -> Callable[[PageRenderer], PageRenderer]:
    """Registers the HTML page of a container's members (the same URI as their RDF)."""

    def register(function: PageRenderer) -> PageRenderer:
        _RENDERERS[container] = function
        return function

    return register


def render_resource_page(iri: str, ntriples: str) -> str:
    """The HTML representation: a registered page for the resource's container, else
    the generic property table."""
    graph = Graph(bind_namespaces="none")
    graph.parse(data=ntriples, format="nt")
    path = iri.split("://", 1)[-1].split("/", 1)[-1]
    container = path.split("/", 1)[0]
    renderer = _RENDERERS.get(container) if not path.endswith("/") else None
    if renderer is not None:
        return renderer(iri, graph)
    return render_generic_page(iri, graph)


def render_generic_page(iri: str, graph: Graph) -> str:
    subject = URIRef(iri)
    rows = []
    for predicate, value in sorted(graph.predicate_objects(subject)):
        rows.append({
            "property": label(str(predicate)),
            "property_iri": str(predicate),
            "value": str(value),
            "is_link": isinstance(value, URIRef),
            "value_label": label(str(value)) if isinstance(value, URIRef) else str(value),
        })
    names = [str(v) for v in graph.objects(subject, URIRef(PREFIXES["as"] + "name"))]
    title = names[0] if names else iri
    others = sorted({str(s) for s in graph.subjects() if s != subject})
    return render_template("resource.html", iri=iri, title=title, rows=rows, others=others)
