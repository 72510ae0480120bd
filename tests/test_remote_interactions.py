"""A citizen likes, shares and answers the posts of a remote account, against the
production server (`communecter serve` with COMMUNECTER_ALLOW_PRIVATE_ADDRESSES=1) and
loopback fediverse servers (tests/remote_peer.py): the citizen follows @someone, whose
Note reaches our inbox; J'aime sends a Like, signed by the citizen, to someone's server
and the count shows here; "Je n'aime plus" sends Undo{Like}; Partager sends an Announce
to someone's server and to the server of a remote follower of the citizen; Répondre sends
Create{Note inReplyTo} to someone (cc and Mention) and the answer shows under the note on
our page of it. A hostile note is shown without its script; bad input gets a clear 4xx or
a message, never a 500.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from federation.signatures import verify_request
from tests.conftest import Server, free_port
from tests.remote_peer import EVIL, PUBLIC, RemotePeer, running_instance
from tests.test_remote_ui import main_of, signed_up, wait_until

pytestmark = pytest.mark.server


class RecordingPeer(RemotePeer):
    """A RemotePeer that also keeps each POST's URL, headers and raw body (to check the
    signature of what we deliver)."""

    def __init__(self, username: str = "someone", name: str = "Someone Elsewhere") -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        super().__init__(username, name)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler()
        peer = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1024 * 1024))
                with peer.lock:
                    peer.posts.append((f"{peer.origin}{self.path}", dict(self.headers.items()),
                                       body))
                    with contextlib.suppress(ValueError):
                        peer.received.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def got(self, kind: str, inner: str | None = None) -> list[tuple[str, dict, dict, bytes]]:
        """(url, headers, activity, raw body) of the activities of this type received."""
        found = []
        with self.lock:
            for url, headers, body in self.posts:
                with contextlib.suppress(ValueError):
                    activity = json.loads(body)
                    if activity.get("type") != kind:
                        continue
                    if inner and not (isinstance(activity.get("object"), dict)
                                      and activity["object"].get("type") == inner):
                        continue
                    found.append((url, headers, activity, body))
        return found


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_instance(tmp_path_factory, "remote-interactions")


@pytest.fixture(scope="module")
def peer() -> Iterator[RecordingPeer]:
    with RecordingPeer() as running:
        yield running


@pytest.fixture(scope="module")
def fan() -> Iterator[RecordingPeer]:
    """Another server, whose `fan` follows our citizen."""
    with RecordingPeer("fan", "Fan Lointain") as running:
        yield running


@pytest.fixture(scope="module")
def citizen(instance: Server, peer: RecordingPeer,
            fan: RecordingPeer) -> tuple[requests.Session, str, str, str]:
    """A citizen who follows @someone (accepted), followed by @fan; someone's new Note
    has reached our inbox. Returns the session, the citizen's IRI, the CSRF token and the
    note's IRI."""
    base = instance.base_url
    session, me, token = signed_up(instance, "ines.techer@example.org")
    found = session.get(f"{base}/fediverse/lookup", params={"q": f"@{peer.handle}"},
                        timeout=60)
    assert found.status_code == 200, found.text[-500:]
    session.post(f"{base}/fediverse/follow", timeout=30,
                 data={"csrf_token": token, "iri": peer.actor})
    assert wait_until(lambda: peer.got("Follow")), peer.requests
    follow = peer.got("Follow")[0][2]
    accepted = peer.deliver(f"{base}/inbox", {
        "id": f"{peer.origin}/accepts/1", "type": "Accept", "actor": peer.actor,
        "object": follow})
    assert accepted.status_code == 202, accepted.text
    followed = fan.deliver(f"{base}/inbox", {
        "id": f"{fan.origin}/follows/1", "type": "Follow", "actor": fan.actor, "object": me})
    assert followed.status_code == 202, followed.text
    assert wait_until(lambda: fan.actor in _followers(instance, me))
    note = peer.add_note("velo", "<p>Atelier réparation vélo samedi au marché</p>",
                         "2026-11-26T09:00:00Z")
    created = peer.deliver(f"{base}/inbox", {
        "id": f"{note['id']}/activity", "type": "Create", "actor": peer.actor,
        "to": [PUBLIC], "cc": [f"{peer.actor}/followers"], "object": note})
    assert created.status_code == 202, created.text
    return session, me, token, note["id"]


def _followers(server: Server, actor: str) -> str:
    return requests.get(f"{actor}/followers", timeout=30,
                        headers={"Accept": "text/turtle"}).text


def _signed_by(server: Server, actor: str, url: str, headers: dict[str, str],
               body: bytes) -> str:
    """The key id of a valid signature by `actor` (raises when it does not verify)."""
    document = requests.get(actor, timeout=30,
                            headers={"Accept": "application/activity+json"}).json()
    public = document["publicKey"]

    def resolve(key_id: str) -> str | None:
        return public["publicKeyPem"] if key_id == public["id"] else None

    return verify_request("POST", url, headers, body, resolve).key_id


def _post_page(session: requests.Session, server: Server, note: str) -> str:
    answer = session.get(f"{server.base_url}/fediverse/post", params={"iri": note},
                         timeout=30)
    assert answer.status_code == 200, answer.text[-500:]
    return _shown(answer.text)


def _shown(page: str) -> str:
    """The main part of a page, its character references read (&#39; → ')."""
    return html.unescape(main_of(page))


def test_like_and_undo_reach_the_author_signed(instance: Server, peer: RecordingPeer,
                                               citizen) -> None:
    session, me, token, note = citizen
    base = instance.base_url
    feed = _shown(session.get(f"{base}/fediverse", timeout=30).text)
    assert "Atelier réparation vélo" in feed and "J'aime" in feed

    liked = session.post(f"{base}/fediverse/like", timeout=30,
                         data={"csrf_token": token, "iri": note})
    assert liked.status_code == 200 and "/fediverse/post?iri=" in liked.url
    assert "1 j'aime" in _shown(liked.text) and "Je n'aime plus" in _shown(liked.text)
    assert wait_until(lambda: peer.got("Like")), peer.requests
    url, headers, like, body = peer.got("Like")[0]
    assert like["actor"] == me and like["object"] == note
    assert peer.actor in like.get("to", [])
    assert url == f"{peer.actor}/inbox"  # not public: the author's own inbox
    assert _signed_by(instance, me, url, headers, body) == f"{me}#main-key"
    # liking twice is liking once: no second Like
    session.post(f"{base}/fediverse/like", timeout=30, data={"csrf_token": token, "iri": note})
    assert "1 j'aime" in _post_page(session, instance, note)

    session.post(f"{base}/fediverse/unlike", timeout=30, data={"csrf_token": token, "iri": note})
    assert wait_until(lambda: peer.got("Undo", "Like")), peer.requests
    url, headers, undo, body = peer.got("Undo", "Like")[0]
    assert undo["actor"] == me and undo["object"]["id"] == like["id"]
    assert undo["object"]["object"] == note
    assert _signed_by(instance, me, url, headers, body) == f"{me}#main-key"
    assert "0 j'aime" in _post_page(session, instance, note)


def test_share_reaches_the_author_and_the_citizens_followers(
        instance: Server, peer: RecordingPeer, fan: RecordingPeer, citizen) -> None:
    session, me, token, note = citizen
    shared = session.post(f"{instance.base_url}/fediverse/share", timeout=30,
                          data={"csrf_token": token, "iri": note})
    assert shared.status_code == 200
    assert "1 partage" in main_of(shared.text) and "Ne plus partager" in shared.text
    assert wait_until(lambda: peer.got("Announce") and fan.got("Announce")), \
        (peer.requests, fan.requests)
    for server in (peer, fan):
        url, headers, announce, body = server.got("Announce")[0]
        assert announce["actor"] == me and announce["object"] == note
        assert PUBLIC in announce["to"] and peer.actor in announce["cc"]
        assert _signed_by(instance, me, url, headers, body) == f"{me}#main-key"
    session.post(f"{instance.base_url}/fediverse/unshare", timeout=30,
                 data={"csrf_token": token, "iri": note})
    assert wait_until(lambda: peer.got("Undo", "Announce") and fan.got("Undo", "Announce"))
    assert "0 partage" in _post_page(session, instance, note)


def test_reply_reaches_the_author_and_shows_under_the_note(
        instance: Server, peer: RecordingPeer, fan: RecordingPeer, citizen) -> None:
    session, me, token, note = citizen
    page = _post_page(session, instance, note)
    assert "Atelier réparation vélo" in page and f"@{peer.handle}" in page
    replied = session.post(f"{instance.base_url}/fediverse/reply", timeout=30, data={
        "csrf_token": token, "iri": note, "content": "J'apporte ma pompe à vélo !"})
    assert replied.status_code == 200, replied.text[-500:]
    thread = main_of(replied.text)
    assert "Atelier réparation vélo" in thread
    assert "pompe à vélo" in thread.split("Réponses écrites ici", 1)[1]
    assert wait_until(lambda: peer.got("Create")), peer.requests
    url, headers, create, body = peer.got("Create")[0]
    reply = create["object"]
    assert create["actor"] == me and reply["inReplyTo"] == note
    assert reply["attributedTo"] == me and "pompe à vélo" in reply["content"]
    assert peer.actor in reply["cc"] and peer.actor in create["cc"]
    assert {"type": "Mention", "href": peer.actor,
            "name": f"@{peer.handle}"} in reply["tag"]
    assert _signed_by(instance, me, url, headers, body) == f"{me}#main-key"
    assert wait_until(lambda: fan.got("Create"))  # a public reply: to the followers too
    # the reply is a post of ours: its own page leads back to the conversation
    mine = session.get(reply["id"], timeout=30, headers={"Accept": "text/html"})
    assert mine.status_code == 200 and "pompe à vélo" in mine.text
    # a visitor sees the answer too, and no forms
    anonymous = requests.get(f"{instance.base_url}/fediverse/post", params={"iri": note},
                             timeout=30)
    assert anonymous.status_code == 200 and "pompe à vélo" in anonymous.text
    assert 'action="/fediverse/like"' not in anonymous.text
    # someone answers the answer: it shows in the same conversation here
    answer = peer.add_note("merci", "<p>Merci, à samedi !</p>", "2026-11-26T12:00:00Z",
                           in_reply_to=reply["id"])
    delivered = peer.deliver(f"{instance.base_url}/inbox", {
        "id": f"{answer['id']}/activity", "type": "Create", "actor": peer.actor,
        "to": [PUBLIC], "cc": [me], "object": answer})
    assert delivered.status_code == 202, delivered.text
    conversation = _post_page(session, instance, note).split("Réponses écrites ici", 1)[1]
    assert conversation.index("pompe à vélo") < conversation.index("Merci, à samedi")
    # the answer deleted: its Delete reaches the author it was sent to
    slug = reply["id"].rsplit("/", 1)[1]
    deleted = session.post(f"{instance.base_url}/posts/{slug}/delete", timeout=30,
                           data={"csrf_token": token})
    assert deleted.status_code == 200
    assert wait_until(lambda: any(a["object"]["id"] == reply["id"]
                                  for _u, _h, a, _b in peer.got("Delete", "Tombstone")))
    assert "pompe à vélo" not in _post_page(session, instance, note)


def test_a_post_read_from_the_outbox_is_fetched_then_liked(
        instance: Server, peer: RecordingPeer, citizen) -> None:
    """Posts on a profile come from the outbox page; liking one fetches it first."""
    session, _me, token, _note = citizen
    first = f"{peer.origin}/notes/1"
    profile = session.get(f"{instance.base_url}/fediverse/account",
                          params={"iri": peer.actor}, timeout=30)
    shown = _shown(profile.text)
    assert "Bonjour depuis ailleurs" in shown and "Partager" in shown
    fetched = len([r for r in peer.requests if r == "GET /notes/1"])
    liked = session.post(f"{instance.base_url}/fediverse/like", timeout=30, data={
        "csrf_token": token, "iri": first, "next": "/fediverse"})  # back where it was
    assert liked.status_code == 200 and liked.url.endswith("/fediverse")
    assert len([r for r in peer.requests if r == "GET /notes/1"]) > fetched
    assert wait_until(lambda: any(a["object"] == first for _u, _h, a, _b in peer.got("Like")))
    assert "1 j'aime" in _post_page(session, instance, first)


def test_a_hostile_note_is_shown_and_liked_harmlessly(instance: Server, peer: RecordingPeer,
                                                      citizen) -> None:
    session, _me, token, _note = citizen
    evil = peer.add_note("evil", EVIL, "2026-11-26T10:00:00Z")
    created = peer.deliver(f"{instance.base_url}/inbox", {
        "id": f"{evil['id']}/activity", "type": "Create", "actor": peer.actor,
        "to": [PUBLIC], "object": evil})
    assert created.status_code == 202, created.text
    for page in (_post_page(session, instance, evil["id"]),
                 main_of(session.get(f"{instance.base_url}/fediverse", timeout=30).text)):
        assert "Salut" in page and "voisins" in page
        assert "<script" not in page and "alert(" not in page and "onerror" not in page
    liked = session.post(f"{instance.base_url}/fediverse/like", timeout=30,
                         data={"csrf_token": token, "iri": evil["id"]})
    assert liked.status_code == 200 and "<script" not in main_of(liked.text)


def test_bad_interactions_say_why(instance: Server, peer: RecordingPeer, citizen) -> None:
    session, _me, token, note = citizen
    base = instance.base_url
    # no CSRF token: refused, nothing sent
    before = len(peer.posts)
    forged = session.post(f"{base}/fediverse/like", timeout=30, data={"iri": note},
                          allow_redirects=False)
    assert forged.status_code in (400, 403)
    for iri in ("javascript:alert(1)", "", "not an iri"):
        answer = session.post(f"{base}/fediverse/like", timeout=30,
                              data={"csrf_token": token, "iri": iri})
        assert answer.status_code == 400, iri
    # a remote account is no post; a dead server: a message, no 500
    for iri in (peer.actor, f"http://127.0.0.1:{free_port()}/notes/1"):
        answer = session.post(f"{base}/fediverse/like", timeout=60,
                              data={"csrf_token": token, "iri": iri})
        assert answer.status_code == 200, iri
        assert "Cette publication est introuvable" in html.unescape(answer.text), iri
    account = session.get(f"{base}/fediverse/post", params={"iri": peer.actor}, timeout=30)
    assert account.status_code == 200 and "/fediverse/account?iri=" in account.url
    unknown = requests.get(f"{base}/fediverse/post", timeout=30,
                           params={"iri": f"http://127.0.0.1:{free_port()}/notes/9"})
    assert unknown.status_code == 404  # a visitor's request fetches nothing
    empty = session.post(f"{base}/fediverse/reply", timeout=30,
                         data={"csrf_token": token, "iri": note, "content": "   "})
    assert empty.status_code == 200 and "Écrivez quelque chose" in empty.text
    assert len([p for p in peer.posts[before:] if b'"Like"' in p[2]]) == 0
    # anonymous: to the log-in page
    anonymous = requests.post(f"{base}/fediverse/like", data={"iri": note}, timeout=30,
                              allow_redirects=False)
    assert anonymous.status_code in (302, 303, 400)


def test_the_buttons_speak_english_too(instance: Server, fan: RecordingPeer, citizen) -> None:
    """J'aime / Partager / Répondre in English for a person who chose English."""
    base = instance.base_url
    session, _me, token = signed_up(instance, "english.reader@example.org")
    session.post(f"{base}/locale", data={"csrf_token": token, "locale": "en"}, timeout=30)
    note = citizen[3]
    page = main_of(session.get(f"{base}/fediverse/post", params={"iri": note},
                               timeout=30).text)
    for english in ("Like", "Share", "Reply", "Answers written here",
                    "A post from another fediverse server."):
        assert re.search(rf">\s*{re.escape(english)}\s*<", page), english
    assert "Partager" not in page and "Répondre" not in page and "Réponses" not in page


def test_browser_like_share_and_reply(instance: Server, peer: RecordingPeer, page) -> None:
    """In Chromium, without JavaScript needed: from the fediverse feed to a remote post's
    page (accessible), J'aime, Partager, then Répondre with the form."""
    from tests.test_accounts_browser import accessible

    session, me, token = signed_up(instance, "camille.hoareau@example.org")
    session.post(f"{instance.base_url}/fediverse/follow", timeout=30,
                 data={"csrf_token": token, "iri": peer.actor})
    assert wait_until(lambda: any(a["actor"] == me for _u, _h, a, _b in peer.got("Follow")))
    follow = next(a for _u, _h, a, _b in peer.got("Follow") if a["actor"] == me)
    peer.deliver(f"{instance.base_url}/inbox", {
        "id": f"{peer.origin}/accepts/2", "type": "Accept", "actor": peer.actor,
        "object": follow})
    page.context.add_cookies([{"name": c.name, "value": c.value or "", "url": instance.base_url}
                              for c in session.cookies])
    page.goto(f"{instance.base_url}/fediverse")
    accessible(page)
    page.get_by_role("link", name="Voir la discussion").first.click()
    page.get_by_role("heading", name="Réponses écrites ici").wait_for()
    accessible(page)
    page.get_by_role("button", name="J'aime", exact=True).click()
    page.get_by_role("button", name="Je n'aime plus").wait_for()
    page.get_by_role("button", name="Partager", exact=True).click()
    page.get_by_role("button", name="Ne plus partager").wait_for()
    page.get_by_label("Répondre à").fill("Bravo pour l'atelier")
    page.get_by_role("button", name="Répondre", exact=True).click()
    page.get_by_text("Bravo pour l'atelier").wait_for()
    accessible(page)
