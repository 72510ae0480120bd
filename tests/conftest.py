"""Shared fixtures: an in-process app on a memory store, and the production server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

pytest_plugins = ["tests.conftest_virtuoso", "tests.conftest_redis"]

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://communecter.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class InProcess:
    """A Flask test client over a memory store, with tokens for two citizens."""

    client: object
    app: object
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def site(tmp_path: Path) -> InProcess:
    from store.private import PrivateStore
    from web.app import create_app
    from web.operations import import_territories
    from web.settings import Settings

    settings = Settings(base_url=BASE, data_dir=tmp_path, store="memory")
    app = create_app(settings, private=PrivateStore(None))
    platform = app.extensions["communecter"]
    import_territories(settings, "reunion", platform.store)
    site = InProcess(app.test_client(), app)
    for handle in ("alice", "bob"):
        site.tokens[handle] = _citizen(platform, handle)
    return site


def _citizen(platform: object, handle: str) -> str:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from federation.activities import Activity
    from ontology import AS, CC

    iri = f"{platform.base_url}/persons/{handle}"
    graph = Graph()
    graph.add((URIRef(iri), RDF.type, CC.Citizen))
    graph.add((URIRef(iri), AS.preferredUsername, Literal(handle)))
    graph.add((URIRef(iri), AS.name, Literal(handle.title())))
    platform.activities.apply(Activity("Create", iri, iri, graph))
    return platform.private.issue_token(iri)


@dataclass
class Server:
    """`communecter serve` running in a subprocess on a free loopback port."""

    base_url: str
    data_dir: Path
    process: subprocess.Popen
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def cli(self, *args: str) -> str:
        return run_cli(self.data_dir, self.base_url, *args)


def run_cli(data_dir: Path, base_url: str, *args: str) -> str:
    command = [sys.executable, "-m", "web.cli", *args, "--data", str(data_dir),
               "--base-url", base_url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {done.stderr}")
    return done.stdout


def start_server(data_dir: Path, extra: tuple[str, ...] = (), env: dict | None = None,
                 port: int | None = None) -> Server:
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--data",
               str(data_dir), "--base-url", base_url, *extra]
    log = open(data_dir.parent / f"server-{port}.log", "w")  # noqa: SIM115 (the server's)
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {Path(log.name).read_text()}")
        try:
            requests.get(base_url + "/ns/context.jsonld", timeout=5)
            return Server(base_url, data_dir, process)
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start within 60 s")


def start_demo_server(data_dir: Path, env: dict | None = None,
                      port: int | None = None) -> Server:
    """`communecter demo` then `communecter serve` (the README's first command)."""
    port = port or free_port()
    run_cli(data_dir, f"http://127.0.0.1:{port}", "demo")
    return start_server(data_dir, env=env, port=port)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The production server with La Réunion's territories and two citizens."""
    data_dir = tmp_path_factory.mktemp("server") / "data"
    data_dir.mkdir()
    running = start_server(data_dir, ("--query-timeout", "3"))
    running.cli("import-territories")
    for handle in ("alice", "bob"):
        running.tokens[handle] = running.cli("token", "create", handle, "--create").split()[-1]
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[object]:
    """A real SMTP server (aiosmtpd) on loopback; `.mailbox.wait_for(address)`."""
    from tests.services.smtp import SmtpServer

    with SmtpServer(free_port()) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never Playwright's own download)."""
    from playwright.sync_api import sync_playwright

    from tests.services.chromium import FLAGS, ensure_chromium

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS,
                                              headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(locale="fr-FR")
    opened = context.new_page()
    yield opened
    context.close()
