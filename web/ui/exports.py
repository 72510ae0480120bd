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
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from flask import Blueprint, Response, abort
from flask_babel import gettext
from rdflib import XSD, Literal, URIRef

from federation.resources import is_tombstone_text
from ontology import CC, CCT, CONTAINER_BY_CLASS, RDF
from store import feeds
from store.base import TripleStore
from store.queries import query
from web.platform import platform

bp = Blueprint("exports", __name__)

PAST_DAYS = 30
FEED_SIZE = 50
CALENDAR_SIZE = 1_000
DIRECTORY_SIZE = 10_000
PRODID = "-//Communecter//Communecter//FR"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~%-]{0,199}$")
ORGANIZATION_CLASSES = [c for c, slug in CONTAINER_BY_CLASS.items() if slug == "organizations"]
DIRECTORIES = {
    "organizations": ORGANIZATION_CLASSES,
    "events": [CC.Event],
    "places": [CC.PointOfInterest],
    "projects": [CC.Project],
}
MEDIA = {
    "ics": "text/calendar; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8; header=present",
}
ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM)
ET.register_namespace("dc", DC)


# ---- reading ---------------------------------------------------------------------------

@dataclass
class Entry:
    """One exported resource, with what every format shows of it."""

    iri: str
    types: list[str] = field(default_factory=list)
    values: dict[str, list[object]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    def first(self, name: str) -> object | None:
        found = self.values.get(name)
        return found[0] if found else None

    def text(self, name: str) -> str:
        value = self.first(name)
        return str(value) if value is not None else ""

    def moment(self, name: str) -> datetime | None:
        return _datetime(self.first(name))

    def number(self, name: str) -> float | None:
        value = self.first(name)
        try:
            return float(str(value)) if value is not None else None
        except ValueError:
            return None

    @property
    def name(self) -> str:
        return self.text("name") or _shorten(_plain(self.text("content")), 80) or self.iri

    @property
    def kind(self) -> str:
        for cls in self.types:
            if cls.startswith(str(CC)):
                return cls[len(str(CC)):]
        return ""

    @property
    def themes(self) -> list[str]:
        return sorted(str(v)[len(str(CCT)):] for v in self.values.get("theme", [])
                      if str(v).startswith(str(CCT)))

    def linked_name(self, name: str) -> str:
        target = self.text(name)
        return self.names.get(target, "") if target else ""

    @property
    def published(self) -> datetime | None:
        return self.moment("published") or self.moment("created")

    @property
    def updated(self) -> datetime | None:
        return self.moment("modified") or self.moment("updated") or self.published

    @property
    def description(self) -> str:
        summary, content = _plain(self.text("summary")), _plain(self.text("content"))
        if summary and summary in content:  # a content that opens with its summary
            summary = ""
        return "\n\n".join(p for p in (summary, content) if p)

    @property
    def where(self) -> str:
        place = self.text("location")
        parts = [self.names.get(place, ""), self.addresses.get(place, ""),
                 self.text("street"), self.linked_name("territory")]
        return ", ".join(dict.fromkeys(p for p in parts if p))


_PROPERTIES = {
    str(RDF.type): "type", "https://www.w3.org/ns/activitystreams#name": "name",
    "https://www.w3.org/ns/activitystreams#summary": "summary",
    "https://www.w3.org/ns/activitystreams#content": "content",
    "https://www.w3.org/ns/activitystreams#published": "published",
    "https://www.w3.org/ns/activitystreams#updated": "updated",
    "https://www.w3.org/ns/activitystreams#startTime": "start",
    "https://www.w3.org/ns/activitystreams#endTime": "end",
    "https://www.w3.org/ns/activitystreams#attributedTo": "author",
    "https://www.w3.org/ns/activitystreams#location": "location",
    "https://www.w3.org/ns/activitystreams#url": "url",
    "http://purl.org/dc/terms/created": "created",
    "http://purl.org/dc/terms/modified": "modified",
    "http://purl.org/dc/terms/creator": "creator",
    str(CC.territory): "territory", str(CC.theme): "theme", str(CC.eventType): "eventType",
    str(CC.category): "category", str(CC.stage): "stage", str(CC.onlineUrl): "onlineUrl",
    str(CC.wall): "wall",
    "http://www.w3.org/2003/01/geo/wgs84_pos#lat": "lat",
    "http://www.w3.org/2003/01/geo/wgs84_pos#long": "long",
    "http://schema.org/streetAddress": "street",
    "http://schema.org/maximumAttendeeCapacity": "capacity",
}
_LINKED = ("author", "location", "territory", "creator")


def read_entries(store: TripleStore, iris: Sequence[str]) -> list[Entry]:
    """The entries of these resources, in this order, in two queries."""
    entries = {iri: Entry(iri) for iri in dict.fromkeys(iris)}
    if not entries:
        return []
    for start in range(0, len(entries), 500):
        chunk = list(entries)[start:start + 500]
        for row in store.select(query("export_details", items=[URIRef(i) for i in chunk])):
            entry = entries.get(str(row["item"]))
            name = _PROPERTIES.get(str(row["property"]))
            if entry is None or name is None:
                continue
            if name == "type":
                entry.types.append(str(row["value"]))
            else:
                entry.values.setdefault(name, []).append(row["value"])
    linked = sorted({str(v) for e in entries.values() for n in _LINKED
                     for v in e.values.get(n, []) if isinstance(v, URIRef)})
    names: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for start in range(0, len(linked), 500):
        things = [URIRef(t) for t in linked[start:start + 500]]
        for row in store.select(query("export_names", things=things)):
            names[str(row["thing"])] = str(row["name"])
            if row.get("address") is not None:
                addresses[str(row["thing"])] = str(row["address"])
    for entry in entries.values():
        entry.names, entry.addresses = names, addresses
        for values in entry.values.values():
            values.sort(key=str)
    return list(entries.values())


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_TAG = re.compile(r"<[^>]*>")


def _plain(text: str) -> str:
    import html

    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text.replace("</p>", "\n\n").replace("<br>", "\n")))
    return re.sub(r"[ \t]+", " ", text).strip()


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"


def _stamp(moment: datetime) -> Literal:
    text = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime)


def _select_items(store: TripleStore, name: str, perimeter: feeds.Perimeter | None = None,
                  **params: object) -> list[str]:
    if perimeter is not None:
        params["territories"] = perimeter.terms()
    text = query(name, **params)
    if perimeter is not None and perimeter.territories is None:
        text = text.replace(f"<{perimeter.terms()[0]}>", "UNDEF")
    return [str(row["item"]) for row in store.select(text)]


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


# ---- formats -----------------------------------------------------------------------------

def calendar(entries: Sequence[Entry], title: str, about: str) -> bytes:
    """An iCalendar document of the events among ``entries``."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    document = Calendar()
    document.add("prodid", PRODID)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("method", "PUBLISH")
    document.add("x-wr-calname", title)
    document.add("x-wr-caldesc", about)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        start = entry.moment("start")
        if start is None:
            continue
        event = VEvent()
        event.add("uid", entry.iri)
        event.add("dtstamp", stamp)
        event.add("dtstart", start.astimezone(UTC))
        end = entry.moment("end")
        if end is not None and end >= start:
            event.add("dtend", end.astimezone(UTC))
        event.add("summary", entry.name)
        description = entry.description
        organizer = entry.linked_name("author")
        if organizer and organizer not in description:
            description = f"{description}\n\n{gettext('Organisé par')} {organizer}".strip()
        if description:
            event.add("description", description)
        event.add("url", entry.iri)
        where = entry.where or entry.text("onlineUrl")
        if where:
            event.add("location", where)
        lat, long = entry.number("lat"), entry.number("long")
        if lat is not None and long is not None:
            event.add("geo", (lat, long))
        if entry.themes:
            event.add("categories", entry.themes)
        if entry.moment("created"):
            event.add("created", entry.moment("created").astimezone(UTC))
        if entry.updated:
            event.add("last-modified", entry.updated.astimezone(UTC))
        event.add("status", "CONFIRMED")
        document.add_component(event)
    return document.to_ical()


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def rss(entries: Sequence[Entry], title: str, about: str, self_url: str) -> bytes:
    """An RSS 2.0 document."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = about
    ET.SubElement(channel, "description").text = title
    ET.SubElement(channel, "language").text = "fr"
    ET.SubElement(channel, "generator").text = "Communecter"
    ET.SubElement(channel, f"{{{ATOM}}}link", {"href": self_url, "rel": "self",
                                              "type": MEDIA["rss"].split(";")[0]})
    dates = [e.updated for e in entries if e.updated]
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(
        max(dates) if dates else datetime.now(UTC))
    for entry in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _item_title(entry)
        ET.SubElement(item, "link").text = entry.iri
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = entry.iri
        text = _item_text(entry)
        if text:
            ET.SubElement(item, "description").text = text
        if entry.published:
            ET.SubElement(item, "pubDate").text = format_datetime(entry.published)
        author = entry.linked_name("author") or entry.linked_name("creator")
        if author:
            ET.SubElement(item, f"{{{DC}}}creator").text = author
        for theme in entry.themes:
            ET.SubElement(item, "category").text = theme
    return _xml(root)


def atom(entries: Sequence[Entry], title: str, about: str, self_url: str) -> bytes:
    """An Atom 1.0 document (elements unprefixed, in the Atom namespace declared on the
    root)."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "fr"})
    ET.SubElement(root, "id").text = self_url
    ET.SubElement(root, "title").text = title
    dates = [e.updated for e in entries if e.updated]
    ET.SubElement(root, "updated").text = _rfc3339(
        max(dates) if dates else datetime.now(UTC))
    ET.SubElement(root, "link", {"rel": "self", "href": self_url,
                                 "type": MEDIA["atom"].split(";")[0]})
    ET.SubElement(root, "link", {"rel": "alternate", "href": about, "type": "text/html"})
    author = ET.SubElement(root, "author")
    ET.SubElement(author, "name").text = "Communecter"
    ET.SubElement(author, "uri").text = platform().base_url + "/"
    ET.SubElement(root, "generator").text = "Communecter"
    for entry in entries:
        node = ET.SubElement(root, "entry")
        ET.SubElement(node, "id").text = entry.iri
        ET.SubElement(node, "title").text = _item_title(entry)
        ET.SubElement(node, "updated").text = _rfc3339(
            entry.updated or datetime.now(UTC))
        if entry.published:
            ET.SubElement(node, "published").text = _rfc3339(entry.published)
        ET.SubElement(node, "link", {"rel": "alternate", "href": entry.iri,
                                     "type": "text/html"})
        name = entry.linked_name("author") or entry.linked_name("creator")
        if name:
            person = ET.SubElement(node, "author")
            ET.SubElement(person, "name").text = name
            uri = entry.text("author") or entry.text("creator")
            if uri:
                ET.SubElement(person, "uri").text = uri
        text = _item_text(entry)
        if text:
            ET.SubElement(node, "summary", {"type": "text"}).text = text
        for theme in entry.themes:
            ET.SubElement(node, "category", {"term": theme})
    return _xml(root)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _item_title(entry: Entry) -> str:
    start = entry.moment("start")
    if entry.kind == "Event" and start is not None:
        return f"{entry.name} ({start.strftime('%d/%m/%Y %H:%M')})"
    return entry.name


def _item_text(entry: Entry) -> str:
    parts = [entry.description]
    if entry.kind == "Event" and entry.where:
        parts.append(f"{gettext('Lieu :')} {entry.where}")
    return "\n\n".join(p for p in parts if p)


CSV_COLUMNS = ("iri", "type", "name", "summary", "territory", "territory_name", "themes",
               "street_address", "latitude", "longitude", "url", "start", "end", "published")


def _row(entry: Entry) -> dict[str, str]:
    def when(name: str) -> str:
        moment = entry.moment(name)
        return moment.isoformat() if moment else ""

    return {"iri": entry.iri, "type": entry.kind, "name": entry.name,
            "summary": _plain(entry.text("summary")), "territory": entry.text("territory"),
            "territory_name": entry.linked_name("territory"),
            "themes": " ".join(entry.themes), "street_address": entry.text("street"),
            "latitude": entry.text("lat"), "longitude": entry.text("long"),
            "url": entry.text("url") or entry.text("onlineUrl"), "start": when("start"),
            "end": when("end"), "published": entry.published.isoformat()
            if entry.published else ""}


def directory_csv(entries: Sequence[Entry]) -> str:
    """CSV with a header row (RFC 4180: CRLF line ends, fields quoted when needed)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(_row(entry))
    return out.getvalue()


def geojson(entries: Sequence[Entry], title: str) -> str:
    """A GeoJSON FeatureCollection (coordinates are [longitude, latitude])."""
    features = []
    for entry in entries:
        lat, long = entry.number("lat"), entry.number("long")
        geometry = ({"type": "Point", "coordinates": [long, lat]}
                    if lat is not None and long is not None else None)
        properties = {k: v for k, v in _row(entry).items() if v and k not in (
            "latitude", "longitude")}
        properties["themes"] = entry.themes
        features.append({"type": "Feature", "id": entry.iri, "geometry": geometry,
                         "properties": properties})
    return json.dumps({"type": "FeatureCollection", "name": title, "features": features},
                      ensure_ascii=False)
