"""In a real browser against the production server: log in, post on a territory's wall
with Markdown and a theme hashtag, comment, like; the post is the resource LDP serves."""

from __future__ import annotations

import time

import requests
from rdflib import Graph, URIRef

from ontology import AS, CC, CCT

PASSWORD = "un mot de passe assez long"


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _person_with_password(server) -> str:
    """A citizen (created by the command, through an activity) with an account and a
    password, written into the server's private store; returns the e-mail."""
    from argon2 import PasswordHasher

    from store.accounts import Accounts
    from store.private import PrivateStore

    handle = f"wall{time.monotonic_ns() % 10**8}"
    server.cli("token", "create", handle, "--create")
    email = f"{handle}@example.org"
    accounts = Accounts(PrivateStore(server.data_dir / "private.sqlite3"))
    account = accounts.create(email, f"{server.base_url}/persons/{handle}",
                              f"{server.base_url}/territories/97411")
    accounts.update(account.id, password_hash=PasswordHasher().hash(PASSWORD),
                    confirmed=account.created)
    return email


def test_post_comment_and_like_on_a_territory_wall(server, page) -> None:
    email = _person_with_password(server)
    wall = f"{server.base_url}/territories/97411"
    page.goto(f"{server.base_url}/login")
    page.fill("#password-email", email)
    page.fill("#password", PASSWORD)
    page.click("form.login-password button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server.base_url}/posts/new?wall={wall}")
    page.fill("#post-content", "Fête du quartier **samedi** ! #culture <script>x()</script>")
    page.click("form.post-form button[type=submit]")
    page.wait_for_selector("article.post strong")
    article = page.locator("article.post").first
    assert article.locator("strong").inner_text() == "samedi"
    assert article.locator("a.hashtag").get_attribute("href") == f"{wall}?theme=culture"
    assert "<script>x()</script>" in article.locator(".content").inner_text()
    post_iri = article.locator("a.when").get_attribute("href")
    # like it, then comment on it
    article.locator("form.like button").click()
    page.wait_for_selector("article.post .likes >> text=1 j'aime")
    article = page.locator("article.post").first
    article.locator("details.reply > summary").first.click()
    article.locator("details.reply textarea").last.fill("Je viendrai avec des gâteaux")
    article.locator("details.reply button[type=submit]").last.click()
    page.wait_for_selector("article.post.comment >> text=Je viendrai avec des gâteaux")
    # accessible (axe-core): the wall with its forms open, the post, the notifications
    for opened in page.locator("details").all()[:3]:
        opened.evaluate("node => node.open = true")
    assert _serious_violations(page) == []
    page.goto(post_iri)
    assert _serious_violations(page) == []
    for path in ("/notifications", "/notifications/settings"):
        page.goto(server.base_url + path)
        assert _serious_violations(page) == [], path
    # the same resource over LDP
    turtle = requests.get(post_iri, headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert graph.value(URIRef(post_iri), CC.wall) == URIRef(wall)
    assert (URIRef(post_iri), CC.theme, CCT.culture) in graph
    assert "<strong>samedi</strong>" in str(graph.value(URIRef(post_iri), AS.content))
