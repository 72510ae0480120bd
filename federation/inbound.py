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

What each type does is listed in `_DISPATCH`'s functions below; anything else is
ignored (and logged), with a 202 like the rest, as ActivityPub servers do.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from federation.activities import Activity, ActivityHandler
from federation.errors import ActivityRefused, Conflict
from federation.inbound_parse import (
    audience,
    first_type,
    id_of,
    ids_of,
    is_public,
    same_host,
    text_of,
    types_of,
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
"""
NOTE_TYPES = {"Note", "Article", "Page", "Question", "Event", "Image", "Video", "Audio"}
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
        action = _DISPATCH.get(kind)
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
        db = self.private.connection()
        with db:
            db.execute("INSERT OR IGNORE INTO inbound_activities VALUES (?, ?, ?, ?, ?)",
                       (activity_id, kind, actor, obj, datetime.now(UTC).isoformat()))

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


# --- the activities ------------------------------------------------------------------------


def _follow(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    thing = id_of(document.get("object"))
    if not inbound.is_local(thing):
        return "ignored: a Follow of something that is not here"
    result = "applied"
    try:
        inbound.apply("Follow", actor, thing or "")
    except Conflict:
        result = "applied already"  # following already: accept again all the same
    follow = {k: v for k, v in document.items() if not k.startswith("_") and k != "@context"}
    inbound.answer(thing or "", actor, "Accept", follow, document.get("_actor"))
    return result


def _undo(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    inner = document.get("object")
    inner_id = id_of(inner)
    kind = first_type(inner)
    target = id_of(inner.get("object")) if isinstance(inner, dict) else None
    if (kind is None or target is None) and inner_id:
        seen = inbound.seen(inner_id)
        if seen is not None and seen[1] == actor:
            kind, target = seen[0], seen[2]
    if isinstance(inner, dict) and id_of(inner.get("actor")) not in (None, actor):
        raise InboundRefused(403, "one undoes only one's own activities")
    if kind not in ("Follow", "Like", "Announce", "Join") or not inbound.is_local(target):
        return f"ignored: an Undo of {kind or 'an unknown activity'}"
    if kind == "Join":
        inbound.apply("Leave", actor, target or "")
    else:
        inbound.apply("Undo", actor, target or "", content=kind)
    return "applied"


def _reaction(kind: str) -> Callable[[Inbound, dict[str, Any], str], str]:
    def react(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
        thing = id_of(document.get("object"))
        if not inbound.is_local(thing):
            return f"ignored: a {kind} of something that is not here"
        inbound.apply(kind, actor, thing or "")
        return "applied"

    return react


def _join(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    event = id_of(document.get("object"))
    if not inbound.is_local(event):
        return "ignored: a Join of something that is not here"
    inbound.apply("Join", actor, event or "")
    organizer = _local_author(inbound, event or "")
    if organizer is not None and inbound.is_local(organizer):
        join = {k: v for k, v in document.items() if not k.startswith("_") and k != "@context"}
        inbound.answer(organizer, actor, "Accept", join, document.get("_actor"))
    return "applied"


def _answer(kind: str) -> Callable[[Inbound, dict[str, Any], str], str]:
    """Accept / Reject of a local person's Follow of the remote actor."""

    def answer(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
        inner = document.get("object")
        person = id_of(inner.get("actor")) if isinstance(inner, dict) else None
        followed = id_of(inner.get("object")) if isinstance(inner, dict) else actor
        inner_type = first_type(inner) if isinstance(inner, dict) else "Follow"
        if person is None and id_of(inner):  # only the Follow's id: ours name their actor
            person = (id_of(inner) or "").split("#", 1)[0]
        if inner_type != "Follow" or followed != actor or not inbound.is_local(person):
            return f"ignored: a {kind} of something we did not ask"
        inbound.apply(kind, actor, person or "", content="Follow")
        return "applied"

    return answer


def _create(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    obj = inbound.own_object(document, actor)
    if not (set(types_of(obj)) & NOTE_TYPES):
        return f"ignored: a Create of {first_type(obj)}"
    if not is_public(document.get("_audience")) and not is_public(
            [*ids_of(obj.get("to")), *ids_of(obj.get("cc")), *ids_of(obj.get("audience"))]):
        return "ignored: not public (only public notes are kept)"
    if not _relevant(inbound, obj, actor):
        return "ignored: about nothing here, from nobody followed here"
    inbound.apply("Create", actor, id_of(obj) or "",
                  graph=_graph(inbound, obj, document.get("@context")))
    return "applied"


def _relevant(inbound: Inbound, obj: dict[str, Any], actor: str) -> bool:
    from federation.handlers.remote_objects import thread_root

    parent = id_of(obj.get("inReplyTo"))
    if parent and thread_root(inbound.handler, parent) is not None:
        return True
    named = {*ids_of(obj.get("to")), *ids_of(obj.get("cc"))}
    for tag in obj.get("tag") or [] if isinstance(obj.get("tag"), list) else [obj.get("tag")]:
        if isinstance(tag, dict) and isinstance(tag.get("href"), str):
            named.add(tag["href"])
    if any(inbound.is_local(name) for name in named):
        return True
    return _followed_here(inbound, actor)


def _followed_here(inbound: Inbound, actor: str) -> bool:
    return inbound.handler.store.ask(
        "ASK { GRAPH ?list { ?c <https://www.w3.org/ns/activitystreams#items> "
        f"<{actor}> }} FILTER(STRENDS(STR(?list), \"/following\")) }}")


def _graph(inbound: Inbound, obj: dict[str, Any], context: Any = None) -> Any:
    try:
        return inbound.remote.graph_of(obj, context)
    except RemoteError as error:
        raise InboundRefused(400, str(error)) from error


def _update(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    obj = inbound.own_object(document, actor)
    iri = id_of(obj) or ""
    if iri != actor and inbound.handler.store.graph(iri) is None:
        return "ignored: an Update of something not kept here"
    inbound.apply("Update", actor, iri, graph=_graph(inbound, obj, document.get("@context")))
    return "applied"


def _delete(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    iri = id_of(document.get("object"))
    if not iri:
        raise InboundRefused(400, "the Delete has no object")
    if not same_host(iri, actor):
        raise InboundRefused(403, f"{actor} cannot delete {iri} (another host)")
    if iri != actor and inbound.handler.store.graph(iri) is None:
        return "ignored: a Delete of something not kept here"
    inbound.apply("Delete", actor, iri)
    if iri == actor:
        from federation.key_cache import KeyCache

        KeyCache(inbound.private, inbound.remote).forget(actor)
    return "applied"


def _flag(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    reported = [iri for iri in ids_of(document.get("object")) if inbound.is_local(iri)][:20]
    if not reported:
        return "ignored: a Flag of nothing here"
    reason = text_of(document.get("content")) or ""
    filed = 0
    for iri in reported:
        try:
            inbound.apply("Flag", actor, iri, content=reason[:1000])
            filed += 1
        except ActivityRefused as error:
            logger.info("Flag of %s from %s not filed: %s", iri, actor, error)
    return "applied" if filed else "ignored: a Flag of nothing that exists here"


def _block(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    person = id_of(document.get("object"))
    if not inbound.is_local(person):
        return "ignored: a Block of somebody not here"
    inbound.apply("Block", actor, person or "")
    return "applied"


def _move(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    if id_of(document.get("object")) not in (None, actor):
        raise InboundRefused(403, "an actor moves only itself")
    target = id_of(document.get("target"))
    if not target or inbound.is_local(target):
        raise InboundRefused(400, "a Move names the actor's new IRI in target")
    try:
        new = inbound.remote.document(target)
    except RemoteError as error:
        raise InboundRefused(400, f"cannot fetch the new actor: {error}") from error
    if actor not in ids_of(new.get("alsoKnownAs")):
        raise InboundRefused(403, "the new actor does not name the old one in alsoKnownAs")
    inbound.remote.cache(new)
    inbound.apply("Move", actor, actor, target=target)
    return "applied"


_DISPATCH: dict[str, Callable[[Inbound, dict[str, Any], str], str]] = {
    "Follow": _follow,
    "Undo": _undo,
    "Like": _reaction("Like"),
    "Announce": _reaction("Announce"),
    "Join": _join,
    "Leave": _reaction("Leave"),
    "Accept": _answer("Accept"),
    "Reject": _answer("Reject"),
    "Create": _create,
    "Update": _update,
    "Delete": _delete,
    "Flag": _flag,
    "Block": _block,
    "Move": _move,
}
