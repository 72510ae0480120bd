"""What the activity handlers share beyond federation.activities: the wiring of a platform's
private pending-memberships store, refusals with a UI key, and small read/write helpers
over the public store (resource heads, AS collections, ETag preconditions, retries).

Membership, attendance, follow and verification handlers all use these; they live outside
federation/handlers/ because every module there is imported at start-up to register
handlers, and this one registers none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from weakref import WeakKeyDictionary

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import ActivityHandler
from federation.errors import ActivityRefused, Gone, Invalid, NotAllowed, NotFound
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC
from store.base import PreconditionFailed
from store.memberships import PendingMemberships
from store.moments import utc_iso
from store.private import PrivateStore

RETRIES = 4
T = TypeVar("T")


# --- Wiring: what the handlers need beyond the public store --------------------------------


@dataclass
class Services:
    pending: PendingMemberships
    is_instance_admin: Callable[[str], bool]


_SERVICES: WeakKeyDictionary[ActivityHandler, Services] = WeakKeyDictionary()


def wire(handler: ActivityHandler, private: PrivateStore,
         is_instance_admin: Callable[[str], bool]) -> Services:
    """Gives one platform's handler its private pending table and its instance admins."""
    found = Services(PendingMemberships(private), is_instance_admin)
    _SERVICES[handler] = found
    return found


def services(handler: ActivityHandler) -> Services:
    found = _SERVICES.get(handler)
    if found is None:
        raise refusal(Invalid, "unavailable",
                      "memberships are not available here (no private store wired)")
    return found


def refusal(kind: type[ActivityRefused], key: str, message: str) -> ActivityRefused:
    """A refusal with a stable `key` the UI can say in the reader's language."""
    error = kind(message)
    error.key = key  # type: ignore[attr-defined]
    return error


# --- Shared helpers (attendance, follows and verification use them too) -------------------


def local_container(handler: ActivityHandler, iri: str) -> str | None:
    """The container of a member IRI of this instance ("organizations"), else None."""
    base = handler.base_url + "/"
    if not iri.startswith(base):
        return None
    parts = iri[len(base):].split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0]


def live_resource(handler: ActivityHandler, iri: str) -> tuple[Graph, str]:
    """The resource's graph and ETag; NotFound or Gone otherwise."""
    found = handler.store.graph_with_etag(iri)
    if found is None:
        raise refusal(NotFound, "not_found", f"{iri} does not exist")
    text, etag = found
    graph = graph_from_ntriples(text)
    if is_tombstone(graph, URIRef(iri)):
        raise refusal(Gone, "gone", f"{iri} was deleted")
    return graph, etag


def triples(text: str) -> Iterator[tuple[str, str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
    """(subject, predicate, object) of stored N-Triples, read without building a graph
    (the handlers read a few values of small graphs, often)."""
    for triple in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
        yield triple.subject.value, triple.predicate.value, triple.object  # type: ignore[misc]


@dataclass(frozen=True)
class Head:
    """What the handlers need of a resource: its ETag and its own values by predicate."""

    iri: str
    etag: str
    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, predicate: URIRef) -> str | None:
        found = self.values.get(str(predicate))
        return found[0] if found else None

    def has(self, predicate: URIRef, value: URIRef) -> bool:
        return str(value) in self.values.get(str(predicate), [])


def resource_head(handler: ActivityHandler, iri: str) -> Head:
    """The resource's head (ETag, values); NotFound or Gone otherwise."""
    found = handler.store.graph_with_etag(iri)
    if found is None:
        raise refusal(NotFound, "not_found", f"{iri} does not exist")
    text, etag = found
    values: dict[str, list[str]] = {}
    for subject, predicate, value in triples(text):
        if subject == iri:
            values.setdefault(predicate, []).append(value.value)
    head = Head(iri, etag, values)
    if head.has(RDF.type, AS.Tombstone):
        raise refusal(Gone, "gone", f"{iri} was deleted")
    return head


def is_citizen(handler: ActivityHandler, iri: str) -> bool:
    found = handler.store.graph(iri)
    kind, citizen = str(RDF.type), str(CC.Citizen)
    return found is not None and any(
        s_ == iri and p == kind and o.value == citizen for s_, p, o in triples(found))


def require_person(handler: ActivityHandler, actor: str) -> None:
    """A local actor must be a living citizen (remote actors are checked by the inbox)."""
    if actor.startswith(handler.base_url + "/") and not is_citizen(handler, actor):
        raise refusal(NotAllowed, "not_a_person", "only people may do this")


def timestamp(moment: datetime) -> Literal:
    return Literal(utc_iso(moment), datatype=XSD.dateTime)


def retrying(attempt: Callable[[], T]) -> T:
    """Runs a read-check-write attempt again when the graphs changed under it."""
    for _ in range(RETRIES - 1):
        try:
            return attempt()
        except PreconditionFailed:
            continue
    return attempt()


def collection_graph(iri: str, items: list[str]) -> Graph:
    """An ActivityStreams collection of IRIs (attendees, followers, following)."""
    graph = Graph(bind_namespaces="none")
    subject = URIRef(iri)
    graph.add((subject, RDF.type, AS.Collection))
    graph.add((subject, AS.totalItems, Literal(len(items), datatype=XSD.nonNegativeInteger)))
    for item in items:
        graph.add((subject, AS.items, URIRef(item)))
    return graph


def read_collection(handler: ActivityHandler, iri: str) -> tuple[list[str], str | None]:
    """The items of a stored collection (sorted) and its ETag; ([], None) when absent."""
    found = handler.store.graph_with_etag(iri)
    if found is None:
        return [], None
    text, etag = found
    items = str(AS.items)
    return sorted(o.value for s_, p, o in triples(text) if s_ == iri and p == items), etag


def precondition(iri: str, etag: str | None) -> dict:
    """Write arguments saying "this graph is still as I read it" (or still absent)."""
    if etag is None:
        return {"expect_absent": [iri]}
    return {"expect_etags": {iri: etag}}
