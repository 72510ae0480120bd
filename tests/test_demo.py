"""The La Réunion demo dataset: deterministic, complete, linked, alive around ``now``."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache

from rdflib import RDF, Graph, URIRef

from ontology import AS, CC, CCT, DCTERMS, ORG, SCHEMA
from store.demo import COUNTS, demo_resources
from store.territories import read_territories, territory_graphs

BASE = "http://127.0.0.1:8000"
NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
THEMES = ["periscolaire", "associatif", "economie", "territoire", "tourisme", "dechets",
          "culture", "social", "emploi", "transport", "logement", "energie", "agriculture",
          "alimentation", "sante", "education", "citoyennete", "environnement", "numerique",
          "sport"]
LINKS = (CC.territory, AS.attributedTo, ORG.memberOf, CC.wall, SCHEMA.superEvent, AS.location,
         DCTERMS.creator, CC.governs)


@cache
def dataset() -> tuple[tuple[str, Graph], ...]:
    return tuple(demo_resources(BASE, NOW))


@cache
def types() -> dict[str, URIRef]:
    return {iri: g.value(URIRef(iri), RDF.type) for iri, g in dataset()}


def values(predicate: URIRef) -> list[tuple[str, object]]:
    return [(iri, o) for iri, g in dataset() for o in g.objects(URIRef(iri), predicate)]


def triples(resources: tuple[tuple[str, Graph], ...] | list[tuple[str, Graph]]) -> list:
    return [(iri, frozenset(g)) for iri, g in resources]


def test_deterministic_for_a_seed() -> None:
    assert triples(demo_resources(BASE + "/", NOW, seed=974)) == triples(dataset())


def test_counts_in_expected_ranges() -> None:
    counts = Counter(str(t).rsplit("#", 1)[1] for t in types().values())
    assert 380 <= counts["Citizen"] <= 420
    assert counts["PublicAuthority"] == 26
    assert 55 <= counts["Association"] <= 65
    assert 35 <= counts["Business"] <= 45
    assert 8 <= counts["InformalGroup"] <= 12
    assert 35 <= counts["Project"] <= 45
    assert 110 <= counts["Event"] <= 130
    assert 35 <= counts["PointOfInterest"] <= 45
    assert 550 <= counts["Post"] <= 650
    assert 12 <= counts["Proposal"] <= 18
    assert 35 <= counts["Offer"] + counts["Need"] <= 45 and counts["Offer"] and counts["Need"]
    assert COUNTS["citizens"] == counts["Citizen"]


def test_iris_and_slugs() -> None:
    iris = [iri for iri, _ in dataset()]
    assert len(set(iris)) == len(iris)
    containers = {"Citizen": "persons", "Project": "projects", "Event": "events",
                  "Post": "posts", "Proposal": "proposals", "Offer": "offers", "Need": "offers",
                  "PointOfInterest": "places"}
    for iri, cls in types().items():
        container, slug = iri.removeprefix(BASE + "/").split("/")
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), iri
        assert container == containers.get(str(cls).rsplit("#", 1)[1], "organizations")
    for iri, username in values(AS.preferredUsername):
        assert iri.endswith("/" + str(username))


def test_every_link_resolves_in_order() -> None:
    territories = {iri for iri, _ in territory_graphs(BASE, read_territories())}
    seen: set[str] = set()
    for iri, graph in dataset():
        for predicate in LINKS:
            for target in graph.objects(URIRef(iri), predicate):
                target = str(target)
                assert target in territories or target in types(), (iri, predicate, target)
                if predicate != ORG.memberOf and target != iri:
                    assert target in territories or target in seen, (iri, predicate, target)
        seen.add(iri)


def test_every_commune_is_alive() -> None:
    communes = [t for t in read_territories() if t.kind == "commune"]
    walls = Counter(str(o) for _, o in values(CC.wall))
    located = Counter((str(types()[iri]).rsplit("#", 1)[1], str(o))
                      for iri, o in values(CC.territory))
    for commune in communes:
        iri = f"{BASE}/territories/{commune.code}"
        assert walls[iri] >= 5, commune.name
        for cls in ("Citizen", "PublicAuthority", "Association", "Event", "PointOfInterest"):
            assert located[(cls, iri)] >= 1, (commune.name, cls)
    assert located[("Citizen", f"{BASE}/territories/97411")] > located[
        ("Citizen", f"{BASE}/territories/97424")]


def test_all_themes_are_used() -> None:
    used = {o for _, o in values(CC.theme)}
    assert used == {CCT[theme] for theme in THEMES}


def test_authorities_govern_their_territory() -> None:
    governs = {str(o) for _, o in values(CC.governs)}
    assert len(governs) == 26
    assert f"{BASE}/territories/departement-974" in governs
    assert f"{BASE}/territories/region-04" in governs
    names = {str(o) for iri, o in values(AS.name) if "/organizations/" in iri}
    assert {"Mairie de Saint-Denis", "Mairie du Port", "Mairie des Avirons"} <= names


def test_events_around_now() -> None:
    starts = {iri: o.toPython() for iri, o in values(AS.startTime)}
    ends = {iri: o.toPython() for iri, o in values(AS.endTime) if iri in starts}
    upcoming = [s for s in starts.values() if s > NOW]
    assert len(upcoming) >= 0.7 * len(starts)
    assert any(s < NOW for s in starts.values())
    assert all(s.utcoffset() is not None for s in starts.values())
    assert all(starts[iri] <= ends[iri] for iri in starts)
    assert max(starts.values()).date() < NOW.date().replace(year=NOW.year + 1)
    children = values(SCHEMA.superEvent)
    assert len(children) >= 3
    for child, parent in children:
        assert starts[str(parent)] <= starts[child] <= ends[str(parent)]
    assert all(p.toPython() <= NOW for _, p in values(AS.published))


def test_things_are_published_after_what_they_rely_on() -> None:
    published = {iri: o.toPython() for iri, o in values(AS.published)}
    for predicate in (DCTERMS.creator, AS.attributedTo, CC.wall, AS.location):
        for iri, target in values(predicate):
            if str(target) in published and str(target) != iri:
                assert published[str(target)] <= published[iri], (iri, predicate, target)


def test_citizens_are_realistic() -> None:
    citizens = [iri for iri, t in types().items() if t == CC.Citizen]
    with_memberships = {iri for iri, _ in values(ORG.memberOf)}
    assert len(with_memberships) > len(citizens) / 2
    skills = Counter(iri for iri, _ in values(CC.skill))
    assert all(skills[iri] >= 1 for iri in citizens)
    summaries = dict(values(AS.summary))
    assert all(str(summaries[iri])[:1].isupper() for iri in citizens)


def test_posts_are_varied_french_text() -> None:
    posts = [str(o) for iri, o in values(AS.content) if types()[iri] == CC.Post]
    assert len(set(posts)) > 0.9 * len(posts)
    assert not any("lorem" in p.lower() or "{" in p for p in posts)
    assert sum(" le " in p or " la " in p or " de " in p for p in posts) > 0.8 * len(posts)


def test_shapes_accept_a_sample() -> None:
    import shapes

    by_type: dict[URIRef, tuple[str, Graph]] = {}
    for iri, graph in dataset():
        by_type.setdefault(graph.value(URIRef(iri), RDF.type), (iri, graph))
    for iri, graph in by_type.values():
        result = shapes.validate(graph)
        assert result.conforms, (iri, result.messages)
