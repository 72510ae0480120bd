"""Notifications and the moderation queue: private data, in the private SQLite store.

Notifications. One row per thing a person should hear about: `kind` says what happened
("follow", "join", "invite", "comment", "mention", "like", or any other word a module
uses), `actor` who did it, `object` what it is about (the comment, the liked post, the
organization joined…), `target` where (the post commented, the wall…). Whoever applies an
activity calls `Notifications(private).notify(recipient, kind, actor, object, target)`; in
the web layer `web.ui.notifications.notify(...)` does the same and also sends the e-mail
when the person chose "immediate".

`emailed` records what the e-mail side did with a row: NULL (waiting for the daily
digest), the time it was sent, or "off" (the person had e-mails off: never sent later).

Reports (Flag activities): `Reports(private)` — the moderation queue that the instance's
administrators work through at /moderation. The reporter's identity stays private.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from weakref import WeakSet

from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    object TEXT NOT NULL,
    target TEXT,
    created TEXT NOT NULL,
    read TEXT,
    emailed TEXT
);
CREATE INDEX IF NOT EXISTS notifications_recipient ON notifications (recipient, read);
CREATE INDEX IF NOT EXISTS notifications_mail ON notifications (emailed, recipient);
CREATE TABLE IF NOT EXISTS notification_digests (
    recipient TEXT PRIMARY KEY,
    sent TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS moderation_reports (
    id INTEGER PRIMARY KEY,
    object TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    resolved TEXT,
    resolved_by TEXT,
    decision TEXT
);
CREATE INDEX IF NOT EXISTS moderation_open ON moderation_reports (resolved, object);
"""

_READY: WeakSet[PrivateStore] = WeakSet()  # private stores whose tables exist


def _ensure(private: PrivateStore) -> None:
    """Creates the tables once per private store (not on every page's unread count)."""
    if private not in _READY:
        private.ensure_schema(SCHEMA)
        _READY.add(private)


EMAIL_CHOICES = ("immediate", "daily", "off")
DEFAULT_EMAIL = "daily"
SETTING = "notification_email"  # the key in an account's settings


def _now(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Notification:
    id: int
    recipient: str
    kind: str
    actor: str
    object: str
    target: str | None
    created: str
    read: str | None
    emailed: str | None


_COLUMNS = "id, recipient, kind, actor, object, target, created, read, emailed"


class Notifications:
    """The notifications table."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        _ensure(private)

    def _db(self) -> sqlite3.Connection:
        return self.private.connection()

    def notify(self, recipient: str, kind: str, actor: str, object: str,
               target: str | None = None, now: datetime | None = None) -> Notification | None:
        """Records one notification; None when it would tell people about themselves or
        repeat one they have not read yet."""
        if recipient == actor:
            return None
        db = self._db()
        repeated = db.execute(
            "SELECT 1 FROM notifications WHERE recipient = ? AND kind = ? AND actor = ? "
            "AND object = ? AND read IS NULL", (recipient, kind, actor, object)).fetchone()
        if repeated:
            return None
        with db:
            cursor = db.execute(
                "INSERT INTO notifications (recipient, kind, actor, object, target, created) "
                "VALUES (?, ?, ?, ?, ?, ?)", (recipient, kind, actor, object, target, _now(now)))
        return self.get(int(cursor.lastrowid or 0))

    def get(self, notification_id: int) -> Notification | None:
        row = self._db().execute(
            f"SELECT {_COLUMNS} FROM notifications WHERE id = ?", (notification_id,)).fetchone()
        return Notification(*row) if row else None

    def unread_count(self, recipient: str) -> int:
        return int(self._db().execute(
            "SELECT COUNT(*) FROM notifications WHERE recipient = ? AND read IS NULL",
            (recipient,)).fetchone()[0])

    def latest(self, recipient: str, limit: int = 50, offset: int = 0) -> list[Notification]:
        rows = self._db().execute(
            f"SELECT {_COLUMNS} FROM notifications WHERE recipient = ? "
            "ORDER BY created DESC, id DESC LIMIT ? OFFSET ?", (recipient, limit, offset))
        return [Notification(*row) for row in rows]

    def mark_read(self, recipient: str, ids: list[int] | None = None,
                  now: datetime | None = None) -> int:
        """Marks some (or all) of the recipient's notifications read; only theirs."""
        with self._db() as db:
            if ids is None:
                return db.execute(
                    "UPDATE notifications SET read = ? WHERE recipient = ? AND read IS NULL",
                    (_now(now), recipient)).rowcount
            marks = ",".join("?" for _ in ids)
            return db.execute(
                f"UPDATE notifications SET read = ? WHERE recipient = ? AND read IS NULL "
                f"AND id IN ({marks})", (_now(now), recipient, *ids)).rowcount

    def waiting_for_mail(self) -> dict[str, list[Notification]]:
        """Notifications not yet handled by e-mail, by recipient, oldest first."""
        rows = self._db().execute(
            f"SELECT {_COLUMNS} FROM notifications WHERE emailed IS NULL "
            "ORDER BY recipient, created, id")
        found: dict[str, list[Notification]] = {}
        for row in rows:
            found.setdefault(row[1], []).append(Notification(*row))
        return found

    def mark_emailed(self, ids: list[int], how: str) -> None:
        """`how`: the time the mail went, or "off" (never to be sent)."""
        if not ids:
            return
        marks = ",".join("?" for _ in ids)
        with self._db() as db:
            db.execute(f"UPDATE notifications SET emailed = ? WHERE id IN ({marks})",
                       (how, *ids))

    def claim_digest(self, recipient: str, now: datetime, every: timedelta | None) -> bool:
        """Takes the right to send the recipient's digest now: True when none was sent
        within `every` (None: whenever), atomically, so that of several processes sending
        digests only one sends each."""
        since = _now(now - every) if every is not None else "9999"
        with self._db() as db:
            return db.execute(
                "INSERT INTO notification_digests (recipient, sent) VALUES (?, ?) "
                "ON CONFLICT (recipient) DO UPDATE SET sent = excluded.sent "
                "WHERE notification_digests.sent <= ?",
                (recipient, _now(now), since)).rowcount == 1

    def forget(self, actor: str) -> None:
        """Removes everything addressed to an actor (account deletion)."""
        with self._db() as db:
            db.execute("DELETE FROM notifications WHERE recipient = ?", (actor,))
            db.execute("DELETE FROM notification_digests WHERE recipient = ?", (actor,))


def notify(private: PrivateStore, recipient: str, kind: str, actor: str, object: str,
           target: str | None = None) -> Notification | None:
    """Records a notification (no e-mail; see web.ui.notifications.notify for that)."""
    return Notifications(private).notify(recipient, kind, actor, object, target)


def email_choice(settings: dict) -> str:
    choice = settings.get(SETTING, DEFAULT_EMAIL)
    return choice if choice in EMAIL_CHOICES else DEFAULT_EMAIL


# --- moderation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    id: int
    object: str
    reporter: str
    reason: str
    created: str
    resolved: str | None
    resolved_by: str | None
    decision: str | None


_REPORT_COLUMNS = "id, object, reporter, reason, created, resolved, resolved_by, decision"


class Reports:
    """The moderation queue (Flag activities)."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        _ensure(private)

    def _db(self) -> sqlite3.Connection:
        return self.private.connection()

    def add(self, object: str, reporter: str, reason: str,
            now: datetime | None = None) -> Report:
        """Files a report; a reporter's second report of the same open case updates it."""
        db = self._db()
        with db:
            row = db.execute("SELECT id FROM moderation_reports WHERE object = ? AND "
                             "reporter = ? AND resolved IS NULL", (object, reporter)).fetchone()
            if row:
                db.execute("UPDATE moderation_reports SET reason = ? WHERE id = ?",
                           (reason, row[0]))
                report_id = row[0]
            else:
                cursor = db.execute(
                    "INSERT INTO moderation_reports (object, reporter, reason, created) "
                    "VALUES (?, ?, ?, ?)", (object, reporter, reason, _now(now)))
                report_id = int(cursor.lastrowid or 0)
        found = self.get(report_id)
        assert found is not None
        return found

    def get(self, report_id: int) -> Report | None:
        row = self._db().execute(
            f"SELECT {_REPORT_COLUMNS} FROM moderation_reports WHERE id = ?",
            (report_id,)).fetchone()
        return Report(*row) if row else None

    def open(self, limit: int = 200) -> list[Report]:
        rows = self._db().execute(
            f"SELECT {_REPORT_COLUMNS} FROM moderation_reports WHERE resolved IS NULL "
            "ORDER BY created, id LIMIT ?", (limit,))
        return [Report(*row) for row in rows]

    def resolve(self, object: str, moderator: str, decision: str,
                now: datetime | None = None) -> int:
        """Closes every open report about `object` ("dismissed", "deleted")."""
        with self._db() as db:
            return db.execute(
                "UPDATE moderation_reports SET resolved = ?, resolved_by = ?, decision = ? "
                "WHERE object = ? AND resolved IS NULL",
                (_now(now), moderator, decision, object)).rowcount


def moderators(private: PrivateStore) -> set[str]:
    """The actors of the instance's administrators (they moderate)."""
    try:
        rows = private.connection().execute("SELECT actor FROM accounts WHERE is_admin = 1")
    except sqlite3.OperationalError:  # no accounts table yet
        return set()
    return {row[0] for row in rows}
