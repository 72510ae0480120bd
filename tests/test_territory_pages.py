"""The territory page at each level, in process, on La Réunion's demo population:
what is listed follows the level and the themes, a person's home preselects their
interests, a quiet commune points to the activity around it, and bad addresses say why."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import BASE
from tests.territory_support import (
    CC,
    SAINT_DENIS,
    data_iris,
    event_turtle,
    shared_demo_site,
)

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)

CCT = "https://w3id.org/communecter/themes#"


def territory_of(site, iri: str) -> str:
    rows = site.store.select(
        f"SELECT ?t WHERE {{ GRAPH <{iri}> {{ <{iri}> <{CC}territory> ?t }} }}")
    return str(rows[0]["t"])


def themes_of(site, iri: str) -> set[str]:
    rows = site.store.select(f"SELECT ?t WHERE {{ GRAPH <{iri}> {{ <{iri}> <{CC}theme> ?t }} }}")
    return {str(r["t"])[len(CCT):] for r in rows}


def page(site, path: str, **headers: str):
    response = site.client.get(path, headers={**HTML, **headers})
    return response, response.get_data(as_text=True)


def test_commune_page_lists_what_happens_inside(demo_site):
    response, html = page(demo_site, "/territories/97411")
    assert response.status_code == 200
    assert "<h1>Saint-Denis</h1>" in html
    for section in ("events", "posts", "projects", "organizations", "offers"):
        listed = data_iris(html, section)
        assert listed, f"nothing in {section}"
        assert {territory_of(demo_site, iri) for iri in listed} == {SAINT_DENIS}
    assert 'data-stream="/territories/97411/stream?since=' in html
    # upcoming events come soonest first
    starts = re.findall(r'data-section="events">.*?</ol>', html, re.S)[0]
    dates = re.findall(r'data-start="([^"]+)"', starts)
    assert dates == sorted(dates)


def test_changing_level_changes_what_is_listed(demo_site):
    _, commune = page(demo_site, "/territories/97411")
    _, zoomed = page(demo_site, "/territories/97411?level=departement")
    assert "<h1>La Réunion</h1>" in zoomed and "autour de Saint-Denis" in zoomed
    places = {territory_of(demo_site, iri) for iri in data_iris(zoomed, "posts")
              + data_iris(zoomed, "events") + data_iris(zoomed, "organizations")}
    assert len(places) > 1, "the département lists more than one commune"
    assert data_iris(zoomed, "posts") != data_iris(commune, "posts")
    # the département's own page lists the same things as the zoomed commune page
    _, own = page(demo_site, "/territories/departement-974")
    for section in ("posts", "events", "projects"):
        assert data_iris(own, section) == data_iris(zoomed, section)
    # the level switch and the breadcrumb are one click away
    assert 'href="/territories/97411?level=epci"' in commune
    assert 'href="/territories/departement-974"' in commune
    assert 'href="/territories/97411" aria-current="page"' not in zoomed
    _, region = page(demo_site, "/territories/region-04")
    assert response_ok(region) and "Région" in region


def response_ok(html: str) -> bool:
    return "<h1>" in html and "feed__list" in html


def test_epci_and_country_levels(demo_site):
    response, epci = page(demo_site, "/territories/97411?level=epci")
    assert response.status_code == 200 and "CINOR" in epci
    communes = {territory_of(demo_site, i) for i in data_iris(epci, "posts")}
    cinor = {f"{BASE}/territories/{c}" for c in ("97411", "97418", "97420")}
    assert communes and communes <= cinor
    response, country = page(demo_site, "/territories/FR")
    assert response.status_code == 200 and "<h1>France</h1>" in country
    assert data_iris(country, "posts")
    assert 'href="/territories/region-04"' in country  # zoom in on a région


def test_themes_filter_what_is_listed_and_toggle_in_one_click(demo_site):
    _, everything = page(demo_site, "/territories/97411?level=departement")
    _, culture = page(demo_site, "/territories/97411?level=departement&theme=culture")
    listed = [i for s in ("events", "posts", "projects", "organizations", "offers")
              for i in data_iris(culture, s)]
    assert listed
    assert all("culture" in themes_of(demo_site, iri) for iri in listed)
    assert data_iris(culture, "posts") != data_iris(everything, "posts")
    # toggling: the culture chip now removes culture, another chip adds its theme
    assert 'href="/territories/97411?level=departement&amp;themes="' in culture
    assert 'href="/territories/97411?level=departement&amp;theme=culture&amp;theme=sport"' \
        in culture
    _, two = page(demo_site, "/territories/97411?level=departement&theme=culture&theme=sport")
    both = data_iris(two, "posts")
    assert all(themes_of(demo_site, i) & {"culture", "sport"} for i in both)
    _, comma = page(demo_site, "/territories/97411?level=departement&themes=sport,culture")
    assert data_iris(comma, "posts") == both


def test_type_filter_shows_one_section_longer(demo_site):
    response, html = page(demo_site, "/territories/departement-974?type=posts")
    assert response.status_code == 200
    assert len(data_iris(html, "posts")) > 8
    assert 'data-section="events"' not in html


def test_a_person_lands_on_their_commune_with_their_interests(demo_site):
    rows = demo_site.store.select(
        f"SELECT ?p WHERE {{ GRAPH ?p {{ ?p a <{CC}Citizen> ; <{CC}territory> <{SAINT_DENIS}> ; "
        f"<{CC}theme> ?t }} }} LIMIT 1")
    person = str(rows[0]["p"])
    interests = themes_of(demo_site, person)
    account = demo_site.platform.accounts.create("habitante@example.org", person, SAINT_DENIS)
    client = demo_site.app.test_client()
    with client.session_transaction() as session:
        session["account_id"] = account.id
    home = client.get("/ma-commune")
    assert home.status_code == 302 and home.headers["Location"].endswith("/territories/97411")
    html = client.get("/territories/97411", headers=HTML).get_data(as_text=True)
    assert "Vos centres d'intérêt sont présélectionnés" in html
    chosen = set(re.findall(r'class="chip chip--on" href="[^"]*" data-theme="([^"]+)"', html))
    assert chosen == interests
    for iri in data_iris(html, "posts"):
        assert themes_of(demo_site, iri) & interests
    everything = client.get("/territories/97411?themes=", headers=HTML).get_data(as_text=True)
    assert "présélectionnés" not in everything
    assert 'class="chip chip--on" href="/territories/97411?themes="' in everything
    # elsewhere, nothing is preselected
    other = client.get("/territories/97416", headers=HTML).get_data(as_text=True)
    assert "présélectionnés" not in other and "Ma commune : Saint-Denis" in other


def test_english_pages(demo_site):
    _, html = page(demo_site, "/territories/97411", **{"Accept-Language": "en"})
    assert "Upcoming events" in html and "Themes" in html


def test_quiet_commune_points_to_the_activity_one_level_up(site):
    """A fresh instance: nothing anywhere but two events in Saint-Pierre (CIVIS)."""
    for name in ("Marché forain de Saint-Pierre", "Fête du front de mer"):
        body = event_turtle(name, f"{BASE}/territories/97416", "2099-01-10T09:00:00+04:00",
                            themes=("culture",))
        created = site.client.post("/events/", data=body.encode(), headers={
            **site.auth(), "Content-Type": "text/turtle"})
        assert created.status_code == 201, created.get_data(as_text=True)
    html = site.client.get("/territories/97424", headers=HTML).get_data(as_text=True)
    assert "C'est calme à Cilaos en ce moment." in html
    assert "Près de chez vous : CA CIVIS" in html
    assert "Marché forain de Saint-Pierre" in html and "Fête du front de mer" in html
    # with a theme nobody wrote about, the département is quiet too: it still says so
    html = site.client.get("/territories/97424?theme=sport", headers=HTML).get_data(as_text=True)
    assert "C'est calme à Cilaos en ce moment sur ces thématiques." in html
    assert "Voir toutes les thématiques" in html


@pytest.mark.parametrize("query,status,message", [
    ("?theme=astrologie", 400, "Thématique inconnue : « astrologie »"),
    ("?themes=culture,,nope", 400, "Thématique inconnue : « nope »"),
    ("?level=galaxie", 400, "Niveau inconnu : « galaxie »"),
    ("?type=people", 400, "Type inconnu : « people »"),
])
def test_bad_query_strings_get_a_clear_message(demo_site, query, status, message):
    response, html = page(demo_site, "/territories/97411" + query)
    assert response.status_code == status
    assert message in html and "<h1>" in html


def test_levels_that_do_not_apply(demo_site):
    response, html = page(demo_site, "/territories/region-04?level=commune")
    assert response.status_code == 404
    assert "La Réunion n'est dans aucun territoire de niveau « Commune »" in unescape(html)
    response, html = page(demo_site, "/territories/97411?level=neighbourhood")
    assert response.status_code == 404


def test_api_endpoints_answer_bad_input_with_4xx(demo_site):
    client = demo_site.client
    json_accept = {"Accept": "application/json"}
    for url in ("/territories/97411/map.geojson?theme=astrologie",
                "/territories/97411/map.geojson?level=galaxie",
                "/territories/97411/map.geojson?type=people",
                "/territories/97411/stream?theme=astrologie",
                "/territories/97411/stream?since=yesterday"):
        response = client.get(url, headers=json_accept)
        assert response.status_code == 400, url
        assert response.get_json()["detail"], url
    assert client.get("/territories/99999/map.geojson").status_code == 404
    assert client.get("/territories/nowhere/stream").status_code == 404
    assert client.get("/territories/nowhere/map", headers=HTML).status_code == 404


def test_territory_rdf_is_unchanged(demo_site):
    """The same URI still answers Turtle to Linked Data clients."""
    response = demo_site.client.get("/territories/97411", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert "Saint-Denis" in response.get_data(as_text=True)


def test_neighbourhood_level(site):
    """A neighbourhood drawn inside a commune is a level of its own, inside the commune."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from ontology import AS
    from ontology import CC as CCNS
    from store import feeds

    store = site.app.extensions["communecter"].store
    iri = f"{BASE}/territories/97411-le-chaudron"
    graph = Graph()
    graph.add((URIRef(iri), RDF.type, CCNS.Neighbourhood))
    graph.add((URIRef(iri), AS.name, Literal("Le Chaudron")))
    graph.add((URIRef(iri), CCNS.officialCode, Literal("97411-le-chaudron")))
    graph.add((URIRef(iri), CCNS.partOf, URIRef(SAINT_DENIS)))
    store.bulk_load([(iri, graph.serialize(format="nt"))])
    feeds.territories_changed(store)
    body = event_turtle("Kabar du Chaudron", iri, "2099-02-01T18:00:00+04:00")
    created = site.client.post("/events/", data=body.encode(),
                               headers={**site.auth(), "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.get_data(as_text=True)
    html = site.client.get("/territories/97411-le-chaudron", headers=HTML).get_data(as_text=True)
    assert "<h1>Le Chaudron</h1>" in html and "Kabar du Chaudron" in html
    assert ">Quartier<" in html
    commune = site.client.get("/territories/97411", headers=HTML).get_data(as_text=True)
    assert "Kabar du Chaudron" in commune
    assert 'href="/territories/97411-le-chaudron"' in commune  # zoom in
    up = site.client.get("/territories/97411-le-chaudron?level=commune", headers=HTML)
    assert "<h1>Saint-Denis</h1>" in up.get_data(as_text=True)
