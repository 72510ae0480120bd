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
  remote) and, for Announce, to the actor's followers.

Recipients are resolved once, here, from the cached graphs of remote actors (their
`ldp:inbox` and `as:endpoints/as:sharedInbox`): one POST per shared inbox, else per inbox;
local recipients, rejected domains and actors the sender blocks get nothing. Activities of
remote actors applied from our inboxes are never sent back out.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from rdflib import URIRef

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.delivery import DeliveryQueue, host_of
from ontology import CC, DCTERMS
from store.private import PrivateStore
from store.queries import query

logger = logging.getLogger(__name__)

ACTOR_TYPES = {"Person", "Organization", "Group", "Application", "Service"}
REACTIONS = ("Like", "Announce", "Follow", "Join", "Leave")
ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbound_reactions (
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (actor, kind, object)
);
CREATE INDEX IF NOT EXISTS outbound_reactions_object ON outbound_reactions (object, kind);
"""


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
        private.ensure_schema(SCHEMA)
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

    if not _local(handler, activity.object):
        return []
    document = object_document(handler.store, handler.base_url, activity.object, private)
    if document is None or _types(document) & {"Tombstone"}:
        return []
    context = document.get("@context")
    body = {k: v for k, v in document.items() if k != "@context"}
    now = datetime.now(UTC)
    if _types(document) & ACTOR_TYPES:
        if activity.type != "Update":
            return []  # a new actor has no followers yet
        actor = body["id"]
        return [({"@context": context, "id": activity_id("Update", actor, actor, now),
                  "type": "Update", "actor": actor, "object": body, "published": _iso(now),
                  "to": [_public()], "cc": [f"{actor}/followers"]}, actor)]
    author = _local_author(handler, body) or activity.actor
    if activity.type == "Create":
        created = {"@context": context, **create_activity(document, author)}
        _record(private, author, "Create", body["id"], created["id"])
        return [(created, author), *_group_announces(handler, body, author),
                *_poll_update(handler, body, private)]
    updated = {"@context": context, "id": activity_id("Update", author, body["id"], now),
               "type": "Update", "actor": author, "object": body, "published": _iso(now),
               "to": body.get("to") or [_public()], "cc": body.get("cc") or []}
    return [(updated, author)]


def _group_announces(handler: ActivityHandler, body: dict[str, Any],
                     author: str) -> list[tuple[dict[str, Any], str]]:
    """FEP-1b12: an organization whose members post through it announces what is posted
    on its wall to its own followers."""
    from federation.actors import acts_as_group
    from federation.as2 import CONTEXT, activity_id

    text = handler.store.graph(body["id"])
    if not text:
        return []
    from federation.resources import graph_from_ntriples

    graph = graph_from_ntriples(text)
    wall = graph.value(URIRef(body["id"]), CC.wall)
    if wall is None or str(wall) == author or not _local(handler, str(wall)):
        return []
    group = str(wall)
    if "/organizations/" not in group and "/projects/" not in group:
        return []
    wall_text = handler.store.graph(group)
    creator = None
    if wall_text:
        creator_node = graph_from_ntriples(wall_text).value(URIRef(group), DCTERMS.creator)
        creator = str(creator_node) if creator_node is not None else None
    if "/organizations/" in group and not acts_as_group(handler.store, group, creator):
        return []
    announce = {"@context": CONTEXT, "id": activity_id("Announce", group, body["id"]),
                "type": "Announce", "actor": group, "object": body["id"],
                "published": body.get("published") or _iso(datetime.now(UTC)),
                "to": [_public()], "cc": [f"{group}/followers"]}
    return [(announce, group)]


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
              "id": activity_id("Update", author, parent, now), "type": "Update",
              "actor": author, "object": inner, "published": _iso(now),
              "to": inner.get("to") or [_public()], "cc": inner.get("cc") or []}, author)]


def _deleted(handler: ActivityHandler, activity: Activity,
             private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    """Delete{Tombstone} by the object's author, even when a moderator deleted it: other
    servers accept a Delete only from the actor who made the object."""
    from federation.as2 import CONTEXT, activity_id

    if not _local(handler, activity.object):
        return []
    actor = _author_recorded(private, activity.object) or activity.actor
    return [({"@context": CONTEXT, "id": activity_id("Delete", actor, activity.object),
              "type": "Delete", "actor": actor,
              "object": {"id": activity.object, "type": "Tombstone"},
              "to": [_public()], "cc": [f"{actor}/followers"]}, actor)]


def _reaction(handler: ActivityHandler, activity: Activity,
              private: PrivateStore | None) -> list[tuple[dict[str, Any], str]]:
    from federation.as2 import CONTEXT, activity_id

    actor, target, now = activity.actor, activity.object, datetime.now(UTC)
    kind = activity.type
    if kind == "Undo":
        undone = activity.content or ""
        if undone not in REACTIONS:
            return []  # an Undo of a local Like/Announce graph by its IRI: nothing remote
        inner_id = _recorded(private, actor, undone, target) or activity_id(undone, actor, target)
        to, cc = _reaction_addressing(handler, undone, actor, target)
        inner = {"id": inner_id, "type": undone, "actor": actor, "object": target}
        return [({"@context": CONTEXT, "id": activity_id("Undo", actor, inner_id, now),
                  "type": "Undo", "actor": actor, "object": inner, "to": to, "cc": cc}, actor)]
    to, cc = _reaction_addressing(handler, kind, actor, target)
    if kind in ("Like", "Follow", "Join", "Leave") and not any(
            not _local(handler, a) for a in to):
        return []  # nobody remote to tell
    identifier = activity_id(kind, actor, target, now)
    _record(private, actor, kind, target, identifier)
    return [({"@context": CONTEXT, "id": identifier, "type": kind, "actor": actor,
              "object": target, "published": _iso(now), "to": to, "cc": cc}, actor)]


def _reaction_addressing(handler: ActivityHandler, kind: str, actor: str,
                         target: str) -> tuple[list[str], list[str]]:
    if kind == "Follow":
        return [target], []
    owner = target if _local(handler, target) else _remote_owner(handler, target)
    owner = owner if owner and not _local(handler, owner) else None
    if kind == "Announce":
        return [_public()], [f"{actor}/followers", *([owner] if owner else [])]
    return ([owner] if owner else []), []


# --- who receives it ----------------------------------------------------------------------


def recipients(handler: ActivityHandler, document: dict[str, Any], signer: str,
               private: PrivateStore | None = None) -> list[str]:
    """The inboxes to POST `document` to: one per shared inbox, else per inbox."""
    from federation.as2 import is_public

    audience = list(dict.fromkeys(_addresses(document)))
    public = any(is_public(a) for a in audience)
    collections = [a for a in audience if _local(handler, a) and a.endswith("/followers")]
    actors = [a for a in audience if not _local(handler, a) and not is_public(a)
              and a.startswith(("http://", "https://"))]
    found: dict[str, str] = {}  # remote actor → where it gets this activity
    if collections:
        for row in handler.store.select(query("delivery_follower_inboxes",
                                              collections=[URIRef(c) for c in collections])):
            who = str(row["actor"])
            shared = row.get("shared")
            found.setdefault(who, str(shared) if shared is not None else str(row["inbox"]))
    if actors:
        for row in handler.store.select(query("delivery_actor_inboxes",
                                              actors=[URIRef(a) for a in actors])):
            who = str(row["actor"])
            shared = row.get("shared")
            use = str(shared) if public and shared is not None else str(row["inbox"])
            found.setdefault(who, use)
    return sorted(_allowed(handler, found, signer, private))


def _allowed(handler: ActivityHandler, found: dict[str, str], signer: str,
             private: PrivateStore | None) -> set[str]:
    blocked: set[str] = set()
    policy: Callable[[str], str | None] | None = None
    matches: Callable[[set[str], str], bool] | None = None
    if private is not None:
        try:
            from federation import moderation
        except ImportError:  # pragma: no cover (moderation not installed)
            moderation = None  # type: ignore[assignment]
        if moderation is not None:
            blocked = moderation.blocks(private, signer)
            matches = moderation.matches

            def policy(host: str) -> str | None:
                return moderation.domain_policy(private, host)

    inboxes: set[str] = set()
    verdicts: dict[str, bool] = {}
    for actor, inbox in found.items():
        if _local(handler, actor) or _local(handler, inbox):
            continue
        if blocked and matches is not None and matches(blocked, actor):
            continue
        try:
            host = host_of(inbox)
        except ValueError:
            continue
        if host not in verdicts:
            verdicts[host] = policy is None or policy(host) != "reject"
        if verdicts[host]:
            inboxes.add(inbox)
    return inboxes


def _addresses(document: dict[str, Any]) -> Iterable[str]:
    for field in ADDRESS_FIELDS:
        value = document.get(field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                yield item
            elif isinstance(item, dict) and isinstance(item.get("id"), str):
                yield item["id"]


# --- small helpers ------------------------------------------------------------------------


def _local(handler: ActivityHandler, iri: str | None) -> bool:
    return bool(iri) and (iri == handler.base_url or str(iri).startswith(handler.base_url + "/"))


def _types(document: dict[str, Any]) -> set[str]:
    kind = document.get("type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


def _public() -> str:
    from federation.as2 import PUBLIC

    return PUBLIC


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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


def _record(private: PrivateStore | None, actor: str, kind: str, target: str,
            identifier: str) -> None:
    """Keeps the id of the last Like/Follow/… sent, so that its Undo names it exactly, and
    who created each object, so that its Delete comes from its author."""
    if private is None:
        return
    try:
        with private.connection() as db:
            db.execute("INSERT OR REPLACE INTO outbound_reactions VALUES (?, ?, ?, ?)",
                       (actor, kind, target, identifier))
    except sqlite3.Error as error:
        logger.warning("could not record %s %s: %s", kind, identifier, error)


def _author_recorded(private: PrivateStore | None, target: str) -> str | None:
    """Who created a local object, as its Create was sent (the object itself is gone)."""
    if private is None:
        return None
    row = private.connection().execute(
        "SELECT actor FROM outbound_reactions WHERE kind = 'Create' AND object = ?",
        (target,)).fetchone()
    return row[0] if row else None


def _recorded(private: PrivateStore | None, actor: str, kind: str, target: str) -> str | None:
    if private is None:
        return None
    row = private.connection().execute(
        "SELECT id FROM outbound_reactions WHERE actor = ? AND kind = ? AND object = ?",
        (actor, kind, target)).fetchone()
    return row[0] if row else None
