"""The embedded backend: Oxigraph on disk (the default) or in memory (tests, demos).

An on-disk Oxigraph store can be opened read-write by one process only, so the production
server runs it inside the storekeeper process (store/keeper.py) and the web workers talk to
that. Writes are serialized by a lock so that preconditions are checked against the state
the write will replace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib.term import Node

from store.base import (
    EndpointResult,
    PreconditionFailed,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    TripleStore,
    Write,
    graph_etag,
)
from store.terms import solution_to_dict, storable_iri

T = TypeVar("T")

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def run_endpoint_query(store: ox.Store, query: str, accept: dict[str, str]) -> EndpointResult:
    """Evaluates an untrusted query and serializes its answer in the negotiated format.

    Shared by the in-process backend and the killable query runner (store/runner.py).
    """
    try:
        result = store.query(query, use_default_graph_as_union=True)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from error
    if isinstance(result, ox.QueryBoolean):
        media = accept["boolean"]
        return EndpointResult("boolean", result.serialize(format=RESULT_FORMATS[media]), media)
    if isinstance(result, ox.QuerySolutions):
        media = accept["solutions"]
        return EndpointResult("solutions", result.serialize(format=RESULT_FORMATS[media]), media)
    media = accept["graph"]
    return EndpointResult("graph", ox.serialize(result, format=GRAPH_FORMATS[media]), media)


def run_with_timeout(function: Callable[[], T], timeout: float) -> T:
    """Runs `function` in a helper thread and gives up waiting after `timeout` seconds.

    Oxigraph cannot cancel a query from Python, so the thread may keep computing; only
    backends without a killable runner (memory, remote) rely on this.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(function)
    pool.shutdown(wait=False)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout as error:
        raise QueryTimeout(f"the query ran longer than {timeout:g} s") from error


class OxigraphStore(TripleStore):
    """Oxigraph, on disk when given a path, in memory otherwise."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
        self._store = ox.Store(str(path)) if path is not None else ox.Store()
        self._write_lock = threading.Lock()

    @classmethod
    def read_only(cls, path: Path) -> OxigraphStore:
        """A store opened for reading only (benchmarks, tools beside a stopped server):
        writes to it fail."""
        store = cls.__new__(cls)
        store.path, store._write_lock = path, threading.Lock()
        store._store = ox.Store.read_only(str(path))
        return store

    def graph(self, iri: str) -> str | None:
        if not storable_iri(iri):  # a hostile IRI names nothing here
            return None
        # dump() walks the graph's quads inside Oxigraph: no Python object per triple
        text = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri))
        return text.decode() if text else None

    def select(self, query: str) -> list[dict[str, Node]]:
        result = self._store.query(query)
        names = [v.value for v in result.variables]
        return [solution_to_dict(solution, names) for solution in result]

    def ask(self, query: str) -> bool:
        return bool(self._store.query(query))

    def endpoint_query(self, query: str, accept: dict[str, str], timeout: float) -> EndpointResult:
        return run_with_timeout(lambda: run_endpoint_query(self._store, query, accept), timeout)

    def write(self, change: Write) -> None:
        update = change.as_sparql_update()
        with self._write_lock:
            self._check(change)
            if update:
                try:
                    self._store.update(update)
                except SyntaxError as error:
                    raise StoreError(f"the write is not valid: {error}") from error

    def _check(self, change: Write) -> None:
        for iri in change.expect_absent:
            if self._store.contains_named_graph(ox.NamedNode(iri)) and self.graph(iri):
                raise PreconditionFailed(f"{iri} already exists")
        for iri, etag in change.expect_etags.items():
            current = self.graph(iri)
            if current is None or graph_etag(current) != etag:
                raise PreconditionFailed(f"{iri} has changed")

    def bulk_load(self, graphs: Iterable[tuple[str, str]]) -> int:
        count = 0
        batch: list[ox.Quad] = []
        for iri, ntriples in graphs:
            graph = ox.NamedNode(iri)
            with self._write_lock:
                self._store.remove_graph(graph) if self._store.contains_named_graph(graph) else None
            for triple in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
                batch.append(ox.Quad(triple.subject, triple.predicate, triple.object, graph))
            count += 1
            if len(batch) > 200_000:
                self._flush_batch(batch)
        self._flush_batch(batch)
        return count

    def _flush_batch(self, batch: list[ox.Quad]) -> None:
        with self._write_lock:
            self._store.extend(batch)
        batch.clear()

    def dump(self, media_type: str) -> Iterator[bytes]:
        fmt = ox.RdfFormat.TRIG if media_type == "application/trig" else ox.RdfFormat.N_QUADS
        quads = self._store.quads_for_pattern(None, None, None, None)
        batch: list[ox.Quad] = []
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                continue
            batch.append(quad)
            if len(batch) >= 10_000:
                yield ox.serialize(batch, format=fmt)
                batch = []
        if batch:
            yield ox.serialize(batch, format=fmt)

    def checkpoint(self, target: Path) -> None:
        """A consistent on-disk copy (hard links where possible) for read-only readers.

        Not under the write lock: RocksDB makes the copy consistent by itself, and the
        flush waits on the disk, which writes need not wait for."""
        self._store.flush()
        self._store.backup(str(target))

    def stats(self) -> dict[str, int]:
        return {"triples": len(self._store)}

    def close(self) -> None:
        if self.path is not None:
            self._store.flush()
        del self._store
