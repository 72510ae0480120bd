"""Helpers for the inbox tests: a remote fediverse server on loopback, and a real
Communecter server to deliver to.

`Peer` serves actor documents (with real keys from federation.keys), notes, and an inbox
that records what it receives; `Peer.send` signs a POST to our inbox as a remote server
would (draft-cavage or RFC 9421), and can get it wrong on purpose (another key, an old
Date, a body that is not the signed one).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from federation import keys
from federation.signatures import sign_request
from tests.conftest import Server, start_server, stop_server

AS = "https://www.w3.org/ns/activitystreams"
CONTEXT = [AS, "https://w3id.org/security/v1"]
PUBLIC = f"{AS}#Public"
AP_JSON = "application/activity+json"
TURTLE_PREFIXES = ("@prefix cc: <https://w3id.org/communecter/ns#> .\n"
                   "@prefix as: <https://www.w3.org/ns/activitystreams#> .\n"
                   "@prefix schema: <http://schema.org/> .\n"
                   "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")


class Peer:
    """A remote server: actors under /users/{name}, documents under any path."""

    def __init__(self) -> None:
        self.keys: dict[str, keys.KeyPair] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.raw: dict[str, tuple[int, dict[str, str], bytes]] = {}  # path → answer as is
        self.slow: dict[str, float] = {}  # path → seconds to wait before answering
        self.received: list[dict[str, Any]] = []
        self.fetches: list[str] = []
        self.fetch_requests: list[tuple[str, dict[str, str]]] = []  # (URL, headers) of GETs
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what it serves -------------------------------------------------------------------

    def actor(self, name: str) -> str:
        return f"{self.origin}/users/{name}"

    def add_actor(self, name: str, **extra: Any) -> str:
        """An actor with a fresh RSA key published as `{actor}#main-key`."""
        self.keys[name] = keys.generate_key_pair()
        iri = self.actor(name)
        self.documents[f"/users/{name}"] = {
            "@context": CONTEXT, "id": iri, "type": "Person", "preferredUsername": name,
            "name": name.title(), "inbox": f"{iri}/inbox", "outbox": f"{iri}/outbox",
            "followers": f"{iri}/followers",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": keys.public_key_document(iri, self.keys[name].public_pem), **extra}
        return iri

    def rotate_key(self, name: str) -> None:
        self.keys[name] = keys.generate_key_pair()
        iri = self.actor(name)
        self.documents[f"/users/{name}"]["publicKey"] = keys.public_key_document(
            iri, self.keys[name].public_pem)

    def add(self, path: str, document: dict[str, Any]) -> str:
        self.documents[path] = {"@context": CONTEXT, "id": self.origin + path, **document}
        return self.origin + path

    def note(self, name: str, content: str, in_reply_to: str | None = None,
             to: Any = None, **extra: Any) -> dict[str, Any]:
        iri = f"{self.actor(name)}/notes/{uuid.uuid4().hex[:8]}"
        document = {"id": iri, "type": "Note", "attributedTo": self.actor(name),
                    "content": content, "published": "2026-11-27T08:00:00Z",
                    "to": to if to is not None else [PUBLIC],
                    "cc": [f"{self.actor(name)}/followers"], **extra}
        if in_reply_to:
            document["inReplyTo"] = in_reply_to
        self.documents[iri.removeprefix(self.origin)] = {"@context": CONTEXT, **document}
        return document

    def activity(self, name: str, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {"@context": CONTEXT, "type": kind, "actor": self.actor(name), "object": obj,
                "id": f"{self.actor(name)}/activities/{uuid.uuid4().hex}", **extra}

    # --- what it sends ----------------------------------------------------------------------

    def signed(self, url: str, activity: dict[str, Any], name: str | None = None, *,
               format: str = "cavage", now: datetime | None = None,
               key_id: str | None = None, private_pem: bytes | None = None,
               content_type: str = AP_JSON,
               algorithm: str | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and body of a POST of `activity` signed by `name` (default: the
        activity's actor)."""
        name = name or activity["actor"].rsplit("/", 1)[-1]
        body = json.dumps(activity).encode()
        headers = sign_request("POST", url, {"Content-Type": content_type}, body,
                               key_id or keys.key_id_for(self.actor(name)),
                               private_pem or self.keys[name].private_pem,
                               format=format,  # type: ignore[arg-type]
                               now=now or datetime.now(UTC), algorithm=algorithm)
        return headers, body

    def send(self, url: str, activity: dict[str, Any], name: str | None = None, *,
             body: bytes | None = None, **options: Any) -> requests.Response:
        """POSTs `activity` signed by `name` (default: its actor's name); `body`: send
        these bytes instead of the signed ones."""
        headers, signed_body = self.signed(url, activity, name, **options)
        return requests.post(url, data=body if body is not None else signed_body,
                             headers=headers, timeout=30)

    def inbox_activities(self, kind: str) -> list[dict[str, Any]]:
        return [a for a in self.received if a.get("type") == kind]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("#", 1)[0]
                peer.fetches.append(path)
                peer.fetch_requests.append((peer.origin + self.path, dict(self.headers)))
                if path in peer.slow:
                    time.sleep(peer.slow[path])
                if path in peer.raw:
                    status, headers, data = peer.raw[path]
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                document = peer.documents.get(path)
                if document is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", AP_JSON)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                with contextlib.suppress(ValueError):
                    peer.received.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.end_headers()

        return Handler


# --- the local side ----------------------------------------------------------------------

BASE = "http://communecter.test"


def in_process(data_dir: Path) -> SimpleNamespace:
    """The application in-process (Flask's test client), loopback fetches allowed, with
    the citizens alice and bob: `.client`, `.site` (the Platform)."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from federation.activities import Activity
    from ontology import AS as AS_NS
    from ontology import CC
    from store.private import PrivateStore
    from web.app import create_app
    from web.settings import Settings

    settings = Settings(base_url=BASE, data_dir=data_dir, store="memory",
                        allow_private_addresses=True)
    flask_app = create_app(settings, private=PrivateStore(None))
    site = flask_app.extensions["communecter"]
    for handle in ("alice", "bob"):
        iri = f"{BASE}/persons/{handle}"
        graph = Graph()
        graph.add((URIRef(iri), RDF.type, CC.Citizen))
        graph.add((URIRef(iri), AS_NS.preferredUsername, Literal(handle)))
        graph.add((URIRef(iri), AS_NS.name, Literal(handle.title())))
        site.activities.apply(Activity("Create", iri, iri, graph))
    return SimpleNamespace(client=flask_app.test_client(), site=site)


def start_inbox_server(tmp: Path, allow_private: bool = True) -> Server:
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True)
    env = {"COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1" if allow_private else "0"}
    server = start_server(data_dir, env=env)
    server.cli("import-territories")
    server.tokens["alice"] = server.cli("token", "create", "alice", "--create").split()[-1]
    return server


def running_peer() -> Iterator[Peer]:
    """For a module's `peer` fixture: a peer with actors amy and mallory."""
    running = Peer()
    for name in ("amy", "mallory"):
        running.add_actor(name)
    yield running
    running.close()


def running_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """For a module's `local` fixture: our server, loopback allowed, alice with a token."""
    server = start_inbox_server(tmp_path_factory.mktemp("inbox"))
    yield server
    stop_server(server)


def create(server: Server, container: str, turtle: str, slug: str) -> str:
    response = requests.post(f"{server.base_url}/{container}/", data=turtle.encode(),
                             headers={"Content-Type": "text/turtle", "Slug": slug,
                                      **server.auth("alice")}, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def new_post(server: Server, content: str = "Bonjour le quartier") -> str:
    alice = f"{server.base_url}/persons/alice"
    return create(server, "posts", TURTLE_PREFIXES + (
        f'<> a cc:Post ; cc:wall <{alice}> ; as:attributedTo <{alice}> ; '
        f'as:content "{content}" .\n'), f"post-{uuid.uuid4().hex[:6]}")


def new_event(server: Server, name: str = "Fête de quartier", extra: str = "") -> str:
    return create(server, "events", TURTLE_PREFIXES + (
        f'<> a cc:Event ; as:name "{name}" ; {extra} '
        f'cc:territory <{server.base_url}/territories/97411> ;'
        '  as:startTime "2027-06-01T18:00:00Z"^^xsd:dateTime ; '
        '  as:endTime "2027-06-01T23:00:00Z"^^xsd:dateTime .\n'),
        f"event-{uuid.uuid4().hex[:6]}")


def sparql(server: Server, query: str) -> list[dict[str, str]]:
    response = requests.get(f"{server.base_url}/sparql", params={"query": query},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()}
            for row in response.json()["results"]["bindings"]]


def graph_exists(server: Server, iri: str) -> bool:
    return bool(sparql(server, f"SELECT ?p WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 1"))


def graphs_mentioning(server: Server, text: str) -> list[str]:
    """Every named graph holding an IRI or literal that contains `text`."""
    rows = sparql(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                          f"FILTER(CONTAINS(STR(?s), {json.dumps(text)}) || "
                          f"CONTAINS(STR(?o), {json.dumps(text)})) }}")
    return [row["g"] for row in rows]


def collection(server: Server, iri: str) -> list[str]:
    rows = sparql(server, f"SELECT ?i WHERE {{ GRAPH <{iri}> {{ <{iri}> "
                          f"<{AS}#items> ?i }} }}")
    return sorted(row["i"] for row in rows)


def private_rows(server: Server, sql: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(server.data_dir / "private.sqlite3", timeout=10) as db:
        return db.execute(sql, args).fetchall()


def queued(server: Server, kind: str, inbox: str, wait: float = 0.0,
           peer: Peer | None = None) -> list[dict[str, Any]]:
    """The activities of `kind` queued for `inbox` (still in the delivery queue, or
    already delivered to `peer`, the server holding that inbox)."""
    path = server.data_dir / "deliveries.sqlite3"
    deadline = time.monotonic() + wait
    while True:
        found = []
        if path.exists():
            with sqlite3.connect(path, timeout=10) as db:
                for (body,) in db.execute("SELECT body FROM deliveries WHERE inbox = ? "
                                          "AND body IS NOT NULL", (inbox,)):
                    activity = json.loads(body)
                    if activity.get("type") == kind:
                        found.append(activity)
        if peer is not None:
            found += [a for a in peer.received if a.get("type") == kind and a not in found]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)
