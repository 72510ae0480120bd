"""What every ActivityStreams document we serve shares: the @context, the Public
collection, sanitised HTML, dates, and a light view of one stored resource.

Documents are built from the public store only: nothing private (e-mails, password
hashes, private keys) is ever read here, so nothing private can leak into them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nh3
from rdflib import Graph, URIRef
from rdflib.term import Node

from federation.handler_support import triples
from ontology import AS, DCTERMS, RDF
from store.moments import parse_moment, utc_iso
from store.terms import NOT_IN_IRIS

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_SPELLINGS = {PUBLIC, "http://www.w3.org/ns/activitystreams#Public", "as:Public",
                     "Public", "https://www.w3.org/ns/activitystreams#public"}

ACTIVITY_JSON = "application/activity+json"
AS2_PROFILE = "https://www.w3.org/ns/activitystreams"
LD_JSON_AS2 = f'application/ld+json; profile="{AS2_PROFILE}"'

#: Terms beyond AS2 that Mastodon, Mobilizon and Fedify read, defined inline so that no
#: consumer has to fetch another context.
EXTENSIONS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "mz": "https://joinmobilizon.org/ns#",
    "sc": "http://schema.org#",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "pt": "https://joinpeertube.org/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "votersCount": "toot:votersCount",
    "PostalAddress": "sc:PostalAddress",
    "address": {"@id": "sc:address", "@type": "@id"},
    "streetAddress": "sc:streetAddress",
    "postalCode": "sc:postalCode",
    "addressLocality": "sc:addressLocality",
    "addressRegion": "sc:addressRegion",
    "addressCountry": "sc:addressCountry",
    "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
    "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "participantCount": {"@id": "mz:participantCount", "@type": "xsd:integer"},
    "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
    "category": "mz:category",
    "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled",
                                      "@type": "sc:Boolean"},
    "status": "ical:status",
    "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
}
CONTEXT: list[Any] = [AS2_PROFILE, "https://w3id.org/security/v1", EXTENSIONS]

#: Mastodon keeps these and drops the rest of the markup; we send no more than that.
CONTENT_TAGS = {"p", "br", "a", "span"}
CONTENT_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "span": set()}
CONTENT_CLASSES = {"a": {"mention", "hashtag", "u-url"}, "span": {"h-card"}}
LANGUAGE = "fr"




def plausible_iri(value: object) -> bool:
    """Whether a string could name a stored resource (no controls, spaces or delimiters):
    anything else is refused before it reaches the store."""
    return isinstance(value, str) and 0 < len(value) <= 2000 and not NOT_IN_IRIS.search(value)


def is_public(value: object) -> bool:
    """Whether an addressing value (a string, a list, or an object with an id) names the
    Public collection, in any of the spellings found in the wild."""
    if isinstance(value, str):
        return value in _PUBLIC_SPELLINGS
    if isinstance(value, dict):
        return is_public(value.get("id") or value.get("@id"))
    if isinstance(value, list | tuple | set):
        return any(is_public(item) for item in value)
    return False


def sanitise(html: str) -> str:
    """HTML for other servers: p, br, a, span only; scripts and styles dropped whole."""
    return nh3.clean(
        html,
        tags=CONTENT_TAGS,
        attributes=CONTENT_ATTRIBUTES,
        allowed_classes=CONTENT_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        clean_content_tags={"script", "style"},
        strip_comments=True,
    ).strip()


def iso(value: str | None) -> str | None:
    """An xsd:dateTime as ISO 8601 in UTC with a Z, as Mastodon prefers it."""
    moment = parse_moment(value)
    if moment is None:
        return None
    return utc_iso(moment)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Stored:
    """A resource's stored graph, with the reads the builders need."""

    iri: str
    graph: Graph

    @property
    def node(self) -> URIRef:
        return URIRef(self.iri)

    def value(self, predicate: URIRef, subject: Node | None = None) -> str | None:
        found = self.graph.value(subject if subject is not None else self.node, predicate)
        return str(found) if found is not None else None

    def values(self, predicate: URIRef, subject: Node | None = None) -> list[str]:
        return sorted(str(v) for v in self.graph.objects(
            subject if subject is not None else self.node, predicate))

    def nodes(self, predicate: URIRef) -> list[Node]:
        return sorted(self.graph.objects(self.node, predicate), key=str)

    def has_type(self, kind: URIRef) -> bool:
        return (self.node, RDF.type, kind) in self.graph

    def published(self) -> str | None:
        return iso(self.value(AS.published) or self.value(DCTERMS.created))

    def updated(self) -> str | None:
        """Only an edit makes `updated` (Mastodon marks such posts as edited)."""
        explicit = self.value(AS.updated)
        if explicit:
            return iso(explicit)
        created, modified = self.value(DCTERMS.created), self.value(DCTERMS.modified)
        if created and modified and iso(modified) != iso(created):
            return iso(modified)
        return None


def read_values(text: str, iri: str) -> dict[str, list[str]]:
    """The values of one subject in stored N-Triples, by predicate (no rdflib graph)."""
    values: dict[str, list[str]] = {}
    for subject, predicate, value in triples(text):
        if subject == iri:
            values.setdefault(predicate, []).append(value.value)
    return values


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """Drops empty members (None, empty lists and strings) so documents stay lean."""
    return {k: v for k, v in document.items() if v not in (None, [], "", {})}
