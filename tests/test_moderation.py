"""Moderation of the federation: instance domain blocks, the reports' queue, personal blocks
and mutes — on the production server (`communecter serve`), through its HTML forms with a
logged-in browser session (requests, password log-in), as people use them; and the API of
federation/moderation.py on its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from argon2 import PasswordHasher

from federation import moderation
from store.accounts import Accounts
from store.private import PrivateStore
from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.server

PASSWORD = "un mot de passe assez long"
HTML = {"Accept": "text/html"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Page:
    """An answer, its HTML text unescaped (what a reader sees, entities resolved)."""

    status_code: int
    text: str
    headers: dict[str, str]
    url: str

    @classmethod
    def of(cls, response: requests.Response) -> Page:
        return cls(response.status_code, unescape(response.text), dict(response.headers),
                   response.url)


class Person:
    """A logged-in browser session of one citizen on the running server."""

    def __init__(self, base: str, handle: str) -> None:
        self.base, self.handle = base, handle
        self.actor = f"{base}/persons/{handle}"
        self.http = requests.Session()
        self.http.headers.update(HTML)

    def token(self) -> str:
        found = _TOKEN.search(self.http.get(self.base + "/login", timeout=30).text)
        assert found, "no CSRF token on the log-in page"
        return unescape(found.group(1))

    def log_in(self) -> Person:
        answer = self.http.post(self.base + "/login", timeout=30, allow_redirects=False, data={
            "csrf_token": self.token(), "method": "password",
            "email": f"{self.handle}@example.org", "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.text[:500]
        return self

    def get(self, path: str) -> Page:
        return Page.of(self.http.get(self.base + path, timeout=30))

    def post(self, path: str, **data: str) -> Page:
        return Page.of(self.http.post(self.base + path, timeout=30, allow_redirects=False,
                                      data={"csrf_token": self.token(), **data}))

    def write(self, content: str, wall: str | None = None) -> str:
        answer = self.post("/posts/new", wall=wall or self.actor, content=content)
        found = re.search(r"#post-([0-9a-z-]+)$", answer.headers.get("Location", ""))
        assert answer.status_code == 303 and found, answer.text[:500]
        return f"{self.base}/posts/{found.group(1)}"

    def answer(self, post: str, content: str) -> Page:
        return self.post(f"/posts/{post.rsplit('/', 1)[-1]}/comment", content=content,
                         next=post.removeprefix(self.base))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = tmp_path_factory.mktemp("moderation") / "data"
    found.mkdir()
    return found


@pytest.fixture(scope="module")
def instance(data_dir: Path) -> Iterator[dict[str, Person]]:
    """A server with La Réunion and four people with passwords: root (instance admin),
    alice, bob, carol."""
    data = data_dir
    running = start_server(data)
    try:
        running.cli("import-territories")
        for handle in ("root", "alice", "bob", "carol"):
            running.cli("token", "create", handle, "--create")
        accounts = Accounts(PrivateStore(Path(data) / "private.sqlite3"))
        hashed = PasswordHasher().hash(PASSWORD)
        people = {}
        for handle in ("root", "alice", "bob", "carol"):
            person = Person(running.base_url, handle)
            account = accounts.create(f"{handle}@example.org", person.actor,
                                      f"{running.base_url}/territories/97411", confirmed=True)
            accounts.update(account.id, password_hash=hashed, is_admin=int(handle == "root"))
            people[handle] = person.log_in()
        people["anonymous"] = Person(running.base_url, "nobody")
        yield people
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def private(data_dir: Path, instance: dict[str, Person]) -> PrivateStore:
    """The server's private store, opened beside it (SQLite in WAL mode, shared safely)."""
    return PrivateStore(data_dir / "private.sqlite3")


# --- domain blocks ---------------------------------------------------------------------


def test_an_admin_blocks_a_domain_and_sees_it_listed(instance) -> None:
    root = instance["root"]
    answer = root.post("/moderation/domains", host="Spam.Example.", policy="reject",
                       reason="Pourriels en masse")
    assert answer.status_code == 303
    root.post("/moderation/domains", host="bruyant.example", policy="silence", reason="")
    page = root.get("/moderation/domains")
    assert page.status_code == 200
    assert "spam.example" in page.text and "Pourriels en masse" in page.text
    assert "Rejeté" in page.text and "Restreint" in page.text
    bad = root.post("/moderation/domains", host="pas un domaine", policy="reject")
    assert bad.status_code == 400 and "n'est pas un nom de domaine" in bad.text
    bad = root.post("/moderation/domains", host="x.example", policy="destroy")
    assert bad.status_code == 400
    own = root.base.split("://", 1)[1]
    bad = root.post("/moderation/domains", host=own, policy="reject")
    assert bad.status_code == 400 and "C'est le domaine de cette instance" in bad.text
    root.post("/moderation/domains/remove", host="bruyant.example")
    listed = root.get("/moderation/domains").text
    assert "<td>bruyant.example</td>" not in listed and "<td>spam.example</td>" in listed


def test_only_instance_admins_manage_domains(instance) -> None:
    alice = instance["alice"]
    assert alice.get("/moderation/domains").status_code == 403
    assert alice.post("/moderation/domains", host="x.example",
                      policy="reject").status_code == 403
    assert alice.post("/moderation/domains/remove", host="spam.example").status_code == 403
    anonymous = instance["anonymous"].get("/moderation/domains")
    assert "/login" in anonymous.url
    assert "<td>x.example</td>" not in instance["root"].get("/moderation/domains").text


def test_a_form_without_its_csrf_token_is_refused(instance) -> None:
    root = instance["root"]
    answer = root.http.post(root.base + "/moderation/domains", timeout=30,
                            data={"host": "csrf.example", "policy": "reject"})
    assert answer.status_code == 400
    assert "<td>csrf.example</td>" not in root.get("/moderation/domains").text


# --- reports -----------------------------------------------------------------------------


def test_a_report_reaches_the_moderators_who_resolve_it(instance, private) -> None:
    alice, bob, root = instance["alice"], instance["bob"], instance["root"]
    post = alice.write("Une publication discutable")
    wall = bob.get(post.removeprefix(bob.base))
    assert "Signaler" in wall.text
    answer = bob.post("/report", object=post, category="spam", details="publicité cachée",
                      next="/")
    assert answer.status_code == 303
    queue = root.get("/moderation")
    assert "Une publication discutable" in queue.text and "publicité cachée" in queue.text
    assert bob.get("/moderation").status_code == 403
    # a Flag from another server (the inbox files it so) joins the same queue
    moderation.record_report(private, "https://mastodon.example/actor", [alice.actor],
                             "Compte suspect", "mastodon.example")
    queue = root.get("/moderation")
    assert "Reçu du serveur mastodon.example" in queue.text and "Compte suspect" in queue.text
    for target in (post, alice.actor):
        assert root.post("/moderation/dismiss", object=target).status_code == 303
    queue = root.get("/moderation")
    assert "Une publication discutable" not in queue.text
    assert "Compte suspect" not in queue.text


# --- personal blocks and mutes ---------------------------------------------------------------


def test_a_block_hides_the_person_and_stops_their_answers(instance) -> None:
    alice, bob, carol = instance["alice"], instance["bob"], instance["carol"]
    mine = alice.write("Fête de quartier samedi")
    assert bob.answer(mine, "J'apporte des samoussas").status_code == 303
    theirs = bob.write("Bob vend son vélo")
    assert "J'apporte des samoussas" in alice.get("/persons/alice").text
    assert "Bob vend son vélo" in alice.get("/territories/97411").text
    assert bob.post("/persons/alice/follow").status_code == 303
    assert bob.actor in _followers(alice, "alice")

    page = alice.get("/persons/bob")
    assert 'value="block"' in page.text and "Bloquer" in page.text
    answer = alice.post("/blocks", kind="block", target=bob.actor, next="/persons/bob")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/persons/bob")
    assert "Débloquer" in alice.get("/persons/bob").text

    # gone from alice's wall, the thread's page and her commune's feed; not for carol
    assert "J'apporte des samoussas" not in alice.get("/persons/alice").text
    assert "J'apporte des samoussas" not in alice.get(mine.removeprefix(alice.base)).text
    assert "Bob vend son vélo" not in alice.get("/territories/97411").text
    assert "J'apporte des samoussas" in carol.get("/persons/alice").text
    assert "Bob vend son vélo" in carol.get("/territories/97411").text
    # the block ended bob's follow, and bob may neither follow, answer nor like again
    assert bob.actor not in _followers(alice, "alice")
    bob.post("/persons/alice/follow")
    assert bob.actor not in _followers(alice, "alice")
    bob.answer(mine, "Et des bouchons")
    assert "Et des bouchons" not in carol.get(mine.removeprefix(carol.base)).text
    bob.post(f"/posts/{mine.rsplit('/', 1)[-1]}/like", next="/")
    assert "0 j'aime" in carol.get(mine.removeprefix(carol.base)).text
    assert theirs  # bob's own post still exists for others
    assert 'href="/blocks"' in alice.get("/account").text
    blocks = alice.get("/blocks")
    assert f'href="{bob.actor}">bob</a>' in blocks.text and "Débloquer : bob" in blocks.text

    # undone: visible again, answering works again
    alice.post("/blocks/remove", kind="block", target=bob.actor)
    assert "J'apporte des samoussas" in alice.get("/persons/alice").text
    assert bob.answer(mine, "Et des bouchons").status_code == 303
    assert "Et des bouchons" in alice.get(mine.removeprefix(alice.base)).text


def test_a_mute_hides_without_preventing(instance) -> None:
    alice, carol, bob = instance["alice"], instance["carol"], instance["bob"]
    mine = alice.write("Qui vient au marché ?")
    answer = alice.post("/blocks", kind="mute", target="@carol", next="/blocks")
    assert answer.status_code == 303
    assert carol.answer(mine, "Moi, à 8 h").status_code == 303
    assert bob.answer(mine, "Bob passe aussi").status_code == 303
    thread = mine.removeprefix(alice.base)
    assert "Moi, à 8 h" not in alice.get(thread).text
    assert "Moi, à 8 h" in bob.get(thread).text  # stored, shown to others
    notices = alice.get("/notifications").text
    assert "bob a commenté" in notices and "carol a commenté" not in notices  # not told
    assert "Ne plus masquer" in alice.get("/persons/carol").text
    assert "Ne plus masquer : carol" in alice.get("/blocks").text
    alice.post("/blocks/remove", kind="mute", target=carol.actor)
    assert "Moi, à 8 h" in alice.get(thread).text


def test_blocks_refuse_what_makes_no_sense(instance) -> None:
    alice = instance["alice"]
    for target in ("", "pas une adresse !", "@personne-inconnue", "https://"):
        answer = alice.post("/blocks", kind="block", target=target)
        assert answer.status_code == 400, target
        assert 'role="alert"' in answer.text
    assert alice.post("/blocks", kind="ban", target="@bob").status_code == 400
    assert alice.post("/blocks", kind="block", target=alice.actor).status_code == 400
    assert alice.post("/blocks", kind="mute",
                      target=alice.base.split("://", 1)[1]).status_code == 400
    # a whole domain can be muted
    assert alice.post("/blocks", kind="mute", target="bavard.example").status_code == 303
    assert "tout le domaine bavard.example" in alice.get("/blocks").text
    assert instance["anonymous"].post("/blocks", kind="block",
                                      target="@bob").status_code == 302


def test_the_moderation_pages_speak_english(instance) -> None:
    root = instance["root"]
    root.post("/locale", locale="en")
    try:
        assert "Blocked domains" in root.get("/moderation/domains").text
        assert "Blocked and muted people" in root.get("/blocks").text
    finally:
        root.post("/locale", locale="fr")


def _followers(person: Person, handle: str) -> str:
    return requests.get(f"{person.base}/persons/{handle}/followers", timeout=30,
                        headers={"Accept": "text/turtle"}).text


# --- the API on its own ---------------------------------------------------------------------


def test_domain_policies_cover_subdomains_and_ports() -> None:
    private = PrivateStore(None)
    assert moderation.domain_policy(private, "example.org") is None
    moderation.set_domain_policy(private, "Example.ORG", "silence", "bruyant")
    moderation.set_domain_policy(private, "127.0.0.1:9000", "reject", "")
    assert moderation.domain_policy(private, "social.example.org") == "silence"
    assert moderation.domain_policy(private, "https://example.org/users/a") == "silence"
    assert moderation.domain_policy(private, "example.org.evil.net") is None
    assert moderation.domain_policy(private, "127.0.0.1:9000") == "reject"
    assert moderation.domain_policy(private, "127.0.0.1:9001") is None
    moderation.set_domain_policy(private, "social.example.org", "reject", "")
    assert moderation.domain_policy(private, "a.social.example.org") == "reject"
    assert [p.host for p in moderation.domain_policies(private)] == [
        "127.0.0.1:9000", "example.org", "social.example.org"]
    moderation.set_domain_policy(private, "example.org", None)
    assert moderation.domain_policy(private, "example.org") is None
    for hostile in ("", "   ", "a b", "x" * 400, "nodots"):
        with pytest.raises(ValueError):
            moderation.set_domain_policy(private, hostile, "reject")
    with pytest.raises(ValueError):
        moderation.set_domain_policy(private, "ok.example", "explode")
    assert moderation.domain_policy(private, "\x00\n") is None


def test_blocks_and_mutes_of_actors_and_domains() -> None:
    private = PrivateStore(None)
    me, them = "http://local.test/persons/me", "https://remote.example/users/them"
    assert moderation.block(private, me, them) == them
    assert moderation.mute(private, me, "Bavard.Example") == "bavard.example"
    assert moderation.blocks(private, me) == {them}
    assert moderation.mutes(private, me) == {"bavard.example"}
    assert moderation.blocks_actor(private, me, them)
    assert not moderation.blocks_actor(private, them, me)
    hidden = moderation.hidden_for(private, me)
    assert moderation.matches(hidden, "https://social.bavard.example/@x")
    assert not moderation.matches(hidden, "https://remote.example/users/other")
    moderation.block(private, me, "remote.example")
    assert moderation.blocks_actor(private, me, "https://remote.example/users/other")
    assert moderation.unblock(private, me, them) and not moderation.unblock(private, me, them)
    assert moderation.unmute(private, me, "bavard.example")
    for hostile in ("", "not a thing", "user@host.example", me):
        with pytest.raises(ValueError):
            moderation.block(private, me, hostile)
    moderation.forget_person(private, me)
    assert moderation.blocks(private, me) == set()


def test_remote_reports_join_the_queue_and_resolve_by_object() -> None:
    private = PrivateStore(None)
    post, person = "http://local.test/posts/p1", "http://local.test/persons/bad"
    first = moderation.record_report(private, "https://mastodon.example/actor",
                                     [person, post, post], "Harcèlement", "Mastodon.Example")
    reports = moderation.open_reports(private)
    assert [r.object for r in reports] == [person, post]
    assert {r.origin_host for r in reports} == {"mastodon.example"}
    assert reports[0].objects == (person, post) and reports[0].id == first
    assert reports[0].reason == "other: Harcèlement"
    local = moderation.record_report(private, "http://local.test/persons/me", [post],
                                     "spam: pub")
    assert moderation.open_reports(private)[-1].origin_host is None
    assert moderation.resolve_report(private, local, "http://local.test/persons/admin") == 2
    assert [r.object for r in moderation.open_reports(private)] == [person]
    assert moderation.resolve_report(private, local, "x") == 0
    with pytest.raises(ValueError):
        moderation.record_report(private, "https://x.example/actor", ["", " "], "")


def test_a_rejected_domain_can_neither_follow_nor_answer(site) -> None:
    """The handlers' rule (every path, the inbox included): actors of a rejected domain."""
    from federation.activities import Activity
    from federation.errors import NotAllowed
    from federation.handlers import blocks

    platform = site.app.extensions["communecter"]
    blocks.wire(platform.activities, platform.private)
    alice = f"{platform.base_url}/persons/alice"
    moderation.set_domain_policy(platform.private, "rejected.example", "reject")
    with pytest.raises(NotAllowed):
        platform.activities.apply(Activity("Follow", "https://rejected.example/u/x", alice))
    platform.activities.apply(Activity("Follow", "https://welcome.example/u/y", alice))
    followers = platform.store.graph(f"{alice}/followers") or ""
    assert "welcome.example/u/y" in followers and "rejected.example" not in followers


# --- every text in English, accessible pages ----------------------------------------------


def test_every_moderation_text_has_an_english_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for path in [*sorted((root / "web/templates/moderation").glob("*.html")),
                 root / "web/templates/posts/moderation.html",
                 root / "web/templates/posts/_wall.html"]:
        for _, message, _, _ in extract_from_file("jinja2", path, options={"extensions": ""}):
            found.add(message if isinstance(message, str) else message[0])
    for _, message, _, _ in extract_from_file("python", root / "web/ui/moderation.py",
                                              keywords={"_": None}):
        found.add(message if isinstance(message, str) else message[0])
    translated: set[str] = set()
    for catalog in (root / "web/translations/en/LC_MESSAGES").glob("*.po"):
        with open(catalog, "rb") as handle:
            for message in read_po(handle, locale="en"):
                if message.id and message.string:
                    translated.add(message.id if isinstance(message.id, str) else message.id[0])
    missing = sorted(found - translated)
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_moderation_pages_pass_axe(instance, page) -> None:
    """axe-core (as tests/test_accessibility.py runs it) on the pages of this module, for a
    logged-in administrator: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.test_accessibility import SERIOUS, describe

    root = instance["root"]
    page.context.add_cookies([{"name": c.name, "value": c.value or "", "url": root.base}
                              for c in root.http.cookies])
    for path in ("/moderation/domains", "/blocks", "/persons/bob", "/moderation"):
        response = page.goto(root.base + path, wait_until="load")
        assert response is not None and response.status == 200, path
        assert page.url == root.base + path, f"{path} went to {page.url} (not logged in?)"
        serious = [v for v in Axe().run(page).response["violations"]
                   if v.get("impact") in SERIOUS]
        assert not serious, f"{path}:\n" + "\n".join(describe(v) for v in serious)


# --- remote people: silenced and rejected domains, blocking a remote account ----------------


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """An in-process site that may reach loopback, and a remote server (tests/remote_peer.py)
    whose activities are applied as the inbox applies them (tests/test_remote_threads.py)."""
    from tests.elements_support import Site
    from tests.remote_peer import RemotePeer
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    settings = Settings(base_url="http://communecter.test", data_dir=tmp_path,
                        store="memory", allow_private_addresses=True)
    app = create_app(settings, private=PrivateStore(None))
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    with RemotePeer() as peer:
        yield Site(app), peer


def _html(user: Any, path: str) -> str:
    response = user.get(path.replace("http://communecter.test", ""),
                        headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    return unescape(response.get_data(as_text=True))


def test_silenced_domains_show_only_to_followers_and_rejected_ones_to_nobody(fed) -> None:
    from federation.activities import Activity
    from federation.errors import NotAllowed
    from tests.elements_support import anonymous, make_user
    from tests.test_remote_threads import post_on_own_wall, remote_create, remote_objects

    site, peer = fed
    alice, bob = make_user(site, "alice"), make_user(site, "bob")
    root = make_user(site, "root", is_admin=True)
    post = post_on_own_wall(alice, "Qui vient au marché forain ?")
    remote_objects(site).fetch(peer.actor)
    remote_create(site, peer, peer.add_note("r1", "<p>Moi, depuis ailleurs</p>",
                                            "2026-11-23T08:00:00Z", in_reply_to=post))
    alice.post("/fediverse/follow", {"iri": peer.actor})
    site.platform.activities.apply(Activity("Accept", peer.actor, alice.actor,
                                            content="Follow"))
    host = peer.origin.split("://", 1)[1]
    assert "Moi, depuis ailleurs" in _html(bob, post)

    answer = root.post("/moderation/domains", {"host": host, "policy": "silence"})
    assert answer.status_code == 303
    assert "Moi, depuis ailleurs" in _html(alice, post)  # she follows the account
    assert "Moi, depuis ailleurs" not in _html(bob, post)
    assert "Moi, depuis ailleurs" not in _html(anonymous(site), post)
    site.platform.activities.apply(Activity("Like", peer.actor, post))  # still may act

    root.post("/moderation/domains", {"host": host, "policy": "reject"})
    assert "Moi, depuis ailleurs" not in _html(alice, post)
    for refused in (Activity("Follow", peer.actor, bob.actor),
                    Activity("Like", peer.actor, post)):
        with pytest.raises(NotAllowed):
            site.platform.activities.apply(refused)
    with pytest.raises(NotAllowed):
        remote_create(site, peer, peer.add_note("r2", "<p>Encore moi</p>",
                                                "2026-11-23T09:00:00Z", in_reply_to=post))
    assert site.platform.store.graph(f"{peer.origin}/notes/r2") is None


def test_a_person_blocks_or_mutes_a_remote_account_from_its_page(fed) -> None:
    from federation.activities import Activity
    from federation.errors import NotAllowed
    from tests.elements_support import make_user
    from tests.test_remote_threads import post_on_own_wall, remote_create, remote_objects

    site, peer = fed
    alice = make_user(site, "alice")
    remote_objects(site).fetch(peer.actor)
    alice.post("/fediverse/follow", {"iri": peer.actor})
    site.platform.activities.apply(Activity("Accept", peer.actor, alice.actor,
                                            content="Follow"))
    remote_create(site, peer, peer.add_note("n1", "<p>Vélorution jeudi soir</p>",
                                            "2026-11-24T18:00:00Z"))
    assert "Vélorution jeudi soir" in _html(alice, "/fediverse")
    profile = _html(alice, f"/fediverse/account?iri={peer.actor}")
    assert 'value="mute"' in profile and 'value="block"' in profile

    answer = alice.post("/blocks", {"kind": "mute", "target": peer.actor,
                                    "next": f"/fediverse/account?iri={peer.actor}"})
    assert answer.status_code == 303 and "/fediverse/account" in answer.headers["Location"]
    assert "Vélorution jeudi soir" not in _html(alice, "/fediverse")
    assert "Ne plus masquer" in _html(alice, f"/fediverse/account?iri={peer.actor}")

    post = post_on_own_wall(alice, "Atelier vélo samedi")
    site.platform.activities.apply(Activity("Follow", peer.actor, alice.actor))
    assert peer.actor in (site.platform.store.graph(f"{alice.actor}/followers") or "")
    alice.post("/blocks", {"kind": "block", "target": peer.actor})
    followers = site.platform.store.graph(f"{alice.actor}/followers") or ""
    assert peer.actor not in followers
    with pytest.raises(NotAllowed):
        site.platform.activities.apply(Activity("Follow", peer.actor, alice.actor))
    with pytest.raises(NotAllowed):
        remote_create(site, peer, peer.add_note("r9", "<p>Réponse</p>",
                                                "2026-11-25T08:00:00Z", in_reply_to=post))


def test_a_departing_admin_leaves_the_domain_policies_and_takes_their_blocks() -> None:
    private = PrivateStore(None)
    accounts = Accounts(private)
    admin = accounts.create("root@example.org", "http://local.test/persons/root",
                            "http://local.test/territories/97411", confirmed=True)
    moderation.set_domain_policy(private, "bad.example", "reject", "spam", by=admin.actor)
    moderation.block(private, admin.actor, "https://remote.example/users/x")
    moderation.mute(private, "http://local.test/persons/other", admin.actor)
    accounts.erase(admin)
    assert moderation.domain_policy(private, "bad.example") == "reject"
    assert moderation.domain_policies(private)[0].created_by is None
    assert moderation.blocks(private, admin.actor) == set()
    assert moderation.mutes(private, "http://local.test/persons/other") == set()


def test_the_blocked_account_s_server_is_told(fed) -> None:
    """As Mastodon does, a Block (and its Undo) goes to the blocked account's inbox,
    through the delivery queue, signed by the person."""
    import json

    from tests.elements_support import make_user
    from tests.test_remote_threads import remote_objects

    site, peer = fed
    alice = make_user(site, "alice")
    remote_objects(site).fetch(peer.actor)
    alice.post("/blocks", {"kind": "block", "target": peer.actor})
    alice.post("/blocks/remove", {"kind": "block", "target": peer.actor})
    sent = [(d.inbox, d.signer, json.loads(d.body))
            for d in site.platform.deliveries.claim(limit=20)]
    blocks = [body for inbox, signer, body in sent
              if body["type"] == "Block" and signer == alice.actor]
    undos = [body for inbox, signer, body in sent
             if body["type"] == "Undo" and body["object"]["type"] == "Block"]
    assert len(blocks) == 1 and blocks[0]["object"] == peer.actor
    assert blocks[0]["actor"] == alice.actor
    assert len(undos) == 1 and undos[0]["object"]["object"] == peer.actor
    assert {inbox for inbox, _, _ in sent} <= {f"{peer.actor}/inbox", f"{peer.origin}/inbox"}


def test_a_remote_reply_is_reported_here_and_to_its_server(fed) -> None:
    """The "Signaler" of a remote reply files the report in the queue and, ticked by
    default, forwards an anonymous Flag (by the instance actor) to the author's server."""
    import json

    from tests.elements_support import make_user
    from tests.test_remote_threads import post_on_own_wall, remote_create, remote_objects

    site, peer = fed
    alice, root = make_user(site, "alice"), make_user(site, "root", is_admin=True)
    post = post_on_own_wall(alice, "Réunion du comité de quartier")
    remote_objects(site).fetch(peer.actor)
    reply = peer.add_note("spam", "<p>Achetez mes montres</p>", "2026-11-23T08:00:00Z",
                          in_reply_to=post)
    remote_create(site, peer, reply)
    thread = _html(alice, post)
    assert 'action="/report/remote"' in thread and 'name="forward"' in thread
    answer = alice.post("/report/remote", {"object": reply["id"], "category": "spam",
                                           "details": "pub", "forward": "1",
                                           "next": post.replace(site.platform.base_url, "")})
    assert answer.status_code == 303
    queue = _html(root, "/moderation")
    assert reply["id"] in queue and "Spam ou publicité" in queue and "pub" in queue
    flags = [(d.inbox, d.signer, json.loads(d.body))
             for d in site.platform.deliveries.claim(limit=20)]
    flags = [f for f in flags if f[2]["type"] == "Flag"]
    assert len(flags) == 1
    inbox, signer, flag = flags[0]
    assert signer == f"{site.platform.base_url}/actor" == flag["actor"]  # anonymous
    assert flag["object"] == [peer.actor, reply["id"]] and flag["content"] == "pub"
    assert inbox.startswith(peer.origin)
    # without forwarding, and for unknown things
    alice.post("/report/remote", {"object": reply["id"], "category": "other"})
    assert not [d for d in site.platform.deliveries.claim(limit=20)
                if json.loads(d.body)["type"] == "Flag"]
    missing = alice.post("/report/remote", {"object": f"{peer.origin}/notes/none"})
    assert missing.status_code == 404
    local = alice.post("/report/remote", {"object": post})
    assert local.status_code == 404
