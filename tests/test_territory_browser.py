"""The territory pages and the map in a real browser (Debian's Chromium driven by
Playwright) against the production server with La Réunion's demo data: one click changes
level or themes, new items appear without reload, markers are on the map, and axe-core
finds no serious or critical violation."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.territory_support import event_turtle, start_demo_server, stop_demo_server


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("territory-server") / "data"
    data.mkdir()
    running = start_demo_server(data)
    yield running
    stop_demo_server(running)


def listed(page, section: str) -> list[str]:
    return page.eval_on_selector_all(
        f'ol[data-section="{section}"] > li[data-iri]',
        "rows => rows.map(row => row.getAttribute('data-iri'))")


def test_one_click_changes_level_and_themes(demo_server, page):
    base = demo_server.base_url
    page.goto(base + "/territories/97411")
    assert page.inner_text("h1") == "Saint-Denis"
    commune = listed(page, "posts")
    assert commune
    page.click("nav.zoom a:has-text('Département')")
    page.wait_for_url(re.compile(r"level=departement"))
    assert page.inner_text("h1") == "La Réunion"
    departement = listed(page, "posts")
    assert departement and departement != commune
    page.click("a.chip[data-theme='culture']")
    page.wait_for_url(re.compile(r"theme=culture"))
    cultural = listed(page, "posts") + listed(page, "events")
    assert cultural and cultural != departement
    for card in page.query_selector_all("ol[data-section] > li[data-iri]"):
        assert "Culture" in card.inner_text()
    page.click("a.chip[data-theme='culture']")  # one more click takes it away
    page.wait_for_url(re.compile(r"themes=$"))
    assert listed(page, "posts") == departement
    page.click("nav.zoom a:has-text('Saint-Denis')")  # back down, anchored at the commune
    page.wait_for_url(re.compile(r"/territories/97411\?themes=$"))
    assert page.inner_text("h1") == "Saint-Denis" and listed(page, "posts") == commune
    page.click("nav.breadcrumb a:has-text('France')")  # up the cc:partOf chain
    page.wait_for_url(re.compile(r"/territories/FR"))
    assert page.inner_text("h1") == "France"


def test_new_items_appear_without_reload(demo_server, page):
    base = demo_server.base_url
    page.goto(base + "/territories/97411")
    page.evaluate("window.stillTheSamePage = true")
    time.sleep(0.3)
    name = "Rencontre des jardiniers du Chaudron"
    body = event_turtle(name, f"{base}/territories/97411", "2099-06-01T09:00:00+04:00",
                        themes=("agriculture",))
    created = requests.post(base + "/events/", data=body.encode(), timeout=30, headers={
        "Authorization": f"Bearer {demo_server.tokens['reporter']}",
        "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.text
    iri = created.headers["Location"]
    page.wait_for_selector(f"ol[data-section='events'] > li[data-iri='{iri}']", timeout=20_000)
    assert name in page.inner_text(f"li[data-iri='{iri}']")
    assert name in page.inner_text("#live-status")
    assert page.evaluate("window.stillTheSamePage") is True


def test_the_map_shows_the_located_things(demo_server, page):
    base = demo_server.base_url
    page.goto(base + "/territories/97411/map")
    page.wait_for_selector("#map[data-markers]", timeout=20_000)
    features = requests.get(base + "/territories/97411/map.geojson", timeout=30).json()
    assert features["features"]
    assert page.locator(".leaflet-marker-icon").count() == len(features["features"])
    assert page.locator(".map-list li[data-iri]").count() == len(features["features"])
    page.click(".map-list li[data-iri] button.locate")
    page.wait_for_selector(".leaflet-popup-content a")


@pytest.mark.parametrize("path", ["/territories/97411", "/territories/departement-974",
                                  "/territories/region-04", "/territories/97411/map"])
def test_no_serious_accessibility_violation(demo_server, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(demo_server.base_url + path)
    if path.endswith("/map"):
        page.wait_for_selector("#map[data-markers]", timeout=20_000)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert not serious, results.generate_report()
