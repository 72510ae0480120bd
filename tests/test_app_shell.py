"""The installable app: manifest and service worker served with the right types from the
root scope, icons that exist at the sizes announced, and an offline page."""

from __future__ import annotations

import json
import struct

import pytest

from tests.search_support import shared_demo_site


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest(shell) -> None:
    response = shell.client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["lang"] == "fr" and "Communecter" in manifest["name"]
    assert manifest["short_name"] == "Communecter"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"]
    sizes = {}
    for icon in manifest["icons"]:
        image = shell.client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        assert image.mimetype == icon["type"]
        if icon["type"] == "image/png":
            width, height = png_size(image.get_data())
            assert icon["sizes"] == f"{width}x{height}"
            sizes[width] = icon["purpose"]
    assert {192, 512} <= set(sizes)
    assert {i["purpose"] for i in manifest["icons"]} >= {"any", "maskable"}


def test_service_worker_from_the_root(shell) -> None:
    response = shell.client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    for needed in ('addEventListener("install"', 'addEventListener("fetch"', "/offline",
                   "caches.open", 'request.mode === "navigate"'):
        assert needed in script, needed
    for path in script.split("const SHELL = [", 1)[1].split("];", 1)[0].split(","):
        path = path.strip().strip('"')
        if path.startswith("/"):
            assert shell.client.get(path).status_code == 200, path


def test_offline_page_and_head_include(shell) -> None:
    page = shell.client.get("/offline")
    assert page.status_code == 200 and "hors connexion" in page.get_data(as_text=True)
    from flask import render_template

    with shell.app.test_request_context("/"):
        head = render_template("app_shell/_head.html")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in head
    assert 'navigator.serviceWorker.register("/sw.js"' in head
