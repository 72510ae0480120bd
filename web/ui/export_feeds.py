"""The RSS 2.0 and Atom 1.0 writers of the exports.

Split from web/ui/exports.py, which serves them under ``/export/…/*.rss|atom``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from flask_babel import gettext

from web.platform import platform
from web.ui.export_entries import MEDIA, Entry

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM)
ET.register_namespace("dc", DC)


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

