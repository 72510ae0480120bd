"""Every wall has its posts: the territory page and the person page carry the wall
component (form for whoever may post, then the posts)."""

from __future__ import annotations

from tests.elements_support import BASE, COMMUNE, make_site, make_user
from tests.posts_support import post


def test_the_territory_page_has_its_wall(tmp_path) -> None:
    site = make_site(tmp_path)
    alice = make_user(site, "alice")
    _response, iri = post(alice.client, COMMUNE, "Vide-grenier dimanche au Chaudron")
    assert iri is not None
    page = alice.get("/territories/97411", headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert 'class="wall"' in text and 'name="content"' in text
    assert "Vide-grenier dimanche au Chaudron" in text


def test_the_person_page_has_its_wall_and_only_its_owner_writes_there(tmp_path) -> None:
    site = make_site(tmp_path)
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    own = f"{BASE}/persons/alice"
    _response, iri = post(alice.client, own, "Je cherche un jardin partagé")
    assert iri is not None
    response, refused = post(bob.client, own, "Un mot sur le mur d'Alice")
    assert refused is None and response.status_code == 403
    seen_by_bob = bob.get("/persons/alice", headers={"Accept": "text/html"})
    text = seen_by_bob.get_data(as_text=True)
    assert "Je cherche un jardin partagé" in text
    assert "Un mot sur le mur d'Alice" not in text
    assert 'class="wall"' in text
