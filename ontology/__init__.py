"""The Communecter vocabulary as data, plus a small loader.

Everything else in the code base names classes and properties through the
constants here. rdflib namespaces accept any name, so tests/test_ontology.py
scans the code for every cc: term it uses and checks that the vocabulary
defines it: a typo fails the tests instead of writing an unknown IRI.

This module is data plus a loader: no Flask, no store, no network. JSON-LD
processing must never fetch contexts from the web (privacy, speed, and the
platform runs offline), hence the local copies served by :func:`cached_context`.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

__all__ = [
    "AS",
    "CC",
    "CCT",
    "CLASSIFIED_CATEGORIES",
    "CLASS_BY_CONTAINER",
    "CONTAINER_BY_CLASS",
    "CONTEXT_ALIASES",
    "CONTEXT_URL",
    "DCTERMS",
    "EVENT_TYPES",
    "FOAF",
    "GEO",
    "LDP",
    "NAMESPACES",
    "ONTOLOGY_IRI",
    "ORG",
    "OWL",
    "PAIR",
    "PROJECT_STAGES",
    "RDF",
    "RDFS",
    "RESOURCE_CLASSES",
    "SCHEMA",
    "SEC",
    "SH",
    "SKOS",
    "TERRITORY_CLASSES",
    "THEMES",
    "THEMES_SCHEME",
    "VCARD",
    "XSD",
    "cached_context",
    "context_document",
    "label",
    "ontology_graph",
    "ontology_turtle",
]

HERE = Path(__file__).resolve().parent
ONTOLOGY_FILE = HERE / "communecter.ttl"
THEMES_FILE = HERE / "themes.ttl"
CONTEXT_FILE = HERE / "context.jsonld"
CONTEXTS_DIR = HERE / "contexts"

# --- Namespaces --------------------------------------------------------------
# Spelled out rather than taken from rdflib: rdflib's SDO is https://schema.org/
# and its GEO is GeoSPARQL, while our data uses http://schema.org/ and WGS84.
CC = Namespace("https://w3id.org/communecter/ns#")
CCT = Namespace("https://w3id.org/communecter/themes#")
AS = Namespace("https://www.w3.org/ns/activitystreams#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
PAIR = Namespace("http://virtual-assembly.org/ontologies/pair#")
LDP = Namespace("http://www.w3.org/ns/ldp#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SEC = Namespace("https://w3id.org/security#")

#: Prefix → namespace, for binding on graphs we serialize (Turtle stays readable).
NAMESPACES: dict[str, Namespace] = {
    "cc": CC,
    "cct": CCT,
    "as": AS,
    "foaf": FOAF,
    "schema": SCHEMA,
    "org": ORG,
    "vcard": VCARD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "geo": GEO,
    "pair": PAIR,
    "ldp": LDP,
    "sh": SH,
    "sec": SEC,
    "xsd": Namespace(str(XSD)),
    "owl": Namespace(str(OWL)),
    "rdfs": Namespace(str(RDFS)),
    "rdf": Namespace(str(RDF)),
}

ONTOLOGY_IRI = URIRef("https://w3id.org/communecter/ns")
THEMES_SCHEME = CCT.scheme

# --- JSON-LD contexts ----------------------------------------------------------
#: The URL documents use to refer to our context; every instance also serves it
#: at {base}/ns/context.jsonld, which the federation document loader maps here.
CONTEXT_URL = "https://w3id.org/communecter/ns/context.jsonld"
#: Other spellings of our context URL, answered with the same document so that
#: older documents and sloppy clients keep working offline.
CONTEXT_ALIASES: tuple[str, ...] = (
    "https://w3id.org/communecter/context.jsonld",
    "https://w3id.org/communecter/ns/context",
    "http://w3id.org/communecter/ns/context.jsonld",
)

# --- Resource classes ------------------------------------------------------------
#: LDP container slug → the classes a member of that container may have (the
#: first one is the default when a client gives no cc: type).
CLASS_BY_CONTAINER: dict[str, list[URIRef]] = {
    "persons": [CC.Citizen],
    "organizations": [
        CC.Organization,
        CC.Association,
        CC.Business,
        CC.PublicAuthority,
        CC.InformalGroup,
    ],
    "projects": [CC.Project],
    "events": [CC.Event],
    "posts": [CC.Post],
    "proposals": [CC.Proposal, CC.Amendment, CC.Vote, CC.Action],
    "offers": [CC.Offer, CC.Need],
    "places": [CC.PointOfInterest],
}
#: The inverse of CLASS_BY_CONTAINER: which container a class lives in.
CONTAINER_BY_CLASS: dict[URIRef, str] = {
    cls: slug for slug, classes in CLASS_BY_CONTAINER.items() for cls in classes
}
#: Territory kinds, from the street up (cc:Territory itself is abstract).
TERRITORY_CLASSES: list[URIRef] = [
    CC.Neighbourhood,
    CC.Commune,
    CC.Intercommunality,
    CC.Departement,
    CC.Region,
    CC.Country,
]
#: Every class a stored resource may have as its one cc: type.
RESOURCE_CLASSES: list[URIRef] = [
    *(c for classes in CLASS_BY_CONTAINER.values() for c in classes),
    *TERRITORY_CLASSES,
]

PROJECT_STAGES: list[URIRef] = [
    CC.StageIdea,
    CC.StageConcept,
    CC.StageStarted,
    CC.StageDevelopment,
    CC.StageTesting,
    CC.StageMature,
]
EVENT_TYPES: list[URIRef] = [
    CC.Meeting,
    CC.Workshop,
    CC.Festival,
    CC.Concert,
    CC.Exhibition,
    CC.Market,
    CC.Conference,
    CC.SportsEvent,
    CC.Training,
    CC.Volunteering,
    CC.OtherEvent,
]
CLASSIFIED_CATEGORIES: list[URIRef] = [
    CC.Housing,
    CC.ServiceExchange,
    CC.Donation,
    CC.ForSale,
    CC.ForRent,
    CC.Carpooling,
    CC.Job,
]


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The vocabulary and the themes scheme in one graph, parsed once.

    Callers must not modify it: it is shared (copy it first if needed).
    """
    g = Graph()
    for prefix, ns in NAMESPACES.items():
        g.bind(prefix, ns, override=True)
    for path in vocabulary_files():
        g.parse(path, format="turtle")
    return g


def vocabulary_files() -> list[Path]:
    """communecter.ttl, themes.ttl, then the modules of ontology/modules/*.ttl (terms
    added by each part of the platform: memberships, follows, notifications…)."""
    return [ONTOLOGY_FILE, THEMES_FILE, *sorted((HERE / "modules").glob("*.ttl"))]


def ontology_turtle() -> str:
    """The Turtle text of the vocabulary and the themes, as served at /ns."""
    return "\n".join(path.read_text(encoding="utf-8") for path in vocabulary_files())


@lru_cache(maxsize=1)
def _context_text() -> str:
    return CONTEXT_FILE.read_text(encoding="utf-8")


def context_document() -> dict:
    """Our JSON-LD context document ``{"@context": {...}}``, a fresh copy each call.

    A copy because JSON-LD processors and callers sometimes mutate what they get.
    """
    return json.loads(_context_text())


@lru_cache(maxsize=1)
def _cached_contexts() -> dict[str, dict]:
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    docs: dict[str, dict] = {}
    by_file: dict[str, dict] = {}
    for url, filename in index["contexts"].items():
        if filename not in by_file:
            by_file[filename] = json.loads((CONTEXTS_DIR / filename).read_text(encoding="utf-8"))
        docs[url] = by_file[filename]
    ours = json.loads(_context_text())
    for url in (CONTEXT_URL, *CONTEXT_ALIASES):
        docs[url] = ours
    return docs


def cached_context(url: str) -> dict | None:
    """The local copy of the JSON-LD context document at ``url``, or None.

    Covers our own context (CONTEXT_URL and its aliases) and the third-party
    contexts the platform meets (ActivityStreams, security v1, Multikey, Data
    Integrity). A trailing '#fragment' is ignored. Returns a fresh copy.
    """
    doc = _cached_contexts().get(url.split("#", 1)[0])
    return copy.deepcopy(doc) if doc is not None else None


@lru_cache(maxsize=1)
def _labels() -> dict[tuple[URIRef, str], str]:
    g = ontology_graph()
    out: dict[tuple[URIRef, str], str] = {}
    for pred in (SKOS.prefLabel, RDFS.label):  # rdfs:label wins when both exist
        for s, o in g.subject_objects(pred):
            if isinstance(s, URIRef) and isinstance(o, Literal) and o.language:
                out[(s, o.language)] = str(o)
    return out


def label(iri: URIRef | str, lang: str = "fr") -> str:
    """The human label of a term of our vocabulary or themes, in ``lang``.

    Falls back to English, then French, then the IRI's local name, so that the
    UI always has something to show.
    """
    term = URIRef(str(iri))
    labels = _labels()
    for candidate in (lang, "en", "fr"):
        if (term, candidate) in labels:
            return labels[(term, candidate)]
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@lru_cache(maxsize=1)
def _load_themes() -> list[tuple[str, URIRef, str, str]]:
    g = ontology_graph()
    head = g.value(CCT.order, SKOS.memberList)
    ordered = list(Collection(g, head)) if head is not None else []
    themes = []
    for iri in ordered:
        slug = str(iri)[len(str(CCT)):]
        themes.append((slug, URIRef(iri), label(iri, "fr"), label(iri, "en")))
    return themes


THEMES: list[tuple[str, URIRef, str, str]]
"""The themes in display order: (slug, IRI, French label, English label)."""


def __getattr__(name: str) -> object:
    # THEMES is computed on first use so that importing the namespaces does not
    # parse the ontology (the shapes module and the store import us too).
    if name == "THEMES":
        return _load_themes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
