"""Exports on La Réunion's demo data: each format parses with a standard parser and holds
the right items (iCalendar, RSS 2.0, Atom, GeoJSON, CSV), and bad addresses get a 404 that
says why."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from federation.activities import Activity
from tests.conftest import BASE
from tests.search_support import shared_demo_site

T = f"{BASE}/territories"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return shared_demo_site(tmp_path_factory)


def get(demo, url: str, media: str) -> bytes:
    response = demo.client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == media, response.content_type
    return response.get_data()


def select(demo, query: str) -> list[dict]:
    return demo.app.extensions["communecter"].store.select(query)


def events_inside(demo, territory: str, since: datetime) -> set[str]:
    """Events whose commune lies inside ``territory``, checked with SPARQL over the chain."""
    from web.ui.search import service

    rows = service(demo.app).index._connection().execute(
        "SELECT iri, parent FROM territories").fetchall()
    inside, grew = {territory}, True
    while grew:
        before = len(inside)
        inside |= {iri for iri, parent in rows if parent in inside}
        grew = len(inside) > before
    found = select(demo, "SELECT ?e ?t ?start ?end WHERE { GRAPH ?e { ?e a "
                         "<https://w3id.org/communecter/ns#Event> ; "
                         "<https://w3id.org/communecter/ns#territory> ?t ; "
                         "<https://www.w3.org/ns/activitystreams#startTime> ?start "
                         "OPTIONAL { ?e <https://www.w3.org/ns/activitystreams#endTime> ?end } } }")
    out = set()
    for row in found:
        end = datetime.fromisoformat(str(row.get("end") or row["start"]))
        if str(row["t"]) in inside and end >= since:
            out.add(str(row["e"]))
    return out


def vevents(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_one_event(demo) -> None:
    event = str(select(demo, "SELECT ?e WHERE { GRAPH ?e { ?e a "
                             "<https://w3id.org/communecter/ns#Event> ; "
                             "<http://schema.org/superEvent> ?parent } } LIMIT 1")[0]["e"])
    body = get(demo, f"/export/events/{event.rsplit('/', 1)[1]}.ics", "text/calendar")
    found = vevents(body)
    assert list(found) == [event]
    vevent = found[event]
    name = str(select(demo, f"SELECT ?n WHERE {{ GRAPH <{event}> {{ <{event}> "
                            f"<https://www.w3.org/ns/activitystreams#name> ?n }} }}")[0]["n"])
    assert str(vevent["SUMMARY"]) == name
    assert vevent["DTSTART"].dt < vevent["DTEND"].dt
    assert str(vevent["URL"]) == event and vevent.get("LOCATION")
    assert vevent.get("GEO") is not None


def test_a_territory_calendar_holds_what_is_inside(demo) -> None:
    since = datetime.now(UTC) - timedelta(days=30)
    for code in ("97411", "epci-249740119", "departement-974"):
        found = vevents(get(demo, f"/export/territories/{code}/events.ics", "text/calendar"))
        assert set(found) == events_inside(demo, f"{T}/{code}", since), code
    assert len(vevents(get(demo, "/export/territories/departement-974/events.ics",
                           "text/calendar"))) > len(
        vevents(get(demo, "/export/territories/97411/events.ics", "text/calendar")))


def test_rss_and_atom_feeds_parse_and_hold_the_newest_posts(demo) -> None:
    newest = select(demo, f"SELECT ?p ?d WHERE {{ GRAPH ?p {{ ?p a "
                          f"<https://w3id.org/communecter/ns#Post> ; "
                          f"<https://w3id.org/communecter/ns#territory> <{T}/97411> ; "
                          f"<https://www.w3.org/ns/activitystreams#published> ?d }} }} "
                          f"ORDER BY DESC(?d) LIMIT 5")
    rss = ET.fromstring(get(demo, "/export/territories/97411/posts.rss", "application/rss+xml"))
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required)
    items = channel.findall("item")
    assert 0 < len(items) <= 50
    for item in items:
        assert item.findtext("title") and item.findtext("link") and item.findtext("guid")
        assert item.findtext("pubDate")
    assert [i.findtext("link") for i in items[:5]] == [str(r["p"]) for r in newest]

    feed = ET.fromstring(get(demo, "/export/territories/97411/posts.atom",
                             "application/atom+xml"))
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{required}")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries[:5]] == [str(r["p"]) for r in newest]
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}")
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated").replace("Z", "+00:00"))


def test_feeds_of_an_organization(demo) -> None:
    org = f"{BASE}/organizations/mairie-de-saint-denis"
    posts = select(demo, f"SELECT ?p WHERE {{ GRAPH ?p {{ ?p a "
                         f"<https://w3id.org/communecter/ns#Post> . {{ ?p "
                         f"<https://w3id.org/communecter/ns#wall> <{org}> }} UNION {{ ?p "
                         f"<https://www.w3.org/ns/activitystreams#attributedTo> <{org}> }} }} }}")
    feed = ET.fromstring(get(demo, "/export/organizations/mairie-de-saint-denis/posts.atom",
                             "application/atom+xml"))
    listed = {e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")}
    assert listed and listed <= {str(r["p"]) for r in posts}
    assert "Mairie de Saint-Denis" in feed.findtext(f"{ATOM}title")
    rss = ET.fromstring(get(demo, "/export/organizations/mairie-de-saint-denis/events.rss",
                            "application/rss+xml"))
    assert rss.find("channel/title") is not None
    calendar = vevents(get(demo, "/export/organizations/mairie-de-saint-denis/events.ics",
                           "text/calendar"))
    attributed = {str(r["e"]) for r in select(
        demo, f"SELECT ?e WHERE {{ GRAPH ?e {{ ?e a <https://w3id.org/communecter/ns#Event> ; "
              f"<https://www.w3.org/ns/activitystreams#attributedTo> <{org}> }} }}")}
    assert set(calendar) <= attributed


def test_a_persons_agenda_holds_what_they_created_and_attend(demo) -> None:
    platform = demo.app.extensions["communecter"]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = ("@prefix cc: <https://w3id.org/communecter/ns#> . "
            "@prefix as: <https://www.w3.org/ns/activitystreams#> . "
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            f"<> a cc:Event ; as:name \"Pique-nique, \\\"zarlor\\\" et musique\" ; "
            f"as:startTime \"{start.isoformat()}\"^^xsd:dateTime ; "
            f"cc:territory <{T}/97411> .")
    created = demo.client.post("/events/", data=body.encode(),
                               headers={**demo.auth("bob"), "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.get_data(as_text=True)
    event = created.headers["Location"]
    agenda = vevents(get(demo, "/export/persons/bob/agenda.ics", "text/calendar"))
    assert event in agenda
    assert str(agenda[event]["SUMMARY"]) == 'Pique-nique, "zarlor" et musique'
    assert event not in vevents(get(demo, "/export/persons/alice/agenda.ics", "text/calendar"))
    platform.activities.apply(Activity("Join", f"{BASE}/persons/alice", event))
    assert event in vevents(get(demo, "/export/persons/alice/agenda.ics", "text/calendar"))
    demo.client.delete(event, headers=demo.auth("bob"))


def test_geojson_directory(demo) -> None:
    found = json.loads(get(demo, "/export/territories/97415/places.geojson",
                           "application/geo+json"))
    assert found["type"] == "FeatureCollection" and found["features"]
    for feature in found["features"]:
        assert feature["type"] == "Feature" and feature["id"].startswith(f"{BASE}/places/")
        longitude, latitude = feature["geometry"]["coordinates"]
        assert 55.1 < longitude < 55.9 and -21.5 < latitude < -20.8  # [long, lat] order
        assert feature["properties"]["name"] and feature["properties"]["territory"] == \
            f"{T}/97415"
    organizations = json.loads(get(demo, "/export/territories/departement-974/"
                                         "organizations.geojson", "application/geo+json"))
    kinds = {f["properties"]["type"] for f in organizations["features"]}
    assert {"PublicAuthority", "Association", "Business"} <= kinds
    unlocated = [f for f in organizations["features"] if f["geometry"] is None]
    assert all(f["properties"]["type"] == "InformalGroup" for f in unlocated)


def test_csv_directory(demo) -> None:
    response = demo.client.get("/export/territories/97411/organizations.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    text = response.get_data().decode("utf-8")
    assert text.startswith("iri,type,name,") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    organizations = {str(r["o"]) for r in select(
        demo, f"SELECT ?o WHERE {{ GRAPH ?o {{ ?o <https://w3id.org/communecter/ns#territory> "
              f"<{T}/97411> ; a ?c }} FILTER(?c IN (<https://w3id.org/communecter/ns#"
              f"Association>, <https://w3id.org/communecter/ns#Business>, "
              f"<https://w3id.org/communecter/ns#PublicAuthority>, "
              f"<https://w3id.org/communecter/ns#InformalGroup>)) }}")}
    assert {row["iri"] for row in rows} == organizations
    assert all(row["territory_name"] == "Saint-Denis" for row in rows)
    with_commas = [row for row in rows if "," in row["summary"]]
    assert with_commas  # quoted, and read back whole
    names = [row["name"].casefold() for row in rows]
    assert names == sorted(names)


@pytest.mark.parametrize("url", [
    "/export/territories/99999/events.ics",
    "/export/territories/97411/events.pdf",
    "/export/territories/97411/secrets.csv",
    "/export/territories/97411/posts.ics",
    "/export/events/no-such-event.ics",
    "/export/organizations/no-such-org/posts.rss",
    "/export/persons/alice/agenda.rss",
    "/export/offers/x/posts.rss",
    "/export/organizations/mairie-de-saint-denis/agenda.ics",
])
def test_bad_addresses_say_why(demo, url: str) -> None:
    response = demo.client.get(url)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert any(word in text for word in ("inconnu", "existe pas", "Pas d'export",
                                         "aucune ressource")), text


def test_an_organization_is_not_an_event(demo) -> None:
    response = demo.client.get("/export/events/mairie-de-saint-denis.ics")
    assert response.status_code == 404


def test_alternate_links(demo) -> None:
    from web.ui.exports import alternates

    with demo.app.test_request_context("/"):
        links = alternates(f"{T}/97411")
        assert {link["type"] for link in links} == {"application/atom+xml",
                                                    "application/rss+xml", "text/calendar"}
        for link in links:
            assert demo.client.get(link["href"][len(BASE):]).status_code == 200
        assert alternates("https://elsewhere.example/x") == []
