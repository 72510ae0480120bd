"""Looking up and following a remote account from the web app, against the production
server (`communecter serve` with COMMUNECTER_ALLOW_PRIVATE_ADDRESSES=1) and a loopback
fediverse server (tests/remote_peer.py): a person signs up, types `@someone@127.0.0.1:PORT`,
sees the remote profile with its public posts (sanitised), clicks Follow: the follow is
pending, the Follow reaches the remote inbox through the delivery queue; the remote
Accept (signed, to our inbox) makes it a follow, and the remote account's next post shows
in the person's fediverse feed. A remote reply to the person's post, delivered signed to
our inbox, shows in the post's thread with the remote handle and without its script.
Bad input: malformed handles, unknown accounts, hosts that do not answer → clear 4xx/502
pages, never a 500.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from collections.abc import Iterator

import pytest
import requests

from tests.accounts_support import link_in, wait_for_mail
from tests.conftest import Server, free_port
from tests.remote_peer import EVIL, PUBLIC, RemotePeer, running_instance

pytestmark = pytest.mark.server
ADDRESS = "lea.hoarau@example.org"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_instance(tmp_path_factory, "remote-ui")


@pytest.fixture(scope="module")
def peer() -> Iterator[RemotePeer]:
    with RemotePeer() as running:
        yield running


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def signed_up(server: Server, address: str) -> tuple[requests.Session, str, str]:
    """A session logged in as a new citizen (sign-up by e-mail, the link from the mail);
    returns it, the person's IRI and the CSRF token."""
    session = requests.Session()
    session.headers["Accept"] = "text/html"
    token = csrf_of(session.get(f"{server.base_url}/signup", timeout=30).text)
    answer = session.post(f"{server.base_url}/signup", timeout=30, data={
        "csrf_token": token, "email": address, "postal_code": "97400"})
    assert answer.status_code == 200, answer.text[-500:]
    link = link_in(wait_for_mail(server.data_dir, address, timeout=30))
    home = session.get(link, timeout=30)
    assert home.status_code == 200
    me = re.search(r'<a href="([^"]+)">Mon profil</a>', home.text)
    assert me, "not logged in"
    return session, me.group(1), csrf_of(home.text)


def wait_until(condition, timeout: float = 30, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def main_of(page: str) -> str:
    return page.split('<main id="contenu">', 1)[1].split("</main>", 1)[0]


def test_look_up_follow_and_read_a_remote_account(instance: Server, peer: RemotePeer) -> None:
    base = instance.base_url
    session, me, token = signed_up(instance, ADDRESS)

    # the look-up form, then @someone@127.0.0.1:PORT
    form = session.get(f"{base}/fediverse", timeout=30)
    assert form.status_code == 200 and "Suivre un compte du fédivers" in form.text
    found = session.get(f"{base}/fediverse/lookup", params={"q": f"@{peer.handle}"},
                        timeout=60)
    assert found.status_code == 200, found.text[-800:]
    assert found.url.startswith(f"{base}/fediverse/account?iri=")
    page = main_of(found.text)
    assert "Someone Elsewhere" in page and f"@{peer.handle}" in page
    assert "Je parle de vélo" in page  # the summary
    assert "Bonjour depuis ailleurs" in page and "voisins" in page  # public posts
    assert "Réservé aux abonnés" not in page  # followers-only: not shown
    assert "<script" not in page and "alert(" not in page and "onerror" not in page
    assert f"{peer.origin}/avatar.png" in page
    # the other spellings find the same account (the profile page's URL: by WebFinger)
    for typed in (peer.handle, f"acct:{peer.handle}", peer.actor,
                  f"{peer.origin}/@{peer.username}"):
        again = session.get(f"{base}/fediverse/lookup", params={"q": typed}, timeout=60)
        assert again.url == found.url, typed
    # Mastodon's remote-follow template leads to the same page
    remote_follow = session.get(f"{base}/authorize_interaction", params={"uri": peer.actor},
                                timeout=60)
    assert remote_follow.url == found.url

    # Follow: pending until the remote server accepts; the Follow reaches its inbox
    followed = session.post(f"{base}/fediverse/follow", timeout=30,
                            data={"csrf_token": token, "iri": peer.actor})
    assert followed.status_code == 200 and followed.url == found.url
    assert "en attente de réponse" in followed.text
    assert wait_until(lambda: any(a.get("type") == "Follow" for a in peer.received)), \
        f"no Follow delivered to the remote inbox: {peer.requests}"
    follow = next(a for a in peer.received if a.get("type") == "Follow")
    assert follow["actor"] == me and follow["object"] == peer.actor

    # the remote Accept, signed, to our shared inbox: now a follow
    accepted = peer.deliver(f"{base}/inbox", {
        "id": f"{peer.origin}/accepts/1", "type": "Accept", "actor": peer.actor,
        "object": follow})
    assert accepted.status_code == 202, accepted.text
    profile = session.get(found.url, timeout=30).text
    assert "Vous suivez ce compte" in profile
    assert peer.actor in session.get(f"{me}/following", timeout=30,
                                     headers={"Accept": "text/turtle"}).text

    # its next public post reaches the fediverse feed
    note = peer.add_note("new", "<p>Vélorution jeudi soir</p>", "2026-11-26T18:00:00Z")
    created = peer.deliver(f"{base}/inbox", {
        "id": f"{note['id']}/activity", "type": "Create", "actor": peer.actor,
        "to": [PUBLIC], "object": note})
    assert created.status_code == 202, created.text
    feed = main_of(session.get(f"{base}/fediverse", timeout=30).text)
    assert "Vélorution jeudi soir" in feed and f"@{peer.handle}" in feed

    # Unfollow
    session.post(f"{base}/fediverse/unfollow", timeout=30,
                 data={"csrf_token": token, "iri": peer.actor})
    assert "Vous suivez ce compte" not in session.get(found.url, timeout=30).text
    assert wait_until(lambda: any(a.get("type") == "Undo" for a in peer.received))


def test_a_remote_reply_delivered_to_our_inbox_shows_in_the_thread(
        instance: Server, peer: RemotePeer) -> None:
    base = instance.base_url
    session, me, token = signed_up(instance, "paul.grondin@example.org")
    posted = session.post(f"{base}/posts/new", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "wall": me, "content": "Qui vient au marché forain samedi ?"})
    assert posted.status_code == 303
    post = f"{base}/posts/{posted.headers['Location'].rsplit('#post-', 1)[1]}"
    reply = peer.add_note("reply", EVIL, "2026-11-26T08:00:00Z", in_reply_to=post)
    delivered = peer.deliver(f"{base}/inbox", {
        "id": f"{reply['id']}/activity", "type": "Create", "actor": peer.actor,
        "to": [PUBLIC], "object": reply})
    assert delivered.status_code == 202, delivered.text
    page = session.get(post, timeout=30, headers={"Accept": "text/html"}).text
    thread = main_of(page)
    assert "Salut" in thread and "voisins" in thread
    assert f"@{peer.handle}" in thread
    assert html_lib.escape(f"/fediverse/account?iri={peer.actor}") in thread or \
        f"/fediverse/account?iri={peer.actor}" in thread
    assert "<script" not in thread and "alert(" not in thread and "onerror" not in thread


@pytest.fixture(scope="module")
def visitor(instance: Server) -> tuple[requests.Session, str, str]:
    return signed_up(instance, "marie.payet@example.org")


@pytest.mark.parametrize(("typed", "status"), [
    ("not a handle", 400),
    ("@@", 400),
    ("someone@exa mple.org", 400),
    ("javascript:alert(1)", 400),
    ("nobody@127.0.0.1:{port}", 404),
    ("someone@127.0.0.1:{dead}", 502),
])
def test_bad_lookups_say_why_without_a_server_error(instance: Server, peer: RemotePeer,
                                                    visitor, typed: str, status: int) -> None:
    session = visitor[0]
    text = typed.format(port=peer.port, dead=free_port())
    answer = session.get(f"{instance.base_url}/fediverse/lookup", params={"q": text},
                         timeout=60)
    assert answer.status_code == status, answer.text[-500:]
    assert 'role="alert"' in answer.text


def test_looking_up_needs_an_account(instance: Server, peer: RemotePeer) -> None:
    before = len(peer.requests)
    answer = requests.get(f"{instance.base_url}/fediverse/lookup", timeout=30,
                          params={"q": peer.handle}, allow_redirects=False)
    assert answer.status_code in (302, 303) and "/login" in answer.headers["Location"]
    assert len(peer.requests) == before  # nothing fetched for an anonymous visitor


def test_unknown_remote_profiles_are_not_fetched_for_visitors(instance: Server) -> None:
    answer = requests.get(f"{instance.base_url}/fediverse/account", timeout=30,
                          params={"iri": "http://127.0.0.1:9/users/x"})
    assert answer.status_code == 404


def test_browser_journey_look_up_and_follow(instance: Server, peer: RemotePeer, page) -> None:
    """In Chromium: from one's profile to the fediverse page, type the handle, see the
    remote profile (accessible), follow it: the request is pending."""
    from tests.test_accounts_browser import accessible

    session, me, _token = signed_up(instance, "jeanne.fontaine@example.org")
    page.context.add_cookies([{"name": c.name, "value": c.value or "", "url": instance.base_url}
                              for c in session.cookies])
    page.goto(me)
    page.get_by_role("link", name="Suivre un compte du fédivers").first.click()
    page.get_by_label("Identifiant ou adresse du compte").fill(f"@{peer.handle}")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("heading", name="Someone Elsewhere").wait_for()
    assert page.get_by_text(f"@{peer.handle}").first.is_visible()
    assert page.get_by_text("Bonjour depuis ailleurs").is_visible()
    accessible(page)
    page.get_by_role("button", name="Suivre", exact=True).click()
    page.get_by_text("Demande d'abonnement envoyée, en attente de réponse.").wait_for()
    page.goto(f"{instance.base_url}/fediverse")
    assert page.get_by_text("(demande en attente)").is_visible()
    accessible(page)
