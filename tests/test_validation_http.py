"""Writes over HTTP that break a shape get 422 with a SHACL report, and change nothing.

For every resource type: a valid example is accepted (so the refusal is about the violation,
not the type), and a violating one is answered 422 with a SHACL validation report — Turtle
by default (after '# ' summary lines), JSON-LD on request — whose sh:ValidationResult names
the offending property; the store and the container listing stay exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from tests.conftest import BASE

CC = "https://w3id.org/communecter/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SCHEMA = "http://schema.org/"
TERRITORY = f"{BASE}/territories/97411"  # Saint-Denis
ALICE = f"{BASE}/persons/alice"
PROPOSAL_SLUG = "piste-cyclable"
PROPOSAL = f"{BASE}/proposals/{PROPOSAL_SLUG}"

PREFIXES = f"""@prefix cc: <{CC}> .
@prefix cct: <https://w3id.org/communecter/themes#> .
@prefix as: <{AS}> .
@prefix schema: <{SCHEMA}> .
@prefix geo: <{GEO}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SHORT = {CC: "cc:", AS: "as:", GEO: "geo:", SCHEMA: "schema:"}


def ttl(body: str) -> bytes:
    text = PREFIXES + body.replace("{T}", f"<{TERRITORY}>").replace("{ALICE}", f"<{ALICE}>")
    return text.replace("{PROPOSAL}", f"<{PROPOSAL}>").encode()


@dataclass(frozen=True)
class Case:
    type: str
    container: str
    valid: str
    invalid: str
    path: str  # the offending property (full IRI)
    needs_proposal: bool = False

    @property
    def short_path(self) -> str:
        for namespace, prefix in SHORT.items():
            if self.path.startswith(namespace):
                return prefix + self.path[len(namespace):]
        return self.path


CASES = [
    Case("Association", "organizations",
         '<> a cc:Association ; as:name "Les Amis du Jardin" ; cc:territory {T} .',
         '<> a cc:Association ; cc:territory {T} .',  # no name
         AS + "name"),
    Case("Business", "organizations",
         '<> a cc:Business ; as:name "Boulangerie Péi" ; cc:territory {T} ; '
         'schema:streetAddress "1 rue de Paris" .',
         '<> a cc:Business ; as:name "Boulangerie Péi" ; cc:territory {T} ; '
         'schema:streetAddress "1 rue de Paris", "2 rue de Nice" .',  # two addresses
         SCHEMA + "streetAddress"),
    Case("PublicAuthority", "organizations",
         '<> a cc:PublicAuthority ; as:name "Mairie" ; cc:territory {T} ; cc:governs {T} .',
         '<> a cc:PublicAuthority ; as:name "Mairie" ; cc:territory {T} ; '
         'cc:governs "Saint-Denis" .',  # a literal where an IRI is needed
         CC + "governs"),
    Case("InformalGroup", "organizations",
         '<> a cc:InformalGroup ; as:name "Collectif des Hauts" ; cc:territory {T} .',
         '<> a cc:InformalGroup ; as:name "Collectif des Hauts" .',  # no territory
         CC + "territory"),
    Case("Project", "projects",
         '<> a cc:Project ; as:name "Jardin partagé" ; cc:territory {T} ; cc:stage cc:StageIdea ; '
         'cc:theme cct:agriculture .',
         '<> a cc:Project ; as:name "Jardin partagé" ; cc:territory {T} ; '
         'cc:stage cc:StageDreaming .',  # not one of the stages
         CC + "stage"),
    Case("Event", "events",
         '<> a cc:Event ; as:name "Fête" ; cc:territory {T} ; '
         'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .',
         '<> a cc:Event ; as:name "Fête" ; cc:territory {T} ; as:startTime "demain soir" .',
         AS + "startTime"),
    Case("Post", "posts",
         '<> a cc:Post ; as:content "Bonjour le quartier !" ; as:attributedTo {ALICE} ; '
         'cc:wall {T} .',
         '<> a cc:Post ; as:content "Bonjour le quartier !" ; cc:wall {T} .',  # no author
         AS + "attributedTo"),
    Case("Proposal", "proposals",
         '<> a cc:Proposal ; as:name "Une piste cyclable" ; cc:territory {T} ; '
         'cc:option "Oui", "Non" ; as:endTime "2027-01-31T23:59:59+04:00"^^xsd:dateTime .',
         '<> a cc:Proposal ; as:name "Une piste cyclable" ; cc:territory {T} ; '
         'cc:option "Oui", "" .',  # an empty option
         CC + "option"),
    Case("Amendment", "proposals",
         '<> a cc:Amendment ; as:content "Ajouter un parking à vélos." ; cc:amends {PROPOSAL} .',
         '<> a cc:Amendment ; as:content "Ajouter un parking à vélos." ; '
         'cc:amends "la proposition" .',  # a literal where an IRI is needed
         CC + "amends", needs_proposal=True),
    Case("Vote", "proposals",
         '<> a cc:Vote ; as:attributedTo {ALICE} ; cc:voteOn {PROPOSAL} ; cc:choice "Oui" .',
         '<> a cc:Vote ; as:attributedTo {ALICE} ; cc:voteOn {PROPOSAL} .',  # no choice
         CC + "choice", needs_proposal=True),
    Case("Action", "proposals",
         '<> a cc:Action ; as:name "Tracer la piste" ; cc:fromProposal {PROPOSAL} .',
         '<> a cc:Action ; as:name "Tracer la piste" ; cc:fromProposal "la piste" .',
         CC + "fromProposal", needs_proposal=True),
    Case("Offer", "offers",
         '<> a cc:Offer ; as:name "Chambre à louer" ; cc:territory {T} ; cc:category cc:Housing .',
         '<> a cc:Offer ; as:name "Chambre à louer" ; cc:territory {T} ; '
         'cc:category cc:Spaceship .',  # not one of the categories
         CC + "category"),
    Case("Need", "offers",
         '<> a cc:Need ; as:name "Covoiturage vers Saint-Pierre" ; cc:territory {T} ; '
         'cc:category cc:Carpooling .',
         '<> a cc:Need ; as:name "Covoiturage vers Saint-Pierre" ; cc:territory {T} .',
         CC + "category"),
    Case("PointOfInterest", "places",
         '<> a cc:PointOfInterest ; as:name "Le Barachois" ; cc:territory {T} ; '
         'geo:lat "-20.8789"^^xsd:decimal ; geo:long "55.4481"^^xsd:decimal .',
         '<> a cc:PointOfInterest ; as:name "Le Barachois" ; cc:territory {T} ; '
         'geo:lat "95.0"^^xsd:decimal ; geo:long "55.4481"^^xsd:decimal .',  # latitude > 90
         GEO + "lat"),
]
# More violations of the checks every type shares, on a few types.
EXTRA_CASES = [
    Case("Event", "events", CASES[5].valid,
         '<> a cc:Event ; as:name "Fête" ; cc:territory {T} ; '
         'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ; '
         'as:endTime "2026-12-20T17:00:00+04:00"^^xsd:dateTime .',  # ends before it starts
         AS + "startTime"),
    Case("Project", "projects", CASES[4].valid,
         '<> a cc:Project ; as:name "Jardin partagé" ; cc:territory {T} ; '
         'cc:theme cct:astrologie .',  # not a theme
         CC + "theme"),
    Case("Event", "events", CASES[5].valid,
         '<> a cc:Event ; as:name "Fête"@fr, "Fiesta"@fr ; cc:territory {T} ; '
         'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .',  # two French names
         AS + "name"),
    Case("Association", "organizations", CASES[0].valid,
         '<> a cc:Association ; as:name "Les Amis du Jardin" ; cc:territory {T} ; '
         'as:url "pas une adresse" .',  # a literal where an IRI is needed
         AS + "url"),
]


# --- helpers -----------------------------------------------------------------------------

def store_of(site):
    return site.app.extensions["communecter"].store


def dump(site) -> list[bytes]:
    data = b"".join(store_of(site).dump("application/n-quads"))
    return sorted(data.splitlines())


def listing(site, container: str) -> tuple[str, bytes]:
    response = site.client.get(f"/{container}/", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    return response.headers["ETag"], response.data


def post(site, container: str, body: bytes, slug: str | None = None, **headers):
    headers = {"Content-Type": "text/turtle", **site.auth("alice"), **headers}
    if slug:
        headers["Slug"] = slug
    return site.client.post(f"/{container}/", data=body, headers=headers)


def make_proposal(site) -> None:
    body = ttl('<> a cc:Proposal ; as:name "Une piste cyclable" ; cc:territory {T} ; '
               'cc:option "Oui", "Non" .')
    response = post(site, "proposals", body, PROPOSAL_SLUG)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == PROPOSAL


def results_for(report: Graph, path: str) -> list:
    return [r for r in report.subjects(RDF.type, SH.ValidationResult)
            if report.value(r, SH.resultPath) == URIRef(path)]


def check_turtle_report(response, case: Case, focus: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "text/turtle"
    text = response.get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0].startswith("# "), f"the report does not start with a summary: {text[:200]}"
    summary = []
    for line in lines:
        if not line.startswith("#"):
            break
        summary.append(line)
    assert any(case.short_path in line or case.path in line for line in summary), (
        f"no summary line names {case.short_path}: {summary}")
    report = Graph().parse(data=text, format="turtle")
    check_report(report, case, focus)


def check_jsonld_report(response, case: Case, focus: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    report = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    check_report(report, case, focus)


def check_report(report: Graph, case: Case, focus: str) -> None:
    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert report.value(reports[0], SH.conforms).toPython() is False
    found = results_for(report, case.path)
    paths = sorted(str(report.value(r, SH.resultPath))
                   for r in report.subjects(RDF.type, SH.ValidationResult))
    assert found, f"no sh:ValidationResult with sh:resultPath {case.path}; paths: {paths}"
    assert any(report.value(r, SH.focusNode) == URIRef(focus) for r in found)
    assert any(report.value(r, SH.resultSeverity) == SH.Violation for r in found)
    assert all(report.value(r, SH.resultMessage) is not None for r in found)


def case_id(case: Case) -> str:
    return f"{case.type}-{case.short_path}"


# --- every type: a valid example is created -------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_valid_example_is_created(site, case: Case) -> None:
    if case.needs_proposal:
        make_proposal(site)
    slug = f"good-{case.type.lower()}"
    response = post(site, case.container, ttl(case.valid), slug)
    assert response.status_code == 201, response.get_data(as_text=True)
    iri = f"{BASE}/{case.container}/{slug}"
    assert response.headers["Location"] == iri
    got = site.client.get(iri, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200
    graph = Graph().parse(data=got.get_data(as_text=True), format="nt")
    assert (URIRef(iri), RDF.type, URIRef(CC + case.type)) in graph
    _, members = listing(site, case.container)
    assert f"<{iri}>".encode() in members


def test_valid_citizen_profile_is_updated(site) -> None:
    body = ttl('<> a cc:Citizen ; as:preferredUsername "alice" ; as:name "Alice" ; '
               'cc:skill "jardinage" .')
    response = site.client.put("/persons/alice", data=body,
                               headers={"Content-Type": "text/turtle", **site.auth("alice")})
    assert response.status_code == 204, response.get_data(as_text=True)
    got = site.client.get("/persons/alice", headers={"Accept": "application/n-triples"})
    assert f'<{CC}skill> "jardinage"' in got.get_data(as_text=True)


# --- every type: a violation is refused with a report, and nothing changes -------------------

@pytest.mark.parametrize("case", CASES + EXTRA_CASES, ids=case_id)
def test_violation_is_refused_with_report(site, case: Case) -> None:
    if case.needs_proposal:
        make_proposal(site)
    before, container_before = dump(site), listing(site, case.container)
    slug = f"bad-{case.type.lower()}"
    iri = f"{BASE}/{case.container}/{slug}"

    turtle = post(site, case.container, ttl(case.invalid), slug)
    check_turtle_report(turtle, case, iri)
    assert "constrainedBy" in turtle.headers.get("Link", "")

    jsonld = post(site, case.container, ttl(case.invalid), slug, Accept="application/ld+json")
    check_jsonld_report(jsonld, case, iri)

    assert dump(site) == before, "a refused write changed the store"
    assert listing(site, case.container) == container_before
    assert site.client.get(iri).status_code == 404


def test_citizen_violation_is_refused_with_report(site) -> None:
    case = Case("Citizen", "persons", "",
                '<> a cc:Citizen ; as:preferredUsername "alice" ; as:name "Alice" ; cc:skill "" .',
                CC + "skill")
    before, container_before = dump(site), listing(site, "persons")
    profile_before = site.client.get("/persons/alice", headers={"Accept": "application/n-triples"})
    headers = {"Content-Type": "text/turtle", **site.auth("alice")}

    turtle = site.client.put("/persons/alice", data=ttl(case.invalid), headers=headers)
    check_turtle_report(turtle, case, ALICE)
    jsonld = site.client.put("/persons/alice", data=ttl(case.invalid),
                             headers={**headers, "Accept": "application/ld+json"})
    check_jsonld_report(jsonld, case, ALICE)

    assert dump(site) == before
    assert listing(site, "persons") == container_before
    profile_after = site.client.get("/persons/alice", headers={"Accept": "application/n-triples"})
    assert profile_after.headers["ETag"] == profile_before.headers["ETag"]
    assert profile_after.data == profile_before.data


def test_citizen_bad_handle_is_refused_with_report(site) -> None:
    case = Case("Citizen", "persons", "",
                '<> a cc:Citizen ; as:preferredUsername "-alice/../root" ; as:name "Alice" .',
                AS + "preferredUsername")
    before = dump(site)
    response = site.client.put("/persons/alice", data=ttl(case.invalid),
                               headers={"Content-Type": "text/turtle", **site.auth("alice")})
    check_turtle_report(response, case, ALICE)
    assert dump(site) == before


# --- refusals that are not about one property -------------------------------------------

def refused_unchanged(site, container: str, body: bytes, slug: str, *words: str) -> str:
    """POSTs `body`, expects 422 naming every word, and checks nothing was stored."""
    before, container_before = dump(site), listing(site, container)
    response = post(site, container, body, slug)
    text = response.get_data(as_text=True)
    assert response.status_code == 422, text
    for word in words:
        assert word in text, f"{word!r} is not in the answer: {text[:500]}"
    assert dump(site) == before
    assert listing(site, container) == container_before
    assert site.client.get(f"/{container}/{slug}").status_code == 404
    return text


def test_link_to_missing_territory_is_refused(site) -> None:
    missing = f"{BASE}/territories/99999"
    body = ttl('<> a cc:Event ; as:name "Fête" ; '
               'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime ; '
               f'cc:territory <{missing}> .')
    refused_unchanged(site, "events", body, "nowhere", missing)


def test_link_to_missing_proposal_is_refused(site) -> None:
    missing = f"{BASE}/proposals/never-made"
    body = ttl(f'<> a cc:Vote ; as:attributedTo {{ALICE}} ; cc:voteOn <{missing}> ; '
               'cc:choice "Oui" .')
    refused_unchanged(site, "proposals", body, "ghost-vote", missing)


def test_body_about_another_subject_is_refused(site) -> None:
    body = ttl('<http://elsewhere.example/e1> a cc:Event ; as:name "Fête" ; cc:territory {T} ; '
               'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .')
    refused_unchanged(site, "events", body, "elsewhere", f"{BASE}/events/elsewhere")


def test_body_about_another_local_resource_is_refused(site) -> None:
    other = f"{BASE}/events/someone-else"
    body = ttl(f'<{other}> a cc:Event ; as:name "Fête" ; cc:territory {{T}} ; '
               'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .')
    refused_unchanged(site, "events", body, "mine", f"{BASE}/events/mine")
    assert site.client.get("/events/someone-else").status_code == 404


@pytest.mark.parametrize("container", ["events", "projects"])
def test_two_types_from_different_containers_are_refused(site, container: str) -> None:
    body = ttl('<> a cc:Event, cc:Project ; as:name "Fête du projet" ; cc:territory {T} ; '
               'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .')
    text = refused_unchanged(site, container, body, "both", "type")
    if text.startswith("#"):
        report = Graph().parse(data=text, format="turtle")
        assert results_for(report, str(RDF.type))


def test_two_types_of_one_container_are_refused(site) -> None:
    body = ttl('<> a cc:Association, cc:Business ; as:name "Les deux" ; cc:territory {T} .')
    refused_unchanged(site, "organizations", body, "both", "type")


@pytest.mark.parametrize(("container", "kind"), [
    ("organizations", "Event"), ("events", "Project"), ("places", "Offer"), ("posts", "Citizen"),
])
def test_type_not_allowed_in_container_is_refused(site, container: str, kind: str) -> None:
    body = ttl(f'<> a cc:{kind} ; as:name "Égaré" ; cc:territory {{T}} ; as:content "x" ; '
               'as:attributedTo {ALICE} ; cc:category cc:Housing ; '
               'as:startTime "2026-12-20T18:00:00+04:00"^^xsd:dateTime .')
    refused_unchanged(site, container, body, "lost", f"/{container}/")


def test_no_type_at_all_is_refused(site) -> None:
    body = ttl('<> as:name "Sans type" ; cc:territory {T} .')
    refused_unchanged(site, "events", body, "untyped", "type")
