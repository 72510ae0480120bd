"""Federation end to end with a real third-party ActivityPub server: Fedify 2.3.6 on
loopback (tests/interop/fedify-peer), against the production server (`communecter serve`).

What the issue's "Must show" asks, each seen from the side a user would notice it:
1. the Fedify actor finds a local organization by WebFinger and follows it: the server
   Accepts (Fedify's inbox records the Accept) and the organization's followers list it;
2. a post and an event published here reach Fedify as signed Create activities that its
   inbox accepted (it verified the signature): a Note with the post's text, an Event with
   Mobilizon's fields; a post on an organization's wall reaches its followers, and one on a
   project's wall is announced by the project, a group (FEP-1b12);
3. Fedify's reply, Like and Announce of a local post show on the post's page (the remote
   handle in the thread, the like and share counts);
4. a local citizen follows the Fedify actor from the web app: Fedify receives the Follow
   and Accepts; what Fedify then publishes to its followers shows in the citizen's feed;
5. signatures both ways and in both formats: Fedify verifies our draft-cavage and RFC 9421
   signatures (our queue double-knocks when a peer refuses one), we verify its; signed
   GETs both ways (Fedify's secure mode, our authorized-fetch mode); deliveries survive
   Fedify's downtime and our restart, each arriving once.
Then the rest of what two servers do together: Fedify parses our actors, objects, NodeInfo
and collections; joins events; edits and deletes its replies; gets our Updates, Deletes,
forwarded replies, Blocks and reports; follows a commune; votes in a poll; approval of
followers by hand; domain blocks; notifications; a Move.

Fedify resolves acct: handles over https only, so the WebFinger look-up is done here over
http and Fedify is handed the actor URL. Deliveries are asynchronous: everything is polled
(at most ~20 s), nothing waits forever.
"""

from __future__ import annotations

import html
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.accounts_support import csrf_of
from tests.conftest import free_port, start_server, stop_server
from tests.interop.fedify import CAVAGE, RFC9421, FedifyPeer, node_available, webfinger
from tests.interop.fedify_world import (
    AP_JSON,
    AS,
    CC,
    COMMUNE,
    ENV,
    GEO,
    POSTS_WHILE_DOWN,
    PUBLIC,
    SCHEMA,
    WAIT,
    XSD,
    World,
    as_list,
    assert_verified_by_fedify,
    collection_items,
    content_of,
    delivered,
    get_as2,
    ldp_create,
    likes_shown,
    notified,
    page_of,
    post_on_wall,
    raw_object,
    requests_for,
    session_of,
    shares_shown,
    wait_for,
)
from tests.posts_support import assert_page_harmless

pytestmark = pytest.mark.skipif(not node_available(), reason="needs node and npm")

# --- the two servers and what the scenarios share -----------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("interop-federation") / "data"
    data_dir.mkdir()
    peer = FedifyPeer()
    with ThreadPoolExecutor(1) as pool:  # Fedify's key generation while our server starts
        starting = pool.submit(peer.start)
        server = start_server(data_dir, env=ENV)
        try:
            starting.result(timeout=90)
        except BaseException:
            stop_server(server)
            peer.close()
            raise
    with peer:
        try:
            server.cli("import-territories")
            for handle in ("alice", "bob"):
                server.tokens[handle] = server.cli("token", "create", handle,
                                                   "--create").split()[-1]
            running = World(server, peer)
            running.org = ldp_create(running, "organizations", "alice", "amis-du-barachois", (
                f'<> a <{CC}Association> ; <{AS}name> "Les Amis du Barachois" ;\n'
                f'   <{AS}summary> "Une association de quartier à Saint-Denis." ;\n'
                f"   <{CC}territory> <{running.base}/territories/{COMMUNE}> ."))
            yield running
        finally:
            stop_server(server)
            log = data_dir.parent / f"server-{server.base_url.rsplit(':', 1)[1]}.log"
            if log.exists():  # shown by pytest when a test failed
                print("--- server log (tail) ---\n", log.read_text(errors="replace")[-6000:])
            print("--- peer log (tail) ---\n", peer.log())


# --- shared steps -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def far(world: World) -> Iterator[FedifyPeer]:
    """A second Fedify server, following alice."""
    with FedifyPeer() as running:
        running.follow(world.person("alice"))
        running.wait_for_following(world.person("alice"), timeout=WAIT)
        yield running


@pytest.fixture(scope="module")
def org_followed(world: World) -> dict:
    """Scenario 1's steps: the peer follows the organization found by WebFinger."""
    slug = world.org.rsplit("/", 1)[-1]
    actor = webfinger(world.base, slug)
    assert actor == world.org
    world.peer.follow(actor)
    return world.peer.wait_for_following(actor, timeout=WAIT)


@pytest.fixture(scope="module")
def alice_followed(world: World) -> dict:
    """The peer follows the citizen alice too (found by WebFinger)."""
    actor = webfinger(world.base, "alice")
    assert actor == world.person("alice")
    world.peer.follow(actor)
    return world.peer.wait_for_following(actor, timeout=WAIT)


# --- 1. Fedify follows a local organization ------------------------------------------------


def test_fedify_follows_an_organization_found_by_webfinger(world: World, org_followed) -> None:
    peer = world.peer
    actor = get_as2(world.org)
    assert actor["id"] == world.org
    assert actor["type"] in ("Organization", "Group"), actor
    assert actor["preferredUsername"] == "amis-du-barachois"
    assert actor["inbox"] and actor["followers"] and actor["publicKey"]["owner"] == world.org
    # the server Accepted, signed by the organization, and Fedify took it
    accept = delivered(world, lambda a: a["type"] == "Accept" and a["actor"] == world.org,
                       "the organization's Accept reached Fedify")
    assert accept["object"] == org_followed["follow"], accept
    assert_verified_by_fedify(world, accept)
    assert peer.following()[world.org]["state"] == "accepted"
    # the organization's followers collection lists the Fedify actor
    wait_for("the followers collection lists the Fedify actor",
             lambda: peer.actor_url in collection_items(actor["followers"]),
             detail=lambda: get_as2(actor["followers"]))
    # and the WebFinger handle round-trips from the actor document
    assert webfinger(world.base, actor["preferredUsername"]) == world.org


# --- 2. a post and an event reach Fedify ----------------------------------------------------


def test_a_post_reaches_fedify_as_a_signed_create_note(world: World, alice_followed) -> None:
    text = f"Nettoyage du Barachois samedi, venez nombreux ! {uuid.uuid4().hex[:6]}"
    post = post_on_wall(world, "alice", world.person("alice"), f"{text} #Environnement @bob")
    create = delivered(world, lambda a: a["type"] == "Create" and a["object"] == post,
                       f"Fedify accepted a Create of {post}")
    assert create["actor"] == world.person("alice")
    note = raw_object(create)
    assert note["type"] == "Note" and note["id"] == post
    assert text.split(" !")[0] in html.unescape(content_of(note))
    assert note["attributedTo"] == world.person("alice")
    audience = [*(note.get("to") or []), *(note.get("cc") or [])]
    assert PUBLIC in audience, note
    assert_verified_by_fedify(world, create)
    # the theme as a Hashtag, the local mention as a Mention (Fedify's vocabulary too)
    tags = note.get("tag") or []
    tags = tags if isinstance(tags, list) else [tags]
    kinds = {(t.get("type"), (t.get("name") or "").lower()) for t in tags}
    assert ("Hashtag", "#environnement") in kinds, tags
    assert any(t.get("type") == "Mention" and t.get("href") == world.person("bob")
               for t in tags), tags
    parsed = create["json"]["object"] if isinstance(create["json"].get("object"), dict) \
        else None
    if parsed is not None:
        assert any(t.get("type") == "Hashtag" for t in as_list(parsed.get("tag"))), parsed


def test_a_post_on_the_organization_wall_reaches_its_followers(world: World, org_followed,
                                                              alice_followed) -> None:
    """alice's post on the organization's wall is addressed to the organization's
    followers too (the organization, with one admin, is an Organization, not a group)."""
    text = f"Assemblée générale jeudi à la case {uuid.uuid4().hex[:6]}"
    post = post_on_wall(world, "alice", world.org, text)
    create = delivered(world, lambda a: a["type"] == "Create" and a["object"] == post,
                       f"Fedify accepted a Create of {post}")
    assert_verified_by_fedify(world, create)
    raw = create["raw"]
    audience = [*(raw.get("to") or []), *(raw.get("cc") or [])]
    assert get_as2(world.org)["followers"] in audience, raw
    assert text.split(" à")[0] in html.unescape(content_of(raw_object(create)))
    # Fedify follows alice and the organization: one POST, to its shared inbox
    time.sleep(1)
    paths = [r["path"] for r in requests_for(world, create["id"]) if r["status"] in (200, 202)]
    assert paths == ["/inbox"], requests_for(world, create["id"])


def test_a_project_announces_posts_on_its_wall_to_its_followers(world: World) -> None:
    """FEP-1b12: a project (a Group) shares what its members post on its wall."""
    project = ldp_create(world, "projects", "alice", "jardin-partage", (
        f'<> a <{CC}Project> ; <{AS}name> "Jardin partagé du Butor" ;\n'
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    actor = webfinger(world.base, "jardin-partage")
    assert actor == project
    assert get_as2(project)["type"] == "Group"
    world.peer.follow(actor)
    world.peer.wait_for_following(actor, timeout=WAIT)
    text = f"Plantation des brèdes samedi {uuid.uuid4().hex[:6]}"
    post = post_on_wall(world, "alice", project, text)

    def shares_post(activity: dict) -> bool:
        if activity["actor"] != project or activity["type"] != "Announce":
            return False
        inner = (activity.get("raw") or {}).get("object")
        if isinstance(inner, dict):  # Announce(Create(Note)) or Announce(Note)
            target = inner.get("object", inner)
            return post in (inner.get("id"), target.get("id") if isinstance(target, dict)
                            else target)
        return inner == post

    announce = delivered(world, shares_post, f"the project announced {post}")
    assert_verified_by_fedify(world, announce)
    audience = [*(announce["raw"].get("to") or []), *(announce["raw"].get("cc") or [])]
    assert PUBLIC in audience and get_as2(project)["followers"] in audience, announce["raw"]


def test_following_a_commune_brings_its_public_activity(world: World) -> None:
    """A commune is a Group: Fedify follows it by its handle (its INSEE code) and gets
    the posts on its wall (the commune's Announce, or the author's Create addressed to
    the commune's followers)."""
    commune = webfinger(world.base, COMMUNE)
    assert commune == f"{world.base}/territories/{COMMUNE}"
    assert get_as2(commune)["type"] == "Group"
    world.peer.follow(commune)
    world.peer.wait_for_following(commune, timeout=WAIT)
    post = post_on_wall(world, "alice", commune, f"Vide-grenier {uuid.uuid4().hex[:6]}")

    followers = get_as2(commune)["followers"]

    def brought(activity: dict) -> bool:
        raw = activity.get("raw") or {}
        inner = raw.get("object")
        target = inner.get("id") if isinstance(inner, dict) else inner
        audience = [*as_list(raw.get("to")), *as_list(raw.get("cc"))]
        return target == post and (
            (activity["type"] == "Announce" and activity["actor"] == commune)
            or (activity["type"] == "Create" and followers in audience))

    shared = delivered(world, brought, f"the post on the commune's wall reached Fedify {post}")
    assert_verified_by_fedify(world, shared)
    world.peer.unfollow(commune)


def test_an_event_reaches_fedify_as_a_mobilizon_event(world: World, org_followed) -> None:
    place = ldp_create(world, "places", "alice", f"case-{uuid.uuid4().hex[:6]}", (
        f'<> a <{CC}PointOfInterest> ; <{AS}name> "Case du Barachois" ;\n'
        f'   <{SCHEMA}streetAddress> "2 rue de Paris" ;\n'
        f'   <{GEO}lat> -20.8789 ; <{GEO}long> 55.4481 ;\n'
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    event = ldp_create(world, "events", "alice", f"nettoyage-{uuid.uuid4().hex[:6]}", (
        f'<> a <{CC}Event> ; <{AS}name> "Nettoyage du Barachois" ;\n'
        f'   <{AS}content> "Gants et sacs fournis." ;\n'
        f'   <{AS}startTime> "2026-12-19T08:00:00+04:00"^^<{XSD}dateTime> ;\n'
        f'   <{AS}endTime> "2026-12-19T12:00:00+04:00"^^<{XSD}dateTime> ;\n'
        f"   <{SCHEMA}maximumAttendeeCapacity> 30 ;\n"
        f"   <{AS}location> <{place}> ;\n"
        f"   <{AS}attributedTo> <{world.org}> ;\n"
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    create = delivered(world, lambda a: a["type"] == "Create" and a["object"] == event,
                       f"Fedify accepted a Create of the event {event}")
    assert_verified_by_fedify(world, create)
    obj = raw_object(create)
    assert obj["type"] == "Event", obj
    assert obj["name"] == "Nettoyage du Barachois"
    assert "Gants et sacs fournis." in content_of(obj)
    assert obj["attributedTo"] == world.org
    assert obj["startTime"].startswith(("2026-12-19T08:00:00+04:00", "2026-12-19T04:00:00Z"))
    assert obj["endTime"].startswith(("2026-12-19T12:00:00+04:00", "2026-12-19T08:00:00Z"))
    location = obj["location"]
    assert isinstance(location, dict) and location["type"] == "Place", location
    assert location["name"] == "Case du Barachois"
    address = location["address"]
    assert isinstance(address, dict) and address["type"] == "PostalAddress", address
    assert address["streetAddress"] == "2 rue de Paris"
    # Mobilizon's extensions
    assert obj["joinMode"] in ("free", "restricted", "invite"), obj
    assert obj["maximumAttendeeCapacity"] == 30
    assert obj["participantCount"] == 0
    assert obj["isOnline"] is False
    assert obj.get("timezone"), obj
    assert obj.get("status") in ("CONFIRMED", "TENTATIVE", "CANCELLED", None)


# --- 3. Fedify's reply, Like and Announce show on the page -------------------------------------


def test_replies_likes_and_shares_from_fedify_show_on_the_post_page(world: World) -> None:
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", world.person("alice"),
                        f"Qui connaît un bon réparateur de vélos ? {uuid.uuid4().hex[:6]}")
    before = page_of(post)
    assert likes_shown(before) == 0
    reply_text = f"Essayez l'atelier du Butor, de la part de Fedify {uuid.uuid4().hex[:6]}"
    hostile = ('<script>alert("fedify")</script><img src=x onerror="alert(1)">'
               '<a href="javascript:alert(2)">lien</a>')
    reply = peer.reply(post, f"<p>{reply_text}</p>{hostile}", recipient=alice)
    page = wait_for("the reply shows in the post's thread",
                    lambda: (lambda text: text if reply_text in text else None)(page_of(post)))
    assert world.peer_handle in page, "the reply is not attributed to the remote handle"
    assert_page_harmless(page)
    thread = get_as2(post)
    assert thread["id"] == post
    peer.like(post, recipient=alice)
    wait_for("the like count moves to 1", lambda: likes_shown(page_of(post)) == 1,
             detail=lambda: page_of(post))
    shares_before = shares_shown(page_of(post)) or 0
    peer.announce(post, recipient=alice)
    wait_for("the share count moves", lambda: (shares_shown(page_of(post)) or 0)
             == shares_before + 1, detail=lambda: page_of(post))
    assert reply["note"].startswith(peer.base_url)


def test_fedify_replies_and_mentions_notify_the_people_concerned(world: World) -> None:
    """As for local comments and mentions: alice is told of Fedify's reply to her post,
    bob of the Fedify Note that mentions him; the notification names the remote account
    (its name or handle), not a bare path segment."""
    peer = world.peer
    alice, bob = world.person("alice"), world.person("bob")
    post = post_on_wall(world, "alice", alice, f"Des nouvelles du marché ? {uuid.uuid4().hex[:6]}")
    reply = peer.reply(post, "<p>Les letchis sont arrivés</p>", recipient=alice)
    wait_for("alice is told of the reply",
             lambda: ("comment", peer.actor_url, reply["note"]) in notified(world, "alice"),
             detail=lambda: notified(world, "alice"))
    mention = peer.send(get_as2(bob)["inbox"], {
        "type": "Create", "to": [PUBLIC], "cc": [bob],
        "object": {"type": "Note", "to": [PUBLIC], "cc": [bob],
                   "content": f'<p><a href="{bob}" class="mention">@bob</a> ça va ?</p>',
                   "tag": [{"type": "Mention", "href": bob, "name": f"@bob@{world.host}"}]}})
    assert mention["sent"], mention
    wait_for("bob is told of the mention",
             lambda: any(kind == "mention" and actor == peer.actor_url
                         for kind, actor, _ in notified(world, "bob")),
             detail=lambda: notified(world, "bob"))
    page = page_of(f"{world.base}/notifications", session_of(world, "alice"))
    assert world.peer_handle in page or "Fedify peer" in page, page


def test_a_person_who_approves_followers_by_hand_lets_fedify_follow_when_she_accepts(
        world: World) -> None:
    """fanny chose to approve her followers: her actor says manuallyApprovesFollowers,
    and Fedify's Follow waits (no Accept, not among her followers) instead of being
    accepted at once; once she accepts it on her follow-requests page, Fedify gets her
    Accept and she lists it among her followers."""
    from store.accounts import Accounts
    from store.private import PrivateStore

    peer = world.peer
    fanny = world.person("fanny")
    world.server.cli("token", "create", "fanny", "--create")
    session_of(world, "fanny")  # her account
    accounts = Accounts(PrivateStore(world.server.data_dir / "private.sqlite3"))
    account = accounts.by_actor(fanny)
    accounts.update(account.id, settings={**account.settings,
                                          "manually_approves_followers": True})
    assert get_as2(fanny)["manuallyApprovesFollowers"] is True
    peer.follow(fanny)
    time.sleep(3)
    assert peer.following()[fanny]["state"] == "pending", peer.inbox()["activities"][-2:]
    assert peer.actor_url not in collection_items(get_as2(fanny)["followers"])
    session = session_of(world, "fanny")
    requests_page = f"{world.base}/account/follow-requests"
    waiting = page_of(requests_page, session)
    assert world.peer_handle in waiting, waiting
    done = session.post(f"{requests_page}/accept", allow_redirects=False, timeout=30, data={
        "follower": peer.actor_url, "csrf_token": csrf_of(session, requests_page)})
    assert done.status_code == 303, (done.status_code, done.text[:500])
    peer.wait_for_following(fanny, timeout=WAIT)
    accept = delivered(world, lambda a: a["type"] == "Accept" and a["actor"] == fanny,
                       "Fedify accepted fanny's Accept")
    assert_verified_by_fedify(world, accept)
    assert peer.actor_url in collection_items(get_as2(fanny)["followers"])


def test_a_reply_sent_twice_by_fedify_shows_once(world: World) -> None:
    """Idempotent by activity id: the same signed Create delivered twice (a retry) is one
    reply in the thread."""
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Une seule fois {uuid.uuid4().hex[:6]}")
    text = f"Réponse envoyée deux fois {uuid.uuid4().hex[:6]}"
    activity = {
        "id": f"{peer.actor_url}/creates/{uuid.uuid4()}", "type": "Create",
        "to": [PUBLIC], "cc": [alice],
        "object": {"id": f"{peer.actor_url}/notes/{uuid.uuid4()}", "type": "Note",
                   "content": f"<p>{text}</p>", "inReplyTo": post, "to": [PUBLIC],
                   "cc": [alice]},
    }
    inbox = get_as2(alice)["inbox"]
    for spec in (CAVAGE, RFC9421):
        answer = peer.send(inbox, activity, spec=spec)
        assert answer["status"] in (200, 202), answer
    page = wait_for("the reply shows", lambda: (lambda t: t if text in t else None)(
        page_of(post)))
    assert page.count(text) == 1, "the reply shows twice"


def test_fedify_cannot_write_objects_of_another_host(world: World) -> None:
    """Fedify signs a Create whose Note claims an IRI of ours, then one of another host:
    neither is kept (a 4xx or an ignored 2xx), nothing shows in the thread and our IRI
    stays unknown."""
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Pas de contrefaçon {uuid.uuid4().hex[:6]}")
    inbox = get_as2(alice)["inbox"]
    claimed = {"ours": f"{world.base}/posts/contrefacon-{uuid.uuid4().hex[:6]}",
               "elsewhere": f"http://127.0.0.1:9/notes/{uuid.uuid4().hex[:6]}"}
    for where, iri in claimed.items():
        text = f"Contrefaçon {where} {uuid.uuid4().hex[:6]}"
        answer = peer.send(inbox, {
            "type": "Create", "to": [PUBLIC], "cc": [alice],
            "object": {"id": iri, "type": "Note", "attributedTo": peer.actor_url,
                       "content": text, "inReplyTo": post, "to": [PUBLIC]}}, spec=CAVAGE)
        assert answer["status"] < 500, answer
        time.sleep(1)
        assert text not in page_of(post), f"the Note claiming {iri} was kept"
    assert requests.get(claimed["ours"], headers={"Accept": AP_JSON},
                        timeout=10).status_code == 404


def test_fedify_undoes_its_like(world: World) -> None:
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Un like puis plus {uuid.uuid4().hex[:6]}")
    like = peer.like(post, recipient=alice)
    wait_for("the like count moves to 1", lambda: likes_shown(page_of(post)) == 1)
    peer.undo(like["id"], recipient=alice)
    wait_for("the like count goes back to 0", lambda: likes_shown(page_of(post)) == 0)


# --- 4. a local citizen follows the Fedify actor and sees its posts ---------------------------


def test_a_citizen_follows_fedify_and_sees_its_posts(world: World) -> None:
    peer = world.peer
    bob = world.person("bob")
    session = session_of(world, "bob")
    # look the account up by its handle, as a person would, then follow it
    lookup = session.get(f"{world.base}/fediverse/lookup", params={"q": f"@{world.peer_handle}"},
                         timeout=30)
    assert lookup.status_code == 200, (lookup.status_code, lookup.text[:1000])
    assert "Fedify peer" in lookup.text
    followed = session.post(f"{world.base}/fediverse/follow", timeout=30, allow_redirects=False,
                            data={"iri": peer.actor_url,
                                  "csrf_token": csrf_of(session, lookup.url)})
    assert followed.status_code in (302, 303), (followed.status_code, followed.text[:1000])
    follow = delivered(world, lambda a: a["type"] == "Follow" and a["actor"] == bob,
                       "Fedify accepted bob's Follow")
    assert follow["object"] == peer.actor_url
    assert_verified_by_fedify(world, follow)
    wait_for("Fedify lists bob among its followers", lambda: bob in peer.followers())
    # Fedify's Accept came back: bob's following collection lists the peer
    wait_for("bob's following collection lists the Fedify actor",
             lambda: peer.actor_url in collection_items(get_as2(bob)["following"]),
             detail=lambda: peer.inbox()["errors"])
    # what Fedify publishes to its followers shows in bob's feed
    text = f"Marché forain dimanche au Chaudron {uuid.uuid4().hex[:6]}"
    published = peer.publish(f"<p>{text}</p>")
    assert bob in published["followers"]
    feed = wait_for("Fedify's post shows in bob's feed",
                    lambda: (lambda t: t if text in t else None)(
                        page_of(f"{world.base}/fediverse", session)))
    assert world.peer_handle in feed
    assert not peer.errors(), peer.errors()
    # and unfollows it: Fedify gets the Undo and drops bob
    unfollowed = session.post(f"{world.base}/fediverse/unfollow", timeout=30,
                              allow_redirects=False, data={
                                  "iri": peer.actor_url,
                                  "csrf_token": csrf_of(session, f"{world.base}/fediverse")})
    assert unfollowed.status_code in (302, 303), (unfollowed.status_code, unfollowed.text)
    delivered(world, lambda a: a["type"] == "Undo" and a["actor"] == bob,
              "Fedify accepted bob's Undo(Follow)")
    wait_for("Fedify no longer lists bob among its followers",
             lambda: bob not in peer.followers())


def test_a_citizen_likes_shares_and_answers_a_fedify_post(world: World) -> None:
    """From the page of a Fedify post here, bob likes it, shares it and answers it: Fedify
    gets each activity, signed by bob, the answer as a Note inReplyTo its post that
    mentions its author; unliking sends the Undo."""
    peer = world.peer
    bob = world.person("bob")
    session = session_of(world, "bob")
    text = f"Qui vient nettoyer la ravine ? {uuid.uuid4().hex[:6]}"
    note = peer.publish(f"<p>{text}</p>")["note"]
    page_url = f"{world.base}/fediverse/post"
    page = session.get(page_url, params={"iri": note}, timeout=30)
    assert page.status_code == 200 and text in page.text, (page.status_code, page.text[:500])
    token = csrf_of(session, page.url)

    def act(action: str, **extra: str) -> None:
        done = session.post(f"{world.base}/fediverse/{action}", allow_redirects=False,
                            timeout=30, data={"iri": note, "csrf_token": token, **extra})
        assert done.status_code in (302, 303), (action, done.status_code, done.text[:500])

    act("like")
    like = delivered(world, lambda a: a["type"] == "Like" and a["actor"] == bob
                     and a["object"] == note, "Fedify accepted bob's Like")
    assert_verified_by_fedify(world, like)
    act("share")
    share = delivered(world, lambda a: a["type"] == "Announce" and a["actor"] == bob
                      and a["object"] == note, "Fedify accepted bob's Announce")
    assert_verified_by_fedify(world, share)
    answer_text = f"Moi, avec des gants {uuid.uuid4().hex[:6]}"
    act("reply", content=answer_text)

    def answers(activity: dict) -> bool:
        inner = (activity.get("raw") or {}).get("object")
        return activity["type"] == "Create" and activity["actor"] == bob and \
            isinstance(inner, dict) and inner.get("inReplyTo") == note

    create = delivered(world, answers, "Fedify accepted bob's answer")
    assert_verified_by_fedify(world, create)
    answer = raw_object(create)
    assert answer["type"] == "Note" and answer_text in html.unescape(content_of(answer))
    assert any(t.get("type") == "Mention" and t.get("href") == peer.actor_url
               for t in as_list(answer.get("tag"))), answer
    act("unlike")

    def undoes_like(activity: dict) -> bool:
        inner = (activity.get("raw") or {}).get("object")
        undone = inner.get("id") if isinstance(inner, dict) else inner
        return activity["type"] == "Undo" and activity["actor"] == bob and undone == like["id"]

    delivered(world, undoes_like, "Fedify accepted bob's Undo(Like)")


# --- 5. signatures both ways, both formats ---------------------------------------------------


@pytest.mark.parametrize("refused, expected", [(CAVAGE, RFC9421), (RFC9421, CAVAGE)],
                         ids=["cavage-refused", "rfc9421-refused"])
def test_our_queue_double_knocks_and_fedify_verifies_both_formats(
        world: World, alice_followed, refused: str, expected: str) -> None:
    """Fedify, told to refuse one format (401, as a peer knowing only the other would),
    gets the delivery again in the other format, and verifies it."""
    peer = world.peer
    peer.refuse(refused)
    try:
        text = f"Signé en {expected} {uuid.uuid4().hex[:6]}"
        post = post_on_wall(world, "alice", world.person("alice"), text)
        create = delivered(world, lambda a: a["type"] == "Create" and a["object"] == post,
                           f"Fedify accepted the Create of {post} in {expected}")
    finally:
        peer.refuse()
    accepted = assert_verified_by_fedify(world, create)
    assert accepted["format"] == expected
    formats = [r["format"] for r in requests_for(world, create["id"])]
    assert formats.count(expected) == 1, formats


@pytest.mark.parametrize("spec", [RFC9421, CAVAGE], ids=["rfc9421", "cavage"])
def test_we_verify_fedify_signatures_in_both_formats(world: World, spec: str) -> None:
    """Fedify signs a reply with one format only; our inbox verifies it and the reply
    shows on the page."""
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Répondez en {spec} {uuid.uuid4().hex[:6]}")
    text = f"Réponse signée {spec} {uuid.uuid4().hex[:6]}"
    inbox = get_as2(alice)["inbox"]
    answer = peer.send(inbox, {
        "type": "Create", "to": [PUBLIC], "cc": [alice],
        "object": {"type": "Note", "content": f"<p>{text}</p>", "inReplyTo": post,
                   "to": [PUBLIC], "cc": [alice],
                   "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    }, spec=spec)
    assert answer["status"] in (200, 202), answer
    wait_for(f"the reply signed with {spec} shows in the thread",
             lambda: text in page_of(post))


@pytest.mark.parametrize("public", ["as:Public", "Public"])
def test_every_spelling_of_public_makes_a_fedify_reply_public(world: World,
                                                              public: str) -> None:
    """A reply addressed with another spelling of the Public collection (as Fedify signs
    the JSON as given) is kept and shown like one addressed with the full IRI."""
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Public ou pas ? {uuid.uuid4().hex[:6]}")
    text = f"Adressée à {public} {uuid.uuid4().hex[:6]}"
    answer = world.peer.send(get_as2(alice)["inbox"], {
        "type": "Create", "to": public, "cc": [alice],
        "object": {"type": "Note", "content": f"<p>{text}</p>", "inReplyTo": post,
                   "to": public, "cc": [alice]}}, spec=CAVAGE)
    assert answer["status"] in (200, 202), answer
    wait_for(f"the reply addressed to {public} shows", lambda: text in page_of(post))


def test_our_signed_fetches_pass_fedify_secure_mode(world: World) -> None:
    """Fedify in secure mode (Mastodon's authorized fetch) serves its outbox only to signed
    GETs: looking its account up here still shows its posts, because our GETs are signed
    by the instance actor and Fedify verifies them."""
    peer = world.peer
    text = f"Réservé aux requêtes signées {uuid.uuid4().hex[:6]}"
    peer.publish(f"<p>{text}</p>")
    outbox = f"{peer.actor_url}/outbox"
    peer.secure(True)
    try:
        assert requests.get(outbox, headers={"Accept": AP_JSON}, timeout=10).status_code == 401
        world.server.cli("token", "create", "dave", "--create")
        session = session_of(world, "dave")
        profile = session.get(f"{world.base}/fediverse/lookup", timeout=30,
                              params={"q": f"@{world.peer_handle}"})
        assert profile.status_code == 200, (profile.status_code, profile.text[:1000])
        assert text in profile.text, "the posts of the outbox (signed GET) are not shown"
        fetched = [f for f in peer.fetches() if f["path"] == "/users/peer/outbox"]
        assert fetched and fetched[-1]["status"] == 200, fetched
        assert fetched[-1]["verification"] == {"verified": True,
                                               "keyId": f"{world.base}/actor#main-key"}
    finally:
        peer.secure(False)


def test_authorized_fetch_mode_lets_fedify_in_with_signed_gets(
        world: World, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Our authorized-fetch mode: Fedify reads actors unsigned, collections only with its
    signed GETs (which we verify)."""
    data_dir: Path = tmp_path_factory.mktemp("interop-authorized") / "data"
    data_dir.mkdir()
    server = start_server(data_dir, env={**ENV, "COMMUNECTER_AUTHORIZED_FETCH": "1"})
    try:
        server.cli("token", "create", "alice", "--create")
        alice = f"{server.base_url}/persons/alice"
        peer = world.peer
        actor = peer.lookup(alice)
        assert actor["found"] and actor["type"] == "Person", actor
        outbox = actor["json"]["outbox"]
        plain = requests.get(outbox, headers={"Accept": AP_JSON}, timeout=10)
        assert plain.status_code == 401, (plain.status_code, plain.text[:300])
        assert not peer.collection(outbox)["found"]
        signed = peer.collection(outbox, signed=True)
        assert signed["found"] and signed["type"] == "OrderedCollection", signed
        followers = peer.collection(actor["json"]["followers"], signed=True)
        assert followers["found"], followers
    finally:
        stop_server(server)


def test_deliveries_to_fedify_survive_its_downtime_and_our_restart(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fedify follows alice, then goes down; alice posts; our server is restarted; Fedify
    comes back on the same address: every post reaches it, each exactly once (counted on
    the requests its inbox answered 2xx, before Fedify's own de-duplication)."""
    data_dir: Path = tmp_path_factory.mktemp("interop-restart") / "data"
    data_dir.mkdir()
    env = {**ENV, "COMMUNECTER_DELIVERY_BACKOFF_SCALE": "0.0005"}  # a "day" lasts 43 s
    port = free_port()
    peer = FedifyPeer(port=free_port())  # a fixed address, to come back on
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(peer.start)
        server = start_server(data_dir, env=env, port=port)
        starting.result(timeout=90)
    try:
        server.tokens["alice"] = server.cli("token", "create", "alice", "--create").split()[-1]
        here = World(server, peer)
        alice = here.person("alice")
        peer.follow(alice)
        peer.wait_for_following(alice, timeout=WAIT)
        peer.stop()
        posts = [post_on_wall(here, "alice", alice, f"Pendant la panne n°{n}")
                 for n in range(POSTS_WHILE_DOWN)]
        time.sleep(1)  # the workers find the peer down
        stop_server(server)
        with ThreadPoolExecutor(1) as pool:  # both come back, Fedify's keys take seconds
            starting = pool.submit(peer.start)
            server = start_server(data_dir, env=env, port=port)
            starting.result(timeout=90)
        arrived = wait_for(
            f"the {POSTS_WHILE_DOWN} posts reached Fedify after its downtime",
            lambda: (lambda found: found if set(posts) <= found else None)(
                {a["object"] for a in peer.activities() if a["type"] == "Create"}),
            timeout=60, detail=lambda: peer.requests()[-3:])
        assert set(posts) <= arrived
        time.sleep(2)  # nothing more comes
        creates = [r for r in peer.requests() if r["status"] in (200, 202)
                   and (r["activityId"] or "").split("#")[0] in posts]
        per_activity = Counter(r["activityId"] for r in creates)
        assert len(per_activity) == POSTS_WHILE_DOWN, per_activity
        assert set(per_activity.values()) == {1}, per_activity
    finally:
        stop_server(server)
        peer.close()


def test_an_unsigned_delivery_is_refused_and_nothing_shows(world: World) -> None:
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Pas de signature {uuid.uuid4().hex[:6]}")
    inbox = get_as2(alice)["inbox"]
    text = f"Réponse non signée {uuid.uuid4().hex[:6]}"
    forged = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{world.peer.actor_url}/creates/{uuid.uuid4()}",
        "type": "Create", "actor": world.peer.actor_url, "to": [PUBLIC],
        "object": {"id": f"{world.peer.actor_url}/notes/{uuid.uuid4()}", "type": "Note",
                   "attributedTo": world.peer.actor_url, "content": text,
                   "inReplyTo": post, "to": [PUBLIC]},
    }
    response = requests.post(inbox, json=forged, headers={"Content-Type": AP_JSON}, timeout=10)
    assert response.status_code == 401, (response.status_code, response.text[:500])
    time.sleep(1)
    assert text not in page_of(post)


# --- more of what Fedify does with us ----------------------------------------------------------


def test_fedify_reads_our_actors_objects_and_collections(world: World, org_followed) -> None:
    """Fedify fetches and parses our documents as any remote object: actors with their
    key, a Note, an Event, the instance actor; it walks our paged collections."""
    peer = world.peer
    org = peer.lookup(world.org)
    assert org["found"] and org["type"] in ("Organization", "Group"), org
    assert {"id": f"{world.org}#main-key", "owner": world.org} in org["publicKeys"], org
    alice = peer.lookup(world.person("alice"))
    assert alice["type"] == "Person" and alice["json"]["preferredUsername"] == "alice"
    instance = peer.lookup(f"{world.base}/actor")
    assert instance["type"] == "Application", instance
    post = post_on_wall(world, "alice", world.person("alice"), "Lu par Fedify")
    note = peer.lookup(post)
    assert note["type"] == "Note" and "Lu par Fedify" in content_of(note["json"]), note
    info = peer.nodeinfo(world.base)  # Fedify's strict NodeInfo parser
    assert info["found"] and "activitypub" in info["protocols"], info
    assert info["software"]["name"] == "communecter", info
    assert info["usage"]["users"]["total"] >= 1, info  # alice's account at least
    assert info["usage"]["localPosts"] >= 1, info
    followers = peer.collection(get_as2(world.org)["followers"])
    assert followers["found"], followers
    assert peer.actor_url in [item["id"] for item in followers["items"]], followers
    outbox = peer.collection(get_as2(world.person("alice"))["outbox"])
    assert outbox["found"] and outbox["type"] == "OrderedCollection", outbox
    assert {"Create"} == {item["type"] for item in outbox["items"]}, outbox
    assert post in [item["object"] for item in outbox["items"]], outbox


def test_fedify_walks_the_replies_of_a_local_post(world: World) -> None:
    """The thread as fediverse software reads it: the post's `replies` collection lists
    the comment written here and Fedify's own reply."""
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Un fil à plusieurs voix {uuid.uuid4().hex[:6]}")
    session = session_of(world, "bob")
    slug = post.rsplit("/", 1)[-1]
    done = session.post(f"{world.base}/posts/{slug}/comment", allow_redirects=False, timeout=30,
                        data={"content": "Je réponds d'ici", "csrf_token": csrf_of(session, post)})
    assert done.status_code == 303, (done.status_code, done.text[:500])
    comment = f"{world.base}/posts/{done.headers['Location'].rsplit('#post-', 1)[-1]}"
    reply = peer.reply(post, "<p>Et moi de Fedify</p>", recipient=alice)
    wait_for("Fedify's reply shows", lambda: "Et moi de Fedify" in page_of(post))
    note = peer.lookup(post)
    replies = note["json"].get("replies")
    replies = replies.get("id") if isinstance(replies, dict) else replies
    assert replies, note
    walked = peer.collection(replies)
    assert walked["found"], walked
    assert {comment, reply["note"]} <= {item["id"] for item in walked["items"]}, walked


def test_fedify_joins_and_leaves_an_event(world: World) -> None:
    """Participation as Mobilizon does it: Join → Accept; the event page counts the
    remote participant with its handle; Leave takes it back."""
    peer = world.peer
    alice = world.person("alice")
    event = ldp_create(world, "events", "alice", f"pique-nique-{uuid.uuid4().hex[:6]}", (
        f'<> a <{CC}Event> ; <{AS}name> "Pique-nique à la Providence" ;\n'
        f'   <{AS}startTime> "2026-12-20T11:00:00+04:00"^^<{XSD}dateTime> ;\n'
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    assert "Participant·es (0" in page_of(event)
    parsed = peer.lookup(event)
    assert parsed["type"] == "Event" and parsed["json"]["name"] == "Pique-nique à la Providence"
    join = peer.join(event, recipient=alice)
    accept = delivered(world, lambda a: a["type"] == "Accept" and a["object"] == join["id"],
                       "the Join was Accepted")
    assert_verified_by_fedify(world, accept)
    page = wait_for("the event page counts Fedify's participant",
                    lambda: (lambda t: t if "Participant·es (1" in t else None)(page_of(event)),
                    detail=lambda: page_of(event))
    assert f"@{world.peer_handle}" in page
    peer.leave(event, recipient=alice)
    wait_for("the participant is gone", lambda: "Participant·es (0" in page_of(event))
    # a comment from Fedify on the event shows on its page
    text = f"On apporte les samoussas {uuid.uuid4().hex[:6]}"
    peer.reply(event, f"<p>{text}</p>", recipient=alice)
    wait_for("Fedify's comment shows on the event page", lambda: text in page_of(event))


def test_fedify_edits_then_deletes_its_reply(world: World) -> None:
    peer = world.peer
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Un fil à corriger {uuid.uuid4().hex[:6]}")
    first = f"Premier jet {uuid.uuid4().hex[:6]}"
    reply = peer.reply(post, f"<p>{first}</p>", recipient=alice)
    wait_for("the reply shows", lambda: first in page_of(post))
    second = f"Version corrigée {uuid.uuid4().hex[:6]}"
    peer.update(reply["note"], f"<p>{second}</p>", recipient=alice)
    wait_for("the edited reply shows instead of the first one",
             lambda: (lambda t: second in t and first not in t)(page_of(post)))
    peer.delete(reply["note"], recipient=alice)
    wait_for("the deleted reply is gone", lambda: second not in page_of(post))


def test_an_edited_event_reaches_fedify_as_an_update(world: World, alice_followed) -> None:
    """alice edits her event over LDP (PUT, If-Match): Fedify gets the Update with the new
    name and time."""
    event = ldp_create(world, "events", "alice", f"atelier-{uuid.uuid4().hex[:6]}", (
        f'<> a <{CC}Event> ; <{AS}name> "Atelier vélo" ;\n'
        f'   <{AS}startTime> "2026-12-12T14:00:00+04:00"^^<{XSD}dateTime> ;\n'
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    delivered(world, lambda a: a["type"] == "Create" and a["object"] == event,
              "the Create of the event reached Fedify first")
    current = requests.get(event, headers={"Accept": "text/turtle"}, timeout=10)
    assert current.status_code == 200
    edited = current.text.replace("Atelier vélo", "Atelier vélo (reporté)").replace(
        "2026-12-12T14:00:00+04:00", "2026-12-19T14:00:00+04:00")
    put = requests.put(event, data=edited.encode(), timeout=30, headers={
        **world.server.auth("alice"), "Content-Type": "text/turtle",
        "If-Match": current.headers["ETag"]})
    assert put.status_code in (200, 204), (put.status_code, put.text[:500])

    def updated(activity: dict) -> bool:
        inner = (activity.get("raw") or {}).get("object")
        return activity["type"] == "Update" and activity["object"] == event and \
            isinstance(inner, dict) and inner.get("name") == "Atelier vélo (reporté)"

    update = delivered(world, updated, "Fedify accepted the Update of the event")
    assert_verified_by_fedify(world, update)
    assert raw_object(update)["startTime"].startswith(("2026-12-19T14:00:00+04:00",
                                                       "2026-12-19T10:00:00Z"))


def test_a_deleted_post_reaches_fedify_as_a_delete(world: World, alice_followed) -> None:
    post = post_on_wall(world, "alice", world.person("alice"),
                        f"Message éphémère {uuid.uuid4().hex[:6]}")
    delivered(world, lambda a: a["type"] == "Create" and a["object"] == post,
              "the Create reached Fedify first")
    session = session_of(world, "alice")
    done = session.post(f"{post}/delete", allow_redirects=False, timeout=30,
                        data={"csrf_token": csrf_of(session, post)})
    assert done.status_code in (302, 303), (done.status_code, done.text[:500])
    delete = delivered(world, lambda a: a["type"] == "Delete" and a["object"] == post,
                       f"Fedify accepted a Delete of {post}")
    assert delete["actor"] == world.person("alice")
    assert_verified_by_fedify(world, delete)


def test_a_reply_from_fedify_is_forwarded_to_another_fedify_following_the_thread(
        world: World, far: FedifyPeer) -> None:
    """A second Fedify server follows alice; the first replies to alice's post: our
    server forwards the reply as it came (Fedify's Object Integrity Proof inside) to the
    thread's followers, and the second Fedify accepts it as the first one's."""
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Qui a vu le chat ? {uuid.uuid4().hex[:6]}")
    text = f"Il est chez moi {uuid.uuid4().hex[:6]}"
    reply = world.peer.reply(post, f"<p>{text}</p>", recipient=alice)
    forwarded = wait_for("the reply was forwarded to the other Fedify", lambda: next(
        (a for a in far.activities() if a["id"] == reply["id"]), None),
        detail=far.inbox)
    assert forwarded["actor"] == world.peer.actor_url
    assert text in content_of(raw_object(forwarded))


def test_a_rejected_domain_is_cut_off_both_ways(world: World, alice_followed,
                                                far: FedifyPeer) -> None:
    """An administrator rejects a second Fedify's domain (host and port): its signed
    reply is refused with a 4xx and never shows; alice's next post does not go there."""
    alice = world.person("alice")
    world.server.cli("token", "create", "modo", "--create")
    admin = session_of(world, "modo", admin=True)
    host = f"127.0.0.1:{far.port}"
    page = f"{world.base}/moderation/domains"
    done = admin.post(page, allow_redirects=False, timeout=10, data={
        "host": host, "policy": "reject", "reason": "tests",
        "csrf_token": csrf_of(admin, page)})
    assert done.status_code == 303, (done.status_code, done.text[:500])
    try:
        post = post_on_wall(world, "alice", alice, f"Pas pour eux {uuid.uuid4().hex[:6]}")
        text = f"Réponse d'un domaine rejeté {uuid.uuid4().hex[:6]}"
        answer = far.send(get_as2(alice)["inbox"], {
            "type": "Create", "to": [PUBLIC], "cc": [alice],
            "object": {"type": "Note", "content": text, "inReplyTo": post,
                       "to": [PUBLIC], "cc": [alice]}}, spec=CAVAGE)
        assert 400 <= answer["status"] < 500, answer
        # the main peer, which follows alice too, gets the post: the far one does not
        delivered(world, lambda a: a["type"] == "Create" and a["object"] == post,
                  "the post reached the peer that is not rejected")
        time.sleep(2)
        assert all(a["object"] != post for a in far.activities()), far.activities()
        assert text not in page_of(post)
    finally:
        admin.post(f"{page}/remove", timeout=10, data={
            "host": host, "csrf_token": csrf_of(admin, page)})


def test_a_personal_block_is_told_to_fedify(world: World) -> None:
    """carol blocks the Fedify account by its handle: its server gets a Block from her;
    unblocking sends the Undo."""
    carol = world.person("carol")
    world.server.cli("token", "create", "carol", "--create")
    session = session_of(world, "carol")
    blocks = f"{world.base}/blocks"
    done = session.post(blocks, allow_redirects=False, timeout=30, data={
        "kind": "block", "target": f"@{world.peer_handle}",
        "csrf_token": csrf_of(session, blocks)})
    assert done.status_code in (302, 303), (done.status_code, done.text[:500])
    block = delivered(world, lambda a: a["type"] == "Block" and a["actor"] == carol,
                      "Fedify accepted carol's Block")
    assert block["object"] == world.peer.actor_url
    assert_verified_by_fedify(world, block)
    undone = session.post(f"{blocks}/remove", allow_redirects=False, timeout=30, data={
        "kind": "block", "target": world.peer.actor_url,
        "csrf_token": csrf_of(session, blocks)})
    assert undone.status_code in (302, 303), (undone.status_code, undone.text[:500])
    delivered(world, lambda a: a["type"] == "Undo" and a["actor"] == carol,
              "Fedify accepted carol's Undo(Block)")


def test_a_report_from_fedify_reaches_the_moderators(world: World) -> None:
    alice = world.person("alice")
    post = post_on_wall(world, "alice", alice, f"Un billet signalé {uuid.uuid4().hex[:6]}")
    reason = f"Spam commercial {uuid.uuid4().hex[:6]}"
    answer = world.peer.send(get_as2(alice)["inbox"], {
        "type": "Flag", "object": [post], "content": reason, "to": [alice]})
    assert answer["sent"], answer
    world.server.cli("token", "create", "modo", "--create")
    admin = session_of(world, "modo", admin=True)
    queue = wait_for("the report shows in the moderators' queue",
                     lambda: (lambda t: t if reason in t else None)(
                         page_of(f"{world.base}/moderation", admin)),
                     detail=lambda: page_of(f"{world.base}/moderation", admin))
    assert post in queue


def test_a_report_of_a_fedify_post_is_forwarded_to_fedify(world: World) -> None:
    """bob reports a Fedify post shown here and leaves "forward" ticked: Fedify gets an
    anonymous Flag from our instance actor, naming its account and the post."""
    peer = world.peer
    note = peer.publish(f"<p>Achetez mes lunettes {uuid.uuid4().hex[:6]}</p>")["note"]
    session = session_of(world, "bob")
    shown = session.get(f"{world.base}/fediverse/post", params={"iri": note}, timeout=30)
    assert shown.status_code == 200, (shown.status_code, shown.text[:300])
    reason = f"Publicité {uuid.uuid4().hex[:6]}"
    done = session.post(f"{world.base}/report/remote", allow_redirects=False, timeout=30, data={
        "object": note, "category": "spam", "details": reason, "forward": "1",
        "csrf_token": csrf_of(session, shown.url)})
    assert done.status_code in (302, 303), (done.status_code, done.text[:500])
    instance = f"{world.base}/actor"
    flag = delivered(world, lambda a: a["type"] == "Flag" and a["actor"] == instance,
                     "Fedify accepted the forwarded report")
    assert_verified_by_fedify(world, flag)
    raw = flag["raw"]
    assert set(as_list(raw["object"])) == {peer.actor_url, note}, raw
    assert reason in raw.get("content", ""), raw
    assert world.person("bob") not in str(raw), "the report is not anonymous"


def test_fedify_unfollows_the_organization(world: World, org_followed) -> None:
    """Undo(Follow) takes the Fedify actor out of the organization's followers."""
    world.peer.unfollow(world.org)
    followers = get_as2(world.org)["followers"]
    wait_for("the followers collection no longer lists the Fedify actor",
             lambda: world.peer.actor_url not in collection_items(followers))


def test_a_proposal_is_a_poll_for_fedify_and_its_votes_count(world: World,
                                                             alice_followed) -> None:
    """Proposals are Questions (Mastodon shows polls): Fedify reads the options; a vote
    sent as Mastodon sends it (Create{Note{name, inReplyTo}}, to the poll's author only)
    counts in the Question's figures, and the poll's author tells its followers the new
    counts (Update{Question}), as Mastodon does."""
    peer = world.peer
    alice = world.person("alice")
    proposal = ldp_create(world, "proposals", "alice", f"piste-{uuid.uuid4().hex[:6]}", (
        f'<> a <{CC}Proposal> ; <{AS}name> "Une piste cyclable rue de Paris ?" ;\n'
        f'   <{AS}content> "Votez avant Noël." ;\n'
        f'   <{CC}option> "Oui", "Non" ;\n'
        f'   <{AS}endTime> "2026-12-24T18:00:00+04:00"^^<{XSD}dateTime> ;\n'
        f"   <{CC}territory> <{world.base}/territories/{COMMUNE}> ."))
    question = peer.lookup(proposal)
    assert question["type"] == "Question", question
    options = question["json"].get("oneOf") or question["json"].get("anyOf")
    assert sorted(o["name"] for o in options) == ["Non", "Oui"], question
    vote = peer.send(get_as2(alice)["inbox"], {
        "type": "Create", "to": [alice],
        "object": {"type": "Note", "name": "Oui", "inReplyTo": proposal, "to": [alice]},
    })
    assert vote["sent"], vote

    def counted() -> dict | None:
        document = get_as2(proposal)
        return document if document.get("votersCount") == 1 else None

    document = wait_for("the remote vote counts in votersCount", counted,
                        detail=lambda: get_as2(proposal))
    by_name = {o["name"]: o for o in document["oneOf"]}
    assert by_name["Oui"]["replies"]["totalItems"] == 1, document
    assert by_name["Non"]["replies"]["totalItems"] == 0, document
    def new_counts(activity: dict) -> bool:
        inner = (activity.get("raw") or {}).get("object")
        return activity["type"] == "Update" and activity["object"] == proposal and \
            isinstance(inner, dict) and inner.get("votersCount") == 1

    update = delivered(world, new_counts, "alice's followers got the Question's new counts")
    assert_verified_by_fedify(world, update)


def test_fedify_renames_then_moves_and_its_followers_here_follow_the_new_account(
        world: World, far: FedifyPeer) -> None:
    """Last (the peer moves away): erin follows the Fedify account; its Update{Person}
    renames it on its page here; then it moves to the second Fedify (which names it in
    alsoKnownAs): erin now follows the new account."""
    peer = world.peer
    erin = world.person("erin")
    world.server.cli("token", "create", "erin", "--create")
    session = session_of(world, "erin")
    lookup = session.get(f"{world.base}/fediverse/lookup", params={"q": f"@{world.peer_handle}"},
                         timeout=30)
    assert lookup.status_code == 200, (lookup.status_code, lookup.text[:500])
    token = csrf_of(session, lookup.url)
    followed = session.post(f"{world.base}/fediverse/follow", timeout=30, allow_redirects=False,
                            data={"iri": peer.actor_url, "csrf_token": token})
    assert followed.status_code in (302, 303), (followed.status_code, followed.text[:500])
    wait_for("Fedify lists erin among its followers", lambda: erin in peer.followers())
    wait_for("erin's following lists the Fedify actor",
             lambda: peer.actor_url in collection_items(get_as2(erin)["following"]))
    peer.profile(name="Pair Fedify renommé", tell=True)
    wait_for("the renamed account shows its new name",
             lambda: "Pair Fedify renommé" in page_of(lookup.url, session))
    far.profile(aliases=[peer.actor_url])
    peer.move(far.actor_url)
    follow = wait_for("the second Fedify got erin's Follow", lambda: next(
        (a for a in far.activities() if a["type"] == "Follow" and a["actor"] == erin), None),
        detail=lambda: (far.inbox(), peer.inbox()["activities"][-3:]))
    assert follow["object"] == far.actor_url
    wait_for("erin's following lists the new account",
             lambda: far.actor_url in collection_items(get_as2(erin)["following"]))
