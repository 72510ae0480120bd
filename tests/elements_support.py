"""Helpers for the tests of organizations, projects, events, places and offers: people
with accounts logged in through the session, resources made through activities, and a
snapshot of everything a refused write must leave untouched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, Namespace

from federation.activities import Activity
from ontology import AS, CC, SCHEMA

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: no warnings on lookups

BASE = "http://communecter.test"
COMMUNE = f"{BASE}/territories/97411"  # Saint-Denis, La Réunion
CSRF = "t"


@dataclass
class Site:
    """An in-process app on a memory store with La Réunion's territories."""

    app: Any

    @property
    def platform(self) -> Any:
        return self.app.extensions["communecter"]


def make_site(tmp_path: Path) -> Site:
    from store.private import PrivateStore
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory")
    app = create_app(settings, private=PrivateStore(None))
    import_territories(settings, "reunion", app.extensions["communecter"].store)
    return Site(app)


@dataclass
class User:
    handle: str
    actor: str
    account_id: int
    token: str
    client: Any

    def post(self, path: str, data: dict | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": CSRF, **(data or {})}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def citizen(site: Site, handle: str, name: str | None = None) -> str:
    """The citizen resource of `handle`, created through a Create activity if needed."""
    platform = site.platform
    iri = f"{platform.base_url}/persons/{handle}"
    if platform.store.graph(iri) is None:
        graph = Graph()
        graph.add((URIRef(iri), RDF.type, CC.Citizen))
        graph.add((URIRef(iri), AS.preferredUsername, Literal(handle)))
        graph.add((URIRef(iri), AS.name, Literal(name or handle.title())))
        platform.activities.apply(Activity("Create", iri, iri, graph))
    return iri


def log_in(client: Any, account_id: int | None) -> None:
    with client.session_transaction() as session:
        if account_id is not None:
            session["account_id"] = account_id
        session["csrf_token"] = CSRF


def make_user(site: Site, handle: str, is_admin: bool = False, name: str | None = None) -> User:
    """A person with an account (instance administrator if asked), a bearer token and a
    test client logged in as them."""
    platform = site.platform
    actor = citizen(site, handle, name)
    account = platform.accounts.by_actor(actor) or platform.accounts.create(
        f"{handle}@example.org", actor, COMMUNE)
    if is_admin:
        platform.accounts.update(account.id, is_admin=True)
    client = site.app.test_client()
    log_in(client, account.id)
    return User(handle, actor, account.id, platform.private.issue_token(actor), client)


def anonymous(site: Site) -> User:
    """A visitor without an account (but with a CSRF token, so that forms reach the view)."""
    client = site.app.test_client()
    log_in(client, None)
    return User("anonymous", "", 0, "", client)


def apply(site: Site, kind: str, actor: str, obj: str, **kwargs: Any) -> Any:
    return site.platform.activities.apply(Activity(kind, actor, obj, **kwargs))


def create(site: Site, actor: str, container: str, slug: str, cls: URIRef, name: str,
           **extra: Any) -> str:
    """A resource made by `actor` through a Create activity (as LDP or a form would)."""
    iri = f"{BASE}/{container}/{slug}"
    graph = Graph()
    subject = URIRef(iri)
    graph.add((subject, RDF.type, cls))
    graph.add((subject, AS.name, Literal(name)))
    graph.add((subject, CC.territory, URIRef(COMMUNE)))
    for predicate, value in extra.items():
        graph.add((subject, PREDICATES[predicate], value))
    if cls == CC.Event and "start" not in extra:
        graph.add((subject, AS.startTime, Literal("2026-12-20T18:00:00+04:00",
                                                  datatype=XSD.dateTime)))
    if cls in (CC.Offer, CC.Need) and "category" not in extra:
        graph.add((subject, CC.category, CC.Donation))
    if cls == CC.PointOfInterest:
        graph.add((subject, URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat"),
                   Literal("-20.8789", datatype=XSD.decimal)))
        graph.add((subject, URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#long"),
                   Literal("55.4481", datatype=XSD.decimal)))
    apply(site, "Create", actor, iri, graph=graph)
    return iri


PREDICATES = {
    "attributed_to": AS.attributedTo,
    "capacity": SCHEMA.maximumAttendeeCapacity,
    "start": AS.startTime,
    "super_event": SCHEMA.superEvent,
    "category": CC.category,
    "stage": CC.stage,
}


def member_of(site: Site, group: str, admin: str, person: str, role: str = "member") -> None:
    """Makes `person` a member of `group`: invited by `admin`, then accepting."""
    apply(site, "Invite", admin, group, target=person, content=role)
    apply(site, "Accept", person, group)


def snapshot(site: Site) -> tuple[list[str], list[tuple]]:
    """Everything a write could change: the public dataset and the pending memberships."""
    from store.memberships import PendingMemberships

    platform = site.platform
    quads = b"".join(platform.store.dump("application/n-quads")).decode()
    pending = PendingMemberships(platform.private).snapshot()
    return sorted(line for line in quads.splitlines() if line.strip()), pending


def text(response: Any) -> str:
    return response.get_data(as_text=True)
