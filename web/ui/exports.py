"""Exports people expect: iCalendar, RSS 2.0, Atom, GeoJSON and CSV, under ``/export/``.

Calendars (iCalendar, RFC 5545; events not over, or over for less than ``PAST_DAYS``):

- ``/export/events/{slug}.ics`` — one event;
- ``/export/territories/{code}/events.ics`` — a territory's events, everything inside it
  included (``{code}`` as in the territory's URL: ``97411``, ``departement-974``…);
- ``/export/organizations/{slug}/events.ics`` (and ``/export/projects/{slug}/events.ics``)
  — the events attributed to it;
- ``/export/persons/{slug}/agenda.ics`` — a person's agenda: the events they attend
  (``schema:attendee`` in ``{event}/attendees``), created (``dcterms:creator``) or that are
  attributed to them (``as:attributedTo``).

Feeds (RSS 2.0 and Atom 1.0, the ``FEED_SIZE`` newest items, comments left out):

- ``/export/territories/{code}/posts.rss|atom`` and ``…/events.rss|atom`` (upcoming);
- ``/export/{persons|organizations|projects|events}/{slug}/posts.rss|atom`` — posts on its
  wall or by it; ``/export/{organizations|projects}/{slug}/events.rss|atom``.

Directories (GeoJSON, RFC 7946, one Feature per item, ``null`` geometry when it has no
point; CSV, UTF-8, a header row, RFC 4180 quoting):

- ``/export/territories/{code}/{organizations|events|places|projects}.geojson|csv``.

For ``<link rel="alternate">`` in a page's head, ``alternates(iri)`` lists the feeds of a
resource as ``{"href", "type", "title"}`` dicts, e.g. for ``{base}/territories/97411``::

    {% for link in alternates(iri) %}<link rel="alternate" type="{{ link.type }}"
        href="{{ link.href }}" title="{{ link.title }}">{% endfor %}

(``alternates`` is a Jinja global once this blueprint is registered.) An unknown
territory or resource answers 404 with a sentence saying so, a resource of the wrong kind
404 too, a deleted one 410.

This module holds the blueprint and its routes; reading the store is in
web/ui/export_entries.py and the formats in export_calendar.py, export_feeds.py and
export_directories.py (their names are re-exported here).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort
from flask_babel import gettext
from rdflib import Literal, URIRef

from federation.resources import is_tombstone_text
from store import feeds
from web.platform import platform
from web.ui.export_calendar import PRODID, calendar
from web.ui.export_directories import (
    CSV_COLUMNS,
    DIRECTORIES,
    ORGANIZATION_CLASSES,
    _row,
    directory_csv,
    geojson,
)
from web.ui.export_entries import (
    _LINKED,
    _PROPERTIES,
    _TAG,
    MEDIA,
    Entry,
    _datetime,
    _plain,
    _select_items,
    _shorten,
    _stamp,
    read_entries,
)
from web.ui.export_feeds import (
    ATOM,
    DC,
    _item_text,
    _item_title,
    _rfc3339,
    _xml,
    atom,
    rss,
)

__all__ = [
    "ATOM", "CALENDAR_SIZE", "CSV_COLUMNS", "DC", "DIRECTORIES", "DIRECTORY_SIZE",
    "FEED_SIZE", "MEDIA", "ORGANIZATION_CLASSES", "PAST_DAYS", "PRODID", "WALLS", "_LINKED",
    "_PROPERTIES", "_SLUG", "_TAG", "Entry", "_datetime", "_item_text", "_item_title",
    "_plain", "_rfc3339", "_row", "_select_items", "_shorten", "_stamp", "_xml",
    "alternates", "atom", "bp", "calendar", "directory_csv", "event_calendar", "geojson",
    "read_entries", "resource_export", "rss", "territory_export",
]

bp = Blueprint("exports", __name__)

PAST_DAYS = 30
FEED_SIZE = 50
CALENDAR_SIZE = 1_000
DIRECTORY_SIZE = 10_000
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~%-]{0,199}$")


# ---- what is asked for -----------------------------------------------------------------


def _resource(container: str, slug: str) -> tuple[str, str]:
    """(IRI, N-Triples) of a live resource of this container, or a 404/410 that says why."""
    if not _SLUG.match(slug):
        abort(404, gettext("« %(slug)s » n'est l'adresse d'aucune ressource.", slug=slug[:80]))
    iri = f"{platform().base_url}/{container}/{slug}"
    text = platform().store.graph(iri)
    if text is None:
        abort(404, gettext("%(iri)s n'existe pas ici.", iri=iri))
    if is_tombstone_text(text, iri):
        abort(410, gettext("%(iri)s a été supprimé.", iri=iri))
    return iri, text


def _territory(code: str) -> tuple[feeds.Perimeter, feeds.Node]:
    if not _SLUG.match(code):
        abort(404, gettext("« %(code)s » n'est pas un code de territoire.", code=code[:80]))
    iri = f"{platform().base_url}/territories/{code}"
    tree = feeds.territory_tree(platform().store, want=iri)
    node = tree.get(iri)
    if node is None:
        abort(404, gettext("Territoire inconnu : %(code)s.", code=code))
    return tree.perimeter(iri), node


def _name_of(ntriples: str, iri: str) -> str:
    from store.search import document_from_ntriples

    doc = document_from_ntriples(iri, ntriples)
    return doc.name if doc is not None and doc.name else iri


def _since() -> Literal:
    return _stamp(datetime.now(UTC) - timedelta(days=PAST_DAYS))


def _now() -> Literal:
    return _stamp(datetime.now(UTC))


# ---- routes ----------------------------------------------------------------------------


@bp.get("/export/events/<slug>.ics")
def event_calendar(slug: str) -> Response:
    iri, _text = _resource("events", slug)
    entries = read_entries(platform().store, [iri])
    if "Event" not in (entries[0].kind if entries else ""):
        abort(404, gettext("%(iri)s n'est pas un événement.", iri=iri))
    return _respond(calendar(entries, entries[0].name, iri), "ics", slug)


@bp.get("/export/territories/<code>/<what>.<fmt>")
def territory_export(code: str, what: str, fmt: str) -> Response:
    perimeter, node = _territory(code)
    store = platform().store
    if what == "events" and fmt in ("ics", "rss", "atom"):
        size = CALENDAR_SIZE if fmt == "ics" else FEED_SIZE
        since = _since() if fmt == "ics" else _now()
        items = _select_items(store, "export_events_in", perimeter, since=since, limit=size)
        title = gettext("Événements — %(name)s", name=node.name)
        return _feed_or_calendar(read_entries(store, items), title, node.iri, fmt, code)
    if what == "posts" and fmt in ("rss", "atom"):
        items = _select_items(store, "export_posts_in", perimeter, limit=FEED_SIZE)
        title = gettext("Publications — %(name)s", name=node.name)
        return _feed_or_calendar(read_entries(store, items), title, node.iri, fmt, code)
    if what in DIRECTORIES and fmt in ("geojson", "csv"):
        items = _select_items(store, "export_directory", perimeter,
                              classes=DIRECTORIES[what], limit=DIRECTORY_SIZE)
        entries = read_entries(store, items)
        if fmt == "geojson":
            body = geojson(entries, gettext("%(what)s — %(name)s", what=what, name=node.name))
        else:
            body = directory_csv(entries)
        return _respond(body, fmt, f"{code}-{what}")
    abort(404, gettext("Pas d'export « %(what)s.%(fmt)s » pour un territoire. Exports "
                       "possibles : events.ics, events.rss, events.atom, posts.rss, posts.atom, "
                       "{organizations,events,places,projects}.{geojson,csv}.",
                       what=what, fmt=fmt))


WALLS = ("persons", "organizations", "projects", "events")


@bp.get("/export/<container>/<slug>/<what>.<fmt>")
def resource_export(container: str, slug: str, what: str, fmt: str) -> Response:
    if container not in WALLS:
        abort(404, gettext("Pas d'export pour /%(container)s/.", container=container[:40]))
    store = platform().store
    if what == "posts" and fmt in ("rss", "atom"):
        iri, text = _resource(container, slug)
        items = _select_items(store, "export_posts_on", wall=URIRef(iri), limit=FEED_SIZE)
        title = gettext("Publications — %(name)s", name=_name_of(text, iri))
        return _feed_or_calendar(read_entries(store, items), title, iri, fmt, slug)
    personal = container == "persons"
    calendar_name = "agenda" if personal else "events"
    if what == calendar_name and container != "events" and fmt in (
            ("ics",) if personal else ("ics", "rss", "atom")):
        iri, text = _resource(container, slug)
        since = _since() if fmt == "ics" else _now()
        items = _select_items(store, "export_events_of", actor=URIRef(iri), personal=personal,
                              since=since, limit=CALENDAR_SIZE if fmt == "ics" else FEED_SIZE)
        title = (gettext("Agenda — %(name)s", name=_name_of(text, iri)) if personal
                 else gettext("Événements — %(name)s", name=_name_of(text, iri)))
        return _feed_or_calendar(read_entries(store, items), title, iri, fmt, slug)
    abort(404, gettext("Pas d'export « %(what)s.%(fmt)s » ici.", what=what[:40], fmt=fmt[:10]))


def _feed_or_calendar(entries: list[Entry], title: str, about: str, fmt: str,
                      name: str) -> Response:
    if fmt == "ics":
        return _respond(calendar(entries, title, about), fmt, name)
    self_url = _self_url()
    if fmt == "rss":
        return _respond(rss(entries, title, about, self_url), fmt, name)
    return _respond(atom(entries, title, about, self_url), fmt, name)


def _self_url() -> str:
    from flask import request

    return platform().base_url + request.path


def _respond(body: str | bytes, fmt: str, name: str) -> Response:
    response = Response(body, mimetype=None, content_type=MEDIA[fmt])
    if fmt in ("ics", "csv", "geojson"):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:80] or "export"
        response.headers["Content-Disposition"] = f'inline; filename="{safe}.{fmt}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def alternates(iri: str) -> list[dict[str, str]]:
    """The feeds and calendars of a resource of this instance, for ``<link rel=alternate>``."""
    base = platform().base_url
    if not iri.startswith(base + "/"):
        return []
    parts = iri[len(base) + 1:].strip("/").split("/")
    if len(parts) != 2:
        return []
    container, slug = parts
    links: list[tuple[str, str, str]] = []
    prefix = f"{base}/export/{container}/{slug}"
    if container == "territories":
        links = [("posts.atom", "atom", gettext("Publications (Atom)")),
                 ("posts.rss", "rss", gettext("Publications (RSS)")),
                 ("events.atom", "atom", gettext("Événements (Atom)")),
                 ("events.ics", "ics", gettext("Agenda (iCalendar)"))]
    elif container in ("organizations", "projects"):
        links = [("posts.atom", "atom", gettext("Publications (Atom)")),
                 ("posts.rss", "rss", gettext("Publications (RSS)")),
                 ("events.ics", "ics", gettext("Agenda (iCalendar)"))]
    elif container == "persons":
        links = [("posts.atom", "atom", gettext("Publications (Atom)")),
                 ("agenda.ics", "ics", gettext("Agenda (iCalendar)"))]
    elif container == "events":
        return [{"href": f"{base}/export/events/{slug}.ics", "type": MEDIA["ics"].split(";")[0],
                 "title": gettext("Ajouter à mon agenda (iCalendar)")},
                {"href": f"{prefix}/posts.atom", "type": MEDIA["atom"].split(";")[0],
                 "title": gettext("Publications (Atom)")}]
    return [{"href": f"{prefix}/{path}", "type": MEDIA[fmt].split(";")[0], "title": str(title)}
            for path, fmt, title in links]


@bp.app_context_processor
def _template_helpers() -> dict[str, object]:
    return {"alternates": alternates}
