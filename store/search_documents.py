"""What the search index keeps of a resource: ``Document`` and ``Territory``, and how a
resource's triples become one.

Split from store/search.py so that extracting text (which predicates feed which FTS5
column, the filter tokens, the publication time a row id encodes) can be read apart from
the index file and the queries. Knows no SQLite.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from ontology import (
    AS,
    CC,
    CCT,
    CONTAINER_BY_CLASS,
    DCTERMS,
    RDF,
    SCHEMA,
    TERRITORY_CLASSES,
)

FILE_NAME = "search.sqlite3"
TERRITORIES = "territories"
#: The searchable kinds: container slugs, plus the territories.
TYPES = (*dict.fromkeys(CONTAINER_BY_CLASS.values()), TERRITORIES)

_TYPE = str(RDF.type)
_CLASS_KIND = {str(cls): slug for cls, slug in CONTAINER_BY_CLASS.items()}
_CLASS_KIND.update({str(cls): TERRITORIES for cls in TERRITORY_CLASSES})
_NAME = {str(AS.name), str(AS.preferredUsername)}
_SUMMARY = {str(AS.summary), str(CC.skill), str(CC.postalCode), str(CC.officialCode)}
_CONTENT = {str(AS.content), str(SCHEMA.streetAddress)}
_TERRITORY = str(CC.territory)
_PART_OF = str(CC.partOf)
_THEME = str(CC.theme)
_PUBLISHED = str(AS.published)
_CREATED = str(DCTERMS.created)
_MODIFIED = str(DCTERMS.modified)
_START = str(AS.startTime)
_WANTED = (_NAME | _SUMMARY | _CONTENT
           | {_TYPE, _TERRITORY, _PART_OF, _THEME, _PUBLISHED, _CREATED, _MODIFIED, _START})

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


@dataclass
class Document:
    """What the index keeps of one resource."""

    iri: str
    type: str
    cls: str
    name: str = ""
    summary: str = ""
    content: str = ""
    territory: str | None = None
    parent: str | None = None
    themes: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    start: str | None = None
    code: str | None = None
    parents: list[str] = field(default_factory=list)  # every cc:partOf (territories)

    @property
    def label(self) -> str:
        """What a result is called: its name, else the start of its text (posts)."""
        if self.name:
            return self.name
        text = self.content or self.summary
        return text if len(text) <= 90 else text[:90].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class Territory:
    iri: str
    parent: str | None
    kind: str
    name: str
    code: str | None
    #: Every cc:partOf (``parent`` among them): a commune of an EPCI is also cc:partOf its
    #: own département. Empty: ``parent`` only.
    parents: tuple[str, ...] = ()

    @property
    def all_parents(self) -> tuple[str, ...]:
        return self.parents or ((self.parent,) if self.parent else ())


# ---- extracting documents ----------------------------------------------------------------


def _plain(text: str) -> str:
    """Text without markup (posts hold sanitised HTML), whitespace collapsed."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def document(iri: str, pairs: Iterable[tuple[str, str]]) -> Document | None:
    """The document of a resource from its (predicate, value) pairs about itself, or None
    when it is not searchable (containers, tombstones, unknown types)."""
    values: dict[str, list[str]] = {}
    for predicate, value in pairs:
        if predicate in _WANTED:
            values.setdefault(predicate, []).append(value)
    kinds = [(cls, _CLASS_KIND[cls]) for cls in values.get(_TYPE, []) if cls in _CLASS_KIND]
    if not kinds:
        return None
    cls, kind = sorted(kinds)[0]

    def joined(predicates: set[str]) -> str:
        return " ".join(_plain(v) for p in sorted(predicates) for v in values.get(p, []))

    def first(predicate: str) -> str | None:
        found = values.get(predicate)
        return min(found) if found else None

    names = values.get(str(AS.name)) or values.get(str(AS.preferredUsername)) or [""]
    themes = sorted({v[len(str(CCT)):] for v in values.get(_THEME, []) if v.startswith(str(CCT))})
    modified = values.get(_MODIFIED)
    return Document(
        iri=iri, type=kind, cls=cls.rsplit("#", 1)[-1], name=_plain(names[0]),
        summary=joined(_SUMMARY), content=joined(_CONTENT),
        territory=first(_TERRITORY) if kind != TERRITORIES else iri,
        parent=first(_PART_OF), parents=sorted(values.get(_PART_OF, [])), themes=themes,
        published=first(_PUBLISHED) or first(_CREATED), modified=max(modified) if modified
        else None, start=first(_START), code=first(str(CC.officialCode)))


def document_from_ntriples(iri: str, ntriples: str) -> Document | None:
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return document(iri, ((t.predicate.value, t.object.value) for t in triples
                          if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri))


def document_from_graph(iri: str, graph: object) -> Document | None:
    """From an rdflib Graph (``graph.predicate_objects``)."""
    from rdflib import URIRef

    return document(iri, ((str(p), str(o)) for p, o in
                          graph.predicate_objects(URIRef(iri))))  # type: ignore[attr-defined]


def token(iri: str) -> str:
    """The filter token standing for a territory IRI (letters and digits only)."""
    return "t" + hashlib.blake2b(iri.encode(), digest_size=8).hexdigest()


#: Where undated documents (territories) sort: after everything, as if the newest, so that
#: a query ranking "the CAP most recent matches" always ranks the places it names.
UNDATED = 4_102_444_800  # 2100-01-01


def _epoch(moment: str | None) -> int:
    if not moment:
        return UNDATED
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(0, int(parsed.timestamp()))

