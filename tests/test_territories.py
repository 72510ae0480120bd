"""The derived territory files and their RDF: the facts the platform relies on."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache

import pytest
import rdflib
from rdflib import RDF, Literal, URIRef

from ontology import AS, CC, GEO
from store.territories import (
    FRANCE_PATH,
    REUNION_PATH,
    Territory,
    ancestors,
    communes_for_postal_code,
    index_territories,
    read_territories,
    territory_graph,
    territory_graphs,
    territory_iri,
)

BASE = "http://127.0.0.1:8000"


@cache
def reunion() -> tuple[Territory, ...]:
    return tuple(read_territories())


@cache
def france() -> tuple[Territory, ...]:
    return tuple(read_territories(FRANCE_PATH))


def by_code(territories: tuple[Territory, ...], kind: str, code: str) -> Territory:
    return index_territories(territories)[(kind, code)]


def test_reunion_contents() -> None:
    kinds = Counter(t.kind for t in reunion())
    assert kinds == {"country": 1, "region": 1, "departement": 1, "epci": 5, "commune": 24}
    assert read_territories(REUNION_PATH) == list(reunion())
    communes = [t for t in reunion() if t.kind == "commune"]
    assert all(t.code.startswith("974") for t in communes)
    assert len({p for t in communes for p in t.postal_codes}) == 37
    assert all(t.population and t.lat and t.long for t in communes)
    assert all(Decimal("-21.5") < t.lat < Decimal("-20.8") for t in communes)


def test_insee_code_is_not_postal_code() -> None:
    saint_denis = by_code(reunion(), "commune", "97411")
    assert saint_denis.name == "Saint-Denis"
    assert "97400" in saint_denis.postal_codes
    assert [t.name for t in communes_for_postal_code(reunion(), "97411")] == ["Saint-Paul"]
    assert communes_for_postal_code(reunion(), "75001") == []


def test_reunion_hierarchy_reaches_france() -> None:
    index = index_territories(reunion())
    saint_denis = index[("commune", "97411")]
    chain = [(t.kind, t.code) for t in ancestors(index, saint_denis)]
    assert chain == [("epci", "249740119"), ("departement", "974"), ("region", "04"),
                     ("country", "FR")]
    for territory in reunion():
        assert ancestors(index, territory)[-1:] in ([], [index[("country", "FR")]])


def test_iris() -> None:
    assert territory_iri(BASE, "country", "FR") == f"{BASE}/territories/FR"
    assert territory_iri(BASE + "/", "region", "04") == f"{BASE}/territories/region-04"
    assert territory_iri(BASE, "departement", "2A") == f"{BASE}/territories/departement-2A"
    assert territory_iri(BASE, "epci", "249740119") == f"{BASE}/territories/epci-249740119"
    assert territory_iri(BASE, "commune", "97411") == f"{BASE}/territories/97411"
    assert territory_iri(BASE, "arrondissement", "75101") == f"{BASE}/territories/75101"
    with pytest.raises(ValueError):
        territory_iri(BASE, "canton", "9701")


def test_commune_graph_triples() -> None:
    graphs = dict(territory_graphs(BASE, reunion()))
    assert len(graphs) == 32
    iri = f"{BASE}/territories/97411"
    s, g = URIRef(iri), graphs[iri]
    assert set(g.subjects()) == {s}
    assert g.value(s, RDF.type) == CC.Commune
    assert g.value(s, AS.name) == Literal("Saint-Denis")
    assert g.value(s, CC.inseeCode) == Literal("97411")
    assert g.value(s, CC.officialCode) == Literal("97411")
    assert set(g.objects(s, CC.postalCode)) == {Literal(p) for p in ("97400", "97417", "97490")}
    assert g.value(s, CC.partOf) == URIRef(f"{BASE}/territories/epci-249740119")
    population = g.value(s, CC.population)
    assert population.datatype == rdflib.XSD.integer and population.toPython() > 100_000
    assert g.value(s, GEO.lat).datatype == rdflib.XSD.decimal
    assert g.value(s, GEO.long).toPython() == by_code(reunion(), "commune", "97411").long


def test_upper_territory_graphs() -> None:
    graphs = dict(territory_graphs(BASE, reunion()))
    expected = {
        "FR": (CC.Country, None),
        "region-04": (CC.Region, "FR"),
        "departement-974": (CC.Departement, "region-04"),
        "epci-249740119": (CC.Intercommunality, "departement-974"),
    }
    for suffix, (cls, parent) in expected.items():
        s = URIRef(f"{BASE}/territories/{suffix}")
        g = graphs[str(s)]
        assert g.value(s, RDF.type) == cls
        assert g.value(s, AS.name) is not None
        assert (s, CC.inseeCode, None) not in g
        assert g.value(s, CC.partOf) == (URIRef(f"{BASE}/territories/{parent}") if parent else None)
    order = list(graphs)
    assert order.index(f"{BASE}/territories/FR") < order.index(f"{BASE}/territories/97411")


def test_france_counts() -> None:
    kinds = Counter(t.kind for t in france())
    assert kinds["country"] == 1
    assert kinds["region"] == 18
    assert kinds["departement"] == 101
    assert 1200 < kinds["epci"] < 1300
    assert 34_000 < kinds["commune"] < 36_000
    assert kinds["arrondissement"] == 45
    assert FRANCE_PATH.stat().st_size < 1_000_000


def test_france_is_consistent_and_sorted() -> None:
    index = index_territories(france())
    assert len(index) == len(france())
    for territory in france():
        if territory.parent_kind:
            assert (territory.parent_kind, territory.parent_code) in index
    keys = [(("country", "region", "departement", "epci", "commune", "arrondissement")
             .index(t.kind), t.code) for t in france()]
    assert keys == sorted(keys)
    reunion_rows = {t.key: t for t in reunion()}
    assert all(index[key] == row for key, row in reunion_rows.items())


def test_france_details() -> None:
    dep = by_code(france(), "departement", "974")
    assert (dep.name, dep.parent_kind, dep.parent_code) == ("La Réunion", "region", "04")
    assert by_code(france(), "departement", "2A").parent_code == "94"
    for city, arrondissements in (("75056", 20), ("69123", 9), ("13055", 16)):
        children = [t for t in france() if t.parent_kind == "commune" and t.parent_code == city]
        assert len(children) == arrondissements
        assert all(t.kind == "arrondissement" and t.postal_codes for t in children)
    paris_1 = by_code(france(), "arrondissement", "75101")
    assert [t.code for t in communes_for_postal_code(france(), "75001")] == ["75056", "75101"]
    assert communes_for_postal_code(france(), "75001", include_arrondissements=False)[0].code \
        == "75056"
    assert paris_1.lat is not None
    noumea = by_code(france(), "commune", "98818")
    assert (noumea.parent_kind, noumea.parent_code) == ("country", "FR")
    lyon = by_code(france(), "commune", "69123")
    assert lyon.parent_kind == "epci" and lyon.lat and lyon.population > 500_000


def test_arrondissement_graph_is_a_commune_of_its_commune() -> None:
    paris_1 = by_code(france(), "arrondissement", "75101")
    s = URIRef(f"{BASE}/territories/75101")
    g = territory_graph(BASE, paris_1)
    assert g.value(s, RDF.type) == CC.Commune
    assert g.value(s, CC.partOf) == URIRef(f"{BASE}/territories/75056")
    assert g.value(s, CC.inseeCode) == Literal("75101")


def test_shapes_accept_territories() -> None:
    shapes = pytest.importorskip("shapes")
    sample = [t for t in france() if t.code in ("FR", "94", "2A", "75101", "98818", "2A004")]
    for iri, graph in territory_graphs(BASE, list(reunion()) + sample):
        result = shapes.validate(graph)
        assert result.conforms, (iri, result.messages)
