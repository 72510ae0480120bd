"""Helpers for the search, export, legal, app-shell and accessibility tests.

``demo_site(path)``: the in-process app of tests/conftest.py's ``site`` fixture (memory
store, La Réunion, alice and bob) plus the La Réunion demo data written straight into the
store (no activity per resource: ~1 s instead of ~30 s), with the search index rebuilt.
Module-scoped fixtures use it so that a test module pays for the data once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import BASE, InProcess, _citizen

#: The demo's "now": events are placed around it.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def demo_site(path: Path, now: datetime = NOW) -> InProcess:
    from ontology import CONTAINER_BY_CLASS, LDP, RDF
    from store.base import Write
    from store.demo import demo_resources
    from store.private import PrivateStore
    from store.terms import graph_to_ntriples
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings
    from web.ui.search import service

    settings = Settings(base_url=BASE, data_dir=path, store="memory")
    app = create_app(settings, private=PrivateStore(None))
    platform = app.extensions["communecter"]
    import_territories(settings, "reunion", platform.store)
    site = InProcess(app.test_client(), app)
    for handle in ("alice", "bob"):
        site.tokens[handle] = _citizen(platform, handle)
    resources = demo_resources(BASE, now)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    members: dict[str, list[str]] = {}
    graphs = []
    for iri, graph in resources:
        from rdflib import Literal, URIRef
        from rdflib.namespace import XSD

        from ontology import DCTERMS

        subject = URIRef(iri)
        graph.set((subject, DCTERMS.created, Literal(stamp, datatype=XSD.dateTime)))
        graph.set((subject, DCTERMS.modified, Literal(stamp, datatype=XSD.dateTime)))
        graphs.append((iri, graph_to_ntriples(graph)))
        cls = next(c for c in graph.objects(subject, RDF.type) if c in CONTAINER_BY_CLASS)
        container = f"{BASE}/{CONTAINER_BY_CLASS[cls]}/"
        members.setdefault(container, []).append(f"<{container}> <{LDP.contains}> <{iri}> .")
    platform.store.bulk_load(graphs)
    platform.store.write(Write(add={c: "\n".join(lines) for c, lines in members.items()}))
    service(app).index.rebuild(platform.store)
    return site


_SHARED: dict[str, InProcess] = {}


def shared_demo_site(tmp_path_factory: object) -> InProcess:
    """One demo site for every module of a test run that asks for it (modules may add
    resources to it, and must leave what they found in place)."""
    if "demo" not in _SHARED:
        _SHARED["demo"] = demo_site(tmp_path_factory.mktemp("demo-site"))  # type: ignore
    return _SHARED["demo"]


def json_of(response: object) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]  # type: ignore
    return response.get_json()  # type: ignore[attr-defined]
