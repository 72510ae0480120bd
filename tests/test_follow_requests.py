"""Approving followers one by one, as the person sees it: the box ticked on the account
page, a Follow from another server that waits, the page of follow requests with its
Accept and Reject buttons, and what the follower's server receives (a signed Accept or
Reject of its Follow). Against the production server (`communecter serve`) and a remote
server on loopback (tests/inbox_support.py) whose inbox records what it is sent.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from federation.signatures import verify_request
from tests.accounts_support import csrf_of
from tests.conftest import Server, start_server, stop_server
from tests.inbox_support import Peer, collection

AP_JSON = "application/activity+json"
PASSWORD = "un mot de passe assez long"
WAIT = 15.0


class RecordingPeer(Peer):
    """The loopback peer, keeping also the URL and headers of each POST it receives (to
    check the signatures of what our server sends)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        super().__init__()

    def _handler(self) -> type:
        base = super()._handler()
        peer = self

        class Recording(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                peer.posts.append((peer.origin + self.path, dict(self.headers), body))
                with contextlib.suppress(ValueError):
                    peer.received.append(json.loads(body))
                self.send_response(202)
                self.end_headers()

        return Recording


@pytest.fixture(scope="module")
def peer() -> Iterator[RecordingPeer]:
    running = RecordingPeer()
    for name in ("amy", "mallory", "zoe"):
        running.add_actor(name)
    yield running
    running.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("follow-requests") / "data"
    data_dir.mkdir()
    running = start_server(data_dir, env={"COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1"})
    try:
        for handle in ("fanny", "bob"):
            running.cli("token", "create", handle, "--create")
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def fanny(server: Server) -> requests.Session:
    """fanny's browser, logged in with her password."""
    return log_in(server, "fanny")


def log_in(server: Server, handle: str) -> requests.Session:
    """The browser of `handle` (a citizen with an account), logged in with a password."""
    from argon2 import PasswordHasher

    from store.accounts import Accounts
    from store.private import PrivateStore

    accounts = Accounts(PrivateStore(server.data_dir / "private.sqlite3"))
    email = f"{handle}@example.org"
    account = accounts.create(email, f"{server.base_url}/persons/{handle}",
                              f"{server.base_url}/territories/97411")
    accounts.update(account.id, password_hash=PasswordHasher().hash(PASSWORD),
                    confirmed=account.created)
    session = requests.Session()
    session.headers["Accept"] = "text/html"
    done = session.post(f"{server.base_url}/login", allow_redirects=False, timeout=10, data={
        "csrf_token": csrf_of(session, f"{server.base_url}/login"), "method": "password",
        "email": email, "password": PASSWORD})
    assert done.status_code in (302, 303), done.text[:500]
    return session


def actor_document(server: Server) -> dict[str, Any]:
    response = requests.get(f"{server.base_url}/persons/fanny", headers={"Accept": AP_JSON},
                            timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def choose(server: Server, session: requests.Session, **boxes: bool) -> requests.Response:
    """Ticks (True) or leaves unticked (False) the fediverse boxes of the account page."""
    form = {"csrf_token": csrf_of(session, f"{server.base_url}/account")}
    form.update({name: "on" for name, ticked in boxes.items() if ticked})
    return session.post(f"{server.base_url}/account/federation", data=form, timeout=10,
                        allow_redirects=False)


def follow(server: Server, peer: Peer, name: str) -> dict[str, Any]:
    fanny = f"{server.base_url}/persons/fanny"
    activity = peer.activity(name, "Follow", fanny)
    response = peer.send(f"{fanny}/inbox", activity)
    assert response.status_code in (200, 202), response.text[:500]
    return activity


def answer(server: Server, session: requests.Session, decision: str, follower: str,
           token: str | None = None) -> requests.Response:
    url = f"{server.base_url}/account/follow-requests"
    return session.post(f"{url}/{decision}", timeout=10, allow_redirects=False, data={
        "csrf_token": token if token is not None else csrf_of(session, url),
        "follower": follower})


def received(peer: RecordingPeer, kind: str, inbox: str) -> list[tuple[dict[str, str], bytes]]:
    """The POSTs of `kind` that reached `inbox`, waiting for them a little (the queue
    delivers in the background)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = [(headers, body) for url, headers, body in peer.posts
                 if url == inbox and json.loads(body).get("type") == kind]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def signed_by(server: Server, url: str, headers: dict[str, str], body: bytes) -> str:
    """The key id of a valid signature of fanny's (raises when it does not verify)."""
    public = actor_document(server)["publicKey"]

    def resolve(key_id: str) -> str | None:
        return public["publicKeyPem"] if key_id == public["id"] else None

    return verify_request("POST", url, headers, body, resolve).key_id


def test_the_choices_are_published_on_the_actor(server: Server, fanny: requests.Session) -> None:
    document = actor_document(server)
    assert document["manuallyApprovesFollowers"] is False
    assert document["discoverable"] is True
    page = fanny.get(f"{server.base_url}/account", timeout=10).text
    assert "Approuver mes abonnés un par un" in page
    assert "Me rendre visible dans les annuaires du fédivers" in page
    forged = fanny.post(f"{server.base_url}/account/federation", timeout=10,
                        data={"manually_approves_followers": "on"}, allow_redirects=False)
    assert forged.status_code == 400  # no CSRF token: nothing changes
    assert actor_document(server)["manuallyApprovesFollowers"] is False
    done = choose(server, fanny, manually_approves_followers=True, discoverable=False)
    assert done.status_code in (302, 303)
    document = actor_document(server)
    assert document["manuallyApprovesFollowers"] is True
    assert document["discoverable"] is False
    page = fanny.get(f"{server.base_url}/account", timeout=10).text
    assert re.search(r'id="manually_approves_followers"[^>]*checked', page)
    assert not re.search(r'id="discoverable"[^>]*checked', page)


def test_a_follow_waits_and_is_accepted_or_rejected(server: Server, fanny: requests.Session,
                                                    peer: RecordingPeer) -> None:
    me = f"{server.base_url}/persons/fanny"
    assert choose(server, fanny, manually_approves_followers=True,
                  discoverable=True).status_code in (302, 303)
    amy, mallory = peer.actor("amy"), peer.actor("mallory")
    follow_amy = follow(server, peer, "amy")
    follow(server, peer, "mallory")
    assert collection(server, f"{me}/followers") == []
    requests_url = f"{server.base_url}/account/follow-requests"
    page = fanny.get(requests_url, timeout=10).text
    host = peer.origin.split("://", 1)[1]
    assert f"@amy@{host}" in page and f"@mallory@{host}" in page
    assert page.index(f"@amy@{host}") < page.index(f"@mallory@{host}")  # oldest first
    assert "2 personnes attendent votre réponse" in page
    account = fanny.get(f"{server.base_url}/account", timeout=10).text
    assert re.search(r'follow-requests">[^<]*</a> <span class="count">2</span>', account)
    notes = fanny.get(f"{server.base_url}/notifications", timeout=10).text
    assert f"Amy (@amy@{host}) demande à vous suivre" in html.unescape(notes)
    assert 'href="/account/follow-requests"' in notes
    assert received(peer, "Accept", f"{amy}/inbox") == []  # not at once

    assert answer(server, fanny, "accept", amy, token="forged").status_code == 400
    assert collection(server, f"{me}/followers") == []
    assert answer(server, fanny, "accept", amy).status_code == 303
    assert collection(server, f"{me}/followers") == [amy]
    accepts = received(peer, "Accept", f"{amy}/inbox")
    assert len(accepts) == 1
    headers, body = accepts[0]
    accept = json.loads(body)
    assert accept["actor"] == me and accept["object"]["id"] == follow_amy["id"]
    assert signed_by(server, f"{amy}/inbox", headers, body) == f"{me}#main-key"

    assert answer(server, fanny, "reject", mallory).status_code == 303
    assert collection(server, f"{me}/followers") == [amy]
    rejects = received(peer, "Reject", f"{mallory}/inbox")
    assert len(rejects) == 1 and json.loads(rejects[0][1])["object"]["actor"] == mallory
    page = fanny.get(requests_url, timeout=10).text
    assert "Personne n'attend votre réponse." in html.unescape(page)
    again = answer(server, fanny, "accept", mallory)
    assert again.status_code == 404  # answered already: nothing changes
    assert collection(server, f"{me}/followers") == [amy]
    assert answer(server, fanny, "maybe", mallory).status_code == 404
    stranger = requests.get(requests_url, timeout=10, allow_redirects=False)
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]
    assert answer(server, fanny, "accept", "").status_code == 422


def test_a_local_follow_waits_too(server: Server, fanny: requests.Session) -> None:
    """bob, on this instance, asks too: he is told that his request waits, and he may
    withdraw it."""
    me, bob = f"{server.base_url}/persons/fanny", f"{server.base_url}/persons/bob"
    assert choose(server, fanny, manually_approves_followers=True,
                  discoverable=True).status_code in (302, 303)
    browser = log_in(server, "bob")
    token = csrf_of(browser, me)
    asked = browser.post(f"{me}/follow", data={"csrf_token": token}, timeout=10)
    assert asked.status_code == 200
    assert "Votre demande est envoyée" in html.unescape(asked.text)
    assert bob not in collection(server, f"{me}/followers")
    browser.post(f"{me}/unfollow", data={"csrf_token": token}, timeout=10)
    assert "Personne n'attend" in html.unescape(
        fanny.get(f"{server.base_url}/account/follow-requests", timeout=10).text)
    browser.post(f"{me}/follow", data={"csrf_token": token}, timeout=10)
    page = fanny.get(f"{server.base_url}/account/follow-requests", timeout=10).text
    assert f'href="{bob}"' in page
    assert answer(server, fanny, "accept", bob).status_code == 303
    assert bob in collection(server, f"{me}/followers")
    assert collection(server, f"{bob}/following") == [me]
    browser.post(f"{me}/unfollow", data={"csrf_token": token}, timeout=10)
    assert bob not in collection(server, f"{me}/followers")


def test_approving_automatically_again_lets_everyone_waiting_in(
        server: Server, fanny: requests.Session, peer: RecordingPeer) -> None:
    """As when a Mastodon account is unlocked; the followers' servers are sent the
    actor again (Update), with manuallyApprovesFollowers false."""
    me = f"{server.base_url}/persons/fanny"
    assert choose(server, fanny, manually_approves_followers=True,
                  discoverable=True).status_code in (302, 303)
    zoe = peer.actor("zoe")
    follow(server, peer, "zoe")
    assert zoe not in collection(server, f"{me}/followers")
    peer.posts.clear()
    assert choose(server, fanny, discoverable=True).status_code in (302, 303)
    assert zoe in collection(server, f"{me}/followers")
    assert len(received(peer, "Accept", f"{zoe}/inbox")) == 1
    updates = received(peer, "Update", f"{peer.origin}/inbox")  # the shared inbox
    assert updates, [url for url, _, _ in peer.posts]
    actor = json.loads(updates[-1][1])["object"]
    assert actor["id"] == me and actor["manuallyApprovesFollowers"] is False
    page = fanny.get(f"{server.base_url}/account/follow-requests", timeout=10).text
    assert "Personne n'attend votre réponse." in html.unescape(page)
    english = requests.Session()
    english.cookies.update(fanny.cookies)
    english.post(f"{server.base_url}/account/locale", timeout=10, data={
        "csrf_token": csrf_of(fanny, f"{server.base_url}/account"), "locale": "en"})
    page = english.get(f"{server.base_url}/account", timeout=10).text
    assert "Approve followers one by one" in page
    assert "Be listed in fediverse directories" in page
    page = english.get(f"{server.base_url}/account/follow-requests", timeout=10).text
    assert "Nobody is waiting for your answer." in page


def test_every_text_has_an_english_translation() -> None:
    """The follow requests page, its messages and the notifications' sentences."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for path in [*sorted((root / "web/templates/follow_requests").glob("*.html")),
                 root / "web/templates/notifications/_sentence.html"]:
        for _, message, _, _ in extract_from_file("jinja2", path, options={"extensions": ""}):
            found.add(message if isinstance(message, str) else message[0])
    for path in (root / "web/ui/follow_requests.py", root / "web/ui/element_actions.py"):
        for _, message, _, _ in extract_from_file("python", path, keywords={"_": None}):
            found.add(message if isinstance(message, str) else message[0])
    translated: set[str] = set()
    for catalog in (root / "web/translations/en/LC_MESSAGES").glob("*.po"):
        with open(catalog, "rb") as handle:
            translated |= {m.id if isinstance(m.id, str) else m.id[0]
                           for m in read_po(handle, locale="en") if m.id and m.string}
    assert not sorted(found - translated), sorted(found - translated)
