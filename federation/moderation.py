"""Moderation of the federation: instance domain policies, personal blocks and mutes, and
the reports that reach the moderators' queue from other servers.

Everything here is private data (SQLite, the private store): who blocks whom is nobody
else's business, and a domain policy's reason is the administrators' note.

Domain policies (instance administrators):
  * "reject": nothing from that domain is accepted (the inbox refuses its POSTs, the
    handlers refuse its actors' activities) and nothing is delivered to it; what we hold
    of it is not shown.
  * "silence": its actors may still interact, but their content shows only to the people
    who follow them (not on public walls, threads and territory feeds).
  A policy on "example.org" also covers its subdomains ("social.example.org"); a host
  with a port ("127.0.0.1:8123") is matched with and without its port.

Personal blocks and mutes (any citizen): the target is an actor IRI or a whole domain.
  * mute: the target's posts and comments are hidden from the person; nothing else.
  * block: hidden too, and the target may not follow the person, comment on their posts
    or like them (federation/handlers/blocks.py enforces it on every path: forms, LDP,
    inboxes).

Reports: Flags received from other servers are filed into the same queue as local
reports (store.notifications.Reports: one open case per reported object), with the
server they came from kept aside (`report_origins`) so that moderators see it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from weakref import WeakSet

from store.accounts import Account, personal_data_eraser
from store.notifications import Reports
from store.private import PrivateStore

POLICIES = ("reject", "silence")
FILTER_KINDS = ("block", "mute")
MAX_REASON = 1000
MAX_TARGET = 2000
#: The categories of the reasons kept in the queue (web/ui/posts.py names them).
CATEGORIES = ("spam", "harassment", "illegal", "misinformation", "other")

SCHEMA = """
CREATE TABLE IF NOT EXISTS domain_policies (
    host TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    created_by TEXT
);
CREATE TABLE IF NOT EXISTS personal_filters (
    person TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (person, kind, target)
);
CREATE INDEX IF NOT EXISTS personal_filters_target ON personal_filters (target, kind);
CREATE TABLE IF NOT EXISTS report_origins (
    report_id INTEGER PRIMARY KEY,
    origin_host TEXT,
    objects TEXT NOT NULL DEFAULT ''
);
"""

_READY: WeakSet[PrivateStore] = WeakSet()


def _db(private: PrivateStore) -> sqlite3.Connection:
    """The connection, with the tables created once per private store."""
    if private not in _READY:
        private.ensure_schema(SCHEMA)
        _READY.add(private)
    return private.connection()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --- hosts ---------------------------------------------------------------------------------


def normalize_host(value: str) -> str:
    """The host (with its port, if any) of a host name, a URL or a handle, lower-cased and
    IDNA-encoded; "" when there is none. Never raises on hostile input."""
    text = (value or "").strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.rsplit("@", 1)[-1]  # user@host, acct:user@host
    text = text.split("/", 1)[0].strip().rstrip(".").lower()
    if not text or any(c.isspace() for c in text) or len(text) > 300:
        return ""
    try:
        host, sep, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        if sep and not port.isdigit():
            return ""
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return ""
    return f"{host}{sep}{port}"


def host_of(iri: str) -> str:
    """The host of an actor or object IRI ("" when it has none)."""
    return normalize_host(iri) if "://" in (iri or "") else ""


def _candidates(host: str) -> list[str]:
    """The entries that cover a host: itself, without its port, and its parent domains."""
    host = normalize_host(host)
    if not host:
        return []
    found = [host]
    bare = host.rsplit(":", 1)[0] if ":" in host and not host.startswith("[") else host
    if bare != host:
        found.append(bare)
    labels = bare.split(".")
    if not bare.replace(".", "").isdigit():  # no parents for IP addresses
        found += [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    return found


# --- domain policies -------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainPolicy:
    host: str
    policy: str
    reason: str
    created: str
    created_by: str | None


def domain_policy(private: PrivateStore, host: str) -> str | None:
    """"reject", "silence" or None for a host (or a URL on it). Reject wins over silence
    when a domain and its parent both have a policy."""
    candidates = _candidates(host)
    if not candidates:
        return None
    marks = ",".join("?" for _ in candidates)
    rows = _db(private).execute(
        f"SELECT policy FROM domain_policies WHERE host IN ({marks})", candidates).fetchall()
    policies = {row[0] for row in rows}
    return "reject" if "reject" in policies else ("silence" if policies else None)


def is_rejected(private: PrivateStore, iri: str) -> bool:
    """Whether an actor or object IRI lies on a rejected domain."""
    host = host_of(iri)
    return bool(host) and domain_policy(private, host) == "reject"


def set_domain_policy(private: PrivateStore, host: str, policy: str | None,
                      reason: str = "", by: str | None = None) -> str:
    """Sets (or, with policy None, removes) a domain's policy; returns the normalized host.
    ValueError on a host or policy that makes no sense."""
    normalized = normalize_host(host)
    if not normalized or ("." not in normalized and ":" not in normalized
                          and normalized != "localhost"):
        raise ValueError(f"not a domain name: {host!r}")
    if policy is not None and policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r} (reject or silence)")
    reason = (reason or "").strip()[:MAX_REASON]
    with _db(private) as db:
        if policy is None:
            db.execute("DELETE FROM domain_policies WHERE host = ?", (normalized,))
        else:
            db.execute(
                "INSERT INTO domain_policies (host, policy, reason, created, created_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET "
                "policy = excluded.policy, reason = excluded.reason, "
                "created = excluded.created, created_by = excluded.created_by",
                (normalized, policy, reason, _now(), by))
    return normalized


def domain_policies(private: PrivateStore) -> list[DomainPolicy]:
    """Every domain policy, by host."""
    rows = _db(private).execute(
        "SELECT host, policy, reason, created, created_by FROM domain_policies ORDER BY host")
    return [DomainPolicy(*row) for row in rows]


def hosts_with_policy(private: PrivateStore, policy: str) -> set[str]:
    return {row[0] for row in _db(private).execute(
        "SELECT host FROM domain_policies WHERE policy = ?", (policy,))}


def covered(host: str, hosts: set[str]) -> bool:
    """Whether a host is one of `hosts` or lies under one of them (see `_candidates`)."""
    return any(candidate in hosts for candidate in _candidates(host)) if hosts else False


# --- personal blocks and mutes ----------------------------------------------------------------


def normalize_target(target: str) -> str:
    """An actor IRI as given, or a domain normalized; ValueError for anything else."""
    text = (target or "").strip()
    if not text or len(text) > MAX_TARGET:
        raise ValueError("a person's address (IRI) or a domain is needed")
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if not parts.netloc or any(c.isspace() for c in text):
            raise ValueError(f"not an address: {text!r}")
        return text
    host = normalize_host(text)
    if not host or "@" in text or ("." not in host and ":" not in host):
        raise ValueError(f"not an actor IRI or a domain: {text!r}")
    return host


def _add_filter(private: PrivateStore, kind: str, person: str, target: str) -> str:
    target = normalize_target(target)
    if target == person:
        raise ValueError("one does not block or mute oneself")
    with _db(private) as db:
        db.execute("INSERT OR IGNORE INTO personal_filters (person, kind, target, created) "
                   "VALUES (?, ?, ?, ?)", (person, kind, target, _now()))
    return target


def _remove_filter(private: PrivateStore, kind: str, person: str, target: str) -> bool:
    with _db(private) as db:
        return db.execute("DELETE FROM personal_filters WHERE person = ? AND kind = ? AND "
                          "target = ?", (person, kind, (target or "").strip())).rowcount > 0


def _filters(private: PrivateStore, kind: str, person: str) -> set[str]:
    return {row[0] for row in _db(private).execute(
        "SELECT target FROM personal_filters WHERE person = ? AND kind = ?", (person, kind))}


def block(private: PrivateStore, person: str, target: str) -> str:
    """`person` blocks an actor IRI or a domain; returns the target as kept."""
    return _add_filter(private, "block", person, target)


def unblock(private: PrivateStore, person: str, target: str) -> bool:
    return _remove_filter(private, "block", person, target)


def mute(private: PrivateStore, person: str, target: str) -> str:
    """`person` mutes an actor IRI or a domain; returns the target as kept."""
    return _add_filter(private, "mute", person, target)


def unmute(private: PrivateStore, person: str, target: str) -> bool:
    return _remove_filter(private, "mute", person, target)


def blocks(private: PrivateStore, person: str) -> set[str]:
    """What `person` blocks: actor IRIs and domains."""
    return _filters(private, "block", person)


def mutes(private: PrivateStore, person: str) -> set[str]:
    """What `person` mutes: actor IRIs and domains."""
    return _filters(private, "mute", person)


def hidden_for(private: PrivateStore, person: str | None) -> set[str]:
    """Whose content `person` does not want to see (blocks and mutes together)."""
    if not person:
        return set()
    return {row[0] for row in _db(private).execute(
        "SELECT target FROM personal_filters WHERE person = ?", (person,))}


def matches(targets: set[str], actor: str) -> bool:
    """Whether an actor is one of `targets` (actor IRIs and domains) or on one of them."""
    if not targets or not actor:
        return False
    if actor in targets:
        return True
    host = host_of(actor)
    return bool(host) and covered(host, targets)


def blocks_actor(private: PrivateStore, person: str, actor: str) -> bool:
    """Whether `person` blocks `actor` (by its IRI or its domain)."""
    if not person or not actor or person == actor:
        return False
    candidates = [actor, *_candidates(host_of(actor))]
    marks = ",".join("?" for _ in candidates)
    return _db(private).execute(
        f"SELECT 1 FROM personal_filters WHERE person = ? AND kind = 'block' AND "
        f"target IN ({marks}) LIMIT 1", (person, *candidates)).fetchone() is not None


@personal_data_eraser
def _keep_domain_policies(db: sqlite3.Connection, account: Account) -> None:
    """An administrator who leaves takes their name off the domain policies they set, not
    the policies (the account erasure's sweep would delete rows naming them)."""
    with contextlib.suppress(sqlite3.OperationalError):  # no policy was ever set here
        db.execute("UPDATE domain_policies SET created_by = NULL WHERE created_by = ?",
                   (account.actor,))


def forget_person(private: PrivateStore, person: str) -> None:
    """Removes a person's blocks and mutes, and those about them (account deletion)."""
    with _db(private) as db:
        db.execute("DELETE FROM personal_filters WHERE person = ? OR target = ?",
                   (person, person))


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationReport:
    id: int
    object: str
    reporter: str
    reason: str
    created: str
    origin_host: str | None
    objects: tuple[str, ...]


def record_report(private: PrivateStore, reporter: str, objects: Iterable[str], content: str,
                  origin_host: str | None = None) -> int:
    """Files a report (a Flag, local or from another server) about one or more objects into
    the moderators' queue; returns the id of the report of its first object. A remote
    server's comment becomes the reason (category "other"). ValueError without objects."""
    wanted = [o.strip() for o in objects if o and o.strip()][:50]
    wanted = list(dict.fromkeys(o[:MAX_TARGET] for o in wanted))
    if not wanted:
        raise ValueError("a report is about at least one object")
    text = (content or "").strip()[:MAX_REASON]
    category = text.split(":", 1)[0]
    if origin_host is None and category in CATEGORIES:
        reason = text  # a local report already says its category ("spam: …")
    else:
        reason = f"other: {text}" if text else "other"
    queue = Reports(private)
    host = normalize_host(origin_host) if origin_host else None
    ids = [queue.add(obj, reporter, reason).id for obj in wanted]
    with _db(private) as db:
        for report_id in ids:
            db.execute("INSERT OR REPLACE INTO report_origins (report_id, origin_host, objects) "
                       "VALUES (?, ?, ?)", (report_id, host, "\n".join(wanted)))
    return ids[0]


def open_reports(private: PrivateStore, limit: int = 200) -> list[ModerationReport]:
    """The open reports, oldest first, with the server each came from (None: local)."""
    reports = Reports(private).open(limit)
    origins = report_origins(private, [r.id for r in reports])
    found = []
    for r in reports:
        host, objects = origins.get(r.id, (None, (r.object,)))
        found.append(ModerationReport(r.id, r.object, r.reporter, r.reason, r.created, host,
                                      objects))
    return found


def report_origins(private: PrivateStore,
                   ids: list[int]) -> dict[int, tuple[str | None, tuple[str, ...]]]:
    """For some report ids: (origin host, every object of the same Flag)."""
    if not ids:
        return {}
    marks = ",".join("?" for _ in ids)
    rows = _db(private).execute(
        f"SELECT report_id, origin_host, objects FROM report_origins WHERE report_id IN "
        f"({marks})", ids)
    return {row[0]: (row[1], tuple(o for o in row[2].split("\n") if o)) for row in rows}


def resolve_report(private: PrivateStore, report_id: int, moderator: str,
                   decision: str = "dismissed") -> int:
    """Closes the report and every other open report about the same object; returns how
    many were closed (0: no such open report)."""
    queue = Reports(private)
    found = queue.get(report_id)
    if found is None or found.resolved is not None:
        return 0
    return queue.resolve(found.object, moderator, decision)
