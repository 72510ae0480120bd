"""What both HTTP signature formats share: limits, the key resolver and its results,
header access, clock and key-lookup checks.

Kept apart from federation.signatures (the API) and from the format modules so that
draft-cavage and RFC 9421 build on the same small helpers without importing each other.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from federation.keys import KeyFormatError, PublicKey, load_public_key
from federation.signatures_errors import SignatureError, StaleSignature, UnknownKey

Format = Literal["cavage", "rfc9421"]

DEFAULT_MAX_SKEW = timedelta(hours=12)
MAX_SIGNATURE_HEADER = 8192
MAX_COVERED = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


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
