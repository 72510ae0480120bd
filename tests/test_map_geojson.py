"""The map of a perimeter: GeoJSON of its located things, a list beside it, filters,
and Leaflet served from the xstatic-leaflet package."""

from __future__ import annotations

import re

import pytest

from tests.territory_support import CC, SAINT_DENIS, event_turtle, shared_demo_site

HTML = {"Accept": "text/html"}
CCT = "https://w3id.org/communecter/themes#"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)


def geojson(site, path: str) -> dict:
    response = site.client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return response.get_json()


def located_in_store(site, communes: list[str]) -> set[str]:
    values = " ".join(f"<{c}>" for c in communes)
    rows = site.store.select(
        f"SELECT DISTINCT ?r WHERE {{ VALUES ?t {{ {values} }} GRAPH ?r {{ ?r <{CC}territory> ?t ;"
        f" <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat ; a ?c }} "
        f"FILTER(?c != <{CC}Citizen> && ?c != <{CC}Post> && ?c != <{CC}Event>) }}")
    return {str(r["r"]) for r in rows}


def test_geojson_holds_the_located_things_of_the_perimeter(demo_site):
    data = geojson(demo_site, "/territories/97411/map.geojson")
    assert data["type"] == "FeatureCollection" and data["features"]
    ids = {f["id"] for f in data["features"]}
    for feature in data["features"]:
        long, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point"
        assert -21.5 < lat < -20.8 and 55.1 < long < 55.9  # La Réunion
        assert feature["properties"]["territory"] == SAINT_DENIS
        assert feature["properties"]["type"] in ("organizations", "events", "places",
                                                 "projects", "offers")
        assert feature["properties"]["name"]
    # every located organization and place of Saint-Denis is there (events: the upcoming)
    assert located_in_store(demo_site, [SAINT_DENIS]) <= ids
    assert not any("/persons/" in i or "/posts/" in i for i in ids)


def test_level_type_and_theme_filters(demo_site):
    commune = geojson(demo_site, "/territories/97411/map.geojson")
    departement = geojson(demo_site, "/territories/97411/map.geojson?level=departement")
    places = {f["properties"]["territory"] for f in departement["features"]}
    assert len(departement["features"]) > len(commune["features"]) and len(places) > 10
    events = geojson(demo_site, "/territories/97411/map.geojson?type=events")
    assert events["features"] and {f["properties"]["type"] for f in events["features"]} == {
        "events"}
    two = geojson(demo_site, "/territories/97411/map.geojson?type=events&type=places")
    assert {f["properties"]["type"] for f in two["features"]} == {"events", "places"}
    sport = geojson(demo_site, "/territories/97411/map.geojson?theme=sport")
    assert sport["features"]
    assert all("sport" in f["properties"]["themes"] for f in sport["features"])
    assert len(sport["features"]) < len(commune["features"])


def test_a_new_located_event_is_on_the_map(demo_site):
    body = event_turtle("Pique-nique au Barachois", SAINT_DENIS, "2099-05-01T11:00:00+04:00",
                        themes=("alimentation",), point=(-20.8728, 55.4475))
    created = demo_site.client.post("/events/", data=body.encode(), headers={
        **demo_site.auth(), "Content-Type": "text/turtle"})
    assert created.status_code == 201
    data = geojson(demo_site, "/territories/97411/map.geojson?type=events")
    feature = next(f for f in data["features"] if f["id"] == created.headers["Location"])
    assert feature["geometry"]["coordinates"] == [55.4475, -20.8728]
    html = demo_site.client.get("/territories/97411/map", headers=HTML).get_data(as_text=True)
    assert "Pique-nique au Barachois" in html


def test_the_map_page_lists_what_the_map_shows(demo_site):
    response = demo_site.client.get("/territories/97411/map?type=places", headers=HTML)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    listed = set(re.findall(r'<li data-iri="([^"]+)" data-lat', html))
    data = geojson(demo_site, "/territories/97411/map.geojson?type=places")
    assert listed == {f["id"] for f in data["features"]} and listed
    assert 'data-geojson="/territories/97411/map.geojson?type=places"' in html
    assert "/vendor/leaflet/leaflet.js" in html and "/vendor/leaflet/leaflet.css" in html
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html


def test_leaflet_comes_from_the_xstatic_package(demo_site):
    from xstatic.pkg import leaflet

    response = demo_site.client.get("/vendor/leaflet/leaflet.js")
    assert response.status_code == 200
    with open(f"{leaflet.BASE_DIR}/leaflet.js", "rb") as shipped:
        assert response.data == shipped.read()
    assert demo_site.client.get("/vendor/leaflet/images/marker-icon.png").status_code == 200
    assert demo_site.client.get("/vendor/leaflet/../../__init__.py").status_code == 404


def test_the_tile_url_is_configurable(demo_site, monkeypatch):
    settings = demo_site.platform.settings
    monkeypatch.setattr(settings, "tile_url", "https://tiles.example.org/{z}/{x}/{y}.png",
                        raising=False)
    html = demo_site.client.get("/territories/97411/map", headers=HTML).get_data(as_text=True)
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in html


def test_bad_map_addresses(demo_site):
    response = demo_site.client.get("/territories/97411/map?type=citizens", headers=HTML)
    assert response.status_code == 400 and "Type inconnu" in response.get_data(as_text=True)
    response = demo_site.client.get("/territories/97411/map?theme=astrologie", headers=HTML)
    assert response.status_code == 400
    assert demo_site.client.get("/territories/nowhere/map.geojson").status_code == 404
