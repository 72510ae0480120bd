"""HTTP signatures against a real third-party implementation: Fedify, on loopback.

(a) Fedify signs POSTs to a small Python inbox here, which verifies them with
    federation.signatures.verify_request, fetching Fedify's actor key over http.
(b) federation.signatures.sign_request signs POSTs from a fake actor served here to
    Fedify's inboxes, and Fedify verifies them (its own verdict is logged by the peer).
Both in draft-cavage-12 and in RFC 9421.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from federation import keys
from federation.safe_fetch import safe_get, safe_post
from federation.signatures import ResolvedKey, SignatureError, sign_request, verify_request
from tests.interop.fedify import CAVAGE, DOUBLE_KNOCK, RFC9421, FedifyPeer, node_available

pytestmark = pytest.mark.skipif(not node_available(), reason="needs node and npm")

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_JSON = "application/activity+json"
SPEC_OF = {"cavage": CAVAGE, "rfc9421": RFC9421}


def resolve_key(key_id: str):
    """Fetch the key's document over http (loopback allowed) and find the key in it."""
    response = safe_get(key_id.split("#", 1)[0], allow_private=True,
                        headers={"Accept": AP_JSON})
    if not response.ok:
        return None
    document = response.json()
    candidates = document.get("publicKey") or []
    if isinstance(candidates, dict):
        candidates = [candidates]
    for key in candidates:
        if key.get("id") == key_id and key.get("publicKeyPem"):
            return ResolvedKey(key["publicKeyPem"], key.get("owner"))
    return None


class Site(ThreadingHTTPServer):
    """Our side: fake actors with their keys, and an inbox that verifies signatures."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.inbox_url = f"{self.base}/inbox"
        self.keys = {name: keys.generate_key_pair() for name in ("alice", "mallory")}
        self.received: list[dict] = []
        self.refuse: set[str] = set()  # signature formats the inbox answers 401 to

    def actor(self, name: str) -> str:
        return f"{self.base}/actors/{name}"

    def key_id(self, name: str) -> str:
        return keys.key_id_for(self.actor(name))

    def actor_document(self, name: str) -> dict:
        actor = self.actor(name)
        return {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "name": name.title(),
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "publicKey": keys.public_key_document(actor, self.keys[name].public_pem),
        }


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        name = self.path.removeprefix("/actors/")
        if self.path.startswith("/actors/") and name in self.server.keys:
            body = json.dumps(self.server.actor_document(name)).encode()
            self._answer(200, body, AP_JSON)
        else:
            self._answer(404, b"not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        record: dict = {"headers": dict(self.headers.items()), "body": body}
        self.server.received.append(record)
        fmt = "rfc9421" if "Signature-Input" in self.headers else "cavage"
        personal = [f"/actors/{name}/inbox" for name in self.server.keys]
        if self.path != "/inbox" and self.path not in personal:
            return self._answer(404)
        if fmt in self.server.refuse:
            record["refused"] = fmt
            return self._answer(401, b"try the other format")
        try:
            verified = verify_request(
                "POST", f"{self.server.base}{self.path}", self.headers.items(), body,
                resolve_key,
            )
        except SignatureError as error:
            record["error"] = f"{type(error).__name__}: {error}"
            return self._answer(401, str(error).encode())
        record["verified"] = verified
        self._answer(202)


@pytest.fixture(scope="module")
def peer() -> Iterator[FedifyPeer]:
    with FedifyPeer() as running:
        yield running


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def note_activity(site: Site, actor_name: str = "alice", claimed: str | None = None) -> dict:
    actor = claimed or site.actor(actor_name)
    note = f"{site.base}/notes/{uuid.uuid4()}"
    return {
        "@context": AS_CONTEXT,
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>Bonjour de La Réunion</p>",
            "to": [PUBLIC],
        },
    }


def deliver(site: Site, inbox: str, activity: dict, fmt: str, *, signer: str = "alice",
            now: datetime | None = None, algorithm: str | None = None):
    """POST `activity` to `inbox`, signed by `signer` with our sign_request, through safe_post."""
    pair = site.keys[signer]

    def sign(method, url, headers, body):
        return sign_request(method, url, headers, body, site.key_id(signer), pair.private_pem,
                            format=fmt, now=now, algorithm=algorithm)

    body = json.dumps(activity).encode()
    return safe_post(inbox, body, allow_private=True, sign=sign,
                     headers={"Content-Type": AP_JSON, "Accept": AP_JSON})


def request_for(peer: FedifyPeer, activity_id: str) -> dict:
    matching = [r for r in peer.requests() if r["activityId"] == activity_id]
    assert matching, f"the peer saw no request for {activity_id}"
    return matching[-1]


# --- (a) Fedify signs, we verify ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cavage", "rfc9421"])
def test_we_verify_fedify_signatures(peer, site, fmt):
    site.received.clear()
    answer = peer.send(site.inbox_url, {"type": "Create", "object": {
        "type": "Note", "content": f"signed with {fmt}", "to": PUBLIC,
    }}, spec=SPEC_OF[fmt])
    assert answer["status"] == 202, (answer, site.received)
    verified = site.received[-1]["verified"]
    assert verified.format == fmt
    assert verified.key_id == peer.key_id
    assert verified.owner == peer.actor_url
    activity = json.loads(site.received[-1]["body"])
    assert activity["actor"] == verified.owner  # the check the inbox will make
    if fmt == "rfc9421":
        # Fedify covers more than Mastodon: @authority, host and date too.
        assert {'"@method"', '"@target-uri"', '"content-digest"'} <= set(verified.covered)
    else:
        assert {"(request-target)", "host", "date", "digest"} <= set(verified.covered)


def test_fedify_delivers_rfc9421_first_and_we_accept_it(peer, site):
    site.received.clear()
    peer.send(site.inbox_url, {"type": "Create", "object": {"type": "Note", "content": "auto"}},
              spec=DOUBLE_KNOCK)
    assert [record["verified"].format for record in site.received] == ["rfc9421"]


def test_fedify_double_knocks_to_cavage_after_a_401(peer, site):
    site.received.clear()
    site.refuse = {"rfc9421"}
    try:
        peer.send(site.inbox_url,
                  {"type": "Create", "object": {"type": "Note", "content": "knock knock"}},
                  spec=DOUBLE_KNOCK)
    finally:
        site.refuse = set()
    assert [record.get("refused") for record in site.received] == ["rfc9421", None]
    assert site.received[1]["verified"].format == "cavage"


def test_a_tampered_fedify_request_is_refused(peer, site):
    """Fedify's own signature, replayed with a different body: we refuse it."""
    site.received.clear()
    peer.send(site.inbox_url, {"type": "Create", "object": {"type": "Note", "content": "x"}},
              spec=CAVAGE)
    original = site.received[-1]
    headers = {k: v for k, v in original["headers"].items() if k.lower() != "content-length"}
    tampered = original["body"].replace(b'"x"', b'"y"')
    with pytest.raises(SignatureError):
        verify_request("POST", site.inbox_url, headers, tampered, resolve_key)
    with pytest.raises(SignatureError):  # and a replay a day later
        verify_request("POST", site.inbox_url, headers, original["body"], resolve_key,
                       now=datetime.now(UTC) + timedelta(days=1))


# --- (b) we sign, Fedify verifies ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cavage", "rfc9421"])
@pytest.mark.parametrize("inbox", ["personal", "shared"])
def test_fedify_verifies_our_signatures(peer, site, fmt, inbox):
    activity = note_activity(site)
    target = peer.inbox_url if inbox == "personal" else peer.shared_inbox_url
    response = deliver(site, target, activity, fmt)
    assert response.status_code == 202, (response.status_code, response.text, peer.log())
    seen = request_for(peer, activity["id"])
    assert seen["format"] == SPEC_OF[fmt]
    assert seen["verification"] == {"verified": True, "keyId": site.key_id("alice")}
    assert seen["status"] == 202
    accepted = peer.wait_for_activity(lambda a: a["id"] == activity["id"])
    assert accepted["verified"] is True
    assert accepted["actor"] == site.actor("alice")
    assert accepted["type"] == "Create"
    assert accepted["object"] == activity["object"]["id"]


def test_fedify_accepts_hs2019(peer, site):
    activity = note_activity(site)
    response = deliver(site, peer.inbox_url, activity, "cavage", algorithm="hs2019")
    assert response.status_code == 202
    assert request_for(peer, activity["id"])["verification"]["verified"] is True


@pytest.mark.parametrize("fmt", ["cavage", "rfc9421"])
def test_fedify_refuses_a_signature_by_another_key(peer, site, fmt):
    """Mallory signs with her key but claims Alice's key id: the signature does not verify."""
    activity = note_activity(site)
    pair = site.keys["mallory"]

    def forge(method, url, headers, body):
        return sign_request(method, url, headers, body, site.key_id("alice"), pair.private_pem,
                            format=fmt)

    response = safe_post(peer.inbox_url, json.dumps(activity).encode(), allow_private=True,
                         sign=forge, headers={"Content-Type": AP_JSON})
    assert response.status_code == 401
    assert request_for(peer, activity["id"])["verification"]["verified"] is False
    assert all(a["id"] != activity["id"] for a in peer.activities())


@pytest.mark.parametrize("fmt", ["cavage", "rfc9421"])
def test_fedify_refuses_an_actor_the_key_does_not_belong_to(peer, site, fmt):
    """A valid signature by Mallory on an activity claiming to be Alice's."""
    activity = note_activity(site, claimed=site.actor("alice"))
    response = deliver(site, peer.inbox_url, activity, fmt, signer="mallory")
    assert response.status_code == 401
    assert request_for(peer, activity["id"])["verification"]["verified"] is True
    assert all(a["id"] != activity["id"] for a in peer.activities())


@pytest.mark.parametrize("fmt", ["cavage", "rfc9421"])
def test_fedify_refuses_an_old_signature(peer, site, fmt):
    """Two hours old: inside Mastodon's 12 h, outside Fedify's 1 h."""
    activity = note_activity(site)
    response = deliver(site, peer.inbox_url, activity, fmt,
                       now=datetime.now(UTC) - timedelta(hours=2))
    assert response.status_code == 401
    assert all(a["id"] != activity["id"] for a in peer.activities())


# --- the peer's follow flow, both ways ---------------------------------------------------


def test_the_peer_follows_us_with_a_signed_follow(peer, site):
    site.received.clear()
    answer = peer.follow(site.actor("alice"))  # Fedify looks the actor up over http
    follows = [r for r in site.received if json.loads(r["body"]).get("id") == answer["id"]]
    assert len(follows) == 1
    follow = json.loads(follows[0]["body"])
    assert follow["type"] == "Follow" and follow["object"] == site.actor("alice")
    assert follows[0]["verified"].owner == follow["actor"] == peer.actor_url


def test_the_peer_accepts_our_follow(peer, site):
    site.received.clear()
    follow = {
        "@context": AS_CONTEXT,
        "id": f"{site.actor('alice')}/follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": site.actor("alice"),
        "object": peer.actor_url,
    }
    response = deliver(site, peer.inbox_url, follow, "cavage")
    assert response.status_code == 202
    assert peer.followers() == {site.actor("alice"): f"{site.actor('alice')}/inbox"}
    accepts = [json.loads(r["body"]) for r in site.received if "verified" in r]
    assert [a["type"] for a in accepts] == ["Accept"]
    assert accepts[0]["object"]["id"] == follow["id"]
