"""Groups (organizations and projects) and their members: roles, the W3C ORG member list
kept in `{group}/members` (read, built, written under preconditions), admin checks, and
who may publish in a group's name (as:attributedTo) or attach a sub-event.

The membership handlers (federation/handlers/memberships.py) and the web views build on
this; it registers nothing itself: memberships.py registers the content checks defined
here, once, at import.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import Activity, ActivityHandler, Outcome
from federation.errors import ActivityRefused, Invalid, NotAllowed, NotFound
from federation.handler_support import (
    Head,
    is_citizen,
    live_resource,
    local_container,
    precondition,
    refusal,
    resource_head,
    triples,
)
from ontology import AS, CC, DCTERMS, ORG, SCHEMA
from store.base import Write
from store.terms import graph_to_ntriples

ROLES: dict[str, URIRef] = {
    "admin": CC.AdminRole,
    "contributor": CC.ContributorRole,
    "member": CC.MemberRole,
}
ROLE_BY_IRI: dict[URIRef, str] = {iri: name for name, iri in ROLES.items()}
GROUP_CONTAINERS = ("organizations", "projects")


# --- Members --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    person: str
    role: str
    since: str


def members_iri(group: str) -> str:
    return f"{group}/members"


def parse_role(value: str | None, default: str = "member") -> str:
    role = (value or default).strip().lower()
    if role not in ROLES:
        raise refusal(Invalid, "unknown_role",
                      f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def creator_of(graph: Graph, iri: str) -> str | None:
    value = graph.value(URIRef(iri), DCTERMS.creator)
    return str(value) if value is not None else None


def read_members(handler: ActivityHandler, group: str, creator: str | None,
                 created: str | None = None) -> tuple[dict[str, Member], str | None]:
    """The group's members by person, and the ETag of its member list (None: not yet
    written, the creator alone is admin). The creator is always an admin."""
    found = handler.store.graph_with_etag(members_iri(group))
    members: dict[str, Member] = {}
    etag = None
    if found is not None:
        text, etag = found
        nodes: dict[str, dict[str, str]] = {}
        wanted = {str(ORG.organization), str(ORG.member), str(ORG.role), str(DCTERMS.created)}
        for subject, predicate, value in triples(text):
            if predicate in wanted:
                nodes.setdefault(subject, {})[predicate] = value.value
        for node in nodes.values():
            person, role = node.get(str(ORG.member)), node.get(str(ORG.role))
            name = ROLE_BY_IRI.get(URIRef(role)) if role else None
            if node.get(str(ORG.organization)) != group or not person or name is None:
                continue
            members[person] = Member(person, name, node.get(str(DCTERMS.created), ""))
    if creator and members.get(creator, Member(creator, "", "")).role != "admin":
        members[creator] = Member(creator, "admin", created or "")
    return members, etag


def members_in(handler: ActivityHandler, group: str, graph: Graph) -> dict[str, Member]:
    """The members of a group whose graph the caller has already read."""
    subject = URIRef(group)
    created = graph.value(subject, DCTERMS.created)
    return read_members(handler, group, creator_of(graph, group),
                        str(created) if created is not None else None)[0]


def _members(handler: ActivityHandler, head: Head) -> tuple[dict[str, Member], str | None]:
    return read_members(handler, head.iri, head.first(DCTERMS.creator),
                        head.first(DCTERMS.created))


def members_graph(group: str, members: dict[str, Member]) -> Graph:
    collection = members_iri(group)
    graph = Graph(bind_namespaces="none")
    subject = URIRef(collection)
    graph.add((subject, RDF.type, AS.Collection))
    graph.add((subject, AS.totalItems, Literal(len(members), datatype=XSD.nonNegativeInteger)))
    for member in sorted(members.values(), key=lambda m: m.person):
        digest = hashlib.sha256(member.person.encode()).hexdigest()[:16]
        node = URIRef(f"{collection}#m-{digest}")
        graph.add((subject, AS.items, node))
        graph.add((node, RDF.type, ORG.Membership))
        graph.add((node, ORG.organization, URIRef(group)))
        graph.add((node, ORG.member, URIRef(member.person)))
        graph.add((node, ORG.role, ROLES[member.role]))
        if member.since:
            graph.add((node, DCTERMS.created, Literal(member.since, datatype=XSD.dateTime)))
        graph.add((URIRef(group), ORG.hasMember, URIRef(member.person)))
    return graph


def write_members(handler: ActivityHandler, group: str, group_etag: str,
                  members: dict[str, Member], etag: str | None) -> Outcome:
    collection = members_iri(group)
    guard = precondition(collection, etag)
    guard.setdefault("expect_etags", {})[group] = group_etag
    text = graph_to_ntriples(members_graph(group, members))
    handler.store.write(Write(replace={collection: text}, **guard))
    stored = handler.store.graph_with_etag(collection)
    return Outcome(collection, stored[1] if stored else None)


def group_resource(handler: ActivityHandler, iri: str) -> Head:
    if local_container(handler, iri) not in GROUP_CONTAINERS:
        raise refusal(Invalid, "not_a_group",
                      "only organizations and projects of this instance have members")
    return resource_head(handler, iri)


def members_of(handler: ActivityHandler, group: str) -> dict[str, Member]:
    """The members of a living group (empty for anything else)."""
    try:
        head = group_resource(handler, group)
    except ActivityRefused:
        return {}
    return _members(handler, head)[0]


def admins_of(handler: ActivityHandler, group: str) -> set[str]:
    return {p for p, m in members_of(handler, group).items() if m.role == "admin"}


def _require_admin(members: dict[str, Member], actor: str) -> None:
    if members.get(actor) is None or members[actor].role != "admin":
        raise refusal(NotAllowed, "not_admin", "only an admin of this group may do this")


def _admin_count(members: dict[str, Member]) -> int:
    return sum(1 for m in members.values() if m.role == "admin")


def _target(handler: ActivityHandler, activity: Activity) -> str:
    if not activity.target:
        raise refusal(Invalid, "no_target", "say who (target) this is about")
    require_person_exists(handler, activity.target)
    return activity.target


def require_person_exists(handler: ActivityHandler, person: str) -> None:
    if person.startswith(handler.base_url + "/") and not is_citizen(handler, person):
        raise refusal(NotFound, "unknown_person", f"{person} is not a person of this instance")


# --- Publishing in a group's name ---------------------------------------------------------

ORGANIZER_ROLES = ("admin", "contributor")
ATTRIBUTED_CLASSES = (CC.Organization, CC.Association, CC.Business, CC.PublicAuthority,
                      CC.InformalGroup, CC.Project, CC.Event, CC.PointOfInterest, CC.Offer,
                      CC.Need, CC.Post)


def _stored_values(handler: ActivityHandler, iri: str, predicate: URIRef) -> set[str]:
    """The values the resource has now (an Update may keep them whoever sends it)."""
    try:
        head = resource_head(handler, iri)
    except ActivityRefused:
        return set()
    return set(head.values.get(str(predicate), []))


def check_attribution(handler: ActivityHandler, actor: str, iri: str, graph: Graph) -> None:
    """as:attributedTo (organizer, carrier, keeper…) names the actor, or a group of this
    instance where the actor is admin or contributor (or stays what it was)."""
    values = {str(v) for v in graph.objects(URIRef(iri), AS.attributedTo)}
    if not values or values <= {actor}:
        return
    kept = _stored_values(handler, iri, AS.attributedTo)
    for value in values - {actor} - kept:
        if not value.startswith(handler.base_url + "/"):
            continue  # another server's actor: that server vouches for its own
        if local_container(handler, value) in GROUP_CONTAINERS:
            member = members_of(handler, value).get(actor)
            if member is not None and member.role in ORGANIZER_ROLES:
                continue
        raise refusal(NotAllowed, "not_organizer",
                      f"only admins and contributors of {value} may publish in its name")


def check_parent_event(handler: ActivityHandler, actor: str, iri: str, graph: Graph) -> None:
    """schema:superEvent names an event the actor may edit (or stays what it was)."""
    parents = {str(v) for v in graph.objects(URIRef(iri), SCHEMA.superEvent)}
    if not parents:
        return
    kept = _stored_values(handler, iri, SCHEMA.superEvent)
    for parent in parents - kept:
        if parent == iri:
            raise refusal(Invalid, "self_parent", "an event is not part of itself")
        if not parent.startswith(handler.base_url + "/"):
            continue
        parent_graph, _etag = live_resource(handler, parent)
        if (URIRef(parent), RDF.type, CC.Event) not in parent_graph:
            raise refusal(Invalid, "not_an_event", f"{parent} is not an event")
        if actor not in handler.editors(parent, parent_graph):
            raise refusal(NotAllowed, "not_parent_editor",
                          "sub-events are attached by whoever may edit the parent event")
