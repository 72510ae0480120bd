"""The rankings of a territory's feeds: the newest resources, the upcoming events, what
was created lately and what has a point on the map, inside a perimeter.

It exists to keep the costly part in one place: the queries start from the territories of
the perimeter, large perimeters are narrowed to their active territories, and rankings
are cached while the store is unchanged (store/feeds.py explains the trade-offs).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import XSD, Literal, URIRef

from ontology import CCT
from store.base import TripleStore
from store.feed_items import FEED_SECTIONS, MAP_TYPES, Item, _datetime, fill_details, section_of
from store.feed_tree import _OPEN, OPEN_PERIMETER, Perimeter, store_generation
from store.queries import query

_CLASSES = URIRef("urn:x-communecter:classes")


def _theme_params(themes: Sequence[str]) -> dict[str, object]:
    return {"filter_themes": bool(themes), "themes": [CCT[t] for t in themes]}


def _run(store: TripleStore, name: str, perimeter: Perimeter, cache: bool = True,
         **params: object) -> list[dict]:
    if perimeter.territories == ():
        return []
    classes = params.pop("classes", None)
    if classes is not None:
        params["classes"] = _CLASSES
    text = query(name, territories=[_OPEN], **params)
    if classes is not None:  # FILTER(?class IN (…)) wants commas, which query() does not write
        text = text.replace(f"<{_CLASSES}>", ", ".join(f"<{c}>" for c in classes))
    if perimeter.territories is None:
        values = "UNDEF"
    else:
        values = " ".join(f"<{iri}>" for iri in perimeter.territories)
    text = text.replace(f"<{_OPEN}>", values)
    if not cache:
        return store.select(text)
    return _CACHE.select(store, text, cache_seconds(perimeter))


# ---- large perimeters list only the territories that have something ---------------------
SMALL_PERIMETER = 60
ACTIVE_REFRESH_SECONDS = 60.0


@dataclass
class _Active:
    territories: frozenset[str]
    generation: int | None
    at: float
    refreshing: bool = False


_ACTIVE: weakref.WeakKeyDictionary[TripleStore, _Active] = weakref.WeakKeyDictionary()
_ACTIVE_LOCK = threading.Lock()


def _read_active(store: TripleStore) -> _Active:
    generation = store_generation(store)
    rows = store.select(query("feed_active_territories"))
    return _Active(frozenset(str(r["territory"]) for r in rows), generation, time.monotonic())


def active_territories(store: TripleStore) -> frozenset[str]:
    """The territories with at least one resource attached, read once, then refreshed in
    the background at most every ``ACTIVE_REFRESH_SECONDS`` while the store is written to.

    Only rankings of large perimeters use it: a resource attached to a territory that had
    nothing may take that long to show on its département's page (its commune's page, its
    EPCI's and every live stream see it at once)."""
    with _ACTIVE_LOCK:
        state = _ACTIVE.get(store)
    if state is None:
        state = _read_active(store)
        with _ACTIVE_LOCK:
            _ACTIVE[store] = state
        return state.territories
    generation = store_generation(store)
    moved = generation is None or generation != state.generation
    if moved and not state.refreshing and time.monotonic() - state.at >= ACTIVE_REFRESH_SECONDS:
        state.refreshing = True

        def refresh() -> None:
            try:
                fresh = _read_active(store)
                with _ACTIVE_LOCK:
                    _ACTIVE[store] = fresh
            finally:
                state.refreshing = False

        threading.Thread(target=refresh, name="active-territories", daemon=True).start()
    return state.territories


def narrowed(store: TripleStore, perimeter: Perimeter) -> Perimeter:
    """A large perimeter reduced to its territories that have something attached."""
    if perimeter.territories is not None and len(perimeter) <= SMALL_PERIMETER:
        return perimeter
    active = active_territories(store)
    if perimeter.territories is None:
        if len(active) >= OPEN_PERIMETER:
            return perimeter
        return Perimeter(perimeter.root, tuple(sorted(active)))
    return Perimeter(perimeter.root, tuple(t for t in perimeter.territories if t in active))


def cache_seconds(perimeter: Perimeter) -> float:
    """How stale a ranking may be served while others write: never for a commune or an
    EPCI (their pages must show what was just created), a little for a département, more
    for a région and the country, whose pages are costly and get new items live anyway."""
    if perimeter.territories is None:
        return 120.0
    if len(perimeter) > 1000:
        return 60.0
    if len(perimeter) > 60:
        return 20.0
    return 0.0


class _RankingCache:
    """Rankings per store and query text: reused while the store's write generation is
    unchanged (nothing was written anywhere), or while younger than the perimeter allows."""

    SIZE = 4000

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[TripleStore, OrderedDict[str, tuple]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()
        self.enabled = True

    def select(self, store: TripleStore, text: str, max_age: float) -> list[dict]:
        generation = store_generation(store)
        now = time.monotonic()
        if self.enabled:
            with self._lock:
                found = self._entries.get(store, {}).get(text)
            if found is not None:
                rows, seen_generation, at = found
                if (generation is not None and generation == seen_generation) or (
                        now - at < max_age):
                    return rows
        rows = store.select(text)
        if self.enabled:
            with self._lock:
                entries = self._entries.setdefault(store, OrderedDict())
                entries[text] = (rows, generation, now)
                entries.move_to_end(text)
                while len(entries) > self.SIZE:
                    entries.popitem(last=False)
        return rows

    def clear(self) -> None:
        with self._lock:
            self._entries = weakref.WeakKeyDictionary()


_CACHE = _RankingCache()


def clear_cache() -> None:
    """Forget every cached ranking (benchmarks measure cold pages; tests start afresh)."""
    _CACHE.clear()


def _stamp(moment: datetime) -> Literal:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime)


def _ranked(rows: Iterable[dict]) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for row in rows:
        iri = str(row["item"])
        if iri in seen:
            continue
        seen.add(iri)
        items.append(Item(iri, str(row["class"]), str(row["territory"]),
                          date=_datetime(row.get("date"))))
    return items


def latest(store: TripleStore, perimeter: Perimeter, classes: Sequence[URIRef],
           themes: Sequence[str] = (), limit: int = 10) -> list[Item]:
    """The newest resources of these classes inside the perimeter (details not read)."""
    rows = _run(store, "feed_latest", narrowed(store, perimeter), classes=list(classes),
                limit=limit,
                **_theme_params(themes))
    return _ranked(rows)


def upcoming_events(store: TripleStore, perimeter: Perimeter, now: datetime,
                    themes: Sequence[str] = (), limit: int = 10) -> list[Item]:
    """Events inside the perimeter that are not over, soonest first (details not read)."""
    rows = _run(store, "feed_upcoming_events", narrowed(store, perimeter), now=_stamp(now),
                limit=limit,
                **_theme_params(themes))
    return _ranked(rows)


def created_since(store: TripleStore, perimeter: Perimeter, since: datetime,
                  themes: Sequence[str] = (), classes: Sequence[URIRef] | None = None,
                  limit: int = 50) -> list[Item]:
    """Resources created inside the perimeter at or after ``since``, oldest first, with
    their details (what a live stream sends)."""
    if classes is None:
        classes = [c for group in FEED_SECTIONS.values() for c in group]
    rows = _run(store, "feed_created_since", perimeter, cache=False, classes=list(classes),
                since=_stamp(since), limit=limit, **_theme_params(themes))
    items = _ranked(rows)
    fill_details(store, items)
    return items


def located(store: TripleStore, perimeter: Perimeter, types: Sequence[str], now: datetime,
            themes: Sequence[str] = (), limit: int = 500) -> list[Item]:
    """Things with a point inside the perimeter (events only while not over), with their
    details, sorted by type then name."""
    classes = [c for t in types for c in MAP_TYPES[t]]
    if not classes:
        return []
    rows = _run(store, "feed_located", narrowed(store, perimeter), classes=classes,
                now=_stamp(now),
                limit=limit, **_theme_params(themes))
    items = _ranked(rows)
    fill_details(store, items)
    order = {name: i for i, name in enumerate(MAP_TYPES)}
    items.sort(key=lambda it: (order.get(section_of(it.cls) or "", 99),
                               (it.name or it.content or "").casefold(), it.iri))
    return items


def territory_feed(store: TripleStore, perimeter: Perimeter, now: datetime,
                   themes: Sequence[str] = (), sections: Sequence[str] | None = None,
                   limit: int = 8) -> dict[str, list[Item]]:
    """Every section of a territory page, with details, in one go."""
    out: dict[str, list[Item]] = {}
    for name in sections or FEED_SECTIONS:
        if name == "events":
            out[name] = upcoming_events(store, perimeter, now, themes, limit)
        else:
            out[name] = latest(store, perimeter, FEED_SECTIONS[name], themes, limit)
    fill_details(store, [item for items in out.values() for item in items])
    return out
