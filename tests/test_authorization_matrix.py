"""Who may write what: every write route (the forms of organizations, projects, events,
places and offers, their actions, and the LDP write methods of each of these containers)
tried by an anonymous visitor, an ordinary user, a member, an admin and an instance
administrator. Each gets exactly the status of the table; when refused, nothing changes
(public graphs and private pending memberships alike); when allowed, something does.

Roles are relative to the group the resource belongs to: the organization or project
itself, or the organization an event, place or offer is attributed to (its admins may
edit it). The admin is not the creator: their rights come from their membership alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

import pytest
from rdflib import Graph, Literal, URIRef

from ontology import AS, CC
from store.memberships import PendingMemberships
from tests.elements_support import (
    BASE,
    User,
    anonymous,
    apply,
    citizen,
    create,
    make_site,
    make_user,
    member_of,
)

ROLES = ("anonymous", "user", "member", "admin", "instance_admin")
CONTAINERS = ("organizations", "projects", "events", "places", "offers")
GROUPS = ("organizations", "projects")
CLASSES = {"organizations": CC.PublicAuthority, "projects": CC.Project, "events": CC.Event,
           "places": CC.PointOfInterest, "offers": CC.Offer}


def row(*codes: int) -> dict[str, int]:
    return dict(zip(ROLES, codes, strict=True))


ADMINS_ONLY_PAGE = row(302, 403, 403, 200, 403)
ADMINS_ONLY_FORM = row(302, 403, 403, 303, 403)
ANYONE_PAGE = row(302, 200, 200, 200, 200)
ANYONE_FORM = row(302, 303, 303, 303, 303)
LDP_CREATE = row(401, 201, 201, 201, 201)
LDP_EDIT = row(401, 403, 403, 204, 403)


# --- The people and the worlds they act in ---------------------------------------------------


@dataclass
class People:
    by_role: dict[str, User]
    owner: User  # created every group, and is their first admin
    other: User  # another member (the one admins may remove)
    requester: User  # has a pending join request
    outsider: User  # whom admins invite


@dataclass
class World:
    container: str
    target: str  # the resource the route acts on
    group: str  # whose roles count
    watched: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("matrix"))


@pytest.fixture(scope="module")
def people(site) -> People:
    by_role = {"anonymous": anonymous(site), "user": make_user(site, "usr"),
               "member": make_user(site, "mem"), "admin": make_user(site, "adm"),
               "instance_admin": make_user(site, "root", is_admin=True)}
    return People(by_role, make_user(site, "own"), make_user(site, "oth"),
                  make_user(site, "req"), make_user(site, "out"))


NUMBERS = count(1)


def _group(site, people: People, container: str, n: int) -> str:
    cls = CC.PublicAuthority if container == "organizations" else CC.Project
    group = create(site, people.owner.actor, container, f"g{n}", cls, f"Groupe {n}")
    member_of(site, group, people.owner.actor, people.by_role["admin"].actor, "admin")
    member_of(site, group, people.owner.actor, people.by_role["member"].actor, "member")
    member_of(site, group, people.owner.actor, people.other.actor, "member")
    apply(site, "Join", people.requester.actor, group)
    return group


def build(site, people: People, container: str, setup: str = "") -> World:
    n = next(NUMBERS)
    if container in GROUPS:
        group = target = _group(site, people, container, n)
    elif container in ("persons", "territories"):
        group = ""
        target = (citizen(site, f"p{n}") if container == "persons"
                  else f"{BASE}/territories/97411")
    else:
        group = _group(site, people, "organizations", n)
        target = create(site, people.owner.actor, container, f"r{n}", CLASSES[container],
                        f"Ressource {n}", attributed_to=URIRef(group))
    acting = [people.by_role[r] for r in ROLES if r != "anonymous"]
    if setup == "followed":
        for user in acting:
            apply(site, "Follow", user.actor, target)
    if setup == "attended":
        for user in acting:
            apply(site, "Join", user.actor, target)
    watched = [f"{BASE}/{c}/" for c in CONTAINERS]
    for iri in {target, group} - {""}:
        watched += [iri, f"{iri}/members", f"{iri}/followers", f"{iri}/attendees"]
    watched += [f"{u.actor}/following" for u in [*acting, people.owner, people.other]]
    return World(container, target, group, watched)


def state(site, world: World) -> tuple:
    store = site.platform.store
    return (tuple(store.graph(g) for g in world.watched),
            tuple(PendingMemberships(site.platform.private).snapshot()))


# --- The routes ---------------------------------------------------------------------------------


def path_of(world: World) -> str:
    return world.target[len(BASE):]


NEW_FORMS = {
    "organizations": {"kind": "association", "name": "Nouvelle asso"},
    "projects": {"name": "Nouveau projet", "stage": "idea"},
    "events": {"name": "Nouvel événement", "start": "2026-12-20T18:00"},
    "places": {"name": "Nouveau lieu", "lat": "-20.9", "long": "55.5"},
    "offers": {"kind": "offer", "name": "Nouvelle offre", "category": "donation"},
}


def edit_form(world: World) -> dict:
    form = {**NEW_FORMS[world.container], "name": "Renommé", "territory": "97411"}
    if world.container == "organizations":
        form["kind"] = "publicauthority"
    if world.container != "organizations":
        form["attributed_to"] = world.group
    return form


TURTLE = {
    "organizations": f"<> a <{CC.Association}> ; <{AS.name}> \"Par LDP\" ; "
                     f"<{CC.territory}> <{BASE}/territories/97411> .",
    "projects": f"<> a <{CC.Project}> ; <{AS.name}> \"Par LDP\" ; "
                f"<{CC.territory}> <{BASE}/territories/97411> .",
    "events": f"<> a <{CC.Event}> ; <{AS.name}> \"Par LDP\" ; "
              f"<{AS.startTime}> \"2026-12-20T18:00:00+04:00\"^^<http://www.w3.org/2001/"
              f"XMLSchema#dateTime> ; <{CC.territory}> <{BASE}/territories/97411> .",
    "places": f"<> a <{CC.PointOfInterest}> ; <{AS.name}> \"Par LDP\" ; "
              f"<http://www.w3.org/2003/01/geo/wgs84_pos#lat> -20.9 ; "
              f"<http://www.w3.org/2003/01/geo/wgs84_pos#long> 55.5 ; "
              f"<{CC.territory}> <{BASE}/territories/97411> .",
    "offers": f"<> a <{CC.Offer}> ; <{AS.name}> \"Par LDP\" ; <{CC.category}> <{CC.Job}> ; "
              f"<{CC.territory}> <{BASE}/territories/97411> .",
}


def renamed_turtle(site, world: World) -> str:
    graph = Graph().parse(data=site.platform.store.graph(world.target), format="nt")
    graph.set((URIRef(world.target), AS.name, Literal("Remplacé par LDP")))
    return graph.serialize(format="turtle")


@dataclass(frozen=True)
class Route:
    name: str
    containers: tuple[str, ...]
    expected: dict[str, int]
    send: Callable  # (site, user, world, people) -> response
    setup: str = ""
    fresh: bool = False  # after a success, the next role needs a new world (deleted)


def form(method: str, suffix: str, data: Callable | None = None) -> Callable:
    def send(site, user: User, world: World, people: People):
        path = f"/{world.container}/new" if suffix == "new" else f"{path_of(world)}/{suffix}"
        if method == "GET":
            return user.get(path)
        return user.post(path, data(world, people) if data else {})
    return send


def ldp(method: str) -> Callable:
    def send(site, user: User, world: World, people: People):
        headers = user.auth() if user.token else {}
        if method == "POST":
            return user.client.post(f"/{world.container}/", data=TURTLE[world.container],
                                    headers={**headers, "Content-Type": "text/turtle"})
        path = path_of(world)
        if method == "PUT":
            return user.client.put(path, data=renamed_turtle(site, world),
                                   headers={**headers, "Content-Type": "text/turtle"})
        if method == "PATCH":
            update = f'INSERT DATA {{ <{world.target}> <{AS.summary}> "Modifié" }}'
            return user.client.patch(path, data=update, headers={
                **headers, "Content-Type": "application/sparql-update"})
        return user.client.delete(path, headers=headers)
    return send


def person(who: str) -> Callable:
    return lambda world, people: {"person": getattr(people, who).actor}


ROUTES = [
    # the forms of every kind of element
    Route("new-page", CONTAINERS, ANYONE_PAGE, form("GET", "new")),
    Route("new", CONTAINERS, ANYONE_FORM,
          form("POST", "new", lambda w, p: {**NEW_FORMS[w.container], "territory": "97411"})),
    Route("edit-page", CONTAINERS, ADMINS_ONLY_PAGE, form("GET", "edit")),
    Route("edit", CONTAINERS, ADMINS_ONLY_FORM, form("POST", "edit", lambda w, p: edit_form(w))),
    Route("delete", CONTAINERS, ADMINS_ONLY_FORM, form("POST", "delete"), fresh=True),
    # memberships
    Route("join", GROUPS, row(302, 303, 409, 409, 303), form("POST", "join")),
    Route("leave", GROUPS, row(302, 409, 303, 303, 409), form("POST", "leave")),
    Route("invite", GROUPS, row(302, 403, 403, 303, 403),
          form("POST", "invite", lambda w, p: {"person": p.outsider.actor, "role": "member"})),
    Route("accept", GROUPS, row(302, 403, 403, 303, 403), form("POST", "accept",
                                                               person("requester"))),
    Route("reject", GROUPS, row(302, 403, 403, 303, 403), form("POST", "reject",
                                                               person("requester"))),
    Route("remove", GROUPS, row(302, 403, 403, 303, 403), form("POST", "remove",
                                                               person("other"))),
    # attendance
    Route("attend", ("events",), ANYONE_FORM, form("POST", "join")),
    Route("stop-attending", ("events",), ANYONE_FORM, form("POST", "leave"), "attended"),
    Route("stop-attending-unknown", ("events",), row(302, 409, 409, 409, 409),
          form("POST", "leave")),
    # follows
    Route("follow", ("persons", "organizations", "projects", "events", "territories"),
          ANYONE_FORM, form("POST", "follow"), "followed-after"),
    Route("unfollow", ("persons", "organizations", "projects", "events", "territories"),
          ANYONE_FORM, form("POST", "unfollow"), "followed"),
    # the official badge
    Route("verify", ("organizations",), row(302, 403, 403, 403, 303), form("POST", "verify")),
    Route("verifications-page", ("organizations",), row(302, 403, 403, 403, 200),
          lambda site, user, world, people: user.get("/admin/verifications")),
    # LDP
    Route("ldp-post", CONTAINERS, LDP_CREATE, ldp("POST")),
    Route("ldp-put", CONTAINERS, LDP_EDIT, ldp("PUT")),
    Route("ldp-patch", CONTAINERS, LDP_EDIT, ldp("PATCH")),
    Route("ldp-delete", CONTAINERS, LDP_EDIT, ldp("DELETE"), fresh=True),
]

CASES = [(route, container, role) for route in ROUTES for container in route.containers
         for role in ROLES]
_WORLDS: dict[tuple[str, str], World] = {}


def _world(site, people: People, route: Route, container: str) -> World:
    """One world per route and container, shared by the roles (a refused request changes
    nothing: the test checks that; what one role's success changes does not change what
    the others may do, except after a deletion)."""
    key = (route.name, container)
    if key not in _WORLDS:
        setup = route.setup if route.setup in ("followed", "attended") else ""
        _WORLDS[key] = build(site, people, container, setup)
    return _WORLDS[key]


@pytest.mark.parametrize(("route", "container", "role"), CASES,
                         ids=[f"{r.name}-{c}-{role}" for r, c, role in CASES])
def test_authorization(site, people: People, route: Route, container: str, role: str) -> None:
    world = _world(site, people, route, container)
    user = people.by_role[role]
    before = state(site, world)
    response = route.send(site, user, world, people)
    expected = route.expected[role]
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    after = state(site, world)
    writes = not (route.name.endswith("-page"))
    if expected >= 400 or expected == 302 or not writes:
        assert after == before, "a refused request changed the store"
        if expected == 302:
            assert "/login" in response.headers["Location"]
    else:
        assert after != before, "an allowed write changed nothing"
        if route.setup == "followed-after":  # undo, so that the next role starts afresh
            apply(site, "Undo", user.actor, world.target, content="Follow")
        if route.fresh:
            _WORLDS.pop((route.name, container), None)
