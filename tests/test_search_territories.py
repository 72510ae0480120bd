"""The fast territory import (store/territories_import.py) and the territories in the
search index: the same triples as the rdflib path, idempotent (a second run writes
nothing and leaves the dataset as it was), a changed territory rewritten alone, and the
hierarchy recorded for perimeter searches. All of France is timed in benchmarks/search.py
(``--territories``); here a sample of France's rows stands for it."""

from __future__ import annotations

import io
from pathlib import Path

from rdflib import Graph
from rdflib.compare import isomorphic

from store.base import Write
from store.oxigraph_store import OxigraphStore
from store.search import SearchIndex
from store.territories import FRANCE_PATH, read_territories, territory_graph
from store.territories_import import (
    ProgressBar,
    import_scope,
    load_territories,
    territory_ntriples,
)

BASE = "http://communecter.test"


def quads(store: OxigraphStore) -> set[bytes]:
    return {line for chunk in store.dump("application/n-quads")
            for line in chunk.splitlines() if line}


def test_same_triples_as_the_rdflib_path() -> None:
    france = read_territories(FRANCE_PATH)
    sample = [t for t in france if t.kind in ("country", "region")] + france[::400] + [
        t for t in france if t.code in ("75101", "69381", "13201", "2A004", "97411", "97608")]
    odd = [t for t in france if "'" in t.name or '"' in t.name][:5]
    assert odd  # names with apostrophes are escaped right
    for territory in [*read_territories(), *sample, *odd]:
        mine = Graph().parse(data=territory_ntriples(BASE, territory), format="nt")
        assert isomorphic(mine, territory_graph(BASE, territory)), territory


def test_reunion_import_is_idempotent(tmp_path: Path) -> None:
    store = OxigraphStore()
    out = io.StringIO()
    assert import_scope(store, BASE, "reunion", out=out,
                        search_index=tmp_path / "search.sqlite3") == 32
    assert "32 written" in out.getvalue() and "100%" in out.getvalue()
    first = quads(store)
    container = f"<{BASE}/territories/> <http://www.w3.org/ns/ldp#contains> "
    assert sum(1 for q in first if q.decode().startswith(container)) == 32
    again = io.StringIO()
    import_scope(store, BASE, "reunion", out=again)
    assert "0 written, 32 already up to date" in again.getvalue()
    assert quads(store) == first

    # A territory changed since (here: by hand) is the only one written again.
    iri = f"{BASE}/territories/97415"
    current = store.graph(iri)
    store.write(Write(replace={iri: current.replace('"108088"', '"1"')}))
    assert load_territories(store, BASE, read_territories()) == 1
    assert quads(store) == first

    # A missing membership triple is added back without rewriting any graph.
    store.write(Write(remove={f"{BASE}/territories/": f"{container}<{iri}> ."}))
    assert load_territories(store, BASE, read_territories()) == 0
    assert quads(store) == first


def test_imported_territories_are_searchable(tmp_path: Path) -> None:
    store = OxigraphStore()
    import_scope(store, BASE, "reunion", out=None, search_index=tmp_path / "search.sqlite3")
    index = SearchIndex(tmp_path / "search.sqlite3")
    chain = [t.name for t in index.chain(f"{BASE}/territories/97411")]
    assert chain == ["Saint-Denis", "CA Intercommunale du Nord de la Réunion (CINOR)",
                     "La Réunion", "La Réunion", "France"]
    found = index.search("saint paul", perimeter=f"{BASE}/territories/departement-974")
    assert found.hits[0].iri == f"{BASE}/territories/97415"
    assert index.search("97460").hits[0].name == "Saint-Paul"


def test_progress_bar_on_a_terminal_and_in_a_log() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = ProgressBar("territories", terminal)
    for done in range(0, 1001, 100):
        bar.update(done, 1000)
    bar.finish()
    assert terminal.getvalue().count("\r") == 11 and "█" * 30 in terminal.getvalue()
    log = io.StringIO()
    bar = ProgressBar("territories", log)
    for done in range(0, 1001, 5):
        bar.update(done, 1000)
    lines = log.getvalue().splitlines()
    assert 10 <= len(lines) <= 12 and lines[-1].startswith("territories [") and "100%" in lines[-1]
