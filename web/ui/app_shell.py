"""The installable app: web app manifest, service worker, offline page and icons.

- ``/manifest.webmanifest`` (``application/manifest+json``): French name, ``start_url``
  ``/``, ``display: standalone``, theme colour, icons 192 and 512 px (PNG, also maskable:
  the drawing stays inside the safe zone) and an SVG;
- ``/sw.js`` (``text/javascript``, ``Service-Worker-Allowed: /``): served from the root so
  that its scope is the whole site. It caches the app shell (styles, icons, the offline
  page) and answers a navigation that fails for want of network with ``/offline``. Pages
  themselves are never cached: they may hold what only the signed-in person may see;
- ``/offline``: the page shown then.

``web/templates/app_shell/_head.html`` holds the lines a page's ``<head>`` needs (manifest
link, theme colour, icons, service worker registration): ``{% include
"app_shell/_head.html" %}`` in base.html.

The PNG icons are drawn with Pillow: ``python -m web.ui.app_shell`` writes them again into
web/static/icons/ (they are shipped, so nothing is drawn at run time).
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, render_template

bp = Blueprint("app_shell", __name__)

THEME_COLOUR = "#0b6e4f"
BACKGROUND_COLOUR = "#fdfdfb"
ICON_SIZES = (192, 512)
STATIC = Path(__file__).resolve().parent.parent / "static"
ICONS = STATIC / "icons"
SERVICE_WORKER = STATIC / "sw.js"


def manifest() -> dict:
    icons = []
    for size in ICON_SIZES:
        for purpose in ("any", "maskable"):
            icons.append({"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}",
                          "type": "image/png", "purpose": purpose})
    icons.append({"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml",
                  "purpose": "any"})
    return {
        "id": "/",
        "name": "Communecter — le réseau social citoyen",
        "short_name": "Communecter",
        "description": "Se communecter, c'est se connecter à sa commune : ce qui se passe "
                       "près de chez vous, les associations, les événements, les projets.",
        "lang": "fr",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "categories": ["social", "news", "lifestyle"],
        "icons": icons,
    }


@bp.get("/manifest.webmanifest")
def web_manifest() -> Response:
    body = json.dumps(manifest(), ensure_ascii=False, indent=2)
    response = Response(body, content_type="application/manifest+json; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    response = Response(SERVICE_WORKER.read_bytes(),
                        content_type="text/javascript; charset=utf-8")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # a new version is picked up at once
    return response


@bp.get("/offline")
def offline() -> str:
    return render_template("app_shell/offline.html")


def draw_icon(size: int) -> object:
    """The app icon: a white ring (the commune) around a dot (you), on the theme green.

    Drawn four times larger then reduced, for smooth edges; everything stays inside the
    central 80 % so that the icon also works where the platform crops it (maskable).
    """
    from PIL import Image, ImageDraw

    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), THEME_COLOUR)
    draw = ImageDraw.Draw(image)
    centre = big / 2
    outer = big * 0.29
    width = int(big * 0.075)
    draw.arc([centre - outer, centre - outer, centre + outer, centre + outer],
             start=50, end=310, fill="white", width=width)
    dot = big * 0.085
    draw.ellipse([centre - dot, centre - dot, centre + dot, centre + dot], fill="white")
    return image.resize((size, size), Image.LANCZOS)


SVG_ICON = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img"
     aria-label="Communecter">
  <rect width="100" height="100" fill="{THEME_COLOUR}"/>
  <path d="M 68.6 27.8 A 29 29 0 1 0 68.6 72.2" fill="none" stroke="#fff" stroke-width="7.5"/>
  <circle cx="50" cy="50" r="8.5" fill="#fff"/>
</svg>
"""


def write_icons(directory: Path = ICONS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for size in ICON_SIZES:
        path = directory / f"icon-{size}.png"
        draw_icon(size).save(path, format="PNG", optimize=True)  # type: ignore[attr-defined]
        written.append(path)
    svg = directory / "icon.svg"
    svg.write_text(SVG_ICON, encoding="utf-8")
    written.append(svg)
    return written


if __name__ == "__main__":
    for written_path in write_icons():
        print(written_path)
