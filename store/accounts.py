"""Accounts: the private side of a citizen (e-mail, password hash, settings).

An account links a login (e-mail) to a public actor IRI (the citizen's resource). All of
it lives in the private store: nothing here ever reaches RDF, SPARQL or ActivityPub.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
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
"""


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


class Accounts:
    """The accounts table of the private store."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        private.ensure_schema(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return self.private.connection()

    def by_id(self, account_id: int) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE id = ?", (account_id,)).fetchone())

    def by_email(self, email: str) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE email = ?", (email.strip(),)).fetchone())

    def by_actor(self, actor: str) -> Account | None:
        return _row(self._db().execute(
            f"SELECT {COLUMNS} FROM accounts WHERE actor = ?", (actor,)).fetchone())

    def create(self, email: str, actor: str, commune: str, locale: str = "fr") -> Account:
        now = datetime.now(UTC).isoformat()
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO accounts (email, actor, commune, locale, created) "
                "VALUES (?, ?, ?, ?, ?)", (email.strip(), actor, commune, locale, now))
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
