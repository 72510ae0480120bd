"""The territory hierarchy over all of France: EPCIs straddle départements, so a commune is
inside its **own** département (its direct cc:partOf, derived from its INSEE code), never
through its EPCI's — in the data, the tree the pages use (store.feed_tree), the search
perimeters (store.search) and the per-département SPARQL query."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ontology import CC
from store.base import Write
from store.feed_index import latest_posts_in, upcoming_events_in
from store.feed_tree import TerritoryTree, territory_tree
from store.oxigraph_store import OxigraphStore
from store.queries import query
from store.search import SearchIndex
from store.territories import (
    FRANCE_PATH,
    ancestors,
    departement_code,
    index_territories,
    read_territories,
    territory_graph,
)
from store.territories_import import import_scope, territory_ntriples

BASE = "http://communecter.test"
T = f"{BASE}/territories"
MGP = f"{T}/epci-200054781"  # Métropole du Grand Paris, hung under Paris (75)
BOULOGNE = f"{T}/92012"
PARIS = f"{T}/75056"
PARIS_1 = f"{T}/75101"


def dep(code: str) -> str:
    return f"{T}/departement-{code}"


@pytest.fixture(scope="module")
def france() -> list:
    return read_territories(FRANCE_PATH)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, france) -> tuple[OxigraphStore, SearchIndex, Path]:
    """All of France imported by the fast path, with the import's search index."""
    folder = tmp_path_factory.mktemp("france")
    store = OxigraphStore()
    import_scope(store, BASE, "france", out=None, search_index=folder / "search.sqlite3")
    return store, SearchIndex(folder / "search.sqlite3"), folder


@pytest.fixture(scope="module")
def tree(loaded) -> TerritoryTree:
    return territory_tree(loaded[0])


# ---- data ----------------------------------------------------------------------------------
def test_departement_codes() -> None:
    assert departement_code("92012") == "92"
    assert departement_code("2A004") == "2A"
    assert departement_code("2B033") == "2B"
    assert departement_code("97411") == "974"
    assert departement_code("97608") == "976"
    assert departement_code("98818") is None  # Nouméa: no département
    assert departement_code("97502") is None


def test_every_commune_is_part_of_its_own_departement(france) -> None:
    index = index_territories(france)
    boulogne = index[("commune", "92012")]
    parents = {str(o) for o in territory_graph(BASE, boulogne).objects(None, CC.partOf)}
    assert parents == {MGP, dep("92")}
    assert index[("epci", "200054781")].parent_code == "75"  # the EPCI keeps one parent
    for territory in france:
        graph = territory_graph(BASE, territory)
        parents = {str(o) for o in graph.objects(None, CC.partOf)}
        if territory.kind == "commune":
            code = departement_code(territory.code)
            if code is None:  # overseas collectivities stay cc:partOf FR
                assert parents == {f"{T}/FR"}, territory
            else:
                assert dep(code) in parents and ("departement", code) in index, territory
                assert len(parents) <= 2
        else:  # arrondissements (their commune), EPCIs, départements…: one parent
            assert len(parents) == (0 if territory.kind == "country" else 1), territory
    arrondissement = index[("arrondissement", "75101")]
    assert territory_ntriples(BASE, arrondissement).count(str(CC.partOf)) == 1


def test_breadcrumb_of_a_commune_goes_to_its_own_departement(france) -> None:
    index = index_territories(france)
    chain = [(t.kind, t.code) for t in ancestors(index, index[("commune", "92012")])]
    assert chain == [("epci", "200054781"), ("departement", "92"), ("region", "11"),
                     ("country", "FR")]
    chain = [(t.kind, t.code) for t in ancestors(index, index[("commune", "97411")])]
    assert chain == [("epci", "249740119"), ("departement", "974"), ("region", "04"),
                     ("country", "FR")]


# ---- the tree the pages use ------------------------------------------------------------------
def test_hauts_de_seine_commune_is_inside_92_not_75(tree) -> None:
    assert BOULOGNE in tree.perimeter(dep("92")).territories
    assert BOULOGNE not in tree.perimeter(dep("75")).territories
    assert BOULOGNE in tree.perimeter(MGP).territories  # still inside its EPCI
    assert BOULOGNE in tree.perimeter(f"{T}/region-11").territories
    assert PARIS in tree.perimeter(dep("75")).territories
    assert PARIS_1 in tree.perimeter(dep("75")).territories
    assert PARIS_1 not in tree.perimeter(dep("92")).territories
    assert MGP in tree.perimeter(dep("75")).territories
    assert [n.iri for n in tree.chain(BOULOGNE)] == [
        BOULOGNE, MGP, dep("92"), f"{T}/region-11", f"{T}/FR"]
    assert [n.kind for n in tree.chain(PARIS_1)] == [
        "arrondissement", "commune", "epci", "departement", "region", "country"]
    assert tree.get(BOULOGNE).parent == MGP


def test_departements_of_the_grand_paris_hold_their_communes(tree, france) -> None:
    for code in ("92", "93", "94"):
        communes = {n.iri for n in tree.communes(dep(code))}
        expected = {t.iri(BASE) for t in france
                    if t.kind == "commune" and departement_code(t.code) == code}
        assert communes == expected and len(communes) > 30
        # Listed on the département's page, as their EPCI hangs under Paris.
        assert BOULOGNE not in {n.iri for n in tree.children(dep("75"))}
    assert BOULOGNE in {n.iri for n in tree.children(dep("92"))}
    assert BOULOGNE in {n.iri for n in tree.children(MGP)}


def test_every_departement_holds_exactly_its_communes(tree, france) -> None:
    expected: dict[str, set[str]] = {}
    for t in france:
        if t.kind == "commune" and departement_code(t.code) is not None:
            expected.setdefault(departement_code(t.code), set()).add(t.iri(BASE))
    seen: Counter[str] = Counter()
    for code, communes in expected.items():
        found = {n.iri for n in tree.communes(dep(code)) if n.kind == "commune"}
        assert found == communes, code
        seen.update(found)
    assert max(seen.values()) == 1  # no commune in two départements
    # Every EPCI holds its members, wherever their départements are.
    members = Counter(t.parent_code for t in france if t.parent_kind == "epci")
    for siren, count in list(members.items())[::50]:
        assert len([n for n in tree.communes(f"{T}/epci-{siren}") if n.kind == "commune"]) \
            == count


def test_reunion_breadcrumb_is_unchanged(tree) -> None:
    assert [n.iri for n in tree.chain(f"{T}/97411")] == [
        f"{T}/97411", f"{T}/epci-249740119", dep("974"), f"{T}/region-04", f"{T}/FR"]


# ---- search perimeters -------------------------------------------------------------------
def _perimeter_check(index: SearchIndex) -> None:
    inside = index.search("Boulogne-Billancourt", perimeter=dep("92"), types=["territories"])
    assert BOULOGNE in {hit.iri for hit in inside.hits}
    outside = index.search("Boulogne-Billancourt", perimeter=dep("75"), types=["territories"])
    assert BOULOGNE not in {hit.iri for hit in outside.hits}
    paris = index.search("75056", perimeter=dep("75"), types=["territories"])
    assert PARIS in {hit.iri for hit in paris.hits}
    assert [t.iri for t in index.chain(BOULOGNE)] == [
        BOULOGNE, MGP, dep("92"), f"{T}/region-11", f"{T}/FR"]
    assert [t.iri for t in index.chain(f"{T}/97411")] == [
        f"{T}/97411", f"{T}/epci-249740119", dep("974"), f"{T}/region-04", f"{T}/FR"]
    assert index.territory(BOULOGNE).parent == MGP


def test_search_perimeter_after_the_import(loaded) -> None:
    _perimeter_check(loaded[1])


def test_search_perimeter_after_a_rebuild(loaded) -> None:
    store, _, folder = loaded
    index = SearchIndex(folder / "rebuilt.sqlite3")
    index.rebuild(store)
    _perimeter_check(index)
    # A resource placed in a straddling commune is found from its own département only.
    post = f"{BASE}/posts/boulogne"
    index.index_graph(post, f"<{post}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                            f"<{CC.Post}> .\n<{post}> <{CC.territory}> <{BOULOGNE}> .\n"
                            f"<{post}> <https://www.w3.org/ns/activitystreams#content> "
                            f'"Vide-grenier quai" .\n')
    assert [h.iri for h in index.search("vide-grenier", perimeter=dep("92")).hits] == [post]
    assert index.search("vide-grenier", perimeter=dep("75")).hits == []
    assert [h.iri for h in index.search("vide-grenier", perimeter=MGP).hits] == [post]


# ---- SPARQL: latest posts in a département ---------------------------------------------------
def test_latest_posts_in_departement(loaded) -> None:
    store = loaded[0]
    posts = {f"{BASE}/posts/h1": BOULOGNE, f"{BASE}/posts/h2": PARIS_1,
             f"{BASE}/posts/h3": PARIS}
    add = {}
    for number, (iri, territory) in enumerate(posts.items()):
        add[iri] = (f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{CC.Post}> .\n"
                    f"<{iri}> <{CC.territory}> <{territory}> .\n"
                    f"<{iri}> <https://www.w3.org/ns/activitystreams#published> "
                    f'"2026-01-0{number + 1}T10:00:00Z"'
                    f"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n")
    store.write(Write(add=add))
    try:
        def found(code: str) -> list[str]:
            rows = store.select(query("latest_posts_in_departement",
                                      departement=URIRef(dep(code)), limit=20))
            return [str(row["post"]) for row in rows]

        assert found("92") == [f"{BASE}/posts/h1"]
        assert sorted(found("75")) == [f"{BASE}/posts/h2", f"{BASE}/posts/h3"]
    finally:
        store.write(Write(delete=list(add)))


# ---- the same two feed questions, answered from the search index ------------------------------
def _resource(iri: str, lines: list[str]) -> str:
    return "".join(f"<{iri}> {line} .\n" for line in lines)


def test_latest_posts_from_the_index_match_sparql(loaded) -> None:
    store, index, _ = loaded
    when = "^^<http://www.w3.org/2001/XMLSchema#dateTime>"
    posts = {f"{BASE}/posts/i1": (BOULOGNE, "2026-02-01"), f"{BASE}/posts/i2": (PARIS_1,
             "2026-02-03"), f"{BASE}/posts/i3": (PARIS, "2026-02-02"),
             f"{BASE}/posts/i4": (dep("75"), "2026-02-04"),
             f"{BASE}/posts/i9": (PARIS, "2026-02-03")}  # same second as i2, indexed after
    add = {iri: _resource(iri, [f"a <{CC.Post}>", f"<{CC.territory}> <{territory}>",
                                f'<https://www.w3.org/ns/activitystreams#published> '
                                f'"{day}T10:00:00Z"{when}'])
           for iri, (territory, day) in posts.items()}
    store.write(Write(add=add))
    for iri in add:
        index.on_resource_changed(iri, store.graph(iri))
    try:
        for code in ("75", "92", "93"):
            rows = store.select(query("latest_posts_in_departement",
                                      departement=URIRef(dep(code)), limit=20))
            from_sparql = [str(row["post"]) for row in rows]
            from_index = [row.iri for row in latest_posts_in(index, dep(code))]
            assert from_index == from_sparql
        assert [row.iri for row in latest_posts_in(index, dep("75"))] == [
            f"{BASE}/posts/i4", f"{BASE}/posts/i2", f"{BASE}/posts/i9", f"{BASE}/posts/i3"]
    finally:
        store.write(Write(delete=list(add)))
        for iri in add:
            index.on_resource_changed(iri, None)


def test_upcoming_events_from_the_index_match_sparql(loaded) -> None:
    store, index, _ = loaded
    when = "^^<http://www.w3.org/2001/XMLSchema#dateTime>"
    theme = "https://w3id.org/communecter/themes#culture"
    events = {  # name: (commune, theme slug, start, end)
        "over": (BOULOGNE, "culture", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"),
        "going-on": (BOULOGNE, "culture", "2026-03-09T10:00:00Z", "2026-03-20T12:00:00Z"),
        "soon": (BOULOGNE, "culture", "2026-03-12T10:00:00Z", None),
        "later": (BOULOGNE, "culture", "2026-04-01T10:00:00Z", None),
        "other-theme": (BOULOGNE, "sport", "2026-03-12T10:00:00Z", None),
        "elsewhere": (PARIS_1, "culture", "2026-03-12T10:00:00Z", None)}
    add = {}
    for name, (commune, slug, start, end) in events.items():
        iri = f"{BASE}/events/{name}"
        lines = [f"a <{CC.Event}>", f"<{CC.territory}> <{commune}>",
                 f"<{CC.theme}> <https://w3id.org/communecter/themes#{slug}>",
                 f'<https://www.w3.org/ns/activitystreams#name> "{name}"',
                 f'<https://www.w3.org/ns/activitystreams#startTime> "{start}"{when}']
        if end:
            lines.append(f'<https://www.w3.org/ns/activitystreams#endTime> "{end}"{when}')
        add[iri] = _resource(iri, lines)
    store.write(Write(add=add))
    for iri in add:
        index.on_resource_changed(iri, store.graph(iri))
    now = datetime(2026, 3, 10, tzinfo=UTC)
    try:
        rows = store.select(query("upcoming_events_in_commune_for_theme",
                                  commune=URIRef(BOULOGNE), theme=URIRef(theme),
                                  now=Literal("2026-03-10T00:00:00Z", datatype=XSD.dateTime),
                                  limit=20))
        from_sparql = [str(row["event"]).rsplit("/", 1)[-1] for row in rows]
        from_index = [row.iri.rsplit("/", 1)[-1]
                      for row in upcoming_events_in(index, store, BOULOGNE, "culture", now)]
        assert from_index == from_sparql == ["going-on", "soon", "later"]
    finally:
        store.write(Write(delete=list(add)))
        for iri in add:
            index.on_resource_changed(iri, None)
