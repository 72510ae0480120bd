"""In a real browser against the production server: an organization and its event made
through the forms, joined, followed and verified; every page passes axe-core (no serious or
critical violation); what was made is the resource LDP serves."""

from __future__ import annotations

import time

import pytest
import requests
from rdflib import Graph, URIRef

from ontology import AS, CC

PASSWORD = "un mot de passe assez long"
pytestmark = pytest.mark.server


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _people(server) -> tuple[str, str, str]:
    """E-mails of three people with confirmed accounts and passwords: the server's citizens
    alice and bob, and a new citizen made by the command, an instance administrator."""
    from argon2 import PasswordHasher

    from store.accounts import Accounts
    from store.private import PrivateStore

    root = f"elroot{time.monotonic_ns() % 10**8}"
    server.cli("token", "create", root, "--create")
    accounts = Accounts(PrivateStore(server.data_dir / "private.sqlite3"))
    password = PasswordHasher().hash(PASSWORD)
    emails = []
    for handle in ("alice", "bob", root):
        actor = f"{server.base_url}/persons/{handle}"
        account = accounts.by_actor(actor) or accounts.create(
            f"{handle}-{root}@example.org", actor, f"{server.base_url}/territories/97411")
        accounts.update(account.id, password_hash=password, confirmed=account.created,
                        is_admin=handle == root)
        emails.append(account.email)
    return emails[0], emails[1], emails[2]


def _log_in(page, server, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server.base_url}/login")
    page.fill("#password-email", email)
    page.fill("#password", PASSWORD)
    page.click("form.login-password button[type=submit]")
    page.wait_for_load_state()


def test_organization_and_event_in_a_browser(server, page) -> None:
    founder, neighbour, root = _people(server)
    _log_in(page, server, founder)
    page.goto(f"{server.base_url}/organizations/new")
    assert _serious_violations(page) == []
    page.select_option("#field-kind", "publicauthority")
    page.fill("#field-name", "Mairie <em>test</em>")
    page.fill("#field-summary", "La mairie.")
    page.check("input[name=themes][value=citoyennete]")
    page.click("form button.primary")
    page.wait_for_selector("h1")
    org_iri = page.url
    assert "Mairie <em>test</em>" in page.locator("h1").inner_text()
    assert _serious_violations(page) == []

    page.goto(f"{server.base_url}/events/new")
    page.fill("#field-name", "Conseil de quartier")
    page.fill("#field-start", "2026-12-20T18:00")
    page.fill("#field-capacity", "1")
    page.select_option("#field-attributed_to", org_iri)
    assert _serious_violations(page) == []
    page.click("form button.primary")
    page.wait_for_selector("section.attendance")
    event_iri = page.url
    assert "Mairie <em>test</em>" in page.locator("dl.facts").inner_text()
    assert _serious_violations(page) == []
    page.goto(f"{org_iri}/edit")
    assert _serious_violations(page) == []

    # a neighbour asks to join, attends the event (the last seat) and follows the mairie
    _log_in(page, server, neighbour)
    page.goto(org_iri)
    page.click("section.members form button.primary")
    page.wait_for_selector("text=Votre demande attend")
    page.click(".element-actions .follow button")
    page.wait_for_selector(".element-actions >> text=Ne plus suivre")
    page.goto(event_iri)
    page.click("section.attendance button.primary")
    page.wait_for_selector("text=Complet")
    assert _serious_violations(page) == []
    page.goto(f"{server.base_url}/persons/bob/following")
    assert "Mairie <em>test</em>" in page.content() or "Mairie &lt;em&gt;" in page.content()
    assert _serious_violations(page) == []

    # the founder approves the request
    _log_in(page, server, founder)
    page.goto(org_iri)
    assert _serious_violations(page) == []
    page.click("ul.pending form button >> text=Accepter")
    page.wait_for_selector("text=Membres (2)")

    # an instance administrator verifies the mairie
    _log_in(page, server, root)
    page.goto(f"{server.base_url}/admin/verifications")
    assert _serious_violations(page) == []
    page.locator("table.verifications tr", has_text="Mairie").locator("button").click()
    page.goto(org_iri)
    page.wait_for_selector(".badge.official")

    turtle = requests.get(org_iri, headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert graph.value(URIRef(org_iri), AS.name).toPython() == "Mairie <em>test</em>"
    assert graph.value(URIRef(org_iri), CC.verified).toPython() is True
    turtle = requests.get(event_iri, headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert graph.value(URIRef(event_iri), AS.attributedTo) == URIRef(org_iri)
