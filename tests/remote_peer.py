"""A small fediverse server on loopback for the remote-UI tests: one actor `someone` with
a WebFinger JRD, an actor document carrying a real public key (federation.keys), an outbox
whose first page holds public and followers-only Notes, a Note of its own, and an inbox
that records what it receives. It also signs activities to deliver to our inbox, as a
remote server would (draft-cavage, rsa-sha256).

    with RemotePeer() as peer:
        peer.handle            # "someone@127.0.0.1:PORT"
        peer.actor             # "http://127.0.0.1:PORT/users/someone"
        peer.received          # the JSON bodies POSTed to its inbox
        peer.deliver(inbox_url, activity)   # a signed POST; returns the status
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import Server, start_server, stop_server

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
EVIL = '<p>Salut <script>alert("pwned")</script><img src=x onerror="alert(1)">voisins</p>'


def running_instance(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Server]:
    """For a module's `instance` fixture: the production server with loopback allowed (the
    peers live there) and the territories imported (sign-up asks for a postal code)."""
    data_dir = tmp_path_factory.mktemp(name) / "data"
    data_dir.mkdir()
    running = start_server(data_dir, env={"COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1"})
    running.cli("import-territories")
    yield running
    stop_server(running)


class RemotePeer:
    def __init__(self, username: str = "someone", name: str = "Someone Elsewhere") -> None:
        from federation.keys import generate_key_pair

        self.username, self.name = username, name
        self.keys = generate_key_pair()
        self.received: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.actor = f"{self.origin}/users/{username}"
        self.handle = f"{username}@127.0.0.1:{self.port}"
        self.notes: dict[str, dict[str, Any]] = {}
        self.add_note("1", "<p>Bonjour depuis ailleurs, <b>premier</b> message public</p>",
                      "2026-11-20T10:00:00Z")
        self.add_note("2", EVIL, "2026-11-21T10:00:00Z")
        self.add_note("3", "<p>Réservé aux abonnés</p>", "2026-11-22T10:00:00Z",
                      to=[f"{self.actor}/followers"])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RemotePeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- documents ------------------------------------------------------------------------

    def add_note(self, key: str, content: str, published: str, to: list[str] | None = None,
                 in_reply_to: str | None = None) -> dict[str, Any]:
        note: dict[str, Any] = {
            "id": f"{self.origin}/notes/{key}", "type": "Note", "attributedTo": self.actor,
            "content": content, "published": published, "to": to or [PUBLIC],
            "cc": [f"{self.actor}/followers"], "url": f"{self.origin}/@{self.username}/{key}"}
        if in_reply_to:
            note["inReplyTo"] = in_reply_to
        self.notes[note["id"]] = note
        return note

    def actor_document(self) -> dict[str, Any]:
        from federation.keys import key_id_for

        return {
            "@context": AS_CONTEXT, "id": self.actor, "type": "Person",
            "preferredUsername": self.username, "name": self.name,
            "summary": "<p>Je parle de vélo <script>alert(2)</script>et de quartiers.</p>",
            "icon": {"type": "Image", "mediaType": "image/png",
                     "url": f"{self.origin}/avatar.png"},
            "url": f"{self.origin}/@{self.username}",
            "inbox": f"{self.actor}/inbox", "outbox": f"{self.actor}/outbox",
            "followers": f"{self.actor}/followers", "following": f"{self.actor}/following",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": {"id": key_id_for(self.actor), "owner": self.actor,
                          "publicKeyPem": self.keys.public_pem},
        }

    def outbox(self, page: bool) -> dict[str, Any]:
        items = [{"id": f"{n['id']}/activity", "type": "Create", "actor": self.actor,
                  "published": n["published"], "to": n["to"], "cc": n["cc"], "object": n}
                 for n in sorted(self.notes.values(), key=lambda n: n["published"],
                                 reverse=True)]
        if page:
            return {"@context": AS_CONTEXT, "id": f"{self.actor}/outbox?page=1",
                    "type": "OrderedCollectionPage", "partOf": f"{self.actor}/outbox",
                    "orderedItems": items}
        return {"@context": AS_CONTEXT, "id": f"{self.actor}/outbox",
                "type": "OrderedCollection", "totalItems": len(items),
                "first": f"{self.actor}/outbox?page=1"}

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, Any]:
        activity = "application/activity+json"
        if path == "/.well-known/webfinger":
            resource = query.get("resource", [""])[0]
            if resource not in (f"acct:{self.handle}", f"{self.origin}/@{self.username}"):
                return 404, "application/json", {"error": "unknown"}
            return 200, "application/jrd+json", {
                "subject": resource, "aliases": [self.actor],
                "links": [{"rel": "self", "type": activity, "href": self.actor}]}
        if path == f"/users/{self.username}":
            return 200, activity, self.actor_document()
        if path == f"/users/{self.username}/outbox":
            return 200, activity, self.outbox(page="page" in query)
        note = self.notes.get(self.origin + path)
        if note is not None:
            return 200, activity, {"@context": AS_CONTEXT, **note}
        return 404, "application/json", {"error": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, kind: str, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                peer.requests.append(f"GET {self.path}")
                self._send(*peer._route(parts.path, parse_qs(parts.query)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1024 * 1024))
                peer.requests.append(f"POST {self.path}")
                with contextlib.suppress(ValueError):
                    peer.received.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    # --- sending ------------------------------------------------------------------------

    def deliver(self, inbox: str, activity: dict[str, Any]) -> requests.Response:
        """POSTs an activity to an inbox, signed with this actor's key (draft-cavage)."""
        from federation.keys import key_id_for
        from federation.signatures import sign_request

        body = json.dumps({"@context": AS_CONTEXT, **activity}).encode()
        headers = sign_request("POST", inbox, {"Content-Type": "application/activity+json"},
                               body, key_id_for(self.actor), self.keys.private_pem)
        return requests.post(inbox, data=body, headers=headers, timeout=30)
