"""What every export format shows of a resource: ``Entry``, read from the store in two
queries (``read_entries``), with the media types of the formats.

Split from web/ui/exports.py so that the calendar, feed and directory writers
(web/ui/export_calendar.py, export_feeds.py, export_directories.py) share one reading of
the store; the routes stay in web/ui/exports.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import XSD, Literal, URIRef

from ontology import CC, CCT, RDF
from store import feeds
from store.base import TripleStore
from store.queries import query

MEDIA = {
    "ics": "text/calendar; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8; header=present",
}


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
