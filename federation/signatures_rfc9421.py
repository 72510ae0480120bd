"""The RFC 9421 format (`Signature-Input` / `Signature`), signing and verification.

Signature bases, component resolution and the cryptography are the
`http-message-signatures` package's; the checks around them (clock, digest, coverage,
key lookup) are here, so that each failure gets its own SignatureError subclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import http_sf
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from federation.signatures_common import (
    MAX_COVERED,
    MAX_SIGNATURE_HEADER,
    KeyResolver,
    VerifiedSignature,
    _check_time,
    _Headers,
    _needs_digest,
    _resolve,
)
from federation.signatures_digest import _verify_content_digest, content_digest_header
from federation.signatures_errors import (
    MalformedSignature,
    SignatureError,
    SignatureMismatch,
    StaleSignature,
)

RFC9421_LABEL = "sig1"


# --- RFC 9421 ---------------------------------------------------------------------------

_RFC9421_ALGORITHMS = {
    "rsa-v1_5-sha256": (algorithms.RSA_V1_5_SHA256, rsa.RSAPublicKey),
    "rsa-pss-sha512": (algorithms.RSA_PSS_SHA512, rsa.RSAPublicKey),
    "ed25519": (algorithms.ED25519, ed25519.Ed25519PublicKey),
}
_RFC9421_PARAMS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})


@dataclass
class _Message:
    """The request as http-message-signatures reads it."""

    method: str
    url: str
    headers: object


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key_id: str, public_key=None, private_key=None) -> None:
        self.key_id, self.public_key, self.private_key = key_id, public_key, private_key

    def resolve_public_key(self, key_id: str):
        return self.public_key if key_id == self.key_id else None

    def resolve_private_key(self, key_id: str):
        if key_id != self.key_id or self.private_key is None:
            raise KeyError(key_id)
        return self.private_key


class _Verifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input, max_age=None):
        """Checked before, against the caller's clock and window."""


def _parse_dictionary(value: str | None, name: str) -> dict:
    if value is None:
        raise MalformedSignature(f"no {name} header", format="rfc9421")
    if len(value) > MAX_SIGNATURE_HEADER:
        raise MalformedSignature(f"{name} header too long", format="rfc9421")
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise MalformedSignature(f"{name} is not a structured dictionary",
                                 format="rfc9421") from exc
    if not isinstance(parsed, dict) or not parsed:
        raise MalformedSignature(f"{name} is empty", format="rfc9421")
    return parsed


def _verify_rfc9421(
    method: str,
    url: str,
    headers: _Headers,
    body: bytes | None,
    key_resolver: KeyResolver,
    now: datetime,
    max_skew: float,
) -> VerifiedSignature:
    inputs = _parse_dictionary(headers.get("signature-input"), "Signature-Input")
    signatures = _parse_dictionary(headers.get("signature"), "Signature")
    first_error: SignatureError | None = None
    for label, member in inputs.items():
        try:
            return _verify_rfc9421_one(
                label, member, signatures.get(label), method, url, headers, body,
                key_resolver, now, max_skew,
            )
        except SignatureError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _verify_rfc9421_one(
    label: str,
    member,
    signature_member,
    method: str,
    url: str,
    headers: _Headers,
    body: bytes | None,
    key_resolver: KeyResolver,
    now: datetime,
    max_skew: float,
) -> VerifiedSignature:
    fmt = "rfc9421"
    components, params = member
    if not isinstance(components, list):
        raise MalformedSignature(f"Signature-Input {label} is not an inner list", format=fmt)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise MalformedSignature(f"signature {label} has no keyid", format=fmt)
    if signature_member is None:
        raise MalformedSignature(f"no Signature for {label}", key_id=key_id, format=fmt)
    signature = signature_member[0]
    if not isinstance(signature, bytes) or not signature:
        raise MalformedSignature(f"Signature {label} is not a byte sequence", key_id=key_id,
                                 format=fmt)
    unknown = set(params) - _RFC9421_PARAMS
    if unknown:
        raise MalformedSignature(f"unknown signature parameters {sorted(unknown)}",
                                 key_id=key_id, format=fmt)
    alg = params.get("alg")
    if alg is not None and alg not in _RFC9421_ALGORITHMS:
        raise MalformedSignature(f"unsupported alg {alg!r}", key_id=key_id, format=fmt)
    names = []
    for item in components:
        if not isinstance(item, tuple) or not isinstance(item[0], str):
            raise MalformedSignature("covered components are strings", key_id=key_id,
                                     format=fmt)
        names.append((item[0], bool(item[1])))
    if len(names) > MAX_COVERED:
        raise MalformedSignature("too many covered components", key_id=key_id, format=fmt)
    bare = {name for name, has_params in names if not has_params}
    for required in ("@method", "@target-uri"):
        if required not in bare:
            raise MalformedSignature(f"{required} is not covered", key_id=key_id, format=fmt)
    needs_digest = _needs_digest(method, body)
    if needs_digest and "content-digest" not in bare:
        raise MalformedSignature("content-digest is not covered", key_id=key_id, format=fmt)

    created = params.get("created")
    if type(created) is not int:
        raise MalformedSignature("created is missing or not an integer", key_id=key_id,
                                 format=fmt)
    _check_time(created, now, max_skew, "created", key_id, fmt)
    expires = params.get("expires")
    if expires is not None:
        if type(expires) is not int:
            raise MalformedSignature("expires is not an integer", key_id=key_id, format=fmt)
        if expires < now.timestamp():
            raise StaleSignature("the signature has expired", key_id=key_id, format=fmt)

    if needs_digest or "content-digest" in bare:
        digest_value = headers.get("content-digest")
        if digest_value is None:
            raise MalformedSignature("Content-Digest is absent", key_id=key_id, format=fmt)
        _verify_content_digest(digest_value, body or b"", key_id)

    key, owner = _resolve(key_resolver, key_id, fmt)
    if alg is None:
        alg = "rsa-v1_5-sha256" if isinstance(key, rsa.RSAPublicKey) else "ed25519"
    algorithm, key_type = _RFC9421_ALGORITHMS[alg]
    if not isinstance(key, key_type):
        raise SignatureMismatch(f"a {type(key).__name__} cannot verify {alg}", key_id=key_id,
                                format=fmt)

    # Hand the library this one signature alone.
    kept = [
        (name, value) for name, value in headers.pairs
        if name.lower() not in ("signature", "signature-input")
    ]
    try:
        kept.append(("Signature-Input", http_sf.ser({label: member})))
        kept.append(("Signature", http_sf.ser({label: signature_member})))
    except (ValueError, TypeError) as exc:
        raise MalformedSignature("unusable signature member", key_id=key_id,
                                 format=fmt) from exc
    verifier = _Verifier(signature_algorithm=algorithm, key_resolver=_OneKey(key_id, key))
    try:
        results = verifier.verify(_Message(method, url, _Headers(kept)), max_age=None)
    except HTTPMessageSignaturesException as exc:
        cause = exc.__cause__
        if isinstance(cause, CryptoInvalidSignature) or (
            isinstance(cause, HTTPMessageSignaturesException)
            and "signature length" in str(cause)
        ):
            raise SignatureMismatch("the signature does not verify", key_id=key_id,
                                    format=fmt) from exc
        raise MalformedSignature(f"signature {label} cannot be checked: {exc}",
                                 key_id=key_id, format=fmt) from exc
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise MalformedSignature(f"signature {label} cannot be checked: {exc}",
                                 key_id=key_id, format=fmt) from exc
    covered = tuple(results[0].covered_components) if results else ()
    return VerifiedSignature(
        key_id=key_id, owner=owner, format="rfc9421", algorithm=alg,
        covered=tuple(c for c in covered if c != '"@signature-params"'),
        created=datetime.fromtimestamp(created, UTC), label=label,
    )


def _sign_rfc9421(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    key_id: str,
    private_key,
    now: datetime,
    label: str,
) -> None:
    if isinstance(private_key, rsa.RSAPrivateKey):
        algorithm = algorithms.RSA_V1_5_SHA256
    else:
        algorithm = algorithms.ED25519
    covered = ["@method", "@target-uri"]
    if _needs_digest(method, body):
        headers["Content-Digest"] = content_digest_header(body or b"")
        covered.append("content-digest")
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm, key_resolver=_OneKey(key_id, private_key=private_key)
    )
    try:
        signer.sign(
            _Message(method, url, headers), key_id=key_id, created=now, label=label,
            covered_component_ids=covered, include_alg=True,
            use_existing_digest="content-digest" in covered,
        )
    except HTTPMessageSignaturesException as exc:
        raise ValueError(f"cannot sign: {exc}") from exc
