"""Helpers for the territory page and map tests: a demo site built once per module (in
process), the demo loaded and served by the real commands, and small readers of pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import BASE, InProcess, free_port, stop_server
from tests.conftest import start_demo_server as demo_then_serve

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
SAINT_DENIS = f"{BASE}/territories/97411"
CILAOS = f"{BASE}/territories/97424"
DEPARTEMENT = f"{BASE}/territories/departement-974"
REGION = f"{BASE}/territories/region-04"


@dataclass
class DemoSite(InProcess):
    """The in-process site with La Réunion's demo population loaded through activities."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def platform(self):
        return self.app.extensions["communecter"]

    @property
    def store(self):
        return self.platform.store


def build_demo_site(tmp_path: Path) -> DemoSite:
    """Like conftest's `site`, plus store.demo's resources applied as `demo` applies them."""
    from rdflib import URIRef

    from federation.activities import Activity
    from federation.errors import ActivityRefused
    from ontology import DCTERMS
    from store import feeds
    from store.demo import demo_resources
    from store.private import PrivateStore
    from tests.conftest import _citizen
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    feeds.clear_cache()
    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory")
    app = create_app(settings, private=PrivateStore(None))
    platform = app.extensions["communecter"]
    import_territories(settings, "reunion", platform.store)
    now = datetime.now(UTC)
    resources = demo_resources(BASE, now)
    refused = 0
    for iri, graph in resources:
        creator = graph.value(URIRef(iri), DCTERMS.creator) or URIRef(iri)
        graph.remove((URIRef(iri), DCTERMS.creator, None))
        try:
            platform.activities.apply(Activity("Create", str(creator), iri, graph), now=now)
        except ActivityRefused:  # the demo's own tests (test_demo.py) watch over its rules
            refused += 1
    assert refused < len(resources) // 3, f"{refused} demo resources were refused"
    site = DemoSite(app.test_client(), app, now=now)
    for handle in ("alice", "bob"):
        site.tokens[handle] = _citizen(platform, handle)
    return site


_SHARED: list[DemoSite] = []


def shared_demo_site(tmp_path_factory) -> DemoSite:
    """One demo site for the whole test session (building it takes seconds): tests may add
    to it, never remove from it."""
    if not _SHARED:
        _SHARED.append(build_demo_site(tmp_path_factory.mktemp("territory-demo")))
    return _SHARED[0]


def event_turtle(name: str, territory: str, start: str, themes: tuple[str, ...] = (),
                 point: tuple[float, float] | None = None) -> str:
    """A minimal event in Turtle, as a partner toolkit would POST it."""
    theme_part = "".join(f" ; cc:theme cct:{t}" for t in themes)
    point_part = ""
    if point:
        point_part = (f' ; geo:lat "{point[0]}"^^xsd:decimal ; '
                      f'geo:long "{point[1]}"^^xsd:decimal')
    return (f"@prefix cc: <{CC}> . @prefix as: <{AS}> . "
            "@prefix cct: <https://w3id.org/communecter/themes#> . "
            "@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> . "
            "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            f'<> a cc:Event ; as:name "{name}" ; '
            f'as:startTime "{start}"^^xsd:dateTime ; cc:territory <{territory}>'
            f"{theme_part}{point_part} .")


def data_iris(html: str, section: str | None = None) -> list[str]:
    """The data-iri attributes of a page (of one section's list when given)."""
    if section is not None:
        found = re.search(rf'data-section="{section}">(.*?)</ol>', html, re.S)
        html = found.group(1) if found else ""
    return re.findall(r'<li class="item[^"]*" data-iri="([^"]+)"', html)


def start_demo_server(data: Path) -> object:
    """`communecter demo` then `communecter serve` (the README's first command), tiles
    pointed at a loopback address, and a bearer token for the citizen "reporter"."""
    port = free_port()
    tiles = f"http://127.0.0.1:{port}/vendor/no-tiles/{{z}}/{{x}}/{{y}}.png"
    running = demo_then_serve(data, env={"COMMUNECTER_TILE_URL": tiles}, port=port)
    running.tokens["reporter"] = running.cli("token", "create", "reporter",
                                             "--create").split()[-1]
    return running


def stop_demo_server(running: object) -> None:
    stop_server(running)
