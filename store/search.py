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
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import os
import re
import sqlite3
import threading
import time
import unicodedata
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from ontology import (
    AS,
    CC,
    CCT,
    CONTAINER_BY_CLASS,
    DCTERMS,
    RDF,
    SCHEMA,
    TERRITORY_CLASSES,
)
from store.base import TripleStore

FILE_NAME = "search.sqlite3"
TERRITORIES = "territories"
#: The searchable kinds: container slugs, plus the territories.
TYPES = (*dict.fromkeys(CONTAINER_BY_CLASS.values()), TERRITORIES)
#: How many of the most recent matches a query with words ranks at most (BM25 costs
#: ~10 µs a row: 1,000 rows keep the worst query of the seed benchmark near 30 ms).
CAP = 1_000
MAX_WORDS = 8
SLOTS = 1 << 20
#: A word is matched as a prefix only when the words it starts are in at most this many
#: documents (see SearchIndex._forms).
PREFIX_LIMIT = 20_000
#: Types making at least this part of the index (posts) are checked on the candidates:
#: intersecting their huge posting list in the index costs more than it saves.
KIND_FILTER_SHARE = 0.2
PREFIX_CACHE_SECONDS = 600.0

_TYPE = str(RDF.type)
_CLASS_KIND = {str(cls): slug for cls, slug in CONTAINER_BY_CLASS.items()}
_CLASS_KIND.update({str(cls): TERRITORIES for cls in TERRITORY_CLASSES})
_NAME = {str(AS.name), str(AS.preferredUsername)}
_SUMMARY = {str(AS.summary), str(CC.skill), str(CC.postalCode), str(CC.officialCode)}
_CONTENT = {str(AS.content), str(SCHEMA.streetAddress)}
_TERRITORY = str(CC.territory)
_PART_OF = str(CC.partOf)
_THEME = str(CC.theme)
_PUBLISHED = str(AS.published)
_CREATED = str(DCTERMS.created)
_MODIFIED = str(DCTERMS.modified)
_START = str(AS.startTime)
_WANTED = (_NAME | _SUMMARY | _CONTENT
           | {_TYPE, _TERRITORY, _PART_OF, _THEME, _PUBLISHED, _CREATED, _MODIFIED, _START})

#: Words too common in French to help (and costly to intersect): dropped from queries.
_STOP = ("a au aux avec c ce ces d dans de des du en et est il l la le les leur lui m ma mes "
         "n ne nos notre on ou par pas pour qu que qui s sa se ses son sur t ta te tes un "
         "une vos votre y")
STOP_WORDS = frozenset(_STOP.split(" "))
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS territories (
    iri TEXT PRIMARY KEY, parent TEXT, kind TEXT, name TEXT, code TEXT);
CREATE INDEX IF NOT EXISTS territories_parent ON territories (parent);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    class TEXT, name TEXT, territory TEXT, published TEXT, modified TEXT, start TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    name, summary, content, kind, places, themes,
    tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, fts, row);
"""


class SearchError(ValueError):
    """The query asks for something that does not exist (theme, type, territory)."""


@dataclass
class Document:
    """What the index keeps of one resource."""

    iri: str
    type: str
    cls: str
    name: str = ""
    summary: str = ""
    content: str = ""
    territory: str | None = None
    parent: str | None = None
    themes: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    start: str | None = None
    code: str | None = None

    @property
    def label(self) -> str:
        """What a result is called: its name, else the start of its text (posts)."""
        if self.name:
            return self.name
        text = self.content or self.summary
        return text if len(text) <= 90 else text[:90].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class Territory:
    iri: str
    parent: str | None
    kind: str
    name: str
    code: str | None


@dataclass
class Hit:
    """One search result, ready to show without reading the store."""

    iri: str
    type: str
    cls: str
    name: str
    territory: str | None
    territory_name: str | None
    published: str | None
    start: str | None
    score: float
    snippet: list[tuple[str, bool]]

    @property
    def snippet_text(self) -> str:
        return "".join(text for text, _ in self.snippet)

    def as_json(self) -> dict:
        return {"iri": self.iri, "type": self.type, "class": self.cls, "name": self.name,
                "territory": self.territory, "territoryName": self.territory_name,
                "published": self.published, "startTime": self.start,
                "score": round(self.score, 4), "snippet": self.snippet_text}


@dataclass
class Results:
    hits: list[Hit]
    total: int
    capped: bool
    words: list[str]


# ---- extracting documents ----------------------------------------------------------------

def _plain(text: str) -> str:
    """Text without markup (posts hold sanitised HTML), whitespace collapsed."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def document(iri: str, pairs: Iterable[tuple[str, str]]) -> Document | None:
    """The document of a resource from its (predicate, value) pairs about itself, or None
    when it is not searchable (containers, tombstones, unknown types)."""
    values: dict[str, list[str]] = {}
    for predicate, value in pairs:
        if predicate in _WANTED:
            values.setdefault(predicate, []).append(value)
    kinds = [(cls, _CLASS_KIND[cls]) for cls in values.get(_TYPE, []) if cls in _CLASS_KIND]
    if not kinds:
        return None
    cls, kind = sorted(kinds)[0]

    def joined(predicates: set[str]) -> str:
        return " ".join(_plain(v) for p in sorted(predicates) for v in values.get(p, []))

    def first(predicate: str) -> str | None:
        found = values.get(predicate)
        return min(found) if found else None

    names = values.get(str(AS.name)) or values.get(str(AS.preferredUsername)) or [""]
    themes = sorted({v[len(str(CCT)):] for v in values.get(_THEME, []) if v.startswith(str(CCT))})
    modified = values.get(_MODIFIED)
    return Document(
        iri=iri, type=kind, cls=cls.rsplit("#", 1)[-1], name=_plain(names[0]),
        summary=joined(_SUMMARY), content=joined(_CONTENT),
        territory=first(_TERRITORY) if kind != TERRITORIES else iri,
        parent=first(_PART_OF), themes=themes,
        published=first(_PUBLISHED) or first(_CREATED), modified=max(modified) if modified
        else None, start=first(_START), code=first(str(CC.officialCode)))


def document_from_ntriples(iri: str, ntriples: str) -> Document | None:
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return document(iri, ((t.predicate.value, t.object.value) for t in triples
                          if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri))


def document_from_graph(iri: str, graph: object) -> Document | None:
    """From an rdflib Graph (``graph.predicate_objects``)."""
    from rdflib import URIRef

    return document(iri, ((str(p), str(o)) for p, o in
                          graph.predicate_objects(URIRef(iri))))  # type: ignore[attr-defined]


def token(iri: str) -> str:
    """The filter token standing for a territory IRI (letters and digits only)."""
    return "t" + hashlib.blake2b(iri.encode(), digest_size=8).hexdigest()


#: Where undated documents (territories) sort: after everything, as if the newest, so that
#: a query ranking "the CAP most recent matches" always ranks the places it names.
UNDATED = 4_102_444_800  # 2100-01-01


def _epoch(moment: str | None) -> int:
    if not moment:
        return UNDATED
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(0, int(parsed.timestamp()))


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


class SearchIndex:
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
            connection.executemany(
                "INSERT OR REPLACE INTO territories (iri, parent, kind, name, code) "
                "VALUES (?, ?, ?, ?, ?)",
                [(t.iri, t.parent, t.kind, t.name, t.code) for t in territories])

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
        """The territory and those above it, nearest first."""
        chain: list[Territory] = []
        current = self.territory(iri)
        while current is not None and len(chain) < 12:
            chain.append(current)
            current = self.territory(current.parent) if current.parent else None
        return chain

    def count(self) -> int:
        return self._connection().execute("SELECT count(*) FROM docs").fetchone()[0]

    def stamp(self) -> tuple[int, str | None]:
        """(documents, latest dcterms:modified) — compared with ``store_stamp``."""
        row = self._connection().execute(
            "SELECT count(*), max(coalesce(modified, '')) FROM docs").fetchone()
        return int(row[0]), row[1] or None

    def search(self, words: str = "", perimeter: str | None = None,
               themes: Iterable[str] = (), types: Iterable[str] = (), limit: int = 20,
               offset: int = 0) -> Results:
        """Ranked hits for ``words`` inside ``perimeter`` (a territory IRI; everything
        when None or the top territory), with any of ``themes`` and ``types``.

        With words: BM25 over name, summary and content among the ``CAP`` most recent
        matches; without: the most recent matches. Raises SearchError for an unknown
        territory, theme or type.
        """
        themes, types = list(dict.fromkeys(themes)), list(dict.fromkeys(types))
        _check(themes, types)
        terms = query_words(words)
        filters = []
        if perimeter:
            place = self.territory(perimeter)
            if place is None:
                raise SearchError(f"unknown territory: {perimeter}")
            if place.parent:  # the top territory holds everything
                filters.append(f'places : "{token(place.iri)}"')
        if themes:
            filters.append("themes : (" + " OR ".join(f'"{t}"' for t in themes) + ")")
        kinds: list[str] = []  # types checked on the candidates rather than in the index
        if types:
            if self._share(types) >= KIND_FILTER_SHARE:
                kinds = types
            else:
                filters.append("kind : (" + " OR ".join(f'"{t}"' for t in types) + ")")
        # Places (undated: always "the newest") only when asked for by type, or named by
        # words; browsing a perimeter or a theme lists what happens there.
        without_places = TERRITORIES not in types and (bool(types) or not terms)
        limit = max(1, min(int(limit), 100))
        offset = max(0, min(int(offset), CAP))
        if words.strip() and not terms:  # only words too common to search for
            return Results([], 0, False, [])
        connection = self._connection()
        kind_check = (" JOIN docs d ON d.rowid = f.rowid WHERE d.type IN ("
                      + ",".join("?" * len(kinds)) + ")") if kinds else ""
        exclude = f' NOT kind : "{TERRITORIES}"' if without_places else ""
        if terms:
            forms = self._forms(terms)
            match = _match(forms, filters) + exclude
            rows = connection.execute(
                "SELECT rowid, score, total FROM ("
                " SELECT f.rowid, f.score, count(*) OVER () AS total FROM ("
                "  SELECT rowid, bm25(fts, 8.0, 3.0, 1.0, 0.0, 0.0, 0.0) AS score FROM fts"
                f"  WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ?) f{kind_check})"
                " ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
                (match, CAP, *kinds, limit, offset)).fetchall()
            return self._results(connection, rows, match, forms, offset, terms, kinds)
        if filters:
            match = " AND ".join(filters) + exclude
            rows = connection.execute(
                "SELECT rowid, 0.0, total FROM ("
                " SELECT f.rowid, count(*) OVER () AS total FROM ("
                f"  SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
                f"{kind_check}) ORDER BY rowid DESC LIMIT ? OFFSET ?",
                (match, CAP, *kinds, limit, offset)).fetchall()
            return self._results(connection, rows, match, [], offset, terms, kinds)
        kinds = kinds or [t for t in TYPES if t != TERRITORIES]
        marks = ",".join("?" * len(kinds))
        rows = connection.execute(
            f"SELECT rowid, 0.0, (SELECT count(*) FROM (SELECT 1 FROM docs WHERE type IN ({marks})"
            f" LIMIT ?)) FROM docs WHERE type IN ({marks}) ORDER BY rowid DESC LIMIT ? OFFSET ?",
            (*kinds, CAP, *kinds, limit, offset)).fetchall()
        return self._results(connection, rows, None, [], offset, terms, kinds)

    def _share(self, types: list[str]) -> float:
        """The part of the documents these types make (counted now and then)."""
        now = time.monotonic()
        if self._counts is None or now - self._counts[1] > PREFIX_CACHE_SECONDS:
            counts = dict(self._connection().execute(
                "SELECT type, count(*) FROM docs GROUP BY type").fetchall())
            self._counts = (counts, now)
        counts = self._counts[0]
        total = sum(counts.values()) or 1
        return sum(counts.get(t, 0) for t in types) / total

    def _forms(self, terms: list[str]) -> list[str]:
        """Each word as an FTS5 phrase: a prefix ("fest" → "festival", "atelier" →
        "ateliers") unless the words it starts are in too many documents — a prefix merges
        their posting lists, where a whole word is read lazily, newest first."""
        forms = []
        for word in terms:
            if len(word) >= 3 and self._prefix_documents(word) <= PREFIX_LIMIT:
                forms.append(f'"{word}"*')
            else:
                forms.append(f'"{word}"')
        return forms

    def _prefix_documents(self, word: str) -> int:
        """How many documents the words starting with ``word`` are in (cached a while)."""
        key = _fold(word)
        cached = self._prefix_cache.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[1] < PREFIX_CACHE_SECONDS:
            return cached[0]
        row = self._connection().execute(
            "SELECT coalesce(sum(doc), 0) FROM fts_terms WHERE term >= ? AND term < ?",
            (key, key + "\U0010ffff")).fetchone()
        if len(self._prefix_cache) > 10_000:
            self._prefix_cache.clear()
        self._prefix_cache[key] = (int(row[0]), now)
        return int(row[0])

    def _results(self, connection: sqlite3.Connection, rows: list, match: str | None,
                 forms: list[str], offset: int, terms: list[str], kinds: list[str]
                 ) -> Results:
        if not rows:
            total = 0 if offset == 0 else self._total(match, kinds)
            return Results([], total, total >= CAP, terms)
        total = int(rows[0][2])
        return Results(self._hits(connection, rows, forms), total, total >= CAP, terms)

    def _total(self, match: str | None, kinds: list[str]) -> int:
        """How many matches (up to CAP) a query has: for a page past the last one."""
        connection = self._connection()
        marks = ",".join("?" * len(kinds))
        if match is None:
            return connection.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM docs WHERE type IN ({marks}) LIMIT ?)",
                (*kinds, CAP)).fetchone()[0]
        check = f" JOIN docs d ON d.rowid = f.rowid WHERE d.type IN ({marks})" if kinds else ""
        return connection.execute(
            "SELECT count(*) FROM (SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC"
            f" LIMIT ?) f{check}", (match, CAP, *kinds)).fetchone()[0]

    def _hits(self, connection: sqlite3.Connection, rows: list, forms: list[str]
              ) -> list[Hit]:
        """The documents of these rows, with a snippet of their text around the words
        found (highlighted here: FTS5's snippet() would evaluate the whole query again)."""
        ids = [row[0] for row in rows]
        marks = ",".join("?" * len(ids))
        docs = {row[0]: row for row in connection.execute(
            "SELECT d.rowid, d.iri, d.type, d.class, d.name, d.territory, t.name, d.published,"
            f" d.start FROM docs d LEFT JOIN territories t ON t.iri = d.territory"
            f" WHERE d.rowid IN ({marks})", ids)}
        texts = {row[0]: (row[1], row[2]) for row in connection.execute(
            f"SELECT rowid, summary, content FROM fts WHERE rowid IN ({marks})", ids)}
        hits = []
        for rowid, score, _ in rows:
            doc = docs.get(rowid)
            if doc is None:
                continue
            summary, content = texts.get(rowid, ("", ""))
            hits.append(Hit(iri=doc[1], type=doc[2], cls=doc[3], name=doc[4] or doc[1],
                            territory=doc[5], territory_name=doc[6], published=doc[7],
                            start=doc[8], score=-float(score),
                            snippet=snippet(summary or "", content or "", forms)))
        return hits

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
        rows = store.select(
            "SELECT DISTINCT ?s WHERE { GRAPH ?s { ?s ?p ?when } "
            f"VALUES ?p {{ <{DCTERMS.modified}> <{AS.deleted}> }} "
            f'FILTER(?when >= "{stamp}"^^<http://www.w3.org/2001/XMLSchema#dateTime>) }}')
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


SNIPPET_WORDS = 24


def snippet(summary: str, content: str, forms: list[str]) -> list[tuple[str, bool]]:
    """(text, highlighted) parts: the text (content, else summary) around the first word
    found, at most SNIPPET_WORDS words, words found marked; the start of the summary when
    no word is found there (the name matched)."""
    wanted = [(form.strip('"*').strip('"'), form.endswith("*")) for form in forms]
    best: tuple[int, str, list[tuple[int, int, bool]]] | None = None
    for text in (content, summary):
        if not text:
            continue
        tokens = [(m.start(), m.end(), _hit(_fold(m.group()), wanted))
                  for m in _WORD.finditer(text)]
        found = sum(1 for *_, hit in tokens if hit)
        if found and (best is None or found > best[0]):
            best = (found, text, tokens)
    if best is None:
        text = summary or content
        if len(text) > 200:
            text = text[:200].rsplit(" ", 1)[0] + " …"
        return [(text, False)] if text else []
    _, text, tokens = best
    first = next(i for i, (*_, hit) in enumerate(tokens) if hit)
    start = max(0, first - SNIPPET_WORDS // 3)
    end = min(len(tokens), start + SNIPPET_WORDS)
    parts: list[tuple[str, bool]] = []
    position = tokens[start][0] if start else 0
    if start:
        parts.append(("… ", False))
    for begin, finish, hit in tokens[start:end]:
        if begin > position:
            parts.append((text[position:begin], False))
        parts.append((text[begin:finish], hit))
        position = finish
    tail = text[position:] if end == len(tokens) else " …"
    if tail:
        parts.append((tail, False))
    merged: list[tuple[str, bool]] = []
    for piece, hit in parts:
        if merged and merged[-1][1] == hit:
            merged[-1] = (merged[-1][0] + piece, hit)
        else:
            merged.append((piece, hit))
    return merged


def _hit(folded: str, wanted: list[tuple[str, bool]]) -> bool:
    return any(folded == word or (prefix and folded.startswith(word))
               for word, prefix in wanted)


def _match(forms: list[str], filters: list[str]) -> str:
    """The FTS5 expression: every word (quoted: never read as syntax) in a text column,
    and every filter."""
    return " AND ".join([f"{{name summary content}} : ({' AND '.join(forms)})", *filters])


def _fold(word: str) -> str:
    """A word as the tokenizer stores it: lowercase, without diacritics."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(text: str) -> list[str]:
    """The words of a query that are worth matching (lowercase, no stop words)."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    kept = [w for w in words if w not in STOP_WORDS and w != "_"]
    return list(dict.fromkeys(kept))[:MAX_WORDS]


def _check(themes: list[str], types: list[str]) -> None:
    from ontology import THEMES

    known = {slug for slug, *_ in THEMES}
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise SearchError(f"unknown theme(s): {', '.join(unknown)}")
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise SearchError(f"unknown type(s): {', '.join(unknown)}")


def _chain(connection: sqlite3.Connection, doc: Document) -> list[str]:
    chain: list[str] = []
    current = doc.territory if doc.type != TERRITORIES else doc.iri
    parent_of_self = doc.parent if doc.type == TERRITORIES else None
    while current and current not in chain and len(chain) < 12:
        chain.append(current)
        if parent_of_self is not None and current == doc.iri:
            current = parent_of_self
            continue
        row = connection.execute("SELECT parent FROM territories WHERE iri = ?",
                                 (current,)).fetchone()
        current = row[0] if row else None
    return chain


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
        "VALUES (?, ?, ?, ?, ?)", (doc.iri, doc.parent, doc.cls, doc.name, doc.code))


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
        self.parents: dict[str, str | None] = {}

    def put_territories(self, territories: Iterable[Territory]) -> None:
        rows = [(t.iri, t.parent, t.kind, t.name, t.code) for t in territories]
        self.connection.execute("BEGIN")
        self.connection.executemany(
            "INSERT OR REPLACE INTO territories (iri, parent, kind, name, code) "
            "VALUES (?, ?, ?, ?, ?)", rows)
        self.connection.execute("COMMIT")
        self.parents.update({row[0]: row[1] for row in rows})

    def chain(self, doc: Document) -> list[str]:
        chain: list[str] = []
        current = doc.territory if doc.type != TERRITORIES else doc.iri
        while current and current not in chain and len(chain) < 12:
            chain.append(current)
            current = (doc.parent if current == doc.iri and doc.type == TERRITORIES
                       else self.parents.get(current))
        return chain

    def add(self, docs: Iterable[Document], batch: int = 20_000) -> int:
        count = 0
        cursor = self.connection
        cursor.execute("BEGIN")
        for doc in docs:
            if doc.type == TERRITORIES:
                self.parents[doc.iri] = doc.parent
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


# ---- reading the store -------------------------------------------------------------------

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
_TERRITORY_VALUES = " ".join(f"<{cls}>" for cls in TERRITORY_CLASSES)


def store_territories(store: TripleStore) -> Iterator[Territory]:
    """Every territory with its parent, kind and name, in one query."""
    rows = store.select(
        "SELECT ?t ?type (SAMPLE(?label) AS ?name) (SAMPLE(?up) AS ?parent) "
        "(SAMPLE(?c) AS ?code) WHERE { "
        f"VALUES ?type {{ {_TERRITORY_VALUES} }} GRAPH ?t {{ ?t a ?type "
        f"OPTIONAL {{ ?t <{AS.name}> ?label }} OPTIONAL {{ ?t <{CC.partOf}> ?up }} "
        f"OPTIONAL {{ ?t <{CC.officialCode}> ?c }} }} }} GROUP BY ?t ?type")
    for row in rows:
        yield Territory(str(row["t"]), str(row["parent"]) if "parent" in row else None,
                        str(row["type"]).rsplit("#", 1)[-1], str(row.get("name", "")),
                        str(row["code"]) if "code" in row else None)


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
                             _KIND_CLASS[row.kind], row.name, row.code))  # type: ignore
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
                             code=entry.code))
    return index.index_documents(docs)
