"""What happens inside a territory: the feeds of the territory pages, their live stream
and their map. No HTTP, no Flask: web/ui/territory.py and web/ui/map.py render these.

**The territory tree is small** (about 37,000 nodes for all of France), so it is read once
from the store into memory (one per store) and kept there: a perimeter — a commune, or a
département with every EPCI, commune, arrondissement and neighbourhood below it — is a list
of territory IRIs computed in memory, and every feed query starts from the resources
attached to those territories (``VALUES ?territory``) instead of scanning a class or
walking ``cc:partOf`` in SPARQL (each territory is its own graph: a property path cannot
cross them). The tree is re-checked (a count of territories, about 30 ms for France) at
most every ``TREE_CHECK_SECONDS`` while the store is written to and whenever a page asks
for a territory it does not know, reloaded when the count moved, and reloaded in the
background every ``TREE_RELOAD_SECONDS``; ``territories_changed(store)`` drops it at once.

**Large perimeters list only their active territories**: the territories with anything
attached, read once per process and refreshed in the background (``active_territories``).
The country is the whole dataset: its perimeter is left open (``UNDEF``) when most
territories are active.

**Rankings are cached** per query text while the store's write generation is unchanged,
and for a few seconds more on large perimeters (``cache_seconds``); live streams share one
poller per perimeter and themes (``recent_items``), which asks the store only when its
write generation moved.

What this cannot do is rank a large perimeter without reading every resource attached to
it: Oxigraph has no index on dates. At seed scale (a million posts) a département or a
région page therefore reads tens of thousands of resources; the fix is an index kept at
write time (proposed in benchmarks/territory_pages.py).

The code is split by responsibility: the territory tree and its perimeters
(store/feed_tree.py), what a feed item is and its details (store/feed_items.py), the
cached rankings (store/feed_rankings.py). This module keeps the pollers that live
streams share and re-exports the rest, so that ``store.feeds`` stays the name to import.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime

from store.base import TripleStore
from store.feed_items import (
    FEED_SECTIONS,
    MAP_TYPES,
    Item,
    citizen_themes,
    fill_details,
    section_of,
)
from store.feed_items import ORGANIZATION_CLASSES as ORGANIZATION_CLASSES
from store.feed_rankings import ACTIVE_REFRESH_SECONDS as ACTIVE_REFRESH_SECONDS
from store.feed_rankings import SMALL_PERIMETER as SMALL_PERIMETER
from store.feed_rankings import (
    active_territories,
    cache_seconds,
    clear_cache,
    created_since,
    latest,
    located,
    narrowed,
    territory_feed,
    upcoming_events,
)
from store.feed_tree import KIND_OF_CLASS as KIND_OF_CLASS
from store.feed_tree import (
    LEVELS,
    Node,
    Perimeter,
    TerritoryTree,
    store_generation,
    territories_changed,
    territory_tree,
)
from store.feed_tree import OPEN_PERIMETER as OPEN_PERIMETER
from store.feed_tree import TREE_CHECK_SECONDS as TREE_CHECK_SECONDS
from store.feed_tree import TREE_RELOAD_SECONDS as TREE_RELOAD_SECONDS

__all__ = [
    "FEED_SECTIONS", "LEVELS", "MAP_TYPES", "Item", "Node", "Perimeter", "RecentItems",
    "TerritoryTree", "active_territories", "cache_seconds", "citizen_themes", "clear_cache",
    "created_since", "fill_details", "latest", "located", "narrowed", "poll_seconds",
    "recent_items", "section_of", "store_generation", "territories_changed", "territory_feed",
    "territory_tree", "upcoming_events",
]


# ---- what appeared lately: one poller per perimeter and filter, shared by streams -------
def poll_seconds(perimeter: Perimeter) -> float:
    """How often a perimeter is asked for new items: often for a commune, seldom for a
    région (each question reads every resource of the perimeter)."""
    if perimeter.territories is None:
        return 20.0
    if len(perimeter) > 1000:
        return 10.0
    if len(perimeter) > 60:
        return 5.0
    return 2.0


class RecentItems:
    """What was created inside one perimeter (for some themes) since the poller began,
    asked of the store at most every ``poll_seconds`` and only when the store's write
    generation moved. Every live stream of that perimeter reads it: one query serves all.
    """

    KEEP_SECONDS = 900.0

    def __init__(self, perimeter: Perimeter, themes: tuple[str, ...], start: datetime) -> None:
        self.perimeter = perimeter
        self.themes = themes
        self.start = start
        self.cursor = start
        self.items: dict[str, Item] = {}
        self.generation: int | None = None
        self.polled = float("-inf")
        self.used = time.monotonic()
        self.lock = threading.Lock()

    def poll(self, store: TripleStore, interval: float | None = None) -> list[Item]:
        """Everything seen so far (asking the store first when it is time)."""
        interval = poll_seconds(self.perimeter) if interval is None else interval
        with self.lock:
            self.used = now = time.monotonic()
            if now - self.polled >= interval:
                generation = store_generation(store)
                if generation is None or generation != self.generation:
                    for item in created_since(store, self.perimeter, self.cursor, self.themes):
                        self.items[item.iri] = item
                        if item.created is not None and item.created > self.cursor:
                            self.cursor = item.created
                    self.generation = generation
                self.polled = now
                horizon = datetime.now(UTC).timestamp() - self.KEEP_SECONDS
                for iri in [i for i, it in self.items.items()
                            if it.created is not None and it.created.timestamp() < horizon]:
                    del self.items[iri]
            return list(self.items.values())


_POLLERS: weakref.WeakKeyDictionary[TripleStore, dict[tuple, RecentItems]] = (
    weakref.WeakKeyDictionary())
_POLLERS_LOCK = threading.Lock()


def recent_items(store: TripleStore, perimeter: Perimeter, themes: Sequence[str],
                 since: datetime) -> RecentItems:
    """The shared poller of a perimeter and themes, started at or before ``since``."""
    key = (perimeter.root, tuple(themes))
    now = time.monotonic()
    with _POLLERS_LOCK:
        pollers = _POLLERS.setdefault(store, {})
        for stale in [k for k, p in pollers.items() if now - p.used > 300]:
            del pollers[stale]
        poller = pollers.get(key)
        if poller is None or poller.start > since:
            poller = RecentItems(perimeter, tuple(themes), since)
            pollers[key] = poller
    return poller
