"""Outbound federation in the web processes: fan-out wired to the activity handler, and
the delivery worker threads that drain the queue (federation.delivery).

Each `serve` worker process runs one `DeliveryWorker` (a claiming thread and
COMMUNECTER_DELIVERY_THREADS sending threads, 4 by default; idle, it looks at the queue
every COMMUNECTER_DELIVERY_POLL seconds, 2 by default); they share the queue with
every other process, and `communecter worker` runs the same loop alone for deployments
that keep background work apart (then set COMMUNECTER_DELIVERY_WORKER=0 for `serve`).
With the in-memory private store (throw-away instances, in-process tests) no worker
starts: activities are still queued, and `deliver_now(app)` sends what is due.

A graceful stop (SIGTERM to gunicorn, Ctrl-C to `communecter worker`) lets the attempts in
flight finish and be recorded, so that a restart posts nothing twice.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading

from flask import Flask

from federation import outbound
from federation.actor_keys import ActorKeys
from federation.delivery import DeliveryQueue
from federation.delivery.signing import KeyRing
from federation.delivery.worker import DeliveryWorker, Sender, deliver_due
from store.private import PrivateStore
from web.settings import Settings

logger = logging.getLogger(__name__)

THREADS_ENV = "COMMUNECTER_DELIVERY_THREADS"
POLL_ENV = "COMMUNECTER_DELIVERY_POLL"
WORKER_ENV = "COMMUNECTER_DELIVERY_WORKER"
DEFAULT_THREADS = 4

_WORKERS: dict[str, DeliveryWorker] = {}
_LOCK = threading.Lock()


def make_sender(settings: Settings, private: PrivateStore, queue: DeliveryQueue) -> Sender:
    """A sender signing with the instance's actor keys, under its domain policies."""
    keys = KeyRing(ActorKeys(private).private_pem)
    try:
        from federation.moderation import domain_policy
    except ImportError:  # pragma: no cover
        policy = None
    else:

        def policy(host: str) -> str | None:
            return domain_policy(private, host)

    return Sender(queue, keys, settings.allow_private_addresses, policy)


def threads() -> int:
    try:
        return max(1, int(os.environ.get(THREADS_ENV, DEFAULT_THREADS)))
    except ValueError:
        return DEFAULT_THREADS


def poll_seconds() -> float:
    """How often an idle worker looks at the queue for what other processes queued
    (COMMUNECTER_DELIVERY_POLL, 2 s; its own process wakes it at once)."""
    try:
        return min(max(float(os.environ.get(POLL_ENV, 2.0)), 0.05), 60.0)
    except ValueError:
        return 2.0


def start_worker(settings: Settings, private: PrivateStore,
                 queue: DeliveryQueue) -> DeliveryWorker:
    """Starts (once per queue in this process) a worker on `queue`; stopped at exit."""
    key = f"{settings.queue_url or settings.data_dir.resolve()}"
    with _LOCK:
        worker = _WORKERS.get(key)
        if worker is None or not worker.is_alive():
            data_dir = settings.data_dir
            worker = DeliveryWorker(queue, make_sender(settings, private, queue),
                                    concurrency=threads(), poll=poll_seconds(),
                                    while_=data_dir.exists).start()
            _WORKERS[key] = worker
            atexit.register(worker.stop)
    return worker


def init_app(app: Flask) -> None:
    """Wires fan-out for the app's handler and starts this process's worker (unless the
    private store lives in memory, or COMMUNECTER_DELIVERY_WORKER=0)."""
    site = app.extensions["communecter"]
    worker: list[DeliveryWorker] = []

    def wake() -> None:
        if worker:
            worker[0].wake()

    outbound.wire(site.activities, lambda: site.deliveries, site.private, wake)
    if site.private.path is None or os.environ.get(WORKER_ENV) == "0":
        return
    worker.append(start_worker(site.settings, site.private, site.deliveries))


def deliver_now(app: Flask, limit: int = 1000) -> int:
    """Sends what is due at once in this thread (instances without a worker)."""
    site = app.extensions["communecter"]
    sender = make_sender(site.settings, site.private, site.deliveries)
    return deliver_due(site.deliveries, sender, limit)


def wake_workers() -> None:
    """Tells this process's workers to look at the queue now (after a "retry now")."""
    with _LOCK:
        workers = list(_WORKERS.values())
    for worker in workers:
        worker.wake()


def run_worker(settings: Settings, sending_threads: int | None = None) -> int:
    """`communecter worker`: deliveries (and queued mail) until SIGTERM or Ctrl-C, then
    a graceful stop."""
    from federation.delivery import open_queue
    from store.mail_queue import MailQueue
    from web.mail import MailWorker

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    private = PrivateStore(settings.data_dir / "private.sqlite3")
    queue = open_queue(settings.queue_url, settings.data_dir)
    delivery = DeliveryWorker(queue, make_sender(settings, private, queue),
                              concurrency=sending_threads or threads(),
                              poll=poll_seconds()).start()
    mail = MailWorker(settings, MailQueue(private))
    mail.start()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    where = settings.queue_url or settings.data_dir / "deliveries.sqlite3"
    print(f"communecter worker: deliveries from {where}, {delivery.concurrency} sending "
          f"threads; mail from {settings.data_dir}", file=sys.stderr, flush=True)
    while not stopping.wait(1.0):
        if not delivery.is_alive():
            print("communecter worker: the delivery worker stopped", file=sys.stderr)
            return 1
    delivery.stop()
    mail.stop()
    queue.close()
    return 0
