"""Sending: signed POSTs to a real loopback peer that verifies them, double knocking to
RFC 9421, what each answer means, paused hosts, rejected domains, the worker thread, and
the administrators' delivery view. What is fanned out to whom: test_delivery_fanout.py."""

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


# --- the delivery view ---------------------------------------------------------------------


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
