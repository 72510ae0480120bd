"""What the ActivityPub read-side tests share: a production server with La Réunion, some
citizens with bearer tokens (and accounts with passwords for the web forms), resources
written over LDP as partner toolkits do, and AS2 / WebFinger requests as Mastodon sends
them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import requests
from argon2 import PasswordHasher

from store.accounts import Accounts
from store.private import PrivateStore
from tests.conftest import Server, start_server

#: What Mastodon 4.5 sends when it fetches an actor or an object.
AS2 = {"Accept": 'application/activity+json, application/ld+json; '
                 'profile="https://www.w3.org/ns/activitystreams"'}
ACTIVITY_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PASSWORD = "un mot de passe assez long"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PREFIXES = """@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix schema: <http://schema.org/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@dataclass
class Instance:
    server: Server
    people: dict[str, str] = field(default_factory=dict)  # handle -> actor IRI

    @property
    def base(self) -> str:
        return self.server.base_url

    @property
    def host(self) -> str:
        return self.base.split("://", 1)[1]

    def get(self, path_or_iri: str, **headers: str) -> requests.Response:
        url = path_or_iri if path_or_iri.startswith("http") else self.base + path_or_iri
        return requests.get(url, headers={**AS2, **headers}, timeout=30)

    def as2(self, path_or_iri: str) -> dict[str, Any]:
        answer = self.get(path_or_iri)
        assert answer.status_code == 200, (path_or_iri, answer.status_code, answer.text[:300])
        assert answer.headers["Content-Type"].startswith(ACTIVITY_JSON)
        return answer.json()

    def create(self, who: str, container: str, turtle: str, slug: str | None = None) -> str:
        """A resource written over LDP with `who`'s token; its IRI."""
        headers = {**self.server.auth(who), "Content-Type": "text/turtle"}
        if slug:
            headers["Slug"] = slug
        answer = requests.post(f"{self.base}/{container}/", data=(PREFIXES + turtle).encode(),
                               headers=headers, timeout=30)
        assert answer.status_code == 201, answer.text[:800]
        return answer.headers["Location"]

    def private(self) -> PrivateStore:
        """The server's private store, opened beside it (SQLite in WAL mode)."""
        return PrivateStore(self.server.data_dir / "private.sqlite3")


def start_instance(data_dir: Path, handles: tuple[str, ...] = ("alice", "bob"),
                   env: dict[str, str] | None = None) -> Instance:
    server = start_server(data_dir, env=env)
    server.cli("import-territories")
    instance = Instance(server)
    for handle in handles:
        server.tokens[handle] = server.cli("token", "create", handle, "--create").split()[-1]
        instance.people[handle] = f"{server.base_url}/persons/{handle}"
    return instance


def give_password(instance: Instance, handle: str) -> str:
    """An account with a password for a citizen made by `token create` (its e-mail)."""
    accounts = Accounts(instance.private())
    email = f"{handle}@example.org"
    if accounts.by_actor(instance.people[handle]) is not None:
        return email
    account = accounts.create(email, instance.people[handle],
                              f"{instance.base}/territories/97411", confirmed=True)
    accounts.update(account.id, password_hash=PasswordHasher().hash(PASSWORD))
    return email


class Browser:
    """A logged-in web session of one citizen (the HTML forms, as people use them)."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept"] = "text/html"
        answer = self.http.post(base + "/login", allow_redirects=False, timeout=30, data={
            "csrf_token": self.token(), "method": "password", "email": email,
            "password": PASSWORD})
        assert answer.status_code in (302, 303), answer.text[:500]

    def token(self) -> str:
        found = _TOKEN.search(self.http.get(self.base + "/login", timeout=30).text)
        assert found, "no CSRF token on the log-in page"
        return unescape(found.group(1))

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(self.base + path, allow_redirects=False, timeout=30,
                              data={"csrf_token": self.token(), **data})

    def write(self, content: str, wall: str) -> str:
        answer = self.post("/posts/new", wall=wall, content=content)
        found = re.search(r"#post-([0-9a-z-]+)$", answer.headers.get("Location", ""))
        assert answer.status_code == 303 and found, answer.text[:500]
        return f"{self.base}/posts/{found.group(1)}"


def webfinger(instance: Instance, resource: str) -> requests.Response:
    return requests.get(f"{instance.base}/.well-known/webfinger",
                        params={"resource": resource}, timeout=30)
