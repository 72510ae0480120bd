"""Who may do what with posts, comments, likes, reports, moderation and notifications:
every write route of web/ui/posts.py and web/ui/notifications.py tried by an anonymous
visitor, an ordinary user, a member of an organization, one of its admins and an instance
administrator. Each gets exactly the status of the table; when refused, nothing changes
(the public dataset, the notifications and the moderation queue); when allowed, something
does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from ontology import AS, CC
from tests.posts_support import (
    CSRF,
    citizen,
    client_for,
    platform_of,
    post,
    slug,
    territory,
)

ROLES = ("anonymous", "user", "member", "admin", "instance_admin")


def row(*codes: int) -> dict[str, int]:
    return dict(zip(ROLES, codes, strict=True))


@dataclass
class World:
    site: object
    org: str
    clients: dict[str, object]
    owner: object  # alice: created the organization, writes the posts others act on

    def post_on(self, wall: str, text: str = "Une annonce") -> str:
        return post(self.owner, wall, text)[1] or ""


def world(site) -> World:
    platform = platform_of(site)
    alice = citizen(site, "alice")
    org = f"{platform.base_url}/organizations/jardin"
    graph = Graph()
    graph.add((URIRef(org), RDF.type, CC.Association))
    graph.add((URIRef(org), AS.name, Literal("Jardin partagé")))
    graph.add((URIRef(org), CC.territory, URIRef(territory(site))))
    platform.activities.apply(Activity("Create", alice, org, graph))
    for handle, role in (("mia", "member"), ("ana", "admin")):
        person = citizen(site, handle)
        platform.activities.apply(Activity("Invite", alice, org, target=person, content=role))
        platform.activities.apply(Activity("Accept", person, org))
    anonymous = site.app.test_client()
    with anonymous.session_transaction() as session:
        session["csrf_token"] = CSRF
    clients = {"anonymous": anonymous, "user": client_for(site, "bob"),
               "member": client_for(site, "mia"), "admin": client_for(site, "ana"),
               "instance_admin": client_for(site, "root", admin=True)}
    return World(site, org, clients, client_for(site, "alice"))


def snapshot(site) -> tuple[list[str], list[tuple], list[tuple]]:
    platform = platform_of(site)
    quads = b"".join(platform.store.dump("application/n-quads")).decode()
    db = platform.private.connection()
    notes = db.execute("SELECT recipient, kind, actor, object, read FROM notifications "
                       "ORDER BY id").fetchall()
    reports = db.execute("SELECT object, reporter, resolved FROM moderation_reports "
                         "ORDER BY id").fetchall()
    settings = db.execute("SELECT actor, settings FROM accounts ORDER BY id").fetchall()
    return sorted(q for q in quads.splitlines() if q.strip()), notes, reports + settings


Request = Callable[[World], tuple[str, dict]]  # → (path, form) of a POST (or GET: form None)


def new_post(wall: Callable[[World], str]) -> Request:
    return lambda w: ("/posts/new", {"wall": wall(w), "content": "Bonjour"})


def on_post(action: str, wall: Callable[[World], str], **form: str) -> Request:
    return lambda w: (f"/posts/{slug(w.post_on(wall(w)))}/{action}", dict(form))


def own_wall(w: World) -> str:
    return citizen(w.site, "alice")


def org_wall(w: World) -> str:
    return w.org


def territory_wall(w: World) -> str:
    return territory(w.site)


def report(w: World) -> tuple[str, dict]:
    return "/report", {"object": w.post_on(territory(w.site)), "category": "spam"}


def dismiss(w: World) -> tuple[str, dict]:
    target = w.post_on(territory(w.site))
    w.clients["user"].post("/report", data={"object": target, "category": "spam",
                                            "csrf_token": CSRF})
    return "/moderation/dismiss", {"object": target}


def moderate_delete(w: World) -> tuple[str, dict]:
    _path, form = dismiss(w)
    return "/moderation/delete", form


def read_all(w: World) -> tuple[str, dict]:
    for handle in ("bob", "mia", "ana", "root"):  # something to mark read, for everyone
        w.post_on(territory(w.site), f"Coucou @{handle}")
    return "/notifications/read", {}


def settings(w: World) -> tuple[str, dict]:
    return "/notifications/settings", {"email": "off"}


def moderation_page(w: World) -> tuple[str, None]:
    return "/moderation", None


CASES: dict[str, tuple[Request, dict[str, int]]] = {
    "post on a territory's wall": (new_post(territory_wall), row(302, 303, 303, 303, 303)),
    "post on an organization's wall": (new_post(org_wall), row(302, 403, 303, 303, 403)),
    "post on someone else's wall": (new_post(own_wall), row(302, 403, 403, 403, 403)),
    "comment": (on_post("comment", org_wall, content="Oui"), row(302, 303, 303, 303, 303)),
    "like": (on_post("like", org_wall), row(302, 303, 303, 303, 303)),
    "delete a post on a territory's wall": (on_post("delete", territory_wall),
                                            row(302, 403, 403, 403, 303)),
    "delete a post on an organization's wall": (on_post("delete", org_wall),
                                                row(302, 403, 403, 303, 303)),
    "report": (report, row(302, 303, 303, 303, 303)),
    "moderation queue": (moderation_page, row(302, 403, 403, 403, 200)),
    "dismiss a report": (dismiss, row(302, 403, 403, 403, 303)),
    "delete reported content": (moderate_delete, row(302, 403, 403, 403, 303)),
    "mark notifications read": (read_all, row(302, 303, 303, 303, 303)),
    "notification settings": (settings, row(302, 303, 303, 303, 303)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_authorization_matrix(site, case: str) -> None:
    request, expected = CASES[case]
    w = world(site)
    for role in ROLES:
        path, form = request(w)
        before = snapshot(site)
        client = w.clients[role]
        if form is None:
            response = client.get(path)
        else:
            response = client.post(path, data={**form, "csrf_token": CSRF})
        assert response.status_code == expected[role], (case, role, response.status_code)
        after = snapshot(site)
        if form is not None and response.status_code in (302, 400, 403, 404):
            assert after == before, (case, role, "a refused request changed something")
        elif form is not None:
            assert after != before, (case, role, "an allowed request changed nothing")
