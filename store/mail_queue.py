"""The durable outgoing mail queue: a table of the private store.

Why a table of our own rather than huey's SqliteHuey: a queued mail holds an e-mail
address, which is personal data. In the private store it is erased with the account
(store.accounts sweeps every private table), it is covered by the same backups and the
same `secure_delete`, and it needs no separate consumer process: each web worker process
drains it from a thread, and several processes can share it because claiming a mail is a
single atomic UPDATE. Huey would add a second SQLite file holding pickled task payloads
(the address among them) outside the private store, and a consumer to run beside `serve`.

Each row is a complete RFC 5322 message. A mail is claimed for a while (``claimed_until``)
before it is sent: if the process dies while sending, the claim lapses and another worker
sends it again (at least once, never lost). A failed attempt is retried with exponential
backoff; after MAX_ATTEMPTS the mail stays in the table as ``failed`` for the operator.
This module knows no SMTP: web/mail.py sends what it claims.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS mail_queue_due ON mail_queue (state, next_attempt);
"""

MAX_ATTEMPTS = 10
CLAIM_SECONDS = 120.0


def backoff(attempts: int) -> float:
    """Seconds to wait after the given number of failed attempts: 30 s, 1 min, 2 min…
    up to one hour."""
    return min(30.0 * 2 ** max(attempts - 1, 0), 3600.0)


@dataclass(frozen=True)
class QueuedMail:
    id: int
    recipient: str
    message: bytes
    attempts: int


class MailQueue:
    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        private.ensure_schema(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = self.private.connection()
        db.execute("PRAGMA secure_delete = ON")
        return db

    def put(self, recipient: str, message: bytes, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO mail_queue (recipient, message, next_attempt, created) "
                "VALUES (?, ?, ?, ?)", (recipient, message, now, now))
        return int(cursor.lastrowid or 0)

    def claim(self, now: float | None = None) -> QueuedMail | None:
        """The next mail due, now claimed by the caller for CLAIM_SECONDS."""
        now = time.time() if now is None else now
        with self._db() as db:
            row = db.execute(
                "UPDATE mail_queue SET claimed_until = ?, attempts = attempts + 1 "
                "WHERE id = (SELECT id FROM mail_queue WHERE state = 'pending' "
                "AND next_attempt <= ? AND claimed_until <= ? ORDER BY next_attempt, id "
                "LIMIT 1) RETURNING id, recipient, message, attempts",
                (now + CLAIM_SECONDS, now, now)).fetchone()
        return QueuedMail(row[0], row[1], bytes(row[2]), row[3]) if row else None

    def sent(self, mail_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM mail_queue WHERE id = ?", (mail_id,))

    def failed(self, mail: QueuedMail, error: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        state = "failed" if mail.attempts >= MAX_ATTEMPTS else "pending"
        with self._db() as db:
            db.execute(
                "UPDATE mail_queue SET state = ?, next_attempt = ?, claimed_until = 0, "
                "last_error = ? WHERE id = ?",
                (state, now + backoff(mail.attempts), error[:500], mail.id))

    def next_due(self) -> float | None:
        """When the earliest pending mail is due (a timestamp), or None."""
        row = self._db().execute(
            "SELECT MIN(MAX(next_attempt, claimed_until)) FROM mail_queue "
            "WHERE state = 'pending'").fetchone()
        return row[0] if row and row[0] is not None else None

    def counts(self) -> dict[str, int]:
        return dict(self._db().execute(
            "SELECT state, COUNT(*) FROM mail_queue GROUP BY state").fetchall())

    def forget(self, recipient: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM mail_queue WHERE recipient = ? COLLATE NOCASE",
                       (recipient,))
