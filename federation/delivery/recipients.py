"""Who receives an outbound activity: the inboxes to POST it to.

From the activity's addressing (to, cc, bto, bcc, audience): the local followers
collections named there are expanded to their remote followers, and remote actors named
directly are looked up, both from the cached graphs of remote actors (graph name = actor
IRI, `ldp:inbox`, `as:endpoints/as:sharedInbox`; store/queries/delivery_*.rq). One POST
per shared inbox, else per inbox; local recipients, rejected domains and actors the
sender blocks get nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rdflib import URIRef

from federation.activities import ActivityHandler
from federation.delivery.base import host_of
from store.private import PrivateStore
from store.queries import query

ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")


def _local(handler: ActivityHandler, iri: str | None) -> bool:
    return bool(iri) and (iri == handler.base_url or str(iri).startswith(handler.base_url + "/"))


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
