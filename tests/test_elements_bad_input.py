"""Bad input in the forms of organizations, projects, events, places and offers: each case
gets a clear message in the page (or a 4xx), what was typed is kept, and nothing is
half-saved."""

from __future__ import annotations

import html

import pytest
from rdflib import Graph, Literal, URIRef

from ontology import AS, CC, SCHEMA
from store.memberships import PendingMemberships
from tests.elements_support import (
    BASE,
    apply,
    create,
    make_site,
    make_user,
    member_of,
    snapshot,
)
from tests.elements_support import text as raw_text


def text(response) -> str:
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(raw_text(response))


SCRIPT = '<script>alert("x")</script><b onmouseover="alert(1)">gras</b> & « guillemets »'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("bad-input"))


TEXT_FIELDS = {
    "organizations": {"kind": "association", "name": SCRIPT, "summary": SCRIPT,
                      "content": SCRIPT, "address": SCRIPT},
    "projects": {"name": SCRIPT, "summary": SCRIPT, "content": SCRIPT},
    "events": {"name": SCRIPT, "summary": SCRIPT, "content": SCRIPT,
               "start": "2026-12-20T18:00"},
    "places": {"name": SCRIPT, "summary": SCRIPT, "content": SCRIPT, "address": SCRIPT,
               "lat": "-20.88", "long": "55.45"},
    "offers": {"kind": "offer", "name": SCRIPT, "summary": SCRIPT, "content": SCRIPT,
               "category": "donation"},
}


@pytest.mark.parametrize("container", sorted(TEXT_FIELDS))
def test_html_and_script_are_stored_as_text_and_escaped(site, container: str) -> None:
    alice = make_user(site, "alice")
    form = TEXT_FIELDS[container]
    created = alice.post(f"/{container}/new", {**form, "territory": "97411"})
    assert created.status_code == 303, text(created)
    path = created.headers["Location"]
    assert path.startswith(f"/{container}/") and "<" not in path
    turtle = alice.client.get(path, headers={"Accept": "text/turtle"}).get_data(as_text=True)
    graph = Graph().parse(data=turtle, format="turtle")
    subject = URIRef(BASE + path)
    for predicate in (AS.name, AS.summary, AS.content):
        assert graph.value(subject, predicate) == Literal(SCRIPT), predicate
    for page in (alice.get(path, headers={"Accept": "text/html"}), alice.get(f"{path}/edit")):
        body = raw_text(page)
        assert "<script>alert" not in body
        assert "<b onmouseover" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    # the same text in a list of names (admin page, collections) stays escaped too
    members = raw_text(alice.get(path + "/followers", headers={"Accept": "text/html"})) \
        if container in ("organizations", "projects", "events") else ""
    assert "<script>alert" not in members


def test_script_in_a_refused_form_is_kept_escaped(site) -> None:
    alice = make_user(site, "alice")
    response = alice.post("/organizations/new", {"kind": "association", "name": SCRIPT,
                                                 "territory": "00000"})
    assert response.status_code == 422
    body = raw_text(response)
    assert "<script>alert" not in body
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)' in body  # kept, escaped


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>1</script>",
                                 "https://exa mple.org/", "ftp://example.org/", "//evil"])
def test_unsafe_web_addresses_are_refused(site, url: str) -> None:
    alice = make_user(site, "alice")
    before = snapshot(site)
    response = alice.post("/organizations/new", {"kind": "association", "name": "Asso",
                                                 "territory": "97411", "url": url})
    assert response.status_code == 422
    assert "adresse invalide" in text(response)
    assert snapshot(site) == before


def test_unsafe_address_from_ldp_is_not_a_link(site) -> None:
    alice = make_user(site, "alice")
    org = create(site, alice.actor, "organizations", "url-asso", CC.Association, "Asso",
                 )
    current = alice.client.get("/organizations/url-asso", headers={"Accept": "text/turtle"})
    patched = alice.client.patch("/organizations/url-asso",
                                 data=f"INSERT DATA {{ <{org}> <{AS.url}> <javascript:alert(1)> }}",
                                 headers={**alice.auth(), "If-Match": current.headers["ETag"],
                                          "Content-Type": "application/sparql-update"})
    assert patched.status_code == 204
    body = raw_text(alice.get("/organizations/url-asso", headers={"Accept": "text/html"}))
    assert 'href="javascript:' not in body


@pytest.mark.parametrize(("container", "form", "words"), [
    ("organizations", {"kind": "cooperative", "name": "X"}, "Type inconnu : « cooperative »"),
    ("organizations", {"kind": "association", "name": "X", "themes": ["culture", "astrologie"]},
     "Thématique inconnue : « astrologie »"),
    ("projects", {"name": "X", "stage": "abandoned"}, "Étape : valeur inconnue « abandoned »"),
    ("events", {"name": "X", "start": "2026-01-01T10:00", "event_type": "rave"},
     "Type d'événement : valeur inconnue « rave »"),
    ("offers", {"kind": "offer", "name": "X", "category": "weapons"},
     "Catégorie : valeur inconnue « weapons »"),
    ("offers", {"kind": "gift", "name": "X", "category": "donation"}, "Type inconnu : « gift »"),
    ("events", {"name": "X", "start": "demain soir"}, "Début : date et heure invalides"),
    ("events", {"name": "X", "start": "2026-01-01T10:00", "capacity": "beaucoup"},
     "Nombre de places : un nombre entier"),
    ("places", {"name": "X", "lat": "nord", "long": "55"}, "Latitude : un nombre décimal"),
    ("events", {"name": "X", "start": "2026-01-01T10:00", "location": "nowhere"},
     "Lieu inconnu : « nowhere »"),
])
def test_unknown_choices_get_a_clear_message_and_nothing_is_saved(site, container, form,
                                                                 words) -> None:
    alice = make_user(site, "alice")
    before = snapshot(site)
    response = alice.post(f"/{container}/new", {"territory": "97411", **form})
    assert response.status_code == 422, text(response)
    body = text(response)
    assert words in body
    assert "Rien n'a été enregistré" in body
    assert 'value="X"' in body  # what the person typed is kept
    assert snapshot(site) == before


def test_unknown_territory(site) -> None:
    alice = make_user(site, "alice")
    before = snapshot(site)
    for territory in ("99999", "departement-974", "https://evil.example/territories/1"):
        response = alice.post("/organizations/new", {"kind": "association", "name": "X",
                                                     "territory": territory})
        assert response.status_code == 422
        assert "Territoire inconnu" in text(response)
    assert snapshot(site) == before


def test_shape_violations_are_shown_in_french_with_the_input_kept(site) -> None:
    alice = make_user(site, "alice")
    before = snapshot(site)
    response = alice.post("/organizations/new", {"kind": "association", "name": "",
                                                 "summary": "Mon résumé", "territory": ""})
    assert response.status_code == 422
    body = text(response)
    assert "Le nom est obligatoire." in body
    assert "Le territoire est obligatoire" in body
    assert ">Mon résumé</textarea>" in body
    response = alice.post("/events/new", {"name": "À l'envers", "territory": "97411",
                                          "start": "2026-12-20T18:00",
                                          "end": "2026-12-20T10:00"})
    assert response.status_code == 422
    assert "pas après la fin" in text(response)
    response = alice.post("/events/new", {"name": "Places", "territory": "97411",
                                          "start": "2026-12-20T18:00", "capacity": "-3"})
    assert response.status_code == 422
    assert "Capacité : un seul xsd:integer positif ou nul." in text(response)
    response = alice.post("/places/new", {"name": "Pôle", "territory": "97411",
                                          "lat": "95", "long": "55"})
    assert response.status_code == 422
    assert "Latitude : un seul xsd:decimal entre -90 et 90." in text(response)
    response = alice.post("/projects/new", {"name": "x" * 201, "territory": "97411"})
    assert response.status_code == 422
    assert "Nom : texte de 1 à 200 caractères" in text(response)
    assert snapshot(site) == before


def test_editing_another_persons_organization_is_forbidden(site) -> None:
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    create(site, alice.actor, "organizations", "edit-asso", CC.Association, "Asso")
    before = snapshot(site)
    assert bob.get("/organizations/edit-asso/edit").status_code == 403
    response = bob.post("/organizations/edit-asso/edit", {"kind": "association", "name": "Pris !",
                                                     "territory": "97411"})
    assert response.status_code == 403
    assert bob.post("/organizations/edit-asso/delete").status_code == 403
    assert snapshot(site) == before


def test_inviting_into_an_organization_one_does_not_administer_is_forbidden(site) -> None:
    alice, bob, carol, dave = (make_user(site, h) for h in ("alice", "bob", "carol", "dave"))
    org = create(site, alice.actor, "organizations", "inv-asso", CC.Association, "Asso")
    member_of(site, org, alice.actor, bob.actor, "member")
    assert dave.post("/organizations/inv-asso/join").status_code == 303  # a pending request
    before = snapshot(site)
    for who in (bob, carol):  # a member, and a stranger
        response = who.post("/organizations/inv-asso/invite", {"person": "carol", "role": "admin"})
        assert response.status_code == 403
        assert "Seul·es les administrateur·rices" in text(response)
        for action in ("accept", "reject", "remove"):
            response = who.post(f"/organizations/inv-asso/{action}", {"person": dave.actor})
            assert response.status_code == 403, action
    assert snapshot(site) == before


def test_publishing_in_the_name_of_another_organization_is_forbidden(site) -> None:
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    org = create(site, alice.actor, "organizations", "pub-asso", CC.Association, "Asso")
    festival = create(site, alice.actor, "events", "pub-festival", CC.Event, "Festival")
    before = snapshot(site)
    response = bob.post("/events/new", {"name": "Faux", "start": "2026-12-20T18:00",
                                        "territory": "97411", "attributed_to": org})
    assert response.status_code == 403
    assert "au nom de" in text(response)
    response = bob.post("/events/new", {"name": "Greffé", "start": "2026-12-20T18:00",
                                        "territory": "97411", "super_event": festival})
    assert response.status_code == 403
    assert snapshot(site) == before
    # a member may not either; a contributor may
    member_of(site, org, alice.actor, bob.actor, "member")
    response = bob.post("/events/new", {"name": "Faux", "start": "2026-12-20T18:00",
                                        "territory": "97411", "attributed_to": org})
    assert response.status_code == 403
    member_of(site, org, alice.actor, bob.actor, "contributor")
    response = bob.post("/events/new", {"name": "Vrai", "start": "2026-12-20T18:00",
                                        "territory": "97411", "attributed_to": org})
    assert response.status_code == 303


def test_capacity_exceeded_gets_a_clear_message(site) -> None:
    alice, bob, carol = (make_user(site, h) for h in ("alice", "bob", "carol"))
    create(site, alice.actor, "events", "cap-atelier", CC.Event, "Atelier", capacity=Literal(1))
    assert bob.post("/events/cap-atelier/join").status_code == 303
    before = snapshot(site)
    response = carol.post("/events/cap-atelier/join")
    assert response.status_code == 409
    body = text(response)
    assert "Cet événement est complet" in body
    assert "Complet : toutes les places sont prises." in body
    assert snapshot(site) == before


def test_server_managed_badge_cannot_be_set_by_a_client(site) -> None:
    alice = make_user(site, "alice")
    created = alice.post("/organizations/new", {"kind": "publicauthority", "name": "Mairie",
                                                "territory": "97411", "verified": "true"})
    assert created.status_code == 303
    turtle = alice.client.get(created.headers["Location"], headers={"Accept": "text/turtle"})
    assert "verified" not in turtle.get_data(as_text=True)
    body = (f"<> a <{CC.PublicAuthority}> ; <{AS.name}> \"Mairie\" ; "
            f"<{CC.territory}> <{BASE}/territories/97411> ; <{CC.verified}> true .")
    response = alice.client.post("/organizations/", data=body,
                                 headers={**alice.auth(), "Content-Type": "text/turtle"})
    assert response.status_code == 409


def test_forms_without_csrf_token_are_refused(site) -> None:
    alice = make_user(site, "alice")
    before = snapshot(site)
    response = alice.client.post("/organizations/new", data={"kind": "association",
                                                              "name": "X", "territory": "97411"})
    assert response.status_code == 400
    assert snapshot(site) == before


def test_nonsense_ids_in_action_forms(site) -> None:
    alice = make_user(site, "alice")
    create(site, alice.actor, "organizations", "ids-asso", CC.Association, "Asso")
    before = snapshot(site)
    response = alice.post("/organizations/ids-asso/invite", {"person": "nobody-here"})
    assert response.status_code == 404
    assert "Cette personne n'existe pas ici." in text(response)
    response = alice.post("/organizations/ids-asso/invite", {"person": "<script>", "role": "king"})
    assert response.status_code == 422
    assert "Rôle inconnu" in text(response)
    assert alice.post("/organizations/nothing/join").status_code == 404
    assert alice.post("/territories/nowhere/follow").status_code == 404
    assert snapshot(site) == before


def test_stored_event_capacity_shows(site) -> None:
    alice = make_user(site, "alice")
    event = create(site, alice.actor, "events", "cap-fete", CC.Event, "Fête", capacity=Literal(3))
    graph = Graph().parse(data=alice.client.get("/events/cap-fete", headers={
        "Accept": "text/turtle"}).get_data(as_text=True), format="turtle")
    assert graph.value(URIRef(event), SCHEMA.maximumAttendeeCapacity) == Literal(3)


def test_an_edit_based_on_a_stale_page_is_refused(site) -> None:
    alice = make_user(site, "alice")
    create(site, alice.actor, "organizations", "stale-asso", CC.Association, "Avant")
    page = raw_text(alice.get("/organizations/stale-asso/edit"))
    etag = page.split('name="etag" value="', 1)[1].split('"', 1)[0]
    form = {"kind": "association", "name": "Première", "territory": "97411", "etag": etag}
    assert alice.post("/organizations/stale-asso/edit", form).status_code == 303
    before = snapshot(site)
    response = alice.post("/organizations/stale-asso/edit", {**form, "name": "Seconde"})
    assert response.status_code == 412
    assert "La ressource a changé pendant que vous la modifiiez" in text(response)
    assert 'value="Seconde"' in raw_text(response)  # what was typed is kept
    assert snapshot(site) == before


def test_the_last_seat_cannot_be_taken_twice(site) -> None:
    """Two people reading the same attendee list: the second write fails its precondition,
    is retried on fresh data, and finds the event full."""
    from federation.errors import Conflict
    from store.base import Write

    alice, bob, carol = (make_user(site, h) for h in ("alice", "bob", "carol"))
    event = create(site, alice.actor, "events", "race", CC.Event, "Course",
                   capacity=Literal(1))
    store = site.platform.store
    original = store.write
    sneaked = []

    def write(change: Write) -> None:
        if not sneaked and f"{event}/attendees" in change.replace:
            sneaked.append(True)  # carol takes the seat between bob's read and write
            original(Write(replace={f"{event}/attendees": (
                f"<{event}/attendees> <{AS.items}> <{carol.actor}> .\n"
                f"<{event}> <{SCHEMA.attendee}> <{carol.actor}> .\n")},
                expect_absent=[f"{event}/attendees"]))
        original(change)

    store.write = write
    try:
        with pytest.raises(Conflict) as refused:
            apply(site, "Join", bob.actor, event)
    finally:
        del store.write
    assert refused.value.key == "event_full"
    attendees = store.graph(f"{event}/attendees")
    assert carol.actor in attendees and bob.actor not in attendees


def test_inviting_by_handle_at_this_host_only(site) -> None:
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    create(site, alice.actor, "organizations", "host-asso", CC.Association, "Hôte")
    response = alice.post("/organizations/host-asso/invite",
                          {"person": "bob@elsewhere.example"})
    assert response.status_code == 404
    response = alice.post("/organizations/host-asso/invite",
                          {"person": "@bob@communecter.test"})
    assert response.status_code == 303
    pending = PendingMemberships(site.platform.private).get(f"{BASE}/organizations/host-asso",
                                                           bob.actor)
    assert pending is not None and pending.kind == "invitation"


def test_ldp_clients_cannot_publish_in_another_organizations_name(site) -> None:
    """The same rule as the forms, for LDP: organizer and parent event are checked."""
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    org = create(site, alice.actor, "organizations", "ldp-asso", CC.Association, "Asso")
    festival = create(site, alice.actor, "events", "ldp-festival", CC.Event, "Festival")
    before = snapshot(site)
    start = '"2026-12-20T18:00:00+04:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
    body = (f"<> a <{CC.Event}> ; <{AS.name}> \"Faux\" ; <{AS.startTime}> {start} ; "
            f"<{CC.territory}> <{BASE}/territories/97411> ; ")
    for extra in (f"<{AS.attributedTo}> <{org}> .", f"<{AS.attributedTo}> <{alice.actor}> .",
                  f"<{SCHEMA.superEvent}> <{festival}> ."):
        response = bob.client.post("/events/", data=body + extra,
                                   headers={**bob.auth(), "Content-Type": "text/turtle"})
        assert response.status_code == 403, extra
    assert snapshot(site) == before
    # alice may; and an admin of the organizer edits the event over LDP as over the form
    response = alice.client.post("/events/", data=body + f"<{AS.attributedTo}> <{org}> .",
                                 headers={**alice.auth(), "Content-Type": "text/turtle",
                                          "Slug": "ldp-ok"})
    assert response.status_code == 201
    member_of(site, org, alice.actor, bob.actor, "admin")
    current = bob.client.get("/events/ldp-ok", headers={"Accept": "text/turtle"})
    patched = bob.client.patch(
        "/events/ldp-ok", data=f'INSERT DATA {{ <{BASE}/events/ldp-ok> <{AS.summary}> "ok" }}',
        headers={**bob.auth(), "If-Match": current.headers["ETag"],
                 "Content-Type": "application/sparql-update"})
    assert patched.status_code == 204
