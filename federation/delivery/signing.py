"""Signing outbound POSTs: each signer's private key PEM read once per process.

`federation.signatures.sign_request` does the signing (loaded keys are cached by
`federation.keys.load_private_key`); what the worker adds is not reading the signer's PEM
from the private store for every one of thousands of deliveries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from federation.keys import PrivateKey, key_id_for, load_private_key
from federation.signatures import sign_request

PemSource = Callable[[str], bytes]
"""signer actor IRI → its private key PEM (federation.actor_keys.ActorKeys.private_pem)."""


class KeyRing:
    """Each signer's private key PEM, read on first use and kept for the process."""

    def __init__(self, pem_of: PemSource) -> None:
        self.pem_of = pem_of
        self._pems: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def pem(self, signer: str) -> bytes:
        found = self._pems.get(signer)
        if found is None:
            found = self.pem_of(signer)
            with self._lock:
                self._pems[signer] = found
        return found

    def key(self, signer: str) -> PrivateKey:
        """The signer's key, loaded (and checked) once: a delivery fails early without it."""
        return load_private_key(self.pem(signer))

    def headers(self, signer: str, format: str, method: str, url: str,
                headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        """The request's headers signed by `signer` in `format` ("cavage" | "rfc9421")."""
        return sign_request(method, url, headers, body, key_id_for(signer), self.pem(signer),
                            format=format)  # type: ignore[arg-type]
