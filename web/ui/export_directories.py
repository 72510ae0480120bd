"""The directory writers of the exports: GeoJSON (RFC 7946) and CSV (RFC 4180), one
feature or row per organization, event, place or project of a territory.

Split from web/ui/exports.py, which serves them under
``/export/territories/{code}/{what}.geojson|csv``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from ontology import CC, CONTAINER_BY_CLASS
from web.ui.export_entries import Entry, _plain

ORGANIZATION_CLASSES = [c for c, slug in CONTAINER_BY_CLASS.items() if slug == "organizations"]
DIRECTORIES = {
    "organizations": ORGANIZATION_CLASSES,
    "events": [CC.Event],
    "places": [CC.PointOfInterest],
    "projects": [CC.Project],
}


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
