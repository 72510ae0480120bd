"""Outbound HTTP for federation: GET and POST that remote servers cannot turn against us.

- Only http and https URLs, without credentials in them.
- The host name is resolved here; every address it resolves to must be public (not
  private, loopback, link-local, multicast, reserved, unspecified or otherwise
  non-global), unless the caller passes `allow_private=True` (the operator's
  COMMUNECTER_ALLOW_PRIVATE_ADDRESSES). The connection then goes to the address that was
  checked — pinned, so a second DNS answer (rebinding) cannot swap it — while `Host`,
  TLS SNI and certificate checks keep the host name.
- At most `max_redirects` redirects, each target checked the same way; a POST follows
  only 307/308 (other redirects are returned to the caller, never turned into a GET).
- Connect and read timeouts, and a total time limit over every hop that also cuts a
  server dripping its answer byte by byte.
- The body is streamed and counted (after content decoding): past `max_bytes` the fetch
  is refused.
- Environment proxies are ignored: a proxy would connect wherever it likes.

`sign` (optional) is called for every hop with (method, url, headers, body) and returns
the headers to send: HTTP signatures cover the target URL, so a redirected request is
signed again for its new target.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_TOTAL_TIMEOUT = 20.0
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_USER_AGENT = "Communecter (+https://w3id.org/communecter/ns)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 16 * 1024

Signer = Callable[[str, str, dict[str, str], bytes | None], Mapping[str, str]]


class FetchError(Exception):
    """The fetch failed or was refused; `url` is the URL concerned."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class InvalidURL(FetchError):
    """Not an absolute http(s) URL with a host, or one with credentials in it."""


class BlockedAddress(FetchError):
    """The host resolves to an address that outbound requests may not reach."""


class TooManyRedirects(FetchError):
    pass


class ResponseTooLarge(FetchError):
    pass


class FetchTimeout(FetchError):
    pass


class ConnectionFailed(FetchError):
    """Name resolution, connection or TLS failed."""


@dataclass
class FetchResponse:
    url: str
    status_code: int
    headers: CaseInsensitiveDict
    content: bytes
    redirects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type")), "replace")

    def json(self) -> Any:
        """The body parsed as JSON; `ValueError` when it is not JSON."""
        return json.loads(self.content)


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


# --- address checks ---------------------------------------------------------------------


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an outbound request may reach this address without `allow_private`."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _split(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL: {exc}", url) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURL(f"only http and https URLs are fetched, not {scheme or 'none'}", url)
    if not parts.hostname:
        raise InvalidURL("URL without a host", url)
    if parts.username is not None or parts.password is not None:
        raise InvalidURL("URL with credentials", url)
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidURL("URL with spaces or control characters", url)
    if port == 0:
        raise InvalidURL("URL with port 0", url)
    return scheme, parts.hostname, port if port is not None else (443 if scheme == "https" else 80)


def resolve(host: str, port: int, *, allow_private: bool = False) -> str:
    """The address to connect to: every address of `host` is checked, the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ConnectionFailed(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise ConnectionFailed(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address.split("%", 1)[0]):
                raise BlockedAddress(f"{host} resolves to a non-public address ({address})")
    return addresses[0]


# --- the pinned connection --------------------------------------------------------------


class _Watchdog:
    """Shuts the sockets down when the total time is up, wherever the exchange is."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Hands every new socket to the watchdog that enforces the total time limit."""

    def __init__(self, *args, watchdog: _Watchdog | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self._watchdog is not None:
            self._watchdog.attach(self.sock)  # type: ignore[attr-defined]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    """Sends to one checked address, whatever the URL's host name resolves to now."""

    def __init__(self, address: str, hostname: str, watchdog: _Watchdog) -> None:
        super().__init__(max_retries=0)
        self._address = address
        self._hostname = hostname
        self._watchdog = watchdog
        self._pools: list[HTTPConnectionPool] = []

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        scheme, _, port = _split(request.url)
        if scheme == "https":
            pool: HTTPConnectionPool = _PinnedHTTPSPool(
                self._address, port, maxsize=1, server_hostname=self._hostname,
                assert_hostname=self._hostname, watchdog=self._watchdog,
            )
        else:
            pool = _PinnedHTTPPool(self._address, port, maxsize=1, watchdog=self._watchdog)
        self._pools.append(pool)
        return pool

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
        super().close()


# --- the fetch --------------------------------------------------------------------------


def _host_header(scheme: str, hostname: str, port: int) -> str:
    host = f"[{hostname}]" if ":" in hostname else hostname
    if (scheme, port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"


def _read_body(response: requests.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"body of {declared} bytes is over {max_bytes}", url)
    chunks = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(f"body over {max_bytes} bytes", url)
        if time.monotonic() > deadline:
            raise FetchTimeout("total time limit exceeded", url)
        chunks.append(chunk)
    return b"".join(chunks)


def safe_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    sign: Signer | None = None,
    verify: bool | str = True,
) -> FetchResponse:
    """One request under every limit above; a `FetchError` subclass when refused.

    Any status is returned (the caller decides what a 4xx or 5xx means), except that a
    redirect beyond `max_redirects` raises `TooManyRedirects`. `verify` is requests': True
    (the system's CA bundle), or the path of a CA bundle to trust instead.
    """
    method = method.upper()
    if isinstance(body, str):
        body = body.encode("utf-8")
    base_headers = {"User-Agent": DEFAULT_USER_AGENT, **(headers or {})}
    deadline = time.monotonic() + total_timeout
    watchdog = _Watchdog(total_timeout)
    redirects: list[str] = []
    current = url
    try:
        while True:
            scheme, hostname, port = _split(current)
            address = resolve(hostname, port, allow_private=allow_private)
            hop_headers = {
                name: value for name, value in base_headers.items() if name.lower() != "host"
            }
            hop_headers["Host"] = _host_header(scheme, hostname, port)
            if sign is not None:
                hop_headers = dict(sign(method, current, dict(hop_headers), body))
            response = _send(method, current, hop_headers, body, address, hostname, watchdog,
                             connect_timeout, read_timeout, deadline, max_bytes, verify)
            location = response.headers.get("location")
            follow = response.status_code in REDIRECT_STATUSES and location and (
                method in ("GET", "HEAD") or response.status_code in (307, 308)
            )
            if not follow:
                response.redirects = redirects
                return response
            if len(redirects) >= max_redirects:
                raise TooManyRedirects(f"more than {max_redirects} redirects", url)
            following = urljoin(current, location.strip())
            if urlsplit(following).netloc != urlsplit(current).netloc:
                base_headers = {
                    name: value for name, value in base_headers.items()
                    if name.lower() not in ("authorization", "cookie")
                }
            redirects.append(current)
            current = following
    except FetchError as exc:
        if watchdog.fired and not isinstance(exc, FetchTimeout | BlockedAddress):
            raise FetchTimeout("total time limit exceeded", current) from exc
        if exc.url is None:
            exc.url = current
        raise
    finally:
        watchdog.cancel()


def _send(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    address: str,
    hostname: str,
    watchdog: _Watchdog,
    connect_timeout: float,
    read_timeout: float,
    deadline: float,
    max_bytes: int,
    verify: bool | str,
) -> FetchResponse:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchTimeout("total time limit exceeded", url)
    session = requests.Session()
    session.trust_env = False  # no proxies, no .netrc
    adapter = _PinnedAdapter(address, hostname, watchdog)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        try:
            prepared = session.prepare_request(
                requests.Request(method, url, headers=headers, data=body)
            )
        except (requests.RequestException, ValueError) as exc:
            raise InvalidURL(f"cannot send to this URL: {exc}", url) from exc
        try:
            response = session.send(
                prepared, stream=True, allow_redirects=False, verify=verify,
                timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
            )
        except (requests.ConnectTimeout, requests.ReadTimeout) as exc:
            raise FetchTimeout(f"timed out: {exc}", url) from exc
        except requests.RequestException as exc:
            if watchdog.fired:
                raise FetchTimeout("total time limit exceeded", url) from exc
            raise ConnectionFailed(f"request failed: {exc}", url) from exc
        try:
            content = b"" if method == "HEAD" else _read_body(response, max_bytes, deadline, url)
        except (requests.RequestException, OSError) as exc:
            if watchdog.fired or time.monotonic() >= deadline:
                raise FetchTimeout("total time limit exceeded", url) from exc
            if _is_timeout(exc):
                raise FetchTimeout(f"timed out: {exc}", url) from exc
            raise ConnectionFailed(f"reading the body failed: {exc}", url) from exc
        finally:
            response.close()
        return FetchResponse(
            url=url, status_code=response.status_code,
            headers=CaseInsensitiveDict(response.headers), content=content,
        )
    finally:
        session.close()


def _is_timeout(exc: BaseException) -> bool:
    """Whether a read failed on a timeout (requests wraps those in ConnectionError)."""
    seen = 0
    current: object = exc
    while isinstance(current, BaseException) and seen < 8:
        if isinstance(current, requests.Timeout | ReadTimeoutError | TimeoutError):
            return True
        inner = current.args[0] if current.args else None
        current = inner if isinstance(inner, BaseException) else current.__cause__
        seen += 1
    return False


def safe_get(url: str, **options: Any) -> FetchResponse:
    """`safe_request("GET", url, …)`."""
    return safe_request("GET", url, **options)


def safe_post(url: str, body: bytes | str, **options: Any) -> FetchResponse:
    """`safe_request("POST", url, body=body, …)`."""
    return safe_request("POST", url, body=body, **options)
