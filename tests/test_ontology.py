"""The vocabulary: complete, labelled in French and English, consistent with the shapes,
the JSON-LD context and every cc: term the code uses; contexts usable offline."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pyld import jsonld
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection

import ontology
import shapes
from ontology import (
    AS,
    CC,
    CCT,
    CLASS_BY_CONTAINER,
    CONTEXT_URL,
    DCTERMS,
    GEO,
    ORG,
    PAIR,
    SCHEMA,
    SH,
    SKOS,
)

ROOT = Path(__file__).resolve().parent.parent
CC_NS = str(CC)
CCT_NS = str(CCT)

CLASSES = [
    "Citizen", "Organization", "Association", "Business", "PublicAuthority", "InformalGroup",
    "Project", "Event", "Post", "Proposal", "Amendment", "Vote", "Action", "Offer", "Need",
    "PointOfInterest", "Territory", "Neighbourhood", "Commune", "Intercommunality",
    "Departement", "Region", "Country", "ProjectStage", "EventType", "ClassifiedCategory",
]
OBJECT_PROPERTIES = [
    "territory", "theme", "governs", "stage", "eventType", "onlineUrl", "wall", "amends",
    "voteOn", "fromProposal", "category", "partOf",
]
DATATYPE_PROPERTIES = [
    "skill", "verified", "option", "choice", "officialCode", "inseeCode", "postalCode",
    "population",
]
INDIVIDUALS = {
    "ProjectStage": ["StageIdea", "StageConcept", "StageStarted", "StageDevelopment",
                     "StageTesting", "StageMature"],
    "EventType": ["Meeting", "Workshop", "Festival", "Concert", "Exhibition", "Market",
                  "Conference", "SportsEvent", "Training", "Volunteering", "OtherEvent"],
    "ClassifiedCategory": ["Housing", "ServiceExchange", "Donation", "ForSale", "ForRent",
                           "Carpooling", "Job"],
}
BROCHURE_THEMES = [
    "periscolaire", "associatif", "economie", "territoire", "tourisme", "dechets", "culture",
    "social", "emploi", "transport", "logement", "energie", "agriculture", "alimentation",
]
PLATFORM_THEMES = ["sante", "education", "citoyennete", "environnement", "numerique", "sport"]


@pytest.fixture(scope="module")
def g() -> Graph:
    return ontology.ontology_graph()


def declared(g: Graph, term: URIRef) -> bool:
    """A term is defined or declared as used if the ontology types it."""
    return (term, RDF.type, None) in g


def labels(g: Graph, term: URIRef, pred: URIRef = RDFS.label) -> set[str]:
    return {o.language for o in g.objects(term, pred) if isinstance(o, Literal) and o.language}


# --- files --------------------------------------------------------------------------------


def test_files_parse_with_rdflib() -> None:
    for name in ("communecter.ttl", "themes.ttl"):
        graph = Graph().parse(ROOT / "ontology" / name, format="turtle")
        assert len(graph) > 100


def test_ontology_header(g: Graph) -> None:
    assert (ontology.ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert {"fr", "en"} <= labels(g, ontology.ONTOLOGY_IRI, DCTERMS.title)


# --- classes, properties, individuals --------------------------------------------------------


def test_contract_classes_and_properties_exist(g: Graph) -> None:
    for name in CLASSES:
        assert (CC[name], RDF.type, OWL.Class) in g, name
    for name in OBJECT_PROPERTIES:
        assert (CC[name], RDF.type, OWL.ObjectProperty) in g, name
    for name in DATATYPE_PROPERTIES:
        assert (CC[name], RDF.type, OWL.DatatypeProperty) in g, name


def test_every_cc_term_is_labelled_and_commented_in_french_and_english(g: Graph) -> None:
    terms = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(CC_NS)}
    assert len(terms) > 60
    for term in terms:
        assert {"fr", "en"} <= labels(g, term), term
        assert {"fr", "en"} <= labels(g, term, RDFS.comment), term


def test_alignments(g: Graph) -> None:
    expected = {
        CC.Citizen: [URIRef("http://xmlns.com/foaf/0.1/Person"), AS.Person, PAIR.Person],
        CC.Organization: [ORG.Organization, URIRef("http://xmlns.com/foaf/0.1/Organization"),
                          AS.Organization, PAIR.Organization],
        CC.Project: [PAIR.Project],
        CC.Event: [AS.Event, SCHEMA.Event, PAIR.Event],
        CC.Post: [AS.Note],
        CC.Proposal: [AS.Question, PAIR.Idea],
        CC.PointOfInterest: [PAIR.Place, SCHEMA.Place, AS.Place],
    }
    for cls, supers in expected.items():
        for sup in supers:
            assert (cls, RDFS.subClassOf, sup) in g, (cls, sup)
    for kind in ("Association", "Business", "PublicAuthority", "InformalGroup"):
        assert (CC[kind], RDFS.subClassOf, CC.Organization) in g
    for kind in ("Neighbourhood", "Commune", "Intercommunality", "Departement", "Region",
                 "Country"):
        assert (CC[kind], RDFS.subClassOf, CC.Territory) in g
    # every external class or property we point to is declared as used, with its source
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for _s, p, o in g:
        if p not in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
            continue
        if not isinstance(o, URIRef) or o.startswith(CC_NS) or o.startswith(xsd):
            continue
        assert declared(g, o), o
        assert (o, RDFS.isDefinedBy, None) in g, o


def test_individuals(g: Graph) -> None:
    python_lists = {
        "ProjectStage": ontology.PROJECT_STAGES,
        "EventType": ontology.EVENT_TYPES,
        "ClassifiedCategory": ontology.CLASSIFIED_CATEGORIES,
    }
    for cls, names in INDIVIDUALS.items():
        members = [CC[n] for n in names]
        for member in members:
            assert (member, RDF.type, CC[cls]) in g, member
            assert {"fr", "en"} <= labels(g, member), member
        one_of = list(Collection(g, g.value(CC[cls], OWL.oneOf)))
        assert one_of == members, cls
        assert python_lists[cls] == members, cls


def test_container_classes() -> None:
    expected = {
        "persons": [CC.Citizen],
        "organizations": [CC.Organization, CC.Association, CC.Business, CC.PublicAuthority,
                          CC.InformalGroup],
        "projects": [CC.Project],
        "events": [CC.Event],
        "posts": [CC.Post],
        "proposals": [CC.Proposal, CC.Amendment, CC.Vote, CC.Action],
        "offers": [CC.Offer, CC.Need],
        "places": [CC.PointOfInterest],
    }
    assert expected == CLASS_BY_CONTAINER
    for slug, classes in CLASS_BY_CONTAINER.items():
        for cls in classes:
            assert ontology.CONTAINER_BY_CLASS[cls] == slug


def test_label_helper() -> None:
    assert ontology.label(CC.Event, "fr") == "Événement"
    assert ontology.label(CC.Event, "en") == "Event"
    assert ontology.label(CC.Event, "de") == "Event"
    assert ontology.label(CCT.dechets, "fr") == "Déchets"
    assert ontology.label(URIRef("http://example.org/x#Thing")) == "Thing"


# --- shapes use only defined terms --------------------------------------------------------


def _shape_terms() -> set[URIRef]:
    sg = shapes.all_shapes_graph()
    terms: set[URIRef] = set()
    for pred in (SH.path, SH.targetClass, SH.lessThanOrEquals, SH.lessThan, SH.datatype):
        terms |= {o for o in sg.objects(None, pred) if isinstance(o, URIRef)}
    for head in sg.objects(None, SH["in"]):
        terms |= {o for o in Collection(sg, head) if isinstance(o, URIRef)}
    return terms


def test_shapes_use_only_defined_terms(g: Graph) -> None:
    for term in _shape_terms():
        if str(term).startswith("http://www.w3.org/2001/XMLSchema#") or term == RDF.type:
            continue
        if term == RDF.langString:
            continue
        assert declared(g, term), f"{term} is used by a shape but not in communecter.ttl"


def test_shapes_enumerations_match_the_ontology(g: Graph) -> None:
    sg = shapes.all_shapes_graph()
    lists = {tuple(Collection(sg, head)) for head in sg.objects(None, SH["in"])}
    themes = tuple(iri for _slug, iri, _fr, _en in ontology.THEMES)
    assert themes in lists
    for names in INDIVIDUALS.values():
        assert tuple(CC[n] for n in names) in lists


# --- the code uses only defined cc: terms ---------------------------------------------------

CC_IRI = re.compile(r"https://w3id\.org/communecter/ns#(\w+)")
CCT_IRI = re.compile(r"https://w3id\.org/communecter/themes#(\w+)")
CC_ATTR = re.compile(r"\bCC\.(\w+)")
CC_ITEM = re.compile(r"\bCC\[\s*[\"'](\w+)[\"']\s*\]")
CCT_ATTR = re.compile(r"\bCCT\.(\w+)")
CCT_ITEM = re.compile(r"\bCCT\[\s*[\"'](\w+)[\"']\s*\]")
RQ_CURIE = re.compile(r"(?<![\w:/#])cc:(\w+)")
STR_METHODS = set(dir(str))


SKIPPED_DIRS = {"tests", "var", "node_modules", "build", "dist", "__pycache__"}


def _sources() -> list[Path]:
    """Our *.py and *.rq files: not the virtualenv, the tests, data or hidden folders."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith((".", "var-"))
                   and not d.endswith(".egg-info")]
        found += [Path(folder) / f for f in files if f.endswith((".py", ".rq"))]
    return found


def _used_names(path: Path) -> tuple[set[str], set[str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    cc = set(CC_IRI.findall(text)) | set(CC_ITEM.findall(text))
    cct = set(CCT_IRI.findall(text)) | set(CCT_ITEM.findall(text))
    cc |= {n for n in CC_ATTR.findall(text) if n not in STR_METHODS}
    cct |= {n for n in CCT_ATTR.findall(text) if n not in STR_METHODS}
    if path.suffix == ".rq" and "<https://w3id.org/communecter/ns#>" in text:
        cc |= set(RQ_CURIE.findall(text))
    return cc, cct


def test_every_cc_term_used_in_the_code_is_defined(g: Graph) -> None:
    sources = _sources()
    assert any(p.parts[-2:] == ("ontology", "__init__.py") for p in sources)
    missing = []
    for path in sources:
        cc, cct = _used_names(path)
        for name in cc:
            if not declared(g, CC[name]):
                missing.append(f"{path.relative_to(ROOT)}: cc:{name}")
        for name in cct:
            if not declared(g, CCT[name]):
                missing.append(f"{path.relative_to(ROOT)}: cct:{name}")
    assert not missing, "undefined terms used in the code:\n" + "\n".join(sorted(missing))


# --- themes -----------------------------------------------------------------------------------


def test_themes_scheme(g: Graph) -> None:
    assert (ontology.THEMES_SCHEME, RDF.type, SKOS.ConceptScheme) in g
    concepts = set(g.subjects(SKOS.inScheme, ontology.THEMES_SCHEME))
    assert len(concepts) >= 20
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in g
        assert {"fr", "en"} <= labels(g, concept, SKOS.prefLabel), concept
        assert {"fr", "en"} <= labels(g, concept, SKOS.definition), concept
        assert (concept, SKOS.topConceptOf, ontology.THEMES_SCHEME) in g
        assert re.fullmatch(r"[a-z]+", str(concept)[len(CCT_NS):]), "ASCII slugs"
    for slug in BROCHURE_THEMES + PLATFORM_THEMES:
        assert CCT[slug] in concepts, slug


def test_themes_constant_in_display_order(g: Graph) -> None:
    slugs = [slug for slug, *_ in ontology.THEMES]
    assert slugs == BROCHURE_THEMES + PLATFORM_THEMES
    by_slug = {slug: (iri, fr, en) for slug, iri, fr, en in ontology.THEMES}
    assert by_slug["periscolaire"] == (CCT.periscolaire, "Périscolaire", "After-school")
    assert by_slug["energie"][1] == "Énergie"
    assert set(iri for iri, *_ in by_slug.values()) == set(
        g.subjects(SKOS.inScheme, ontology.THEMES_SCHEME))


# --- JSON-LD context --------------------------------------------------------------------------


def _offline_loader(url: str, options: dict | None = None) -> dict:
    document = ontology.cached_context(url)
    if document is None:
        raise AssertionError(f"would fetch {url} from the network")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": document}


def _expand_term(ctx: dict, value: str) -> str:
    if ":" in value:
        prefix, rest = value.split(":", 1)
        if prefix in ctx and isinstance(ctx[prefix], str):
            return ctx[prefix] + rest
    return value


def test_context_terms_point_to_defined_terms(g: Graph) -> None:
    ctx = ontology.context_document()["@context"]
    for term in ("name", "summary", "content", "startTime", "endTime", "territory", "theme",
                 "partOf", "attributedTo", "published", "lat", "long", "stage", "eventType",
                 "category", "postalCode", "memberOf"):
        assert term in ctx, term
    for term, definition in ctx.items():
        target = definition if isinstance(definition, str) else definition.get("@id", "")
        iri = _expand_term(ctx, target)
        if iri.endswith(("#", "/")) or term.startswith("@"):
            continue  # a prefix
        ours_or_reused = (CC_NS, "https://www.w3.org/ns/activitystreams#", str(SCHEMA),
                          str(GEO), str(DCTERMS), str(ORG))
        if iri.startswith(ours_or_reused):
            assert declared(g, URIRef(iri)), (term, iri)
    assert ctx["theme"] == {"@id": "cc:theme", "@type": "@id", "@container": "@set"}
    assert ctx["startTime"]["@type"] == "xsd:dateTime"
    assert ctx["territory"]["@type"] == "@id"


EVENT_NQUADS = """
<http://127.0.0.1:8000/events/fete> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/communecter/ns#Event> .
<http://127.0.0.1:8000/events/fete> <https://www.w3.org/ns/activitystreams#name> "Fête des jardins" .
<http://127.0.0.1:8000/events/fete> <https://www.w3.org/ns/activitystreams#startTime> "2025-06-01T10:00:00+04:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
<http://127.0.0.1:8000/events/fete> <https://w3id.org/communecter/ns#territory> <http://127.0.0.1:8000/territories/97415> .
<http://127.0.0.1:8000/events/fete> <https://w3id.org/communecter/ns#theme> <https://w3id.org/communecter/themes#culture> .
<http://127.0.0.1:8000/events/fete> <https://w3id.org/communecter/ns#eventType> <https://w3id.org/communecter/ns#Festival> .
<http://127.0.0.1:8000/events/fete> <http://www.w3.org/2003/01/geo/wgs84_pos#lat> "-21.0096"^^<http://www.w3.org/2001/XMLSchema#decimal> .
"""  # noqa: E501


def test_context_compacts_our_data_offline() -> None:
    expanded = jsonld.from_rdf(EVENT_NQUADS, {"format": "application/n-quads"})
    options = {"documentLoader": _offline_loader}
    compacted = jsonld.compact(expanded, CONTEXT_URL, options)
    assert compacted["@context"] == CONTEXT_URL
    assert compacted["type"] == "Event"
    assert compacted["name"] == "Fête des jardins"
    assert compacted["startTime"] == "2025-06-01T10:00:00+04:00"
    assert compacted["territory"] == "http://127.0.0.1:8000/territories/97415"
    assert compacted["theme"] == ["cct:culture"]
    assert compacted["eventType"] == "Festival"
    assert compacted["lat"] == "-21.0096"
    # and back: the compact form expands to the same triples
    back = jsonld.to_rdf(compacted, {"format": "application/n-quads", **options})
    assert sorted(back.strip().splitlines()) == sorted(
        jsonld.to_rdf(expanded, {"format": "application/n-quads"}).strip().splitlines())


def test_context_works_inline_and_with_activitystreams() -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", CONTEXT_URL],
        "id": "http://127.0.0.1:8000/posts/1",
        "type": "Post",
        "content": "Bonjour",
        "attributedTo": "http://127.0.0.1:8000/persons/marie",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "theme": ["cct:culture"],
    }
    quads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": _offline_loader})
    assert "<https://w3id.org/communecter/ns#Post>" in quads
    assert "<https://www.w3.org/ns/activitystreams#to>" in quads
    assert "<https://w3id.org/communecter/themes#culture>" in quads
    inline = dict(doc, **{"@context": ontology.context_document()["@context"]})
    inline.pop("to")
    assert "<https://w3id.org/communecter/ns#Post>" in jsonld.to_rdf(
        inline, {"format": "application/n-quads", "documentLoader": _offline_loader})


def test_cached_contexts() -> None:
    index = json.loads((ROOT / "ontology" / "contexts" / "index.json").read_text())["contexts"]
    for url, filename in index.items():
        assert (ROOT / "ontology" / "contexts" / filename).is_file(), filename
        assert ontology.cached_context(url) is not None, url
    for url in ("https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/data-integrity/v1", CONTEXT_URL,
                *ontology.CONTEXT_ALIASES):
        doc = ontology.cached_context(url)
        assert isinstance(doc, dict) and "@context" in doc, url
    as2 = ontology.cached_context("https://www.w3.org/ns/activitystreams#")["@context"]
    assert as2["@vocab"] == "_:"
    assert as2["as"] == "https://www.w3.org/ns/activitystreams#"
    assert as2["sharedInbox"] == {"@id": "as:sharedInbox", "@type": "@id"}
    sec = ontology.cached_context("https://w3id.org/security/v1")["@context"]
    assert sec["publicKeyPem"] == "sec:publicKeyPem"
    assert ontology.cached_context("https://example.org/unknown-context") is None
    # callers get copies
    ontology.cached_context(CONTEXT_URL)["@context"]["name"] = "broken"
    assert ontology.cached_context(CONTEXT_URL)["@context"]["name"] == "as:name"


def test_fediverse_actor_expands_offline() -> None:
    actor = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                     "https://w3id.org/security/multikey/v1",
                     "https://w3id.org/security/data-integrity/v1"],
        "id": "https://mastodon.example/users/alice",
        "type": "Person",
        "preferredUsername": "alice",
        "inbox": "https://mastodon.example/users/alice/inbox",
        "publicKey": {"id": "https://mastodon.example/users/alice#main-key",
                      "owner": "https://mastodon.example/users/alice",
                      "publicKeyPem": "-----BEGIN PUBLIC KEY-----..."},
    }
    quads = jsonld.to_rdf(actor, {"format": "application/n-quads",
                                  "documentLoader": _offline_loader})
    assert "<https://w3id.org/security#publicKeyPem>" in quads
    assert "<http://www.w3.org/ns/ldp#inbox>" in quads
