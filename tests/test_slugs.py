"""Member names minted from Slug hints never collide with the UI's own paths."""

from __future__ import annotations

from tests.conftest import BASE

EVENT = f"""@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<> a cc:Event ; as:name "Nouvelle fête" ;
   as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ;
   cc:territory <{BASE}/territories/97411> ."""


def test_slug_new_is_not_minted_because_the_creation_form_lives_there(site):
    response = site.client.post("/events/", data=EVENT, headers={
        **site.auth(), "Content-Type": "text/turtle", "Slug": "new"})
    assert response.status_code == 201
    assert response.headers["Location"] == f"{BASE}/events/new-1"
    page = site.client.get("/events/new-1", headers={"Accept": "text/turtle"})
    assert page.status_code == 200
