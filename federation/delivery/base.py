"""The delivery queue's interface, shared by its SQLite and Redis backends.

Each item is one POST of one activity to one inbox, and a small durable state machine:

    pending ──claim──▶ in flight (claimed until T) ──2xx──▶ delivered
       ▲                   │
       └── retry later ◀───┤ (5xx, timeout, refused connection, 401/408/429…)
                           └──▶ failed (4xx that will not change, 410 Gone, too old)

A claim lapses at T: if the process that claimed an item dies while posting it, another
worker posts it again (at least once). An item is keyed by (activity id, inbox), and the
key is kept after delivery for a week, so enqueuing the same activity to the same inbox
again (a retried request, a restarted fan-out) posts nothing twice.

Per host, the queue keeps how many deliveries are in flight (at most `per_host` at once),
consecutive failures and a pause (see backoff), and which signature format the host
accepts (draft-cavage by default; RFC 9421 once a host has asked for it).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

CLAIM_SECONDS = 90.0
"""How long a claimed item is left to its worker: longer than two signed POSTs (double
knocking) under their time limits."""

PER_HOST = 4
KEEP_DELIVERED = 7 * 86400.0
STATES = ("pending", "delivered", "failed")


class QueueError(Exception):
    """The queue's backend failed or is misconfigured."""


def canonical_json(activity: dict) -> bytes:
    """The body we POST (and sign): compact, keys sorted, UTF-8."""
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def host_of(inbox: str) -> str:
    """The host an inbox lives on, as limits and pauses count it (`host[:port]`)."""
    parts = urlsplit(inbox)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) inbox URL: {inbox!r}")
    host = parts.hostname.lower()
    return f"{host}:{parts.port}" if parts.port else host


def delivery_key(activity_id: str, inbox: str) -> str:
    """The item's identity: one POST per (activity, inbox), ever."""
    return hashlib.sha256(f"{activity_id}\n{inbox}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Delivery:
    """One claimed item, as a worker sends it."""

    key: str
    activity_id: str
    inbox: str
    host: str
    signer: str
    body: bytes
    attempts: int
    give_up_at: float


@dataclass(frozen=True)
class HostStatus:
    """What the administrators' delivery view shows of one host."""

    host: str
    pending: int
    failed: int
    in_flight: int
    failures: int
    paused_until: float
    next_attempt: float | None
    last_error: str
    last_success: float | None
    signature_format: str | None


@dataclass(frozen=True)
class NewDelivery:
    """What enqueue keeps of one (activity, inbox, signer)."""

    key: str
    activity_id: str
    inbox: str
    host: str
    signer: str
    body: bytes

    @classmethod
    def of(cls, inbox: str, activity: dict, signer: str,
           body: bytes | None = None) -> NewDelivery:
        activity_id = activity.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            raise ValueError("an activity is delivered only with its id")
        return cls(delivery_key(activity_id, inbox), activity_id, inbox, host_of(inbox),
                   signer, body if body is not None else canonical_json(activity))


class DeliveryQueue(ABC):
    """Durable, shared by every process of the instance (web workers, `communecter
    worker`); every state change is one atomic step of the backend."""

    per_host: int = PER_HOST

    def enqueue(self, inbox: str, activity: dict, signer: str) -> None:
        """Queues one POST of `activity` to `inbox`, signed with `signer`'s key; nothing
        when that activity was already queued for that inbox."""
        self.enqueue_many([(inbox, activity, signer)])

    def enqueue_many(self, items: Iterable[tuple[str, dict, str]],
                     now: float | None = None) -> int:
        """Queues many at once (a fan-out); returns how many were new."""
        # a fan-out repeats one activity for every inbox: serialize it once (the activity
        # is kept with its body, so that its id() is not reused by another meanwhile)
        bodies: dict[int, tuple[dict, bytes]] = {}
        found = []
        for inbox, activity, signer in items:
            cached = bodies.get(id(activity))
            if cached is None or cached[0] is not activity:
                cached = bodies[id(activity)] = (activity, canonical_json(activity))
            found.append(NewDelivery.of(inbox, activity, signer, cached[1]))
        return self._insert(found, now)

    @abstractmethod
    def _insert(self, items: list[NewDelivery], now: float | None) -> int: ...

    @abstractmethod
    def claim(self, limit: int = 1, now: float | None = None) -> list[Delivery]:
        """Up to `limit` due items, now in flight for CLAIM_SECONDS: never more than
        `per_host` in flight per host, none of a paused host."""

    @abstractmethod
    def delivered(self, item: Delivery, now: float | None = None) -> None:
        """The peer took it (2xx); clears the host's failures and pause."""

    @abstractmethod
    def release(self, item: Delivery) -> None:
        """Gives a claimed item back unsent (a worker stopping before it got to it)."""

    @abstractmethod
    def retry_later(self, item: Delivery, error: str, delay: float,
                    now: float | None = None) -> None:
        """A failure that may pass: due again in `delay` seconds (or failed for good past
        its give-up time)."""

    @abstractmethod
    def failed(self, item: Delivery, error: str, now: float | None = None) -> None:
        """A failure that will not pass (the peer refused it, or it is too old)."""

    @abstractmethod
    def host_failed(self, host: str, error: str, pause: float,
                    now: float | None = None) -> int:
        """Counts one more failure in a row for `host` and pauses it for `pause` seconds
        (when > 0); returns the count. Its due items wait for the pause's end."""

    @abstractmethod
    def host_failures(self, host: str) -> int: ...

    @abstractmethod
    def signature_format(self, host: str) -> str | None:
        """The signature format that last worked with `host` ("cavage" | "rfc9421")."""

    @abstractmethod
    def remember_format(self, host: str, format: str) -> None: ...

    @abstractmethod
    def next_due(self, now: float | None = None) -> float | None:
        """When the earliest pending item may be claimed (a timestamp), or None."""

    @abstractmethod
    def hosts(self) -> list[HostStatus]:
        """Every host with pending or failed items, most pending first."""

    @abstractmethod
    def retry_now(self, host: str, now: float | None = None) -> int:
        """An administrator's "retry now": the host's pending and failed items are due at
        once, its pause is lifted; returns how many items that concerns."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Items by state: pending, failed, delivered (kept for deduplication)."""

    @abstractmethod
    def state_of(self, activity_id: str, inbox: str) -> str | None:
        """Where one (activity, inbox) stands: pending, delivered, failed, or None."""

    @abstractmethod
    def prune(self, now: float | None = None) -> int:
        """Forgets delivered items older than KEEP_DELIVERED; returns how many."""

    def close(self) -> None:  # noqa: B027 (optional for backends)
        """Releases connections."""
