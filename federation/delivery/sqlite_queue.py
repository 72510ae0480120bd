"""The embedded delivery queue: one SQLite file in the data directory (WAL mode).

Every web worker process and `communecter worker` open the same file; a claim is one
`BEGIN IMMEDIATE` transaction (SQLite's write lock), so two processes never claim the
same item, and the per-host limit is counted inside that transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from federation.delivery.backoff import max_age
from federation.delivery.base import (
    CLAIM_SECONDS,
    KEEP_DELIVERED,
    Delivery,
    DeliveryQueue,
    HostStatus,
    NewDelivery,
    delivery_key,
)
from store.private import enable_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT PRIMARY KEY,
    activity_id TEXT NOT NULL,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    signer TEXT NOT NULL,
    body BLOB,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    claimed_until REAL NOT NULL DEFAULT 0,
    give_up_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt);
CREATE INDEX IF NOT EXISTS deliveries_host ON deliveries (host, state);
CREATE INDEX IF NOT EXISTS deliveries_in_flight ON deliveries (claimed_until, host)
    WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_finished ON deliveries (state, finished);
CREATE TABLE IF NOT EXISTS delivery_hosts (
    host TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    paused_until REAL NOT NULL DEFAULT 0,
    signature_format TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    last_success REAL
);
CREATE INDEX IF NOT EXISTS delivery_hosts_paused ON delivery_hosts (paused_until);
"""

SCAN = 256
"""Due items looked at per pass of a claim (in due order; hosts at their limit or paused
are left out of the next pass, three passes at most)."""


class SqliteDeliveryQueue(DeliveryQueue):
    def __init__(self, path: Path, per_host: int | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if per_host is not None:
            self.per_host = per_host
        self._local = threading.local()
        self._db().executescript(SCHEMA)

    # --- connections -------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            enable_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding SQLite's write lock from its start."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- the state machine ---------------------------------------------------------------

    def _insert(self, items: list[NewDelivery], now: float | None) -> int:
        now = time.time() if now is None else now
        if not items:
            return 0
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (key, activity_id, inbox, host, signer, body, "
                "next_attempt, give_up_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(i.key, i.activity_id, i.inbox, i.host, i.signer, i.body, now,
                  now + max_age(), now) for i in items])
            return db.total_changes - before

    def claim(self, limit: int = 1, now: float | None = None) -> list[Delivery]:
        """Due means `next_attempt <= now`: a claim moves `next_attempt` to the claim's
        end, so items in flight are not looked at again until their claim lapses."""
        now = time.time() if now is None else now
        until = now + CLAIM_SECONDS
        chosen: list[str] = []
        with self._write() as db:
            busy, paused = self._host_states(db, now)
            for _ in range(3):
                full = [h for h, n in busy.items() if n >= self.per_host] + list(paused)
                skip = f"AND host NOT IN ({','.join('?' * len(full))})" if full else ""
                rows = db.execute(
                    f"SELECT key, host FROM deliveries WHERE state = 'pending' AND "
                    f"next_attempt <= ? {skip} ORDER BY next_attempt LIMIT ?",
                    (now, *full, SCAN)).fetchall()
                for key, host in rows:
                    if host in paused:
                        db.execute("UPDATE deliveries SET next_attempt = ? WHERE key = ?",
                                   (paused[host], key))
                    elif busy.get(host, 0) < self.per_host:
                        busy[host] = busy.get(host, 0) + 1
                        chosen.append(key)
                        if len(chosen) == limit:
                            break
                if len(chosen) == limit or len(rows) < SCAN:
                    break
            if not chosen:
                return []
            marks = ",".join("?" * len(chosen))
            rows = db.execute(
                f"UPDATE deliveries SET claimed_until = ?, next_attempt = ?, "
                f"attempts = attempts + 1 WHERE key IN ({marks}) RETURNING key, activity_id, "
                f"inbox, host, signer, body, attempts, give_up_at",
                (until, until, *chosen)).fetchall()
        found = {row[0]: Delivery(row[0], row[1], row[2], row[3], row[4], bytes(row[5]),
                                  row[6], row[7]) for row in rows}
        return [found[key] for key in chosen if key in found]

    def _host_states(self, db: sqlite3.Connection, now: float) -> tuple[dict[str, int],
                                                                          dict[str, float]]:
        """How many items each host has in flight, and which hosts are paused (both read
        through small indexes: in-flight items and paused hosts are few)."""
        busy = dict(db.execute(
            "SELECT host, COUNT(*) FROM deliveries INDEXED BY deliveries_in_flight "
            "WHERE state = 'pending' AND claimed_until > ? GROUP BY host", (now,)).fetchall())
        paused = dict(db.execute(
            "SELECT host, paused_until FROM delivery_hosts WHERE paused_until > ?",
            (now,)).fetchall())
        return busy, paused

    def delivered(self, item: Delivery, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._write() as db:
            db.execute("UPDATE deliveries SET state = 'delivered', body = NULL, finished = ?, "
                       "claimed_until = 0, last_error = '' WHERE key = ? AND state = 'pending'",
                       (now, item.key))
            db.execute("INSERT INTO delivery_hosts (host, last_success) VALUES (?, ?) "
                       "ON CONFLICT (host) DO UPDATE SET failures = 0, paused_until = 0, "
                       "last_success = excluded.last_success", (item.host, now))

    def release(self, item: Delivery) -> None:
        with self._write() as db:
            db.execute("UPDATE deliveries SET claimed_until = 0, next_attempt = ?, "
                       "attempts = MAX(attempts - 1, 0) WHERE key = ? AND state = 'pending'",
                       (time.time(), item.key))

    def retry_later(self, item: Delivery, error: str, delay: float,
                    now: float | None = None) -> None:
        now = time.time() if now is None else now
        if now + delay > item.give_up_at:
            self.failed(item, f"gave up after {item.attempts} attempts: {error}", now)
            return
        with self._write() as db:
            db.execute("UPDATE deliveries SET next_attempt = ?, claimed_until = 0, "
                       "last_error = ? WHERE key = ? AND state = 'pending'",
                       (now + delay, error[:500], item.key))

    def failed(self, item: Delivery, error: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._write() as db:
            db.execute("UPDATE deliveries SET state = 'failed', claimed_until = 0, "
                       "finished = ?, last_error = ? WHERE key = ? AND state = 'pending'",
                       (now, error[:500], item.key))
            db.execute("INSERT INTO delivery_hosts (host, last_error) VALUES (?, ?) "
                       "ON CONFLICT (host) DO UPDATE SET last_error = excluded.last_error",
                       (item.host, error[:500]))

    def host_failed(self, host: str, error: str, pause: float,
                    now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._write() as db:
            row = db.execute(
                "INSERT INTO delivery_hosts (host, failures, last_error) VALUES (?, 1, ?) "
                "ON CONFLICT (host) DO UPDATE SET failures = failures + 1, "
                "last_error = excluded.last_error RETURNING failures",
                (host, error[:500])).fetchone()
            if pause > 0:
                db.execute("UPDATE delivery_hosts SET paused_until = ? WHERE host = ?",
                           (now + pause, host))
                # the host's due items wait for the pause's end instead of being looked
                # at (and passed over) by every claim meanwhile
                db.execute("UPDATE deliveries SET next_attempt = ? WHERE host = ? AND "
                           "state = 'pending' AND next_attempt < ?",
                           (now + pause, host, now + pause))
        return int(row[0])

    def host_failures(self, host: str) -> int:
        row = self._db().execute("SELECT failures FROM delivery_hosts WHERE host = ?",
                                 (host,)).fetchone()
        return int(row[0]) if row else 0

    def signature_format(self, host: str) -> str | None:
        row = self._db().execute("SELECT signature_format FROM delivery_hosts WHERE host = ?",
                                 (host,)).fetchone()
        return row[0] if row else None

    def remember_format(self, host: str, format: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO delivery_hosts (host, signature_format) VALUES (?, ?) "
                       "ON CONFLICT (host) DO UPDATE SET "
                       "signature_format = excluded.signature_format", (host, format))

    # --- reading ---------------------------------------------------------------------------

    def next_due(self, now: float | None = None) -> float | None:
        row = self._db().execute(
            "SELECT MIN(next_attempt) FROM deliveries WHERE state = 'pending'").fetchone()
        return row[0] if row and row[0] is not None else None

    def hosts(self) -> list[HostStatus]:
        now = time.time()
        rows = self._db().execute(
            "SELECT d.host, SUM(d.state = 'pending'), SUM(d.state = 'failed'), "
            "SUM(d.state = 'pending' AND d.claimed_until > ?), "
            "MIN(CASE WHEN d.state = 'pending' THEN d.next_attempt END), "
            "COALESCE(h.failures, 0), COALESCE(h.paused_until, 0), COALESCE(h.last_error, ''), "
            "h.last_success, h.signature_format "
            "FROM deliveries AS d LEFT JOIN delivery_hosts AS h ON h.host = d.host "
            "WHERE d.state IN ('pending', 'failed') GROUP BY d.host "
            "ORDER BY SUM(d.state = 'pending') DESC, SUM(d.state = 'failed') DESC, d.host",
            (now,)).fetchall()
        return [HostStatus(r[0], r[1], r[2], r[3], r[5], r[6], r[4], r[7], r[8], r[9])
                for r in rows]

    def retry_now(self, host: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._write() as db:
            changed = db.execute(
                "UPDATE deliveries SET next_attempt = ?, give_up_at = MAX(give_up_at, ?) "
                "WHERE host = ? AND state = 'pending' AND claimed_until <= ?",
                (now, now + max_age(), host, now)).rowcount
            changed += db.execute(
                "UPDATE deliveries SET state = 'pending', next_attempt = ?, claimed_until = 0, "
                "give_up_at = MAX(give_up_at, ?), finished = NULL "
                "WHERE host = ? AND state = 'failed'", (now, now + max_age(), host)).rowcount
            db.execute("UPDATE delivery_hosts SET paused_until = 0, failures = 0 "
                       "WHERE host = ?", (host,))
        return changed

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(("pending", "failed", "delivered"), 0)
        found.update(self._db().execute(
            "SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())
        return found

    def state_of(self, activity_id: str, inbox: str) -> str | None:
        row = self._db().execute("SELECT state FROM deliveries WHERE key = ?",
                                 (delivery_key(activity_id, inbox),)).fetchone()
        return row[0] if row else None

    def prune(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._write() as db:
            return db.execute("DELETE FROM deliveries WHERE state = 'delivered' AND "
                              "finished < ?", (now - KEEP_DELIVERED,)).rowcount
