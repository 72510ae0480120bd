"""Accounts: the private side of a citizen (e-mail, password hash, settings, links sent by
mail, rate limits, profile fields that are not public, uploaded files, and the erasure of
all of it).

An account links a login (e-mail) to a public actor IRI (the citizen's resource). All of
it lives in the private store: nothing here ever reaches RDF, SPARQL or ActivityPub.

- ``accounts``: one row per person. ``id`` is AUTOINCREMENT so that the id of a deleted
  account is never given again: a session cookie of a deleted account stays dead.
- ``account_links``: the single-use links sent by mail (sign-up confirmation, log-in).
  Only the SHA-256 of a link's token is kept; a used link keeps its hash (to tell
  "already used" from "unknown") but forgets the e-mail it was sent to.
- ``rate_events``: one row per counted request, keyed by a hash (never an e-mail).
- ``profile_fields``: which audience each profile field has (public, members, private)
  and, for fields that are not public, their value. Public values live in RDF only.
- ``uploads``: files under {data_dir}/uploads, their owner and audience.

Deleted rows are overwritten (``PRAGMA secure_delete``) so that erased personal data does
not linger in free pages of the database file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    actor TEXT NOT NULL UNIQUE,
    commune TEXT NOT NULL,
    password_hash TEXT,
    locale TEXT NOT NULL DEFAULT 'fr',
    is_admin INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    confirmed TEXT
);
CREATE TABLE IF NOT EXISTS account_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    expires REAL NOT NULL,
    used REAL
);
CREATE INDEX IF NOT EXISTS account_links_expires ON account_links (expires);
CREATE TABLE IF NOT EXISTS rate_events (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key ON rate_events (key, at);
CREATE TABLE IF NOT EXISTS profile_fields (
    actor TEXT NOT NULL,
    name TEXT NOT NULL,
    audience TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (actor, name)
);
CREATE TABLE IF NOT EXISTS uploads (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    audience TEXT NOT NULL DEFAULT 'public',
    purpose TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_owner ON uploads (owner);
"""

AUDIENCES = ("public", "members", "private")


@dataclass
class Account:
    id: int
    email: str
    actor: str
    commune: str
    password_hash: str | None
    locale: str
    is_admin: bool
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    confirmed: str | None = None


def _row(row: sqlite3.Row | tuple | None) -> Account | None:
    if row is None:
        return None
    (id_, email, actor, commune, password_hash, locale, is_admin, settings, created,
     confirmed) = row
    return Account(id_, email, actor, commune, password_hash, locale, bool(is_admin),
                   json.loads(settings or "{}"), created, confirmed)


COLUMNS = ("id, email, actor, commune, password_hash, locale, is_admin, settings, created, "
           "confirmed")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_key(email: str) -> str:
    """A stand-in for an e-mail address where only equality matters (rate limits)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Accounts:
    """The accounts table of the private store, and the private tables around it."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        private.ensure_schema(SCHEMA)
        self._never_reuse_ids()

    def _never_reuse_ids(self) -> None:
        """Data directories made before accounts.id was AUTOINCREMENT get their table
        rebuilt once, so that a deleted account's id (in old session cookies) is never
        given to somebody else."""
        db = self.private.connection()
        found = db.execute("SELECT sql FROM sqlite_master WHERE name = 'accounts'").fetchone()
        if found is None or "AUTOINCREMENT" in found[0].upper():
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            found = db.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'accounts'").fetchone()
            if "AUTOINCREMENT" not in found[0].upper():  # not done by another process
                db.execute(SCHEMA.split(";")[0].replace("accounts (", "accounts_new (", 1))
                db.execute(f"INSERT INTO accounts_new ({COLUMNS}) "
                           f"SELECT {COLUMNS} FROM accounts")
                db.execute("DROP TABLE accounts")
                db.execute("ALTER TABLE accounts_new RENAME TO accounts")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _db(self) -> sqlite3.Connection:
        db = self.private.connection()
        db.execute("PRAGMA secure_delete = ON")
        return db

    # --- accounts ---------------------------------------------------------------------

    def by_id(self, account_id: int) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE id = ?", (account_id,)).fetchone())

    def by_email(self, email: str) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE email = ?", (email.strip(),)).fetchone())

    def by_actor(self, actor: str) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE actor = ?", (actor,)).fetchone())

    def create(self, email: str, actor: str, commune: str, locale: str = "fr",
               confirmed: bool = False) -> Account:
        now = datetime.now(UTC).isoformat()
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO accounts (email, actor, commune, locale, created, confirmed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (email.strip(), actor, commune, locale, now, now if confirmed else None))
        account = self.by_id(int(cursor.lastrowid or 0))
        assert account is not None
        return account

    def update(self, account_id: int, **changes: Any) -> None:
        allowed = {"email", "commune", "password_hash", "locale", "is_admin", "settings",
                   "confirmed"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        if "settings" in changes:
            changes["settings"] = json.dumps(changes["settings"])
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._db() as db:
            db.execute(f"UPDATE accounts SET {assignments} WHERE id = ?",
                       (*changes.values(), account_id))

    def delete(self, account_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))

    # --- links sent by mail --------------------------------------------------------------

    def issue_link(self, purpose: str, email: str, data: dict[str, Any], lifetime: float,
                   now: float | None = None) -> str:
        """A fresh single-use token for a link; only its hash is kept. Old links are
        purged on the way (their rows hold e-mails that are no longer needed)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("DELETE FROM account_links WHERE expires < ?", (now - 7 * 86400,))
            db.execute("UPDATE account_links SET email = '', data = '{}' "
                       "WHERE expires < ? AND email != ''", (now,))
            db.execute(
                "INSERT INTO account_links (token_hash, purpose, email, data, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash(token), purpose, email, json.dumps(data), now, now + lifetime))
        return token

    def use_link(self, purpose: str, token: str,
                 now: float | None = None) -> tuple[str, str | None, dict[str, Any]]:
        """Consumes a link: ("ok", email, data), or ("expired" | "used" | "unknown", None,
        {}). Consuming is atomic: of two requests with the same link, one wins."""
        now = time.time() if now is None else now
        digest = token_hash(token)
        row = None
        with self._db() as db:
            won = db.execute(
                "UPDATE account_links SET used = ? "
                "WHERE token_hash = ? AND purpose = ? AND used IS NULL",
                (now, digest, purpose)).rowcount == 1
            if won:
                row = db.execute("SELECT email, data, expires FROM account_links "
                                 "WHERE token_hash = ?", (digest,)).fetchone()
                db.execute("UPDATE account_links SET email = '', data = '{}' "
                           "WHERE token_hash = ?", (digest,))
        if row is not None:
            email, data, expires = row
            if expires < now or not email:
                return "expired", None, {}
            return "ok", email, json.loads(data or "{}")
        known = self._db().execute(
            "SELECT used, expires FROM account_links WHERE token_hash = ? AND purpose = ?",
            (digest, purpose)).fetchone()
        if known is None:
            return "unknown", None, {}
        used, expires = known
        return ("expired" if expires < used else "used"), None, {}

    def expire_link(self, token: str) -> None:
        """Ends a link's life now (tests and operators)."""
        with self._db() as db:
            db.execute("UPDATE account_links SET expires = ? WHERE token_hash = ?",
                       (time.time() - 1, token_hash(token)))

    # --- rate limits -------------------------------------------------------------------

    def rate_check(self, keys: list[tuple[str, int, float]],
                   now: float | None = None) -> float | None:
        """Counts one request under each key (key, limit, window in seconds) unless one
        is over its limit; then nothing is counted and the answer is when to retry
        (a timestamp). None means the request may go on."""
        now = time.time() if now is None else now
        retry_at = None
        with self._db() as db:
            db.execute("DELETE FROM rate_events WHERE at < ?", (now - 86400,))
            for key, limit, window in keys:
                rows = db.execute(
                    "SELECT at FROM rate_events WHERE key = ? AND at > ? ORDER BY at",
                    (key, now - window)).fetchall()
                if len(rows) >= limit:
                    # the oldest counted request leaves the window first
                    free_at = rows[len(rows) - limit][0] + window
                    retry_at = max(retry_at or 0, free_at)
            if retry_at is None:
                db.executemany("INSERT INTO rate_events (key, at) VALUES (?, ?)",
                               [(key, now) for key, _, _ in keys])
        return retry_at

    # --- profile fields --------------------------------------------------------------------

    def profile_fields(self, actor: str) -> dict[str, tuple[str, Any]]:
        """name → (audience, value); value is None for public fields (they are in RDF)."""
        rows = self._db().execute(
            "SELECT name, audience, value FROM profile_fields WHERE actor = ?",
            (actor,)).fetchall()
        return {name: (audience, json.loads(value) if value is not None else None)
                for name, audience, value in rows}

    def save_profile_fields(self, actor: str, fields: dict[str, tuple[str, Any]]) -> None:
        """Replaces the given fields' audience and (non-public) value in one transaction."""
        with self._db() as db:
            for name, (audience, value) in fields.items():
                if audience not in AUDIENCES:
                    raise ValueError(f"unknown audience {audience!r}")
                stored = None if audience == "public" else json.dumps(value)
                db.execute(
                    "INSERT INTO profile_fields (actor, name, audience, value) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (actor, name) DO UPDATE SET "
                    "audience = excluded.audience, value = excluded.value",
                    (actor, name, audience, stored))

    # --- uploads ------------------------------------------------------------------------

    def add_upload(self, name: str, owner: str, audience: str = "public",
                   purpose: str = "") -> None:
        with self._db() as db:
            db.execute("INSERT INTO uploads (name, owner, audience, purpose, created) "
                       "VALUES (?, ?, ?, ?, ?)", (name, owner, audience, purpose, time.time()))

    def upload(self, name: str) -> tuple[str, str] | None:
        """(owner, audience) of an uploaded file, or None."""
        row = self._db().execute("SELECT owner, audience FROM uploads WHERE name = ?",
                                 (name,)).fetchone()
        return (row[0], row[1]) if row else None

    def set_upload_audience(self, name: str, audience: str) -> None:
        with self._db() as db:
            db.execute("UPDATE uploads SET audience = ? WHERE name = ?", (audience, name))

    def uploads_of(self, owner: str) -> list[tuple[str, str]]:
        """(name, purpose) of each file the owner uploaded."""
        return [(row[0], row[1]) for row in self._db().execute(
            "SELECT name, purpose FROM uploads WHERE owner = ?", (owner,)).fetchall()]

    def disown_upload(self, name: str) -> None:
        """Keeps a public file (a picture of a kept contribution) with no owner."""
        with self._db() as db:
            db.execute("UPDATE uploads SET owner = '', audience = 'public' WHERE name = ?",
                       (name,))

    def remove_upload(self, name: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM uploads WHERE name = ?", (name,))

    # --- erasure -------------------------------------------------------------------------

    def erase(self, account: Account) -> None:
        """Removes every private trace of the account, in one transaction: first what other
        parts of the platform registered with `personal_data_eraser` (they may anonymise
        rather than delete, e.g. keep a moderation report without its reporter), then its
        links, rate-limit entries, profile fields, uploads' records, bearer tokens and its
        row, and last, as a safety net, every row of any private table that still holds
        the e-mail address or has the actor IRI as a whole column value (notifications,
        pending memberships…). Deleted content is overwritten (secure_delete) and the
        write-ahead log is checkpointed, so that no copy lingers in the files."""
        email, actor = account.email, account.actor
        db = self._db()
        with db:
            for eraser in _ERASERS:
                eraser(db, account)
            db.execute("DELETE FROM account_links WHERE email = ? COLLATE NOCASE", (email,))
            db.execute("DELETE FROM rate_events WHERE key LIKE ?", (f"%{email_key(email)}",))
            db.execute("DELETE FROM profile_fields WHERE actor = ?", (actor,))
            db.execute("DELETE FROM uploads WHERE owner = ?", (actor,))
            db.execute("DELETE FROM tokens WHERE actor = ?", (actor,))
            db.execute("DELETE FROM accounts WHERE id = ?", (account.id,))
            _sweep(db, email, actor)
        checkpoint(db)


PersonalDataEraser = Callable[[sqlite3.Connection, Account], None]
_ERASERS: list[PersonalDataEraser] = []


def personal_data_eraser(function: PersonalDataEraser) -> PersonalDataEraser:
    """Registers what another part of the platform must erase when an account is deleted
    (called inside the deletion's transaction, with the account still readable)."""
    _ERASERS.append(function)
    return function


def _sweep(db: sqlite3.Connection, email: str, actor: str) -> None:
    """Deletes rows of every private table that mention the e-mail or are the actor's."""
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    for table in tables:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        for column in columns:
            db.execute(
                f'DELETE FROM "{table}" WHERE instr(lower(CAST("{column}" AS TEXT)), ?) > 0 '
                f'OR "{column}" = ?', (email.lower(), actor))


def checkpoint(db: sqlite3.Connection) -> None:
    """Copies the write-ahead log into the database and empties it (best effort: a
    reader in another process may keep part of it until its own next checkpoint)."""
    with contextlib.suppress(sqlite3.OperationalError):
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
