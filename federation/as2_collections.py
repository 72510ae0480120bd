"""Actors' collections as paged OrderedCollections: followers, following, outbox.

`{actor}` answers the collection (totalItems, `first`, `last`); `{actor}?page=N` one page
(`orderedItems`, `next`, `prev`, `partOf`). Followers and following are the stored
collections the Follow handler keeps (federation/handlers/follows.py), remote followers
included. The outbox is built from the store: a person's, organization's or project's
public activities are the Creates of what it published (newest first); a territory's are
Announces of what was published on it (FEP-1b12: following a territory brings them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdflib import URIRef

from federation.actors import LocalActor
from federation.as2_common import CONTEXT, PUBLIC, Stored, compact, iso, short_hash, stamp
from federation.as2_objects import Builder
from federation.handler_support import triples
from federation.resources import graph_from_ntriples
from ontology import AS
from store.base import TripleStore
from store.queries import query

FOLLOWERS_PAGE = 40
OUTBOX_PAGE = 20
MAX_PAGE = 1_000_000


def page_url(collection: str, page: int) -> str:
    return f"{collection}?page={page}"


def paged(collection: str, total: int, page: int | None, page_size: int,
          items: Callable[[int, int], list[Any]]) -> dict[str, Any]:
    """The collection (page None) or one of its pages; `items(offset, limit)` reads them."""
    last = max(1, -(-total // page_size))
    if page is None:
        return {"@context": CONTEXT, "id": collection, "type": "OrderedCollection",
                "totalItems": total, "first": page_url(collection, 1),
                "last": page_url(collection, last)}
    document: dict[str, Any] = {
        "@context": CONTEXT, "id": page_url(collection, page),
        "type": "OrderedCollectionPage", "partOf": collection, "totalItems": total,
        "orderedItems": items((page - 1) * page_size, page_size) if page <= last else [],
    }
    if page < last:
        document["next"] = page_url(collection, page + 1)
    if page > 1:
        document["prev"] = page_url(collection, min(page - 1, last))
    return document


def stored_items(store: TripleStore, collection: str) -> list[str]:
    """The items of a collection graph kept by the handlers (sorted; [] when absent)."""
    text = store.graph(collection)
    if not text:
        return []
    items = str(AS.items)
    return sorted(o.value for s, p, o in triples(text) if s == collection and p == items)


def stored_collection(store: TripleStore, collection: str, page: int | None,
                      page_size: int = FOLLOWERS_PAGE) -> dict[str, Any]:
    everything = stored_items(store, collection)
    return paged(collection, len(everything), page, page_size,
                 lambda offset, limit: everything[offset:offset + limit])


# --- the outbox ----------------------------------------------------------------------------


def activity_id(kind: str, actor: str, obj: str, when: Any = None) -> str:
    """Stable activity ids, as fragments: under the object for what an actor does to its
    own local object (Create/Update/Delete: `{obj}#create`), under the actor otherwise
    (`{actor}#like-{hash of obj}`); `when` (a datetime) tells repeated ones apart."""
    name = kind.lower()
    own = kind in ("Create", "Update", "Delete") and obj.split("#", 1)[0].split("/")[:3] == \
        actor.split("/")[:3]
    base = obj.split("#", 1)[0] if own else actor.split("#", 1)[0]
    fragment = name if own else f"{name}-{short_hash(obj)}"
    if when is not None:
        fragment += f"-{stamp(when)}"
    return f"{base}#{fragment}"


def _outbox_query(actor: LocalActor) -> tuple[str, str]:
    if actor.container == "territories":
        return "ap_outbox_of_territory", "ap_outbox_of_territory_count"
    if actor.container == "persons":
        return "ap_outbox_of_person", "ap_outbox_of_person_count"
    return "ap_outbox_of_group", "ap_outbox_of_group_count"


def outbox(store: TripleStore, base_url: str, actor: LocalActor,
           page: int | None) -> dict[str, Any]:
    collection = f"{actor.iri}/outbox"
    listing, counting = _outbox_query(actor)
    rows = store.select(query(counting, actor=URIRef(actor.iri)))
    total = int(rows[0]["n"]) if rows else 0
    builder = Builder(store, base_url)

    def items(offset: int, limit: int) -> list[Any]:
        found = store.select(query(listing, actor=URIRef(actor.iri), limit=limit,
                                   offset=offset))
        activities = []
        for row in found:
            iri = str(row["g"])
            text = store.graph(iri)
            if not text:
                continue
            obj = builder.build(Stored(iri, graph_from_ntriples(text)))
            if obj is None:
                continue
            kind = str(row["kind"]) if row.get("kind") is not None else None
            activities.append(wrap(actor, obj, kind))
        return activities

    return paged(collection, total, page, OUTBOX_PAGE, items)


def wrap(actor: LocalActor, obj: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
    """The activity that published `obj`: its author's Create, or the Announce of a
    territory (of what was published on it) or of a group (of its members' posts on its
    wall, FEP-1b12)."""
    if actor.container == "territories" or kind == "Announce":
        return compact({
            "id": activity_id("Announce", actor.iri, obj["id"]), "type": "Announce",
            "actor": actor.iri, "published": obj.get("published"),
            "to": [PUBLIC], "cc": [f"{actor.iri}/followers"], "object": obj["id"],
        })
    return create_activity(obj)


def create_activity(obj: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
    """`Create{obj}` by its author, addressed as the object is (without @context)."""
    body = {k: v for k, v in obj.items() if k != "@context"}
    author = actor or body.get("attributedTo")
    return compact({
        "id": activity_id("Create", str(author), body["id"]), "type": "Create",
        "actor": author, "published": iso(body.get("published")) or body.get("published"),
        "to": body.get("to"), "cc": body.get("cc"), "object": body,
    })


def replies(store: TripleStore, obj: str, page: int | None) -> dict[str, Any]:
    """The living answers to a local object, oldest first."""
    collection = f"{obj}/replies"
    found = [str(row["g"]) for row in store.select(query("ap_replies_to", object=URIRef(obj)))]
    return paged(collection, len(found), page, FOLLOWERS_PAGE,
                 lambda offset, limit: found[offset:offset + limit])
