"""Organizations, projects, events, places and offers made through the web forms: they are
the very resources LDP serves and SPARQL finds; editing keeps what the form does not
manage; deleting leaves a tombstone."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, Namespace

from ontology import AS, CC, CCT, DCTERMS, GEO, ORG, SCHEMA
from tests.elements_support import BASE, COMMUNE, create, make_site, make_user, text

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: no warnings on lookups


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("forms"))


def turtle(client, path: str) -> Graph:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, text(response)
    return Graph().parse(data=response.get_data(as_text=True), format="turtle",
                         publicID=BASE + path)


def sparql(client, query: str) -> list[dict]:
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, text(response)
    return json.loads(response.get_data(as_text=True))["results"]["bindings"]


def test_organization_and_event_made_in_the_ui_are_the_ldp_and_sparql_resources(site) -> None:
    alice = make_user(site, "alice", name="Alice Payet")
    created = alice.post("/organizations/new", {
        "kind": "association", "name": "Jardins partagés de Bellepierre",
        "summary": "On cultive ensemble.", "territory": "97411",
        "themes": ["agriculture", "environnement"], "url": "https://jardins.example.org/",
        "address": "12 rue des Jardins"})
    assert created.status_code == 303
    org_path = created.headers["Location"]
    assert org_path == "/organizations/jardins-partages-de-bellepierre"
    org = BASE + org_path

    graph = turtle(alice.client, org_path)
    subject = URIRef(org)
    assert (subject, RDF.type, CC.Association) in graph
    assert (subject, AS.name, Literal("Jardins partagés de Bellepierre")) in graph
    assert (subject, CC.territory, URIRef(COMMUNE)) in graph
    assert {CCT.agriculture, CCT.environnement} == set(graph.objects(subject, CC.theme))
    assert (subject, AS.url, URIRef("https://jardins.example.org/")) in graph
    assert (subject, SCHEMA.streetAddress, Literal("12 rue des Jardins")) in graph
    assert (subject, DCTERMS.creator, URIRef(alice.actor)) in graph
    listing = turtle(alice.client, "/organizations/")
    assert (URIRef(BASE + "/organizations/"), URIRef("http://www.w3.org/ns/ldp#contains"),
            subject) in listing

    event = alice.post("/events/new", {
        "name": "Journée plantation", "event_type": "workshop", "start": "2026-12-20T09:00",
        "end": "2026-12-20T12:00", "capacity": "30", "attributed_to": org,
        "territory": "97411", "themes": ["agriculture"]})
    assert event.status_code == 303, text(event)
    event_path = event.headers["Location"]
    graph = turtle(alice.client, event_path)
    subject = URIRef(BASE + event_path)
    assert (subject, RDF.type, CC.Event) in graph
    assert (subject, CC.eventType, CC.Workshop) in graph
    # a time typed in La Réunion is La Réunion's time (UTC+4)
    assert (subject, AS.startTime, Literal("2026-12-20T09:00:00+04:00",
                                           datatype=XSD.dateTime)) in graph
    assert (subject, SCHEMA.maximumAttendeeCapacity, Literal(30)) in graph
    assert (subject, AS.attributedTo, URIRef(org)) in graph

    rows = sparql(alice.client, f"""
        PREFIX as: <https://www.w3.org/ns/activitystreams#>
        PREFIX cc: <https://w3id.org/communecter/ns#>
        SELECT ?event ?name WHERE {{
          GRAPH ?event {{ ?event a cc:Event ; as:attributedTo <{org}> ; as:name ?name }}
        }}""")
    assert [(r["event"]["value"], r["name"]["value"]) for r in rows] == [
        (BASE + event_path, "Journée plantation")]
    # the creator is the organization's first admin, in W3C ORG, found by SPARQL
    rows = sparql(alice.client, f"""
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?person ?role WHERE {{
          ?m a org:Membership ; org:organization <{org}> ; org:member ?person ; org:role ?role
        }}""")
    assert [(r["person"]["value"], r["role"]["value"]) for r in rows] == [
        (alice.actor, str(CC.AdminRole))]

    page = alice.get(org_path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    body = text(page)
    assert "Jardins partagés de Bellepierre" in body
    assert "Alice Payet" in body and "Administrateur·rice" in body
    assert "ETag" not in page.headers  # the page depends on who looks: never revalidated
    event_page = text(alice.get(event_path, headers={"Accept": "text/html"}))
    assert "Journée plantation" in event_page and "30 places restantes" in event_page
    assert "Jardins partagés de Bellepierre" in event_page  # organizer by name


FORMS = {
    "projects": ({"name": "Tiers-lieu", "stage": "concept", "summary": "Un lieu."},
                 [(CC.stage, CC.StageConcept), (RDF.type, CC.Project)]),
    "places": ({"name": "Repair café", "lat": "-20,8821", "long": "55.4504",
                "address": "3 rue de Paris"},
               [(GEO.lat, Literal("-20.8821", datatype=XSD.decimal)),
                (RDF.type, CC.PointOfInterest)]),
    "offers": ({"kind": "need", "name": "Cherche colocation", "category": "housing"},
               [(CC.category, CC.Housing), (RDF.type, CC.Need)]),
    "organizations": ({"kind": "publicauthority", "name": "Mairie de Saint-Denis"},
                      [(RDF.type, CC.PublicAuthority)]),
    "events": ({"name": "Concert", "start": "2026-07-14T21:00", "event_type": "concert",
                "online_url": "https://live.example.org/concert"},
               [(CC.eventType, CC.Concert),
                (CC.onlineUrl, URIRef("https://live.example.org/concert"))]),
}


@pytest.mark.parametrize("container", sorted(FORMS))
def test_create_edit_delete_each_kind(site, container: str) -> None:
    bob = make_user(site, "bob")
    form, expected = FORMS[container]
    assert bob.get(f"/{container}/new").status_code == 200
    created = bob.post(f"/{container}/new", {**form, "territory": "97411"})
    assert created.status_code == 303, text(created)
    path = created.headers["Location"]
    iri = URIRef(BASE + path)
    graph = turtle(bob.client, path)
    for predicate, value in expected:
        assert (iri, predicate, value) in graph, (predicate, value)

    # a partner tool adds a triple of its own vocabulary; the form keeps it on edit
    partner = URIRef("http://example.org/vocab#rating")
    current = bob.client.get(path, headers={"Accept": "text/turtle"})
    patched = bob.client.patch(path, data=f"INSERT DATA {{ <{iri}> <{partner}> 5 }}",
                               headers={**bob.auth(), "Content-Type": "application/sparql-update",
                                        "If-Match": current.headers["ETag"]})
    assert patched.status_code == 204, text(patched)
    form_page = bob.get(f"{path}/edit")
    assert form_page.status_code == 200
    assert form["name"] in text(form_page)
    edited = bob.post(f"{path}/edit", {**form, "name": form["name"] + " (modifié)",
                                       "territory": "97415", "themes": ["culture"]})
    assert edited.status_code == 303, text(edited)
    graph = turtle(bob.client, path)
    assert (iri, AS.name, Literal(form["name"] + " (modifié)")) in graph
    assert (iri, CC.territory, URIRef(f"{BASE}/territories/97415")) in graph
    assert (iri, CC.theme, CCT.culture) in graph
    assert (iri, partner, Literal(5)) in graph
    assert (iri, DCTERMS.creator, URIRef(bob.actor)) in graph

    deleted = bob.post(f"{path}/delete")
    assert deleted.status_code == 303
    assert bob.client.get(path, headers={"Accept": "text/turtle"}).status_code == 410


def test_event_with_place_and_sub_event(site) -> None:
    alice = make_user(site, "alice")
    place = create(site, alice.actor, "places", "kiosque", CC.PointOfInterest, "Kiosque")
    festival = alice.post("/events/new", {"name": "Festival", "start": "2026-08-01T10:00",
                                          "location": place, "territory": "97411"})
    assert festival.status_code == 303, text(festival)
    festival_iri = BASE + festival.headers["Location"]
    form = alice.get(f"/events/new?super_event={festival_iri}")
    assert "Festival" in text(form)
    concert = alice.post("/events/new", {"name": "Concert du soir", "location": "kiosque",
                                         "start": "2026-08-01T20:00",
                                         "super_event": festival_iri, "territory": "97411"})
    assert concert.status_code == 303, text(concert)
    graph = turtle(alice.client, concert.headers["Location"])
    subject = URIRef(BASE + concert.headers["Location"])
    assert (subject, SCHEMA.superEvent, URIRef(festival_iri)) in graph
    assert (subject, AS.location, URIRef(place)) in graph
    page = text(alice.get(festival.headers["Location"], headers={"Accept": "text/html"}))
    assert "Concert du soir" in page and "Kiosque" in page


def test_project_page_shows_its_stage(site) -> None:
    alice = make_user(site, "alice")
    created = alice.post("/projects/new", {"name": "Compost", "stage": "testing",
                                           "territory": "97411"})
    page = text(alice.get(created.headers["Location"], headers={"Accept": "text/html"}))
    assert 'aria-current="step">En test<' in page


def test_organization_members_rdf(site) -> None:
    alice = make_user(site, "alice")
    org = create(site, alice.actor, "organizations", "rdf-asso", CC.Association, "Asso")
    response = alice.client.get("/organizations/rdf-asso/members",
                                headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    memberships = list(graph.subjects(RDF.type, ORG.Membership))
    assert len(memberships) == 1
    assert graph.value(memberships[0], ORG.member) == URIRef(alice.actor)
    assert graph.value(memberships[0], ORG.organization) == URIRef(org)
    html = alice.get("/organizations/rdf-asso/members", headers={"Accept": "text/html"})
    assert "Administrateur·rice" in text(html)
    assert alice.get("/organizations/nothing/members").status_code == 404


def test_the_form_speaks_english_too(site) -> None:
    alice = make_user(site, "alice")
    with alice.client.session_transaction() as session:
        session["locale"] = "en"
    page = text(alice.get("/events/new"))
    assert "New event" in page and "Start" in page
