"""Loading official territories fast: all of France (≈ 36,400 graphs) in a few seconds.

``store.territories.territory_graphs`` builds one rdflib graph per territory, which is
right for tests and small scopes but costs ~7 s for France before anything is written,
and ``TripleStore.bulk_load`` then removes each graph in its own transaction. This module
formats the same triples directly as N-Triples text (no rdflib) and writes them with
``TripleStore.write``: each batch of territories replaces its graphs and adds their
``ldp:contains`` membership in **one atomic write**, so a batch is either fully the old
data or fully the new one, and running the import again changes nothing (same graphs,
same membership triples).

The triples are exactly those of ``store.territories.territory_graph`` (tests compare the
two). Knows no HTTP and no Flask: the caller passes the store and reports progress.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ontology import AS, CC, GEO, LDP, RDF, XSD
from store.base import TripleStore, Write
from store.territories import (
    CLASS_OF,
    FRANCE_PATH,
    KINDS,
    REUNION_PATH,
    Territory,
    read_territories,
)

SCOPES = {"reunion": REUNION_PATH, "france": FRANCE_PATH}
BATCH = 2_000

_TYPE = f"<{RDF.type}>"
_NAME = f"<{AS.name}>"
_OFFICIAL = f"<{CC.officialCode}>"
_INSEE = f"<{CC.inseeCode}>"
_POSTAL = f"<{CC.postalCode}>"
_PART_OF = f"<{CC.partOf}>"
_POPULATION = f"<{CC.population}>"
_LAT = f"<{GEO.lat}>"
_LONG = f"<{GEO.long}>"
_CONTAINS = f"<{LDP.contains}>"
_INTEGER = f"^^<{XSD.integer}>"
_DECIMAL = f"^^<{XSD.decimal}>"
_CLASS = {kind: f"<{cls}>" for kind, cls in CLASS_OF.items()}

# N-Triples string escapes (ECHAR): what a literal's lexical form may not hold as is.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})

Progress = Callable[[int, int], None]


def literal(text: str) -> str:
    """A plain string literal in N-Triples."""
    return f'"{text.translate(_ESCAPES)}"'


def territory_ntriples(base: str, territory: Territory) -> str:
    """The N-Triples of one territory's graph: the triples of ``territory_graph``."""
    subject = f"<{territory.iri(base)}>"
    lines = [f"{subject} {_TYPE} {_CLASS[territory.kind]} .",
             f"{subject} {_NAME} {literal(territory.name)} .",
             f"{subject} {_OFFICIAL} {literal(territory.code)} ."]
    if territory.is_commune:
        lines.append(f"{subject} {_INSEE} {literal(territory.code)} .")
    for postal_code in territory.postal_codes:
        lines.append(f"{subject} {_POSTAL} {literal(postal_code)} .")
    for parent in territory.parent_iris(base):  # the row's parent, the own département
        lines.append(f"{subject} {_PART_OF} <{parent}> .")
    if territory.population is not None:
        lines.append(f'{subject} {_POPULATION} "{territory.population}"{_INTEGER} .')
    if territory.lat is not None and territory.long is not None:
        lines.append(f'{subject} {_LAT} "{territory.lat}"{_DECIMAL} .')
        lines.append(f'{subject} {_LONG} "{territory.long}"{_DECIMAL} .')
    return "\n".join(lines) + "\n"


def ordered(territories: Iterable[Territory]) -> list[Territory]:
    """Parents before children (country, régions, …, arrondissements), then by code."""
    return sorted(territories, key=lambda t: (KINDS.index(t.kind), t.code))


def batches(base: str, territories: list[Territory], size: int = BATCH
            ) -> Iterator[dict[str, str]]:
    """graph IRI → N-Triples, for each batch of territories."""
    for start in range(0, len(territories), size):
        yield {t.iri(base): territory_ntriples(base, t) for t in territories[start:start + size]}


def _rows(ntriples: str) -> list[str]:
    """The "s p o" parts of N-Triples lines (each line ends with " .")."""
    return [line[:-2] for line in ntriples.splitlines() if line]


def compare(store: TripleStore, container: str, graphs: dict[str, str]
            ) -> tuple[set[str], set[str], bool]:
    """(graphs stored exactly as given, graphs stored at all, whether all of them are
    members of the container).

    Two small queries per batch instead of reading the graphs back: how many triples
    each graph holds, and how many of the expected triples (membership included) the
    store holds, looked up as constants (literals compare by value, as stores
    canonicalize them).
    """
    values = " ".join(f"<{iri}>" for iri in graphs)
    stored = {str(row["g"]): int(row["n"]) for row in store.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
        f"GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g")}
    expected = {iri: _rows(text) for iri, text in graphs.items()}
    candidates = [iri for iri, count in stored.items() if count == len(expected[iri])]
    rows = [f"(<{iri}> {row})" for iri in candidates for row in expected[iri]]
    rows += [f"(<{container}> <{container}> {_CONTAINS} <{iri}>)" for iri in graphs]
    present = {str(row["g"]): int(row["n"]) for row in store.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES (?g ?s ?p ?o) {{ {' '.join(rows)} }} "
        f"GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g")}
    same = {iri for iri in candidates if present.get(iri) == len(expected[iri])}
    return same, set(stored), present.get(container) == len(graphs)


def load_territories(store: TripleStore, base: str, territories: Iterable[Territory],
                     progress: Progress | None = None, batch_size: int = BATCH) -> int:
    """Writes the territories' graphs and container membership; returns how many were
    written (0 when everything was already stored as given).

    Each batch is one atomic ``Write``: graphs that differ from what is stored are
    replaced, missing ones added, membership triples added (adding a triple that is
    already there changes nothing); a batch stored exactly as given is not written at all,
    so running the import again changes nothing and takes a fraction of the time.
    """
    base = base.rstrip("/")
    territories = ordered(territories)
    container = f"{base}/territories/"
    done = written = 0
    for graphs in batches(base, territories, batch_size):
        same, existing, all_members = compare(store, container, graphs)
        change = Write(replace={iri: text for iri, text in graphs.items()
                                if iri in existing and iri not in same},
                       add={iri: text for iri, text in graphs.items() if iri not in existing})
        if not all_members:
            change.add[container] = "".join(
                f"<{container}> {_CONTAINS} <{iri}> .\n" for iri in graphs)
        if change.replace or change.add:  # nothing at all when the batch is as stored
            store.write(change)
        written += len(graphs) - len(same)
        done += len(graphs)
        if progress is not None:
            progress(done, len(territories))
    return written


def import_scope(store: TripleStore, base: str, scope: str = "reunion",
                 out: TextIO | None = sys.stderr, search_index: Path | None = None) -> int:
    """``communecter import-territories --scope SCOPE``: reads the shipped file and loads
    it with a progress bar on ``out`` (None: silent); returns how many territories the
    scope holds. With ``search_index`` (the data directory's ``search.sqlite3``), the
    territories written are also recorded in the full-text index (hierarchy and names)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: choose one of {', '.join(SCOPES)}")
    territories = read_territories(Path(SCOPES[scope]))
    bar = ProgressBar("territories", out) if out is not None else None
    written = load_territories(store, base, territories, bar.update if bar else None)
    if bar is not None:
        bar.finish()
        print(f"territories: {len(territories):,} in scope {scope}, {written:,} written, "
              f"{len(territories) - written:,} already up to date", file=out)
    if search_index is not None and written:
        from store.search import SearchIndex, index_territory_rows

        index = SearchIndex(search_index)
        try:
            index_territory_rows(index, base, territories)
        finally:
            index.close()
    return len(territories)


class ProgressBar:
    """A one-line progress bar on a terminal, plain lines elsewhere (logs, pipes)."""

    WIDTH = 30

    def __init__(self, label: str, out: TextIO) -> None:
        self.label = label
        self.out = out
        self.started = time.monotonic()
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self._last_percent = -1

    def update(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        percent = int(fraction * 100)
        filled = int(fraction * self.WIDTH)
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        text = (f"{self.label} [{bar}] {percent:3d}% {done:,}/{total:,} "
                f"{time.monotonic() - self.started:5.1f} s")
        if self.tty:
            print(f"\r{text}", end="", file=self.out, flush=True)
        elif percent // 10 != self._last_percent // 10 or done == total:
            print(text, file=self.out, flush=True)
        self._last_percent = percent

    def finish(self) -> None:
        if self.tty:
            print(file=self.out, flush=True)
