"""French territories: read the derived CSV files and turn them into RDF graphs.

The data comes from the official open data, derived once by ``derive.py`` (see
SOURCES.md), so that nothing is fetched at run time. Two files ship with the code:
``reunion.csv`` (La Réunion, the default and what the demo uses) and ``france.csv.gz``
(all of France). Each territory becomes one named graph whose name is its IRI:

- ``{base}/territories/FR``                  cc:Country
- ``{base}/territories/region-{code}``       cc:Region
- ``{base}/territories/departement-{code}``  cc:Departement
- ``{base}/territories/epci-{siren}``        cc:Intercommunality
- ``{base}/territories/{insee}``             cc:Commune

A municipal arrondissement of Paris, Lyon or Marseille is a cc:Commune too (it has an
INSEE code, a town hall and postal codes, and people say they live in it) whose
``cc:partOf`` is its parent commune: the zoom goes arrondissement → commune → EPCI.

A commune has one row (one parent: its EPCI if any, else its département), but an EPCI may
straddle départements and is hung under only one of them (the one holding most of its
population). So every commune of a département also gets a direct ``cc:partOf`` its own
département, derived from its INSEE code (``departement_code``): "what lies inside this
département" follows a commune's own link, never its EPCI's. The EPCI keeps its single
``cc:partOf`` (its breadcrumb); an arrondissement stays ``cc:partOf`` its commune only.
This module knows no HTTP and no Flask.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, XSD, Graph, Literal, URIRef

from ontology import AS, CC, CCT, DCTERMS, GEO, ORG, SCHEMA

HERE = Path(__file__).resolve().parent
REUNION_PATH = HERE / "reunion.csv"
FRANCE_PATH = HERE / "france.csv.gz"

KINDS = ("country", "region", "departement", "epci", "commune", "arrondissement")
COMMUNE_KINDS = ("commune", "arrondissement")
CLASS_OF = {
    "country": CC.Country,
    "region": CC.Region,
    "departement": CC.Departement,
    "epci": CC.Intercommunality,
    "commune": CC.Commune,
    "arrondissement": CC.Commune,
}
_IRI_PREFIX = {"region": "region-", "departement": "departement-", "epci": "epci-"}
#: INSEE prefixes of the overseas collectivities: no département (their communes are
#: cc:partOf FR directly).
OVERSEAS_COLLECTIVITIES = frozenset({"975", "977", "978", "984", "986", "987", "988", "989"})


def departement_code(insee: str) -> str | None:
    """The département of a commune from its INSEE code: its first 2 characters (2A and
    2B in Corsica), 3 overseas (97x, 98x); None for the overseas collectivities."""
    code = insee[:3] if insee.startswith(("97", "98")) else insee[:2]
    return None if code in OVERSEAS_COLLECTIVITIES or len(code) < 2 else code

__all__ = [
    "CLASS_OF",
    "COMMUNE_KINDS",
    "FRANCE_PATH",
    "KINDS",
    "OVERSEAS_COLLECTIVITIES",
    "REUNION_PATH",
    "Territory",
    "ancestors",
    "communes_for_postal_code",
    "containers",
    "departement_code",
    "index_territories",
    "new_graph",
    "read_territories",
    "territory_graph",
    "territory_graphs",
    "territory_iri",
]


@dataclass(frozen=True, slots=True)
class Territory:
    """One row of a territory file; ``parent_kind`` is empty only for the country."""

    kind: str
    code: str
    name: str
    parent_kind: str
    parent_code: str
    postal_codes: tuple[str, ...]
    population: int | None
    lat: Decimal | None
    long: Decimal | None

    @property
    def is_commune(self) -> bool:
        """True for communes and municipal arrondissements (both are cc:Commune)."""
        return self.kind in COMMUNE_KINDS

    @property
    def key(self) -> tuple[str, str]:
        """(kind, code): codes alone collide across kinds (région 04 vs département)."""
        return self.kind, self.code

    def iri(self, base: str) -> str:
        """This territory's IRI under ``base``."""
        return territory_iri(base, self.kind, self.code)

    def parent_iri(self, base: str) -> str | None:
        """The IRI of the row's parent (the breadcrumb's), or None for the country."""
        if not self.parent_kind:
            return None
        return territory_iri(base, self.parent_kind, self.parent_code)

    @property
    def departement_key(self) -> tuple[str, str] | None:
        """(kind, code) of a commune's own département when the row's parent is not it
        (the commune belongs to an EPCI): its second ``cc:partOf``. None otherwise."""
        if self.kind != "commune" or self.parent_kind in ("", "departement"):
            return None
        code = departement_code(self.code)
        return None if code is None else ("departement", code)

    @property
    def parent_keys(self) -> list[tuple[str, str]]:
        """(kind, code) of every territory ``cc:partOf`` points to, the row's parent first."""
        keys = [(self.parent_kind, self.parent_code)] if self.parent_kind else []
        if self.departement_key is not None:
            keys.append(self.departement_key)
        return keys

    def parent_iris(self, base: str) -> list[str]:
        """Every IRI ``cc:partOf`` points to: the row's parent, then the commune's own
        département when that parent is an EPCI."""
        return [territory_iri(base, kind, code) for kind, code in self.parent_keys]


def territory_iri(base: str, kind: str, code: str) -> str:
    """Mint a territory IRI; communes and arrondissements use their bare INSEE code."""
    if kind not in CLASS_OF:
        raise ValueError(f"unknown territory kind {kind!r}")
    return f"{base.rstrip('/')}/territories/{_IRI_PREFIX.get(kind, '')}{code}"


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _territory(row: dict[str, str]) -> Territory:
    return Territory(
        kind=row["kind"],
        code=row["code"],
        name=row["name"],
        parent_kind=row["parent_kind"],
        parent_code=row["parent_code"],
        postal_codes=tuple(row["postal_codes"].split()),
        population=int(row["population"]) if row["population"] else None,
        lat=_decimal(row["lat"]),
        long=_decimal(row["long"]),
    )


def read_territories(path: str | Path | None = None) -> list[Territory]:
    """Read a territory file (.csv or .csv.gz); La Réunion's by default."""
    path = Path(path) if path is not None else REUNION_PATH
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as packed:
            text = io.StringIO(packed.read().decode("utf-8"))
    else:
        text = io.StringIO(path.read_text(encoding="utf-8"))
    return [_territory(row) for row in csv.DictReader(text)]


def index_territories(territories: Iterable[Territory]) -> dict[tuple[str, str], Territory]:
    """Index by (kind, code), the key ``parent_kind``/``parent_code`` refer to."""
    return {territory.key: territory for territory in territories}


def ancestors(index: dict[tuple[str, str], Territory], territory: Territory) -> list[Territory]:
    """The breadcrumb above a territory, nearest first, ending with the country: a commune
    of an EPCI goes to the EPCI, then to its **own** département (not the EPCI's)."""
    chain = []
    current = territory
    while current.parent_kind:
        parent = index[(current.parent_kind, current.parent_code)]
        chain.append(parent)
        own = current.departement_key
        current = index[own] if own is not None and own in index else parent
        if current is not parent:
            chain.append(current)
    return chain


def containers(start: str, parents_of: Callable[[str], Iterable[str]],
               is_epci: Callable[[str], bool]) -> list[str]:
    """``start`` and every territory that contains it, nearest first (breadth first).

    ``parents_of`` gives the ``cc:partOf`` links of a territory, ``is_epci`` tells an
    intercommunality. A territory linked both to an EPCI and to something else (a commune
    and its own département) is inside the EPCI, but the EPCI's own parents are not
    followed: an EPCI straddling départements is hung under one of them only.
    """
    out = [start]
    seen = {start}
    queue = [start]
    while queue:
        current = queue.pop(0)
        parents = list(dict.fromkeys(parents_of(current)))
        direct = any(not is_epci(p) for p in parents)
        for parent in sorted(parents, key=lambda p: not is_epci(p)):  # the EPCI first
            if parent in seen:
                continue
            seen.add(parent)
            out.append(parent)
            if not (direct and is_epci(parent)):
                queue.append(parent)
    return out


def communes_for_postal_code(territories: Iterable[Territory], code: str,
                             include_arrondissements: bool = True) -> list[Territory]:
    """Communes served by a postal code: it may cover several, and is not an INSEE code."""
    kinds = COMMUNE_KINDS if include_arrondissements else ("commune",)
    code = code.strip()
    return [t for t in territories if t.kind in kinds and code in t.postal_codes]


_PREFIXES = {"cc": CC, "cct": CCT, "as": AS, "geo": GEO, "schema": SCHEMA, "org": ORG,
             "dcterms": DCTERMS}


def new_graph() -> Graph:
    """An empty graph with our prefixes; "core" binding is ~10x cheaper than rdflib's default.

    That matters when building tens of thousands of small graphs (all of France).
    """
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def territory_graph(base: str, territory: Territory) -> Graph:
    """The triples of one territory, as stored in its named graph."""
    graph = new_graph()
    subject = URIRef(territory.iri(base))
    graph.add((subject, RDF.type, CLASS_OF[territory.kind]))
    graph.add((subject, AS.name, Literal(territory.name)))
    graph.add((subject, CC.officialCode, Literal(territory.code)))
    if territory.is_commune:
        graph.add((subject, CC.inseeCode, Literal(territory.code)))
    for postal_code in territory.postal_codes:
        graph.add((subject, CC.postalCode, Literal(postal_code)))
    for parent in territory.parent_iris(base):
        graph.add((subject, CC.partOf, URIRef(parent)))
    if territory.population is not None:
        graph.add((subject, CC.population, Literal(territory.population, datatype=XSD.integer)))
    if territory.lat is not None and territory.long is not None:
        graph.add((subject, GEO.lat, Literal(territory.lat, datatype=XSD.decimal)))
        graph.add((subject, GEO.long, Literal(territory.long, datatype=XSD.decimal)))
    return graph


def territory_graphs(base: str, territories: Iterable[Territory]) -> Iterator[tuple[str, Graph]]:
    """Yield (territory IRI, its graph) for each territory, parents before children."""
    for territory in sorted(territories, key=lambda t: (KINDS.index(t.kind), t.code)):
        yield territory.iri(base), territory_graph(base, territory)
