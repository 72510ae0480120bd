"""Outbound fetches: private addresses, redirects, sizes and time limits, against local servers.

Every server here listens on 127.0.0.1. Tests that need a "public" first hop pretend that
127.0.0.1 is public; the private targets they are redirected to are refused before any
connection is made.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from federation import safe_fetch
from federation.safe_fetch import (
    BlockedAddress,
    FetchTimeout,
    InvalidURL,
    ResponseTooLarge,
    TooManyRedirects,
    is_public_address,
    safe_get,
    safe_post,
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        body = self._body()
        self.server.seen.append(
            {"method": self.command, "path": self.path, "host": self.headers.get("Host"),
             "body": body, "signature": self.headers.get("X-Signed-For")}
        )
        path = self.path
        port = self.server.server_address[1]
        if path == "/ok":
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})
        elif path.startswith("/hop/"):
            remaining = int(path.rsplit("/", 1)[1])
            target = "/ok" if remaining == 0 else f"/hop/{remaining - 1}"
            self._send(302, headers={"Location": target})
        elif path == "/to-private":
            self._send(302, headers={"Location": f"http://127.0.0.2:{port}/ok"})
        elif path == "/to-metadata":
            self._send(301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-file":
            self._send(302, headers={"Location": "file:///etc/passwd"})
        elif path == "/temporary":
            self._send(307, headers={"Location": "/ok"})
        elif path == "/found":
            self._send(302, headers={"Location": "/ok"})
        elif path == "/big":
            self._send(200, b"x" * 5000)
        elif path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"y" * 1000)
        elif path == "/bomb":
            payload = gzip.compress(b"\0" * 2_000_000)
            self._send(200, payload, {"Content-Encoding": "gzip",
                                      "Content-Length": str(len(payload))})
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        else:
            self._send(404, b"no")


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@pytest.fixture
def loopback_is_public(monkeypatch):
    """127.0.0.1 (and only it) passes for a public address."""
    real = safe_fetch.is_public_address

    def pretend(address):
        return str(address) == "127.0.0.1" or real(address)

    monkeypatch.setattr(safe_fetch, "is_public_address", pretend)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
     "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
     "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "2002:a00:1::1", "64:ff9b::a00:1",
     "2001:db8::1"],
)
def test_non_public_addresses(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111",
                                     "2001:4860:4860::8888"])
def test_public_addresses(address):
    assert is_public_address(address)


# --- refusals -----------------------------------------------------------------------------


def test_loopback_refused_by_default(server):
    with pytest.raises(BlockedAddress):
        safe_get(url(server, "/ok"))
    with pytest.raises(BlockedAddress):
        safe_get(f"http://localhost:{server.server_address[1]}/ok")
    with pytest.raises(BlockedAddress):
        safe_post(url(server, "/ok"), b"{}")
    assert server.seen == []


def test_loopback_allowed_with_the_flag(server):
    response = safe_get(url(server, "/ok"), allow_private=True)
    assert response.status_code == 200 and response.ok
    assert response.json() == {"ok": True}
    assert response.headers["content-type"] == "application/json"
    assert server.seen[0]["host"] == f"127.0.0.1:{server.server_address[1]}"


def test_post_sends_the_body(server):
    response = safe_post(url(server, "/ok"), b'{"a": 1}', allow_private=True,
                         headers={"Content-Type": "application/activity+json"})
    assert response.status_code == 200
    assert server.seen[0]["method"] == "POST" and server.seen[0]["body"] == b'{"a": 1}'


@pytest.mark.parametrize(
    "bad",
    ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1:70/", "javascript:alert(1)",
     "http://", "http:///path", "//127.0.0.1/x", "http://user:pass@127.0.0.1/",
     "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http://127.0.0.1/a b",
     "http://127.0.0.1/\r\nX-Injected: 1"],
)
def test_only_http_urls(bad):
    with pytest.raises(InvalidURL):
        safe_get(bad, allow_private=True)


def test_redirect_to_a_private_address_refused(server, loopback_is_public):
    assert safe_get(url(server, "/ok")).status_code == 200
    with pytest.raises(BlockedAddress):
        safe_get(url(server, "/to-private"))
    with pytest.raises(BlockedAddress):
        safe_get(url(server, "/to-metadata"))
    with pytest.raises(InvalidURL):
        safe_get(url(server, "/to-file"))
    assert [hit["path"] for hit in server.seen] == ["/ok", "/to-private", "/to-metadata",
                                                     "/to-file"]


def test_at_most_three_redirects(server):
    response = safe_get(url(server, "/hop/2"), allow_private=True)
    assert response.status_code == 200
    assert response.url == url(server, "/ok")
    assert response.redirects == [url(server, "/hop/2"), url(server, "/hop/1"),
                                  url(server, "/hop/0")]
    with pytest.raises(TooManyRedirects):
        safe_get(url(server, "/hop/3"), allow_private=True)
    assert safe_get(url(server, "/hop/0"), allow_private=True, max_redirects=1).ok


def test_post_redirects(server):
    signed_for = []

    def sign(method, target, headers, body):
        signed_for.append(target)
        return {**headers, "X-Signed-For": target}

    response = safe_post(url(server, "/temporary"), b"payload", allow_private=True, sign=sign)
    assert response.status_code == 200
    assert [(hit["method"], hit["body"]) for hit in server.seen] == [
        ("POST", b"payload"), ("POST", b"payload")
    ]
    assert signed_for == [url(server, "/temporary"), url(server, "/ok")]
    assert server.seen[1]["signature"] == url(server, "/ok")
    # A 302 is not turned into a GET: the caller gets it.
    found = safe_post(url(server, "/found"), b"payload", allow_private=True)
    assert found.status_code == 302 and len(server.seen) == 3


def test_oversized_body_refused(server):
    with pytest.raises(ResponseTooLarge):
        safe_get(url(server, "/big"), allow_private=True, max_bytes=1000)
    assert len(safe_get(url(server, "/big"), allow_private=True, max_bytes=5000).content) == 5000
    with pytest.raises(ResponseTooLarge):
        safe_get(url(server, "/big-unannounced"), allow_private=True, max_bytes=10_000)
    with pytest.raises(ResponseTooLarge):
        safe_get(url(server, "/bomb"), allow_private=True, max_bytes=100_000)


def test_slow_server_times_out(server):
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        safe_get(url(server, "/slow"), allow_private=True, read_timeout=0.5)
    assert time.monotonic() - started < 1.4


def test_dripping_server_hits_the_total_limit(server):
    """A byte every 0.1 s never trips the read timeout; the total limit still applies."""
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        safe_get(url(server, "/drip"), allow_private=True, read_timeout=1, total_timeout=1)
    assert time.monotonic() - started < 2.5


def test_connect_refused_is_a_fetch_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(safe_fetch.ConnectionFailed):
        safe_get(f"http://127.0.0.1:{port}/", allow_private=True)


def test_the_checked_address_is_the_one_connected_to(server, loopback_is_public, monkeypatch):
    """DNS rebinding: later answers for the name point elsewhere; the connection does not."""
    port = server.server_address[1]
    answers = ["127.0.0.1"]
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            address = answers.pop(0) if answers else "127.0.0.3"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    response = safe_get(f"http://rebind.test:{port}/ok")
    assert response.status_code == 200
    assert server.seen[-1]["host"] == f"rebind.test:{port}"


def test_every_address_of_a_name_is_checked(server, loopback_is_public, monkeypatch):
    port = server.server_address[1]

    def two_answers(host, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(BlockedAddress):
        safe_get(f"http://mixed.test:{port}/ok")
    assert server.seen == []


# --- TLS to a pinned address --------------------------------------------------------------


def _certificate(tmp_path, name: str):
    """A CA and a certificate for `name` signed by it, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def subject(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(subject("Test CA")).issuer_name(subject("Test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(subject(name)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )
    return str(ca_path), str(chain)


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[ThreadingHTTPServer, str, list[str]]]:
    import ssl

    ca_path, chain = _certificate(tmp_path, "pinned.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    names: list[str] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd, ca_path, names
    httpd.shutdown()
    httpd.server_close()


def test_tls_keeps_the_host_name_on_a_pinned_address(tls_server, loopback_is_public,
                                                     monkeypatch):
    httpd, ca_path, names = tls_server
    port = httpd.server_address[1]
    real = socket.getaddrinfo

    def local(host, *args, **kwargs):
        if host in ("pinned.test", "other.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local)
    response = safe_get(f"https://pinned.test:{port}/ok", verify=ca_path)
    assert response.status_code == 200
    assert names[-1] == "pinned.test"  # SNI carries the name, not the address
    assert httpd.seen[-1]["host"] == f"pinned.test:{port}"
    with pytest.raises(safe_fetch.ConnectionFailed):  # certificate for another name
        safe_get(f"https://other.test:{port}/ok", verify=ca_path)
    with pytest.raises(safe_fetch.ConnectionFailed):  # CA not trusted by default
        safe_get(f"https://pinned.test:{port}/ok")
