"""The quad store behind one small interface (store.base.TripleStore) and its backends.

`open_store` is the only place that knows which backends exist; the rest of the platform
sees a TripleStore.
"""

from __future__ import annotations

from pathlib import Path

from store.base import TripleStore

BACKENDS = ("oxigraph", "memory", "sparql")


def open_store(
    kind: str,
    data_dir: Path | None = None,
    query_url: str | None = None,
    update_url: str | None = None,
    auth: str | None = None,
) -> TripleStore:
    """Opens the public dataset with the named backend."""
    if kind == "oxigraph":
        from store.oxigraph_store import OxigraphStore

        if data_dir is None:
            raise ValueError("the oxigraph backend needs a data directory")
        return OxigraphStore(data_dir / "oxigraph")
    if kind == "memory":
        from store.oxigraph_store import OxigraphStore

        return OxigraphStore()
    if kind == "sparql":
        from store.sparql_store import SparqlStore

        if not query_url or not update_url:
            raise ValueError(
                "the sparql backend needs COMMUNECTER_SPARQL_QUERY_URL and "
                "COMMUNECTER_SPARQL_UPDATE_URL"
            )
        return SparqlStore(query_url, update_url, auth=auth)
    raise ValueError(f"unknown store backend {kind!r}: choose one of {', '.join(BACKENDS)}")
