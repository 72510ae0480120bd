"""Posts, comments, likes, mentions, hashtags and reports through the UI routes; what
they store is the resource LDP serves; who may post where; nothing half-saved."""

from __future__ import annotations

import json

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from ontology import AS, CC, CCT, DCTERMS
from store.notifications import Notifications, Reports
from tests.posts_support import (
    CSRF,
    account,
    assert_page_harmless,
    citizen,
    client_for,
    comment,
    platform_of,
    post,
    posts_count,
    slug,
    territory,
    turtle,
)


def notes(site, handle: str) -> list[tuple[str, str, str]]:
    platform = platform_of(site)
    found = Notifications(platform.private).latest(f"{platform.base_url}/persons/{handle}")
    return [(n.kind, n.actor.rsplit("/", 1)[-1], n.object) for n in found]


def test_a_post_on_a_territory_wall_is_the_resource_ldp_serves(site) -> None:
    alice = client_for(site, "alice")
    wall = territory(site)
    response, iri = post(alice, wall, "Bonjour **Saint-Denis** ! #Culture, merci @bob.")
    assert response.status_code == 303 and iri, response.data
    graph = turtle(site, iri)
    subject = URIRef(iri)
    assert (subject, RDF.type, CC.Post) in graph
    assert graph.value(subject, AS.attributedTo) == URIRef(citizen(site, "alice"))
    assert graph.value(subject, DCTERMS.creator) == URIRef(citizen(site, "alice"))
    assert graph.value(subject, CC.wall) == URIRef(wall)
    assert graph.value(subject, CC.territory) == URIRef(wall)
    assert graph.value(subject, AS.published) is not None
    html = str(graph.value(subject, AS.content))
    assert "<strong>Saint-Denis</strong>" in html
    assert f'href="{wall}?theme=culture" class="hashtag"' in html
    assert f'href="{citizen(site, "bob")}" class="mention"' in html
    source = graph.value(subject, AS.source)
    assert graph.value(source, AS.content) == Literal(
        "Bonjour **Saint-Denis** ! #Culture, merci @bob.")
    assert graph.value(source, AS.mediaType) == Literal("text/markdown")
    assert (subject, CC.theme, CCT.culture) in graph
    tags = {graph.value(t, RDF.type): t for t in graph.objects(subject, AS.tag)}
    assert graph.value(tags[AS.Mention], AS.href) == URIRef(citizen(site, "bob"))
    assert graph.value(tags[AS.Hashtag], AS.href) == CCT.culture
    assert (subject, AS.cc, URIRef(citizen(site, "bob"))) in graph
    # SPARQL finds it on the territory's wall and in the culture theme
    rows = platform_of(site).store.select(
        f"SELECT ?p WHERE {{ GRAPH ?p {{ ?p <{CC.wall}> <{wall}> ; "
        f"<{CC.theme}> <{CCT.culture}> }} }}")
    assert [str(r["p"]) for r in rows] == [iri]
    # the wall and the post's own page (its URI, as HTML) show it; bob is told
    page = alice.get(f"/posts/new?wall={wall}").data.decode()
    assert "<strong>Saint-Denis</strong>" in page and f'id="post-{slug(iri)}"' in page
    own_page = site.client.get(f"/posts/{slug(iri)}", headers={"Accept": "text/html"})
    assert own_page.status_code == 200 and "<strong>Saint-Denis</strong>" in own_page.data.decode()
    assert notes(site, "bob") == [("mention", "alice", iri)]
    assert notes(site, "alice") == []


def test_comments_are_threaded_and_their_authors_told(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    _response, root = post(alice, territory(site), "Qui vient au marché ?")
    response, first = comment(bob, root, "Moi ! #alimentation")
    assert response.status_code == 303 and first
    _response, second = comment(alice, first, "Super, à samedi @bob")
    graph = turtle(site, first)
    assert graph.value(URIRef(first), AS.inReplyTo) == URIRef(root)
    assert graph.value(URIRef(first), AS.context) == URIRef(root)
    assert graph.value(URIRef(first), CC.wall) is None  # a comment is on no wall
    assert (URIRef(first), CC.theme, CCT.alimentation) in graph
    reply = turtle(site, second)
    assert reply.value(URIRef(second), AS.inReplyTo) == URIRef(first)
    assert reply.value(URIRef(second), AS.context) == URIRef(root)
    page = site.client.get(f"/posts/{slug(root)}", headers={"Accept": "text/html"}).data.decode()
    # nested: the reply comes inside the first comment, which comes inside the post
    assert page.index(f'id="post-{slug(root)}"') < page.index(f'id="post-{slug(first)}"') \
        < page.index(f'id="post-{slug(second)}"')
    assert page.count('class="comments"') == 2
    wall_page = bob.get(f"/posts/new?wall={territory(site)}").data.decode()
    assert f'id="post-{slug(second)}"' in wall_page
    comment_page = site.client.get(f"/posts/{slug(second)}", headers={"Accept": "text/html"})
    assert "Voir toute la conversation" in comment_page.data.decode()
    assert notes(site, "alice") == [("comment", "bob", first)]
    assert notes(site, "bob") == [("mention", "alice", second)]  # mention wins over comment


def test_like_and_unlike(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    _response, iri = post(alice, territory(site), "Une belle journée")
    for _ in range(2):  # liking twice is liking once
        response = bob.post(f"/posts/{slug(iri)}/like", data={"csrf_token": CSRF})
        assert response.status_code == 303
    collection = site.client.get(f"/posts/{slug(iri)}/likes")
    body = json.loads(collection.data)
    assert body["type"] == "OrderedCollection" and body["totalItems"] == 1
    like = body["orderedItems"][0]
    graph = Graph().parse(data=site.client.get(like.split("communecter.test", 1)[1]).data,
                          format="turtle")
    assert (URIRef(like), RDF.type, AS.Like) in graph
    assert graph.value(URIRef(like), AS.actor) == URIRef(citizen(site, "bob"))
    assert graph.value(URIRef(like), AS.object) == URIRef(iri)
    page = bob.get(f"/posts/new?wall={territory(site)}").data.decode()
    assert "1 j'aime" in page and 'aria-pressed="true"' in page
    assert notes(site, "alice") == [("like", "bob", iri)]
    alice.post(f"/posts/{slug(iri)}/like", data={"csrf_token": CSRF})  # her own: no notice
    assert len(notes(site, "alice")) == 1
    for _ in range(2):  # unliking twice is fine too
        response = bob.post(f"/posts/{slug(iri)}/unlike", data={"csrf_token": CSRF})
        assert response.status_code == 303
    assert json.loads(site.client.get(f"/posts/{slug(iri)}/likes").data)["totalItems"] == 1
    assert site.client.get(like.split("communecter.test", 1)[1]).status_code == 404
    page = bob.get(f"/posts/new?wall={territory(site)}").data.decode()
    assert 'aria-pressed="true"' not in page
    # only the actor of a Like may undo it
    platform = platform_of(site)
    from federation.errors import NotAllowed
    from federation.handlers.social import like_iri

    alice_like = like_iri(platform.base_url, citizen(site, "alice"), iri)
    try:
        platform.activities.apply(Activity("Undo", citizen(site, "bob"), alice_like))
        raise AssertionError("bob undid alice's like")
    except NotAllowed:
        pass


def test_hashtags_become_themes_and_mentions_link_people(site) -> None:
    citizen(site, "chloe", "Chloé")
    alice = client_for(site, "alice")
    _response, iri = post(alice, territory(site), "#Économie et #Déchets avec @chloe et "
                          "@personne — `#culture` ne compte pas")
    graph = turtle(site, iri)
    themes = set(graph.objects(URIRef(iri), CC.theme))
    assert themes == {CCT.economie, CCT.dechets}
    html = str(graph.value(URIRef(iri), AS.content))
    assert f'href="{citizen(site, "chloe")}" class="mention"' in html
    assert "@personne" in html and "personne</a>" not in html
    assert notes(site, "chloe") == [("mention", "alice", iri)]


def test_reports_go_to_the_moderators_queue(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    moderator = client_for(site, "carol", admin=True)
    _response, iri = post(alice, territory(site), "Achetez mes montres !")
    form = site.client.get(f"/report?object={iri}")
    assert form.status_code == 302  # anonymous: log in first
    page = bob.get(f"/report?object={iri}")
    assert page.status_code == 200 and 'name="category"' in page.data.decode()
    response = bob.post("/report", data={"object": iri, "category": "spam", "csrf_token": CSRF,
                                         "details": "<script>alert('x')</script>"})
    assert response.status_code == 303
    bob.post("/report", data={"object": territory(site), "category": "other",
                              "csrf_token": CSRF})
    reports = Reports(platform_of(site).private).open()
    first = reports[0]
    assert (first.object, first.reporter, first.reason) == (
        iri, citizen(site, "bob"), "spam: <script>alert('x')</script>")
    assert len(reports) == 2
    assert bob.get("/moderation").status_code == 403
    assert site.client.get("/moderation").status_code == 302
    queue = moderator.get("/moderation").data.decode()
    assert iri in queue and "&lt;script&gt;alert(" in queue and "<script>alert" not in queue
    assert bob.post("/moderation/delete", data={"object": iri, "csrf_token": CSRF}
                    ).status_code == 403
    response = moderator.post("/moderation/delete", data={"object": iri, "csrf_token": CSRF})
    assert response.status_code == 303
    assert site.client.get(f"/posts/{slug(iri)}").status_code == 410
    moderator.post("/moderation/dismiss", data={"object": territory(site), "csrf_token": CSRF})
    assert Reports(platform_of(site).private).open() == []
    # a report of nothing is refused, and nothing is filed
    missing = bob.post("/report", data={"object": f"{iri}-nope", "category": "spam",
                                        "csrf_token": CSRF})
    assert missing.status_code == 404 and Reports(platform_of(site).private).open() == []


def test_who_may_post_where(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    platform = platform_of(site)
    before = posts_count(site)
    # a person's wall: only that person
    response, _iri = post(bob, citizen(site, "alice"), "Coucou sur ton mur")
    assert response.status_code == 403 and posts_count(site) == before
    response, own = post(alice, citizen(site, "alice"), "Sur mon mur")
    assert response.status_code == 303
    assert turtle(site, own).value(URIRef(own), CC.territory) == URIRef(territory(site))
    # an organization's wall: its members (here its creator, an admin)
    org = f"{platform.base_url}/organizations/jardin"
    graph = Graph()
    graph.add((URIRef(org), RDF.type, CC.Association))
    graph.add((URIRef(org), AS.name, Literal("Jardin partagé")))
    graph.add((URIRef(org), CC.territory, URIRef(territory(site))))
    platform.activities.apply(Activity("Create", citizen(site, "alice"), org, graph))
    response, _iri = post(bob, org, "Je ne suis pas membre")
    assert response.status_code == 403
    response, on_org = post(alice, org, "Réunion jeudi")
    assert response.status_code == 303 and on_org
    # anyone may comment
    assert comment(bob, own, "Joli")[0].status_code == 303
    count = posts_count(site)
    # bad input: nothing saved, a clear message
    for wall, content, status in [
        (f"{platform.base_url}/organizations/nowhere", "x", 404),
        ("https://elsewhere.example/territories/97411", "x", 400),
        (territory(site), "   ", 400),
        (territory(site), "x" * 6000, 400),
        ("", "x", 400),
    ]:
        response, _iri = post(alice, wall, content)
        assert response.status_code == status, (wall, response.status_code)
        assert 'role="alert"' in response.data.decode()
    assert comment(bob, f"{platform.base_url}/posts/nope", "x")[0].status_code == 404
    response, nothing = comment(bob, own, "  ")
    assert response.status_code == 303 and nothing is None
    page = bob.get(f"/posts/{slug(own)}", headers={"Accept": "text/html"}).data.decode()
    assert "Écrivez quelque chose avant de publier." in page
    anonymous = site.client.post("/posts/new", data={"wall": territory(site), "content": "x",
                                                     "csrf_token": CSRF})
    assert anonymous.status_code in (302, 400)
    forged = alice.post("/posts/new", data={"wall": territory(site), "content": "x"})
    assert forged.status_code == 400
    assert posts_count(site) == count


def test_delete_rules(site) -> None:
    alice, bob = client_for(site, "alice"), client_for(site, "bob")
    _response, own = post(alice, citizen(site, "alice"), "Mon mur")
    _response, remark = comment(bob, own, "Remarque")
    _response, other = post(bob, territory(site), "Chez nous")
    assert alice.post(f"/posts/{slug(other)}/delete", data={"csrf_token": CSRF}
                      ).status_code == 403
    assert bob.post(f"/posts/{slug(own)}/delete", data={"csrf_token": CSRF}).status_code == 403
    # the wall's owner may remove a comment under her post; the author his own post
    assert alice.post(f"/posts/{slug(remark)}/delete", data={"csrf_token": CSRF}
                      ).status_code == 303
    assert bob.post(f"/posts/{slug(other)}/delete", data={"csrf_token": CSRF}).status_code == 303
    assert site.client.get(f"/posts/{slug(other)}").status_code == 410
    assert site.client.get(f"/posts/{slug(own)}").status_code == 200


def test_html_and_script_are_neutralised_everywhere(site) -> None:
    citizen(site, "mallory", '<script>alert("name")</script>')
    mallory = client_for(site, "mallory")
    attacks = ("<script>alert(1)</script> <img src=x onerror=alert(2)> "
               "[a](javascript:alert(3)) [b](JAVASCRIPT:alert(4)) <javascript:alert(5)> "
               "[c](data:text/html,<script>alert(6)</script>)")
    _response, iri = post(mallory, territory(site), attacks)
    content = str(turtle(site, iri).value(URIRef(iri), AS.content))
    assert "<script" not in content and "<img" not in content and 'href="javascript' not in \
        content.lower() and 'href="data' not in content
    # HTML written straight over LDP is cleaned when shown
    platform = platform_of(site)
    raw = f"{platform.base_url}/posts/raw"
    graph = Graph()
    graph.add((URIRef(raw), RDF.type, CC.Post))
    graph.add((URIRef(raw), AS.attributedTo, URIRef(citizen(site, "mallory"))))
    graph.add((URIRef(raw), CC.wall, URIRef(territory(site))))
    graph.add((URIRef(raw), AS.content, Literal(
        '<p onclick="alert(7)">hi<script>alert(8)</script><a href="javascript:alert(9)">x</a>'
        '<img src=x onerror=alert(10)></p>')))
    platform.activities.apply(Activity("Create", citizen(site, "mallory"), raw, graph))
    for page in (mallory.get(f"/posts/new?wall={territory(site)}"),
                 site.client.get("/posts/raw", headers={"Accept": "text/html"})):
        html = page.data.decode()
        assert_page_harmless(html)
        assert "hi" in html
    assert "&lt;script&gt;alert(&#34;name&#34;)" in mallory.get(
        f"/posts/new?wall={territory(site)}").data.decode()


def test_anonymous_visitors_see_walls_but_not_forms(site) -> None:
    alice = client_for(site, "alice")
    post(alice, territory(site), "Visible de tous")
    page = site.client.get(f"/posts/{slug(post(alice, territory(site), 'Et moi')[1])}",
                           headers={"Accept": "text/html"}).data.decode()
    assert "Et moi" in page and "/comment" not in page and "Connectez-vous" in page
    assert site.client.get(f"/posts/new?wall={territory(site)}").status_code == 302
    assert account(site, "alice").actor == citizen(site, "alice")


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_picture_goes_with_its_post(site, tmp_path) -> None:
    import io

    alice = client_for(site, "alice")
    uploads = platform_of(site).settings.data_dir / "uploads"
    before = posts_count(site)
    for name, data in (("script.jpg", b"<?php system($_GET['c']); ?>"), ("vide.png", b"")):
        response = alice.post("/posts/new", content_type="multipart/form-data", data={
            "wall": territory(site), "content": "Avec une image", "csrf_token": CSRF,
            "picture": (io.BytesIO(data), name)})
        assert response.status_code == 400
        assert "pas une image JPEG" in response.data.decode()
        assert posts_count(site) == before
        assert not uploads.exists() or not any(uploads.iterdir())
    before = posts_count(site)
    response = alice.post("/posts/new", content_type="multipart/form-data", data={
        "wall": territory(site), "content": "Le marché", "csrf_token": CSRF,
        "picture_alt": "Des étals de fruits", "picture": (io.BytesIO(_png()), "photo.png")})
    assert response.status_code == 303 and posts_count(site) == before + 1
    iri = f"{platform_of(site).base_url}/posts/{response.headers['Location'].split('#post-')[1]}"
    graph = turtle(site, iri)
    picture = graph.value(URIRef(iri), AS.attachment)
    assert (picture, RDF.type, AS.Image) in graph
    assert graph.value(picture, AS.name) == Literal("Des étals de fruits")
    url = str(graph.value(picture, AS.url))
    assert site.client.get(url.split("communecter.test", 1)[1]).status_code == 200
    page = alice.get(f"/posts/new?wall={territory(site)}").data.decode()
    assert f'src="{url}" alt="Des étals de fruits"' in page
    # not allowed on the wall: the picture is not even stored
    files = set(uploads.iterdir())
    bob = client_for(site, "bob")
    response = bob.post("/posts/new", content_type="multipart/form-data", data={
        "wall": citizen(site, "alice"), "content": "Chez toi", "csrf_token": CSRF,
        "picture": (io.BytesIO(_png()), "photo.png")})
    assert response.status_code == 403 and set(uploads.iterdir()) == files
    # deleting the post removes its picture
    alice.post(f"/posts/{slug(iri)}/delete", data={"csrf_token": CSRF})
    assert site.client.get(url.split("communecter.test", 1)[1]).status_code == 404


def test_the_handlers_refuse_what_makes_no_sense(site) -> None:
    import pytest

    from federation.activities import ActivityHandler
    from federation.errors import Invalid, NotAllowed, NotFound
    from federation.handlers import social

    platform = platform_of(site)
    alice, bob = citizen(site, "alice"), citizen(site, "bob")
    _response, iri = post(client_for(site, "alice"), territory(site), "Un mot")
    apply = platform.activities.apply
    with pytest.raises(Invalid):
        apply(Activity("Like", bob, territory(site)))  # not a member of a container
    with pytest.raises(NotFound):
        apply(Activity("Like", bob, f"{platform.base_url}/posts/nothing"))
    with pytest.raises(NotFound):
        apply(Activity("Undo", bob, iri, content="Like"))  # never liked
    with pytest.raises(Invalid):
        apply(Activity("Flag", bob, iri, content="x" * 2000))
    with pytest.raises(Invalid):  # no moderation queue behind this handler: refused, not lost
        ActivityHandler(platform.store, platform.base_url).apply(Activity("Flag", bob, iri))
    # a post is its writer's: attributing it to someone else is refused
    graph = Graph()
    other = f"{platform.base_url}/posts/forged"
    graph.add((URIRef(other), RDF.type, CC.Post))
    graph.add((URIRef(other), AS.attributedTo, URIRef(alice)))
    graph.add((URIRef(other), CC.wall, URIRef(territory(site))))
    graph.add((URIRef(other), AS.content, Literal("Usurpé")))
    with pytest.raises(NotAllowed):  # the attribution rule, whatever path the post takes
        apply(Activity("Create", bob, other, graph))
    graph.remove((None, CC.wall, None))
    with pytest.raises(Invalid):  # neither a wall nor a post answered
        social.check_new_post(platform.activities, alice, other, graph)
