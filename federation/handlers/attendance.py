"""Attending events, Mobilizon-style: Join an Event to attend it, Leave it to stop.

Attendance is public and kept in one graph per event, `{event}/attendees` (an
ActivityStreams collection, plus `<event> schema:attendee <person>`), never in the event's
own graph. A Join is refused when the event is full: the number of attendees is checked
against schema:maximumAttendeeCapacity in the same atomic write that adds the person, with
preconditions on both the attendee list and the event, so two people cannot take the last
seat together. The Join and Leave activity types are registered by memberships.py, which
sends events here.
"""

from __future__ import annotations

from datetime import datetime

from rdflib import Graph, URIRef

from federation.activities import Activity, ActivityHandler, Outcome
from federation.errors import Conflict, Invalid
from federation.handlers.memberships import (
    Head,
    collection_graph,
    local_container,
    precondition,
    read_collection,
    refusal,
    require_person,
    resource_head,
    retrying,
)
from ontology import SCHEMA
from store.base import Write
from store.terms import graph_to_ntriples


def attendees_iri(event: str) -> str:
    return f"{event}/attendees"


def capacity_of(graph: Graph | Head, event: str) -> int | None:
    if isinstance(graph, Head):
        value: object = graph.first(SCHEMA.maximumAttendeeCapacity)
    else:
        value = graph.value(URIRef(event), SCHEMA.maximumAttendeeCapacity)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def attendees_of(handler: ActivityHandler, event: str) -> list[str]:
    return read_collection(handler, attendees_iri(event))[0]


def _event(handler: ActivityHandler, iri: str) -> Head:
    if local_container(handler, iri) != "events":
        raise refusal(Invalid, "not_an_event", "only events of this instance can be attended")
    return resource_head(handler, iri)


def _write(handler: ActivityHandler, event: str, event_etag: str, people: list[str],
           etag: str | None) -> Outcome:
    collection = attendees_iri(event)
    graph = collection_graph(collection, people)
    for person in people:
        graph.add((URIRef(event), SCHEMA.attendee, URIRef(person)))
    guard = precondition(collection, etag)
    guard.setdefault("expect_etags", {})[event] = event_etag
    handler.store.write(Write(replace={collection: graph_to_ntriples(graph)}, **guard))
    stored = handler.store.graph_with_etag(collection)
    return Outcome(collection, stored[1] if stored else None)


def attend(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    require_person(handler, activity.actor)
    event, actor = activity.object, activity.actor

    def attempt() -> Outcome:
        head = _event(handler, event)
        people, etag = read_collection(handler, attendees_iri(event))
        if actor in people:
            raise refusal(Conflict, "already_attending", "you attend this event already")
        capacity = capacity_of(head, event)
        if capacity is not None and len(people) >= capacity:
            raise refusal(Conflict, "event_full",
                          f"this event is full ({capacity} places, all taken)")
        return _write(handler, event, head.etag, sorted([*people, actor]), etag)

    return retrying(attempt)


def stop_attending(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    event, actor = activity.object, activity.actor

    def attempt() -> Outcome:
        head = _event(handler, event)
        people, etag = read_collection(handler, attendees_iri(event))
        if actor not in people:
            raise refusal(Conflict, "not_attending", "you do not attend this event")
        return _write(handler, event, head.etag, [p for p in people if p != actor], etag)

    return retrying(attempt)


def _attendee_may_post(handler: ActivityHandler, actor: str, wall: str) -> bool:
    """Attendees may write on an event's wall."""
    return local_container(handler, wall) == "events" and actor in attendees_of(handler, wall)


try:  # the posts module's wall rule, when present, accepts attendees on event walls
    from federation.handlers.social import wall_members_provider
except ImportError:  # pragma: no cover (the posts module is built alongside)
    pass
else:
    wall_members_provider(_attendee_may_post)
