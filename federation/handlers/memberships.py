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

The handlers and observers are here; the shared wiring and store helpers are in
federation.handler_support and the member lists and publishing checks in federation.groups,
both re-exported from this module for its existing callers.
"""

from __future__ import annotations

from datetime import datetime

from rdflib import Graph, URIRef

from federation.activities import (
    Activity,
    ActivityHandler,
    Outcome,
    checks_content,
    editors_provider,
    handles,
    on_applied,
)
from federation.errors import ActivityRefused, Conflict, NotFound
from federation.groups import (
    ATTRIBUTED_CLASSES,
    GROUP_CONTAINERS,
    ORGANIZER_ROLES,
    ROLE_BY_IRI,
    ROLES,
    Member,
    _admin_count,
    _members,
    _require_admin,
    _target,
    admins_of,
    check_attribution,
    check_parent_event,
    creator_of,
    group_resource,
    members_graph,
    members_in,
    members_iri,
    members_of,
    parse_role,
    read_members,
    require_person_exists,
    write_members,
)
from federation.handler_support import (
    _SERVICES,
    RETRIES,
    Head,
    Services,
    T,
    collection_graph,
    is_citizen,
    live_resource,
    local_container,
    precondition,
    read_collection,
    refusal,
    require_person,
    resource_head,
    retrying,
    services,
    timestamp,
    triples,
    wire,
)
from ontology import AS, CC, DCTERMS, SCHEMA
from store.base import PreconditionFailed, Write
from store.queries import query
from store.terms import graph_to_ntriples

__all__ = [
    "ATTRIBUTED_CLASSES", "GROUP_CONTAINERS", "ORGANIZER_ROLES", "RETRIES", "ROLES",
    "ROLE_BY_IRI", "Head", "Member", "Services", "T", "accept", "admins_of",
    "check_attribution", "check_parent_event", "collection_graph", "creator_of", "first_admin",
    "forget_deleted_person", "forget_person", "group_admins", "group_resource", "invite",
    "is_citizen", "join", "leave", "live_resource", "local_container", "members_graph",
    "members_in", "members_iri", "members_of", "parse_role", "precondition", "read_collection",
    "read_members", "refusal", "reject", "remove", "require_person", "require_person_exists",
    "resource_head", "retrying", "services", "timestamp", "triples", "wire", "write_members",
]


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


# --- Publishing in a group's name (the checks are in federation.groups) -------------

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
