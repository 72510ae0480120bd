"""Remote actors' public keys, by key id: fetched once, cached, fetched again on failure.

Verifying an inbox POST needs the sender's public key. Fetching it for every request
would make each delivery cost a round trip (and let a sender make us fetch at will), so
keys are kept in the private table `remote_keys` with their owner. When a signature does
not verify with the cached key (or the key is unknown) the inbox asks again with
`refresh=True`, once: that is how a rotated key is picked up.

A key is accepted only with an owner on the key's own host; when the key is published in
a document of its own (not inside the actor), the owner's actor document must list it —
otherwise anyone could publish a key claiming to belong to somebody else.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from federation.inbound_parse import id_of, same_host
from federation.keys import KeyFormatError, load_public_key
from federation.remote import RemoteError, RemoteObjects
from federation.signatures import ResolvedKey
from store.private import PrivateStore

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS remote_keys (
    key_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    pem TEXT NOT NULL,
    fetched TEXT NOT NULL
);
"""
MAX_PENDING_ACTORS = 256
ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}


class KeyCache:
    """Public keys of remote actors (see the module docstring)."""

    def __init__(self, private: PrivateStore, remote: RemoteObjects) -> None:
        self.private = private
        self.remote = remote
        self._actors: dict[str, dict[str, Any]] = {}
        private.ensure_schema(SCHEMA)

    def fetched_actor(self, actor: str) -> dict[str, Any] | None:
        """The actor document fetched along with its key, once: the inbox caches it in
        the public store only after the request's signature verified, so that a refused
        request leaves nothing public behind."""
        return self._actors.pop(actor, None)

    def cached(self, key_id: str) -> ResolvedKey | None:
        """The key as cached, without fetching."""
        row = self.private.connection().execute(
            "SELECT pem, owner FROM remote_keys WHERE key_id = ?", (key_id,)).fetchone()
        return ResolvedKey(row[0], row[1]) if row is not None else None

    def resolve(self, key_id: str, refresh: bool = False) -> ResolvedKey | None:
        """The key and its owner; None when it cannot be found or used."""
        if not refresh:
            found = self.cached(key_id)
            if found is not None:
                return found
        try:
            found = self._fetch(key_id)
        except RemoteError as error:
            logger.info("key %s: %s", key_id, error)
            return None
        if found is None:
            return None
        pem, owner = found
        db = self.private.connection()
        with db:
            db.execute("INSERT OR REPLACE INTO remote_keys (key_id, owner, pem, fetched) "
                       "VALUES (?, ?, ?, ?)",
                       (key_id, owner, pem, datetime.now(UTC).isoformat()))
        return ResolvedKey(pem, owner)

    def forget(self, owner: str) -> None:
        """Drops the keys of an actor (deleted or moved)."""
        db = self.private.connection()
        with db:
            db.execute("DELETE FROM remote_keys WHERE owner = ?", (owner,))

    def _fetch(self, key_id: str) -> tuple[str, str] | None:
        document = self.remote.document(key_id)
        pem, owner = _key_in(document, key_id)
        if pem is None or owner is None or not same_host(owner, key_id):
            return None
        if owner != id_of(document):
            actor = self.remote.document(owner)  # the owner must list the key
            if _key_in(actor, key_id)[0] != pem:
                return None
        elif _is_actor(document):
            if len(self._actors) >= MAX_PENDING_ACTORS:
                self._actors.clear()
            self._actors[owner] = document
        try:
            load_public_key(pem)
        except KeyFormatError:
            return None
        return pem, owner


def _key_in(document: dict[str, Any], key_id: str) -> tuple[str | None, str | None]:
    """(PEM, owner) of `key_id` in an actor document or a key document."""
    if id_of(document) == key_id and isinstance(document.get("publicKeyPem"), str):
        return document["publicKeyPem"], id_of(document.get("owner") or
                                                document.get("controller"))
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and id_of(key) == key_id and isinstance(
                key.get("publicKeyPem"), str):
            return key["publicKeyPem"], id_of(key.get("owner")) or id_of(document)
    return None, None


def _is_actor(document: dict[str, Any]) -> bool:
    kind = document.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(k in ACTOR_TYPES for k in kinds if isinstance(k, str))
