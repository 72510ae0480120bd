"""Restart safety, as the issue asks: with the peer down and 1,000 deliveries pending, the
server is restarted; once the peer is up every activity arrives exactly once (counted by
activity id × inbox) — on the embedded SQLite queue and on Redis. The server is restarted
once more while the deliveries are flowing, and still nothing arrives twice.

Also `communecter worker`, which runs the same deliveries apart from `serve`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from federation.actor_keys import ActorKeys
from federation.delivery import DeliveryQueue, open_queue
from federation.keys import key_id_for
from store.private import PrivateStore
from tests.conftest import ROOT, free_port, start_server, stop_server
from tests.services.inbox_peer import InboxPeer

ACTIVITIES = 100
INBOXES = 10  # 100 × 10 = 1,000 deliveries
FAST = {"COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1",
        "COMMUNECTER_DELIVERY_BACKOFF_SCALE": "0.0005"}  # a "day" lasts 43 s


def wait_for(condition, seconds: float, what: str, state=None) -> None:
    """Polls `condition`; on time-out, the message says `state()` (queue and peer)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {state() if state else ''}")
        time.sleep(0.1)


def queue_many(queue: DeliveryQueue, peer: InboxPeer, signer: str) -> None:
    base = signer.rsplit("/persons/", 1)[0]
    queue.enqueue_many(
        (peer.url(f"/users/u{i}/inbox"),
         {"@context": "https://www.w3.org/ns/activitystreams",
          "id": f"{base}/posts/p{n}#create", "type": "Create", "actor": signer,
          "object": {"id": f"{base}/posts/p{n}", "type": "Note", "content": f"<p>{n}</p>"},
          "to": ["https://www.w3.org/ns/activitystreams#Public"]}, signer)
        for n in range(ACTIVITIES) for i in range(INBOXES))


@pytest.mark.server
@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_pending_deliveries_survive_restarts_and_arrive_exactly_once(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = dict(FAST)
    if backend == "redis":
        env["COMMUNECTER_QUEUE_URL"] = request.getfixturevalue("redis_url")
    port = free_port()
    signer = f"http://127.0.0.1:{port}/persons/alice"
    private = PrivateStore(data / "private.sqlite3")
    peer = InboxPeer(keys={key_id_for(signer): ActorKeys(private).public_pem(signer)},
                     port=free_port())  # not started: the peer is down
    queue = open_queue(env.get("COMMUNECTER_QUEUE_URL"), data)

    def state() -> tuple:
        return queue.counts(), queue.hosts(), Counter(r.status for r in peer.received)

    server = start_server(data, env=env, port=port)
    try:
        queue_many(queue, peer, signer)
        assert queue.counts()["pending"] == ACTIVITIES * INBOXES
        # the server's workers find the peer down and pause the host
        wait_for(lambda: queue.host_failures(f"127.0.0.1:{peer.port}") >= 3, 30,
                 "the server to find the peer down", state)
        stop_server(server)
        assert queue.counts()["pending"] == ACTIVITIES * INBOXES
        (host,) = queue.hosts()
        assert host.failed == 0 and "ConnectionFailed" in host.last_error

        peer.start()  # the peer is back, then the server
        server = start_server(data, env=env, port=port)
        wait_for(lambda: len(peer.received) >= 300, 60, "deliveries to start", state)
        stop_server(server)  # restarted again in the middle of it
        server = start_server(data, env=env, port=port)
        wait_for(lambda: queue.counts()["delivered"] == ACTIVITIES * INBOXES, 90,
                 "every delivery", state)
    finally:
        stop_server(server)
        peer.stop()
    arrived = Counter((r.activity["id"], r.path) for r in peer.received if r.status == 202)
    assert len(arrived) == ACTIVITIES * INBOXES
    assert max(arrived.values()) == 1, [k for k, v in arrived.items() if v > 1][:5]
    assert all(r.verified and r.format == "cavage" for r in peer.received)
    assert queue.counts() == {"pending": 0, "failed": 0, "delivered": ACTIVITIES * INBOXES}
    assert queue.hosts() == []


def test_the_worker_command_delivers_apart_from_serve(tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = "http://127.0.0.1:9/persons/alice"
    private = PrivateStore(data / "private.sqlite3")
    peer = InboxPeer(keys={key_id_for(signer): ActorKeys(private).public_pem(signer)}).start()
    queue = open_queue(None, data)
    queue.enqueue(peer.url("/inbox"), {"id": "http://127.0.0.1:9/posts/p#create",
                                       "type": "Create", "actor": signer}, signer)
    worker = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "worker", "--data", str(data), "--threads", "2"],
        cwd=ROOT, env={**os.environ, **FAST}, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: queue.counts()["delivered"] == 1, 30, "the worker to deliver")
        assert [r.activity["id"] for r in peer.received] == ["http://127.0.0.1:9/posts/p#create"]
    finally:
        worker.send_signal(signal.SIGTERM)
        _out, errors = worker.communicate(timeout=30)
        peer.stop()
    assert worker.returncode == 0, errors
    assert "2 sending threads" in errors
