"""Querying the search index: the FTS5 expression of a query, BM25 ranking among the
``CAP`` most recent matches, prefix or whole-word matching, and the hits with snippets.

Split from store/search.py: ``SearchQueries`` is the reading half of ``SearchIndex``
(which provides the connection and the territories), so ranking can be read and tuned
apart from keeping the index current.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store.search_documents import TERRITORIES, TYPES, Territory, token
from store.search_text import _fold, query_words, snippet

#: How many of the most recent matches a query with words ranks at most (BM25 costs
#: ~10 µs a row: 1,000 rows keep the worst query of the seed benchmark near 30 ms).
CAP = 1_000
#: A word is matched as a prefix only when the words it starts are in at most this many
#: documents (see SearchIndex._forms).
PREFIX_LIMIT = 20_000
#: Types making at least this part of the index (posts) are checked on the candidates:
#: intersecting their huge posting list in the index costs more than it saves.
KIND_FILTER_SHARE = 0.2
PREFIX_CACHE_SECONDS = 600.0


class SearchError(ValueError):
    """The query asks for something that does not exist (theme, type, territory)."""


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


def _match(forms: list[str], filters: list[str]) -> str:
    """The FTS5 expression: every word (quoted: never read as syntax) in a text column,
    and every filter."""
    return " AND ".join([f"{{name summary content}} : ({' AND '.join(forms)})", *filters])


def _check(themes: list[str], types: list[str]) -> None:
    from ontology import THEMES

    known = {slug for slug, *_ in THEMES}
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise SearchError(f"unknown theme(s): {', '.join(unknown)}")
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise SearchError(f"unknown type(s): {', '.join(unknown)}")


class SearchQueries:
    """The search methods of ``SearchIndex`` (store/search.py)."""

    _prefix_cache: dict[str, tuple[int, float]]
    _counts: tuple[dict[str, int], float] | None

    if TYPE_CHECKING:
        def _connection(self) -> sqlite3.Connection: ...

        def territory(self, iri: str) -> Territory | None: ...

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
