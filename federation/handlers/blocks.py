"""What blocks and domain rejections forbid, on every path (forms, LDP, inboxes).

A person who blocks an actor (federation/moderation.py: by its IRI or its whole domain)
is no longer followed, answered or liked by it: its Follow of the person, its comments
on the person's posts and threads, and its Likes of the person's posts are refused
(NotAllowed, key "blocked"). An actor of a domain the instance rejects may do none of
this either (key "domain_rejected"); the inbox refuses such POSTs before they get here,
this is the same rule for whatever else reaches the handlers.

The rules need the platform's private store: `wire(handler, private)` (the web layer's
moderation blueprint calls it), else the one wired for memberships
(federation.handler_support.wire). A handler with neither (a bare script) applies no such
rule.

Follow and Like keep their own handlers (follows.py, social.py): the guard wraps
whatever handler is registered for them, once, and is re-installed by `wire` in case a
module registered later replaced it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from weakref import WeakKeyDictionary

from rdflib import Graph, URIRef

from federation import moderation
from federation.activities import (
    _EXTRA_HANDLERS,
    Activity,
    ActivityHandler,
    ExtraHandler,
    Outcome,
    checks_content,
    handles,
)
from federation.errors import NotAllowed
from federation.handler_support import _SERVICES, refusal
from federation.handlers import follows as _follows  # noqa: F401  (registered first)
from federation.handlers import social
from federation.resources import graph_from_ntriples
from ontology import AS, CC
from store.private import PrivateStore

_PRIVATE: WeakKeyDictionary[ActivityHandler, PrivateStore] = WeakKeyDictionary()
_GUARD = "_communecter_blocks_guard"


def wire(handler: ActivityHandler, private: PrivateStore) -> None:
    """Gives one platform's handler the private store where blocks and policies live."""
    _PRIVATE[handler] = private
    import federation.handlers  # noqa: F401  (every handler registered before guarding)

    _install()


def check(handler: ActivityHandler, actor: str, owners: set[str]) -> None:
    """Refuses the actor when its domain is rejected or when one of `owners` (the people
    whose thing it touches) blocks it."""
    private = _private(handler)
    if private is None or not actor:
        return
    if not actor.startswith(handler.base_url + "/") and moderation.is_rejected(private, actor):
        raise refusal(NotAllowed, "domain_rejected",
                      "this instance does not accept activities from your server")
    for owner in owners:
        if owner and owner != actor and moderation.blocks_actor(private, owner, actor):
            raise refusal(NotAllowed, "blocked", "you may not interact with this person")


def _private(handler: ActivityHandler) -> PrivateStore | None:
    found = _PRIVATE.get(handler)
    if found is None:
        wired = _SERVICES.get(handler)
        found = getattr(wired.pending, "private", None) if wired is not None else None
    return found


def _author(handler: ActivityHandler, iri: str) -> str | None:
    found = handler.store.graph(iri)
    return social.author_of(graph_from_ntriples(found), iri) if found is not None else None


@checks_content(CC.Post)
def no_answers_when_blocked(handler: ActivityHandler, actor: str, iri: str,
                            graph: Graph) -> None:
    """A comment is refused when the author of what it answers, or of its thread's first
    post, blocks its author."""
    if _private(handler) is None:
        return
    subject = URIRef(iri)
    owners = set()
    for answered in (graph.value(subject, AS.inReplyTo), graph.value(subject, AS.context)):
        if answered is not None and str(answered) != iri:
            owners.add(_author(handler, str(answered)) or "")
    check(handler, actor, owners)


def _follow_owners(handler: ActivityHandler, activity: Activity) -> set[str]:
    return {activity.object}


def _like_owners(handler: ActivityHandler, activity: Activity) -> set[str]:
    return {_author(handler, activity.object) or ""}


_OWNERS: dict[str, Callable[[ActivityHandler, Activity], set[str]]] = {
    "Follow": _follow_owners, "Like": _like_owners}


def _guarded(kind: str, inner: ExtraHandler) -> ExtraHandler:
    owners_of = _OWNERS[kind]

    def guarded(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
        if _private(handler) is not None:
            check(handler, activity.actor, owners_of(handler, activity))
        return inner(handler, activity, now)

    setattr(guarded, _GUARD, True)
    guarded.__doc__ = f"{kind}, unless blocked (see federation/handlers/blocks.py)."
    return guarded


def _install() -> None:
    for kind in _OWNERS:
        current = _EXTRA_HANDLERS.get(kind)
        if current is not None and not getattr(current, _GUARD, False):
            handles(kind)(_guarded(kind, current))


_install()
