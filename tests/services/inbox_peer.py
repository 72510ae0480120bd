"""A tiny fediverse peer for delivery tests: an HTTP server on loopback that records the
POSTs it receives and checks their signatures with federation.signatures.verify_request.

    peer = InboxPeer(keys={key_id: public_pem}).start()
    ... deliver to peer.url("/inbox") ...
    peer.received  # [Received(path, activity, format, verified, status)]

`answer(request) -> status` or `(status, headers)` (optional) decides the answer to each
POST (default 202 when the signature verifies, else 401), e.g. 401 to draft-cavage
signatures to test double knocking. `stop()` closes the port (a peer
that is "down" refuses connections); `start()` again on the same port brings it back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from federation.signatures import SignatureError, signature_format, verify_request


@dataclass(frozen=True)
class Received:
    path: str
    activity: dict
    format: str | None
    verified: bool
    status: int
    key_id: str | None = None


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    format: str | None
    verified: bool


class InboxPeer:
    def __init__(self, keys: dict[str, str] | None = None,
                 answer: Callable[[Request], int | tuple[int, dict[str, str]]] | None = None,
                 port: int = 0) -> None:
        self.keys = dict(keys or {})
        self.answer = answer
        self.port = port
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/inbox") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> InboxPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                peer._handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = list(handler.headers.items())
        fmt = signature_format(headers)
        key_id = None
        try:
            verified_signature = verify_request(
                "POST", self.url(handler.path), headers, body,
                lambda kid: self.keys.get(kid.split("#")[0] + "#main-key"))
            verified, key_id = True, verified_signature.key_id
        except SignatureError:
            verified = False
        request = Request(handler.path, dict(handler.headers.items()), body, fmt, verified)
        answered = self.answer(request) if self.answer else (202 if verified else 401)
        status, extra = answered if isinstance(answered, tuple) else (answered, {})
        try:
            activity = json.loads(body)
        except ValueError:
            activity = {}
        with self._lock:
            self.received.append(Received(handler.path, activity, fmt, verified, status,
                                          key_id))
        handler.send_response(status)
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]
