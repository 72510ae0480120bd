"""Every local actor's signing key, created the first time it is needed.

Keys live in the private store (table `actor_keys`), never in the public dataset: the
public half is published in the actor document, the private half signs outbound requests.
Several gunicorn workers (and the delivery worker) may ask for the same actor's key at
the same moment: each may generate a candidate, but `INSERT OR IGNORE` lets exactly one
win and everybody re-reads the winner, so all processes sign with the one key that the
actor document publishes.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime

from federation.keys import generate_key_pair
from store.private import PrivateStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS actor_keys (
    actor TEXT PRIMARY KEY,
    private_pem BLOB NOT NULL,
    public_pem TEXT NOT NULL,
    created TEXT NOT NULL
);
"""


class ActorKeys:
    """Lazy RSA-2048 key pairs per local actor IRI, shared by every process of an instance."""

    def __init__(self, private: PrivateStore) -> None:
        self.private = private
        private.ensure_schema(SCHEMA)
        self._cache: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def key_pair(self, actor_iri: str) -> tuple[bytes, str]:
        """(private PEM bytes, public SPKI PEM text) of the actor, generated on first use."""
        cached = self._cache.get(actor_iri)
        if cached is not None:
            return cached
        found = self._read(actor_iri)
        if found is None:
            fresh = generate_key_pair()
            with self.private.connection() as db:
                db.execute(
                    "INSERT OR IGNORE INTO actor_keys (actor, private_pem, public_pem, created)"
                    " VALUES (?, ?, ?, ?)",
                    (actor_iri, fresh.private_pem, fresh.public_pem,
                     datetime.now(UTC).isoformat()),
                )
            found = self._read(actor_iri)
            assert found is not None, "the key row was just written"
        with self._lock:
            self._cache[actor_iri] = found
        return found

    def public_pem(self, actor_iri: str) -> str:
        return self.key_pair(actor_iri)[1]

    def private_pem(self, actor_iri: str) -> bytes:
        return self.key_pair(actor_iri)[0]

    def existing_public_pem(self, actor_iri: str) -> str | None:
        """The public key if the actor has one already (never generates one)."""
        found = self._cache.get(actor_iri) or self._read(actor_iri)
        return found[1] if found else None

    def _read(self, actor_iri: str) -> tuple[bytes, str] | None:
        row = self.private.connection().execute(
            "SELECT private_pem, public_pem FROM actor_keys WHERE actor = ?", (actor_iri,)
        ).fetchone()
        if row is None:
            return None
        private_pem = row[0] if isinstance(row[0], bytes) else str(row[0]).encode()
        return private_pem, str(row[1])


_SHARED: weakref.WeakKeyDictionary[PrivateStore, ActorKeys] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def keys_for(private: PrivateStore) -> ActorKeys:
    """The process's one ActorKeys for this private store (its cache is shared)."""
    with _SHARED_LOCK:
        found = _SHARED.get(private)
        if found is None:
            found = _SHARED[private] = ActorKeys(private)
        return found
