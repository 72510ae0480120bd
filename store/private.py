"""The private store: secrets that must never reach LDP, SPARQL or ActivityPub.

Tokens (and later e-mails, password hashes, private keys) live in SQLite in the data
directory, apart from the RDF dataset, so that no query over the public store can ever
reach them. Only hashes of bearer tokens are kept: a stolen database yields no token.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    actor TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_actor ON tokens (actor);
"""


def enable_wal(db: sqlite3.Connection) -> None:
    """WAL lets several worker processes read while one writes; switching to it needs a
    moment of exclusive access, which workers starting together may have to wait for."""
    for attempt in range(50):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            time.sleep(0.05 * (attempt + 1))
    db.execute("PRAGMA journal_mode=WAL")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PrivateStore:
    """SQLite-backed secrets; safe to share between processes (WAL mode)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        if path is None:
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory.executescript(SCHEMA)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                db.executescript(SCHEMA)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for the private tables of other modules (accounts…)."""
        return self._connection()

    def ensure_schema(self, script: str) -> None:
        with self._connection() as db:
            db.executescript(script)

    def _connection(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA secure_delete = ON")  # erased personal data leaves no trace
            enable_wal(db)
            self._local.db = db
        return db

    def issue_token(self, actor: str, label: str = "") -> str:
        """Creates a bearer token for `actor`; the token itself is returned once, never stored."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat()
        with self._connection() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, actor, label, created) VALUES (?, ?, ?, ?)",
                (_hash(token), actor, label, now),
            )
        return token

    def actor_for_token(self, token: str) -> str | None:
        row = self._connection().execute(
            "SELECT actor FROM tokens WHERE token_hash = ?", (_hash(token),)
        ).fetchone()
        return row[0] if row else None

    def revoke_tokens(self, actor: str) -> int:
        with self._connection() as db:
            return db.execute("DELETE FROM tokens WHERE actor = ?", (actor,)).rowcount
