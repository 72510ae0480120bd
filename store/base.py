"""The one interface every quad-store backend implements.

The platform keeps each resource as one named graph (graph name = the resource's IRI), so
the interface speaks in graphs: read one, replace some, delete some, in one atomic write.
Everything above the store (validation, authorization, HTTP) is done before a write reaches
it; the store only guarantees that a write is all-or-nothing and that its preconditions
(ETags, absence) are checked under the same lock as the write itself.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rdflib.term import Node


class StoreError(Exception):
    """The backend failed (unreachable, refused, corrupted): a 5xx for the caller."""


class PreconditionFailed(StoreError):
    """A write's precondition no longer holds: somebody changed the graph meanwhile."""


class QueryTimeout(StoreError):
    """A query ran longer than it was allowed to."""


class QuerySyntaxError(ValueError):
    """The query text is not valid SPARQL 1.1: a 400 for the caller."""


@dataclass
class Write:
    """One atomic change to the dataset.

    `replace` sets whole graphs (N-Triples text); `delete` drops graphs; `add` and `remove`
    touch single triples in graphs that are otherwise kept (container membership).
    `expect_absent` / `expect_etags` are checked before anything is written.
    """

    replace: dict[str, str] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    add: dict[str, str] = field(default_factory=dict)
    remove: dict[str, str] = field(default_factory=dict)
    expect_absent: list[str] = field(default_factory=list)
    expect_etags: dict[str, str] = field(default_factory=dict)

    def touched(self) -> set[str]:
        return set(self.replace) | set(self.delete) | set(self.add) | set(self.remove)

    def as_sparql_update(self) -> str:
        """The whole write as one SPARQL Update request, executed as one transaction."""
        ops: list[str] = []
        for graph in [*self.replace, *self.delete]:
            ops.append(f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        for graph, ntriples in self.remove.items():
            ops.append(f"DELETE DATA {{ GRAPH <{graph}> {{\n{ntriples}\n}} }}")
        inserts = [*self.replace.items(), *self.add.items()]
        for graph, ntriples in inserts:
            if ntriples.strip():
                ops.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{ntriples}\n}} }}")
        return " ;\n".join(ops)


@dataclass(frozen=True)
class EndpointResult:
    """A query answer already serialized for the SPARQL endpoint."""

    kind: str  # "solutions", "boolean" or "graph"
    body: bytes
    media_type: str


def graph_etag(ntriples: str) -> str:
    """A strong ETag for a graph: stable under triple order, changes with any triple."""
    lines = sorted(line for line in ntriples.splitlines() if line.strip())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


class TripleStore(ABC):
    """The public dataset. Nothing private is ever written here."""

    @abstractmethod
    def graph(self, iri: str) -> str | None:
        """The graph's triples as N-Triples, or None when no such graph exists."""

    def graph_with_etag(self, iri: str) -> tuple[str, str] | None:
        text = self.graph(iri)
        return None if text is None else (text, graph_etag(text))

    @abstractmethod
    def select(self, query: str) -> list[dict[str, Node]]:
        """Runs one of the application's own SELECT queries (trusted, bounded)."""

    def select_about(self, query: str, graphs: Iterable[str]) -> list[dict[str, Node]]:
        """`select` for a query whose answer depends only on these named graphs: a backend
        may then answer from a copy in which they are up to date (store/snapshots.py)."""
        return self.select(query)

    @abstractmethod
    def ask(self, query: str) -> bool:
        """Runs one of the application's own ASK queries."""

    @abstractmethod
    def endpoint_query(self, query: str, accept: dict[str, str], timeout: float) -> EndpointResult:
        """Runs an untrusted query for the public endpoint, under a time limit.

        `accept` maps the result kind ("solutions", "boolean", "graph") to the media type
        chosen for it by content negotiation. The default graph is the union of all graphs.
        """

    @abstractmethod
    def write(self, change: Write) -> None:
        """Applies the change atomically, or raises and changes nothing."""

    @abstractmethod
    def bulk_load(self, graphs: Iterable[tuple[str, str]]) -> int:
        """Loads many (graph IRI, N-Triples) at once, replacing those graphs; returns the count.

        Meant for official data and benchmarks: faster, and atomic per batch only.
        """

    @abstractmethod
    def dump(self, media_type: str) -> Iterator[bytes]:
        """The whole public dataset as N-Quads or TriG."""

    def stats(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:  # noqa: B027 (most backends hold nothing to release)
        """Releases the backend (files, locks, connections)."""
