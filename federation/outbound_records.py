"""What federation/outbound.py remembers of what it sent, in the private store: the id of
the last Like/Announce/Follow/… each local actor sent (so that its Undo names it exactly,
and a Like applied again sends nothing), who created each object sent (its Delete comes
from its author, also when a moderator deleted it) and which remote actors it was sent to
by name (its Delete reaches them too: the author of the post a reply answers…).
"""

from __future__ import annotations

import logging
import sqlite3

from store.private import PrivateStore

logger = logging.getLogger("federation.outbound")

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbound_reactions (
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (actor, kind, object)
);
CREATE INDEX IF NOT EXISTS outbound_reactions_object ON outbound_reactions (object, kind);
"""


def record(private: PrivateStore | None, actor: str, kind: str, target: str,
           identifier: str) -> None:
    """Keeps the id of the last Like/Follow/… sent, so that its Undo names it exactly, and
    who created each object, so that its Delete comes from its author."""
    if private is None:
        return
    try:
        with private.connection() as db:
            db.execute("INSERT OR REPLACE INTO outbound_reactions VALUES (?, ?, ?, ?)",
                       (actor, kind, target, identifier))
    except sqlite3.Error as error:
        logger.warning("could not record %s %s: %s", kind, identifier, error)


def forget(private: PrivateStore | None, actor: str, kind: str, target: str) -> None:
    if private is None:
        return
    try:
        with private.connection() as db:
            db.execute("DELETE FROM outbound_reactions WHERE actor = ? AND kind = ? "
                       "AND object = ?", (actor, kind, target))
    except sqlite3.Error as error:
        logger.warning("could not forget %s of %s: %s", kind, target, error)


def author_recorded(private: PrivateStore | None, target: str) -> str | None:
    """Who created a local object, as its Create was sent (the object itself is gone)."""
    if private is None:
        return None
    row = private.connection().execute(
        "SELECT actor FROM outbound_reactions WHERE kind = 'Create' AND object = ?",
        (target,)).fetchone()
    return row[0] if row else None


def addressed_recorded(private: PrivateStore | None, target: str) -> list[str]:
    """Who (remote) a local object was sent to by name, as its Create went out."""
    if private is None:
        return []
    rows = private.connection().execute(
        "SELECT actor FROM outbound_reactions WHERE kind = 'Addressed' AND object = ?",
        (target,)).fetchall()
    return sorted(row[0] for row in rows)


def recorded(private: PrivateStore | None, actor: str, kind: str, target: str) -> str | None:
    if private is None:
        return None
    row = private.connection().execute(
        "SELECT id FROM outbound_reactions WHERE actor = ? AND kind = ? AND object = ?",
        (actor, kind, target)).fetchone()
    return row[0] if row else None
