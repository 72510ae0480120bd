"""Sending: signed POSTs to a real loopback peer that verifies them, double knocking to
RFC 9421, what each answer means, paused hosts, rejected domains, the worker thread, the
fan-out of a post to followers' shared inboxes and the administrators' delivery view."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from federation.actor_keys import ActorKeys
from federation.delivery import DeliveryQueue, open_queue
from federation.delivery.signing import KeyRing
from federation.delivery.worker import DeliveryWorker, Sender, deliver_due
from federation.keys import key_id_for
from store.private import PrivateStore
from tests.services.inbox_peer import InboxPeer, Request

SIGNER = "http://communecter.test/persons/alice"


@pytest.fixture
def private(tmp_path: Path) -> PrivateStore:
    return PrivateStore(tmp_path / "private.sqlite3")


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> DeliveryQueue:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    found = open_queue(url, tmp_path)
    yield found
    found.close()


def start_peer(private: PrivateStore, answer=None) -> InboxPeer:
    keys = ActorKeys(private)
    return InboxPeer(keys={key_id_for(SIGNER): keys.public_pem(SIGNER)}, answer=answer).start()


def sender_for(queue: DeliveryQueue, private: PrivateStore, policy=None) -> Sender:
    return Sender(queue, KeyRing(ActorKeys(private).private_pem), allow_private=True,
                  domain_policy=policy)


def activity(n: int, kind: str = "Create") -> dict:
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"http://communecter.test/posts/p{n}#{kind.lower()}", "type": kind,
            "actor": SIGNER, "object": f"http://communecter.test/posts/p{n}"}


def test_deliveries_arrive_signed_once_each(queue: DeliveryQueue, private: PrivateStore) -> None:
    peer = start_peer(private)
    try:
        for n in range(3):
            queue.enqueue(peer.url("/users/bob/inbox"), activity(n), SIGNER)
        assert deliver_due(queue, sender_for(queue, private)) == 3
        assert deliver_due(queue, sender_for(queue, private)) == 0
        got = peer.received
        assert sorted(r.activity["id"] for r in got) == sorted(activity(n)["id"]
                                                               for n in range(3))
        assert all(r.verified and r.format == "cavage" for r in got)
        assert {r.key_id for r in got} == {f"{SIGNER}#main-key"}
        assert queue.counts() == {"pending": 0, "failed": 0, "delivered": 3}
    finally:
        peer.stop()


def test_double_knocking_to_rfc9421_is_remembered(queue: DeliveryQueue,
                                                  private: PrivateStore) -> None:
    """A peer that answers 401 to draft-cavage gets the RFC 9421 signature at once, and
    from then on only that."""
    def answer(request: Request) -> int:
        return 202 if request.verified and request.format == "rfc9421" else 401

    peer = start_peer(private, answer)
    try:
        queue.enqueue(peer.url("/inbox"), activity(1), SIGNER)
        assert deliver_due(queue, sender_for(queue, private)) == 1
        assert [(r.format, r.status) for r in peer.received] == [("cavage", 401),
                                                                 ("rfc9421", 202)]
        assert queue.signature_format(f"127.0.0.1:{peer.port}") == "rfc9421"
        queue.enqueue(peer.url("/inbox"), activity(2), SIGNER)
        assert deliver_due(queue, sender_for(queue, private)) == 1
        assert [(r.format, r.status) for r in peer.received[2:]] == [("rfc9421", 202)]
    finally:
        peer.stop()


def test_what_each_answer_means(queue: DeliveryQueue, private: PrivateStore) -> None:
    statuses = {"/gone": 410, "/broken": 503, "/busy": 429, "/forbidden": 403,
                "/unsigned-yet": 401}

    def answer(request: Request) -> int:
        return statuses.get(request.path, 202)

    peer = start_peer(private, answer)
    try:
        for path in statuses:
            queue.enqueue(peer.url(path), activity(1), SIGNER)
        before = time.time()
        assert deliver_due(queue, sender_for(queue, private)) == 0
        state = {path: queue.state_of(activity(1)["id"], peer.url(path)) for path in statuses}
        assert state == {"/gone": "failed", "/broken": "pending", "/busy": "pending",
                         "/forbidden": "failed", "/unsigned-yet": "pending"}
        posts = {path: [r.format for r in peer.received if r.path == path]
                 for path in statuses}
        assert posts["/gone"] == ["cavage"]  # gone is gone: no second knock
        assert posts["/forbidden"] == ["cavage"]
        assert posts["/unsigned-yet"] == ["cavage", "rfc9421"]  # knocked twice, retried later
        (host,) = queue.hosts()
        assert host.failed == 2 and host.pending == 3
        assert host.next_attempt is not None and host.next_attempt >= before + 60
        assert queue.claim(10) == []  # nothing is due before its backoff
    finally:
        peer.stop()


def test_retry_after_is_honoured(tmp_path: Path, private: PrivateStore) -> None:
    queue = open_queue(None, tmp_path)
    peer = start_peer(private, lambda request: (429, {"Retry-After": "7200"}))
    try:
        queue.enqueue(peer.url("/inbox"), activity(1), SIGNER)
        assert deliver_due(queue, sender_for(queue, private)) == 0
        (host,) = queue.hosts()
        assert host.next_attempt is not None and host.next_attempt > time.time() + 7000
        assert host.pending == 1 and host.failed == 0
    finally:
        peer.stop()


def test_an_unreachable_host_is_paused(tmp_path: Path, private: PrivateStore) -> None:
    queue = open_queue(None, tmp_path)
    peer = start_peer(private)
    url = peer.url("/inbox")
    peer.stop()  # nothing listens there any more: connections are refused
    for n in range(8):
        queue.enqueue(url, activity(n), SIGNER)
    deliver_due(queue, sender_for(queue, private), limit=8)
    (host,) = queue.hosts()
    assert host.failures >= 3
    assert host.paused_until > time.time() + 60
    assert "ConnectionFailed" in host.last_error
    assert host.pending == 8 and host.failed == 0
    assert queue.claim(8) == []  # left alone while paused


def test_a_rejected_domain_gets_nothing(tmp_path: Path, private: PrivateStore) -> None:
    from federation.moderation import set_domain_policy
    from web.deliveries import make_sender
    from web.settings import Settings

    queue = open_queue(None, tmp_path)
    peer = start_peer(private)
    try:
        set_domain_policy(private, "127.0.0.1", "reject", "spam")
        queue.enqueue(peer.url("/inbox"), activity(1), SIGNER)
        settings = Settings(data_dir=tmp_path, allow_private_addresses=True)
        assert deliver_due(queue, make_sender(settings, private, queue)) == 0
        assert peer.received == []
        assert queue.counts()["failed"] == 1
        assert "rejects this domain" in queue.hosts()[0].last_error
    finally:
        peer.stop()


def test_the_worker_thread_delivers_and_stops_gracefully(queue: DeliveryQueue,
                                                         private: PrivateStore) -> None:
    peer = start_peer(private)
    worker = DeliveryWorker(queue, sender_for(queue, private), concurrency=4, poll=0.2)
    try:
        worker.start()
        for n in range(20):
            queue.enqueue(peer.url(f"/users/u{n % 5}/inbox"), activity(n), SIGNER)
        worker.wake()
        deadline = time.monotonic() + 20
        while len(peer.accepted()) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(peer.accepted()) == 20
    finally:
        worker.stop()
        peer.stop()
    assert not worker.is_alive()
    assert queue.counts() == {"pending": 0, "failed": 0, "delivered": 20}


# --- fan-out from the web app, and the delivery view --------------------------------------


def remote_follower(platform: object, peer: InboxPeer, name: str, shared: bool) -> str:
    """A remote actor as federation.remote caches one (graph name = its IRI)."""
    from store.base import Write

    iri = peer.url(f"/users/{name}")
    triples = [f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
               f"<https://www.w3.org/ns/activitystreams#Person> .",
               f"<{iri}> <http://www.w3.org/ns/ldp#inbox> <{iri}/inbox> ."]
    if shared:
        triples += [f"<{iri}> <https://www.w3.org/ns/activitystreams#endpoints> _:e .",
                    f"_:e <https://www.w3.org/ns/activitystreams#sharedInbox> "
                    f"<{peer.url('/inbox')}> ."]
    platform.store.write(Write(replace={iri: "\n".join(triples) + "\n"}))  # type: ignore[attr-defined]
    return iri


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


def test_the_delivery_view_for_administrators(site: object) -> None:
    from tests.posts_support import CSRF, client_for

    platform = site.app.extensions["communecter"]  # type: ignore[attr-defined]
    queue = platform.deliveries
    queue.enqueue("https://down.example/inbox", activity(1), SIGNER)
    (item,) = queue.claim(1)
    queue.host_failed("down.example", "ConnectionFailed: connection refused", 3600.0)
    queue.retry_later(item, "ConnectionFailed: connection refused", 3600.0)
    assert client_for(site, "bob").get("/admin/deliveries").status_code == 403
    admin = client_for(site, "alice", admin=True)
    page = admin.get("/admin/deliveries").get_data(as_text=True)
    assert "down.example" in page and "connection refused" in page
    assert "en pause jusqu" in page and "Réessayer maintenant" in page
    english = admin.get("/admin/deliveries", headers={"Accept-Language": "en"})
    assert "Retry now" in english.get_data(as_text=True)
    done = admin.post("/admin/deliveries/retry", data={"host": "down.example",
                                                      "csrf_token": CSRF})
    assert done.status_code == 303
    assert [i.key for i in queue.claim(5)] == [item.key]  # due at once, pause lifted
    assert json.loads(item.body)["id"] == activity(1)["id"]


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


def test_every_text_of_the_delivery_view_has_an_english_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for path in sorted((root / "web/templates/deliveries").glob("*.html")):
        for _, message, _, _ in extract_from_file("jinja2", path, options={"extensions": ""}):
            found.add(message if isinstance(message, str) else message[0])
    for _, message, _, _ in extract_from_file("python", root / "web/ui/deliveries.py",
                                              keywords={"_": None}):
        found.add(message if isinstance(message, str) else message[0])
    translated: set[str] = set()
    for catalog in (root / "web/translations/en/LC_MESSAGES").glob("*.po"):
        with open(catalog, "rb") as handle:
            translated |= {m.id if isinstance(m.id, str) else m.id[0]
                           for m in read_po(handle, locale="en") if m.id and m.string}
    assert found and not sorted(found - translated)


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
