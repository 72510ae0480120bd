"""The storekeeper: one process owns the store, the web workers talk to it.

An on-disk Oxigraph store can be opened read-write by one process only, while the web
server needs several worker processes to use both cores. So `communecter serve` starts the
storekeeper, which opens the backend once and serves the TripleStore interface over a Unix
socket (multiprocessing.managers); every worker holds a `KeeperClient`.

When the backend can make checkpoints (Oxigraph on disk), the keeper hands them out
(store/checkpoints.py) and workers read from them directly (store/snapshots.py) while no
write has happened since, and run untrusted SPARQL in killable children of their own
(store/runner.py): the keeper then mostly writes, and answers reads only just after writes.
"""

from __future__ import annotations

import mmap
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import TypeVar

from rdflib.term import Node

from store.base import EndpointResult, StoreError, TripleStore, Write
from store.checkpoints import Checkpoint, CheckpointShelf
from store.oxigraph_store import OxigraphStore
from store.runner import QueryRunner
from store.snapshots import Snapshots
from store.write_log import WriteLogReader, WriteLogWriter

T = TypeVar("T")

EXPOSED = ("graph", "graph_with_etag", "select", "ask", "endpoint_query", "write",
           "bulk_load_chunk", "dump_to_file", "stats", "offers_checkpoints", "checkpoint")


GRAPH_CACHE_SIZE = 50_000


class _Manager(BaseManager):
    pass


class Generation:
    """A write counter in a shared file: workers see "nothing changed" without asking.

    The storekeeper bumps it after every write; each worker keeps the graphs it read,
    stamped with the generation they were read at, and reuses them while it is unchanged.
    """

    def __init__(self, path: Path, writer: bool) -> None:
        if writer:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(struct.pack("<Q", 0))
        self._file = open(path, "r+b" if writer else "rb")  # noqa: SIM115 (kept open)
        access = mmap.ACCESS_WRITE if writer else mmap.ACCESS_READ
        self._map = mmap.mmap(self._file.fileno(), 8, access=access)

    def read(self) -> int:
        return struct.unpack_from("<Q", self._map, 0)[0]

    def bump(self) -> int:
        value = self.read() + 1
        struct.pack_into("<Q", self._map, 0, value)
        return value


class KeptStore:
    """The storekeeper's side: the backend plus write generations and checkpoints."""

    def __init__(self, store: TripleStore, workdir: Path) -> None:
        self.store = store
        self.workdir = workdir
        self.generation = Generation(workdir / "generation", writer=True)
        self.write_log = WriteLogWriter(workdir / "writes")
        self._generation_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.shelf = None
        if getattr(store, "path", None) is not None and hasattr(store, "checkpoint"):
            self.shelf = CheckpointShelf(store, workdir / "checkpoints")

    def offers_checkpoints(self) -> bool:
        return self.shelf is not None

    def checkpoint(self, generation: int, min_interval: float) -> Checkpoint:
        """A checkpoint of the store at `generation` (see CheckpointShelf.current)."""
        if self.shelf is None:
            raise StoreError("this store makes no checkpoints")
        return self.shelf.current(generation, min_interval)

    def _bump(self, graphs: Iterable[str]) -> int:
        """The graphs go in the write log before the generation moves (see WriteLogReader)."""
        with self._generation_lock:
            self.write_log.record(self.generation.read() + 1, graphs)
            return self.generation.bump()

    def graph(self, iri: str) -> str | None:
        return self.store.graph(iri)

    def graph_with_etag(self, iri: str) -> tuple[str, str] | None:
        return self.store.graph_with_etag(iri)

    def select(self, query: str) -> list[dict[str, Node]]:
        return self.store.select(query)

    def ask(self, query: str) -> bool:
        return self.store.ask(query)

    def endpoint_query(self, query: str, accept: dict[str, str], timeout: float) -> EndpointResult:
        return self.store.endpoint_query(query, accept, timeout)

    def write(self, change: Write) -> tuple[int, dict[str, tuple[str, str] | None]]:
        """Writes, and returns the replaced graphs as now stored with the generation they
        are of: the writer's next read of them (the ETag it answers) costs no round trip.
        The lock keeps any other write out until they are read back."""
        with self._write_lock:
            try:
                self.store.write(change)
            finally:
                generation = self._bump(change.touched())
            return generation, {iri: self.store.graph_with_etag(iri) for iri in change.replace}

    def bulk_load_chunk(self, graphs: list[tuple[str, str]]) -> int:
        try:
            return self.store.bulk_load(graphs)
        finally:
            self._bump(iri for iri, _ in graphs)

    def dump_to_file(self, media_type: str) -> str:
        target = self.workdir / f"dump-{threading.get_ident()}"
        with open(target, "wb") as out:
            for chunk in self.store.dump(media_type):
                out.write(chunk)
        return str(target)

    def stats(self) -> dict:
        return {**self.store.stats(), "generation": self.generation.read()}


def serve_store(store: TripleStore, address: str, authkey: bytes, workdir: Path) -> None:
    """Runs the storekeeper until the process is stopped."""
    kept = KeptStore(store, workdir)
    _Manager.register("store", callable=lambda: kept, exposed=EXPOSED)
    manager = _Manager(address=address, authkey=authkey)
    server = manager.get_server()
    try:
        server.serve_forever()
    finally:
        store.close()


class KeeperClient(TripleStore):
    """The web worker's side: the TripleStore interface, answered from the keeper's newest
    checkpoint when it can (store/snapshots.py), by the keeper otherwise."""

    def __init__(self, address: str, authkey: bytes, workdir: Path) -> None:
        _Manager.register("store", exposed=EXPOSED)
        self._manager = _Manager(address=address, authkey=authkey)
        self._manager.connect()
        self._proxy = self._manager.store()
        self._generation = Generation(workdir / "generation", writer=False)
        self._graphs: OrderedDict[str, tuple[int, tuple[str, str] | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._snapshots: Snapshots | None = None
        self._runner: QueryRunner | None = None
        self._log = WriteLogReader(workdir / "writes")
        if self._proxy.offers_checkpoints():
            self._snapshots = Snapshots(self._proxy.checkpoint, self._log.forget_until)
            self._runner = QueryRunner(lambda generation: self._proxy.checkpoint(
                generation, 0.0).path)

    def _read(self, reader: OxigraphStore | None, local: Callable[[OxigraphStore], T],
              remote: Callable[[], T]) -> T:
        """`local` on the checkpoint when one can answer, else `remote` (the keeper)."""
        if reader is not None:
            try:
                return local(reader)
            except OSError:  # removed under us after a long pause: ask the keeper
                self._snapshots.forget()
        return remote()

    def _current_reader(self) -> OxigraphStore | None:
        """A checkpoint that answers any question: one of the current generation."""
        found = self._snapshots.reader(self._generation.read()) if self._snapshots else None
        return found[1] if found is not None else None

    def _reader_about(self, graphs: Iterable[str]) -> OxigraphStore | None:
        """A checkpoint that answers questions about these graphs: one made since they
        were last written, even if other graphs have been written since."""
        if self._snapshots is None:
            return None
        generation = self._generation.read()  # before the log: see WriteLogReader
        found = self._snapshots.reader(generation, stale_ok=True)
        if found is None:
            return None
        if found[0] != generation:
            self._log.sync()
            if not all(self._log.unchanged_since(iri, found[0]) for iri in graphs):
                return None
        return found[1]

    def graph(self, iri: str) -> str | None:
        found = self.graph_with_etag(iri)
        return None if found is None else found[0]

    def graph_with_etag(self, iri: str) -> tuple[str, str] | None:
        generation = self._generation.read()
        with self._lock:
            cached = self._graphs.get(iri)
        if cached is not None and (cached[0] == generation or self._unchanged(iri, cached[0])):
            return cached[1]
        found = self._read(self._reader_about([iri]),
                           lambda reader: reader.graph_with_etag(iri),
                           lambda: self._proxy.graph_with_etag(iri))
        self._remember(iri, generation, found)
        return found

    def _remember(self, iri: str, generation: int, found: tuple[str, str] | None) -> None:
        with self._lock:
            self._graphs[iri] = (generation, found)
            self._graphs.move_to_end(iri)
            if len(self._graphs) > GRAPH_CACHE_SIZE:
                self._graphs.popitem(last=False)

    def _unchanged(self, iri: str, since: int) -> bool:
        self._log.sync()
        return self._log.unchanged_since(iri, since)

    def select(self, query: str) -> list[dict[str, Node]]:
        return self._read(self._current_reader(), lambda reader: reader.select(query),
                          lambda: self._proxy.select(query))

    def select_about(self, query: str, graphs: Iterable[str]) -> list[dict[str, Node]]:
        graphs = list(graphs)
        return self._read(self._reader_about(graphs), lambda reader: reader.select(query),
                          lambda: self._proxy.select(query))

    def ask(self, query: str) -> bool:
        return self._read(self._current_reader(), lambda reader: reader.ask(query),
                          lambda: self._proxy.ask(query))

    def endpoint_query(self, query: str, accept: dict[str, str], timeout: float) -> EndpointResult:
        if self._runner is None:
            return self._proxy.endpoint_query(query, accept, timeout)
        return self._runner.run(query, accept, timeout, self._generation.read())

    def write(self, change: Write) -> None:
        generation, stored = self._proxy.write(change)
        for iri, found in stored.items():
            self._remember(iri, generation, found)

    def bulk_load(self, graphs: Iterable[tuple[str, str]]) -> int:
        count, batch = 0, []
        for item in graphs:
            batch.append(item)
            if len(batch) >= 2000:
                count += self._proxy.bulk_load_chunk(batch)
                batch = []
        if batch:
            count += self._proxy.bulk_load_chunk(batch)
        return count

    def dump(self, media_type: str) -> Iterator[bytes]:
        path = Path(self._proxy.dump_to_file(media_type))
        try:
            with open(path, "rb") as source:
                while chunk := source.read(1 << 20):
                    yield chunk
        finally:
            path.unlink(missing_ok=True)

    def stats(self) -> dict:
        return self._proxy.stats()

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
