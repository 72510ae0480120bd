"""Outbound federation: the durable queue of signed POSTs to remote inboxes.

    queue = open_queue(settings.queue_url, settings.data_dir)
    queue.enqueue(inbox, activity, signer)   # never POST in the request that caused it

`queue_url` is None (SQLite at `{data_dir}/deliveries.sqlite3`), `sqlite:///path`, or
`redis://host:port/db` (several machines sharing one queue). The worker (worker.py)
claims due items, signs each POST with the signer's key at send time and retries with
backoff (backoff.py); federation/outbound.py turns applied local activities into items,
for the inboxes recipients.py finds.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from federation.delivery.base import (
    CLAIM_SECONDS,
    PER_HOST,
    Delivery,
    DeliveryQueue,
    HostStatus,
    QueueError,
    canonical_json,
    delivery_key,
    host_of,
)

__all__ = [
    "CLAIM_SECONDS",
    "PER_HOST",
    "Delivery",
    "DeliveryQueue",
    "HostStatus",
    "QueueError",
    "canonical_json",
    "delivery_key",
    "host_of",
    "open_queue",
]

DEFAULT_FILE = "deliveries.sqlite3"


def open_queue(queue_url: str | None, data_dir: Path) -> DeliveryQueue:
    """The queue the settings name (COMMUNECTER_QUEUE_URL), SQLite in the data dir by
    default."""
    if not queue_url:
        from federation.delivery.sqlite_queue import SqliteDeliveryQueue

        return SqliteDeliveryQueue(Path(data_dir) / DEFAULT_FILE)
    parts = urlsplit(queue_url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise QueueError(f"sqlite queue URL without a path: {queue_url!r}")
        from federation.delivery.sqlite_queue import SqliteDeliveryQueue

        return SqliteDeliveryQueue(Path(path))
    if parts.scheme in ("redis", "rediss", "unix"):
        from federation.delivery.redis_queue import RedisDeliveryQueue

        return RedisDeliveryQueue(queue_url)
    raise QueueError(f"COMMUNECTER_QUEUE_URL must be sqlite:///path or redis://host:port/db, "
                     f"not {queue_url!r}")
