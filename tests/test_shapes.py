"""The SHACL shapes: valid resources pass, broken ones fail with a message naming the path.

Every example also goes through pyshacl, the reference implementation, to prove the
compiled fast path (shapes/_engine.py) reaches the same verdict on the same nodes.
"""

from __future__ import annotations

import re
import time

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

import shapes
from ontology import CC, RESOURCE_CLASSES, SH

PREFIXES = """
@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix cct: <https://w3id.org/communecter/themes#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix schema: <http://schema.org/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix mz: <https://joinmobilizon.org/ns#> .
"""


def ttl(body: str) -> Graph:
    """Parse an example; `ex:path/to/x` is shorthand for an IRI on the local instance."""
    body = re.sub(r"\bex:([\w/.-]*\w)", r"<http://127.0.0.1:8000/\1>", body)
    return Graph().parse(data=PREFIXES + body, format="turtle")


# --- valid resources, one per type (with foreign triples: shapes are open) ----------

VALID = {
    "citizen": """
        ex:persons/marie a cc:Citizen , foaf:Person ;
            as:preferredUsername "marie.hoarau" ;
            as:name "Marie Hoarau" ;
            as:summary "Jardinière à Saint-Paul."@fr ;
            cc:skill "Permaculture" , "Compostage" ;
            org:memberOf ex:organizations/jardins ;
            cc:territory ex:territories/97415 ;
            cc:theme cct:agriculture , cct:alimentation ;
            dcterms:creator ex:persons/marie ;
            dcterms:created "2025-03-01T09:00:00Z"^^xsd:dateTime ;
            foaf:nick "mh" .
    """,
    "association": """
        ex:organizations/jardins a cc:Association ;
            as:name "Les Jardins partagés"@fr , "Shared gardens"@en ;
            as:summary "Association de jardins partagés." ;
            cc:territory ex:territories/97415 ;
            cc:theme cct:agriculture ;
            as:url <https://jardins.example.org/> ;
            geo:lat "-21.0096"^^xsd:decimal ; geo:long "55.2707"^^xsd:decimal ;
            schema:streetAddress "12 rue des Lilas" .
    """,
    "public-authority": """
        ex:organizations/mairie-saint-paul a cc:PublicAuthority ;
            as:name "Mairie de Saint-Paul" ;
            cc:territory ex:territories/97415 ;
            cc:governs ex:territories/97415 ;
            cc:verified true .
    """,
    "informal-group": """
        ex:organizations/voisins a cc:InformalGroup ;
            as:name "Les voisins du Bernica" ;
            cc:territory ex:territories/97415 .
    """,
    "business": """
        ex:organizations/epicerie a cc:Business ;
            as:name "Épicerie vrac" ;
            cc:territory ex:territories/97415 .
    """,
    "project": """
        ex:projects/compost a cc:Project ;
            as:name "Compost de quartier" ;
            cc:stage cc:StageStarted ;
            cc:territory ex:territories/97415 ;
            as:attributedTo ex:organizations/jardins ;
            cc:theme cct:dechets .
    """,
    "event": """
        ex:events/fete a cc:Event ;
            as:name "Fête des jardins" ;
            as:summary "Portes ouvertes." ;
            as:startTime "2025-06-01T10:00:00+04:00"^^xsd:dateTime ;
            as:endTime "2025-06-01T18:00:00+04:00"^^xsd:dateTime ;
            cc:eventType cc:Festival ;
            as:location ex:places/jardin ;
            schema:maximumAttendeeCapacity 200 ;
            schema:superEvent ex:events/saison ;
            as:attributedTo ex:organizations/jardins ;
            cc:territory ex:territories/97415 ;
            cc:theme cct:culture ;
            mz:joinMode "free" .
    """,
    "online-event": """
        ex:events/visio a cc:Event ;
            as:name "Réunion en ligne" ;
            as:startTime "2025-06-02T18:00:00Z"^^xsd:dateTime ;
            cc:onlineUrl <https://visio.example.org/room> ;
            cc:territory ex:territories/97415 .
    """,
    "post": """
        ex:posts/1 a cc:Post , as:Note ;
            as:content "Les inscriptions sont ouvertes !" ;
            as:attributedTo ex:persons/marie ;
            cc:wall ex:projects/compost ;
            as:inReplyTo ex:posts/0 ;
            as:published "2025-05-01T08:00:00Z"^^xsd:dateTime ;
            cc:territory ex:territories/97415 ;
            cc:theme cct:dechets .
    """,
    "proposal": """
        ex:proposals/horaires a cc:Proposal ;
            as:name "Horaires de la déchèterie" ;
            as:content "Ouvrir le dimanche matin ?" ;
            as:endTime "2025-07-01T00:00:00Z"^^xsd:dateTime ;
            cc:option "Oui" , "Non" , "Sans avis" ;
            cc:territory ex:territories/97415 .
    """,
    "amendment": """
        ex:proposals/horaires-am1 a cc:Amendment ;
            cc:amends ex:proposals/horaires ;
            as:content "Et le samedi après-midi." .
    """,
    "vote": """
        ex:proposals/horaires-v1 a cc:Vote ;
            cc:voteOn ex:proposals/horaires ;
            cc:choice "Oui" ;
            as:attributedTo ex:persons/marie .
    """,
    "action": """
        ex:proposals/horaires-a1 a cc:Action ;
            as:name "Afficher les nouveaux horaires" ;
            cc:fromProposal ex:proposals/horaires ;
            cc:territory ex:territories/97415 .
    """,
    "offer": """
        ex:offers/velo a cc:Offer ;
            as:name "Vélo d'enfant à donner" ;
            as:content "Bon état." ;
            cc:category cc:Donation ;
            cc:territory ex:territories/97415 .
    """,
    "need": """
        ex:offers/covoit a cc:Need ;
            as:name "Covoiturage vers Saint-Denis" ;
            cc:category cc:Carpooling ;
            cc:territory ex:territories/97415 .
    """,
    "place": """
        ex:places/jardin a cc:PointOfInterest ;
            as:name "Jardin du Bernica" ;
            geo:lat "-21.0096"^^xsd:decimal ; geo:long "55.2707"^^xsd:decimal ;
            cc:territory ex:territories/97415 .
    """,
    "commune": """
        ex:territories/97415 a cc:Commune ;
            as:name "Saint-Paul" ;
            cc:officialCode "97415" ; cc:inseeCode "97415" ;
            cc:postalCode "97460" , "97422" , "97434" ;
            cc:partOf ex:territories/249740077 ;
            cc:population 103492 ;
            geo:lat "-21.0096"^^xsd:decimal ; geo:long "55.2707"^^xsd:decimal .
    """,
    "neighbourhood": """
        ex:territories/97415-bernica a cc:Neighbourhood ;
            as:name "Bernica" ;
            cc:partOf ex:territories/97415 .
    """,
    "intercommunality": """
        ex:territories/249740077 a cc:Intercommunality ;
            as:name "Territoire de la Côte Ouest" ;
            cc:officialCode "249740077" ;
            cc:partOf ex:territories/974 .
    """,
    "departement": """
        ex:territories/974 a cc:Departement ;
            as:name "La Réunion" ; cc:officialCode "974" ; cc:partOf ex:territories/r04 .
    """,
    "region": """
        ex:territories/r04 a cc:Region ;
            as:name "La Réunion" ; cc:officialCode "04" ; cc:partOf ex:territories/FR .
    """,
    "country": """
        ex:territories/FR a cc:Country ; as:name "France" ; cc:officialCode "FR" .
    """,
}


def _replace(example: str, old: str, new: str) -> str:
    assert old in VALID[example], (example, old)
    return VALID[example].replace(old, new)


LONG_NAME = "x" * 201

# (id, turtle, path that must be named in a message)
INVALID = [
    # required fields
    ("event-no-start",
     _replace("event", 'as:startTime "2025-06-01T10:00:00+04:00"^^xsd:dateTime ;', ""),
     "as:startTime"),
    ("event-no-name", _replace("event", 'as:name "Fête des jardins" ;', ""), "as:name"),
    ("event-no-territory", _replace("event", "cc:territory ex:territories/97415 ;", ""),
     "cc:territory"),
    ("org-no-name",
     _replace("association", 'as:name "Les Jardins partagés"@fr , "Shared gardens"@en ;', ""),
     "as:name"),
    ("org-no-territory", _replace("business", "cc:territory ex:territories/97415 .", "."),
     "cc:territory"),
    ("project-no-name", _replace("project", 'as:name "Compost de quartier" ;', ""), "as:name"),
    ("post-no-content", _replace("post", 'as:content "Les inscriptions sont ouvertes !" ;', ""),
     "as:content"),
    ("post-no-author", _replace("post", "as:attributedTo ex:persons/marie ;", ""),
     "as:attributedTo"),
    ("post-two-authors", _replace("post", "as:attributedTo ex:persons/marie ;",
                                  "as:attributedTo ex:persons/marie , ex:persons/paul ;"),
     "as:attributedTo"),
    ("proposal-no-territory", _replace("proposal", "cc:territory ex:territories/97415 .", "."),
     "cc:territory"),
    ("amendment-no-target", _replace("amendment", "cc:amends ex:proposals/horaires ;", ""),
     "cc:amends"),
    ("amendment-no-content", _replace("amendment", 'as:content "Et le samedi après-midi." .', "."),
     "as:content"),
    ("vote-no-choice", _replace("vote", 'cc:choice "Oui" ;', ""), "cc:choice"),
    ("vote-no-proposal", _replace("vote", "cc:voteOn ex:proposals/horaires ;", ""), "cc:voteOn"),
    ("vote-no-voter", _replace("vote", "as:attributedTo ex:persons/marie .", "."),
     "as:attributedTo"),
    ("action-no-name", _replace("action", 'as:name "Afficher les nouveaux horaires" ;', ""),
     "as:name"),
    ("offer-no-category", _replace("offer", "cc:category cc:Donation ;", ""), "cc:category"),
    ("need-no-name", _replace("need", 'as:name "Covoiturage vers Saint-Denis" ;', ""), "as:name"),
    ("place-no-lat", _replace("place", 'geo:lat "-21.0096"^^xsd:decimal ;', ""), "geo:lat"),
    ("place-no-territory", _replace("place", "cc:territory ex:territories/97415 .", "."),
     "cc:territory"),
    ("commune-no-parent", _replace("commune", "cc:partOf ex:territories/249740077 ;", ""),
     "cc:partOf"),
    ("territory-no-name", _replace("country", 'as:name "France" ;', ""), "as:name"),
    # wrong datatype / node kind
    ("start-not-datetime", _replace("event", '"2025-06-01T10:00:00+04:00"^^xsd:dateTime',
                                    '"demain matin"'), "as:startTime"),
    ("capacity-not-integer", _replace("event", "schema:maximumAttendeeCapacity 200",
                                      'schema:maximumAttendeeCapacity "beaucoup"'),
     "schema:maximumAttendeeCapacity"),
    ("capacity-negative", _replace("event", "schema:maximumAttendeeCapacity 200",
                                   "schema:maximumAttendeeCapacity -3"),
     "schema:maximumAttendeeCapacity"),
    ("published-not-datetime", _replace("post", '"2025-05-01T08:00:00Z"^^xsd:dateTime', '"hier"'),
     "as:published"),
    ("lat-not-decimal", _replace("place", '"-21.0096"^^xsd:decimal', '"vingt et un sud"'),
     "geo:lat"),
    ("verified-not-boolean", _replace("public-authority", "cc:verified true", 'cc:verified "oui"'),
     "cc:verified"),
    ("population-not-integer", _replace("commune", "cc:population 103492",
                                        'cc:population "beaucoup"'), "cc:population"),
    ("name-not-text", _replace("business", 'as:name "Épicerie vrac"', "as:name 42"), "as:name"),
    ("territory-not-iri", _replace("project", "cc:territory ex:territories/97415",
                                   'cc:territory "97415"'), "cc:territory"),
    ("author-not-iri",
     _replace("post", "as:attributedTo ex:persons/marie", 'as:attributedTo "Marie"'),
     "as:attributedTo"),
    ("location-not-iri", _replace("event", "as:location ex:places/jardin",
                                  'as:location "au jardin"'), "as:location"),
    ("member-of-not-iri", _replace("citizen", "org:memberOf ex:organizations/jardins",
                                   'org:memberOf "les jardins"'), "org:memberOf"),
    # too long
    ("name-too-long", _replace("event", 'as:name "Fête des jardins"', f'as:name "{LONG_NAME}"'),
     "as:name"),
    ("summary-too-long", _replace("event", 'as:summary "Portes ouvertes."',
                                  f'as:summary "{"y" * 2001}"'), "as:summary"),
    ("content-too-long", _replace("post", 'as:content "Les inscriptions sont ouvertes !"',
                                  f'as:content "{"z" * 20001}"'), "as:content"),
    ("empty-content", _replace("post", 'as:content "Les inscriptions sont ouvertes !"',
                               'as:content ""'), "as:content"),
    ("skill-too-long", _replace("citizen", '"Compostage"', f'"{"s" * 201}"'), "cc:skill"),
    # bad enumerated values
    ("bad-stage", _replace("project", "cc:StageStarted", "cc:StageAlmostDone"), "cc:stage"),
    ("bad-event-type", _replace("event", "cc:Festival", "cc:Party"), "cc:eventType"),
    ("bad-category", _replace("offer", "cc:Donation", "cc:Bicycle"), "cc:category"),
    ("bad-theme", _replace("project", "cct:dechets", "cct:astrologie"), "cc:theme"),
    ("two-stages", _replace("project", "cc:StageStarted", "cc:StageStarted , cc:StageMature"),
     "cc:stage"),
    # ranges
    ("lat-out-of-range", _replace("place", '"-21.0096"^^xsd:decimal', '"-95.5"^^xsd:decimal'),
     "geo:lat"),
    ("long-out-of-range", _replace("association", '"55.2707"^^xsd:decimal',
                                   '"200.0"^^xsd:decimal'), "geo:long"),
    ("end-before-start", _replace("event", '"2025-06-01T18:00:00+04:00"^^xsd:dateTime',
                                  '"2025-06-01T08:00:00+04:00"^^xsd:dateTime'), "as:startTime"),
    # formats
    ("bad-username", _replace("citizen", '"marie.hoarau"', '"marie hoarau!"'),
     "as:preferredUsername"),
    ("bad-postal-code", _replace("commune", '"97460"', '"9746"'), "cc:postalCode"),
    ("bad-insee-code", _replace("commune", 'cc:inseeCode "97415"', 'cc:inseeCode "Saint-Paul"'),
     "cc:inseeCode"),
    ("two-names-same-language", _replace("association", '"Shared gardens"@en',
                                         '"Jardins partagés"@fr'), "as:name"),
    # one Communecter type only
    ("two-types", _replace("business", "a cc:Business", "a cc:Business , cc:Association"),
     "rdf:type"),
    ("citizen-and-org", _replace("citizen", "a cc:Citizen , foaf:Person",
                                 "a cc:Citizen , cc:InformalGroup"), "rdf:type"),
]


def _reference_key(result: shapes.ValidationResult) -> set[tuple[str, str, str, str]]:
    return {(str(i.focus), str(i.path), i.component, str(i.value)) for i in result.issues}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_examples_conform(name: str) -> None:
    result = shapes.validate(ttl(VALID[name]))
    assert result.conforms, result.messages
    assert result.messages == []


@pytest.mark.parametrize(("name", "body", "path"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_examples_fail_naming_the_path(name: str, body: str, path: str) -> None:
    result = shapes.validate(ttl(body))
    assert not result.conforms
    assert result.messages, "a failing validation must explain itself"
    assert any(f" {path}: " in line for line in result.messages), result.messages
    # French messages exist for every line too
    assert all(line for line in result.messages_for("fr"))


@pytest.mark.parametrize(
    ("name", "body"),
    [(n, b) for n, b in VALID.items()] + [(n, b) for n, b, _ in INVALID],
    ids=[*VALID, *(c[0] for c in INVALID)],
)
def test_fast_path_agrees_with_pyshacl(name: str, body: str) -> None:
    data = ttl(body)
    fast = shapes.validate(data)
    reference = shapes.validate_with_pyshacl(data)
    assert fast.conforms == reference.conforms
    assert _reference_key(fast) == _reference_key(reference)


def test_every_class_runs_on_the_fast_path() -> None:
    for cls in RESOURCE_CLASSES:
        assert shapes._compiled_for(cls).roots is not None, cls


def test_report_graph_is_a_shacl_report() -> None:
    result = shapes.validate(ttl(INVALID[0][1]))
    report = result.report_graph
    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert report.value(reports[0], SH.conforms) == Literal(False)
    results = list(report.objects(reports[0], SH.result))
    assert results
    for r in results:
        assert report.value(r, SH.focusNode) is not None
        assert report.value(r, SH.resultSeverity) == SH.Violation
        assert report.value(r, SH.sourceConstraintComponent) is not None
        assert report.value(r, SH.sourceShape) is not None
        langs = {m.language for m in report.objects(r, SH.resultMessage)}
        assert {"en", "fr"} <= langs
    conforming = shapes.validate(ttl(VALID["event"])).report_graph
    report_node = next(conforming.subjects(RDF.type, SH.ValidationReport))
    assert conforming.value(report_node, SH.conforms) == Literal(True)
    assert (None, SH.result, None) not in conforming


def test_messages_name_focus_path_and_message() -> None:
    body = _replace("event", 'as:name "Fête des jardins" ;', "")
    (line,) = shapes.validate(ttl(body)).messages
    assert line.startswith("<http://127.0.0.1:8000/events/fete> as:name: ")
    assert "required" in line
    (ligne,) = shapes.validate(ttl(body)).messages_for("fr")
    assert "obligatoire" in ligne


def test_graph_without_our_type_does_not_conform() -> None:
    data = ttl('ex:x a foaf:Person ; foaf:name "Someone" .')
    result = shapes.validate(data)
    assert not result.conforms
    assert "no Communecter resource type" in result.messages[0]
    assert (None, SH.conforms, Literal(False)) in result.report_graph
    assert not shapes.validate(Graph()).conforms


def test_foreign_triples_are_accepted() -> None:
    body = VALID["event"].replace(
        "mz:joinMode \"free\" .",
        'mz:joinMode "free" ; <http://example.org/anything> [ <http://example.org/deep> 1 ] .',
    )
    assert shapes.validate(ttl(body)).conforms


def test_data_graph_is_not_modified() -> None:
    data = ttl(INVALID[0][1])
    before = set(data)
    shapes.validate(data)
    shapes.validate_with_pyshacl(data)
    assert set(data) == before


def test_several_resources_in_one_graph() -> None:
    data = ttl(VALID["event"] + VALID["place"])
    assert shapes.validate(data).conforms
    broken = ttl(VALID["event"] + _replace("place", 'as:name "Jardin du Bernica" ;', ""))
    result = shapes.validate(broken)
    assert not result.conforms
    assert any("places/jardin> as:name" in line for line in result.messages)


def test_shapes_graph_for_each_class() -> None:
    for cls in RESOURCE_CLASSES:
        g = shapes.shapes_graph_for(cls)
        assert (None, SH.targetClass, cls) in g, cls
        # a copy: modifying it leaves the validator alone
        g.add((URIRef("http://example.org/s"), RDF.type, SH.NodeShape))
    event_shapes = shapes.shapes_graph_for(CC.Event)
    assert (None, SH.targetClass, CC.Post) in event_shapes  # the common shape targets all
    assert (shapes.CCS.PostShape, None, None) not in event_shapes
    with pytest.raises(KeyError):
        shapes.shapes_graph_for(CC.Territory)  # abstract
    with pytest.raises(KeyError):
        shapes.shapes_graph_for("http://example.org/Nothing")


def test_all_shapes_graph_holds_every_file() -> None:
    g = shapes.all_shapes_graph()
    for node_shape in ("ResourceShape", "CitizenShape", "OrganizationShape", "PublicAuthorityShape",
                       "ProjectShape", "EventShape", "PostShape", "ProposalShape", "AmendmentShape",
                       "VoteShape", "ActionShape", "ClassifiedShape", "PointOfInterestShape",
                       "TerritoryShape", "CommuneShape"):
        assert (shapes.CCS[node_shape], RDF.type, SH.NodeShape) in g, node_shape
    assert (None, SH.closed, None) not in g, "shapes stay open"
    assert (None, SH["class"], None) not in g, "links are checked as IRIs, not by class"


def test_every_shape_has_names_and_messages_in_both_languages() -> None:
    g = shapes.all_shapes_graph()
    for shape in set(g.subjects(SH.path, None)) | set(g.subjects(RDF.type, SH.NodeShape)):
        names = {n.language for n in g.objects(shape, SH.name)}
        assert {"en", "fr"} <= names, shape
        if (shape, SH.path, None) in g:
            messages = {m.language for m in g.objects(shape, SH.message)}
            assert {"en", "fr"} <= messages, shape


def test_validation_is_fast() -> None:
    """The server validates every write: one typical Event must take well under 2 ms."""
    data = ttl("""
        ex:events/e a cc:Event ; as:name "Atelier vélo" ;
            as:startTime "2025-06-01T10:00:00Z"^^xsd:dateTime ;
            as:endTime "2025-06-01T12:00:00Z"^^xsd:dateTime ;
            cc:eventType cc:Workshop ; cc:territory ex:territories/97415 ;
            as:attributedTo ex:persons/marie ; cc:theme cct:transport ;
            as:summary "Réparer son vélo." ; as:published "2025-05-01T10:00:00Z"^^xsd:dateTime .
    """)
    assert len(data) == 10
    shapes.validate(data)  # warm the caches
    runs = 300
    start = time.perf_counter()
    for _ in range(runs):
        assert shapes.validate(data).conforms
    per_call_ms = (time.perf_counter() - start) / runs * 1000
    assert per_call_ms < 2.0, f"{per_call_ms:.3f} ms per validation"
