"""Body digests for HTTP signatures: `Digest` (RFC 3230, cavage) and `Content-Digest`
(RFC 9530, RFC 9421), computed when signing and checked when verifying.

One module for both headers, since both formats refuse a mismatch the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import http_sf

from federation.signatures_common import _b64decode
from federation.signatures_errors import DigestMismatch, MalformedSignature

_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


# --- digests ----------------------------------------------------------------------------


def digest_header(body: bytes) -> str:
    """`Digest: SHA-256=…` (RFC 3230), as the cavage format signs it."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """`Content-Digest: sha-256=:…:` (RFC 9530), as RFC 9421 signatures cover it."""
    return http_sf.ser({"sha-256": (hashlib.sha256(body).digest(), {})})


def _check_digests(found: dict[str, bytes], body: bytes, header: str, key_id, fmt) -> None:
    if not found:
        raise MalformedSignature(f"{header} has no SHA-256 or SHA-512 digest",
                                 key_id=key_id, format=fmt)
    for algorithm, digest in found.items():
        expected = _DIGESTS[algorithm](body).digest()
        if not hmac.compare_digest(digest, expected):
            raise DigestMismatch(f"{header} ({algorithm}) does not match the body",
                                 key_id=key_id, format=fmt)


def _verify_digest(value: str, body: bytes, key_id: str | None) -> None:
    found: dict[str, bytes] = {}
    for member in value.split(","):
        name, sep, encoded = member.strip().partition("=")
        algorithm = name.strip().lower()
        if not sep or algorithm not in _DIGESTS:
            continue
        try:
            found[algorithm] = _b64decode(encoded)
        except (ValueError, binascii.Error) as exc:
            raise MalformedSignature("Digest is not base64", key_id=key_id,
                                     format="cavage") from exc
    _check_digests(found, body, "Digest", key_id, "cavage")


def _verify_content_digest(value: str, body: bytes, key_id: str | None) -> None:
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise MalformedSignature("Content-Digest is not a structured dictionary",
                                 key_id=key_id, format="rfc9421") from exc
    found: dict[str, bytes] = {}
    for algorithm, member in parsed.items():
        if algorithm not in _DIGESTS:
            continue
        if not isinstance(member, tuple) or not isinstance(member[0], bytes):
            raise MalformedSignature("Content-Digest values are byte sequences",
                                     key_id=key_id, format="rfc9421")
        found[algorithm] = member[0]
    _check_digests(found, body, "Content-Digest", key_id, "rfc9421")
