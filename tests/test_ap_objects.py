"""Local objects as Mastodon and Mobilizon read them, from the production server: posts as
Notes (mentions, hashtags, replies, sanitised HTML), events as Mobilizon Events,
proposals as Questions (polls with their counts), Tombstones for what was deleted; and the
authorized-fetch mode, where only signed GETs (with a key served by a loopback server)
see anything but actors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from federation import moderation
from federation.jsonld import expand
from federation.keys import generate_key_pair
from federation.signatures import sign_request
from tests.ap_support import (
    AS2,
    PUBLIC,
    Browser,
    Instance,
    give_password,
    start_instance,
)
from tests.conftest import stop_server

pytestmark = pytest.mark.server

MASTODON_TAGS = {"p", "br", "a", "span"}
HOSTILE = ("<p onclick='x()'>Salut <a href='https://ok.example/'>lien</a></p>"
           "<script>alert(1)</script><img src=x onerror=alert(2)>"
           "<iframe src='https://evil.example/'></iframe><a href='javascript:alert(3)'>piège</a>")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data = tmp_path_factory.mktemp("ap-objects") / "data"
    data.mkdir()
    running = start_instance(data, ("alice", "bob"))
    try:
        yield running
    finally:
        stop_server(running.server)


@pytest.fixture(scope="module")
def alice(instance: Instance) -> Browser:
    return Browser(instance.base, give_password(instance, "alice"))


@pytest.fixture(scope="module")
def bob(instance: Instance) -> Browser:
    return Browser(instance.base, give_password(instance, "bob"))


def _tags_in(html: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", html)}


def test_a_post_is_a_note_mastodon_renders(instance: Instance, alice: Browser) -> None:
    post = alice.write("Bonjour @bob ! Atelier **couture** samedi #culture",
                       instance.people["alice"])
    note = instance.as2(post)
    assert note["type"] == "Note" and note["id"] == post and note["url"] == post
    assert note["attributedTo"] == instance.people["alice"]
    assert note["to"] == [PUBLIC]
    assert f"{instance.people['alice']}/followers" in note["cc"]
    assert instance.people["bob"] in note["cc"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", note["published"])
    assert "updated" not in note  # never edited
    assert _tags_in(note["content"]) <= MASTODON_TAGS
    assert "couture" in note["content"] and "<strong>" not in note["content"]
    assert f'href="{instance.people["bob"]}"' in note["content"]
    assert note["contentMap"] == {"fr": note["content"]}
    mention = {"type": "Mention", "href": instance.people["bob"],
               "name": f"@bob@{instance.host}"}
    assert mention in note["tag"]
    assert any(t["type"] == "Hashtag" and t["name"] == "#culture" for t in note["tag"])


def test_a_comment_replies_to_its_post(instance: Instance, alice: Browser,
                                       bob: Browser) -> None:
    post = alice.write("Qui vient au marché ?", instance.people["alice"])
    slug = post.rsplit("/", 1)[1]
    answer = bob.post(f"/posts/{slug}/comment", content="Moi !", next=f"/posts/{slug}")
    assert answer.status_code == 303, answer.text[:300]
    outbox = instance.as2(instance.people["bob"] + "/outbox?page=1")
    (reply,) = [a["object"] for a in outbox["orderedItems"]
                if a["object"].get("inReplyTo") == post]
    assert reply["type"] == "Note" and reply["attributedTo"] == instance.people["bob"]
    assert instance.people["alice"] in reply["cc"]  # the author answered hears of it
    assert instance.as2(reply["id"])["inReplyTo"] == post
    assert bob.post(f"/posts/{slug}/like", next=f"/posts/{slug}").status_code in (302, 303)
    note = instance.as2(post)
    assert note["replies"]["totalItems"] == 1
    assert instance.as2(note["replies"]["first"])["orderedItems"] == [reply["id"]]
    assert note["likes"]["totalItems"] == 1 and note["shares"]["totalItems"] == 0


def test_html_written_by_other_clients_is_sanitised(instance: Instance) -> None:
    """LDP clients and remote servers write HTML that never went through the editor."""
    alice = instance.people["alice"]
    post = instance.create("alice", "posts", f"""
        <> a cc:Post ; as:attributedTo <{alice}> ; cc:wall <{alice}> ;
           cc:territory <{instance.base}/territories/97411> ;
           as:content "{HOSTILE}" .""")
    note = instance.as2(post)
    content = note["content"]
    for bad in ("<script", "alert(", "onerror", "onclick", "<img", "<iframe", "javascript:"):
        assert bad not in content, bad
    assert _tags_in(content) <= MASTODON_TAGS
    assert 'href="https://ok.example/"' in content and "Salut" in content


def test_an_event_is_a_mobilizon_event(instance: Instance, alice: Browser,
                                       bob: Browser) -> None:
    base = instance.base
    org = instance.create("alice", "organizations", f"""
        <> a cc:Association ; as:name "Amis du vacoa" ;
           cc:territory <{base}/territories/97411> .""", slug="amis-du-vacoa")
    event = instance.create("alice", "events", f"""
        <> a cc:Event ; as:name "Fête du vacoa" ; as:attributedTo <{org}> ;
           as:content "<p>Musique et <em>cuisine</em></p><script>alert(1)</script>" ;
           as:startTime "2027-03-01T18:00:00+04:00"^^xsd:dateTime ;
           as:endTime "2027-03-01T23:00:00+04:00"^^xsd:dateTime ;
           schema:maximumAttendeeCapacity 30 ; schema:streetAddress "12 rue de Paris" ;
           cc:eventType cc:Festival ;
           geo:lat -20.882 ; geo:long 55.451 ;
           cc:territory <{base}/territories/97411> .""")
    assert bob.post(f"/events/{event.rsplit('/', 1)[1]}/join").status_code in (302, 303)
    doc = instance.as2(event)
    context = doc["@context"][-1]
    assert context["mz"] == "https://joinmobilizon.org/ns#"
    assert context["sc"] == "http://schema.org#"
    assert doc["type"] == "Event" and doc["name"] == "Fête du vacoa"
    assert doc["attributedTo"] == org  # the organizing group
    assert "<script" not in doc["content"] and "Musique" in doc["content"]
    assert doc["startTime"] == "2027-03-01T14:00:00Z"
    assert doc["endTime"] == "2027-03-01T19:00:00Z"
    assert doc["timezone"] == "Indian/Reunion"
    assert doc["joinMode"] == "free" and doc["category"] == "PARTY"
    assert doc["maximumAttendeeCapacity"] == 30
    assert doc["participantCount"] == 1
    assert doc["remainingAttendeeCapacity"] == 29
    assert doc["status"] == "CONFIRMED" and doc["isOnline"] is False
    place = doc["location"]
    assert place["type"] == "Place"
    assert place["address"] == {"type": "PostalAddress", "streetAddress": "12 rue de Paris",
                                "postalCode": "97400", "addressLocality": "Saint-Denis",
                                "addressCountry": "FR"}
    assert (place["latitude"], place["longitude"]) == (-20.882, 55.451)
    assert doc["to"] == [PUBLIC] and f"{org}/followers" in doc["cc"]
    # JSON-LD consumers (Fedify) read Mobilizon's terms from our inline context
    (expanded,) = expand(doc, event)
    assert expanded["https://joinmobilizon.org/ns#participantCount"][0]["@value"] == 1
    assert "http://schema.org#address" in expanded["https://www.w3.org/ns/activitystreams#location"][0]

    online = instance.create("alice", "events", f"""
        <> a cc:Event ; as:name "Réunion en ligne" ;
           as:startTime "2027-04-01T18:00:00+04:00"^^xsd:dateTime ;
           cc:onlineUrl <https://visio.example.org/reunion> ;
           cc:territory <{base}/territories/97411> .""")
    remote = instance.as2(online)
    assert remote["isOnline"] is True
    assert remote["attributedTo"] == instance.people["alice"]
    assert remote["attachment"][0]["href"] == "https://visio.example.org/reunion"


def test_a_proposal_is_a_poll_with_its_counts(instance: Instance) -> None:
    base = instance.base
    proposal = instance.create("alice", "proposals", f"""
        <> a cc:Proposal ; as:name "Éteindre l'éclairage à minuit" ;
           as:content "Pour économiser l'énergie." ; cc:option "Pour", "Contre" ;
           as:endTime "2030-01-01T00:00:00Z"^^xsd:dateTime ;
           cc:territory <{base}/territories/97411> .""")
    vote = instance.create("bob", "proposals", f"""
        <> a cc:Vote ; cc:voteOn <{proposal}> ; cc:choice "Pour" ;
           as:attributedTo <{instance.people["bob"]}> .""")
    question = instance.as2(proposal)
    assert question["type"] == "Question"
    assert question["endTime"] == "2030-01-01T00:00:00Z" and "closed" not in question
    assert "Éteindre" in question["content"]  # Mastodon shows the content as the poll text
    options = {o["name"]: o for o in question["oneOf"]}
    assert set(options) == {"Pour", "Contre"}
    assert options["Pour"] == {"type": "Note", "name": "Pour",
                               "replies": {"type": "Collection", "totalItems": 1}}
    assert options["Contre"]["replies"]["totalItems"] == 0
    assert question["votersCount"] == 1
    assert question["to"] == [PUBLIC]
    ballot = instance.as2(vote)
    assert ballot == {**ballot, "type": "Note", "name": "Pour", "inReplyTo": proposal,
                      "attributedTo": instance.people["bob"]}


def test_a_deleted_post_is_a_tombstone(instance: Instance) -> None:
    alice = instance.people["alice"]
    post = instance.create("alice", "posts", f"""
        <> a cc:Post ; as:attributedTo <{alice}> ; cc:wall <{alice}> ; as:content "Oups" ;
           cc:territory <{instance.base}/territories/97411> .""")
    gone = requests.delete(post, headers=instance.server.auth("alice"), timeout=30)
    assert gone.status_code == 204
    answer = instance.get(post)
    assert answer.status_code == 410
    doc = answer.json()
    assert (doc["id"], doc["type"], doc["formerType"]) == (post, "Tombstone", "Note")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["deleted"])
    assert "Oups" not in answer.text


# --- authorized fetch ---------------------------------------------------------------------------


class KeyServer:
    """A tiny fediverse server on loopback that publishes one actor and its key."""

    def __init__(self) -> None:
        self.pair = generate_key_pair()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("#", 1)[0] != "/users/tester":
                    self.send_error(404)
                    return
                body = json.dumps(owner.actor()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.actor_id = f"{self.base}/users/tester"
        self.key_id = f"{self.actor_id}#main-key"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def actor(self) -> dict:
        return {"@context": ["https://www.w3.org/ns/activitystreams",
                             "https://w3id.org/security/v1"],
                "id": self.actor_id, "type": "Person", "preferredUsername": "tester",
                "inbox": f"{self.actor_id}/inbox",
                "publicKey": {"id": self.key_id, "owner": self.actor_id,
                              "publicKeyPem": self.pair.public_pem}}

    def signed_get(self, url: str, fmt: str = "cavage",
                   private_pem: bytes | None = None) -> requests.Response:
        headers = sign_request("GET", url, {"Accept": AS2["Accept"]}, None, self.key_id,
                               private_pem or self.pair.private_pem, format=fmt)
        return requests.get(url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data = tmp_path_factory.mktemp("ap-secure") / "data"
    data.mkdir()
    running = start_instance(data, ("alice",), env={
        "COMMUNECTER_AUTHORIZED_FETCH": "1", "COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1"})
    try:
        yield running
    finally:
        stop_server(running.server)


def test_authorized_fetch_serves_objects_to_signed_requests_only(secure: Instance) -> None:
    alice = secure.people["alice"]
    post = secure.create("alice", "posts", f"""
        <> a cc:Post ; as:attributedTo <{alice}> ; cc:wall <{alice}> ; as:content "Secret ?" ;
           cc:territory <{secure.base}/territories/97411> .""")
    peer = KeyServer()
    try:
        for url in (post, f"{alice}/outbox", f"{alice}/followers"):
            refused = secure.get(url)
            assert refused.status_code == 401, url
            assert "Secret" not in refused.text
            assert "Signature" in refused.headers["WWW-Authenticate"]
        # actors (and the keys they carry) stay public: that is how signers are verified
        assert secure.get(alice).status_code == 200
        assert secure.get("/actor").status_code == 200
        for fmt in ("cavage", "rfc9421"):
            signed = peer.signed_get(post, fmt)
            assert signed.status_code == 200, (fmt, signed.text[:300])
            assert signed.json()["content"] == "<p>Secret ?</p>"
        assert peer.signed_get(f"{alice}/outbox?page=1").status_code == 200
        forged = peer.signed_get(post, private_pem=generate_key_pair().private_pem)
        assert forged.status_code == 401 and "Secret" not in forged.text
        peer.pair = generate_key_pair()  # the peer rotates its key: fetched again, once
        assert peer.signed_get(post).status_code == 200
        moderation.set_domain_policy(secure.private(), peer.base.split("://")[1], "reject")
        rejected = peer.signed_get(post)
        assert rejected.status_code == 403 and "Secret" not in rejected.text
    finally:
        peer.http.shutdown()
    html = requests.get(post, headers={"Accept": "text/html"}, timeout=30)
    assert html.status_code == 200  # people's pages are not ActivityPub fetches
