"""`dump` for the `sparql` backend: every graph of a remote endpoint read back in pages
that stay under the server's result-size limit (Virtuoso's ResultSetMaxRows), by key so
that concurrent writes do not shift them, with graphs larger than a page read through
CONSTRUCT. A mixin of `store.sparql_store.SparqlStore`, whose requests it uses; split out
so that the store module holds the requests, reads and writes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyoxigraph as ox

from store.sparql_protocol import RDF_ACCEPT, _parse_rdf, _quad
from store.sparql_updates import _iri

if TYPE_CHECKING:
    import requests

    from store.sparql_protocol import Results

GRAPHS_PER_PAGE = 200  # graphs fetched together by `dump`


class SparqlDump:
    """The dump of a `SparqlStore` (which provides the attributes and requests below)."""

    page_rows: int
    timeout: float

    if TYPE_CHECKING:

        def _results(self, query: str, ask: bool = False) -> Results: ...

        def _query_request(self, query: str, accept: str, timeout: float) -> requests.Response:
            ...

        def _checked(self, response: requests.Response, deadline: float) -> tuple[bytes, str]:
            ...

    def dump(self, media_type: str) -> Iterator[bytes]:
        fmt = ox.RdfFormat.TRIG if media_type == "application/trig" else ox.RdfFormat.N_QUADS
        for names in self._graph_pages():
            for start in range(0, len(names), GRAPHS_PER_PAGE):
                for quads in self._quads(names[start:start + GRAPHS_PER_PAGE]):
                    yield ox.serialize(quads, format=fmt)

    def _graph_pages(self) -> Iterator[list[str]]:
        """Graph names in pages, by key (not offset) so concurrent writes do not shift them."""
        last = ""
        while True:
            query = (
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER (STR(?g) > {json.dumps(last)}) }} ORDER BY STR(?g) LIMIT {self.page_rows}"
            )
            names = [row["g"]["value"] for row in self._results(query).rows]
            if names:
                yield names
                last = names[-1]
            if len(names) < self.page_rows:
                return

    def _quads(self, names: list[str]) -> Iterator[list[ox.Quad]]:
        """The quads of these graphs, fetched in groups that fit in one page."""
        group: list[str] = []
        rows = 0
        for name, count in self._sizes(names):
            if count > self.page_rows:
                yield from self._big_graph(name)
                continue
            if group and rows + count > self.page_rows:
                yield from self._fetch(group)
                group, rows = [], 0
            group.append(name)
            rows += count
        if group:
            yield from self._fetch(group)

    def _sizes(self, names: list[str]) -> list[tuple[str, int]]:
        values = " ".join(_iri(name) for name in names)
        query = (
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        counts = {row["g"]["value"]: int(row["n"]["value"]) for row in self._results(query).rows}
        return [(name, counts[name]) for name in names if counts.get(name)]

    def _fetch(self, names: list[str]) -> Iterator[list[ox.Quad]]:
        """One page of quads; split again if the graphs grew since they were counted."""
        values = " ".join(_iri(name) for name in names)
        query = (
            f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
            f"LIMIT {self.page_rows + 1}"
        )
        rows = self._results(query).rows
        if len(rows) <= self.page_rows:
            yield [_quad(row) for row in rows]
        elif len(names) == 1:
            yield from self._big_graph(names[0])
        else:
            yield from self._fetch(names[: len(names) // 2])
            yield from self._fetch(names[len(names) // 2 :])

    def _big_graph(self, name: str) -> Iterator[list[ox.Quad]]:
        """One graph larger than a page, in CONSTRUCT pages (N-Triples: fast and exact)."""
        graph = ox.NamedNode(name)
        offset = 0
        while True:
            query = (
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(name)} {{ ?s ?p ?o }} }} "
                f"ORDER BY ?s ?p ?o LIMIT {self.page_rows} OFFSET {offset}"
            )
            deadline = time.monotonic() + self.timeout
            response = self._query_request(query, RDF_ACCEPT, self.timeout)
            triples = _parse_rdf(*self._checked(response, deadline))
            if triples:
                yield [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
            if len(triples) < self.page_rows:
                return
            offset += self.page_rows
