"""Memberships of organizations and projects: Join, Invite, Accept, Reject, Leave, Remove.

The rules (the same for forms, LDP clients and, later, remote inboxes):

* Roles are admin, contributor and member (cc:AdminRole, cc:ContributorRole,
  cc:MemberRole ⊑ org:Role). Admins edit the group (registered as editors below), invite,
  approve requests, remove members and set roles; contributors may publish in the group's
  name (as:attributedTo); members belong. Whoever created the group is its first admin and
  stays one (the core lets a resource's creator edit it whatever happens, so the member
  list says the same): the creator can neither leave nor be removed nor demoted.
* Join by a person: with a pending invitation, the person becomes a member with the role
  they were invited to; otherwise a join request waits for an admin.
  Join of an event is attendance (federation/handlers/attendance.py).
* Invite (admin; target: the person; content: the role, "member" by default): an
  invitation waits for the person's Accept (or Join) or Reject. Inviting someone whose
  request is pending approves it. Inviting a member to another role offers that role.
* Accept without a target (or targeting oneself): the actor accepts their invitation.
  Accept with a target (admin): approves the target's join request (content: the role).
* Reject without a target: the actor declines their invitation. Reject with a target
  (admin): turns down the target's request or withdraws their invitation.
* Leave: the actor leaves (or withdraws their pending request). An event: stops attending.
* Remove (admin; target: a member): the member is removed. The last admin cannot go.

Public memberships are W3C ORG, kept in one graph per group, `{group}/members` (see
ontology/modules/memberships.ttl): the group's own graph, which LDP PUT replaces, never
holds them, and every change is one atomic write of that graph, under preconditions on its
ETag and on the group's (retried a few times when somebody else wrote meanwhile). Pending
invitations and requests are private (store/memberships.py); the web layer wires a
platform's private store to its ActivityHandler with `wire`.

Observers (federation.activities.on_applied): a new group's member list is written at once
with its creator as admin (`first_admin`); a deleted citizen leaves every member, attendee
and follow list, and what was pending for or by them is forgotten (`forget_person`).

Refusals carry a `key` attribute (e.g. "already_member") that the web UI turns into a
sentence in the reader's language; the message itself is English, for API clients.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from weakref import WeakKeyDictionary

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import (
    Activity,
    ActivityHandler,
    Outcome,
    checks_content,
    editors_provider,
    handles,
    on_applied,
)
from federation.errors import ActivityRefused, Conflict, Gone, Invalid, NotAllowed, NotFound
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, DCTERMS, ORG, SCHEMA
from store.base import PreconditionFailed, Write
from store.memberships import PendingMemberships
from store.private import PrivateStore
from store.queries import query
from store.terms import graph_to_ntriples

ROLES: dict[str, URIRef] = {
    "admin": CC.AdminRole,
    "contributor": CC.ContributorRole,
    "member": CC.MemberRole,
}
ROLE_BY_IRI: dict[URIRef, str] = {iri: name for name, iri in ROLES.items()}
GROUP_CONTAINERS = ("organizations", "projects")
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
    text = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime)


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


# --- The activities -----------------------------------------------------------------------


@handles("Join")
def join(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    if local_container(handler, activity.object) == "events":
        from federation.handlers.attendance import attend

        return attend(handler, activity, now)
    require_person(handler, activity.actor)
    pending = services(handler).pending
    actor, group = activity.actor, activity.object

    def attempt() -> Outcome:
        head = group_resource(handler, group)
        members, etag = _members(handler, head)
        if actor in members:
            raise refusal(Conflict, "already_member", "you are a member already")
        waiting = pending.get(group, actor)
        if waiting is not None and waiting.kind == "invitation":
            members[actor] = Member(actor, waiting.role, str(timestamp(now)))
            outcome = write_members(handler, group, head.etag, members, etag)
            pending.delete(group, actor)
            return outcome
        if waiting is not None:
            raise refusal(Conflict, "request_pending", "your request is waiting for an admin")
        pending.put(group, actor, "request", "member", actor)
        return Outcome(group, None)

    return retrying(attempt)


@handles("Invite")
def invite(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    pending = services(handler).pending
    group = activity.object
    role = parse_role(activity.content)

    def attempt() -> Outcome:
        head = group_resource(handler, group)
        members, etag = _members(handler, head)
        _require_admin(members, activity.actor)
        person = _target(handler, activity)
        if person == head.first(DCTERMS.creator):
            raise refusal(Conflict, "creator_stays", "the creator stays an admin")
        current = members.get(person)
        if current is not None and current.role == role:
            raise refusal(Conflict, "already_member", "this person has this role already")
        waiting = pending.get(group, person)
        if current is None and waiting is not None and waiting.kind == "request":
            members[person] = Member(person, role, str(timestamp(now)))
            outcome = write_members(handler, group, head.etag, members, etag)
            pending.delete(group, person)
            return outcome
        pending.put(group, person, "invitation", role, activity.actor)
        return Outcome(group, None)

    return retrying(attempt)


@handles("Accept")
def accept(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    pending = services(handler).pending
    group, actor = activity.object, activity.actor
    own = activity.target in (None, "", actor)

    def attempt() -> Outcome:
        head = group_resource(handler, group)
        members, etag = _members(handler, head)
        if own:
            person = actor
            waiting = pending.get(group, person)
            if waiting is None or waiting.kind != "invitation":
                raise refusal(NotFound, "no_invitation", "there is no invitation to accept")
            role = waiting.role
        else:
            _require_admin(members, actor)
            person = _target(handler, activity)
            waiting = pending.get(group, person)
            if waiting is None or waiting.kind != "request":
                raise refusal(NotFound, "no_request", "there is no request to approve")
            role = parse_role(activity.content, waiting.role)
        since = members[person].since if person in members else str(timestamp(now))
        members[person] = Member(person, role, since)
        outcome = write_members(handler, group, head.etag, members, etag)
        pending.delete(group, person)
        return outcome

    return retrying(attempt)


@handles("Reject")
def reject(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    pending = services(handler).pending
    group, actor = activity.object, activity.actor
    head = group_resource(handler, group)
    if activity.target in (None, "", actor):
        waiting = pending.get(group, actor)
        if waiting is None or waiting.kind != "invitation":
            raise refusal(NotFound, "no_invitation", "there is no invitation to decline")
        pending.delete(group, actor)
        return Outcome(group, None)
    members, _ = _members(handler, head)
    _require_admin(members, actor)
    person = activity.target
    if pending.get(group, person) is None:
        raise refusal(NotFound, "no_request", "nothing is pending for this person")
    pending.delete(group, person)
    return Outcome(group, None)


@handles("Leave")
def leave(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    if local_container(handler, activity.object) == "events":
        from federation.handlers.attendance import stop_attending

        return stop_attending(handler, activity, now)
    pending = services(handler).pending
    group, actor = activity.object, activity.actor

    def attempt() -> Outcome:
        head = group_resource(handler, group)
        members, etag = _members(handler, head)
        if actor not in members:
            waiting = pending.get(group, actor)
            if waiting is not None and waiting.kind == "request":
                pending.delete(group, actor)
                return Outcome(group, None)
            raise refusal(Conflict, "not_member", "you are not a member")
        _check_may_go(head, members, actor)
        del members[actor]
        return write_members(handler, group, head.etag, members, etag)

    return retrying(attempt)


@handles("Remove")
def remove(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    group, actor = activity.object, activity.actor

    def attempt() -> Outcome:
        head = group_resource(handler, group)
        members, etag = _members(handler, head)
        _require_admin(members, actor)
        person = activity.target or ""
        if person not in members:
            raise refusal(NotFound, "not_member", "this person is not a member")
        _check_may_go(head, members, person)
        del members[person]
        return write_members(handler, group, head.etag, members, etag)

    return retrying(attempt)


def _check_may_go(head: Head, members: dict[str, Member], person: str) -> None:
    if person == head.first(DCTERMS.creator):
        raise refusal(Conflict, "creator_stays", "the creator stays an admin")
    if members[person].role == "admin" and _admin_count(members) <= 1:
        raise refusal(Conflict, "last_admin", "the last admin cannot go")


# --- Who else may edit ----------------------------------------------------------------------


@editors_provider
def group_admins(handler: ActivityHandler, iri: str, current: Graph) -> set[str]:
    """A group's admins edit it; the admins of the group a resource is attributed to
    (an event's organizer, a project's carrier, a place's keeper) edit it too."""
    found: set[str] = set()
    if local_container(handler, iri) in GROUP_CONTAINERS:
        members = members_in(handler, iri, current)
        found |= {p for p, m in members.items() if m.role == "admin"}
    for carrier in current.objects(URIRef(iri), AS.attributedTo):
        name = str(carrier)
        if name != iri and local_container(handler, name) in GROUP_CONTAINERS:
            found |= admins_of(handler, name)
    return found


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


for _class in ATTRIBUTED_CLASSES:
    checks_content(_class)(check_attribution)
checks_content(CC.Event)(check_parent_event)


# --- The creator is the first admin -----------------------------------------------------------


@on_applied
def first_admin(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    """Writes a new group's member list with its creator as admin, whichever way it was
    created (form, LDP, inbox), so that SPARQL finds that membership at once. Until then
    (or should this write fail) read_members counts the creator as admin all the same."""
    if activity.type != "Create" or local_container(handler, activity.object) not in (
            GROUP_CONTAINERS):
        return
    try:
        head = resource_head(handler, activity.object)
        members, etag = _members(handler, head)
        if etag is None:
            write_members(handler, activity.object, head.etag, members, etag)
    except (PreconditionFailed, ActivityRefused):
        return  # somebody wrote the list first, or the group is gone: nothing to add


# --- A deleted person leaves every list ----------------------------------------------------


@on_applied
def forget_deleted_person(handler: ActivityHandler, activity: Activity,
                          outcome: Outcome) -> None:
    """When a citizen's resource is deleted (account deletion, moderation), the person
    leaves every member list, attendee list and follow collection, and what was pending
    for or by them is forgotten."""
    if activity.type == "Delete" and local_container(handler, activity.object) == "persons":
        forget_person(handler, activity.object)


def forget_person(handler: ActivityHandler, person: str) -> int:
    """Takes `person` out of every list that names them; returns how many lists changed."""
    own = [name for name in (f"{person}/following", f"{person}/followers")
           if handler.store.graph(name) is not None]
    if own:
        handler.store.write(Write(delete=own))
    rows = handler.store.select(query("element_collections_of_person", person=URIRef(person)))
    changed = len(own)
    for row in rows:
        name = str(row["list"])
        if name in own:
            continue
        if name.endswith("/members"):
            changed += _leave_members(handler, name.removesuffix("/members"), person)
        else:
            changed += _leave_collection(handler, name, person)
    found = _SERVICES.get(handler)
    if found is not None:
        found.pending.forget_person(person)
    return changed


def _leave_members(handler: ActivityHandler, group: str, person: str) -> int:
    def attempt() -> int:
        try:
            head = resource_head(handler, group)
        except ActivityRefused:
            return 0  # the group is gone: its list goes with it
        members, etag = _members(handler, head)
        if person not in members or person == head.first(DCTERMS.creator):
            return 0
        del members[person]
        write_members(handler, group, head.etag, members, etag)
        return 1

    return retrying(attempt)


def _leave_collection(handler: ActivityHandler, iri: str, person: str) -> int:
    def attempt() -> int:
        items, etag = read_collection(handler, iri)
        if person not in items or etag is None:
            return 0
        kept = [i for i in items if i != person]
        graph = collection_graph(iri, kept)
        if iri.endswith("/attendees"):
            event = iri.removesuffix("/attendees")
            for item in kept:
                graph.add((URIRef(event), SCHEMA.attendee, URIRef(item)))
        handler.store.write(Write(replace={iri: graph_to_ntriples(graph)},
                                  expect_etags={iri: etag}))
        return 1

    return retrying(attempt)
