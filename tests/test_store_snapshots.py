"""Web workers read from the storekeeper's checkpoints, and never read stale data.

The production server's workers answer reads from a read-only checkpoint of the store while
no write has happened since it was made (store/snapshots.py), and go to the storekeeper
otherwise. These tests pause the storekeeper to show that reads no longer need it, and
write and read in turns to show that a write is seen by the very next read.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import Server, start_server, stop_server

from store.checkpoints import CheckpointShelf
from store.oxigraph_store import OxigraphStore

PREFIXES = (
    "@prefix as: <https://www.w3.org/ns/activitystreams#> .\n"
    "@prefix cc: <https://w3id.org/communecter/ns#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
TURTLE = {"Accept": "text/turtle"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with one web worker, so that every request meets the same snapshot."""
    data_dir = tmp_path_factory.mktemp("snapshots") / "data"
    data_dir.mkdir()
    server = start_server(data_dir, ("--workers", "1", "--threads", "4"))
    server.cli("import-territories")
    server.tokens["alice"] = server.cli("token", "create", "alice", "--create").split()[-1]
    yield server
    stop_server(server)


def event_body(server: Server, name: str) -> str:
    return PREFIXES + (
        f'<> a cc:Event ; as:name "{name}" ;\n'
        f'   as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ;\n'
        f"   cc:territory <{server.base_url}/territories/97411> .\n"
    )


def create_event(server: Server, name: str) -> str:
    response = requests.post(f"{server.base_url}/events/", data=event_body(server, name).encode(),
                             headers={"Content-Type": "text/turtle", "Slug": name,
                                      **server.auth()}, timeout=30)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def keeper_pid(server: Server) -> int:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    for child in children.read_text().split():
        if b"web.server" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise AssertionError("no storekeeper process under the server")


def names_in_sparql(server: Server, names: list[str]) -> set[str]:
    values = " ".join(f'"{n}"' for n in names)
    query = ("PREFIX as: <https://www.w3.org/ns/activitystreams#> SELECT ?name WHERE { "
             f"VALUES ?name {{ {values} }} GRAPH ?g {{ ?e as:name ?name }} }}")
    response = requests.get(f"{server.base_url}/sparql", params={"query": query},
                            headers=JSON_RESULTS, timeout=10)
    assert response.status_code == 200, response.text
    return {row["name"]["value"] for row in response.json()["results"]["bindings"]}


def test_reads_are_answered_while_the_storekeeper_is_paused(one_worker: Server) -> None:
    names = [f"snapshot-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    iris = [create_event(one_worker, name) for name in names]
    time.sleep(1.2)  # a worker asks for a fresh checkpoint at most every second
    territory = requests.get(f"{one_worker.base_url}/territories/97411", headers=TURTLE,
                             timeout=10)  # the worker opens a checkpoint of this generation
    assert territory.status_code == 200
    assert names_in_sparql(one_worker, names) == set(names)  # its query child too
    keeper = keeper_pid(one_worker)
    os.kill(keeper, signal.SIGSTOP)
    try:
        for iri, name in zip(iris, names, strict=True):
            response = requests.get(iri, headers=TURTLE, timeout=5)
            assert response.status_code == 200
            assert name in response.text
        assert names_in_sparql(one_worker, names) == set(names)
    finally:
        os.kill(keeper, signal.SIGCONT)


def test_each_write_is_seen_by_the_next_read(one_worker: Server) -> None:
    name = f"turns-{uuid.uuid4().hex[:8]}"
    iri = create_event(one_worker, name)
    for turn in range(6):
        if turn % 2:
            time.sleep(1.1)  # let the worker move to a fresh checkpoint between some turns
        current = requests.get(iri, headers=TURTLE, timeout=10)
        renamed = f"{name}-{turn}"
        response = requests.put(iri, data=event_body(one_worker, renamed).encode(),
                                headers={"Content-Type": "text/turtle",
                                         "If-Match": current.headers["ETag"],
                                         **one_worker.auth()}, timeout=30)
        assert response.status_code in (200, 204), response.text
        seen = requests.get(iri, headers=TURTLE, timeout=10)
        assert renamed in seen.text, f"turn {turn}: the GET after the PUT showed the old name"
        assert names_in_sparql(one_worker, [renamed]) == {renamed}, (
            f"turn {turn}: /sparql after the PUT did not see the new name")


def test_superseded_checkpoints_leave_the_disk(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "store")
    shelf = CheckpointShelf(store, tmp_path / "checkpoints", grace=0)
    graph = "http://example.org/g"
    made = []
    for generation in range(1, 4):
        store._store.add(ox.Quad(ox.NamedNode(graph), ox.NamedNode("http://example.org/n"),
                                 ox.Literal(str(generation)), ox.NamedNode(graph)))
        made.append(shelf.current(generation))
    assert [c.generation for c in made] == [1, 2, 3]
    left = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert left == [Path(made[-1].path).name], "old checkpoints were kept on disk"
    reader = OxigraphStore.read_only(Path(made[-1].path))
    assert reader.graph(graph).count("\n") == 3, "the checkpoint misses a write made before it"
    assert shelf.current(3) == made[-1], "a checkpoint was made again for the same generation"
