"""Facts about resources that every activity handler needs: where they live, what the
server manages in them, and what a deleted one leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ontology import AS, CC, CLASS_BY_CONTAINER, DCTERMS, LDP
from store.terms import graph_to_ntriples, parse_graph_text

SERVER_MANAGED = (DCTERMS.creator, DCTERMS.created, DCTERMS.modified, CC.verified)
LINK_PREDICATES = (
    CC.territory,
    CC.wall,
    CC.partOf,
    CC.amends,
    CC.voteOn,
    AS.inReplyTo,
    AS.location,
    URIRef("http://schema.org/superEvent"),
)


#: What activities may create below /territories/ (official territories are imported):
#: neighbourhoods, drawn by a commune's administrators.
TERRITORY_WRITES = {"territories": [CC.Neighbourhood]}


def allowed_classes(container: str) -> list[URIRef]:
    return CLASS_BY_CONTAINER.get(container) or TERRITORY_WRITES.get(container, [])


def container_of(iri: str, base_url: str, territories: bool = False) -> str:
    """The container slug ("events") of a member IRI under this instance; with
    `territories`, also "territories" (where only the core Create/Update/Delete write)."""
    path = iri[len(base_url) :] if iri.startswith(base_url + "/") else ""
    parts = path.strip("/").split("/")
    known = allowed_classes(parts[0]) if territories else CLASS_BY_CONTAINER.get(parts[0])
    if len(parts) != 2 or not known:
        raise ValueError(f"{iri} is not a member of a container of {base_url}")
    return parts[0]


def graph_from_ntriples(text: str) -> Graph:
    return parse_graph_text(text, "nt")


def resource_type(graph: Graph, subject: URIRef) -> URIRef | None:
    for value in graph.objects(subject, RDF.type):
        if str(value).startswith(str(CC)):
            return value  # type: ignore[return-value]
    return None


def is_tombstone(graph: Graph, subject: URIRef) -> bool:
    return (subject, RDF.type, AS.Tombstone) in graph


def is_tombstone_text(ntriples: str, iri: str) -> bool:
    """The same question on stored N-Triples, without parsing them (hot read path)."""
    return f"<{iri}> <{RDF.type}> <{AS.Tombstone}> ." in ntriples


def tombstone(iri: str, former: URIRef | None, when: datetime) -> str:
    """What stays of a deleted resource: enough to answer 410 and to refuse its IRI again."""
    graph = Graph()
    subject = URIRef(iri)
    graph.add((subject, RDF.type, AS.Tombstone))
    if former is not None:
        graph.add((subject, AS.formerType, former))
    text = when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    stamp = Literal(text, datatype=XSD.dateTime)
    graph.add((subject, AS.deleted, stamp))
    return graph_to_ntriples(graph)


def local_links(graph: Graph, base_url: str) -> set[str]:
    """IRIs of this instance that the graph points to through a link predicate."""
    targets = set()
    for predicate in LINK_PREDICATES:
        for value in graph.objects(None, predicate):
            if isinstance(value, URIRef) and str(value).startswith(base_url + "/"):
                targets.add(str(value))
    return targets


def container_graph(base_url: str, slug: str) -> str:
    """The server-managed description of a container (its members are added by writes)."""
    iri = URIRef(f"{base_url}/{slug}/")
    graph = Graph()
    graph.add((iri, RDF.type, LDP.BasicContainer))
    graph.add((iri, RDF.type, LDP.Container))
    graph.add((iri, DCTERMS.title, Literal(slug)))
    return graph_to_ntriples(graph)
