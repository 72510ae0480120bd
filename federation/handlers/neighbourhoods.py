"""Neighbourhoods: drawn by a commune's administrators (DESIGN.md §5).

A cc:Neighbourhood lives below /territories/ like the official territories, lies inside
exactly one commune of this instance (cc:partOf), and may be created, changed or deleted
only by the admins of a public authority that governs that commune (cc:governs), or by an
instance administrator. The rule holds for every path a write takes.
"""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from federation.activities import ActivityHandler, checks_content, editors_provider
from federation.errors import ActivityRefused, Invalid, NotAllowed
from federation.groups import admins_of
from federation.handler_support import live_resource, services
from ontology import CC
from store.queries import query


def commune_administrators(handler: ActivityHandler, commune: str) -> set[str]:
    """The admins of every public authority governing `commune`."""
    rows = handler.store.select(query("neighbourhood_authorities", commune=URIRef(commune)))
    found: set[str] = set()
    for row in rows:
        found |= admins_of(handler, str(row["authority"]))
    return found


def _is_instance_admin(handler: ActivityHandler, actor: str) -> bool:
    try:
        return services(handler).is_instance_admin(actor)
    except ActivityRefused:  # no private store wired (command-line tools): no instance admin
        return False


def check_neighbourhood(handler: ActivityHandler, actor: str, iri: str, graph: Graph) -> None:
    communes = [str(c) for c in graph.objects(URIRef(iri), CC.partOf)]
    if len(communes) != 1:
        raise Invalid("a neighbourhood lies inside exactly one commune (cc:partOf)")
    commune = communes[0]
    found, _etag = live_resource(handler, commune)
    if (URIRef(commune), RDF.type, CC.Commune) not in found:
        raise Invalid(f"{commune} is not a commune")
    if actor in commune_administrators(handler, commune) or _is_instance_admin(handler, actor):
        return
    raise NotAllowed("only the administrators of the commune's public authority may draw "
                     "its neighbourhoods")


@editors_provider
def neighbourhood_editors(handler: ActivityHandler, iri: str, current: Graph) -> set[str]:
    subject = URIRef(iri)
    if (subject, RDF.type, CC.Neighbourhood) not in current:
        return set()
    found: set[str] = set()
    for commune in current.objects(subject, CC.partOf):
        found |= commune_administrators(handler, str(commune))
    return found


checks_content(CC.Neighbourhood)(check_neighbourhood)
