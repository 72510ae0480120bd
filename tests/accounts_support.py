"""Helpers for the account and profile tests (and for other parts that need a logged-in
person): CSRF tokens, accounts for the `site` fixture's citizens, the mail an instance
wrote or sent, links in it, and extra territories (postal codes covering several communes
are not found in La Réunion)."""

from __future__ import annotations

import email
import email.policy
import html
import io
import re
import time
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path

import requests
from PIL import Image

LINK = re.compile(r"https?://[^\s\"<>]+/(?:signup/confirm|login/link)/[A-Za-z0-9_-]+")
#: A postal code of the Ain covering four communes (L'Abergement-de-Varey, Boyeux-Saint-
#: Jérôme, Jujurieux, Saint-Jean-le-Vieux).
MULTI_POSTAL_CODE = "01640"
JUJURIEUX = "01199"


def platform_of(site):
    return site.app.extensions["communecter"]


def csrf(client) -> str:
    """The session's CSRF token (made by rendering any page with a form)."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf_token"]


def csrf_of(session: requests.Session, url: str) -> str:
    """The CSRF token of the form on `url`, as a browser session over HTTP sees it."""
    page = session.get(url, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {url}"
    return html.unescape(match.group(1))


def account_for(site, handle: str, email: str | None = None, commune: str = "97411"):
    """An account for a citizen the fixture created (alice, bob)."""
    platform = platform_of(site)
    actor = f"{platform.base_url}/persons/{handle}"
    found = platform.accounts.by_actor(actor)
    if found is not None:
        return found
    return platform.accounts.create(email or f"{handle}@example.org", actor,
                                    f"{platform.base_url}/territories/{commune}",
                                    confirmed=True)


def login_as(site, handle: str, client=None) -> str:
    """Logs `handle` in on the client (default: the site's); returns the CSRF token."""
    client = client or site.client
    account = account_for(site, handle)
    token = csrf(client)
    with client.session_transaction() as session:
        session["account_id"] = account.id
    return token


def mail_files(data_dir: Path) -> list[EmailMessage]:
    """The mails an instance without SMTP wrote, oldest first."""
    folder = Path(data_dir) / "mail"
    if not folder.is_dir():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def mails_to(data_dir: Path, address: str) -> list[EmailMessage]:
    return [m for m in mail_files(data_dir) if address.lower() in str(m["To"]).lower()]


def wait_for_mail(data_dir: Path, address: str, count: int = 1,
                  timeout: float = 10) -> EmailMessage:
    """The newest mail to `address` once `count` have been written (by a worker thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mails_to(data_dir, address)
        if len(found) >= count:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} within {timeout} s")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def link_in(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, f"no link in: {text_of(message)}"
    return found.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@lru_cache(maxsize=1)
def _france():
    from store.territories import FRANCE_PATH, index_territories, read_territories

    territories = read_territories(FRANCE_PATH)
    return territories, index_territories(territories)


def load_postal_code(store, base_url: str, postal_code: str) -> list[str]:
    """Loads the communes of a postal code from all of France, with everything above
    them, into the store; returns the communes' IRIs."""
    from rdflib import URIRef

    from ontology import LDP
    from store.base import Write
    from store.territories import ancestors, communes_for_postal_code, territory_graph

    territories, index = _france()
    communes = communes_for_postal_code(territories, postal_code)
    wanted = {t.key: t for c in communes for t in [c, *ancestors(index, c)]}
    container = f"{base_url}/territories/"
    graphs = [(t.iri(base_url), territory_graph(base_url, t).serialize(format="nt"))
              for t in wanted.values()]
    store.bulk_load(graphs)
    members = "".join(f"<{container}> <{LDP.contains}> <{URIRef(iri)}> .\n" for iri, _ in graphs)
    store.write(Write(add={container: members}))
    return [c.iri(base_url) for c in communes]


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (800, 600),
                mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 40) if mode == "RGB" else None).save(out, fmt)
    return out.getvalue()
