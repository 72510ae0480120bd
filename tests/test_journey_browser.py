"""The whole journey of issue 3 in a real browser: what a person creates in the UI (an
organization and an event) then shows on their commune's page, their département's page
and the map."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import requests

from tests.test_elements_browser import _log_in, _people


def test_created_things_appear_on_the_commune_the_departement_and_the_map(server, page):
    founder, _neighbour, _root = _people(server)
    _log_in(page, server, founder)
    unique = time.monotonic_ns() % 10**6
    organization, event = f"Les Jardins du Butor {unique}", f"Troc de graines {unique}"
    page.goto(f"{server.base_url}/organizations/new")
    page.select_option("#field-kind", "association")
    page.fill("#field-name", organization)
    page.fill("#field-territory", "97411")
    page.fill("#field-lat", "-20.8789")
    page.fill("#field-long", "55.4481")
    page.check("input[name=themes][value=environnement]")
    page.click("form button.primary")
    page.wait_for_selector("h1")
    org_iri = page.url
    start = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT09:00")
    page.goto(f"{server.base_url}/events/new")
    page.fill("#field-name", event)
    page.fill("#field-territory", "97411")
    page.fill("#field-start", start)
    page.fill("#field-lat", "-20.8801")
    page.fill("#field-long", "55.4502")
    page.select_option("#field-attributed_to", org_iri)
    page.check("input[name=themes][value=environnement]")
    page.click("form button.primary")
    page.wait_for_selector("section.attendance")
    event_iri = page.url

    for path in ("/territories/97411", "/territories/departement-974"):
        page.goto(server.base_url + path)
        text = page.locator("main").inner_text()
        assert organization in text and event in text, path

    page.goto(f"{server.base_url}/territories/97411/map")
    listed = page.locator("main").inner_text()
    assert organization in listed and event in listed
    geojson = requests.get(f"{server.base_url}/territories/97411/map.geojson", timeout=30).json()
    mapped = {feature.get("id") or feature["properties"].get("iri")
              for feature in geojson["features"]}
    assert {org_iri, event_iri} <= mapped
