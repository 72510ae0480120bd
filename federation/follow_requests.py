"""Follow requests awaiting a person's approval ("manuallyApprovesFollowers").

A person who chose to approve followers by hand (their account setting, published on
their actor by federation.as2_actors) is not followed at once by remote actors: the Follow
waits in the private table `follow_requests`, with the Follow activity as it came, until
the person answers. The answer is an activity by the person, applied like any other:

    Activity("Accept", person, follower, content="Follow")   # approve
    Activity("Reject", person, follower, content="Follow")   # decline

(federation/handlers/follows.py applies them: the follower joins `{person}/followers`, or
not) and the inbox side (federation/inbound.py, an observer) then queues the Accept or
Reject of the stored Follow to the follower's server. `requests_of(handler, person)`
lists who waits, for the page where the person answers.

Local people follow each other at once (no request), as before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from federation.activities import ActivityHandler
from federation.handler_support import services

SCHEMA = """
CREATE TABLE IF NOT EXISTS follow_requests (
    thing TEXT NOT NULL,
    follower TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    activity TEXT,
    created TEXT NOT NULL,
    PRIMARY KEY (thing, follower)
);
"""


def _db(handler: ActivityHandler) -> Any:
    private = services(handler).pending.private
    private.ensure_schema(SCHEMA)
    return private.connection()


def approves_by_hand(handler: ActivityHandler, thing: str) -> bool:
    """Whether `thing` is a local person who approves followers by hand."""
    if not thing.startswith(f"{handler.base_url}/persons/"):
        return False
    try:
        private = services(handler).pending.private
    except Exception:  # unwired handler (a script): nobody approves by hand
        return False
    from federation.as2_actors import preferences

    return preferences(private, thing)[0]


def request(handler: ActivityHandler, thing: str, follower: str) -> bool:
    """Records a pending request; False when one was pending already."""
    db = _db(handler)
    with db:
        cursor = db.execute("INSERT OR IGNORE INTO follow_requests (thing, follower, created) "
                            "VALUES (?, ?, ?)", (thing, follower, datetime.now(UTC).isoformat()))
    return cursor.rowcount > 0


def keep_activity(handler: ActivityHandler, thing: str, follower: str,
                  activity: dict[str, Any]) -> None:
    """Keeps the Follow as it came, to answer it later."""
    db = _db(handler)
    with db:
        db.execute("UPDATE follow_requests SET activity = ? WHERE thing = ? AND follower = ?",
                   (json.dumps(activity), thing, follower))


def state_of(handler: ActivityHandler, thing: str, follower: str) -> str | None:
    row = _db(handler).execute("SELECT state FROM follow_requests WHERE thing = ? AND "
                               "follower = ?", (thing, follower)).fetchone()
    return row[0] if row is not None else None


def decide(handler: ActivityHandler, thing: str, follower: str, state: str) -> bool:
    """Marks a pending request "accepted" or "rejected"; False when none was pending."""
    db = _db(handler)
    with db:
        cursor = db.execute("UPDATE follow_requests SET state = ? WHERE thing = ? AND "
                            "follower = ? AND state = 'pending'", (state, thing, follower))
    return cursor.rowcount > 0


def take_decided(handler: ActivityHandler, thing: str,
                 follower: str) -> tuple[str, dict[str, Any] | None] | None:
    """(state, stored Follow) of a decided request, which is then forgotten."""
    db = _db(handler)
    with db:
        row = db.execute("SELECT state, activity FROM follow_requests WHERE thing = ? AND "
                         "follower = ? AND state != 'pending'", (thing, follower)).fetchone()
        if row is None:
            return None
        db.execute("DELETE FROM follow_requests WHERE thing = ? AND follower = ?",
                   (thing, follower))
    return row[0], json.loads(row[1]) if row[1] else None


def withdraw(handler: ActivityHandler, thing: str, follower: str) -> bool:
    db = _db(handler)
    with db:
        cursor = db.execute("DELETE FROM follow_requests WHERE thing = ? AND follower = ?",
                            (thing, follower))
    return cursor.rowcount > 0


def requests_of(handler: ActivityHandler, person: str) -> list[str]:
    """Who waits for `person`'s approval, oldest first."""
    rows = _db(handler).execute("SELECT follower FROM follow_requests WHERE thing = ? AND "
                                "state = 'pending' ORDER BY created", (person,))
    return [row[0] for row in rows]
