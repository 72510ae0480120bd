"""HTTP signatures for ActivityPub: draft-cavage-http-signatures-12 and RFC 9421.

Signing:

    headers = sign_request("POST", inbox_url, {"Content-Type": AP_JSON}, body,
                           key_id, private_key_pem, format="cavage")

returns the request's headers with `Host`, `Date`, the body digest and the signature added.

Verification:

    verified = verify_request(method, url, headers, body, key_resolver)

`key_resolver(key_id)` is the caller's: it returns the key's PEM (or a `ResolvedKey`
carrying the key's owner too), or None when the key is unknown. Every refusal is a
`SignatureError` (HTTP 401), and its subclass says why, so that the caller can fetch the
key again once on `SignatureMismatch` or `UnknownKey` (key rotation) and answer 401:

- `SignatureMissing`: no signature at all;
- `MalformedSignature`: unparsable header, unsupported algorithm, required parts unsigned;
- `StaleSignature`: `Date` / `created` outside the window, or `expires` passed;
- `DigestMismatch`: the body is not the one the signed digest describes;
- `UnknownKey`: the resolver has no usable key for the key id;
- `SignatureMismatch`: the signature does not verify with that key.

What each format must cover (Mastodon's expectations, which Fedify meets):

- cavage: `(request-target)`; `date` or `(created)`; `host` on GET/HEAD; `digest` whenever
  the request has a body (POST). `rsa-sha256` and `hs2019` (algorithm from the key: RSA →
  RSASSA-PKCS1-v1_5 with SHA-256, as Mastodon and Fedify use it; Ed25519 → Ed25519).
- RFC 9421: a `created` parameter and a `keyid`; `"@method"` and `"@target-uri"`;
  `"content-digest"` whenever the request has a body. `alg` `rsa-v1_5-sha256`,
  `rsa-pss-sha512` or `ed25519`, or none (then the key decides, as Mastodon does).

The cavage format is implemented in this project (signatures_cavage): the `httpsig`
package (last release 2018) knows no `hs2019`, no `(created)`/`(expires)`, checks neither
Date nor Digest, and needs pycryptodome. RFC 9421 signature bases, component resolution
and verification are the `http-message-signatures` package's; the checks around them
(clock, digest, coverage, key lookup) are ours (signatures_rfc9421), so that each failure
gets its own exception.

This module is the API (`sign_request`, `verify_request`, `signature_format`) and
re-exports the names callers import from it; the work is split by responsibility:
signatures_errors (refusals), signatures_common (shared helpers and results),
signatures_digest (Digest / Content-Digest), signatures_cavage and signatures_rfc9421.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime

from http_message_signatures.exceptions import HTTPMessageSignaturesException

from federation.keys import load_private_key
from federation.signatures_cavage import CAVAGE_ALGORITHMS, _sign_cavage, _verify_cavage
from federation.signatures_common import (
    BODY_METHODS,
    DEFAULT_MAX_SKEW,
    MAX_COVERED,
    MAX_SIGNATURE_HEADER,
    Format,
    KeyResolver,
    ResolvedKey,
    VerifiedSignature,
    _body_bytes,
    _Headers,
    _host_of,
    _now,
    _skew,
    _text,
)
from federation.signatures_digest import _verify_content_digest as _verify_content_digest
from federation.signatures_digest import _verify_digest as _verify_digest
from federation.signatures_digest import content_digest_header, digest_header
from federation.signatures_errors import (
    DigestMismatch,
    MalformedSignature,
    SignatureError,
    SignatureMismatch,
    SignatureMissing,
    StaleSignature,
    UnknownKey,
)
from federation.signatures_rfc9421 import RFC9421_LABEL, _sign_rfc9421, _verify_rfc9421

__all__ = [
    "BODY_METHODS",
    "CAVAGE_ALGORITHMS",
    "DEFAULT_MAX_SKEW",
    "MAX_COVERED",
    "MAX_SIGNATURE_HEADER",
    "RFC9421_LABEL",
    "DigestMismatch",
    "Format",
    "KeyResolver",
    "MalformedSignature",
    "ResolvedKey",
    "SignatureError",
    "SignatureMismatch",
    "SignatureMissing",
    "StaleSignature",
    "UnknownKey",
    "VerifiedSignature",
    "content_digest_header",
    "digest_header",
    "sign_request",
    "signature_format",
    "verify_request",
]


# --- the API ----------------------------------------------------------------------------


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    key_id: str,
    private_key_pem: bytes | str,
    format: Format = "cavage",
    now: datetime | float | None = None,
    *,
    algorithm: str | None = None,
    label: str = RFC9421_LABEL,
) -> dict[str, str]:
    """The request's headers, signed.

    Adds `Host` and `Date` when absent; for a request with a body (POST, PUT, PATCH),
    `Digest` (cavage) or `Content-Digest` (RFC 9421) computed from `body`, replacing any
    given. Cavage signs `(request-target) host date [digest]` with `rsa-sha256` (or
    `algorithm="hs2019"`); RFC 9421 signs `"@method" "@target-uri" ["content-digest"]`
    with `created`, `keyid` and `alg="rsa-v1_5-sha256"` under `label`.
    """
    method = method.upper()
    body_bytes = _body_bytes(body)
    moment = _now(now)
    key = load_private_key(private_key_pem)
    dropped = {"signature", "signature-input", "digest", "content-digest"}
    signed: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if name.lower() not in dropped:
            signed[name] = value
    present = {name.lower() for name in signed}
    if "host" not in present:
        signed["Host"] = _host_of(url)
    if "date" not in present:
        signed["Date"] = format_datetime(moment, usegmt=True)
    if format == "cavage":
        _sign_cavage(method, url, signed, body_bytes, key_id, key, algorithm)
    elif format == "rfc9421":
        _sign_rfc9421(method, url, signed, body_bytes, key_id, key, moment, label)
    else:
        raise ValueError(f"unknown signature format {format!r}")
    return signed


def signature_format(headers: object) -> Format | None:
    """Which format a request is signed in, from its headers (None: unsigned)."""
    parsed = _Headers.of(headers)
    if "signature-input" in parsed:
        return "rfc9421"
    if "signature" in parsed:
        return "cavage"
    authorization = (parsed.get("authorization") or "").lstrip().lower()
    if authorization.startswith("signature "):
        return "cavage"
    return None


def verify_request(
    method: str,
    url: str,
    headers: object,
    body: bytes | str | None,
    key_resolver: KeyResolver,
    now: datetime | float | None = None,
    max_skew: timedelta | float = DEFAULT_MAX_SKEW,
) -> VerifiedSignature:
    """Verify the request's signature, in whichever format it comes; raise a
    `SignatureError` subclass when it is refused (see the module's docstring).

    `url` is the absolute URL the request was sent to, as the sender saw it (the public
    base URL, not a proxy's internal one): RFC 9421 signs it whole. `headers` is a mapping
    or a sequence of (name, value) pairs (repeated fields allowed). `body` is the raw
    body bytes (None for GET). `now` defaults to the current time; `max_skew` bounds
    `Date` / `created` both ways.
    """
    try:
        method = _text(method).upper()
        url = _text(url)
        parsed = _Headers.of(headers)
        body_bytes = _body_bytes(body)
    except (TypeError, ValueError, AttributeError) as exc:
        raise MalformedSignature(f"unreadable request: {exc}") from exc
    moment = _now(now)
    skew = _skew(max_skew)
    fmt = signature_format(parsed)
    if fmt is None:
        raise SignatureMissing("the request is not signed")
    verify = _verify_rfc9421 if fmt == "rfc9421" else _verify_cavage
    try:
        return verify(method, url, parsed, body_bytes, key_resolver, moment, skew)
    except SignatureError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError,
            UnicodeError, binascii.Error, HTTPMessageSignaturesException) as exc:
        # Hostile input must never escape as anything but a refusal.
        raise MalformedSignature(f"unreadable signature: {exc}", format=fmt) from exc
