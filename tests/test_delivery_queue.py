"""The delivery queue's state machine, the same tests on SQLite and on a real Redis.

What an operator relies on: a delivery is queued once per (activity, inbox); no two
workers get the same item; no host gets more than its share at once; a failure comes back
after its backoff, a crashed worker's claim comes back after it lapses, a dead host is
left alone for a while; given-up deliveries stay visible and can be retried."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from federation.delivery import CLAIM_SECONDS, DeliveryQueue, open_queue
from federation.delivery.backoff import SCHEDULE, host_pause, max_age, retry_delay

T0 = 2_000_000_000.0  # a fixed "now" (the queue takes `now` everywhere)
SIGNER = "http://communecter.test/persons/alice"


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> DeliveryQueue:
    if request.param == "sqlite":
        found = open_queue(None, tmp_path)
    else:
        found = open_queue(request.getfixturevalue("redis_url"), tmp_path)
    yield found
    found.close()


def activity(n: int) -> dict:
    return {"id": f"http://communecter.test/posts/p{n}#create", "type": "Create",
            "actor": SIGNER, "object": f"http://communecter.test/posts/p{n}"}


def fill(queue: DeliveryQueue, activities: int, hosts: int, inboxes: int = 1) -> int:
    return queue.enqueue_many(
        [(f"http://peer{h}.test/users/u{i}/inbox", activity(a), SIGNER)
         for a in range(activities) for h in range(hosts) for i in range(inboxes)], now=T0)


def test_open_queue_by_url(tmp_path: Path, redis_url: str) -> None:
    assert type(open_queue(None, tmp_path)).__name__ == "SqliteDeliveryQueue"
    assert (tmp_path / "deliveries.sqlite3").exists()
    other = tmp_path / "elsewhere" / "q.sqlite3"
    assert type(open_queue(f"sqlite://{other}", tmp_path)).__name__ == "SqliteDeliveryQueue"
    assert other.exists()
    assert type(open_queue(redis_url, tmp_path)).__name__ == "RedisDeliveryQueue"
    with pytest.raises(Exception, match="COMMUNECTER_QUEUE_URL"):
        open_queue("amqp://somewhere", tmp_path)


def test_each_activity_goes_once_to_each_inbox(queue: DeliveryQueue) -> None:
    assert fill(queue, activities=3, hosts=2) == 6
    assert fill(queue, activities=3, hosts=2) == 0  # a repeated fan-out queues nothing
    queue.enqueue("http://peer0.test/users/u0/inbox", activity(0), SIGNER)
    assert queue.counts() == {"pending": 6, "failed": 0, "delivered": 0}
    claimed = queue.claim(10, now=T0)
    assert len(claimed) == 6
    assert len({(c.activity_id, c.inbox) for c in claimed}) == 6
    for item in claimed:
        queue.delivered(item, now=T0 + 1)
    assert fill(queue, activities=3, hosts=2) == 0  # delivered ones are remembered too
    assert queue.counts() == {"pending": 0, "failed": 0, "delivered": 6}
    assert queue.claim(10, now=T0 + 10_000) == []
    assert queue.state_of(activity(1)["id"], "http://peer1.test/users/u0/inbox") == "delivered"


def test_the_body_is_the_canonical_json_and_the_signer_kept(queue: DeliveryQueue) -> None:
    queue.enqueue("https://peer.test/inbox", {"type": "Like", "id": "http://x.test/#l",
                                              "actor": SIGNER, "name": "é"}, SIGNER)
    (item,) = queue.claim(1, now=T0 + 1)
    expected = f'{{"actor":"{SIGNER}","id":"http://x.test/#l","name":"é","type":"Like"}}'
    assert item.body == expected.encode()
    assert (item.host, item.signer, item.attempts) == ("peer.test", SIGNER, 1)


def test_at_most_four_in_flight_per_host(queue: DeliveryQueue) -> None:
    fill(queue, activities=10, hosts=1)
    fill(queue, activities=2, hosts=3)  # peer0 (again, deduplicated), peer1, peer2
    first = queue.claim(50, now=T0)
    by_host: dict[str, int] = {}
    for item in first:
        by_host[item.host] = by_host.get(item.host, 0) + 1
    assert by_host == {"peer0.test": 4, "peer1.test": 2, "peer2.test": 2}
    assert queue.claim(50, now=T0 + 1) == []  # peer0 is at its limit
    queue.delivered(first[0] if first[0].host == "peer0.test" else
                    next(i for i in first if i.host == "peer0.test"), now=T0 + 2)
    again = queue.claim(50, now=T0 + 3)
    assert [i.host for i in again] == ["peer0.test"]


def test_concurrent_claimers_never_share_an_item(queue: DeliveryQueue) -> None:
    fill(queue, activities=25, hosts=8)  # 200 items
    got: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        while True:
            items = queue.claim(3, now=T0)
            if not items:
                return
            with lock:
                got.extend(i.key for i in items)
            for item in items:
                queue.delivered(item, now=T0)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(got) == 200
    assert len(set(got)) == 200
    assert queue.counts()["delivered"] == 200


def test_a_failure_waits_for_its_backoff(queue: DeliveryQueue) -> None:
    fill(queue, activities=1, hosts=1)
    (item,) = queue.claim(1, now=T0)
    queue.retry_later(item, "HTTP 503", retry_delay(item.attempts, jitter=False), now=T0)
    assert queue.claim(1, now=T0 + SCHEDULE[0] - 1) == []
    assert queue.next_due() == pytest.approx(T0 + SCHEDULE[0])
    (again,) = queue.claim(1, now=T0 + SCHEDULE[0])
    assert again.attempts == 2
    assert [(h.pending, h.in_flight) for h in queue.hosts()] == [(1, 1)]


def test_the_schedule_grows_to_days_and_gives_up_after_a_week() -> None:
    delays = [retry_delay(n, jitter=False) for n in range(1, 12)]
    assert delays[:4] == [60.0, 300.0, 1800.0, 7200.0]
    assert delays == sorted(delays) and delays[-1] == 86400.0
    assert max_age() == 7 * 86400.0
    assert host_pause(1) == 0 and host_pause(2) == 0
    assert 0 < host_pause(3) < host_pause(4) < host_pause(30) == 6 * 3600.0


def test_past_the_give_up_time_a_delivery_fails_for_good(queue: DeliveryQueue) -> None:
    fill(queue, activities=1, hosts=1)
    (item,) = queue.claim(1, now=T0 + max_age() - 10)
    queue.retry_later(item, "HTTP 502", 60.0, now=T0 + max_age() - 10)
    assert queue.counts()["failed"] == 1
    (host,) = queue.hosts()
    assert host.failed == 1 and "gave up after 1 attempts: HTTP 502" in host.last_error


def test_a_lapsed_claim_comes_back(queue: DeliveryQueue) -> None:
    """A worker that died while posting: its item is sent again (at least once)."""
    fill(queue, activities=1, hosts=1)
    (item,) = queue.claim(1, now=T0)
    assert queue.claim(1, now=T0 + CLAIM_SECONDS - 1) == []
    (again,) = queue.claim(1, now=T0 + CLAIM_SECONDS + 1)
    assert again.key == item.key and again.attempts == 2


def test_a_dead_host_is_paused_and_others_go_on(queue: DeliveryQueue) -> None:
    fill(queue, activities=3, hosts=2)
    items = queue.claim(10, now=T0)
    dead = [i for i in items if i.host == "peer0.test"]
    for count, item in enumerate(dead, start=1):
        assert queue.host_failed("peer0.test", "connection refused", host_pause(count),
                                 now=T0) == count
        queue.retry_later(item, "connection refused", 1.0, now=T0)
    assert queue.host_failures("peer0.test") == 3
    pause = host_pause(3)
    for item in (i for i in items if i.host == "peer1.test"):
        queue.retry_later(item, "HTTP 500", 1.0, now=T0)
    later = queue.claim(10, now=T0 + 2)
    assert {i.host for i in later} == {"peer1.test"}
    for item in later:
        queue.delivered(item, now=T0 + 2)
    status = {h.host: h for h in queue.hosts()}
    assert status["peer0.test"].paused_until == pytest.approx(T0 + pause)
    assert status["peer0.test"].failures == 3
    assert "connection refused" in status["peer0.test"].last_error
    back = queue.claim(10, now=T0 + pause + 1)
    assert {i.host for i in back} == {"peer0.test"} and len(back) == 3
    queue.delivered(back[0], now=T0 + pause + 2)  # one success lifts the pause
    assert queue.host_failures("peer0.test") == 0


def test_failed_for_good_then_retried_by_an_administrator(queue: DeliveryQueue) -> None:
    fill(queue, activities=2, hosts=1)
    first, second = queue.claim(2, now=T0)
    queue.failed(first, "HTTP 403: forbidden", now=T0)
    queue.host_failed("peer0.test", "HTTP 503", 3600.0, now=T0)
    queue.retry_later(second, "HTTP 503", 3600.0, now=T0)
    (host,) = queue.hosts()
    assert (host.pending, host.failed, host.in_flight) == (1, 1, 0)
    assert queue.claim(5, now=T0 + 10) == []
    assert queue.retry_now("peer0.test", now=T0 + 10) == 2
    assert {i.key for i in queue.claim(5, now=T0 + 10)} == {first.key, second.key}
    assert queue.counts()["failed"] == 0


def test_the_signature_format_is_remembered_per_host(queue: DeliveryQueue) -> None:
    assert queue.signature_format("peer.test") is None
    queue.remember_format("peer.test", "rfc9421")
    assert queue.signature_format("peer.test") == "rfc9421"
    assert queue.signature_format("other.test") is None


def test_pruning_forgets_only_old_deliveries(queue: DeliveryQueue) -> None:
    fill(queue, activities=2, hosts=1)
    old, recent = queue.claim(2, now=T0)
    queue.delivered(old, now=T0)
    queue.delivered(recent, now=T0 + 6 * 86400)
    assert queue.prune(now=T0 + 7 * 86400 + 1) == 1
    assert queue.counts()["delivered"] == 1


def test_a_bad_inbox_or_activity_is_refused_before_anything_is_queued(
        queue: DeliveryQueue) -> None:
    with pytest.raises(ValueError):
        queue.enqueue("ftp://peer.test/inbox", activity(1), SIGNER)
    with pytest.raises(ValueError):
        queue.enqueue("https://peer.test/inbox", {"type": "Create"}, SIGNER)
    assert queue.counts()["pending"] == 0


def test_a_worker_stopping_gives_back_what_it_did_not_send(queue: DeliveryQueue) -> None:
    fill(queue, activities=1, hosts=1)
    (item,) = queue.claim(1, now=T0)
    queue.release(item)
    (again,) = queue.claim(1, now=T0 + 1)  # at once, not after the claim would lapse
    assert again.key == item.key and again.attempts == 1


def test_each_activity_keeps_its_own_body_in_a_generated_fan_out(
        queue: DeliveryQueue) -> None:
    """Activities built on the fly (a generator) each keep their own body."""
    queue.enqueue_many((f"http://peer.test/u{n}/inbox", activity(n), SIGNER)
                       for n in range(50))
    bodies = {}
    while True:
        items = queue.claim(4, now=T0 + 10 ** 6)
        if not items:
            break
        for item in items:
            bodies[item.inbox] = json.loads(item.body)["id"]
            queue.delivered(item, now=T0 + 10 ** 6)
    assert bodies == {f"http://peer.test/u{n}/inbox": activity(n)["id"] for n in range(50)}
