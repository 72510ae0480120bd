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

from store import write_log
from store.checkpoints import CheckpointShelf
from store.oxigraph_store import OxigraphStore
from store.write_log import WriteLogReader, WriteLogWriter

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


def test_untouched_resources_are_read_without_the_keeper_while_others_are_written(
        one_worker: Server) -> None:
    """After a write, the checkpoint is stale as a whole, but still answers for the graphs
    that no write has touched since it was made."""
    quiet = f"quiet-{uuid.uuid4().hex[:8]}"
    quiet_iri = create_event(one_worker, quiet)
    time.sleep(1.2)
    territory = requests.get(f"{one_worker.base_url}/territories/97415", headers=TURTLE,
                             timeout=10)  # a checkpoint holding the quiet event
    assert territory.status_code == 200
    busy = f"busy-{uuid.uuid4().hex[:8]}"
    create_event(one_worker, busy)  # the checkpoint is now one write behind
    keeper = keeper_pid(one_worker)
    os.kill(keeper, signal.SIGSTOP)
    try:
        response = requests.get(quiet_iri, headers=TURTLE, timeout=5)
        assert response.status_code == 200 and quiet in response.text
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


def test_the_write_log_is_read_whole_across_rotations(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_log, "ROTATE_BYTES", 200)
    writer = WriteLogWriter(tmp_path / "writes")
    reader = WriteLogReader(tmp_path / "writes")
    for generation in range(1, 41):
        writer.record(generation, [f"http://example.org/r{generation % 7}"])
        if generation % 9 == 0:
            reader.sync()
    reader.sync()
    assert (tmp_path / "writes.old").exists(), "the log never rotated"
    for number in range(7):
        last = max(g for g in range(1, 41) if g % 7 == number)
        assert reader.unchanged_since(f"http://example.org/r{number}", last)
        assert not reader.unchanged_since(f"http://example.org/r{number}", last - 1)
    reader.forget_until(30)
    assert not reader.unchanged_since("http://example.org/r0", 29), "below the floor"


def test_a_reader_that_missed_a_rotated_file_vouches_for_nothing_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_log, "ROTATE_BYTES", 100)
    writer = WriteLogWriter(tmp_path / "writes")
    reader = WriteLogReader(tmp_path / "writes")
    reader.sync()
    for generation in range(1, 30):  # several rotations, none of them seen
        writer.record(generation, [f"http://example.org/long-resource-name-{generation}"])
    reader.sync()
    missed = "http://example.org/long-resource-name-4"  # in the second file, replaced since
    assert not reader.unchanged_since(missed, 3), "a write in a missed file was vouched for"
