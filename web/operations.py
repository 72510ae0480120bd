"""What the operator's commands do, apart from parsing their arguments."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import BinaryIO

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity, ActivityHandler
from federation.errors import ActivityRefused
from federation.resources import graph_from_ntriples
from ontology import AS, CC, DCTERMS, ORG
from store.base import TripleStore
from store.private import PrivateStore
from web.settings import Settings
from web.stores import open_public_store, running_keeper


class OperationFailed(Exception):
    """A command could not do its work; the message tells the operator why."""


def _store(settings: Settings) -> TripleStore:
    kept = running_keeper(settings)
    if kept is not None:
        return kept
    try:
        return open_public_store(settings)
    except OSError as error:
        raise OperationFailed(f"cannot open the store in {settings.data_dir}: {error}") from error


def _prepared(settings: Settings) -> TripleStore:
    from web.app import ensure_containers

    store = _store(settings)
    ensure_containers(store, settings.base_url)
    return store


def import_territories(settings: Settings, scope: str, store: TripleStore | None = None) -> int:
    """Loads the official territories (idempotent: unchanged batches are skipped)."""
    from store.territories_import import import_scope

    store = store or _prepared(settings)
    return import_scope(store, settings.base_url, scope,
                        search_index=settings.data_dir / "search.sqlite3")


def load_demo(settings: Settings, now: datetime) -> int:
    """Loads La Réunion: official territories, then the demo population through activities.

    Everything goes through the activity handler, as a person's actions would: groups are
    created by their first admin, and the memberships the demo people claim
    (org:memberOf) are requested and approved before anyone posts on a group's wall.
    """
    from federation.handlers import memberships
    from store.demo import demo_resources

    store = _prepared(settings)
    import_territories(settings, "reunion", store)
    resources = demo_resources(settings.base_url, now)
    if store.graph(resources[0][0]) is not None:
        print("The demo data is already loaded.", file=sys.stderr)
        return 0
    handler = ActivityHandler(store, settings.base_url)
    private = PrivateStore(settings.data_dir / "private.sqlite3")
    memberships.wire(handler, private, lambda actor: False)
    claims: list[tuple[str, str]] = []
    joined = False
    for done, (iri, graph) in enumerate(resources, 1):
        subject = URIRef(iri)
        if not joined and (subject, RDF.type, CC.Post) in graph:
            _apply_memberships(handler, claims, now)
            joined = True
        creator = graph.value(subject, DCTERMS.creator) or subject
        graph.remove((subject, DCTERMS.creator, None))
        claims += [(iri, str(group)) for group in graph.objects(subject, ORG.memberOf)]
        _demo_apply(handler, Activity("Create", str(creator), iri, graph), now)
        if done % 200 == 0 or done == len(resources):
            print(f"\rdemo: {done:,}/{len(resources):,} resources", end="", file=sys.stderr)
    print(file=sys.stderr)
    return len(resources)


def _apply_memberships(handler: ActivityHandler, claims: list[tuple[str, str]],
                       now: datetime) -> None:
    """Each claimed membership: the person asks to join, the group's creator approves."""
    for person, group in claims:
        found = handler.store.graph(group)
        if found is None:
            continue
        admin = next(iter(graph_from_ntriples(found).objects(URIRef(group), DCTERMS.creator)))
        if str(admin) == person:
            continue
        _demo_apply(handler, Activity("Join", person, group), now)
        _demo_apply(handler, Activity("Accept", str(admin), group, target=person), now)


def _demo_apply(handler: ActivityHandler, activity: Activity, now: datetime) -> None:
    try:
        handler.apply(activity, now=now)
    except ActivityRefused as error:
        raise OperationFailed(f"demo {activity.type} of {activity.object} was refused: "
                              f"{error.message} {getattr(error.detail, 'messages', '')}"
                              ) from error


def dump(settings: Settings, media_type: str, out: BinaryIO) -> None:
    for chunk in _store(settings).dump(media_type):
        out.write(chunk)


def create_token(settings: Settings, handle: str, create: bool, name: str | None) -> str:
    from web.slugs import slugify

    if slugify(handle) != handle:
        raise OperationFailed(f"{handle!r} is not a handle (lowercase letters, digits, '-')")
    store = _prepared(settings)
    iri = f"{settings.base_url}/persons/{handle}"
    if store.graph(iri) is None:
        if not create:
            raise OperationFailed(f"no citizen {handle} here; add --create to make one")
        graph = Graph()
        subject = URIRef(iri)
        graph.add((subject, RDF.type, CC.Citizen))
        graph.add((subject, AS.preferredUsername, Literal(handle)))
        graph.add((subject, AS.name, Literal(name or handle)))
        try:
            ActivityHandler(store, settings.base_url).apply(Activity("Create", iri, iri, graph))
        except ActivityRefused as error:
            raise OperationFailed(f"could not create {handle}: {error.message}") from error
    private = PrivateStore(settings.data_dir / "private.sqlite3")
    return private.issue_token(iri, label="cli")
