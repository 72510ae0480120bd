"""What the operator's commands do, apart from parsing their arguments."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity, ActivityHandler
from federation.errors import ActivityRefused
from ontology import AS, CC, DCTERMS, LDP
from store.base import TripleStore, Write
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
    from store.territories import FRANCE_PATH, REUNION_PATH, read_territories, territory_graphs

    store = store or _prepared(settings)
    territories = read_territories(FRANCE_PATH if scope == "france" else REUNION_PATH)
    container = f"{settings.base_url}/territories/"
    count, members = 0, []
    graphs = ((iri, graph.serialize(format="nt")) for iri, graph in
              territory_graphs(settings.base_url, territories))
    for batch in _batches(graphs, 2000):
        count += store.bulk_load(batch)
        members = "".join(f"<{container}> <{LDP.contains}> <{iri}> .\n" for iri, _ in batch)
        store.write(Write(add={container: members}))
        print(f"\rterritories: {count:,}/{len(territories):,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return count


def _batches(items: Iterable, size: int) -> Iterable[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_demo(settings: Settings, now: datetime) -> int:
    """Loads La Réunion: official territories, then the demo population through activities."""
    from store.demo import demo_resources

    store = _prepared(settings)
    import_territories(settings, "reunion", store)
    resources = demo_resources(settings.base_url, now)
    if store.graph(resources[0][0]) is not None:
        print("The demo data is already loaded.", file=sys.stderr)
        return 0
    handler = ActivityHandler(store, settings.base_url)
    for done, (iri, graph) in enumerate(resources, 1):
        creator = graph.value(URIRef(iri), DCTERMS.creator) or URIRef(iri)
        graph.remove((URIRef(iri), DCTERMS.creator, None))
        try:
            handler.apply(Activity("Create", str(creator), iri, graph), now=now)
        except ActivityRefused as error:
            raise OperationFailed(f"demo resource {iri} was refused: {error.message} "
                                  f"{getattr(error.detail, 'messages', '')}") from error
        if done % 200 == 0 or done == len(resources):
            print(f"\rdemo: {done:,}/{len(resources):,} resources", end="", file=sys.stderr)
    print(file=sys.stderr)
    return len(resources)


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
