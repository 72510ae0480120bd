"""Following anything: Follow a person, organization, project, event or territory; Undo
(with content "Follow") to stop.

Follows are public and kept as ActivityPub-style collections, one graph each:
`{thing}/followers` lists who follows the thing, `{person}/following` what the person
follows (the follow list on the follower's side). A Follow or its Undo changes both graphs
in one atomic write, under preconditions on both (retried when somebody else wrote).
"""

from __future__ import annotations

from datetime import datetime

from rdflib.namespace import RDF

from federation.activities import _EXTRA_HANDLERS, Activity, ActivityHandler, Outcome, handles
from federation.errors import Conflict, Invalid, NotFound
from federation.handlers.memberships import (
    collection_graph,
    local_container,
    precondition,
    read_collection,
    refusal,
    require_person,
    resource_head,
    retrying,
)
from ontology import TERRITORY_CLASSES
from store.base import Write
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
    their, mine = followers_iri(thing), following_iri(person)
    guard_theirs, guard_mine = precondition(their, followers_etag), precondition(mine,
                                                                               following_etag)
    handler.store.write(Write(
        replace={their: graph_to_ntriples(collection_graph(their, followers)),
                 mine: graph_to_ntriples(collection_graph(mine, following))},
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

    def attempt() -> Outcome:
        _followable(handler, thing)
        followers, followers_etag = read_collection(handler, followers_iri(thing))
        following, following_etag = read_collection(handler, following_iri(person))
        if person in followers:
            raise refusal(Conflict, "already_following", "you follow this already")
        return _write(handler, thing, sorted([*followers, person]), followers_etag,
                      person, sorted({*following, thing}), following_etag)

    return retrying(attempt)


_previous_undo = _EXTRA_HANDLERS.get("Undo")


@handles("Undo")
def undo(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """Undo of a Follow (object: what was followed; content "Follow"); other Undos go to
    the handler registered before this module, if any."""
    if activity.content not in (None, "", "Follow"):
        if _previous_undo is not None:
            return _previous_undo(handler, activity, now)
        raise refusal(Invalid, "cannot_undo", f"cannot undo a {activity.content} here")
    thing, person = activity.object, activity.actor

    def attempt() -> Outcome:
        followers, followers_etag = read_collection(handler, followers_iri(thing))
        following, following_etag = read_collection(handler, following_iri(person))
        if person not in followers and thing not in following:
            if activity.content != "Follow" and _previous_undo is not None:
                return _previous_undo(handler, activity, now)
            raise refusal(Conflict, "not_following", "you do not follow this")
        return _write(handler, thing, [f for f in followers if f != person], followers_etag,
                      person, [f for f in following if f != thing], following_etag)

    return retrying(attempt)
