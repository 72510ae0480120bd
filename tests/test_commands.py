"""The operator's commands, run as a person would run them, on a fresh data directory."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from rdflib import Dataset, Graph

from tests.conftest import ROOT, run_cli, start_demo_server, stop_server

CC = "https://w3id.org/communecter/ns#"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`communecter demo` then `communecter serve`, the README's first command."""
    data = tmp_path_factory.mktemp("demo") / "data"
    data.mkdir()
    running = start_demo_server(data)
    yield running
    stop_server(running)


def test_demo_shows_a_living_territory(demo_server):
    base = demo_server.base_url
    query = (f"SELECT ?type (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?type }} "
             f"FILTER(STRSTARTS(STR(?type), \"{CC}\")) }} GROUP BY ?type")
    rows = requests.get(base + "/sparql", params={"query": query},
                        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    counts = {r["type"]["value"][len(CC):]: int(r["n"]["value"])
              for r in rows.json()["results"]["bindings"]}
    assert counts["Commune"] == 24
    assert counts["Citizen"] >= 300
    assert counts["Event"] >= 100 and counts["Post"] >= 500
    assert counts["PublicAuthority"] >= 24 and counts["Association"] >= 40
    assert counts["Project"] >= 30
    page = requests.get(base + "/events/", headers={"Accept": "text/turtle"}, timeout=30)
    members = Graph().parse(data=page.text, format="turtle")
    assert len(list(members.objects(predicate=None))) > 100


def test_demo_is_idempotent(demo_server, tmp_path):
    """Running the demo again while the server runs changes nothing and says so."""
    before = requests.get(demo_server.base_url + "/dump.nq", timeout=60).content
    done = subprocess.run([sys.executable, "-m", "web.cli", "demo", "--data",
                           str(demo_server.data_dir), "--base-url", demo_server.base_url],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "already loaded" in done.stderr
    after = requests.get(demo_server.base_url + "/dump.nq", timeout=60).content
    assert len(before) == len(after)


def test_dump_command_matches_the_served_dump(demo_server):
    served = Dataset()
    served.parse(data=requests.get(demo_server.base_url + "/dump.nq", timeout=60).text,
                 format="nquads")
    printed = run_cli(demo_server.data_dir, demo_server.base_url, "dump", "--format", "nquads")
    dumped = Dataset()
    dumped.parse(data=printed, format="nquads")
    assert len(dumped) == len(served) > 10_000
    trig = run_cli(demo_server.data_dir, demo_server.base_url, "dump", "--format", "trig")
    assert len(Dataset().parse(data=trig, format="trig")) == len(served)


def test_token_create_refuses_unknown_handles(demo_server):
    done = subprocess.run([sys.executable, "-m", "web.cli", "token", "create", "nobody-here",
                           "--data", str(demo_server.data_dir), "--base-url",
                           demo_server.base_url], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "--create" in done.stderr


def test_token_from_the_command_line_writes_over_ldp(demo_server):
    token = run_cli(demo_server.data_dir, demo_server.base_url, "token", "create", "operator",
                    "--create").split()[-1]
    body = (f"@prefix cc: <{CC}> . @prefix as: <https://www.w3.org/ns/activitystreams#> .\n"
            f"<> a cc:Association ; as:name \"Les Ateliers du lagon\" ; "
            f"cc:territory <{demo_server.base_url}/territories/97415> .")
    created = requests.post(demo_server.base_url + "/organizations/", data=body.encode(),
                            headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": "text/turtle"}, timeout=30)
    assert created.status_code == 201
    page = requests.get(created.headers["Location"], headers={"Accept": "text/html"}, timeout=30)
    assert "Les Ateliers du lagon" in page.text


def test_serve_refuses_a_port_another_server_listens_on(demo_server, tmp_path):
    """Workers bind with SO_REUSEPORT: without this check a second server would start
    and answer part of the first one's requests from its own data."""
    port = demo_server.base_url.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "web.cli", "serve", "--port", port,
                           "--data", str(tmp_path), "--base-url", demo_server.base_url],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert requests.get(demo_server.base_url + "/ns", timeout=10).status_code == 200


def test_serve_names_a_data_directory_it_cannot_use(tmp_path):
    """One line saying what is wrong, not a traceback."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    done = subprocess.run([sys.executable, "-m", "web.cli", "serve", "--port", "0",
                           "--data", str(blocked / "data")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cannot use the data directory {blocked / 'data'}" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_lists_the_commands():
    done = subprocess.run([sys.executable, "-m", "web.cli", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    for command in ("serve", "demo", "import-territories", "dump", "token"):
        assert command in done.stdout


def test_settings_come_from_the_environment(tmp_path):
    from web.settings import Settings

    settings = Settings.from_env({"COMMUNECTER_BASE_URL": "https://x.example/",
                                  "COMMUNECTER_DATA": str(tmp_path),
                                  "COMMUNECTER_QUERY_TIMEOUT": "2.5",
                                  "COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1"}, store="memory")
    assert settings.base_url == "https://x.example"
    assert settings.query_timeout == 2.5 and settings.allow_private_addresses
    assert settings.store == "memory"
