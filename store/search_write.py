"""How documents become rows of the search index: the SQLite schema, row ids (publication
time × SLOTS + a slot), the chain of territories a row is filed under, and the bulk writer
rebuilds and benchmarks use.

Split from store/search.py so that the file layout lives in one place; ``SearchIndex``
(store/search.py) writes through these helpers.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from store.search_documents import TERRITORIES, Document, Territory, _epoch, token
from store.territories import containers

SLOTS = 1 << 20

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS territories (
    iri TEXT PRIMARY KEY, parent TEXT, kind TEXT, name TEXT, code TEXT);
CREATE INDEX IF NOT EXISTS territories_parent ON territories (parent);
CREATE TABLE IF NOT EXISTS territory_parents (
    iri TEXT NOT NULL, parent TEXT NOT NULL, PRIMARY KEY (iri, parent)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    class TEXT, name TEXT, territory TEXT, published TEXT, modified TEXT, start TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    name, summary, content, kind, places, themes,
    tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, fts, row);
"""


EPCI = "Intercommunality"


def _doc_parents(doc: Document) -> list[str]:
    return list(doc.parents) or ([doc.parent] if doc.parent else [])


def stored_parents(connection: sqlite3.Connection, iri: str) -> list[str]:
    """Every cc:partOf of a stored territory (the ``parent`` column in older files)."""
    rows = connection.execute("SELECT parent FROM territory_parents WHERE iri = ?",
                              (iri,)).fetchall()
    if rows:
        return [row[0] for row in rows]
    row = connection.execute("SELECT parent FROM territories WHERE iri = ?", (iri,)).fetchone()
    return [row[0]] if row and row[0] else []


def stored_is_epci(connection: sqlite3.Connection, iri: str) -> bool:
    row = connection.execute("SELECT kind FROM territories WHERE iri = ?", (iri,)).fetchone()
    return bool(row) and row[0] == EPCI


def _chain(connection: sqlite3.Connection, doc: Document) -> list[str]:
    """The document's territory and every territory containing it (``containers``: a
    commune is inside its own département, not its EPCI's)."""
    start = doc.territory if doc.type != TERRITORIES else doc.iri
    if not start:
        return []
    own = doc.type == TERRITORIES

    def parents_of(iri: str) -> list[str]:
        return _doc_parents(doc) if own and iri == doc.iri else stored_parents(connection, iri)

    def is_epci(iri: str) -> bool:
        return doc.cls == EPCI if own and iri == doc.iri else stored_is_epci(connection, iri)

    return containers(start, parents_of, is_epci)


def _put_parents(connection: sqlite3.Connection, iri: str, parents: Iterable[str]) -> None:
    connection.execute("DELETE FROM territory_parents WHERE iri = ?", (iri,))
    connection.executemany("INSERT OR IGNORE INTO territory_parents (iri, parent) VALUES (?, ?)",
                           [(iri, parent) for parent in parents])


def put_territory_rows(connection: sqlite3.Connection, territories: Iterable[Territory]
                       ) -> list[Territory]:
    """Records territories and their parents (in an open transaction)."""
    territories = list(territories)
    connection.executemany(
        "INSERT OR REPLACE INTO territories (iri, parent, kind, name, code) "
        "VALUES (?, ?, ?, ?, ?)", [(t.iri, t.parent, t.kind, t.name, t.code) for t in territories])
    for t in territories:
        _put_parents(connection, t.iri, t.all_parents)
    return territories


def _slot(iri: str) -> int:
    return int.from_bytes(hashlib.blake2b(iri.encode(), digest_size=4).digest(), "big") % SLOTS


def _rowid(connection: sqlite3.Connection, doc: Document) -> int:
    """Publication time × SLOTS + a slot drawn from the IRI (the next free one)."""
    candidate = _epoch(doc.published) * SLOTS + _slot(doc.iri)
    while connection.execute("SELECT 1 FROM docs WHERE rowid = ?", (candidate,)).fetchone():
        candidate += 1
    return candidate


def _delete(connection: sqlite3.Connection, iri: str) -> None:
    row = connection.execute("SELECT rowid FROM docs WHERE iri = ?", (iri,)).fetchone()
    if row is not None:
        connection.execute("DELETE FROM fts WHERE rowid = ?", row)
        connection.execute("DELETE FROM docs WHERE rowid = ?", row)


def _put_territory(connection: sqlite3.Connection, doc: Document) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO territories (iri, parent, kind, name, code) "
        "VALUES (?, ?, ?, ?, ?)", (doc.iri, _nearest(connection, doc), doc.cls, doc.name,
                                   doc.code))
    _put_parents(connection, doc.iri, _doc_parents(doc))


def _nearest(connection: sqlite3.Connection, doc: Document) -> str | None:
    """The ``parent`` column: a commune's EPCI when it has one, else its one parent."""
    parents = _doc_parents(doc)
    return next((p for p in parents if stored_is_epci(connection, p)),
                parents[0] if parents else None)


def _put(connection: sqlite3.Connection, doc: Document, chain: list[str]) -> None:
    _delete(connection, doc.iri)
    if doc.type == TERRITORIES:
        _put_territory(connection, doc)
    rowid = _rowid(connection, doc)
    connection.execute(
        "INSERT INTO docs (rowid, iri, type, class, name, territory, published, modified, start)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rowid, doc.iri, doc.type, doc.cls, doc.label, doc.territory, doc.published,
         doc.modified, doc.start))
    connection.execute(
        "INSERT INTO fts (rowid, name, summary, content, kind, places, themes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rowid, doc.name, doc.summary, doc.content, doc.type,
         " ".join(token(iri) for iri in chain), " ".join(doc.themes)))


class _BulkIndex:
    """A fresh index file written fast (no journal), for rebuilds and benchmarks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.executescript(SCHEMA_SQL)
        self.parents: dict[str, tuple[str, ...]] = {}
        self.kinds: dict[str, str] = {}

    def put_territories(self, territories: Iterable[Territory]) -> None:
        self.connection.execute("BEGIN")
        rows = put_territory_rows(self.connection, territories)
        self.connection.execute("COMMIT")
        self.parents.update({t.iri: t.all_parents for t in rows})
        self.kinds.update({t.iri: t.kind for t in rows})

    def chain(self, doc: Document) -> list[str]:
        start = doc.territory if doc.type != TERRITORIES else doc.iri
        if not start:
            return []
        own = doc.type == TERRITORIES

        def parents_of(iri: str) -> tuple[str, ...] | list[str]:
            return _doc_parents(doc) if own and iri == doc.iri else self.parents.get(iri, ())

        def is_epci(iri: str) -> bool:
            return (doc.cls if own and iri == doc.iri else self.kinds.get(iri)) == EPCI

        return containers(start, parents_of, is_epci)

    def add(self, docs: Iterable[Document], batch: int = 20_000) -> int:
        count = 0
        cursor = self.connection
        cursor.execute("BEGIN")
        for doc in docs:
            if doc.type == TERRITORIES:
                self.parents[doc.iri] = tuple(_doc_parents(doc))
                self.kinds[doc.iri] = doc.cls
                _put_territory(cursor, doc)
            rowid = _epoch(doc.published) * SLOTS + _slot(doc.iri)
            while True:
                try:
                    cursor.execute(
                        "INSERT INTO docs (rowid, iri, type, class, name, territory, published,"
                        " modified, start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (rowid, doc.iri, doc.type, doc.cls, doc.label, doc.territory,
                         doc.published, doc.modified, doc.start))
                    break
                except sqlite3.IntegrityError as error:
                    if "docs.iri" in str(error):  # a graph met twice: the last one wins
                        _delete(cursor, doc.iri)
                        count -= 1
                    else:  # the slot is taken: the next one
                        rowid += 1
            cursor.execute(
                "INSERT INTO fts (rowid, name, summary, content, kind, places, themes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rowid, doc.name, doc.summary, doc.content, doc.type,
                 " ".join(token(iri) for iri in self.chain(doc)), " ".join(doc.themes)))
            count += 1
            if count % batch == 0:
                cursor.execute("COMMIT")
                cursor.execute("BEGIN")
        cursor.execute("COMMIT")
        return count

    def finish(self) -> None:
        self.connection.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.close()
        with open(self.path, "rb") as handle:
            os.fsync(handle.fileno())

    def abandon(self) -> None:
        self.connection.close()
        self.path.unlink(missing_ok=True)


def build_index(path: Path, docs: Iterable[Document], territories: Iterable[Territory] = ()
                ) -> int:
    """Writes a new index file at ``path`` from documents (benchmarks, tests)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    bulk = _BulkIndex(path)
    bulk.put_territories(territories)
    count = bulk.add(docs)
    bulk.finish()
    return count

