"""What each inbound activity does: one function per type, called by
federation.inbound.Inbound.receive after the checks every activity passes (see there).
Each returns "applied" or "ignored: why", raises InboundRefused (4xx) or lets an
ActivityRefused of the handlers through."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rdflib import URIRef

from federation.errors import ActivityRefused, Conflict
from federation.inbound import Inbound, InboundRefused, _local_author
from federation.inbound_parse import (
    first_type,
    id_of,
    ids_of,
    is_public,
    same_host,
    text_of,
    types_of,
)
from federation.remote import RemoteError
from store.queries import query

logger = logging.getLogger(__name__)

NOTE_TYPES = {"Note", "Article", "Page", "Question", "Event", "Image", "Video", "Audio"}


# --- the activities ------------------------------------------------------------------------


def _follow(inbound: Inbound, document: dict[str, Any], actor: str) -> str:
    from federation.actors import actor_type

    thing = id_of(document.get("object"))
    if not inbound.is_local(thing):
        return "ignored: a Follow of something that is not here"
    handler = inbound.handler
    if actor_type(handler.store, handler.base_url, thing or "") is None:
        return "ignored: only actors (people, organizations, projects, territories) " \
               "are followed from other servers"
    from federation import follow_requests

    result = "applied"
    try:
        inbound.apply("Follow", actor, thing or "")
    except Conflict:
        result = "applied already"  # following already: accept again all the same
    follow = {k: v for k, v in document.items() if not k.startswith("_") and k != "@context"}
    if follow_requests.approves_by_hand(handler, thing or "") and \
            follow_requests.state_of(handler, thing or "", actor) == "pending":
        follow_requests.keep_activity(handler, thing or "", actor, follow)
        return "applied: waiting for the person's approval"
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
    """Joining a local event (Mobilizon's participation): the organizer answers Accept,
    or Reject when the event is full."""
    event = id_of(document.get("object"))
    if not inbound.is_local(event):
        return "ignored: a Join of something that is not here"
    answer, result = "Accept", "applied"
    try:
        inbound.apply("Join", actor, event or "")
    except Conflict as error:
        if getattr(error, "key", "") != "event_full":
            raise
        answer, result = "Reject", f"applied: refused, {error.message}"
    organizer = _local_author(inbound, event or "")
    if organizer is not None and inbound.is_local(organizer):
        join = {k: v for k, v in document.items() if not k.startswith("_") and k != "@context"}
        inbound.answer(organizer, actor, answer, join, document.get("_actor"))
    return result


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
    if _looks_like_a_vote(inbound, obj):
        return _vote(inbound, document, obj, actor)
    if not is_public([*_addressed(document), *_addressed(obj)]):
        return "ignored: not public (only public notes are kept)"
    if not _relevant(inbound, obj, actor, document.get("_audience") or []):
        return "ignored: about nothing here, from nobody followed here"
    inbound.apply("Create", actor, id_of(obj) or "",
                  graph=_graph(inbound, obj, document.get("@context")))
    _forward_reply(inbound, document, obj, actor)
    return "applied"


def _addressed(holder: dict[str, Any]) -> list[str]:
    """Whom a document is openly addressed to (to, cc, audience; bto/bcc are blind)."""
    return [*ids_of(holder.get("to")), *ids_of(holder.get("cc")),
            *ids_of(holder.get("audience"))]


def _looks_like_a_vote(inbound: Inbound, obj: dict[str, Any]) -> bool:
    return ("content" not in obj and isinstance(obj.get("name"), str)
            and inbound.is_local(id_of(obj.get("inReplyTo"))))


def _vote(inbound: Inbound, document: dict[str, Any], obj: dict[str, Any],
          actor: str) -> str:
    """A poll vote (Mastodon's shape): kept whoever it is addressed to (the poll's author,
    as Mastodon does), then the proposal's author tells its followers the new counts
    (Update of the Question), as Mastodon does."""
    from federation.handlers.remote_objects import is_vote
    from federation.handlers.social import author_of
    from federation.resources import graph_from_ntriples

    graph = _graph(inbound, obj, document.get("@context"))
    iri, proposal = id_of(obj) or "", id_of(obj.get("inReplyTo")) or ""
    if not is_vote(inbound.handler, graph, iri):
        return "ignored: a nameless answer to something that is not a proposal"
    inbound.apply("Create", actor, iri, graph=graph)
    found = inbound.handler.store.graph(proposal)
    author = author_of(graph_from_ntriples(found), proposal) if found else None
    if author and inbound.is_local(author):
        try:
            from federation.activities import Activity, Outcome
            from federation.outbound import fan_out
        except ImportError:  # pragma: no cover (the outbound side lands alongside)
            return "applied"
        fan_out(inbound.handler, Activity("Update", author, proposal),
                Outcome(proposal, None))
    return "applied"


def _forward_reply(inbound: Inbound, document: dict[str, Any], obj: dict[str, Any],
                   actor: str) -> None:
    """A public reply in a local thread is forwarded, as it came, to the followers of the
    thread's author (as Mastodon does: signed by that author, who vouches for nothing but
    the delivery; receivers check the object at its origin), so that the people who follow
    the conversation see the answers. Its sender's own server is left out."""
    from federation.handlers.remote_objects import thread_root

    parent = id_of(obj.get("inReplyTo"))
    root = thread_root(inbound.handler, parent) if parent else None
    owner = _local_author(inbound, root) if root else None
    if inbound.enqueue is None or not owner or not inbound.is_local(owner):
        return
    try:
        from federation.outbound import recipients
    except ImportError:  # pragma: no cover (the outbound side lands alongside)
        return
    body = {k: v for k, v in document.items() if not k.startswith("_")}
    for inbox in recipients(inbound.handler, {"to": [f"{owner}/followers"]}, owner,
                            inbound.private):
        if not same_host(inbox, actor):
            inbound.enqueue(inbox, body, owner)


def _relevant(inbound: Inbound, obj: dict[str, Any], actor: str,
              audience: list[str]) -> bool:
    """About something here: a reply in a local thread, a mention or an address (to, cc,
    bto, bcc, audience) of a local actor, or from an actor someone here follows."""
    from federation.handlers.remote_objects import thread_root

    parent = id_of(obj.get("inReplyTo"))
    if parent and thread_root(inbound.handler, parent) is not None:
        return True
    named = {*audience, *_addressed(obj)}
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and isinstance(tag.get("href"), str):
            named.add(tag["href"])
    if any(inbound.is_local(name) for name in named):
        return True
    return _followed_here(inbound, actor)


def _followed_here(inbound: Inbound, actor: str) -> bool:
    return inbound.handler.store.ask(query("followed_here", actor=URIRef(actor)))


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


DISPATCH: dict[str, Callable[[Inbound, dict[str, Any], str], str]] = {
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
