"""Remote people in local pages: a reply from another server shows in the thread of the
local post with the author's handle (linking to their page here and to the original), its
HTML sanitised; remote likes and shares count; a remote participant counts on the event
page; the posts of a followed remote account reach the person's fediverse feed, and only
the public ones.

The remote side is a loopback server (tests/remote_peer.py) serving a real actor
document; the remote activities are the ones the inbox applies (federation/inbound.py):
the object's graph as federation.remote.RemoteObjects makes it, through the one handler.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ontology import CC
from tests.elements_support import BASE, Site, create, make_user
from tests.remote_peer import EVIL, RemotePeer


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[tuple[Site, RemotePeer]]:
    """An in-process site that may reach loopback (as COMMUNECTER_ALLOW_PRIVATE_ADDRESSES
    does), with La Réunion's territories, and a remote server."""
    from store.private import PrivateStore
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory",
                        allow_private_addresses=True)
    app = create_app(settings, private=PrivateStore(None))
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    with RemotePeer() as peer:
        yield Site(app), peer


def remote_objects(site: Site) -> Any:
    from federation.remote import RemoteObjects

    platform = site.platform
    return RemoteObjects(platform.store, platform.private, platform.base_url,
                         allow_private=True)


def remote_create(site: Site, peer: RemotePeer, note: dict) -> None:
    """What the inbox does with a verified Create from the peer."""
    from federation.activities import Activity

    graph = remote_objects(site).graph_of({"@context": ["https://www.w3.org/ns/activitystreams"],
                                           **note})
    site.platform.activities.apply(Activity("Create", peer.actor, note["id"], graph=graph))


def html(client: Any, path: str) -> str:
    response = client.get(path.replace(BASE, ""), headers={"Accept": "text/html"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def post_on_own_wall(user: Any, content: str) -> str:
    response = user.post("/posts/new", {"wall": user.actor, "content": content})
    match = re.search(r"#post-([0-9a-z-]+)$", response.headers.get("Location", ""))
    assert response.status_code == 303 and match, response.get_data(as_text=True)[:500]
    return f"{BASE}/posts/{match.group(1)}"


def test_a_remote_reply_shows_in_the_thread_with_the_remote_handle(fed) -> None:
    site, peer = fed
    alice = make_user(site, "alice", name="Alice Payet")
    post = post_on_own_wall(alice, "Qui vient au marché forain samedi ?")
    remote_objects(site).fetch(peer.actor)  # the inbox caches the signer's actor
    reply = peer.add_note("r1", EVIL, "2026-11-23T08:00:00Z", in_reply_to=post)
    remote_create(site, peer, reply)
    answer = peer.add_note("r2", "<p>Moi aussi !</p>", "2026-11-23T09:00:00Z",
                           in_reply_to=reply["id"])
    remote_create(site, peer, answer)

    for viewer in (alice.client, site.app.test_client()):
        page = html(viewer, post)
        assert "Salut" in page and "voisins" in page and "Moi aussi" in page
        assert f"@{peer.handle}" in page
        assert "Someone Elsewhere" in page
        assert f'href="/fediverse/account?iri={peer.actor}"' in page
        assert f'href="{reply["id"]}"' in page  # the original
        assert "<script" not in page.split("<main", 1)[1]
        assert "alert(" not in page and "onerror" not in page
    # no local form acts on a remote reply (its path is not one of ours)
    assert "/posts/r1/" not in html(alice.client, post)
    # the wall shows the thread too
    wall = html(alice.client, "/persons/alice")
    assert f"@{peer.handle}" in wall and "Moi aussi" in wall


def test_remote_likes_and_shares_count_on_the_post(fed) -> None:
    from federation.activities import Activity

    site, peer = fed
    alice = make_user(site, "alice")
    post = post_on_own_wall(alice, "Nettoyage de la plage dimanche")
    remote_objects(site).fetch(peer.actor)
    handler = site.platform.activities
    handler.apply(Activity("Like", peer.actor, post))
    handler.apply(Activity("Announce", peer.actor, post))
    alice.post(post.replace(BASE, "") + "/like")
    page = html(alice.client, post)
    assert "2 j'aime" in page
    assert "1 partage" in page


def test_a_remote_participant_counts_on_the_event_page(fed) -> None:
    from federation.activities import Activity

    site, peer = fed
    alice = make_user(site, "alice")
    event = create(site, alice.actor, "events", "kabar", CC.Event, "Kabar au jardin")
    remote_objects(site).fetch(peer.actor)
    site.platform.activities.apply(Activity("Join", peer.actor, event))
    alice.post("/events/kabar/join")
    page = html(alice.client, "/events/kabar")
    assert "Participant·es (2" in page
    assert f"Someone Elsewhere (@{peer.handle})" in page
    assert f'href="/fediverse/account?iri={peer.actor}"' in page
    listed = html(alice.client, "/events/kabar/attendees")
    assert "Someone Elsewhere" in listed and f"@{peer.handle}" in listed


def test_posts_of_followed_remote_accounts_reach_the_fediverse_feed(fed) -> None:
    from federation.activities import Activity

    site, peer = fed
    alice = make_user(site, "alice")
    bob = make_user(site, "bob")
    remote_objects(site).fetch(peer.actor)
    response = alice.post("/fediverse/follow", {"iri": peer.actor})
    assert response.status_code == 303
    assert "en attente" in html(alice.client, "/fediverse")
    site.platform.activities.apply(Activity("Accept", peer.actor, alice.actor,
                                            content="Follow"))
    remote_create(site, peer, peer.add_note("n1", "<p>Vélorution jeudi soir</p>",
                                            "2026-11-24T18:00:00Z"))
    remote_create(site, peer, peer.add_note("n2", "<p>Entre nous seulement</p>",
                                            "2026-11-24T19:00:00Z",
                                            to=[f"{peer.actor}/followers"]))
    sneaky = peer.add_note("n3", "<p>Cliquez ici</p>", "2026-11-24T20:00:00Z",
                           in_reply_to="javascript:alert(1)")
    sneaky["url"] = "javascript:alert(2)"
    remote_create(site, peer, sneaky)
    feed = html(alice.client, "/fediverse")
    assert "Vélorution jeudi soir" in feed and f"@{peer.handle}" in feed
    assert "Cliquez ici" in feed and "javascript:" not in feed
    assert "Entre nous seulement" not in feed  # not public
    assert "en attente" not in feed
    # bob follows nobody: nothing from the remote account in his feed
    assert "Vélorution" not in html(bob.client, "/fediverse")


def test_the_remote_pages_speak_english(fed) -> None:
    """Every French text of the remote pages has its English version, and it shows."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    wanted = set()
    for template in sorted((root / "web/templates/remote").glob("*.html")):
        wanted |= {m if isinstance(m, str) else m[0] for _, m, _, _ in extract_from_file(
            "jinja2", template, options={"extensions": ""})}
    wanted |= {m if isinstance(m, str) else m[0] for _, m, _, _ in extract_from_file(
        "python", root / "web/ui/remote.py", keywords={"_": None, "_l": None})}
    translated = set()
    for catalog in (root / "web/translations/en/LC_MESSAGES").glob("*.po"):
        with open(catalog, "rb") as handle:
            translated |= {m.id if isinstance(m.id, str) else m.id[0]
                           for m in read_po(handle, locale="en") if m.id and m.string}
    assert not sorted(wanted - translated)

    site, _peer = fed
    alice = make_user(site, "alice")
    alice.post("/locale", {"locale": "en"})
    page = html(alice.client, "/fediverse")
    assert "Follow a fediverse account" in page and "Suivre un compte" not in page


@pytest.mark.parametrize("iri", [
    'http://127.0.0.1/users/"><script>alert(1)</script>', "javascript:alert(1)",
    "http://user:secret@127.0.0.1/users/x", "http://127.0.0.1:99999/users/x",
    "http://exa mple.org/users/x", "http://" + "a" * 600 + ".org/users/x", "",
])
def test_hostile_account_addresses_get_clear_answers(fed, iri: str) -> None:
    site, _peer = fed
    alice = make_user(site, "alice")
    shown = alice.client.get("/fediverse/account", query_string={"iri": iri},
                             headers={"Accept": "text/html"})
    assert shown.status_code == 404
    followed = alice.post("/fediverse/follow", {"iri": iri})
    assert followed.status_code == 400
    looked_up = alice.client.get("/fediverse/lookup", query_string={"q": iri})
    assert looked_up.status_code == 400
    assert 'role="alert"' in looked_up.get_data(as_text=True)


def test_ones_profile_and_follow_list_lead_to_the_fediverse_page(fed) -> None:
    site, _peer = fed
    alice = make_user(site, "alice")
    make_user(site, "bob")
    for page in (html(alice.client, "/persons/alice"),
                 html(alice.client, "/persons/alice/following")):
        assert 'href="/fediverse"' in page
    assert 'href="/fediverse"' not in html(alice.client, "/persons/bob")


def test_an_old_copy_of_a_remote_profile_is_fetched_again_when_read(fed) -> None:
    from store.base import Write

    site, peer = fed
    alice = make_user(site, "alice")
    page = f"/fediverse/account?iri={peer.actor}"
    assert "Someone Elsewhere" in html(alice.client, page)
    peer.name = "Someone Renamed"
    assert "Someone Elsewhere" in html(alice.client, page)  # fresh enough: the cache
    store = site.platform.store
    stale = store.graph(peer.actor).replace(f'"{_year()}-', '"2001-')  # fetched long ago
    store.write(Write(replace={peer.actor: stale}))
    assert "Someone Elsewhere" in html(site.app.test_client(), page)  # visitors: the cache
    assert "Someone Renamed" in html(alice.client, page)


def _year() -> str:
    from datetime import UTC, datetime

    return str(datetime.now(UTC).year)


def test_a_remote_comment_on_an_event_shows_on_the_event_page(fed) -> None:
    site, peer = fed
    alice = make_user(site, "alice")
    event = create(site, alice.actor, "events", "kabar", CC.Event, "Kabar au jardin")
    post_on_wall = alice.post("/posts/new", {"wall": event, "content": "On apporte à manger"})
    assert post_on_wall.status_code == 303
    remote_objects(site).fetch(peer.actor)
    remote_create(site, peer, peer.add_note("c1", "<p>Je viendrai avec ma guitare</p>",
                                            "2026-11-25T08:00:00Z", in_reply_to=event))
    page = html(alice.client, "/events/kabar")
    assert "Je viendrai avec ma guitare" in page and f"@{peer.handle}" in page
    assert "On apporte à manger" in page
    # newest first: the remote comment (2026-11-25) after the local post (now)
    assert page.index("On apporte à manger") < page.index("Je viendrai avec ma guitare")


def test_replies_from_two_servers_with_the_same_path_keep_apart(fed) -> None:
    site, peer = fed
    alice = make_user(site, "alice")
    post = post_on_own_wall(alice, "Une question pour tout le monde")
    with RemotePeer("other", "Other Person") as other:
        for server in (peer, other):
            remote_objects(site).fetch(server.actor)
            remote_create(site, server, server.add_note(
                "7", f"<p>Réponse de {server.username}</p>", "2026-11-23T08:00:00Z",
                in_reply_to=post))
        page = html(alice.client, post)
    assert "Réponse de someone" in page and "Réponse de other" in page
    anchors = re.findall(r'<article class="post[^"]*" id="([^"]+)"', page)
    assert len(anchors) == 3 and len(set(anchors)) == 3


def test_looking_up_a_handle_of_this_instance_leads_to_its_page(fed) -> None:
    site, _peer = fed
    alice = make_user(site, "alice")
    make_user(site, "bob")
    host = BASE.split("://", 1)[1]
    found = alice.client.get("/fediverse/lookup", query_string={"q": f"@bob@{host}"})
    assert found.status_code == 303 and found.headers["Location"].endswith("/persons/bob")
    missing = alice.client.get("/fediverse/lookup", query_string={"q": f"nobody@{host}"})
    assert missing.status_code == 404


def test_without_private_addresses_allowed_loopback_is_never_asked(tmp_path: Path) -> None:
    """A production instance (COMMUNECTER_ALLOW_PRIVATE_ADDRESSES unset) refuses to look
    up a handle or fetch an account on a loopback address: a clear answer, no request."""
    from store.private import PrivateStore
    from web.app import create_app
    from web.settings import Settings

    app = create_app(Settings(base_url=BASE, data_dir=tmp_path, store="memory"),
                     private=PrivateStore(None))
    alice = make_user(Site(app), "alice")
    with RemotePeer() as peer:
        for typed in (f"@{peer.handle}", peer.actor):
            answer = alice.client.get("/fediverse/lookup", query_string={"q": typed})
            assert answer.status_code == 502
            assert "ne répond pas" in answer.get_data(as_text=True)
        assert alice.post("/fediverse/follow", {"iri": peer.actor}).status_code == 502
        assert peer.requests == []


def test_look_ups_are_limited_per_person(fed) -> None:
    from web.ui.remote import LOOKUP_LIMIT

    site, _peer = fed
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    for _ in range(LOOKUP_LIMIT[0]):
        assert alice.client.get("/fediverse/lookup", query_string={"q": "@@"}).status_code == 400
    refused = alice.client.get("/fediverse/lookup", query_string={"q": "@@"})
    assert refused.status_code == 429 and "réessayez" in refused.get_data(as_text=True)
    assert bob.client.get("/fediverse/lookup", query_string={"q": "@@"}).status_code == 400


def test_remote_followers_and_follows_are_listed_with_their_handle(fed) -> None:
    from federation.activities import Activity

    site, peer = fed
    alice = make_user(site, "alice")
    make_user(site, "bob")
    remote_objects(site).fetch(peer.actor)
    handler = site.platform.activities
    handler.apply(Activity("Follow", peer.actor, alice.actor))
    alice.post("/persons/bob/follow")
    followers = html(alice.client, "/persons/alice/followers")
    assert f'href="/fediverse/account?iri={peer.actor}"' in followers
    assert f"@{peer.handle}" in followers and "Someone Elsewhere" in followers
    alice.post("/fediverse/follow", {"iri": peer.actor})
    handler.apply(Activity("Accept", peer.actor, alice.actor, content="Follow"))
    following = html(alice.client, "/persons/alice/following")
    assert "Bob" in following and f"@{peer.handle}" in following


def test_an_account_known_from_the_inbox_shows_its_outbox_once_read(fed) -> None:
    site, peer = fed
    alice = make_user(site, "alice")
    remote_objects(site).fetch(peer.actor)  # as the inbox caches a sender, outbox unread
    page = f"/fediverse/account?iri={peer.actor}"
    assert "Bonjour depuis ailleurs" not in html(site.app.test_client(), page)  # visitor
    assert "Bonjour depuis ailleurs" in html(alice.client, page)
    assert "Bonjour depuis ailleurs" in html(site.app.test_client(), page)  # now cached


def test_a_refused_follow_says_why(fed) -> None:
    site, peer = fed
    alice = make_user(site, "alice")
    remote_objects(site).fetch(peer.actor)
    not_following = alice.post("/fediverse/unfollow", {"iri": peer.actor})
    assert not_following.status_code == 409
    assert "Vous ne suivez pas ce compte." in not_following.get_data(as_text=True)
    assert alice.post("/fediverse/follow", {"iri": peer.actor}).status_code == 303
    unfollowed = alice.post("/fediverse/unfollow", {"iri": peer.actor})  # a pending one
    assert unfollowed.status_code == 303
    assert "Suivre" in html(alice.client, f"/fediverse/account?iri={peer.actor}")
