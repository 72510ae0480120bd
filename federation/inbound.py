"""Activities from other servers: checked, translated into `Activity`s, applied by the
same ActivityHandler and handlers as local writes.

The web layer (web/inbox.py) has verified the HTTP signature and that its key belongs to
the activity's actor; `Inbound.receive(document, actor)` does the rest:

* the activity must carry an id, a type and an actor, all on the actor's host;
* idempotence: an activity id already applied is not applied again (private table
  `inbound_activities`, written only once an activity was applied; it also remembers
  what each activity was about, for an Undo that names only the id);
* objects claiming another host's id (a Create of somebody else's Note) are refused;
* addressing: a Note is kept only when it is public (to, cc or audience name the Public
  collection, in any spelling), so that a followers-only or direct reply never becomes a
  public comment; bto and bcc are read, never stored;
* what needs an answer (Accept of a Follow, of a Join) is queued for delivery (C3), never
  sent while the sender waits.

What each type does is in federation/inbound_actions.py (one function per type);
anything else is ignored (and logged), with a 202 like the rest, as ActivityPub servers
do.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.errors import ActivityRefused, Conflict
from federation.inbound_parse import (
    audience,
    first_type,
    id_of,
    same_host,
    without_blind_copies,
)
from federation.remote import RemoteError, RemoteObjects
from store.private import PrivateStore

logger = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_activities (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    object TEXT,
    received TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_activities_received ON inbound_activities (received);
"""
KEEP_SEEN = timedelta(days=30)
Enqueue = Callable[[str, dict[str, Any], str], None]


class InboundRefused(Exception):
    """The activity is refused; `status` is the HTTP answer (4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Inbound:
    handler: ActivityHandler
    remote: RemoteObjects
    private: PrivateStore
    enqueue: Enqueue | None = None

    def __post_init__(self) -> None:
        self.private.ensure_schema(SCHEMA)
        _INBOUNDS[self.handler] = self

    # --- entry point --------------------------------------------------------------------

    def check(self, document: dict[str, Any], actor: str) -> tuple[str, str]:
        """(id, type) of the activity, refused (`InboundRefused`) when it lacks them or
        when its id or actor does not belong to `actor`'s host (cheap, before signature
        checks)."""
        activity_id, kind = id_of(document), first_type(document)
        if not activity_id or not kind:
            raise InboundRefused(400, "an activity needs an id and a type")
        if id_of(document.get("actor")) != actor:
            raise InboundRefused(401, "the activity's actor is not the signer")
        if not same_host(activity_id, actor):
            raise InboundRefused(400, "the activity's id is not on its actor's host")
        return activity_id, kind

    def receive(self, document: dict[str, Any], actor: str,
                actor_document: dict[str, Any] | None = None) -> str:
        """Applies one activity from `actor` (already authenticated); returns what was
        done ("applied", "duplicate", "ignored: why"); `InboundRefused` for a 4xx.

        `actor_document`: the sender's actor document when it was just fetched (with its
        key); it is cached (its handle, its inbox) only once the activity is accepted, so
        that a refused activity leaves nothing behind."""
        activity_id, kind = self.check(document, actor)
        document = without_blind_copies_kept_for_addressing(document)
        document["_actor"] = actor_document
        if self.seen(activity_id) is not None:
            return "duplicate"
        from federation.inbound_actions import DISPATCH

        action = DISPATCH.get(kind)
        if action is None:
            logger.info("ignored %s %s from %s: unsupported type", kind, activity_id, actor)
            return f"ignored: {kind} activities are not supported"
        try:
            result = action(self, document, actor)
        except Conflict as error:  # done already (following already…): idempotent
            result = f"applied already: {error.message}"
        except ActivityRefused as error:
            raise InboundRefused(error.status if 400 <= error.status < 500 else 400,
                                 error.message) from error
        if result.startswith("ignored"):
            logger.info("%s %s from %s %s", kind, activity_id, actor, result)
            return result
        self._record(activity_id, kind, actor, id_of(document.get("object")))
        self.keep_actor(actor, actor_document)
        return result

    def keep_actor(self, actor: str, document: dict[str, Any] | None) -> None:
        """Caches the sender's actor document (fetched with its key) in the public store."""
        try:
            if document is not None:
                self.remote.cache(document)
            elif self.handler.store.graph(actor) is None:
                self.remote.fetch(actor)
        except RemoteError as error:
            logger.info("actor %s not cached: %s", actor, error)

    # --- helpers for the actions ---------------------------------------------------------

    def apply(self, kind: str, actor: str, obj: str, **extra: Any) -> None:
        self.handler.apply(Activity(kind, actor, obj, **extra))

    def is_local(self, iri: str | None) -> bool:
        return bool(iri) and self.handler.is_local(iri or "")

    def seen(self, activity_id: str) -> tuple[str, str, str | None] | None:
        row = self.private.connection().execute(
            "SELECT type, actor, object FROM inbound_activities WHERE id = ?",
            (activity_id,)).fetchone()
        return (row[0], row[1], row[2]) if row is not None else None

    def _record(self, activity_id: str, kind: str, actor: str, obj: str | None) -> None:
        """Remembers an applied activity; now and then forgets those older than
        KEEP_SEEN (senders retry for days, not months)."""
        now = datetime.now(UTC)
        db = self.private.connection()
        with db:
            cursor = db.execute("INSERT OR IGNORE INTO inbound_activities "
                                "VALUES (?, ?, ?, ?, ?)",
                                (activity_id, kind, actor, obj, now.isoformat()))
            if cursor.lastrowid and cursor.lastrowid % 1000 == 0:
                db.execute("DELETE FROM inbound_activities WHERE received < ?",
                           ((now - KEEP_SEEN).isoformat(),))

    def own_object(self, document: dict[str, Any], actor: str) -> dict[str, Any]:
        """The activity's object as a document: embedded (when on the actor's host,
        vouched for by the signature) or fetched from its IRI. Refused when it claims
        another host's id."""
        value = document.get("object")
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        iri = id_of(value)
        if not iri:
            raise InboundRefused(400, "the activity has no object")
        if not same_host(iri, actor):
            raise InboundRefused(403, f"{actor} cannot speak for {iri} (another host)")
        if isinstance(value, dict) and len(value) > 2:
            return without_blind_copies(value)
        try:
            return self.remote.document(iri)
        except RemoteError as error:
            raise InboundRefused(400, f"cannot fetch the object: {error}") from error

    def answer(self, local: str, remote_actor: str, kind: str, answered: dict[str, Any],
               actor_document: dict[str, Any] | None = None) -> None:
        """Queues `kind` (Accept) of `answered` from the local actor to the remote one."""
        if self.enqueue is None:
            logger.warning("no delivery queue: %s of %s not sent", kind, id_of(answered))
            return
        inbox = id_of((actor_document or {}).get("inbox"))
        if inbox is None or not same_host(inbox, remote_actor):
            try:
                inbox, _shared = self.remote.inboxes(remote_actor)
            except RemoteError as error:
                logger.warning("%s not sent to %s: %s", kind, remote_actor, error)
                return
        digest = hashlib.sha256((id_of(answered) or "").encode()).hexdigest()[:16]
        activity = {"@context": AS_CONTEXT, "id": f"{local}#{kind.lower()}s/{digest}",
                    "type": kind, "actor": local, "object": answered, "to": [remote_actor]}
        self.enqueue(inbox, activity, local)


_INBOUNDS: WeakKeyDictionary[ActivityHandler, Inbound] = WeakKeyDictionary()


@on_applied
def answer_follow_requests(handler: ActivityHandler, activity: Activity,
                           outcome: Outcome) -> None:
    """When a person approves or declines a remote follower's request (federation/
    follow_requests.py), the follower's server is told: Accept or Reject of its Follow,
    queued for delivery."""
    if activity.type not in ("Accept", "Reject") or activity.content != "Follow" or \
            not handler.is_local(activity.actor) or handler.is_local(activity.object):
        return
    inbound = _INBOUNDS.get(handler)
    if inbound is None:
        return
    from federation import follow_requests

    decided = follow_requests.take_decided(handler, activity.actor, activity.object)
    if decided is not None and decided[1] is not None:
        inbound.answer(activity.actor, activity.object, activity.type, decided[1])


def without_blind_copies_kept_for_addressing(document: dict[str, Any]) -> dict[str, Any]:
    """The activity as it is processed: its addressing is read first (bto/bcc count for
    whom it is meant), then bto/bcc are dropped so that nothing stores them."""
    document = dict(document)
    document["_audience"] = sorted(audience(document))
    return without_blind_copies(document)


def _local_author(inbound: Inbound, iri: str) -> str | None:
    from federation.handlers.social import author_of
    from federation.resources import graph_from_ntriples

    found = inbound.handler.store.graph(iri)
    return author_of(graph_from_ntriples(found), iri) if found is not None else None
