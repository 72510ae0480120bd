"""Fan-out: what each local activity sends to whom, end to end in-process (the form or the
activity, the outbound observer, the queue, the signed POST to a loopback peer that
verifies it): shared inboxes, Follow/Undo, FEP-1b12 group announces, Delete and profile
Update, poll updates, shares."""

from __future__ import annotations

from pathlib import Path

from federation.actor_keys import ActorKeys
from federation.keys import key_id_for
from tests.delivery_support import remote_follower
from tests.services.inbox_peer import InboxPeer


def test_a_post_goes_once_to_each_shared_inbox_of_the_followers(site: object) -> None:
    from federation.activities import Activity
    from tests.posts_support import client_for, post
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True  # the peer is on loopback
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        followers = [remote_follower(platform, peer, f"f{n}", shared=n < 3) for n in range(4)]
        for follower in followers:
            platform.activities.apply(Activity("Follow", follower, alice))
        assert platform.deliveries.counts()["pending"] == 0  # following sends nothing back
        client = client_for(site, "alice")
        response, note = post(client, alice, "Bonjour le fédiverse !")
        assert response.status_code == 303 and note
        assert peer.received == []  # never sent in the request itself
        assert deliver_now(site.app) == 2  # the shared inbox, and f3's own inbox
        by_path = {r.path: r for r in peer.received}
        assert set(by_path) == {"/inbox", "/users/f3/inbox"}
        create = by_path["/inbox"].activity
        assert create["type"] == "Create" and create["actor"] == alice
        assert create["object"]["id"] == note and create["object"]["type"] == "Note"
        assert "Bonjour le fédiverse" in create["object"]["content"]
        assert "https://www.w3.org/ns/activitystreams#Public" in create["to"]
        assert all(r.verified for r in peer.received)
        assert deliver_now(site.app) == 0
    finally:
        peer.stop()


def test_following_a_remote_actor_sends_follow_then_undo(site: object) -> None:
    from federation.activities import Activity
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True  # the peer is on loopback
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        remote = remote_follower(platform, peer, "carol", shared=True)
        platform.activities.apply(Activity("Follow", alice, remote))
        assert deliver_now(site.app) == 1
        (follow,) = [r.activity for r in peer.received]
        assert (follow["type"], follow["actor"], follow["object"]) == ("Follow", alice, remote)
        assert peer.received[0].path == "/users/carol/inbox"  # addressed to the actor
        platform.activities.apply(Activity("Undo", alice, remote, content="Follow"))
        assert deliver_now(site.app) == 1
        undo = peer.received[1].activity
        assert undo["type"] == "Undo" and undo["object"]["id"] == follow["id"]
        assert undo["object"]["type"] == "Follow" and undo["object"]["object"] == remote
    finally:
        peer.stop()


def test_an_organization_acting_as_a_group_announces_its_members_posts(
        tmp_path: Path) -> None:
    """FEP-1b12: bob posts on the wall of an association he helps run; its remote
    followers get bob's Create and the association's Announce, each signed by its actor."""
    from federation.activities import Activity
    from ontology import CC
    from tests.elements_support import citizen, create, make_site, member_of
    from tests.posts_support import client_for, post
    from web.deliveries import deliver_now

    site = make_site(tmp_path)
    platform = site.platform
    platform.settings.allow_private_addresses = True
    alice, bob = citizen(site, "alice"), citizen(site, "bob")
    association = create(site, alice, "organizations", "jardins", CC.Association,
                         "Jardins partagés")
    member_of(site, association, alice, bob, role="contributor")
    keys = ActorKeys(platform.private)
    peer = InboxPeer(keys={key_id_for(who): keys.public_pem(who)
                           for who in (bob, association)}).start()
    try:
        follower = remote_follower(platform, peer, "fan", shared=True)
        platform.activities.apply(Activity("Follow", follower, association))
        response, note = post(client_for(site, "bob"), association, "Récolte samedi !")
        assert response.status_code == 303 and note
        assert deliver_now(site.app) == 2
        kinds = {r.activity["type"]: r.activity for r in peer.received}
        assert set(kinds) == {"Create", "Announce"}
        assert kinds["Create"]["actor"] == bob
        assert f"{association}/followers" in kinds["Create"]["cc"]
        announce = kinds["Announce"]
        assert (announce["actor"], announce["object"]) == (association, note)
        assert all(r.verified for r in peer.received)
        assert {r.key_id for r in peer.received} == {f"{bob}#main-key",
                                                     f"{association}#main-key"}
    finally:
        peer.stop()


def test_deleting_a_post_and_editing_a_profile_reach_the_followers(site: object) -> None:
    from rdflib import Literal, URIRef

    from federation.activities import Activity
    from federation.resources import graph_from_ntriples
    from ontology import AS
    from tests.posts_support import client_for, post
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        follower = remote_follower(platform, peer, "fan", shared=True)
        platform.activities.apply(Activity("Follow", follower, alice))
        _response, note = post(client_for(site, "alice"), alice, "Message à effacer")
        platform.activities.apply(Activity("Delete", alice, note))
        profile = graph_from_ntriples(platform.store.graph(alice))
        profile.set((URIRef(alice), AS.name, Literal("Alice Hoarau")))
        platform.activities.apply(Activity("Update", alice, alice, profile))
        assert deliver_now(site.app) == 3
        create, delete, update = (r.activity for r in peer.received)
        assert create["type"] == "Create"
        assert delete["type"] == "Delete" and delete["actor"] == alice
        assert delete["object"] == {"id": note, "type": "Tombstone"}
        assert update["type"] == "Update" and update["object"]["id"] == alice
        assert update["object"]["name"] == "Alice Hoarau"
        assert all(r.verified and r.path == "/inbox" for r in peer.received)
    finally:
        peer.stop()


def test_a_vote_updates_the_poll_at_the_followers(site: object) -> None:
    """As Mastodon polls do: after a vote, the poll's author sends the Question again
    with its new counts."""
    from rdflib import Graph

    from federation.activities import Activity
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    base = platform.base_url
    alice, bob = f"{base}/persons/alice", f"{base}/persons/bob"
    prefixes = ("@prefix cc: <https://w3id.org/communecter/ns#> . "
                "@prefix as: <https://www.w3.org/ns/activitystreams#> . "
                "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . ")

    def create(actor: str, iri: str, turtle: str) -> None:
        graph = Graph().parse(data=prefixes + turtle, format="turtle", publicID=iri)
        platform.activities.apply(Activity("Create", actor, iri, graph))

    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        follower = remote_follower(platform, peer, "fan", shared=True)
        platform.activities.apply(Activity("Follow", follower, alice))
        proposal = f"{base}/proposals/eclairage"
        create(alice, proposal, f"""<> a cc:Proposal ; as:name "Éteindre à minuit" ;
            as:content "Pour économiser l'énergie." ; cc:option "Pour", "Contre" ;
            as:endTime "2030-01-01T00:00:00Z"^^xsd:dateTime ;
            cc:territory <{base}/territories/97411> .""")
        create(bob, f"{base}/proposals/vote-bob", f"""<> a cc:Vote ; cc:voteOn <{proposal}> ;
            cc:choice "Pour" ; as:attributedTo <{bob}> .""")
        assert deliver_now(site.app) == 2
        created, updated = (r.activity for r in peer.received)
        assert created["type"] == "Create" and created["object"]["type"] == "Question"
        assert created["object"]["votersCount"] == 0
        assert (updated["type"], updated["actor"]) == ("Update", alice)
        assert updated["object"]["id"] == proposal and updated["object"]["votersCount"] == 1
        assert all(r.verified for r in peer.received)
    finally:
        peer.stop()


def test_sharing_a_post_announces_it_to_the_sharers_followers(site: object) -> None:
    from federation.activities import Activity
    from tests.posts_support import client_for, post
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    alice, bob = (f"{platform.base_url}/persons/{who}" for who in ("alice", "bob"))
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        follower = remote_follower(platform, peer, "fan", shared=False)
        platform.activities.apply(Activity("Follow", follower, alice))
        _response, note = post(client_for(site, "bob"), bob, "À partager")
        assert deliver_now(site.app) == 0  # bob has no remote follower
        platform.activities.apply(Activity("Announce", alice, note))
        platform.activities.apply(Activity("Undo", alice, note, content="Announce"))
        assert deliver_now(site.app) == 2
        shared, undone = (r.activity for r in peer.received)
        assert (shared["type"], shared["actor"], shared["object"]) == ("Announce", alice, note)
        assert f"{alice}/followers" in shared["cc"]
        assert undone["type"] == "Undo" and undone["object"]["id"] == shared["id"]
        assert all(r.verified and r.path == "/users/fan/inbox" for r in peer.received)
    finally:
        peer.stop()


def test_a_post_removed_by_a_moderator_is_deleted_by_its_author(site: object) -> None:
    """Other servers accept a Delete only from the object's author: the one a moderator
    causes is the author's."""
    from federation.activities import Activity
    from tests.posts_support import CSRF, client_for, post
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    bob = f"{platform.base_url}/persons/bob"
    peer = InboxPeer(keys={key_id_for(bob): ActorKeys(platform.private).public_pem(bob)})
    peer.start()
    try:
        follower = remote_follower(platform, peer, "fan", shared=True)
        platform.activities.apply(Activity("Follow", follower, bob))
        _response, note = post(client_for(site, "bob"), bob, "Achetez mes pilules !")
        moderator = client_for(site, "alice", admin=True)
        done = moderator.post("/moderation/delete", data={"object": note, "csrf_token": CSRF})
        assert done.status_code == 303
        assert deliver_now(site.app) == 2
        create, delete = (r.activity for r in peer.received)
        assert (delete["type"], delete["actor"]) == ("Delete", bob)
        assert delete["object"]["id"] == note == create["object"]["id"]
        assert all(r.verified for r in peer.received)
    finally:
        peer.stop()


def test_a_post_addressed_to_a_remote_actor_reaches_it_without_followers(
        site: object) -> None:
    """Most writes concern nobody elsewhere and cost no document; one addressed to a remote
    actor (a mention, a reply) still goes to that actor's inbox."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from federation.activities import Activity
    from ontology import AS, CC
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        carol = remote_follower(platform, peer, "carol", shared=True)  # cached, not following
        note = f"{platform.base_url}/posts/pour-carol"
        graph = Graph()
        subject = URIRef(note)
        graph.add((subject, RDF.type, CC.Post))
        graph.add((subject, AS.attributedTo, URIRef(alice)))
        graph.add((subject, AS.content, Literal("<p>Bonjour Carol</p>")))
        graph.add((subject, CC.wall, URIRef(alice)))
        graph.add((subject, AS.cc, URIRef(carol)))
        platform.activities.apply(Activity("Create", alice, note, graph))
        assert deliver_now(site.app) == 1
        (received,) = peer.received
        assert received.activity["object"]["id"] == note and carol in received.activity["cc"]
        assert received.path == "/inbox"  # a public post: the shared inbox will do
    finally:
        peer.stop()


def test_a_hostile_follower_inbox_spoils_nothing_for_the_others(site: object) -> None:
    """A cached remote actor whose inbox is no http(s) URL, or points to a private
    address, gets nothing; the other followers get the post."""
    from federation.activities import Activity
    from store.base import Write
    from tests.posts_support import client_for, post
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        good = remote_follower(platform, peer, "good", shared=False)
        evil = "https://evil.example/users/mallory"
        platform.store.write(Write(replace={evil: (
            f"<{evil}> <http://www.w3.org/ns/ldp#inbox> <ftp://evil.example/inbox> .\n")}))
        for follower in (good, evil):
            platform.activities.apply(Activity("Follow", follower, alice))
        platform.settings.allow_private_addresses = False  # the peer is private: refused
        post(client_for(site, "alice"), alice, "Premier essai")
        assert platform.deliveries.counts()["pending"] == 1  # the ftp inbox was left out
        assert deliver_now(site.app) == 0
        assert peer.received == [] and platform.deliveries.counts()["failed"] == 1
        assert "BlockedAddress" in platform.deliveries.hosts()[0].last_error
        platform.settings.allow_private_addresses = True
        post(client_for(site, "alice"), alice, "Second essai")
        assert deliver_now(site.app) == 1
        assert [r.path for r in peer.received] == ["/users/good/inbox"]
    finally:
        peer.stop()


def test_follow_undo_follow_within_a_second_are_three_deliveries(site: object) -> None:
    from federation.activities import Activity
    from web.deliveries import deliver_now

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    platform.settings.allow_private_addresses = True
    alice = f"{platform.base_url}/persons/alice"
    peer = InboxPeer(keys={key_id_for(alice): ActorKeys(platform.private).public_pem(alice)})
    peer.start()
    try:
        carol = remote_follower(platform, peer, "carol", shared=True)
        platform.activities.apply(Activity("Follow", alice, carol))
        platform.activities.apply(Activity("Undo", alice, carol, content="Follow"))
        platform.activities.apply(Activity("Follow", alice, carol))
        assert deliver_now(site.app) == 3
        first, undo, again = (r.activity for r in peer.received)
        assert [first["type"], undo["type"], again["type"]] == ["Follow", "Undo", "Follow"]
        assert undo["object"]["id"] == first["id"] != again["id"]
    finally:
        peer.stop()
