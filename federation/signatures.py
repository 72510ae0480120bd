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

The cavage format is implemented here: the `httpsig` package (last release 2018) knows no
`hs2019`, no `(created)`/`(expires)`, checks neither Date nor Digest, and needs
pycryptodome. RFC 9421 signature bases, component resolution and verification are the
`http-message-signatures` package's; the checks around them (clock, digest, coverage, key
lookup) are ours, so that each failure gets its own exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from federation.errors import NotAuthenticated
from federation.keys import KeyFormatError, PublicKey, load_private_key, load_public_key

Format = Literal["cavage", "rfc9421"]

DEFAULT_MAX_SKEW = timedelta(hours=12)
RFC9421_LABEL = "sig1"
MAX_SIGNATURE_HEADER = 8192
MAX_COVERED = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


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


# --- results and resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedKey:
    """What a key resolver may return instead of a bare PEM: the key and its owner."""

    public_key_pem: str | bytes
    owner: str | None = None


KeyResolver = Callable[[str], "str | bytes | ResolvedKey | None"]


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified. `owner` is the resolver's, when it gave one: the caller
    must still check that it is the activity's actor."""

    key_id: str
    owner: str | None
    format: Format
    algorithm: str
    covered: tuple[str, ...] = ()
    created: datetime | None = None
    label: str | None = None


# --- small helpers ----------------------------------------------------------------------


@dataclass
class _Headers:
    """Request header fields, in order, with case-insensitive look-up."""

    pairs: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, headers: object) -> _Headers:
        if headers is None:
            return cls()
        items: Iterable = headers.items() if hasattr(headers, "items") else headers  # type: ignore[union-attr]
        pairs = []
        for name, value in items:
            pairs.append((_text(name), _text(value)))
        return cls(pairs)

    def values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.pairs if key.lower() == name]

    def get(self, name: str) -> str | None:
        """All field lines of `name`, trimmed and joined by ", " (RFC 9110 §5.3)."""
        values = self.values(name)
        if not values:
            return None
        return ", ".join(value.strip(" \t") for value in values)

    def __contains__(self, name: str) -> bool:
        return bool(self.values(name))

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _body_bytes(body: bytes | bytearray | str | None) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def _now(now: datetime | float | int | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if isinstance(now, int | float):
        return datetime.fromtimestamp(now, UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _skew(max_skew: timedelta | float | int) -> float:
    if isinstance(max_skew, timedelta):
        return max_skew.total_seconds()
    return float(max_skew)


def _b64decode(value: str) -> bytes:
    value = value.strip()
    if not value or len(value) > 4096:
        raise ValueError("empty or oversized base64")
    return base64.b64decode(value, validate=True)


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return host


def _request_target(url: str) -> tuple[str, str]:
    """The path with its query, and without (Fedify signs `(request-target)` without it)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return (f"{path}?{parts.query}" if parts.query else path), path


def _signing_bytes(text: str) -> bytes:
    """Header values come as Latin-1-decoded text (WSGI, Fetch's ByteString): back to bytes."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _needs_digest(method: str, body: bytes | None) -> bool:
    return method in BODY_METHODS or bool(body)


def _check_time(
    when: float, now: datetime, max_skew: float, what: str, key_id: str | None, fmt: str
) -> None:
    delta = when - now.timestamp()
    if delta > max_skew:
        raise StaleSignature(f"{what} is too far in the future", key_id=key_id, format=fmt)
    if -delta > max_skew:
        raise StaleSignature(f"{what} is too old", key_id=key_id, format=fmt)


def _resolve(
    key_resolver: KeyResolver, key_id: str, fmt: str
) -> tuple[PublicKey, str | None]:
    try:
        resolved = key_resolver(key_id)
    except SignatureError:
        raise
    except Exception as exc:  # the resolver's fetch failed: the key is not available
        raise UnknownKey(f"key {key_id} could not be resolved: {exc}", key_id=key_id,
                         format=fmt) from exc
    if resolved is None:
        raise UnknownKey(f"unknown key {key_id}", key_id=key_id, format=fmt)
    owner = None
    if isinstance(resolved, ResolvedKey):
        owner = resolved.owner
        resolved = resolved.public_key_pem
    try:
        return load_public_key(resolved), owner
    except KeyFormatError as exc:
        raise UnknownKey(f"unusable key {key_id}: {exc}", key_id=key_id, format=fmt) from exc


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


# --- the cavage format ------------------------------------------------------------------

_CAVAGE_PARAM = re.compile(
    r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+(?:\.[0-9]+)?))\s*(?:,|$)'
)
CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})


def _parse_cavage(value: str) -> dict[str, str]:
    if len(value) > MAX_SIGNATURE_HEADER:
        raise MalformedSignature("Signature header too long", format="cavage")
    params: dict[str, str] = {}
    position = 0
    value = value.strip()
    while position < len(value):
        match = _CAVAGE_PARAM.match(value, position)
        if match is None or match.end() == position:
            raise MalformedSignature("unreadable Signature header", format="cavage")
        name = match.group(1)
        if name in params:
            raise MalformedSignature(f"Signature parameter {name} repeated", format="cavage")
        quoted = match.group(2)
        params[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        position = match.end()
    return params


def _cavage_verifier(algorithm: str | None, key: PublicKey, key_id: str):
    """A function (signature, message) -> None, or raise; the algorithm as reported."""
    name = (algorithm or "hs2019").lower()
    if name not in CAVAGE_ALGORITHMS:
        raise MalformedSignature(f"unsupported algorithm {algorithm!r}", key_id=key_id,
                                 format="cavage")
    if isinstance(key, rsa.RSAPublicKey):
        return name, lambda sig, msg: key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PublicKey) and name == "hs2019":
        return name, lambda sig, msg: key.verify(sig, msg)
    raise SignatureMismatch(f"a {type(key).__name__} cannot verify {name}", key_id=key_id,
                            format="cavage")


def _verify_cavage(
    method: str,
    url: str,
    headers: _Headers,
    body: bytes | None,
    key_resolver: KeyResolver,
    now: datetime,
    max_skew: float,
) -> VerifiedSignature:
    fmt = "cavage"
    signature_values = headers.values("signature")
    if signature_values:
        if len(signature_values) > 1:
            raise MalformedSignature("several Signature headers", format=fmt)
        raw = signature_values[0]
    else:
        scheme, _, raw = (headers.get("authorization") or "").strip().partition(" ")
        if scheme.lower() != "signature":
            raise SignatureMissing("no signature", format=fmt)
    params = _parse_cavage(raw)
    key_id = params.get("keyId")
    if not key_id:
        raise MalformedSignature("Signature has no keyId", format=fmt)
    if "signature" not in params:
        raise MalformedSignature("Signature has no signature", key_id=key_id, format=fmt)
    try:
        signature = _b64decode(params["signature"])
    except (ValueError, binascii.Error) as exc:
        raise MalformedSignature("signature is not base64", key_id=key_id, format=fmt) from exc
    algorithm = params.get("algorithm")
    if algorithm is not None and algorithm.lower() not in CAVAGE_ALGORITHMS:
        raise MalformedSignature(f"unsupported algorithm {algorithm!r}", key_id=key_id,
                                 format=fmt)

    covered = params.get("headers", "date").lower().split()
    if not covered or len(covered) > MAX_COVERED or len(set(covered)) != len(covered):
        raise MalformedSignature("bad list of signed headers", key_id=key_id, format=fmt)
    if "(request-target)" not in covered:
        raise MalformedSignature("(request-target) is not signed", key_id=key_id, format=fmt)
    if "date" not in covered and "(created)" not in covered:
        raise MalformedSignature("neither date nor (created) is signed", key_id=key_id,
                                 format=fmt)
    if method in ("GET", "HEAD") and "host" not in covered:
        raise MalformedSignature("host is not signed", key_id=key_id, format=fmt)
    needs_digest = _needs_digest(method, body)
    if needs_digest and "digest" not in covered:
        raise MalformedSignature("digest is not signed", key_id=key_id, format=fmt)

    # The clock, before any key is fetched: replays cost us nothing.
    created = None
    for name in ("created", "expires"):
        if name in params and not re.fullmatch(r"[0-9]{1,18}", params[name]):
            raise MalformedSignature(f"{name} is not an integer", key_id=key_id, format=fmt)
    if "(created)" in covered and "created" not in params:
        raise MalformedSignature("(created) is signed but absent", key_id=key_id, format=fmt)
    if "(expires)" in covered and "expires" not in params:
        raise MalformedSignature("(expires) is signed but absent", key_id=key_id, format=fmt)
    if "created" in params:
        _check_time(int(params["created"]), now, max_skew, "created", key_id, fmt)
        created = datetime.fromtimestamp(int(params["created"]), UTC)
    if "expires" in params and int(params["expires"]) < now.timestamp():
        raise StaleSignature("the signature has expired", key_id=key_id, format=fmt)
    if "date" in covered:
        date_value = headers.get("date")
        if date_value is None:
            raise MalformedSignature("Date is signed but absent", key_id=key_id, format=fmt)
        try:
            date = parsedate_to_datetime(date_value)
        except (TypeError, ValueError, IndexError, OverflowError) as exc:
            raise MalformedSignature("unreadable Date", key_id=key_id, format=fmt) from exc
        if date is None:
            raise MalformedSignature("unreadable Date", key_id=key_id, format=fmt)
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        _check_time(date.timestamp(), now, max_skew, "Date", key_id, fmt)
        created = created or date

    if needs_digest or "digest" in covered:
        digest_value = headers.get("digest")
        if digest_value is None:
            raise MalformedSignature("Digest is absent", key_id=key_id, format=fmt)
        _verify_digest(digest_value, body or b"", key_id)

    # The signing strings: with the query in (request-target), then without (Fedify).
    targets = list(dict.fromkeys(_request_target(url)))
    messages = []
    for target in targets:
        lines = []
        for name in covered:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {target}")
            elif name == "(created)":
                lines.append(f"(created): {params['created']}")
            elif name == "(expires)":
                lines.append(f"(expires): {params['expires']}")
            elif name.startswith("("):
                raise MalformedSignature(f"unknown pseudo-header {name}", key_id=key_id,
                                         format=fmt)
            else:
                value = headers.get(name)
                if value is None and name == "host":
                    value = _host_of(url)
                if value is None:
                    raise MalformedSignature(f"signed header {name} is absent",
                                             key_id=key_id, format=fmt)
                lines.append(f"{name}: {value}")
        messages.append(_signing_bytes("\n".join(lines)))

    key, owner = _resolve(key_resolver, key_id, fmt)
    algorithm_name, verify = _cavage_verifier(algorithm, key, key_id)
    for message in messages:
        try:
            verify(signature, message)
        except (CryptoInvalidSignature, ValueError):
            continue
        return VerifiedSignature(
            key_id=key_id, owner=owner, format="cavage", algorithm=algorithm_name,
            covered=tuple(covered), created=created,
        )
    raise SignatureMismatch("the signature does not verify", key_id=key_id, format=fmt)


def _sign_cavage(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    key_id: str,
    private_key,
    algorithm: str | None,
) -> None:
    covered = ["(request-target)", "host", "date"]
    if _needs_digest(method, body):
        headers["Digest"] = digest_header(body or b"")
        covered.append("digest")
    target, _ = _request_target(url)
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {_Headers.of(headers).get(name)}")
    message = _signing_bytes("\n".join(lines))
    if isinstance(private_key, rsa.RSAPrivateKey):
        name = algorithm or "rsa-sha256"
        signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        name = algorithm or "hs2019"
        if name != "hs2019":
            raise ValueError("an Ed25519 key signs cavage signatures as hs2019 only")
        signature = private_key.sign(message)
    if name not in CAVAGE_ALGORITHMS:
        raise ValueError(f"unsupported cavage algorithm {name!r}")
    if '"' in key_id or "\\" in key_id:
        raise ValueError("a key id with quotes cannot be carried in a Signature header")
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="{name}",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )


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
