"""/search on La Réunion's demo data: ranking, perimeters, themes, types, JSON, bad input,
and the index following writes made through the platform's one write path."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ontology import AS, CC
from tests.conftest import BASE
from tests.search_support import json_of, shared_demo_site

T = f"{BASE}/territories"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)


def search(demo, **params) -> dict:
    return json_of(demo.client.get("/search", query_string=params,
                                   headers={"Accept": "application/json"}))


def inside(demo, territory: str) -> set[str]:
    """The territory and every territory below it (the demo's hierarchy)."""
    from web.ui.search import service

    index = service(demo.app).index
    rows = index._connection().execute("SELECT iri, parent FROM territories").fetchall()
    found, grew = {territory}, True
    while grew:
        before = len(found)
        found |= {iri for iri, parent in rows if parent in found}
        grew = len(found) > before
    return found


def test_ranked_words_inside_a_commune(demo) -> None:
    found = search(demo, q="surf", territory="97415")
    names = [hit["name"] for hit in found["results"]]
    assert names[0] == "Surf Club de Saint-Paul"  # the name says it: first
    assert found["total"] >= 3
    assert all(hit["territory"] == f"{T}/97415" for hit in found["results"])
    scores = [hit["score"] for hit in found["results"]]
    assert scores == sorted(scores, reverse=True)


def test_perimeter_includes_what_lies_inside(demo) -> None:
    everywhere = search(demo, q="atelier")["total"]
    departement = search(demo, q="atelier", territory="departement-974")
    cinor = search(demo, q="atelier", territory="epci-249740119")
    commune = search(demo, q="atelier", territory="97411")
    assert everywhere == departement["total"] > cinor["total"] >= commune["total"] > 0
    allowed = inside(demo, f"{T}/epci-249740119")
    assert {hit["territory"] for hit in cinor["results"]} <= allowed
    assert search(demo, q="atelier", territory=f"{T}/97411")["total"] == commune["total"]


def test_themes_and_types(demo) -> None:
    found = search(demo, themes="culture,sport", types="events")
    assert found["total"] > 5
    assert {hit["type"] for hit in found["results"]} == {"events"}
    both = search(demo, theme=["culture", "sport"], type="events")  # repeated parameters
    assert both["total"] == found["total"]
    culture = search(demo, themes="culture", types="events")["total"]
    assert 0 < culture < found["total"]
    places = search(demo, types="places", territory="97415")
    assert places["results"] and all(h["type"] == "places" and h["territory"] == f"{T}/97415"
                                     for h in places["results"])


def test_browsing_a_perimeter_lists_its_content_newest_first(demo) -> None:
    posts = search(demo, types="posts", territory="97411")  # a big type: checked apart
    assert posts["total"] > 20 and {h["type"] for h in posts["results"]} == {"posts"}
    dates = [h["published"] for h in posts["results"]]
    assert dates == sorted(dates, reverse=True)
    everything = search(demo, territory="97411")
    assert everything["results"] and "territories" not in {
        h["type"] for h in everything["results"]}


def test_territories_are_found_by_name_and_postal_code(demo) -> None:
    assert search(demo, q="Saint-Pierre")["results"][0]["iri"] == f"{T}/97416"
    assert search(demo, q="Saint-Pierre", types="territories")["results"][0]["iri"] == \
        f"{T}/97416"
    assert [h["iri"] for h in search(demo, q="97400")["results"]] == [f"{T}/97411"]


def test_paging(demo) -> None:
    first = search(demo, types="posts")
    assert len(first["results"]) == 20 and "next" in first
    second = json_of(demo.client.get(first["next"], headers={"Accept": "application/json"}))
    assert not {h["iri"] for h in first["results"]} & {h["iri"] for h in second["results"]}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.ids: set[str] = set()
        self.marks = 0
        self.roles: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "label":
            self.labels.add(values.get("for", ""))
        if "id" in values:
            self.ids.add(values["id"])
        if "role" in values:
            self.roles.add(values["role"])
        if tag == "mark":
            self.marks += 1


def test_the_page(demo) -> None:
    response = demo.client.get("/search?q=fete&territory=departement-974",
                               headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = _Page()
    page.feed(response.get_data(as_text=True))
    assert "search-q" in page.labels and "search-q" in page.ids
    assert {"search", "status"} <= page.roles
    assert page.marks > 0  # the words found are highlighted
    text = response.get_data(as_text=True)
    assert "Élargir à" in text and "résultat" in text
    english = demo.client.get("/search?q=fete", headers={"Accept-Language": "en"})
    assert "Widen" not in english.get_data(as_text=True)  # no perimeter chosen
    assert "result" in english.get_data(as_text=True)
    assert "Words to search for" in english.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("themes=astrologie", "Thématique inconnue"),
    ("theme=culture&theme=nope", "Thématique inconnue"),
    ("types=spaceships", "Type inconnu"),
    ("territory=99999", "Territoire inconnu"),
    ("territory=../../etc/passwd", "pas un code de territoire"),
    ("territory=%3Cscript%3E", "pas un code de territoire"),
    ("q=fete&page=0", "Numéro de page invalide"),
    ("q=fete&page=abc", "Numéro de page invalide"),
])
def test_bad_input_gets_a_clear_message(demo, query: str, message: str) -> None:
    page = demo.client.get(f"/search?{query}", headers={"Accept": "text/html"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert message in text and 'role="alert"' in text
    assert "<script>" not in text.split("<main", 1)[1]  # what was typed is escaped
    answer = demo.client.get(f"/search?{query}", headers={"Accept": "application/json"})
    assert answer.status_code == 400 and message in answer.get_json()["error"]


def test_odd_words_are_only_words(demo) -> None:
    for words in ('"', "fête AND", "NEAR(a b)", "*", "<script>alert(1)</script>", "x" * 500):
        assert demo.client.get("/search", query_string={"q": words}).status_code == 200


def test_the_index_follows_writes(demo) -> None:
    body = (f"@prefix cc: <{CC}> . @prefix as: <{AS}> .\n"
            f"<> a cc:Association ; as:name \"Les Zamis du Kayamb\" ; "
            f"as:summary \"Percussions et maloya\" ; cc:territory <{T}/97415> .")
    created = demo.client.post("/organizations/", data=body.encode(),
                               headers={**demo.auth("alice"), "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.get_data(as_text=True)
    iri = created.headers["Location"]
    hits = search(demo, q="zamis kayamb", territory="departement-974")["results"]
    assert [h["iri"] for h in hits] == [iri]
    graph = Graph()
    subject = URIRef(iri)
    graph.add((subject, RDF.type, CC.Association))
    graph.add((subject, AS.name, Literal("Les Zamis du Roulèr")))
    graph.add((subject, CC.territory, URIRef(f"{T}/97415")))
    current = demo.client.get(iri, headers={"Accept": "text/turtle"})
    updated = demo.client.put(iri, data=graph.serialize(format="turtle").encode(),
                              headers={**demo.auth("alice"), "Content-Type": "text/turtle",
                                       "If-Match": current.headers["ETag"]})
    assert updated.status_code in (200, 204), updated.get_data(as_text=True)
    assert search(demo, q="zamis kayamb")["results"] == []
    assert [h["iri"] for h in search(demo, q="zamis rouler")["results"]] == [iri]
    deleted = demo.client.delete(iri, headers=demo.auth("alice"))
    assert deleted.status_code in (200, 204)
    assert search(demo, q="zamis rouler")["results"] == []
    # Kept current write by write, the index still matches the store: no rebuild needed.
    from web.ui.search import service

    assert service(demo.app).index.is_current(demo.app.extensions["communecter"].store)
