"""The map of a perimeter: every located thing inside it, filterable by type and theme.

The list is the page's content (it works without JavaScript and for screen readers); the
Leaflet map beside it is an enhancement fed by the same question as GeoJSON
(``/territories/{code}/map.geojson``). Leaflet comes from the xstatic-leaflet package,
served under /vendor/leaflet/; tiles come from OpenStreetMap unless COMMUNECTER_TILE_URL
says otherwise.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, render_template, send_from_directory
from flask_babel import gettext

from store import feeds
from store.feeds import MAP_TYPES, Item
from web.platform import platform
from web.ui.session import protect
from web.ui.territory import Helpers, bad_page
from web.ui.territory_view import (
    MAP_LABELS,
    THEME_SLUGS,
    BadView,
    View,
    anchor_node,
    read_view,
)

bp = Blueprint("map", __name__)
protect(bp.name)

MAP_LIMIT = 500
DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">'
                       "OpenStreetMap</a>")


def tile_url() -> str:
    """The tile URL template: the setting, else the environment, else OpenStreetMap."""
    configured = getattr(platform().settings, "tile_url", None)
    return configured or os.environ.get("COMMUNECTER_TILE_URL") or DEFAULT_TILES


def tile_attribution() -> str:
    return os.environ.get("COMMUNECTER_TILE_ATTRIBUTION") or DEFAULT_ATTRIBUTION


def _view(code: str) -> View:
    tree, anchor = anchor_node(code)
    return read_view(tree, anchor, allowed_types=MAP_TYPES)


def _located(view: View) -> list[Item]:
    types = view.types or list(MAP_TYPES)
    perimeter = view.tree.perimeter(view.perimeter.iri)
    return feeds.located(platform().store, perimeter, types, datetime.now(UTC), view.themes,
                         MAP_LIMIT)


@bp.get("/territories/<code>/map")
def map_page(code: str) -> Response:
    try:
        view = _view(code)
    except BadView as error:
        return bad_page(error)
    items = _located(view)
    groups = {name: [i for i in items if i.section == name] for name in MAP_TYPES}
    tree = view.tree
    bounds = tree.bounds(view.perimeter.iri)
    html = render_template(
        "map/page.html", view=view, groups=groups, count=len(items), limit=MAP_LIMIT,
        h=Helpers(tree), labels=MAP_LABELS, theme_slugs=THEME_SLUGS,
        geojson=view.url(view.path + "/map.geojson"), tiles=tile_url(),
        attribution=tile_attribution(), bounds=json.dumps(bounds) if bounds else "",
        crumbs=list(reversed(tree.chain(view.perimeter.iri))))
    return Response(html, 200, content_type="text/html; charset=utf-8")


@bp.get("/territories/<code>/map.geojson")
def map_geojson(code: str) -> Response:
    """The perimeter's located things as a GeoJSON FeatureCollection (RFC 7946)."""
    try:
        view = _view(code)
    except BadView as error:
        abort(error.status, error.message)
    helpers = Helpers(view.tree)
    features = []
    for item in _located(view):
        if item.lat is None or item.long is None:
            continue
        features.append({
            "type": "Feature",
            "id": item.iri,
            "geometry": {"type": "Point", "coordinates": [item.long, item.lat]},
            "properties": {
                "iri": item.iri, "name": helpers.title(item), "type": item.section,
                "class": item.cls, "typeLabel": helpers.type_label(item),
                "territory": item.territory, "place": helpers.place(item),
                "themes": item.themes,
                "start": item.start.isoformat() if item.start else None,
            },
        })
    body = {"type": "FeatureCollection", "features": features,
            "properties": {"perimeter": view.perimeter.iri, "limit": MAP_LIMIT,
                           "truncated": len(features) >= MAP_LIMIT}}
    return Response(json.dumps(body, ensure_ascii=False), 200,
                    mimetype="application/geo+json")


@bp.get("/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet's own files, from the xstatic-leaflet package (never copied here)."""
    from xstatic.pkg import leaflet as package

    if not filename.endswith((".js", ".css", ".png", ".map")):
        abort(404, gettext("Fichier introuvable."))
    return send_from_directory(package.BASE_DIR, filename, max_age=86400)
