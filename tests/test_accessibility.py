"""Accessibility: axe-core on the main pages of the production server with the demo data
(`communecter demo` then `communecter serve`, as a person runs them), driven by Playwright
on Debian's Chromium. No serious or critical violation is allowed; the assertion message
lists each one with its rule, the elements concerned and axe's explanation.

Pages that do not exist yet on this instance (another part of the UI not built) are
skipped by name, never silently."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import start_demo_server, stop_server

pytestmark = pytest.mark.server

PAGES = [
    "/",
    "/territories/97411",
    "/territories/departement-974",
    "/search?q=f%C3%AAte&territory=departement-974",
    "/search?themes=astrologie",
    "/legal",
    "/offline",
    "/ns",
    "/login",
    "/signup",
    "{event}",
    "{organization}",
]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("a11y") / "data"
    data.mkdir()
    running = start_demo_server(data)
    yield running
    stop_server(running)


def first_of(base: str, cls: str) -> str:
    query = (f"SELECT ?s WHERE {{ GRAPH ?s {{ ?s a <https://w3id.org/communecter/ns#{cls}> ; "
             f"<https://w3id.org/communecter/ns#territory> <{base}/territories/97411> }} }} "
             f"ORDER BY ?s LIMIT 1")
    rows = requests.get(base + "/sparql", params={"query": query}, timeout=30,
                        headers={"Accept": "application/sparql-results+json"}).json()
    return rows["results"]["bindings"][0]["s"]["value"][len(base):]


def describe(violation: dict) -> str:
    nodes = []
    for node in violation["nodes"][:5]:
        target = " ".join(str(t) for t in node.get("target", []))
        summary = " ".join(node.get("failureSummary", "").split())
        nodes.append(f"    {target}: {summary} — {node.get('html', '')[:160]}")
    more = len(violation["nodes"]) - 5
    if more > 0:
        nodes.append(f"    … and {more} more")
    return (f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation.get('helpUrl', '')})\n" + "\n".join(nodes))


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_violation(demo_server, page, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    base = demo_server.base_url
    path = path.format(event=first_of(base, "Event") if "{event}" in path else "",
                       organization=first_of(base, "PublicAuthority")
                       if "{organization}" in path else "")
    response = page.goto(base + path, wait_until="load")
    assert response is not None
    if response.status == 404 and path in ("/login", "/signup"):
        pytest.skip(f"{path} does not exist on this instance yet")
    expected = 400 if "astrologie" in path else 200
    assert response.status == expected, f"{path} answered {response.status}"
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not serious, (f"{path}: {len(serious)} serious or critical axe violation(s):\n"
                         + "\n".join(describe(v) for v in serious))
