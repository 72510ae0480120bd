"""HTTP signature refusals: one `SignatureError` (HTTP 401) subclass per reason.

Split out of federation.signatures so that both formats (signatures_cavage,
signatures_rfc9421), the digest checks and the callers share one hierarchy; the
subclass tells the caller whether fetching the key again may help.
"""

from __future__ import annotations

from federation.errors import NotAuthenticated

# --- errors ---------------------------------------------------------------------------


class SignatureError(NotAuthenticated):
    """The request's signature is refused; `key_id` and `format` are set when known."""

    def __init__(self, message: str, *, key_id: str | None = None, format: str | None = None):
        super().__init__(message)
        self.key_id = key_id
        self.format = format


class SignatureMissing(SignatureError):
    """The request carries no signature."""


class MalformedSignature(SignatureError):
    """The signature headers cannot be read, or do not cover what they must."""


class StaleSignature(SignatureError):
    """`Date` or `created` is too far from now, or `expires` has passed (replay guard)."""


class DigestMismatch(SignatureError):
    """The body does not match its `Digest` / `Content-Digest`."""


class UnknownKey(SignatureError):
    """No usable public key for the key id (the caller may fetch it again once)."""


class SignatureMismatch(SignatureError):
    """The signature does not verify with the key (the caller may fetch it again once)."""
