"""Full-text search: an SQLite FTS5 index in the data directory, rebuildable from the store.

SPARQL regex does not scale (DESIGN.md §3), so every searchable resource — citizens,
organizations, projects, events, posts, proposals, offers, places and territories — is
also a row of an FTS5 table in ``{data}/search.sqlite3``:

- text columns ``name`` (as:name, as:preferredUsername), ``summary`` (as:summary,
  cc:skill, codes) and ``content`` (as:content without markup, schema:streetAddress),
  tokenized for French (``unicode61 remove_diacritics 2``: "fete" finds "Fête"), ranked
  with BM25 weighted 8 / 3 / 1;
- filter columns holding one token per value: ``kind`` (the container: ``events``…),
  ``themes`` (theme slugs) and ``places`` — a token for the resource's territory **and
  every territory above it** through ``cc:partOf``, so "inside this perimeter" is one
  posting-list intersection whatever the level (commune, EPCI, département, région).

Row ids encode the publication time (seconds × 2^20 + a slot; undated documents — the
territories — sort as the newest), so "most recent first" is the index order: a query
without words lists the newest matches without sorting, and a query matching very many
rows ranks the ``CAP`` most recent of them with BM25 (bounded work whatever the word).
A word is matched as a prefix ("fest" → "festival", "atelier" → "ateliers") unless the
words it starts are too common (a prefix merges their posting lists; a whole word is
read lazily). Types that make a large part of the index (posts) are checked on the
candidates rather than intersected in the index. Snippets are cut and highlighted here
(FTS5's snippet() would evaluate the query a second time).

The index is derived data: ``rebuild(store)`` recreates it from the store's dump in a new
file swapped in atomically; ``on_resource_changed(iri, graph_or_none)`` keeps it current
after each write (the web layer calls it from the activity observer); ``is_current``
compares the index with the store (resource count and latest ``dcterms:modified``) to
catch writes made where no observer ran (command-line tools). Knows no HTTP and no Flask.

This module holds the index file itself (connections, writes, keeping up with the store)
and re-exports the rest: documents (store/search_documents.py), query words and snippets
(store/search_text.py), rows and the bulk writer (store/search_write.py), queries and
ranking (store/search_query.py), reading the store (store/search_sources.py).
"""


from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Literal
from rdflib.namespace import XSD

from store.base import TripleStore
from store.queries import query
from store.search_documents import (
    _CLASS_KIND,
    _WANTED,
    FILE_NAME,
    TERRITORIES,
    TYPES,
    UNDATED,
    Document,
    Territory,
    _epoch,
    _plain,
    document,
    document_from_graph,
    document_from_ntriples,
    token,
)
from store.search_query import (
    CAP,
    KIND_FILTER_SHARE,
    PREFIX_CACHE_SECONDS,
    PREFIX_LIMIT,
    Hit,
    Results,
    SearchError,
    SearchQueries,
    _check,
    _match,
)
from store.search_sources import (
    documents_from_dump,
    index_territory_rows,
    store_stamp,
    store_territories,
    territories_from_rows,
)
from store.search_text import (
    MAX_WORDS,
    SNIPPET_WORDS,
    STOP_WORDS,
    _fold,
    _hit,
    query_words,
    snippet,
)
from store.search_write import (
    SCHEMA_SQL,
    SLOTS,
    _BulkIndex,
    _chain,
    _delete,
    _put,
    _put_territory,
    _rowid,
    _slot,
    build_index,
    put_territory_rows,
    stored_is_epci,
    stored_parents,
)
from store.territories import containers

__all__ = [
    "CAP", "FILE_NAME", "KIND_FILTER_SHARE", "MAX_WORDS", "PREFIX_CACHE_SECONDS",
    "PREFIX_LIMIT", "SCHEMA_SQL", "SLOTS", "SNIPPET_WORDS", "STOP_WORDS", "TERRITORIES",
    "TYPES", "UNDATED", "_CLASS_KIND", "_WANTED", "Document", "Hit", "Results",
    "SearchError", "SearchIndex", "Territory", "_BulkIndex", "_chain", "_check", "_delete",
    "_epoch", "_fold", "_hit", "_match", "_plain", "_put", "_put_territory", "_rowid",
    "_slot", "bind", "build_index", "document", "document_from_graph",
    "document_from_ntriples", "documents_from_dump", "index_for", "index_territory_rows",
    "on_resource_changed", "query_words", "snippet", "store_stamp", "store_territories",
    "territories_from_rows", "token",
]

# ---- the index ---------------------------------------------------------------------------

_BOUND: weakref.WeakKeyDictionary[TripleStore, SearchIndex] = weakref.WeakKeyDictionary()


def bind(store: TripleStore, index: SearchIndex) -> None:
    """Declares the index that follows this store (for ``on_resource_changed``)."""
    _BOUND[store] = index


def index_for(store: TripleStore) -> SearchIndex | None:
    return _BOUND.get(store)


def on_resource_changed(iri: str, graph_or_none: object, store: TripleStore | None = None
                        ) -> None:
    """Tells the index of ``store`` (every bound index when None) that a resource was
    written (its graph: N-Triples text or an rdflib Graph) or deleted (None)."""
    indexes = [_BOUND[store]] if store is not None and store in _BOUND else (
        list(_BOUND.values()) if store is None else [])
    for index in indexes:
        index.on_resource_changed(iri, graph_or_none)


class SearchIndex(SearchQueries):
    """The FTS5 index file; safe to use from several threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._prefix_cache: dict[str, tuple[int, float]] = {}
        self._counts: tuple[dict[str, int], float] | None = None
        with self._connection() as connection:
            connection.executescript(SCHEMA_SQL)

    # -- connections: one per thread, reopened when a rebuild swapped the file in --
    def _connection(self) -> sqlite3.Connection:
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = None
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is not None and local.inode == inode and inode is not None:
            return connection
        if connection is not None:
            connection.close()
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA_SQL)
        local.connection, local.inode = connection, self.path.stat().st_ino
        return connection

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- writing --
    def index(self, doc: Document) -> None:
        """Adds or replaces one document."""
        with self._transaction() as connection:
            _put(connection, doc, _chain(connection, doc))

    def index_graph(self, iri: str, graph: object) -> bool:
        """Indexes a resource from its graph (N-Triples text or rdflib Graph); False (and
        removed) when it is not searchable, e.g. a tombstone."""
        doc = (document_from_ntriples(iri, graph) if isinstance(graph, str)
               else document_from_graph(iri, graph))
        if doc is None:
            self.remove(iri)
            return False
        self.index(doc)
        return True

    def remove(self, iri: str) -> None:
        with self._transaction() as connection:
            _delete(connection, iri)

    def on_resource_changed(self, iri: str, graph_or_none: object) -> None:
        if graph_or_none is None:
            self.remove(iri)
        else:
            self.index_graph(iri, graph_or_none)

    def put_territories(self, territories: Iterable[Territory]) -> None:
        """Records the territory hierarchy (the imports call it before indexing)."""
        with self._transaction() as connection:
            put_territory_rows(connection, territories)

    def index_documents(self, docs: Iterable[Document], batch: int = 5_000) -> int:
        """Adds or replaces many documents, ``batch`` per transaction."""
        count = 0
        pending: list[Document] = []
        for doc in docs:
            pending.append(doc)
            if len(pending) >= batch:
                count += self._write_batch(pending)
                pending = []
        if pending:
            count += self._write_batch(pending)
        return count

    def _write_batch(self, docs: list[Document]) -> int:
        with self._transaction() as connection:
            for doc in docs:
                if doc.type == TERRITORIES:
                    _put_territory(connection, doc)
            for doc in docs:
                _put(connection, doc, _chain(connection, doc))
        return len(docs)

    # -- reading --
    def territory(self, iri: str) -> Territory | None:
        row = self._connection().execute(
            "SELECT iri, parent, kind, name, code FROM territories WHERE iri = ?",
            (iri,)).fetchone()
        return Territory(*row) if row else None

    def chain(self, iri: str) -> list[Territory]:
        """The territory and those containing it, nearest first (the breadcrumb: a
        commune, its EPCI, its own département, région, country)."""
        connection = self._connection()
        if self.territory(iri) is None:
            return []
        found = containers(iri, lambda i: stored_parents(connection, i),
                           lambda i: stored_is_epci(connection, i))
        return [t for t in map(self.territory, found) if t is not None]

    def count(self) -> int:
        return self._connection().execute("SELECT count(*) FROM docs").fetchone()[0]

    def stamp(self) -> tuple[int, str | None]:
        """(documents, latest dcterms:modified) — compared with ``store_stamp``."""
        row = self._connection().execute(
            "SELECT count(*), max(coalesce(modified, '')) FROM docs").fetchone()
        return int(row[0]), row[1] or None


    # -- keeping up with the store --
    def rebuild(self, store: TripleStore) -> int:
        """Recreates the index from the store into a new file, then swaps it in."""
        with self._rebuild_lock():
            return self._rebuild(store)

    def _rebuild(self, store: TripleStore) -> int:
        started = datetime.now(UTC).replace(microsecond=0)
        territories = list(store_territories(store))
        fresh_path = self.path.with_name(self.path.name + ".new")
        for suffix in ("", "-wal", "-shm"):
            Path(str(fresh_path) + suffix).unlink(missing_ok=True)
        fresh = _BulkIndex(fresh_path)
        try:
            fresh.put_territories(territories)
            count = fresh.add(documents_from_dump(store.dump("application/n-quads")))
            fresh.finish()
        except BaseException:
            fresh.abandon()
            raise
        os.replace(fresh_path, self.path)
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        self.catch_up(store, started)
        return count

    def catch_up(self, store: TripleStore, since: datetime) -> int:
        """Re-reads what changed in the store since ``since`` (writes that went to the old
        file while a rebuild ran)."""
        stamp = since.isoformat().replace("+00:00", "Z")
        rows = store.select(query("changed_since", since=Literal(stamp, datatype=XSD.dateTime)))
        for row in rows:
            iri = str(row["s"])
            self.on_resource_changed(iri, store.graph(iri))
        return len(rows)

    @contextlib.contextmanager
    def _rebuild_lock(self, wait: bool = True) -> Iterator[bool]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle, flags)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_current(self, store: TripleStore) -> bool:
        return self.stamp() == store_stamp(store)

    def ensure_current(self, store: TripleStore) -> bool:
        """Rebuilds when the index does not match the store; True when it rebuilt.
        Another process already rebuilding: returns at once (its file will be used)."""
        with self._rebuild_lock(wait=False) as locked:
            if not locked or self.is_current(store):
                return False
            self._rebuild(store)
            return True
