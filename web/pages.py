"""Readable HTML for any resource: the same graph that Turtle and JSON-LD serve."""

from __future__ import annotations

from functools import cache

from flask import render_template
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from ontology import ontology_graph
from web.negotiation import PREFIXES


@cache
def _labels() -> dict[str, tuple[str, str]]:
    """(French label, English label) of every term the ontology names."""
    graph = ontology_graph()
    labels: dict[str, dict[str, str]] = {}
    for predicate in (RDFS.label, SKOS.prefLabel):
        for subject, label in graph.subject_objects(predicate):
            if isinstance(label, Literal) and label.language in ("fr", "en"):
                labels.setdefault(str(subject), {})[label.language] = str(label)
    return {k: (v.get("fr", v.get("en", "")), v.get("en", "")) for k, v in labels.items()}


def label(iri: str) -> str:
    found = _labels().get(iri)
    if found and found[0]:
        return found[0]
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def render_resource_page(iri: str, ntriples: str) -> str:
    graph = Graph()
    graph.parse(data=ntriples, format="nt")
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
