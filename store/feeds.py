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
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import XSD, Literal, URIRef

from ontology import AS, CC, CCT, DCTERMS, GEO
from store.base import TripleStore
from store.queries import query

__all__ = [
    "FEED_SECTIONS", "LEVELS", "MAP_TYPES", "Item", "Node", "Perimeter", "RecentItems",
    "TerritoryTree", "active_territories", "cache_seconds", "citizen_themes", "clear_cache",
    "created_since", "fill_details", "latest", "located", "narrowed", "poll_seconds",
    "recent_items", "section_of", "store_generation", "territories_changed", "territory_feed",
    "territory_tree", "upcoming_events",
]

#: Levels from the street up. "arrondissement" is a municipal arrondissement of Paris,
#: Lyon or Marseille: a cc:Commune whose parent is a commune.
LEVELS = ("neighbourhood", "arrondissement", "commune", "epci", "departement", "region",
          "country")
KIND_OF_CLASS = {
    CC.Neighbourhood: "neighbourhood",
    CC.Commune: "commune",
    CC.Intercommunality: "epci",
    CC.Departement: "departement",
    CC.Region: "region",
    CC.Country: "country",
}
ORGANIZATION_CLASSES = (CC.Organization, CC.Association, CC.Business, CC.PublicAuthority,
                        CC.InformalGroup)
#: The sections of a territory page, in page order, and the classes each one lists.
FEED_SECTIONS: dict[str, tuple[URIRef, ...]] = {
    "events": (CC.Event,),
    "posts": (CC.Post,),
    "projects": (CC.Project,),
    "organizations": ORGANIZATION_CLASSES,
    "offers": (CC.Offer, CC.Need),
}
#: What the map shows (never people: where a citizen lives is not public).
MAP_TYPES: dict[str, tuple[URIRef, ...]] = {
    "organizations": ORGANIZATION_CLASSES,
    "events": (CC.Event,),
    "places": (CC.PointOfInterest,),
    "projects": (CC.Project,),
    "offers": (CC.Offer, CC.Need),
}
_SECTION_OF_CLASS = {cls: name for name, classes in {**MAP_TYPES, **FEED_SECTIONS}.items()
                     for cls in classes}

TREE_CHECK_SECONDS = 30.0
TREE_RELOAD_SECONDS = 600.0
#: Above this many territories a perimeter is left open (the country).
OPEN_PERIMETER = 20_000
_OPEN = URIRef("urn:x-communecter:any-territory")
_CLASSES = URIRef("urn:x-communecter:classes")


def section_of(cls: URIRef | str) -> str | None:
    """The feed section (or map type) a class belongs to."""
    return _SECTION_OF_CLASS.get(URIRef(str(cls)))


# ---- the territory tree ---------------------------------------------------------------
@dataclass(slots=True)
class Node:
    """One territory of the tree."""

    iri: str
    kind: str
    name: str
    parent: str | None
    lat: float | None = None
    long: float | None = None
    children: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The last segment of the IRI: the code its page and streams are addressed by."""
        return self.iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Perimeter:
    """A territory and every territory below it, as a query sees them."""

    root: str
    territories: tuple[str, ...] | None  # None: open (the whole country)

    def __len__(self) -> int:
        return 0 if self.territories is None else len(self.territories)

    def terms(self) -> list[URIRef]:
        """The territories as query parameters; an open perimeter is one placeholder IRI,
        to be replaced by ``UNDEF`` in the query text (``VALUES ?territory { UNDEF }``)."""
        return [_OPEN] if self.territories is None else [URIRef(t) for t in self.territories]


class TerritoryTree:
    """The territories of one store, linked both ways, with perimeters computed once."""

    def __init__(self, nodes: dict[str, Node],
                 points: Callable[[], dict[str, tuple[float, float]]] | None = None) -> None:
        self.nodes = nodes
        self._points_loader = points
        self._points_loaded = points is None
        for node in nodes.values():
            parent = nodes.get(node.parent) if node.parent else None
            if parent is not None:
                parent.children.append(node.iri)
                if node.kind == "commune" and parent.kind == "commune":
                    node.kind = "arrondissement"
        for node in nodes.values():
            node.children.sort(key=lambda iri: (LEVELS.index(nodes[iri].kind), nodes[iri].name))
        self._perimeters: dict[str, Perimeter] = {}
        self._centres: dict[str, tuple[float, float] | None] = {}
        self._lock = threading.Lock()

    def __contains__(self, iri: str) -> bool:
        return iri in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, iri: str) -> Node | None:
        return self.nodes.get(iri)

    def chain(self, iri: str) -> list[Node]:
        """The territory, then its cc:partOf parents up to the country."""
        out: list[Node] = []
        node = self.nodes.get(iri)
        while node is not None and node not in out:
            out.append(node)
            node = self.nodes.get(node.parent) if node.parent else None
        return out

    def children(self, iri: str) -> list[Node]:
        node = self.nodes.get(iri)
        return [self.nodes[c] for c in node.children] if node else []

    def descendants(self, iri: str) -> list[str]:
        """Every territory below ``iri`` (not itself), breadth first."""
        out: list[str] = []
        queue = list(self.nodes[iri].children) if iri in self.nodes else []
        while queue:
            current = queue.pop()
            out.append(current)
            queue.extend(self.nodes[current].children)
        return out

    def perimeter(self, iri: str) -> Perimeter:
        with self._lock:
            found = self._perimeters.get(iri)
        if found is not None:
            return found
        below = self.descendants(iri)
        territories = None if len(below) >= OPEN_PERIMETER else (iri, *below)
        found = Perimeter(iri, territories)
        with self._lock:
            self._perimeters[iri] = found
        return found

    def _ensure_points(self) -> None:
        """Town-hall points are read on first use (only maps need them)."""
        if self._points_loaded:
            return
        with self._lock:
            if self._points_loaded or self._points_loader is None:
                return
            for iri, (lat, long) in self._points_loader().items():
                node = self.nodes.get(iri)
                if node is not None:
                    node.lat, node.long = lat, long
            self._points_loaded = True

    def communes(self, iri: str) -> list[Node]:
        """The communes (arrondissements included) at or below ``iri``."""
        found = [self.nodes[i] for i in [iri, *self.descendants(iri)] if i in self.nodes]
        return [n for n in found if n.kind in ("commune", "arrondissement")]

    def centre(self, iri: str) -> tuple[float, float] | None:
        """The territory's own point, else the mean of the points of the communes below."""
        self._ensure_points()
        if iri in self._centres:
            return self._centres[iri]
        node = self.nodes.get(iri)
        centre = None
        if node is not None and node.lat is not None and node.long is not None:
            centre = (node.lat, node.long)
        elif node is not None:
            points = [(n.lat, n.long) for n in self.communes(iri)
                      if n.lat is not None and n.long is not None]
            if points:
                centre = (sum(p[0] for p in points) / len(points),
                          sum(p[1] for p in points) / len(points))
        self._centres[iri] = centre
        return centre

    def bounds(self, iri: str) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) of the town halls at or below ``iri``."""
        self._ensure_points()
        points = [(n.lat, n.long) for n in self.communes(iri)
                  if n.lat is not None and n.long is not None]
        if not points:
            centre = self.centre(iri)
            return None if centre is None else (*centre, *centre)
        lats = [p[0] for p in points]
        longs = [p[1] for p in points]
        return min(lats), min(longs), max(lats), max(longs)


@dataclass
class _TreeState:
    tree: TerritoryTree
    fingerprint: tuple[int, int]
    generation: int | None
    checked: float
    loaded: float
    reloading: bool = False


_TREES: weakref.WeakKeyDictionary[TripleStore, _TreeState] = weakref.WeakKeyDictionary()
_TREES_LOCK = threading.Lock()
_LOADING_LOCK = threading.Lock()


def store_generation(store: TripleStore) -> int | None:
    """The store's write counter when it has one (the storekeeper's client), else None."""
    getter = getattr(store, "generation", None)
    if callable(getter):
        return getter()
    counter = getattr(store, "_generation", None)
    read = getattr(counter, "read", None)
    return read() if callable(read) else None


def _fingerprint(store: TripleStore) -> tuple[int, int]:
    rows = store.select(query("territory_fingerprint"))
    if not rows:
        return 0, 0
    return int(rows[0]["official"]), int(rows[0]["drawn"])


def _load_tree(store: TripleStore) -> TerritoryTree:
    nodes: dict[str, Node] = {}
    for row in store.select(query("territory_tree")):
        iri = str(row["territory"])
        kind = KIND_OF_CLASS.get(row["class"])  # type: ignore[call-overload]
        if kind is None or iri in nodes:
            continue
        nodes[iri] = Node(iri=iri, kind=kind, name=str(row["name"]),
                          parent=str(row["parent"]) if row.get("parent") is not None else None)
    return TerritoryTree(nodes, points=lambda: _load_points(store))


def _load_points(store: TripleStore) -> dict[str, tuple[float, float]]:
    points = {}
    for row in store.select(query("territory_points")):
        lat, long = _float(row["lat"]), _float(row["long"])
        if lat is not None and long is not None:
            points[str(row["territory"])] = (lat, long)
    return points


def _float(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _fresh_state(store: TripleStore) -> _TreeState:
    now = time.monotonic()
    generation = store_generation(store)
    fingerprint = _fingerprint(store)
    return _TreeState(_load_tree(store), fingerprint, generation, now, now)


def _reload_in_background(store: TripleStore, state: _TreeState) -> None:
    def reload() -> None:
        try:
            fresh = _fresh_state(store)
            with _TREES_LOCK:
                _TREES[store] = fresh
        finally:
            state.reloading = False

    state.reloading = True
    threading.Thread(target=reload, name="territory-tree", daemon=True).start()


def territory_tree(store: TripleStore, want: str | None = None) -> TerritoryTree:
    """The store's territory tree, loaded once and kept fresh.

    Territories are counted (official ones and drawn neighbourhoods) every
    ``TREE_CHECK_SECONDS`` while the store is being written to, and at once (at most every
    second) when ``want`` — a territory the caller is about to show — is unknown; the tree
    is reloaded when the count moved, and in the background every ``TREE_RELOAD_SECONDS``
    (a neighbourhood renamed or moved keeps the count).
    """
    now = time.monotonic()
    with _TREES_LOCK:
        state = _TREES.get(store)
    if state is None:
        with _LOADING_LOCK:
            with _TREES_LOCK:
                state = _TREES.get(store)
            if state is None:
                state = _fresh_state(store)
                with _TREES_LOCK:
                    _TREES[store] = state
                return state.tree
    if now - state.loaded >= TREE_RELOAD_SECONDS and not state.reloading:
        _reload_in_background(store, state)
    unknown = want is not None and want not in state.tree
    generation = store_generation(store)
    moved = generation is None or generation != state.generation
    due = now - state.checked >= (1.0 if unknown else TREE_CHECK_SECONDS)
    if not (due or (unknown and moved)):
        return state.tree
    state.checked = now
    if not moved:
        return state.tree
    state.generation = generation
    if _fingerprint(store) == state.fingerprint:
        return state.tree
    with _LOADING_LOCK:
        fresh = _fresh_state(store)
        with _TREES_LOCK:
            _TREES[store] = fresh
    return fresh.tree


def territories_changed(store: TripleStore) -> None:
    """Forget the store's territory tree: the next page reloads it."""
    with _TREES_LOCK:
        _TREES.pop(store, None)


# ---- feed items -------------------------------------------------------------------------
@dataclass
class Item:
    """One resource as a feed, a stream or the map shows it."""

    iri: str
    cls: str
    territory: str
    date: datetime | None = None
    name: str | None = None
    summary: str | None = None
    content: str | None = None
    published: datetime | None = None
    created: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    author: str | None = None
    author_name: str | None = None
    themes: list[str] = field(default_factory=list)
    kind: str | None = None  # event type, offer category or project stage IRI
    lat: float | None = None
    long: float | None = None

    @property
    def section(self) -> str | None:
        return section_of(self.cls)


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


_DETAIL = {
    str(AS.name): "name", str(AS.summary): "summary", str(AS.content): "content",
    str(AS.published): "published", str(AS.startTime): "start", str(AS.endTime): "end",
    str(AS.attributedTo): "author", str(DCTERMS.created): "created",
    str(CC.eventType): "kind", str(CC.category): "kind", str(CC.stage): "kind",
    str(GEO.lat): "lat", str(GEO.long): "long",
}
_DATES = {"published", "start", "end", "created"}


def fill_details(store: TripleStore, items: Sequence[Item]) -> None:
    """Reads what a feed shows of these items (and their authors' names) in two queries."""
    if not items:
        return
    by_iri: dict[str, Item] = {}
    for item in items:
        by_iri.setdefault(item.iri, item)
    rows = store.select(query("feed_details", items=[URIRef(i) for i in by_iri]))
    themes: dict[str, list[str]] = {}
    for row in rows:
        item = by_iri.get(str(row["item"]))
        prop, value = str(row["property"]), row["value"]
        if item is None:
            continue
        if prop == str(CC.theme):
            slug = str(value)[len(str(CCT)):] if str(value).startswith(str(CCT)) else None
            if slug:
                themes.setdefault(item.iri, []).append(slug)
            continue
        attribute = _DETAIL.get(prop)
        if attribute is None or getattr(item, attribute) is not None:
            continue
        if attribute in _DATES:
            setattr(item, attribute, _datetime(value))
        elif attribute in ("lat", "long"):
            setattr(item, attribute, _float(value))
        else:
            setattr(item, attribute, str(value))
    for iri, slugs in themes.items():
        by_iri[iri].themes = sorted(set(slugs))
    for item in items:
        if item is not by_iri[item.iri]:
            _copy(by_iri[item.iri], item)
    authors = sorted({i.author for i in by_iri.values() if i.author})
    if authors:
        names = {str(r["thing"]): str(r["name"]) for r in store.select(
            query("feed_names", things=[URIRef(a) for a in authors]))}
        for item in items:
            if item.author:
                item.author_name = names.get(item.author)


def _copy(source: Item, target: Item) -> None:
    for name in ("name", "summary", "content", "published", "created", "start", "end",
                 "author", "themes", "kind", "lat", "long"):
        setattr(target, name, getattr(source, name))


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, Literal):
        python = value.toPython()
        if isinstance(python, datetime):
            return python if python.tzinfo else python.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def citizen_themes(store: TripleStore, actor: str) -> list[str]:
    """The interests (theme slugs) on a citizen's public resource."""
    text = store.graph(actor)
    if not text:
        return []
    prefix = f"<{actor}> <{CC.theme}> <{CCT}"
    found = []
    for line in text.splitlines():
        if line.startswith(prefix):
            found.append(line[len(prefix):].split(">", 1)[0])
    return sorted(set(found))


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
