"""Reading the store for the search index: documents streamed from an N-Quads dump, the
territory hierarchy, the stamp that tells whether the index is current, and the hook the
territory import calls.

Split from store/search.py so that what the index reads from the store (SPARQL, dumps)
is apart from the index file itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ontology import DCTERMS, TERRITORY_CLASSES
from store.base import TripleStore
from store.queries import query
from store.search_documents import (
    _CLASS_KIND,
    _WANTED,
    TERRITORIES,
    Document,
    Territory,
    document,
)

if TYPE_CHECKING:
    from store.search import SearchIndex


def documents_from_dump(chunks: Iterable[bytes]) -> Iterator[Document]:
    """Documents from an N-Quads dump, streamed: a graph's quads are contiguous in the
    dumps of every backend (a graph met again later replaces its first document)."""
    current: str | None = None
    pairs: list[tuple[str, str]] = []
    for quads in _quad_batches(chunks):
        for quad in quads:
            graph = quad.graph_name
            if not isinstance(graph, ox.NamedNode):
                continue
            name = graph.value
            if name != current:
                if current is not None and pairs:
                    doc = document(current, pairs)
                    if doc is not None:
                        yield doc
                current, pairs = name, []
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and subject.value == name:
                predicate = quad.predicate.value
                if predicate in _WANTED:
                    pairs.append((predicate, quad.object.value))
    if current is not None and pairs:
        doc = document(current, pairs)
        if doc is not None:
            yield doc


def _quad_batches(chunks: Iterable[bytes]) -> Iterator[Iterable[ox.Quad]]:
    """Parses byte chunks cut anywhere (the keeper streams its dump file by megabytes)."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1:]
        yield ox.parse(data[:cut + 1], format=ox.RdfFormat.N_QUADS)
    if rest.strip():
        yield ox.parse(rest, format=ox.RdfFormat.N_QUADS)


_CLASS_VALUES = " ".join(f"<{cls}>" for cls in _CLASS_KIND)


def store_territories(store: TripleStore) -> Iterator[Territory]:
    """Every territory with its parents, kind and name, in one query (a commune of an EPCI
    has two parents: the EPCI and its own département)."""
    rows = store.select(query("territories_with_parents", types=list(TERRITORY_CLASSES)))
    kinds = {str(row["t"]): str(row["type"]).rsplit("#", 1)[-1] for row in rows}
    for row in rows:
        parents = tuple(sorted(str(row["parents"]).split())) if row.get("parents") else ()
        nearest = next((p for p in parents if kinds.get(p) == "Intercommunality"),
                       parents[0] if parents else None)  # a commune's EPCI first
        yield Territory(str(row["t"]), nearest, kinds[str(row["t"])], str(row.get("name", "")),
                        str(row["code"]) if "code" in row else None, parents)


def store_stamp(store: TripleStore) -> tuple[int, str | None]:
    """(searchable resources, latest dcterms:modified) as the store sees them."""
    rows = store.select(
        "SELECT (COUNT(?s) AS ?n) (MAX(COALESCE(STR(?m), \"\")) AS ?last) WHERE { "
        f"VALUES ?type {{ {_CLASS_VALUES} }} GRAPH ?s {{ ?s a ?type "
        f"OPTIONAL {{ ?s <{DCTERMS.modified}> ?m }} }} }}")
    if not rows:
        return 0, None
    last = rows[0].get("last")
    return int(rows[0]["n"]), str(last) if last else None


def territories_from_rows(base: str, rows: Iterable[object]) -> list[Territory]:
    """Index entries for ``store.territories.Territory`` rows (the import's hook)."""
    out = []
    for row in rows:
        out.append(Territory(row.iri(base), row.parent_iri(base),  # type: ignore[attr-defined]
                             _KIND_CLASS[row.kind], row.name, row.code,  # type: ignore
                             tuple(row.parent_iris(base))))  # type: ignore[attr-defined]
    return out


_KIND_CLASS = {"country": "Country", "region": "Region", "departement": "Departement",
               "epci": "Intercommunality", "commune": "Commune", "arrondissement": "Commune"}


def index_territory_rows(index: SearchIndex, base: str, rows: list[object]) -> int:
    """Indexes imported territories as documents (searchable by name and postal code)."""
    territories = territories_from_rows(base, rows)
    index.put_territories(territories)
    docs = []
    for row, entry in zip(rows, territories, strict=True):
        codes = " ".join([row.code, *row.postal_codes])  # type: ignore[attr-defined]
        docs.append(Document(iri=entry.iri, type=TERRITORIES, cls=entry.kind, name=entry.name,
                             summary=codes, territory=entry.iri, parent=entry.parent,
                             code=entry.code, parents=list(entry.all_parents)))
    return index.index_documents(docs)
