"""Search across every kind of resource inside a perimeter: ``/search``.

``/search?q=fête&territory=97411&themes=culture,sport&types=events,posts&page=2``

- ``q``: words (accents and case do not matter; the last letters of a word may be left out);
- ``territory``: a territory code as in its URL (``97411``, ``departement-974``,
  ``region-04``, ``epci-249740119``, ``FR``) or its full IRI — the perimeter, searched with
  everything inside it (``cc:partOf``); none: the whole instance;
- ``themes`` / ``types``: comma-separated or repeated (``theme=…&theme=…`` works too);
  types are container names (``events``, ``organizations``…, and ``territories``).

The same URL answers HTML (an accessible page) or JSON (``Accept: application/json``).
A theme, type or territory that does not exist gets a clear message and a 400, never a 500.

The index (store/search.py, ``{data}/search.sqlite3``) follows every applied activity
through ``federation.activities.on_applied``; it is checked against the store the first
time a process searches and then every ``CHECK_SECONDS`` (rebuilt when the store was
changed where no observer ran: ``communecter demo``, other command-line tools).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from ontology import THEMES
from store import search
from store.base import TripleStore
from store.search import FILE_NAME, TYPES, Results, SearchError, SearchIndex, Territory
from web.platform import platform

logger = logging.getLogger(__name__)

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
CHECK_SECONDS = 300.0
#: Up to this many resources, an out-of-date index is rebuilt before answering (a second
#: or two); above, it is rebuilt in the background while the old one answers.
SYNC_REBUILD_LIMIT = 50_000
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
EXTENSION = "communecter.search"

TYPE_LABELS = {
    "persons": lazy_gettext("Citoyens"),
    "organizations": lazy_gettext("Organisations"),
    "projects": lazy_gettext("Projets"),
    "events": lazy_gettext("Événements"),
    "posts": lazy_gettext("Publications"),
    "proposals": lazy_gettext("Propositions"),
    "offers": lazy_gettext("Annonces"),
    "places": lazy_gettext("Lieux"),
    "territories": lazy_gettext("Territoires"),
}
KIND_LABELS = {
    "Country": lazy_gettext("pays"),
    "Region": lazy_gettext("région"),
    "Departement": lazy_gettext("département"),
    "Intercommunality": lazy_gettext("intercommunalité"),
    "Commune": lazy_gettext("commune"),
    "Neighbourhood": lazy_gettext("quartier"),
}


class SearchService:
    """The index of one app's store, checked against the store now and then."""

    def __init__(self, index: SearchIndex, store: TripleStore) -> None:
        self.index = index
        self.store = store
        self._checked: float | None = None
        self._lock = threading.Lock()

    def ready(self) -> None:
        """Makes sure the index was compared with the store recently (see module doc)."""
        now = time.monotonic()
        with self._lock:
            if self._checked is not None and now - self._checked < CHECK_SECONDS:
                return
            first = self._checked is None
            self._checked = now
        if first and self.index.count() <= SYNC_REBUILD_LIMIT:  # small or new: check now
            try:
                stamp = search.store_stamp(self.store)
                if stamp == self.index.stamp():
                    return
                if stamp[0] <= SYNC_REBUILD_LIMIT:
                    self.index.ensure_current(self.store)
                    return
            except Exception:  # the search still answers from the index it has
                logger.exception("could not check the search index")
                return
        threading.Thread(target=self._check, name="search-index-check", daemon=True).start()

    def _check(self) -> None:
        try:
            self.index.ensure_current(self.store)
        except Exception:
            logger.exception("could not rebuild the search index")


def service(app: Flask | None = None) -> SearchService:
    return (app or current_app).extensions[EXTENSION]


@bp.record_once
def _setup(state: object) -> None:
    app = state.app  # type: ignore[attr-defined]
    found = app.extensions["communecter"]
    index = SearchIndex(found.settings.data_dir / FILE_NAME)
    search.bind(found.store, index)
    app.extensions[EXTENSION] = SearchService(index, found.store)


@on_applied
def _follow_writes(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    """Every applied activity: re-read what it touched and update the index."""
    index = search.index_for(handler.store)
    if index is None:
        return
    for iri in dict.fromkeys([outcome.iri, activity.object]):
        if iri and iri.startswith(handler.base_url + "/"):
            index.on_resource_changed(iri, handler.store.graph(iri))


# ---- the query string ------------------------------------------------------------------

@dataclass
class Query:
    words: str = ""
    territory: Territory | None = None
    themes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    page: int = 1

    def params(self, **changes: object) -> str:
        values = {"q": self.words, "territory": _code(self.territory) if self.territory else "",
                  "themes": ",".join(self.themes), "types": ",".join(self.types),
                  "page": self.page}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})

    def as_json(self) -> dict:
        return {"q": self.words, "territory": self.territory.iri if self.territory else None,
                "themes": self.themes, "types": self.types, "page": self.page}


def _code(territory: Territory) -> str:
    return territory.iri.rstrip("/").rsplit("/", 1)[-1]


def _listed(*names: str) -> list[str]:
    values: list[str] = []
    for name in names:
        for raw in request.args.getlist(name):
            values.extend(v.strip() for v in raw.split(",") if v.strip())
    return list(dict.fromkeys(values))


def territory_iri(value: str) -> str:
    """A territory parameter (its code, or its IRI under this instance) as an IRI."""
    base = platform().base_url
    value = value.strip()
    if value.startswith(base + "/territories/"):
        value = value[len(base + "/territories/"):]
    if not _CODE.match(value):
        raise SearchError(gettext("« %(value)s » n'est pas un code de territoire.",
                                  value=value[:80]))
    return f"{base}/territories/{value}"


def read_query(index: SearchIndex) -> Query:
    """The query string, checked: raises SearchError with a message for people."""
    query = Query(words=request.args.get("q", "")[:200])
    theme_slugs = {slug for slug, *_ in THEMES}
    query.themes = _listed("themes", "theme")
    unknown = [t for t in query.themes if t not in theme_slugs]
    if unknown:
        raise SearchError(gettext("Thématique inconnue : %(names)s. Thématiques possibles : "
                                  "%(known)s.", names=", ".join(unknown[:5]),
                                  known=", ".join(sorted(theme_slugs))))
    query.types = _listed("types", "type")
    unknown = [t for t in query.types if t not in TYPES]
    if unknown:
        raise SearchError(gettext("Type inconnu : %(names)s. Types possibles : %(known)s.",
                                  names=", ".join(unknown[:5]), known=", ".join(TYPES)))
    code = request.args.get("territory", "").strip()
    if code:
        iri = territory_iri(code)
        query.territory = index.territory(iri)
        if query.territory is None:
            raise SearchError(gettext("Territoire inconnu : %(code)s.", code=code[:80]))
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= search.CAP // PAGE_SIZE:
        raise SearchError(gettext("Numéro de page invalide : %(page)s.", page=page[:20]))
    query.page = int(page)
    return query


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.args.get("format") == "json"


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"search_date": search_date}


def search_date(value: str | None, with_time: bool = False) -> str:
    """An ISO date of the index shown the French (or English) way, or ""."""
    from datetime import datetime

    from babel.dates import format_date, format_datetime
    from flask_babel import get_locale

    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    locale = get_locale() or "fr"
    if with_time:  # the time where it happens, as written in the data
        return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=moment.tzinfo, locale=locale)
    return format_date(moment, "d MMMM y", locale=locale)


def theme_choices() -> list[tuple[str, str]]:
    from flask_babel import get_locale

    locale = get_locale()
    english = bool(locale and locale.language == "en")
    return [(slug, en if english else fr) for slug, _iri, fr, en in THEMES]


# ---- the page ----------------------------------------------------------------------------

@bp.get("/search")
def search_page() -> Response:
    searcher = service()
    searcher.ready()
    index = searcher.index
    as_json = _wants_json()
    query = Query()
    error = None
    results: Results | None = None
    try:
        query = read_query(index)
        asked = bool(query.words.strip() or query.territory or query.themes or query.types)
        if asked:
            results = index.search(query.words, query.territory.iri if query.territory else None,
                                   query.themes, query.types, limit=PAGE_SIZE,
                                   offset=(query.page - 1) * PAGE_SIZE)
    except SearchError as problem:
        error = str(problem)
    if as_json:
        return _json(query, results, error)
    chain = index.chain(query.territory.iri) if query.territory else []
    more = bool(results and results.total > query.page * PAGE_SIZE)
    body = render_template(
        "search/search.html", query=query, results=results, error=error, chain=chain,
        themes=theme_choices(), types=[(t, TYPE_LABELS[t]) for t in TYPES],
        type_labels=TYPE_LABELS, kind_labels=KIND_LABELS, more=more,
        page_size=PAGE_SIZE)
    response = Response(body, status=400 if error else 200, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response


def _json(query: Query, results: Results | None, error: str | None) -> Response:
    if error:
        response = jsonify({"error": error})
        response.status_code = 400
        response.headers["Vary"] = "Accept"
        return response
    hits = results.hits if results else []
    total = results.total if results else 0
    payload = {"query": query.as_json(), "total": total,
               "capped": bool(results and results.capped),
               "results": [hit.as_json() for hit in hits]}
    if results and total > query.page * PAGE_SIZE:
        payload["next"] = f"/search?{query.params(page=query.page + 1)}"
    response = jsonify(payload)
    response.headers["Vary"] = "Accept"
    return response
