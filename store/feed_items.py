"""What a feed item is: the sections and map types that classes belong to, the
``Item`` a feed, a stream or the map shows, and the reading of its details (and of a
citizen's interests) from the store.

It exists apart from the rankings so that what is shown of a resource is defined in one
place, whichever query found it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import Literal, URIRef

from ontology import AS, CC, CCT, DCTERMS, GEO
from store.base import TripleStore
from store.feed_tree import _float
from store.queries import query

ORGANIZATION_CLASSES = (CC.Organization, CC.Association, CC.Business, CC.PublicAuthority,
                        CC.InformalGroup)
#: The sections of a territory page, in page order, and the classes each one lists.
FEED_SECTIONS: dict[str, tuple[URIRef, ...]] = {
    "events": (CC.Event,),
    "posts": (CC.Post,),
    "projects": (CC.Project,),
    "organizations": ORGANIZATION_CLASSES,
    "offers": (CC.Offer, CC.Need),
}
#: What the map shows (never people: where a citizen lives is not public).
MAP_TYPES: dict[str, tuple[URIRef, ...]] = {
    "organizations": ORGANIZATION_CLASSES,
    "events": (CC.Event,),
    "places": (CC.PointOfInterest,),
    "projects": (CC.Project,),
    "offers": (CC.Offer, CC.Need),
}
_SECTION_OF_CLASS = {cls: name for name, classes in {**MAP_TYPES, **FEED_SECTIONS}.items()
                     for cls in classes}


def section_of(cls: URIRef | str) -> str | None:
    """The feed section (or map type) a class belongs to."""
    return _SECTION_OF_CLASS.get(URIRef(str(cls)))


# ---- feed items -------------------------------------------------------------------------
@dataclass
class Item:
    """One resource as a feed, a stream or the map shows it."""

    iri: str
    cls: str
    territory: str
    date: datetime | None = None
    name: str | None = None
    summary: str | None = None
    content: str | None = None
    published: datetime | None = None
    created: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    author: str | None = None
    author_name: str | None = None
    themes: list[str] = field(default_factory=list)
    kind: str | None = None  # event type, offer category or project stage IRI
    lat: float | None = None
    long: float | None = None

    @property
    def section(self) -> str | None:
        return section_of(self.cls)


_DETAIL = {
    str(AS.name): "name", str(AS.summary): "summary", str(AS.content): "content",
    str(AS.published): "published", str(AS.startTime): "start", str(AS.endTime): "end",
    str(AS.attributedTo): "author", str(DCTERMS.created): "created",
    str(CC.eventType): "kind", str(CC.category): "kind", str(CC.stage): "kind",
    str(GEO.lat): "lat", str(GEO.long): "long",
}
_DATES = {"published", "start", "end", "created"}


def fill_details(store: TripleStore, items: Sequence[Item]) -> None:
    """Reads what a feed shows of these items (and their authors' names) in two queries."""
    if not items:
        return
    by_iri: dict[str, Item] = {}
    for item in items:
        by_iri.setdefault(item.iri, item)
    rows = store.select(query("feed_details", items=[URIRef(i) for i in by_iri]))
    themes: dict[str, list[str]] = {}
    for row in rows:
        item = by_iri.get(str(row["item"]))
        prop, value = str(row["property"]), row["value"]
        if item is None:
            continue
        if prop == str(CC.theme):
            slug = str(value)[len(str(CCT)):] if str(value).startswith(str(CCT)) else None
            if slug:
                themes.setdefault(item.iri, []).append(slug)
            continue
        attribute = _DETAIL.get(prop)
        if attribute is None or getattr(item, attribute) is not None:
            continue
        if attribute in _DATES:
            setattr(item, attribute, _datetime(value))
        elif attribute in ("lat", "long"):
            setattr(item, attribute, _float(value))
        else:
            setattr(item, attribute, str(value))
    for iri, slugs in themes.items():
        by_iri[iri].themes = sorted(set(slugs))
    for item in items:
        if item is not by_iri[item.iri]:
            _copy(by_iri[item.iri], item)
    authors = sorted({i.author for i in by_iri.values() if i.author})
    if authors:
        names = {str(r["thing"]): str(r["name"]) for r in store.select(
            query("feed_names", things=[URIRef(a) for a in authors]))}
        for item in items:
            if item.author:
                item.author_name = names.get(item.author)


def _copy(source: Item, target: Item) -> None:
    for name in ("name", "summary", "content", "published", "created", "start", "end",
                 "author", "themes", "kind", "lat", "long"):
        setattr(target, name, getattr(source, name))


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, Literal):
        python = value.toPython()
        if isinstance(python, datetime):
            return python if python.tzinfo else python.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def citizen_themes(store: TripleStore, actor: str) -> list[str]:
    """The interests (theme slugs) on a citizen's public resource."""
    text = store.graph(actor)
    if not text:
        return []
    prefix = f"<{actor}> <{CC.theme}> <{CCT}"
    found = []
    for line in text.splitlines():
        if line.startswith(prefix):
            found.append(line[len(prefix):].split(">", 1)[0])
    return sorted(set(found))
