"""The world of the Fedify interop tests (tests/test_interop_fedify_federation.py): our
production server and a Fedify peer, and the steps and looks a person or Fedify takes at
them — log in, post through the form, read a page, wait for a delivery, check Fedify's own
verdict on a signature. Everything polls with a time-out: deliveries are asynchronous."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from tests.accounts_support import csrf_of
from tests.conftest import Server
from tests.interop.fedify import FedifyPeer

ENV = {"COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1"}
AP_JSON = "application/activity+json"
CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
SCHEMA = "http://schema.org/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PASSWORD = "un mot de passe assez long"
COMMUNE = "97411"  # Saint-Denis, La Réunion
WAIT = 20.0
POSTS_WHILE_DOWN = 20

T = TypeVar("T")


@dataclass
class World:
    """Our server, the Fedify peer, and what the scenarios share."""

    server: Server
    peer: FedifyPeer
    org: str = ""
    sessions: dict[str, requests.Session] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base_url

    @property
    def host(self) -> str:
        return self.base.split("://", 1)[1]

    def person(self, handle: str) -> str:
        return f"{self.base}/persons/{handle}"

    @property
    def peer_handle(self) -> str:
        return f"peer@127.0.0.1:{self.peer.port}"


# --- helpers: our server ----------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT,
             detail: Callable[[], object] | None = None) -> T:
    """Polls `probe` until it returns something truthy; fails saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"within {timeout} s: {what}{extra}")
        time.sleep(0.2)


def ldp_create(world: World, container: str, who: str, slug: str, turtle: str) -> str:
    response = requests.post(f"{world.base}/{container}/", data=turtle.encode(), timeout=30,
                             headers={**world.server.auth(who), "Content-Type": "text/turtle",
                                      "Slug": slug})
    assert response.status_code == 201, (response.status_code, response.text[:2000])
    return response.headers["Location"]


def get_as2(url: str, **params: str) -> dict:
    response = requests.get(url, params=params or None, headers={"Accept": AP_JSON},
                            timeout=10)
    assert response.status_code == 200, (url, response.status_code, response.text[:1000])
    assert "json" in response.headers.get("Content-Type", ""), response.headers
    return response.json()


def collection_items(url: str, limit: int = 20) -> list[str]:
    """Every item id of an (Ordered)Collection, from its `first` page along `next`."""
    items: list[str] = []
    collection = get_as2(url)
    page: Any = collection.get("first", collection)
    for _ in range(limit):
        if page is None:
            break
        if isinstance(page, str):
            page = get_as2(page)
        for item in page.get("orderedItems", page.get("items", [])) or []:
            items.append(item if isinstance(item, str) else item.get("id"))
        page = page.get("next")
    return items


def session_of(world: World, handle: str, admin: bool = False) -> requests.Session:
    """A browser-like session of `handle` (an instance administrator if `admin`), logged
    in with a password through /login."""
    if handle in world.sessions:
        return world.sessions[handle]
    from argon2 import PasswordHasher

    from store.accounts import Accounts
    from store.private import PrivateStore

    email = f"{handle}@example.org"
    accounts = Accounts(PrivateStore(world.server.data_dir / "private.sqlite3"))
    account = accounts.by_email(email) or accounts.create(
        email, world.person(handle), f"{world.base}/territories/{COMMUNE}")
    accounts.update(account.id, password_hash=PasswordHasher().hash(PASSWORD),
                    confirmed=account.created, is_admin=1 if admin else 0)
    session = requests.Session()
    done = session.post(f"{world.base}/login", timeout=10, allow_redirects=False, data={
        "csrf_token": csrf_of(session, f"{world.base}/login"), "method": "password",
        "email": email, "password": PASSWORD})
    assert done.status_code in (302, 303), (done.status_code, done.text[:1000])
    world.sessions[handle] = session
    return session


def post_on_wall(world: World, handle: str, wall: str, content: str) -> str:
    """`handle` posts on `wall` through the web form, as in a browser; the post's IRI."""
    session = session_of(world, handle)
    token = csrf_of(session, f"{world.base}/posts/new?wall={wall}")
    response = session.post(f"{world.base}/posts/new", allow_redirects=False, timeout=30,
                            data={"wall": wall, "content": content, "csrf_token": token})
    location = response.headers.get("Location", "")
    match = re.search(r"#post-([0-9a-z-]+)$", location)
    assert response.status_code == 303 and match, (response.status_code, response.text[:1000])
    return f"{world.base}/posts/{match.group(1)}"


def page_of(url: str, session: requests.Session | None = None) -> str:
    response = (session or requests).get(url, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def likes_shown(page: str) -> int | None:
    match = re.search(r'class="likes">\s*(\d+)', page)
    return int(match.group(1)) if match else None


def shares_shown(page: str) -> int | None:
    """The share (Announce, "boost") count the page shows, whatever its wording."""
    match = re.search(r'class="[^"]*\bshares?\b[^"]*">\s*(\d+)', page)
    return int(match.group(1)) if match else None


# --- helpers: the peer --------------------------------------------------------------------


def delivered(world: World, predicate: Callable[[dict], bool], what: str) -> dict:
    """The activity that Fedify's inbox listener accepted and that matches `predicate`."""
    return wait_for(what, lambda: next((a for a in world.peer.activities() if predicate(a)),
                                       None),
                    detail=lambda: world.peer.inbox())


def raw_object(activity: dict) -> dict:
    """The object of the activity as it arrived (Fedify's own record drops what its
    vocabulary does not know, such as Mobilizon's properties)."""
    raw = activity.get("raw") or {}
    found = raw.get("object")
    assert isinstance(found, dict), f"the object is not embedded: {raw}"
    return found


def requests_for(world: World, activity_id: str) -> list[dict]:
    return [r for r in world.peer.requests() if r["activityId"] == activity_id]


def assert_verified_by_fedify(world: World, activity: dict) -> dict:
    """Fedify verified the signature of the request that brought `activity` (its own
    verdict, logged before its inbox answered) and answered 2xx."""
    accepted = wait_for(  # the listener may still be at work (a Follow's Accept is sent
        # while the request is open): its status is set once Fedify answers
        f"Fedify answered 2xx to the request bringing {activity['id']}",
        lambda: [r for r in requests_for(world, activity["id"]) if r["status"] in (200, 202)],
        detail=lambda: requests_for(world, activity["id"]))
    verification = accepted[-1]["verification"]
    assert verification["verified"] is True, verification
    assert verification["keyId"].split("#")[0] == activity["actor"], verification
    assert activity["verified"] is True
    return accepted[-1]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def content_of(obj: dict) -> str:
    content = obj.get("content") or ""
    if not content and isinstance(obj.get("contentMap"), dict):
        content = " ".join(obj["contentMap"].values())
    return content


def notified(world: World, handle: str) -> list[tuple[str, str, str]]:
    """(kind, actor, object) of the notifications of `handle`, newest first, as the
    server's private store keeps them."""
    from store.notifications import Notifications
    from store.private import PrivateStore

    found = Notifications(PrivateStore(world.server.data_dir / "private.sqlite3")).latest(
        world.person(handle))
    return [(n.kind, n.actor, n.object) for n in found]
