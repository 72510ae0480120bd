"""The whole sign-up in a browser (Debian Chromium driven by Playwright) against the
production server, whose mail goes to a real SMTP server (aiosmtpd): e-mail and a postal
code covering several communes, pick one, the confirmation mail arrives, its link logs in
on the commune's page. Then log-out, log-in by link, log-in by password. What sign-up
created is the resource LDP serves as Turtle and SPARQL finds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rdflib import Graph, URIRef

from tests.accounts_support import JUJURIEUX, LINK, MULTI_POSTAL_CODE, load_postal_code
from tests.conftest import Server, start_server, stop_server

pytestmark = pytest.mark.server

CC = "https://w3id.org/communecter/ns#"
ADDRESS = "camille.grondin@example.org"


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory, smtp_server) -> Iterator[Server]:
    """`communecter serve` whose COMMUNECTER_SMTP_URL is the test SMTP server, with the
    four communes of postal code 01640 (and what lies above them) loaded."""
    from web.settings import Settings
    from web.stores import running_keeper

    data_dir = tmp_path_factory.mktemp("accounts-server") / "data"
    data_dir.mkdir()
    server = start_server(data_dir, env={"COMMUNECTER_SMTP_URL": smtp_server.url})
    store = running_keeper(Settings(base_url=server.base_url, data_dir=data_dir))
    assert store is not None
    load_postal_code(store, server.base_url, MULTI_POSTAL_CODE)
    yield server
    quick_stop(server)


def quick_stop(server: Server) -> None:
    """Stops the server without waiting the 10 s gunicorn grants a request still running
    (the commune page's event stream): its web workers — the arbiter's children that are
    not the storekeeper — are killed, then the arbiter stops the storekeeper and exits."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = [int(c) for c in children.read_text().split()] if children.exists() else []
    server.process.send_signal(signal.SIGQUIT)
    for worker in workers:
        cmdline = Path(f"/proc/{worker}/cmdline")
        if cmdline.exists() and b"web.cli" in cmdline.read_bytes():
            os.kill(worker, signal.SIGKILL)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        stop_server(server)


def new_mail(mailbox, address: str, seen: int, timeout: float = 20) -> str:
    """The link of the next mail to `address` after the `seen` first ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mailbox.messages if address in str(m["To"]).lower()]
        if len(found) > seen:
            link = LINK.search(mailbox.body(found[seen]))
            assert link, mailbox.body(found[seen])
            return link.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no new mail to {address} within {timeout} s")


def accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [f"{v['id']}: {v['help']} {[n.get('html', '')[:120] for n in v['nodes'][:3]]}"
               for v in violations if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{page.url}:\n" + "\n".join(serious)


def count(mailbox, address: str) -> int:
    return len([m for m in mailbox.messages if address in str(m["To"]).lower()])


def test_sign_up_log_out_log_in_by_link_and_by_password(mail_server, smtp_server, page) -> None:
    base = mail_server.base_url
    mailbox = smtp_server.mailbox
    commune = f"{base}/territories/{JUJURIEUX}"

    # sign-up: e-mail + a postal code covering several communes
    page.goto(f"{base}/signup")
    page.get_by_label("Adresse e-mail").fill(ADDRESS)
    page.get_by_label("Code postal").fill(MULTI_POSTAL_CODE)
    page.get_by_role("button", name="Continuer").click()
    accessible(page)  # the list of communes
    page.get_by_label("Jujurieux").check()
    assert page.get_by_label("Saint-Jean-le-Vieux").is_visible()
    page.get_by_role("button", name="Recevoir mon lien de confirmation").click()
    page.get_by_role("heading", name="Vérifiez vos e-mails").wait_for()

    # the confirmation mail reached the SMTP server; its link logs in on the commune page
    link = new_mail(mailbox, ADDRESS, 0)
    assert link.startswith(f"{base}/signup/confirm/")
    page.goto(link)
    assert page.url == commune
    page.get_by_role("button", name="Se déconnecter").wait_for()
    assert page.get_by_text("Bienvenue !").is_visible()

    # the citizen is the resource LDP serves as Turtle and SPARQL finds
    actor = page.get_by_role("link", name="Mon profil").get_attribute("href")
    assert actor == f"{base}/persons/camille-grondin"
    turtle = requests.get(actor, headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 200
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(actor), None, URIRef(f"{CC}Citizen")) in graph
    assert ADDRESS not in turtle.text
    found = requests.get(f"{base}/sparql", params={"query": (
        f"ASK {{ GRAPH <{actor}> {{ <{actor}> a <{CC}Citizen> }} }}")},
        headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert found.json()["boolean"] is True

    # log-out
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").wait_for()

    # log-in by a link sent by mail
    seen = count(mailbox, ADDRESS)
    page.goto(f"{base}/login")
    page.locator("#email").fill(ADDRESS)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez vos e-mails").wait_for()
    login_link = new_mail(mailbox, ADDRESS, seen)
    assert login_link.startswith(f"{base}/login/link/")
    page.goto(login_link)
    assert page.url == commune
    page.get_by_role("button", name="Se déconnecter").wait_for()

    # the person's own pages are accessible too
    page.goto(actor)
    accessible(page)
    page.goto(f"{actor}/edit")
    accessible(page)

    # choose a password, log out, log in with it
    page.goto(f"{base}/account")
    accessible(page)
    page.get_by_label("Nouveau mot de passe").fill("un mot de passe assez long")
    page.get_by_label("Le même, une seconde fois").fill("un mot de passe assez long")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_text("Mot de passe enregistré.").wait_for()
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").wait_for()
    page.goto(f"{base}/login")
    page.locator("#password-email").fill(ADDRESS)
    page.locator("#password").fill("pas le bon")
    page.get_by_role("button", name="Se connecter avec le mot de passe").click()
    page.get_by_text("E-mail ou mot de passe incorrect.").first.wait_for()
    accessible(page)  # a form with its error
    page.locator("#password-email").fill(ADDRESS)
    page.locator("#password").fill("un mot de passe assez long")
    page.get_by_role("button", name="Se connecter avec le mot de passe").click()
    page.wait_for_url(re.compile(re.escape(commune) + "$"))
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").wait_for()

    # a used link stays used
    page.goto(link)
    assert page.get_by_role("heading", name="Ce lien a déjà servi").is_visible()
