"""The full-text index itself (store/search.py): French words, ranking, perimeters, themes,
types, keeping up with writes, rebuilding from the store, and refusing what does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import search
from store.base import Write
from store.oxigraph_store import OxigraphStore
from store.search import Document, SearchError, SearchIndex, Territory
from store.territories import read_territories
from store.territories_import import load_territories

BASE = "http://communecter.test"
T = f"{BASE}/territories"
SAINT_DENIS, SAINT_PAUL = f"{T}/97411", f"{T}/97415"
CINOR, DEPARTEMENT, REGION, FRANCE = (f"{T}/epci-249740119", f"{T}/departement-974",
                                      f"{T}/region-04", f"{T}/FR")


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    found = SearchIndex(tmp_path / "search.sqlite3")
    found.put_territories([
        Territory(FRANCE, None, "Country", "France", "FR"),
        Territory(REGION, FRANCE, "Region", "La Réunion", "04"),
        Territory(DEPARTEMENT, REGION, "Departement", "La Réunion", "974"),
        Territory(CINOR, DEPARTEMENT, "Intercommunality", "CINOR", "249740119"),
        Territory(SAINT_DENIS, CINOR, "Commune", "Saint-Denis", "97411"),
        Territory(SAINT_PAUL, DEPARTEMENT, "Commune", "Saint-Paul", "97415"),
    ])
    docs = [
        Document(f"{BASE}/events/fete", "events", "Event", name="Fête de la musique",
                 summary="Concerts dans les rues", territory=SAINT_DENIS, themes=["culture"],
                 published="2026-06-01T10:00:00Z"),
        Document(f"{BASE}/posts/1", "posts", "Post",
                 content="Après la fête, rangement du kiosque avec les bénévoles",
                 territory=SAINT_PAUL, themes=["associatif"], published="2026-06-22T10:00:00Z"),
        Document(f"{BASE}/organizations/festival", "organizations", "Association",
                 name="Festival du film de Saint-Paul", summary="Cinéma en plein air",
                 territory=SAINT_PAUL, themes=["culture", "tourisme"],
                 published="2025-01-01T00:00:00Z"),
        Document(f"{BASE}/projects/velo", "projects", "Project", name="Atelier vélo",
                 summary="Réparer ensemble", territory=SAINT_DENIS, themes=["transport"],
                 published="2026-03-01T00:00:00Z"),
    ]
    found.index_documents(docs)
    return found


def iris(results: search.Results) -> list[str]:
    return [hit.iri.rsplit("/", 2)[-2] + "/" + hit.iri.rsplit("/", 1)[-1] for hit in results.hits]


def test_french_words_without_accents_and_prefixes(index: SearchIndex) -> None:
    assert "events/fete" in iris(index.search("fete"))
    assert "events/fete" in iris(index.search("FÊTE"))
    assert iris(index.search("festiv")) == ["organizations/festival"]
    assert iris(index.search("cinema plein air")) == ["organizations/festival"]
    assert index.search("la de les").hits == []  # only stop words: nothing to match


def test_a_name_outranks_a_mention_in_the_text(index: SearchIndex) -> None:
    found = index.search("fête")
    assert iris(found) == ["events/fete", "posts/1"]
    assert found.hits[0].score > found.hits[1].score
    assert found.total == 2 and not found.capped


def test_snippets_mark_the_words_found(index: SearchIndex) -> None:
    hit = index.search("kiosque").hits[0]
    assert ("kiosque", True) in hit.snippet
    assert "rangement" in hit.snippet_text
    assert hit.territory_name == "Saint-Paul"


def test_perimeter_holds_everything_inside_it(index: SearchIndex) -> None:
    assert iris(index.search("fête", perimeter=SAINT_DENIS)) == ["events/fete"]
    assert iris(index.search("fête", perimeter=SAINT_PAUL)) == ["posts/1"]
    assert iris(index.search("fête", perimeter=CINOR)) == ["events/fete"]
    assert len(index.search("fête", perimeter=DEPARTEMENT).hits) == 2
    assert len(index.search("fête", perimeter=FRANCE).hits) == 2
    with pytest.raises(SearchError, match="unknown territory"):
        index.search("fête", perimeter=f"{T}/99999")


def test_themes_and_types_filter_and_order_by_recency(index: SearchIndex) -> None:
    assert iris(index.search(themes=["culture"])) == ["events/fete", "organizations/festival"]
    assert iris(index.search(themes=["culture", "transport"])) == [
        "events/fete", "projects/velo", "organizations/festival"]
    assert iris(index.search(types=["organizations", "projects"])) == [
        "projects/velo", "organizations/festival"]
    assert iris(index.search("fête", types=["posts"])) == ["posts/1"]
    assert iris(index.search(themes=["culture"], perimeter=SAINT_PAUL)) == [
        "organizations/festival"]
    with pytest.raises(SearchError, match="theme"):
        index.search(themes=["astrologie"])
    with pytest.raises(SearchError, match="type"):
        index.search(types=["spaceships"])


def test_query_syntax_is_never_interpreted(index: SearchIndex) -> None:
    for text in ('"', "fête AND", "NEAR(x y)", "*", "name:fête", "fête OR 1=1 --", "^()"):
        index.search(text)  # no sqlite3.OperationalError


def test_writes_update_and_remove(index: SearchIndex) -> None:
    post = f"{BASE}/posts/2"
    ntriples = (f'<{post}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                f'<https://w3id.org/communecter/ns#Post> .\n'
                f'<{post}> <https://www.w3.org/ns/activitystreams#content> '
                f'"Grand pique-nique au Barachois" .\n'
                f'<{post}> <https://w3id.org/communecter/ns#territory> <{SAINT_DENIS}> .\n')
    index.on_resource_changed(post, ntriples)
    assert iris(index.search("barachois", perimeter=DEPARTEMENT)) == ["posts/2"]
    index.on_resource_changed(post, ntriples.replace("Barachois", "Chaudron"))
    assert index.search("barachois").hits == []
    assert iris(index.search("chaudron")) == ["posts/2"]
    tombstone = (f'<{post}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                 f'<https://www.w3.org/ns/activitystreams#Tombstone> .\n')
    index.on_resource_changed(post, tombstone)
    assert index.search("chaudron").hits == []
    index.on_resource_changed(f"{BASE}/events/fete", None)
    assert iris(index.search("fête")) == ["posts/1"]


def test_rebuild_from_the_store_and_staleness(tmp_path: Path) -> None:
    store = OxigraphStore()
    load_territories(store, BASE, read_territories())
    event = f"{BASE}/events/marche"
    store.write(Write(replace={event: (
        f'<{event}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
        f'<https://w3id.org/communecter/ns#Event> .\n'
        f'<{event}> <https://www.w3.org/ns/activitystreams#name> "Marché forain" .\n'
        f'<{event}> <https://w3id.org/communecter/ns#territory> <{SAINT_PAUL}> .\n'
        f'<{event}> <http://purl.org/dc/terms/modified> '
        f'"2026-06-01T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n')}))
    index = SearchIndex(tmp_path / "search.sqlite3")
    assert not index.is_current(store)
    assert index.rebuild(store) == 33  # 32 territories and the event
    assert index.is_current(store)
    assert iris(index.search("marche forain", perimeter=f"{T}/region-04")) == ["events/marche"]
    assert iris(index.search("Saint-Paul", types=["territories"])) == ["territories/97415"]
    assert iris(index.search("97460")) == ["territories/97415"]  # one of its postal codes
    assert [t.name for t in index.chain(SAINT_DENIS)][-1] == "France"
    store.write(Write(delete=[event]))  # a write no observer saw
    assert not index.is_current(store)
    assert index.ensure_current(store)
    assert index.search("marche").hits == [] and index.is_current(store)
    assert not index.ensure_current(store)  # nothing to do
