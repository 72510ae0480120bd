"""Pending invitations and join requests: private until someone says yes.

A person asks to join an organization or project (a request), or one of its admins invites
a person (an invitation). Until the other side accepts or rejects, nothing is public: the
pending item waits here, in the private store. An accepted one becomes a public
org:Membership (federation/handlers/memberships.py); a rejected one is forgotten.

One pending item per (group, person): a new invitation replaces an older one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_memberships (
    grp TEXT NOT NULL,
    person TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'request')),
    role TEXT NOT NULL,
    by_actor TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (grp, person)
);
CREATE INDEX IF NOT EXISTS pending_memberships_person ON pending_memberships (person);
"""

KINDS = ("invitation", "request")
_COLUMNS = "grp, person, kind, role, by_actor, created"


@dataclass(frozen=True)
class Pending:
    group: str
    person: str
    kind: str  # "invitation" (an admin invited the person) or "request" (the person asked)
    role: str  # "admin", "contributor" or "member"
    by: str  # who invited, or the person who asked
    created: str


def _pending(row: tuple | None) -> Pending | None:
    return Pending(*row) if row is not None else None


class PendingMemberships:
    """The pending_memberships table of the private store."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        private.ensure_schema(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return self.private.connection()

    def get(self, group: str, person: str) -> Pending | None:
        return _pending(self._db().execute(
            f"SELECT {_COLUMNS} FROM pending_memberships WHERE grp = ? AND person = ?",
            (group, person)).fetchone())

    def put(self, group: str, person: str, kind: str, role: str, by: str) -> Pending:
        if kind not in KINDS:
            raise ValueError(f"unknown pending kind {kind!r}")
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self._db() as db:
            db.execute(
                "INSERT INTO pending_memberships (grp, person, kind, role, by_actor, created) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (grp, person) DO UPDATE SET "
                "kind = excluded.kind, role = excluded.role, by_actor = excluded.by_actor, "
                "created = excluded.created", (group, person, kind, role, by, now))
        found = self.get(group, person)
        assert found is not None
        return found

    def delete(self, group: str, person: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM pending_memberships WHERE grp = ? AND person = ?",
                              (group, person)).rowcount > 0

    def for_group(self, group: str) -> list[Pending]:
        rows = self._db().execute(
            f"SELECT {_COLUMNS} FROM pending_memberships WHERE grp = ? ORDER BY created, person",
            (group,)).fetchall()
        return [Pending(*row) for row in rows]

    def for_person(self, person: str) -> list[Pending]:
        rows = self._db().execute(
            f"SELECT {_COLUMNS} FROM pending_memberships WHERE person = ? "
            "ORDER BY created, grp", (person,)).fetchall()
        return [Pending(*row) for row in rows]

    def forget_person(self, person: str) -> int:
        """Drops everything pending for or by a person (account deletion)."""
        with self._db() as db:
            return db.execute("DELETE FROM pending_memberships WHERE person = ? OR by_actor = ?",
                              (person, person)).rowcount

    def snapshot(self) -> list[tuple]:
        """Every row, in order (tests compare the table before and after a refused write)."""
        return self._db().execute(
            f"SELECT {_COLUMNS} FROM pending_memberships ORDER BY grp, person").fetchall()
