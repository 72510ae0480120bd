"""Helpers for the tests of posts and notifications: people, log-in, posting."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

CSRF = "t"
COMMUNE = "97411"  # Saint-Denis (La Réunion)


def platform_of(site: object) -> object:
    return site.app.extensions["communecter"]  # type: ignore[attr-defined]


def citizen(site: object, handle: str, name: str | None = None) -> str:
    """A citizen created through an activity (like the `site` fixture's alice and bob)."""
    from federation.activities import Activity
    from ontology import AS, CC

    platform = platform_of(site)
    iri = f"{platform.base_url}/persons/{handle}"
    if platform.store.graph(iri) is None:
        graph = Graph()
        graph.add((URIRef(iri), RDF.type, CC.Citizen))
        graph.add((URIRef(iri), AS.preferredUsername, Literal(handle)))
        graph.add((URIRef(iri), AS.name, Literal(name or handle.title())))
        platform.activities.apply(Activity("Create", iri, iri, graph))
    return iri


def account(site: object, handle: str, admin: bool = False, email_choice: str | None = None,
            locale: str = "fr") -> object:
    """The account of a citizen (created with the citizen if need be)."""
    platform = platform_of(site)
    actor = citizen(site, handle)
    found = platform.accounts.by_actor(actor)
    if found is None:
        found = platform.accounts.create(f"{handle}@example.org", actor,
                                         f"{platform.base_url}/territories/{COMMUNE}", locale)
    changes: dict = {}
    if admin:
        changes["is_admin"] = 1
    if email_choice is not None:
        changes["settings"] = {**found.settings, "notification_email": email_choice}
    if changes:
        platform.accounts.update(found.id, **changes)
    return platform.accounts.by_id(found.id)


def client_for(site: object, handle: str, **options: object) -> object:
    """A test client logged in as `handle` (session set directly; CSRF token "t")."""
    person = account(site, handle, **options)
    client = site.app.test_client()  # type: ignore[attr-defined]
    with client.session_transaction() as session:
        session["account_id"] = person.id
        session["csrf_token"] = CSRF
    return client


def territory(site: object, code: str = COMMUNE) -> str:
    return f"{platform_of(site).base_url}/territories/{code}"


def post(client: object, wall: str, content: str, **extra: str) -> tuple[object, str | None]:
    """Posts through the form; returns the response and the new post's IRI (if any)."""
    response = client.post("/posts/new", data={"wall": wall, "content": content,  # type: ignore[attr-defined]
                                                "csrf_token": CSRF, **extra})
    location = response.headers.get("Location", "")
    match = re.search(r"#post-([0-9a-z-]+)$", location)
    if response.status_code != 303 or not match:
        return response, None
    base = "/".join(wall.split("/")[:3])
    return response, f"{base}/posts/{match.group(1)}"


def slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def comment(client: object, parent: str, content: str) -> tuple[object, str | None]:
    response = client.post(f"/posts/{slug(parent)}/comment",  # type: ignore[attr-defined]
                           data={"content": content, "csrf_token": CSRF})
    location = response.headers.get("Location", "")
    match = re.search(r"#post-([0-9a-z-]+)$", location)
    if response.status_code != 303 or not match:
        return response, None
    return response, f"{parent.rsplit('/', 1)[0]}/{match.group(1)}"


def turtle(site: object, iri: str) -> Graph:
    """The resource as LDP serves it (Turtle), parsed."""
    path = iri.split("://", 1)[1].split("/", 1)[1]
    response = site.client.get(f"/{path}", headers={"Accept": "text/turtle"})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.data
    return Graph().parse(data=response.data.decode(), format="turtle", publicID=iri)


def posts_count(site: object) -> int:
    rows = platform_of(site).store.select(
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?p { ?p a "
        "<https://w3id.org/communecter/ns#Post> } }")
    return int(rows[0]["n"])


def make_site(tmp_path: Path, smtp_url: str | None = None) -> object:
    """Like the `site` fixture, with an SMTP server to send mail to."""
    from store.private import PrivateStore
    from tests.conftest import InProcess
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    settings = Settings(base_url="http://communecter.test", data_dir=tmp_path, store="memory",
                        smtp_url=smtp_url)
    app = create_app(settings, private=PrivateStore(None))
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    return InProcess(app.test_client(), app)


class Elements(HTMLParser):
    """The elements, attributes and script texts a browser would build from some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def assert_page_harmless(html: str, marker: str = "alert(") -> None:
    """No event handler, no javascript:/data: link, no script running `marker`."""
    page = Elements(html)
    for tag, attrs in page.found:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            if name in ("href", "src", "action", "formaction") and value:
                assert not value.strip().lower().startswith(("javascript:", "data:",
                                                             "vbscript:")), (tag, attrs)
    assert not any(marker in script for script in page.scripts)
