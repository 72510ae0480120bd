"""Signing outbound POSTs with keys loaded once per process.

`federation.signatures.sign_request` takes a PEM and loads it on every call; loading an RSA
private key with its consistency checks costs ~50 ms here against ~0.3 ms for the
signature itself, which would make a fan-out to thousands of inboxes spend its time
re-reading one key. So the worker keeps each signer's key loaded (`KeyRing`) and signs with
the same per-format signers `sign_request` uses, adding the same headers (Host, Date,
Digest / Content-Digest). When those signers are not importable (a refactoring of
federation.signatures*), it falls back to `sign_request` with the PEM: slower, same bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

from federation.keys import PrivateKey, key_id_for, load_private_key
from federation.signatures import RFC9421_LABEL, sign_request
from federation.signatures_common import _host_of

try:  # the per-format signers behind sign_request, which accept a loaded key
    from federation.signatures_cavage import _sign_cavage
    from federation.signatures_rfc9421 import _sign_rfc9421
except ImportError:  # pragma: no cover (only after a refactoring of the signature modules)
    _sign_cavage = _sign_rfc9421 = None  # type: ignore[assignment]

PemSource = Callable[[str], bytes]
"""signer actor IRI → its private key PEM (federation.actor_keys.ActorKeys.private_pem)."""


class KeyRing:
    """Each signer's private key, loaded on first use and kept for the process."""

    def __init__(self, pem_of: PemSource) -> None:
        self.pem_of = pem_of
        self._keys: dict[str, tuple[bytes, PrivateKey]] = {}
        self._lock = threading.Lock()

    def key(self, signer: str) -> tuple[bytes, PrivateKey]:
        found = self._keys.get(signer)
        if found is None:
            pem = self.pem_of(signer)
            found = (pem, load_private_key(pem))
            with self._lock:
                self._keys[signer] = found
        return found

    def headers(self, signer: str, format: str, method: str, url: str,
                headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        """The request's headers signed by `signer` in `format` ("cavage" | "rfc9421")."""
        pem, key = self.key(signer)
        key_id = key_id_for(signer)
        if _sign_cavage is None or _sign_rfc9421 is None:
            return sign_request(method, url, headers, body, key_id, pem,
                                format=format)  # type: ignore[arg-type]
        now = datetime.now(UTC)
        signed = {name: value for name, value in headers.items() if name.lower() not in
                  ("signature", "signature-input", "digest", "content-digest")}
        present = {name.lower() for name in signed}
        if "host" not in present:
            signed["Host"] = _host_of(url)
        if "date" not in present:
            signed["Date"] = format_datetime(now, usegmt=True)
        if format == "rfc9421":
            _sign_rfc9421(method.upper(), url, signed, body, key_id, key, now, RFC9421_LABEL)
        else:
            _sign_cavage(method.upper(), url, signed, body, key_id, key, None)
        return signed
