"""The draft-cavage-http-signatures-12 format (`Signature: keyId=…,headers=…`), signing
and verification, as Mastodon and Fedify use it.

Implemented here rather than with the `httpsig` package (last release 2018), which knows
no `hs2019`, no `(created)`/`(expires)`, checks neither Date nor Digest, and needs
pycryptodome. federation.signatures picks this module or signatures_rfc9421.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.keys import PublicKey
from federation.signatures_common import (
    MAX_COVERED,
    MAX_SIGNATURE_HEADER,
    KeyResolver,
    VerifiedSignature,
    _b64decode,
    _check_time,
    _Headers,
    _host_of,
    _needs_digest,
    _request_target,
    _resolve,
    _signing_bytes,
)
from federation.signatures_digest import _verify_digest, digest_header
from federation.signatures_errors import (
    MalformedSignature,
    SignatureMismatch,
    SignatureMissing,
    StaleSignature,
)

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
