"""Following anything: Follow a person, organization, project, event or territory; Undo
(with content "Follow") to stop. Remote actors follow local things the same way, and a
local person follows remote actors.

Follows are public and kept as ActivityPub-style collections, one graph each:
`{thing}/followers` lists who follows the thing, `{person}/following` what the person
follows (the follow list on the follower's side). A Follow or its Undo changes both graphs
in one atomic write, under preconditions on both (retried when somebody else wrote).

Remote actors (their IRIs are not under this instance's base URL):
* A remote actor following a local thing is listed in `{thing}/followers` like anyone;
  we keep no `{remote}/following` graph (that list is the remote server's).
* A local person following a remote actor: the Follow is pending until the remote server
  Accepts it (Accept with content "Follow", actor the remote actor, object the person);
  pending follows live in the private table `pending_follows`; on Accept the remote IRI
  joins `{person}/following`, on Reject it is forgotten. The outbound side (delivery
  observer) sends the Follow itself.
* A person who approves followers by hand (federation/follow_requests.py) is not
  followed at once, by remote actors or local people: the Follow waits for the person's
  Accept or Reject (actor: the person, object: the follower, content "Follow"); the
  follower's Undo withdraws it.
* Block by a remote actor of a local person: each stops following the other.
* Move of a remote actor: the local people who followed it follow its new IRI (pending
  until the new actor Accepts; their Follows are sent by the outbound side).
"""

from __future__ import annotations

from datetime import datetime

from rdflib import URIRef
from rdflib.namespace import RDF

from federation import follow_requests
from federation.activities import Activity, ActivityHandler, Outcome, handles, handles_object
from federation.errors import ActivityRefused, Conflict, Invalid, NotFound
from federation.handlers.memberships import (
    collection_graph,
    local_container,
    precondition,
    read_collection,
    refusal,
    require_person,
    resource_head,
    retrying,
    services,
)
from ontology import TERRITORY_CLASSES
from store.base import Write
from store.queries import query
from store.terms import graph_to_ntriples

FOLLOWABLE = ("persons", "organizations", "projects", "events", "territories")


def followers_iri(iri: str) -> str:
    return f"{iri}/followers"


def following_iri(person: str) -> str:
    return f"{person}/following"


def followers_of(handler: ActivityHandler, iri: str) -> list[str]:
    return read_collection(handler, followers_iri(iri))[0]


def following_of(handler: ActivityHandler, person: str) -> list[str]:
    return read_collection(handler, following_iri(person))[0]


def _followable(handler: ActivityHandler, iri: str) -> None:
    container = local_container(handler, iri)
    if container not in FOLLOWABLE:
        raise refusal(Invalid, "not_followable", "one may follow people, organizations, "
                      "projects, events and territories of this instance")
    head = resource_head(handler, iri)
    if container == "territories" and not any(
            head.has(RDF.type, kind) for kind in TERRITORY_CLASSES):
        raise refusal(NotFound, "not_found", f"{iri} is not a territory")


def _write(handler: ActivityHandler, thing: str, followers: list[str], followers_etag: str | None,
           person: str, following: list[str], following_etag: str | None) -> Outcome:
    """Writes both sides; a remote side (a remote thing's followers, a remote person's
    following) is not ours to keep and is left out."""
    their, mine = followers_iri(thing), following_iri(person)
    guard_theirs, guard_mine = precondition(their, followers_etag), precondition(mine,
                                                                               following_etag)
    replace = {}
    if handler.is_local(thing):
        replace[their] = graph_to_ntriples(collection_graph(their, followers))
    else:
        guard_theirs = {}
    if handler.is_local(person):
        replace[mine] = graph_to_ntriples(collection_graph(mine, following))
    else:
        guard_mine = {}
    handler.store.write(Write(
        replace=replace,
        expect_absent=guard_theirs.get("expect_absent", []) + guard_mine.get("expect_absent", []),
        expect_etags={**guard_theirs.get("expect_etags", {}),
                      **guard_mine.get("expect_etags", {})},
    ))
    return Outcome(their, None)


@handles("Follow")
def follow(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    require_person(handler, activity.actor)
    thing, person = activity.object, activity.actor
    if thing == person:
        raise refusal(Invalid, "self_follow", "one does not follow oneself")
    if not handler.is_local(thing):
        return _follow_remote(handler, person, thing, now)
    if follow_requests.approves_by_hand(handler, thing):
        _followable(handler, thing)
        if person in followers_of(handler, thing):
            raise refusal(Conflict, "already_following", "you follow this already")
        if follow_requests.state_of(handler, thing, person) not in (None, "pending"):
            follow_requests.withdraw(handler, thing, person)  # an old answer, left over
        follow_requests.request(handler, thing, person)
        return Outcome(followers_iri(thing), None)  # waits for the person's approval

    def attempt() -> Outcome:
        _followable(handler, thing)
        followers, followers_etag = read_collection(handler, followers_iri(thing))
        following, following_etag = read_collection(handler, following_iri(person))
        if person in followers:
            raise refusal(Conflict, "already_following", "you follow this already")
        return _write(handler, thing, sorted([*followers, person]), followers_etag,
                      person, sorted({*following, thing}), following_etag)

    return retrying(attempt)


@handles_object("Undo", "Follow")
def undo(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """Undo of a Follow (object: what was followed): a pending follow of a remote actor
    is withdrawn, an accepted one leaves both lists."""
    thing, person = activity.object, activity.actor
    requested = follow_requests.withdraw(handler, thing, person)
    if requested and person not in followers_of(handler, thing):
        return Outcome(followers_iri(thing), None)  # a request withdrawn
    withdrawn = not handler.is_local(thing) and _pending(handler).forget(person, thing)
    if withdrawn and thing not in following_of(handler, person):
        return Outcome(following_iri(person), None)

    def attempt() -> Outcome:
        followers, followers_etag = read_collection(handler, followers_iri(thing))
        following, following_etag = read_collection(handler, following_iri(person))
        if person not in followers and thing not in following:
            raise refusal(Conflict, "not_following", "you do not follow this")
        return _write(handler, thing, [f for f in followers if f != person], followers_etag,
                      person, [f for f in following if f != thing], following_etag)

    return retrying(attempt)


# --- Following remote actors ------------------------------------------------------------


class PendingFollows:
    """Follows of remote actors by local people, waiting for the remote Accept."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS pending_follows (
        person TEXT NOT NULL,
        object TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (person, object)
    );
    """

    def __init__(self, handler: ActivityHandler) -> None:
        self.private = services(handler).pending.private
        self.private.ensure_schema(self.SCHEMA)

    def add(self, person: str, thing: str, now: datetime) -> bool:
        db = self.private.connection()
        with db:
            cursor = db.execute("INSERT OR IGNORE INTO pending_follows VALUES (?, ?, ?)",
                                (person, thing, now.isoformat()))
        return cursor.rowcount > 0

    def forget(self, person: str, thing: str) -> bool:
        db = self.private.connection()
        with db:
            cursor = db.execute("DELETE FROM pending_follows WHERE person = ? AND object = ?",
                                (person, thing))
        return cursor.rowcount > 0

    def is_pending(self, person: str, thing: str) -> bool:
        return self.private.connection().execute(
            "SELECT 1 FROM pending_follows WHERE person = ? AND object = ?",
            (person, thing)).fetchone() is not None

    def of_person(self, person: str) -> list[str]:
        rows = self.private.connection().execute(
            "SELECT object FROM pending_follows WHERE person = ? ORDER BY object", (person,))
        return [row[0] for row in rows]


def _pending(handler: ActivityHandler) -> PendingFollows:
    return PendingFollows(handler)


def pending_follows_of(handler: ActivityHandler, person: str) -> list[str]:
    """The remote actors `person` asked to follow, not accepted yet (for the pages)."""
    return _pending(handler).of_person(person)


def is_pending(handler: ActivityHandler, person: str, thing: str) -> bool:
    return _pending(handler).is_pending(person, thing)


def _follow_remote(handler: ActivityHandler, person: str, thing: str,
                   now: datetime) -> Outcome:
    if not handler.is_local(person):
        raise refusal(Invalid, "not_followable", "remote actors follow things of this instance")
    if thing in following_of(handler, person):
        raise refusal(Conflict, "already_following", "you follow this already")
    if not thing.startswith(("https://", "http://")):
        raise refusal(Invalid, "not_followable", "a remote actor is named by an http(s) IRI")
    _pending(handler).add(person, thing, now)
    return Outcome(following_iri(person), None)


@handles_object("Accept", "Follow")
def accept_follow(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """The remote actor (`actor`) accepts the local person's (`object`) Follow; or a
    local person (`actor`) approves the request of a remote follower (`object`)."""
    if handler.is_local(activity.actor):
        return _approve(handler, activity.actor, activity.object)
    thing, person = activity.actor, activity.object
    if not handler.is_local(person) or handler.is_local(thing):
        raise refusal(Invalid, "no_follow", "only a remote actor accepts a local follow")
    if not _pending(handler).is_pending(person, thing):
        if thing in following_of(handler, person):
            return Outcome(following_iri(person), None)  # accepted twice: once
        raise refusal(NotFound, "no_follow", "this person has not asked to follow you")

    def attempt() -> Outcome:
        following, etag = read_collection(handler, following_iri(person))
        outcome = _write(handler, thing, [], None, person, sorted({*following, thing}), etag)
        _pending(handler).forget(person, thing)
        return outcome

    return retrying(attempt)


@handles_object("Reject", "Follow")
def reject_follow(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """The remote actor refuses (or ends) the local person's follow; or a local person
    (`actor`) declines the request of a remote follower (`object`)."""
    if handler.is_local(activity.actor):
        if not follow_requests.decide(handler, activity.actor, activity.object, "rejected"):
            raise refusal(NotFound, "no_request", "nobody waits for this answer")
        if handler.is_local(activity.object):  # nothing to tell another server
            follow_requests.withdraw(handler, activity.actor, activity.object)
        return Outcome(followers_iri(activity.actor), None)
    thing, person = activity.actor, activity.object
    _pending(handler).forget(person, thing)

    def attempt() -> Outcome:
        following, etag = read_collection(handler, following_iri(person))
        if thing not in following:
            return Outcome(following_iri(person), None)
        return _write(handler, thing, [], None, person,
                      [f for f in following if f != thing], etag)

    return retrying(attempt)


def _approve(handler: ActivityHandler, person: str, follower: str) -> Outcome:
    """The person approves a waiting follower: it joins the person's followers (and the
    person joins a local follower's following)."""
    if follow_requests.state_of(handler, person, follower) != "pending":
        raise refusal(NotFound, "no_request", "nobody waits for this answer")

    def attempt() -> Outcome:
        followers, etag = read_collection(handler, followers_iri(person))
        following, following_etag = ((read_collection(handler, following_iri(follower)))
                                     if handler.is_local(follower) else ([], None))
        outcome = _write(handler, person, sorted({*followers, follower}), etag,
                         follower, sorted({*following, person}), following_etag)
        if handler.is_local(follower):  # nothing to tell another server
            follow_requests.withdraw(handler, person, follower)
        else:
            follow_requests.decide(handler, person, follower, "accepted")
        return outcome

    return retrying(attempt)


@handles("Block")
def block(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """A remote actor blocks a local person: neither follows the other any more."""
    blocker, person = activity.actor, activity.object
    if handler.is_local(blocker) or not handler.is_local(person):
        raise refusal(Invalid, "cannot_block", "local blocks are personal filters, "
                      "see federation.moderation")
    _pending(handler).forget(person, blocker)

    def attempt() -> Outcome:
        followers, followers_etag = read_collection(handler, followers_iri(person))
        following, following_etag = read_collection(handler, following_iri(person))
        if blocker not in followers and blocker not in following:
            return Outcome(followers_iri(person), None)
        their, mine = followers_iri(person), following_iri(person)
        replace, guard = {}, {}
        if blocker in followers:
            replace[their] = graph_to_ntriples(collection_graph(
                their, [f for f in followers if f != blocker]))
            guard[their] = followers_etag
        if blocker in following:
            replace[mine] = graph_to_ntriples(collection_graph(
                mine, [f for f in following if f != blocker]))
            guard[mine] = following_etag
        handler.store.write(Write(replace=replace, expect_etags=guard))
        return Outcome(their, None)

    return retrying(attempt)


@handles("Move")
def move(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """A remote actor moved to `target` (the inbox checked that the new actor names the
    old one in alsoKnownAs): whoever followed the old IRI here now asks to follow the
    new one, and the old IRI leaves the follow lists."""
    old, new = activity.actor, activity.target or ""
    if handler.is_local(old) or not new or handler.is_local(new) or new == old:
        raise refusal(Invalid, "cannot_move", "a Move names a remote actor's new IRI")
    rows = handler.store.select(query("lists_holding", actor=URIRef(old)))
    for row in rows:
        name = str(row["list"])
        if not name.endswith("/following") or not handler.is_local(name):
            continue
        person = name.removesuffix("/following")
        reject_follow(handler, Activity("Reject", old, person, content="Follow"), now)
        if new not in following_of(handler, person) and not is_pending(handler, person, new):
            try:  # the person's own Follow, applied (and so sent) as if they had clicked
                handler.apply(Activity("Follow", person, new), now)
            except ActivityRefused:
                continue  # the person blocks the new account, or is gone
    return Outcome(old, None)
