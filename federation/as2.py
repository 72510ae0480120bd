"""The ActivityStreams 2.0 representation of local resources: the one entry point.

`object_document(store, base_url, iri)` gives the AS2 JSON (with its @context) of any
local resource: an actor (Person, Organization, Group, Application), a Note, an Event, a
Question…; a Tombstone for a deleted one; None for what does not exist. Delivery builds
its activities from the same documents that GET serves, so what other servers receive and
what they fetch agree.

The builders are split by kind: as2_actors (actor documents), as2_objects (Note, Event,
Question, Place, Page), as2_collections (followers, following, outbox, activity ids),
as2_common (context, Public, sanitising).
"""

from __future__ import annotations

from typing import Any

from federation.actors import instance_actor_iri, local_actor
from federation.as2_actors import actor_document, instance_actor_document
from federation.as2_collections import activity_id, create_activity
from federation.as2_common import (
    ACTIVITY_JSON,
    AS2_PROFILE,
    CONTEXT,
    LD_JSON_AS2,
    PUBLIC,
    Stored,
    is_public,
    iso,
    plausible_iri,
    read_values,
    sanitise,
)
from federation.as2_objects import Builder
from federation.resources import graph_from_ntriples, is_tombstone_text
from ontology import AS
from store.base import TripleStore
from store.private import PrivateStore

__all__ = ["ACTIVITY_JSON", "AS2_PROFILE", "CONTEXT", "LD_JSON_AS2", "PUBLIC", "activity_id",
           "create_activity", "is_public", "object_document", "sanitise",
           "tombstone_document"]


def tombstone_document(iri: str, ntriples: str) -> dict[str, Any]:
    """What remains of a deleted resource (served with 410 Gone)."""
    values = read_values(ntriples, iri)
    former = (values.get(str(AS.formerType)) or [None])[0]
    document: dict[str, Any] = {"@context": CONTEXT, "id": iri, "type": "Tombstone"}
    if former:
        document["formerType"] = _as_type(former)
    deleted = iso((values.get(str(AS.deleted)) or [None])[0])
    if deleted:
        document["deleted"] = deleted
    return document


def _as_type(former: str) -> str:
    """The AS2 type a deleted resource had, from its former cc: class."""
    local = former.rsplit("#", 1)[-1]
    return {"Post": "Note", "Amendment": "Note", "Vote": "Note", "Proposal": "Question",
            "Citizen": "Person", "Event": "Event", "PointOfInterest": "Place",
            "Project": "Group"}.get(local, "Object")


def object_document(store: TripleStore, base_url: str, iri: str,
                    private: PrivateStore | None = None) -> dict[str, Any] | None:
    """The AS2 document of a local resource, a Tombstone if deleted, None if unknown.

    With `private`, actor documents carry their public key (generated on first use) and
    the person's choices (manuallyApprovesFollowers, discoverable); without it they have
    neither (nothing here ever reads a secret)."""
    base = base_url.rstrip("/")
    if not plausible_iri(iri) or not iri.startswith(base + "/"):
        return None
    if iri == instance_actor_iri(base):
        return instance_actor_document(base, private)
    text = store.graph(iri)
    if not text:
        return None
    if is_tombstone_text(text, iri):
        return tombstone_document(iri, text)
    item = Stored(iri, graph_from_ntriples(text))
    actor = local_actor(store, base, iri)
    if actor is not None:
        return actor_document(store, base, actor, item, private)
    built = Builder(store, base).build(item)
    if built is None:
        return None
    return {"@context": CONTEXT, **built}
