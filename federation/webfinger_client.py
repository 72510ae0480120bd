"""Finding a remote account from what a person types: `@user@host`, `user@host`,
`acct:user@host` or the actor's URL.

A handle is split at its last `@` (the host may carry a `:port`, as loopback test peers
do) and looked up with WebFinger (RFC 7033) at `https://host/.well-known/webfinger`; the
JRD's `self` link of an ActivityStreams type is the actor's IRI. Plain http is tried only
when the operator allows private addresses (COMMUNECTER_ALLOW_PRIVATE_ADDRESSES, for tests
and local federations), after https failed to connect. Every request goes through
`federation.safe_fetch`, so a handle cannot point us at a private address, a huge answer or
a slow server. Nothing here touches the stores: the caller fetches and caches the actor
(federation.remote.RemoteObjects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from federation.safe_fetch import ConnectionFailed, FetchError, safe_get

MAX_JRD_BYTES = 64 * 1024
MAX_INPUT = 500
ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")
JRD_ACCEPT = "application/jrd+json, application/json;q=0.9"
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_USER = re.compile(r"^[A-Za-z0-9._~!$&'*+=-]{1,200}$")
_HOST = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*)"
    r"(?::[0-9]{1,5})?$"
)


class LookupFailed(Exception):
    """The input is not a handle or an actor URL, or the look-up failed; `reason` is a
    stable key the UI turns into a sentence ("malformed", "not_found", "unreachable")."""

    def __init__(self, reason: str, message: str, answered: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.answered = answered  # the host gave an HTTP answer (it is up)


@dataclass(frozen=True)
class Handle:
    user: str
    host: str  # with its :port when it has one

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"

    @property
    def acct(self) -> str:
        return f"acct:{self.user}@{self.host}"


def parse(text: str) -> Handle | str:
    """A Handle, or the URL itself when the input is an http(s) URL; LookupFailed when it
    is neither."""
    value = (text or "").strip()
    if not value or len(value) > MAX_INPUT:
        raise LookupFailed("malformed", "type a handle such as @name@example.org or a URL")
    if value.lower().startswith(("https://", "http://")):
        if not is_actor_url(value):
            raise LookupFailed("malformed", "this URL cannot be an account's address")
        return value
    if value.lower().startswith("acct:"):
        value = value[5:]
    value = value.lstrip("@")
    user, at, host = value.rpartition("@")
    host = host.lower()
    if not at or not _USER.match(user) or not _HOST.match(host):
        raise LookupFailed("malformed", "type a handle such as @name@example.org or a URL")
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else None
    if port is not None and not 0 < int(port) < 65536:
        raise LookupFailed("malformed", "this handle's port is not a port")
    return Handle(user, host)


def is_actor_url(value: str) -> bool:
    """An absolute http(s) URL with a host, no credentials, nothing that could not stand in
    an IRI (spaces, quotes, angle brackets…), of a sensible length."""
    if len(value) > MAX_INPUT or _NOT_IN_IRI.search(value):
        return False
    if not value.lower().startswith(("https://", "http://")):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return False
    return bool(parts.hostname) and not parts.username and not parts.password


def actor_from_jrd(document: object) -> str | None:
    """The IRI of the `self` link of an ActivityStreams type in a JRD, if any."""
    if not isinstance(document, dict):
        return None
    links = document.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        href = link.get("href")
        if kind in ACTIVITY_TYPES and isinstance(href, str) and is_actor_url(href):
            return href
    return None


def webfinger(handle: Handle, *, allow_private: bool = False) -> str:
    """The actor IRI that `handle`'s host announces for it (LookupFailed otherwise)."""
    schemes = ("https", "http") if allow_private else ("https",)
    return _lookup(handle.acct, handle.host, schemes, allow_private=allow_private)


def _lookup(resource: str, host: str, schemes: tuple[str, ...], *,
            allow_private: bool) -> str:
    last: Exception | None = None
    for scheme in schemes:
        url = (f"{scheme}://{host}/.well-known/webfinger?resource="
               f"{quote(resource, safe=':@/')}")
        try:
            response = safe_get(url, headers={"Accept": JRD_ACCEPT},
                                allow_private=allow_private, max_bytes=MAX_JRD_BYTES)
        except ConnectionFailed as error:  # perhaps a plain-http test peer: next scheme
            last = error
            continue
        except FetchError as error:
            raise LookupFailed("unreachable", f"{host} did not answer: {error}") from error
        if response.status_code in (404, 410):
            raise LookupFailed("not_found", f"{resource} is not known at {host}", True)
        if not response.ok:
            raise LookupFailed("unreachable",
                               f"{host} answered {response.status_code} to WebFinger", True)
        try:
            document = response.json()
        except ValueError as error:
            raise LookupFailed("unreachable", f"{host} answered no JSON", True) from error
        actor = actor_from_jrd(document)
        if actor is None:
            raise LookupFailed("not_found", f"{host} gives no ActivityPub actor for "
                                            f"{resource}", True)
        return actor
    raise LookupFailed("unreachable", f"{host} did not answer: {last}")


def resolve(text: str, *, allow_private: bool = False) -> str:
    """The actor IRI for what a person typed: a handle (WebFinger), or a URL — a profile
    page's URL is asked to its host's WebFinger first (Mastodon answers for
    https://host/@name), else taken as the actor's IRI."""
    found = parse(text)
    if isinstance(found, Handle):
        return webfinger(found, allow_private=allow_private)
    parts = urlsplit(found)
    try:
        return _lookup(found, parts.netloc.lower(), (parts.scheme.lower(),),
                       allow_private=allow_private)
    except LookupFailed as failed:
        if not failed.answered:  # the host is down: fetching the actor would fail too
            raise
        return found


def handle_of(actor: str, preferred_username: str | None) -> str | None:
    """`user@host` from an actor's preferredUsername and the host (with port) of its IRI."""
    if not preferred_username:
        return None
    host = urlsplit(actor).netloc.rsplit("@", 1)[-1].lower()
    return f"{preferred_username}@{host}" if host else None
