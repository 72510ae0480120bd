"""The two feed questions answered from the search index instead of the triple store.

"What was posted lately in this département?" and "what is coming up in this commune on
this theme?" cannot be answered fast by Oxigraph at seed scale: it has no index on dates,
so ranking a département's posts reads every post attached to it (tens of thousands,
about a second). The full-text index (store/search.py) already files every resource
under its territory *and every territory above it*, with its kind and themes, and numbers
its rows by publication time — so "newest posts inside a perimeter" is a posting-list
intersection read newest first, and "events of a commune on a theme" a short list whose
start dates are in the row. The index is kept at write time by the activity observer and
rebuilt from the store when it is behind (store/search.py), so these answers follow every
write.

The SPARQL versions (store/queries/latest_posts_in_departement.rq and
upcoming_events_in_commune_for_theme.rq) stay: they are what a researcher asks the public
endpoint, and the tests check both give the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.base import TripleStore
from store.moments import parse_moment
from store.queries import query
from store.search import SearchIndex
from store.search_documents import token
from store.search_write import SLOTS

#: Events whose start is this far in the past are still read, in case they have not ended
#: (their end date is not in the index: it is read from the store for these few only).
_EVENTS_READ = 2_000
#: Rows read past the limit so that posts published in the same second sort by IRI.
_TIES = 20


@dataclass(frozen=True)
class PostRow:
    iri: str
    published: str | None
    territory: str | None
    name: str


@dataclass(frozen=True)
class EventRow:
    iri: str
    start: str
    end: str | None
    name: str


def latest_posts_in(index: SearchIndex, perimeter: str, limit: int = 20) -> list[PostRow]:
    """The newest posts attached to ``perimeter`` or to any territory inside it; posts of
    the same second by IRI, as the SPARQL query orders them (row ids break such ties by
    arrival, so a few more rows are read to order the last second whole)."""
    limit = max(1, min(limit, 500))
    rows = index._connection().execute(
        "SELECT d.rowid, d.iri, d.published, d.territory, d.name FROM ("
        " SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN docs d ON d.rowid = f.rowid",
        (f'places : "{token(perimeter)}" AND kind : "posts"', limit + _TIES)).fetchall()
    rows.sort(key=lambda row: (-(row[0] // SLOTS), row[1]))
    return [PostRow(*row[1:]) for row in rows[:limit]]


def upcoming_events_in(index: SearchIndex, store: TripleStore, commune: str, theme: str,
                       now: datetime, limit: int = 20) -> list[EventRow]:
    """The events of ``commune`` on ``theme`` not over at ``now``, soonest first.

    An event is over when its end (or, without an end, its start) is before ``now``. The
    index holds starts, so only the events that started already need their end: those are
    read from the store in one query.
    """
    if not theme.replace("-", "").isalnum():
        return []
    rows = index._connection().execute(
        "SELECT d.iri, d.start, d.name FROM ("
        " SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
        " JOIN docs d ON d.rowid = f.rowid",
        (f'places : "{token(commune)}" AND themes : "{theme}" AND kind : "events"',
         _EVENTS_READ)).fetchall()
    started, coming = [], []
    for iri, start, name in rows:
        moment = parse_moment(start)
        if moment is None:
            continue
        (coming if moment >= now else started).append((moment, iri, start, name))
    ends = _ends(store, [iri for _, iri, _, _ in started]) if started else {}
    still_on = [row for row in started if (parse_moment(ends.get(row[1])) or row[0]) >= now]
    chosen = sorted(still_on + coming)[:limit]
    return [EventRow(iri, start, ends.get(iri), name) for _, iri, start, name in chosen]


def _ends(store: TripleStore, events: list[str]) -> dict[str, str]:
    from rdflib import URIRef

    found = store.select(query("feed_event_ends", events=[URIRef(e) for e in events]))
    return {str(row["event"]): str(row["end"]) for row in found}
