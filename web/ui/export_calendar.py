"""The iCalendar (RFC 5545) writer of the exports: one VEVENT per event entry.

Split from web/ui/exports.py, which serves it under ``/export/…/*.ics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from flask_babel import gettext

from web.ui.export_entries import Entry

PRODID = "-//Communecter//Communecter//FR"


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

