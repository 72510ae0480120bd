"""Fan-out: every applied activity of a local actor that other servers should hear of
becomes ActivityStreams activities queued for delivery (never POSTed in the request).

An observer of federation.activities (`on_applied`), so that a form, LDP and every other
path are covered by the one write path. What goes out:

- Create / Update of a local object (Note, Event, Question, Place, Page…): the object as
  GET serves it (federation.as2.object_document), in a Create or Update by its author,
  addressed as the object is (Public; the followers of the author and of the wall it is
  on; mentioned and replied-to actors). A Create on the wall of an organization that acts
  as a group is also Announced by that organization to its followers (FEP-1b12); a vote
  makes the poll's author send Update{Question} with the new counts.
- Update of a local actor (a profile, an organization): Update{actor} by the actor itself.
- Delete: a Tombstone, by the object's author (also when a moderator deleted it), to the
  author's followers.
- Like, Announce, Follow, Join, Leave and their Undo: to the owner of the object (when
  remote) and, for Announce, to the actor's followers. A Like or Announce applied again
  (the handler keeps one) sends nothing until its Undo.
- A local reply to a remote post (Create{Note inReplyTo}) also goes to that post's author
  (cc), as cached, when the reply did not name them.

Recipients are resolved once, in the request, by federation.delivery.recipients from the
cached graphs of remote actors: one POST per shared inbox, else per inbox; local
recipients, rejected domains and actors the sender blocks get nothing. A write that
concerns nobody elsewhere is recognised before any document is built (`_nobody_remote`).
Activities of remote actors applied from our inboxes are never sent back out; the inbox
calls `fan_out` itself when a remote vote changes a local poll's counts. What was sent is
remembered in the private store by federation/outbound_records.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from rdflib import URIRef

from federation import outbound_records as records
from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.delivery import DeliveryQueue
from federation.delivery.recipients import recipients
from ontology import AS, CC, DCTERMS, RDF
from store.moments import utc_iso
from store.private import PrivateStore
from store.queries import query

logger = logging.getLogger(__name__)

ACTOR_TYPES = {"Person", "Organization", "Group", "Application", "Service"}
REACTIONS = ("Like", "Announce", "Follow", "Join", "Leave")
#: Reactions that stand until undone: applying one again changes nothing and sends nothing.
ONCE = ("Like", "Announce")
_AUDIENCE = (AS.to, AS.cc, AS.bto, AS.bcc, AS.audience, AS.inReplyTo)


@dataclass
class Wiring:
    """What the observer needs of one platform beyond its handler."""

    queue: Callable[[], DeliveryQueue]
    private: PrivateStore | None = None
    wake: Callable[[], None] | None = None


_WIRED: WeakKeyDictionary[ActivityHandler, Wiring] = WeakKeyDictionary()


def wire(handler: ActivityHandler, queue: Callable[[], DeliveryQueue],
         private: PrivateStore | None = None, wake: Callable[[], None] | None = None) -> None:
    """Turns fan-out on for one platform's handler (web/deliveries.py does it at start)."""
    if private is not None:
        private.ensure_schema(records.SCHEMA)
    _WIRED[handler] = Wiring(queue, private, wake)


@on_applied
def fan_out(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    wiring = _WIRED.get(handler)
    if wiring is None or not _local(handler, activity.actor):
        return
    queued = 0
    try:
        for document, signer in outgoing(handler, activity, wiring.private):
            inboxes = recipients(handler, document, signer, wiring.private)
            if inboxes:
                queued += wiring.queue().enqueue_many((inbox, document, signer)
                                                      for inbox in inboxes)
                created = document.get("object")
                if document.get("type") == "Create" and isinstance(created, dict):
                    made = str(created.get("id"))
                    records.record(wiring.private, signer, "Create", made, document["id"])
                    for who in _remote_addressees(handler, created):
                        records.record(wiring.private, who, "Addressed", made, document["id"])
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # also a Rust panic from a library: the write stands, logged
        logger.exception("fan-out of %s %s failed", activity.type, activity.object)
    if queued and wiring.wake is not None:
        wiring.wake()


# --- what goes out ----------------------------------------------------------------------


def outgoing(handler: ActivityHandler, activity: Activity,
             private: PrivateStore | None = None) -> list[tuple[dict[str, Any], str]]:
    """The activities to deliver for one applied local activity, with who signs each."""
    if activity.type in ("Create", "Update"):
        return _created_or_updated(handler, activity, private)
    if activity.type == "Delete":
        return _deleted(handler, activity, private)
    if activity.type in REACTIONS or activity.type == "Undo":
        return _reaction(handler, activity, private)
    return []


def _created_or_updated(handler: ActivityHandler, activity: Activity,
                        private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    from federation.as2 import activity_id, create_activity, object_document

    if not _local(handler, activity.object) or _nobody_remote(handler, activity):
        return []
    document = object_document(handler.store, handler.base_url, activity.object, private)
    if document is None or _types(document) & {"Tombstone"}:
        return []
    _address_remote_parent(handler, document)
    context = document.get("@context")
    body = {k: v for k, v in document.items() if k != "@context"}
    now = datetime.now(UTC)
    if _types(document) & ACTOR_TYPES:
        if activity.type != "Update":
            return []  # a new actor has no followers yet
        actor = body["id"]
        return [({"@context": context, "id": _timed(activity_id("Update", actor, actor, now), now),
                  "type": "Update", "actor": actor, "object": body, "published": utc_iso(now),
                  "to": [_public()], "cc": [f"{actor}/followers"]}, actor)]
    author = _local_author(handler, body) or activity.actor
    if activity.type == "Create":
        created = {"@context": context, **create_activity(document, author)}
        return [(created, author), *_group_announces(handler, body, author),
                *_poll_update(handler, body, private)]
    identifier = _timed(activity_id("Update", author, body["id"], now), now)
    updated = {"@context": context, "id": identifier, "type": "Update", "actor": author,
               "object": body, "published": utc_iso(now),
               "to": body.get("to") or [_public()], "cc": body.get("cc") or []}
    return [(updated, author)]


def _address_remote_parent(handler: ActivityHandler, body: dict[str, Any]) -> None:
    """A local reply to a remote post goes to that post's author too (Mastodon files a
    reply under its post only when it reaches its author): the cached post's owner is
    added to cc when the reply did not name them (a reply written over LDP)."""
    parent = body.get("inReplyTo")
    if not isinstance(parent, str) or _local(handler, parent):
        return
    owner = _remote_owner(handler, parent)
    if not owner or _local(handler, owner):
        return
    cc = body.get("cc") or []
    cc = cc if isinstance(cc, list) else [cc]
    if owner not in cc and owner not in (body.get("to") or []):
        body["cc"] = [*cc, owner]


def _nobody_remote(handler: ActivityHandler, activity: Activity) -> bool:
    """A cheap look before building any document (most writes concern nobody elsewhere):
    no remote actor among the addressees, replied-to or mentioned of the written graph,
    and no remote follower of the actor, the object, its authors or its wall. Votes
    (which concern the poll's author's followers) and writes without a graph always get
    the full treatment."""
    graph = activity.graph
    if graph is None:
        return False
    subject = URIRef(activity.object)
    if (subject, CC.voteOn, None) in graph:
        return False
    for predicate in _AUDIENCE:
        for value in graph.objects(subject, predicate):
            if isinstance(value, URIRef) and not _local(handler, str(value)) \
                    and not str(value).endswith("#Public"):
                return False
    for tag in graph.objects(subject, AS.tag):
        if (tag, RDF.type, AS.Mention) in graph:
            for href in graph.objects(tag, AS.href):
                if not _local(handler, str(href)):
                    return False
    concerned = {activity.actor, activity.object}
    for predicate in (AS.attributedTo, DCTERMS.creator, CC.wall):
        concerned |= {str(v) for v in graph.objects(subject, predicate)}
    items = f"<{AS.items}>"
    for who in concerned:
        if not _local(handler, who):
            continue
        text = handler.store.graph(f"{who}/followers") or ""
        for line in text.splitlines():
            if items in line:
                follower = line.rstrip(" .").rsplit("<", 1)[-1].rstrip(">")
                if not _local(handler, follower):
                    return False
    return True


def _group_announces(handler: ActivityHandler, body: dict[str, Any],
                     author: str) -> list[tuple[dict[str, Any], str]]:
    """FEP-1b12: an organization whose members post through it (or a project) announces
    what is posted on its wall to its own followers. The wall is the organization or
    project whose followers the object is addressed to."""
    from federation.actors import acts_as_group
    from federation.as2 import CONTEXT, activity_id
    from federation.resources import graph_from_ntriples

    cc = body.get("cc") or []
    suffix = "/followers"
    walls = [c[:-len(suffix)] for c in (cc if isinstance(cc, list) else [cc])
             if isinstance(c, str) and c.endswith(suffix) and _local(handler, c)
             and ("/organizations/" in c or "/projects/" in c)]
    found = []
    for group in dict.fromkeys(w for w in walls if w != author):
        if "/organizations/" in group:
            text = handler.store.graph(group)
            node = graph_from_ntriples(text).value(URIRef(group), DCTERMS.creator) \
                if text else None
            if not acts_as_group(handler.store, group, str(node) if node else None):
                continue
        found.append(({"@context": CONTEXT, "id": activity_id("Announce", group, body["id"]),
                       "type": "Announce", "actor": group, "object": body["id"],
                       "published": body.get("published") or utc_iso(datetime.now(UTC)),
                       "to": [_public()], "cc": [f"{group}/followers"]}, group))
    return found


def _poll_update(handler: ActivityHandler, body: dict[str, Any],
                 private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    """A vote (a Note named after an option, answering a Question): the poll's author
    sends the Question again with its new counts, as Mastodon does, so that followers'
    servers show the current results."""
    from federation.as2 import activity_id, object_document

    parent = body.get("inReplyTo")
    if not isinstance(parent, str) or not body.get("name") or body.get("content"):
        return []
    if not _local(handler, parent):
        return []
    question = object_document(handler.store, handler.base_url, parent, private)
    if question is None or "Question" not in _types(question):
        return []
    author = _local_author(handler, question)
    if author is None:
        return []
    now = datetime.now(UTC)
    inner = {k: v for k, v in question.items() if k != "@context"}
    return [({"@context": question.get("@context"),
              "id": _timed(activity_id("Update", author, parent, now), now), "type": "Update",
              "actor": author, "object": inner, "published": utc_iso(now),
              "to": inner.get("to") or [_public()], "cc": inner.get("cc") or []}, author)]


def _deleted(handler: ActivityHandler, activity: Activity,
             private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    """Delete{Tombstone} by the object's author, even when a moderator deleted it: other
    servers accept a Delete only from the actor who made the object."""
    from federation.as2 import CONTEXT, activity_id

    if not _local(handler, activity.object):
        return []
    actor = records.author_recorded(private, activity.object) or activity.actor
    addressed = records.addressed_recorded(private, activity.object)
    return [({"@context": CONTEXT, "id": activity_id("Delete", actor, activity.object),
              "type": "Delete", "actor": actor,
              "object": {"id": activity.object, "type": "Tombstone"},
              "to": [_public()], "cc": [f"{actor}/followers", *addressed]}, actor)]


def _reaction(handler: ActivityHandler, activity: Activity,
              private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    from federation.as2 import CONTEXT, activity_id

    actor, target, now = activity.actor, activity.object, datetime.now(UTC)
    kind = activity.type
    if kind == "Undo":
        undone = activity.content or ""
        if undone not in REACTIONS:
            return []  # an Undo of a local Like/Announce graph by its IRI: nothing remote
        inner_id = records.recorded(private, actor, undone, target) or activity_id(
            undone, actor, target)
        if undone in ONCE:  # a new Like after this Undo goes out
            records.forget(private, actor, undone, target)
        to, cc = _reaction_addressing(handler, undone, actor, target)
        inner = {"id": inner_id, "type": undone, "actor": actor, "object": target}
        return [({"@context": CONTEXT, "id": _timed(activity_id("Undo", actor, inner_id, now), now),
                  "type": "Undo", "actor": actor, "object": inner, "to": to, "cc": cc}, actor)]
    to, cc = _reaction_addressing(handler, kind, actor, target)
    if kind in ("Like", "Follow", "Join", "Leave") and not any(
            not _local(handler, a) for a in to):
        return []  # nobody remote to tell
    if kind in ONCE and records.recorded(private, actor, kind, target):
        return []  # liked (shared) already: the handler wrote nothing, nothing goes out
    identifier = _timed(activity_id(kind, actor, target, now), now)
    records.record(private, actor, kind, target, identifier)
    return [({"@context": CONTEXT, "id": identifier, "type": kind, "actor": actor,
              "object": target, "published": utc_iso(now), "to": to, "cc": cc}, actor)]


def _reaction_addressing(handler: ActivityHandler, kind: str, actor: str,
                         target: str) -> tuple[list[str], list[str]]:
    if kind == "Follow":
        return [target], []
    owner = target if _local(handler, target) else _remote_owner(handler, target)
    owner = owner if owner and not _local(handler, owner) else None
    if kind == "Announce":
        return [_public()], [f"{actor}/followers", *([owner] if owner else [])]
    return ([owner] if owner else []), []


# --- small helpers ------------------------------------------------------------------------


def _local(handler: ActivityHandler, iri: str | None) -> bool:
    return bool(iri) and (iri == handler.base_url or str(iri).startswith(handler.base_url + "/"))


def _types(document: dict[str, Any]) -> set[str]:
    kind = document.get("type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


def _public() -> str:
    from federation.as2 import PUBLIC

    return PUBLIC


def _timed(identifier: str, moment: datetime) -> str:
    """A time-stamped activity id made unique below the second: two Updates of a poll, or
    a Follow, its Undo and a new Follow within one second are distinct activities (the
    queue delivers each id once per inbox)."""
    return f"{identifier}.{moment.microsecond:06d}"




def _local_author(handler: ActivityHandler, body: dict[str, Any]) -> str | None:
    value = body.get("attributedTo")
    for item in value if isinstance(value, list) else [value]:
        iri = item.get("id") if isinstance(item, dict) else item
        if isinstance(iri, str) and _local(handler, iri):
            return iri
    return None


def _remote_owner(handler: ActivityHandler, target: str) -> str | None:
    try:
        rows = handler.store.select(query("delivery_object_owner", object=URIRef(target)))
    except ValueError:
        return None
    return str(rows[0]["owner"]) if rows else None


def _remote_addressees(handler: ActivityHandler, created: dict[str, Any]) -> list[str]:
    """The remote actors a created object was addressed to by name (the author of the
    post it answers, those it mentions): its Delete must reach them too."""
    from federation.as2 import is_public

    found = []
    for field in ("to", "cc"):
        value = created.get(field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith(("http://", "https://")) \
                    and not _local(handler, item) and not is_public(item):
                found.append(item)
    return list(dict.fromkeys(found))
