"""The territory tree of a store: every territory, linked both ways, read once into memory
and kept fresh, and the perimeters (a territory and everything below it) computed from it.

It exists apart from the feeds because it is their starting point and knows nothing of
what is attached to territories: store/feeds.py explains why the tree is kept in memory
and when it is re-checked or reloaded.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import URIRef

from ontology import CC
from store.base import TripleStore
from store.queries import query
from store.territories import containers

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

TREE_CHECK_SECONDS = 30.0
TREE_RELOAD_SECONDS = 600.0
#: Above this many territories a perimeter is left open (the country).
OPEN_PERIMETER = 20_000
_OPEN = URIRef("urn:x-communecter:any-territory")


# ---- the territory tree ---------------------------------------------------------------
@dataclass(slots=True)
class Node:
    """One territory of the tree."""

    iri: str
    kind: str
    name: str
    parent: str | None  # the nearest parent (a commune's EPCI if any): the breadcrumb's
    lat: float | None = None
    long: float | None = None
    children: list[str] = field(default_factory=list)  # listed on its page (see below)
    parents: list[str] = field(default_factory=list)  # every cc:partOf, ``parent`` among them

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
        # A commune is cc:partOf its EPCI and of its own département; an EPCI is hung under
        # one département only (it may straddle several). ``_inside[p]``: the territories
        # linked to p; ``_below[p]``: those whose own parents' parents are p's too (a
        # commune with its own département link is not below its EPCI's département).
        self._inside: dict[str, list[str]] = {}
        self._below: dict[str, list[str]] = {}
        for node in nodes.values():
            if node.parent and node.parent not in node.parents:
                node.parents.insert(0, node.parent)
            known = [p for p in dict.fromkeys(node.parents) if p in nodes]
            if node.kind == "commune" and any(nodes[p].kind == "commune" for p in known):
                node.kind = "arrondissement"
        for node in nodes.values():
            known = [p for p in dict.fromkeys(node.parents) if p in nodes]
            if known:
                node.parent = min(known, key=lambda p: LEVELS.index(nodes[p].kind))
            direct = any(nodes[p].kind != "epci" for p in known)
            for p in known:
                self._inside.setdefault(p, []).append(node.iri)
                if not (direct and nodes[p].kind == "epci"):
                    self._below.setdefault(p, []).append(node.iri)
        for node in nodes.values():
            parent = nodes.get(node.parent) if node.parent else None
            if parent is None:
                continue
            parent.children.append(node.iri)
            # Also listed under its own département when its EPCI hangs elsewhere.
            for other in dict.fromkeys(node.parents):
                if other != node.parent and other in nodes and parent.kind == "epci" \
                        and parent.parent != other:
                    nodes[other].children.append(node.iri)
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
        """The territory, then the territories containing it up to the country (the
        breadcrumb): a commune, its EPCI if any, its own département, région, country."""
        if iri not in self.nodes:
            return []
        nodes = self.nodes
        found = containers(iri, lambda i: [p for p in nodes[i].parents if p in nodes],
                           lambda i: nodes[i].kind == "epci")
        return [nodes[i] for i in found]

    def children(self, iri: str) -> list[Node]:
        node = self.nodes.get(iri)
        return [self.nodes[c] for c in node.children] if node else []

    def descendants(self, iri: str) -> list[str]:
        """Every territory inside ``iri`` (not itself): an EPCI holds its member communes;
        a département the communes whose own département it is (with their arrondissements
        and neighbourhoods) and the EPCIs hung under it, not the other members of those."""
        out: list[str] = []
        seen = {iri}
        queue = list(self._inside.get(iri, ()))
        while queue:
            current = queue.pop()
            if current in seen:
                continue
            seen.add(current)
            out.append(current)
            queue.extend(self._below.get(current, ()))
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
        parent = str(row["parent"]) if row.get("parent") is not None else None
        if iri in nodes:  # one row per cc:partOf (a commune: its EPCI, its département)
            if parent is not None and parent not in nodes[iri].parents:
                nodes[iri].parents.append(parent)
            continue
        if kind is None:
            continue
        nodes[iri] = Node(iri=iri, kind=kind, name=str(row["name"]), parent=None,
                          parents=[parent] if parent is not None else [])
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
