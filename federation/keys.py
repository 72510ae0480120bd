"""Actors' key pairs: generated, exported and loaded as PEM.

Private keys travel as PEM bytes (PKCS#8, unencrypted) so that the private store can keep
them as opaque bytes; public keys are exported as SPKI PEM (`BEGIN PUBLIC KEY`), the form
Mastodon and Fedify publish in `publicKey.publicKeyPem`. Loading accepts SPKI and PKCS#1
(`BEGIN RSA PUBLIC KEY`, as Mobilizon publishes it), for RSA and Ed25519 keys.

Nothing here touches the network or the stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

DEFAULT_KEY_SIZE = 2048
"""Our actors' RSA keys (Mastodon's size; Fedify generates 4096-bit keys for its own)."""

MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
MAX_PEM_LENGTH = 16 * 1024

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

_PEM_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL
)


class KeyFormatError(ValueError):
    """The bytes are not a key we can use (wrong format, wrong type, wrong size)."""


@dataclass(frozen=True)
class KeyPair:
    """A freshly generated pair: keep `private_pem` in the private store, publish the other."""

    private_pem: bytes
    public_pem: str


def generate_key_pair(bits: int = DEFAULT_KEY_SIZE) -> KeyPair:
    """A new RSA key pair for an actor (public exponent 65537)."""
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise ValueError(f"RSA keys must have {MIN_RSA_BITS}..{MAX_RSA_BITS} bits, not {bits}")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return KeyPair(private_pem=private_key_pem(key), public_pem=public_key_pem(key))


def generate_ed25519_key_pair() -> KeyPair:
    """A new Ed25519 key pair (for RFC 9421 signatures or object proofs, where wanted)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(private_pem=private_key_pem(key), public_pem=public_key_pem(key))


def private_key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM bytes of a private key, unencrypted (the private store protects them)."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_key_pem(key: PrivateKey | PublicKey | bytes | str) -> str:
    """SPKI PEM text of a public key, from a key object or any PEM we can load.

    A private key (object or PEM) gives its public half.
    """
    if isinstance(key, bytes | str):
        text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
        key = load_private_key(key) if "PRIVATE KEY-----" in text else load_public_key(key)
    if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


def _normalise_pem(pem: bytes | str) -> bytes:
    """The first PEM block, re-wrapped: tolerate CRLF, indentation and stray text around it."""
    if isinstance(pem, bytes):
        try:
            pem = pem.decode("ascii")
        except UnicodeDecodeError as exc:
            raise KeyFormatError("a PEM key is ASCII text") from exc
    if not isinstance(pem, str):
        raise KeyFormatError(f"a PEM key is text, not {type(pem).__name__}")
    if len(pem) > MAX_PEM_LENGTH:
        raise KeyFormatError("PEM text too long")
    # JSON documents sometimes carry the PEM with literal "\n" sequences.
    pem = pem.replace("\\n", "\n")
    match = _PEM_BLOCK.search(pem)
    if match is None:
        raise KeyFormatError("no PEM block found")
    label, body = match.group(1), match.group(2)
    body = "".join(body.split())
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", body) or not body:
        raise KeyFormatError("PEM body is not base64")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])).encode()


def _check_public(key: object) -> PublicKey:
    if isinstance(key, rsa.RSAPublicKey):
        if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
            raise KeyFormatError(f"RSA key of {key.key_size} bits refused")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise KeyFormatError(f"unsupported key type {type(key).__name__}")


def load_public_key(pem: bytes | str) -> PublicKey:
    """An RSA or Ed25519 public key from SPKI or PKCS#1 PEM; `KeyFormatError` otherwise."""
    data = _normalise_pem(pem)
    # SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY"): cryptography reads both.
    if not data.startswith((b"-----BEGIN PUBLIC KEY-----", b"-----BEGIN RSA PUBLIC KEY-----")):
        raise KeyFormatError("not a public key PEM block")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"unreadable public key: {exc}") from exc
    return _check_public(key)


def load_private_key(pem: bytes | str) -> PrivateKey:
    """An RSA or Ed25519 private key from PKCS#8 or PKCS#1 PEM (unencrypted).

    Kept once loaded: reading an RSA private key checks it (about 50 ms for 2048 bits),
    and every signed delivery or fetch needs its actor's key again.
    """
    return _load_private_key(_normalise_pem(pem))


@lru_cache(maxsize=4096)
def _load_private_key(data: bytes) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"unreadable private key: {exc}") from exc
    if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        return key
    raise KeyFormatError(f"unsupported key type {type(key).__name__}")


def key_id_for(actor_iri: str) -> str:
    """The key id we publish for an actor's main key: `{actor}#main-key`."""
    return f"{actor_iri}#main-key"


def public_key_document(actor_iri: str, public_pem: str) -> dict[str, str]:
    """The actor's `publicKey` member (security v1 vocabulary)."""
    return {"id": key_id_for(actor_iri), "owner": actor_iri, "publicKeyPem": public_pem}
