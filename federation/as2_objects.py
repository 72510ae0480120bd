"""Local objects as fediverse software reads them.

* posts (cc:Post) and amendments → `Note` (Mastodon renders them natively): sanitised
  HTML content, `inReplyTo`, `attributedTo`, `to` Public and `cc` the author's followers
  (and the wall's, and those mentioned), themes as `Hashtag` tags, mentions as `Mention`;
* events → `Event` with Mobilizon's extensions (location as a Place with a PostalAddress,
  timezone, joinMode, capacities, participantCount, status, isOnline), attributed to the
  organizing group;
* proposals → `Question` (Mastodon shows a poll): `oneOf` options with their vote counts,
  `endTime`, `votersCount`; a vote → the `Note` answering it, as Mastodon sends votes;
* places → `Place`; classifieds and actions → `Page`.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from rdflib import URIRef

from federation.actors import split_actor_iri
from federation.as2_common import (
    LANGUAGE,
    PUBLIC,
    Stored,
    compact,
    iso,
    read_values,
    sanitise,
)
from federation.handler_support import triples
from ontology import AS, CC, DCTERMS, GEO, RDF, SCHEMA
from store.base import TripleStore
from store.moments import utc_iso
from store.queries import query

_HTML_TAG = re.compile(r"<(p|br|a|span|strong|em|ul|ol|li|blockquote|code|pre)\b", re.I)
#: Overseas départements keep their own time; the rest of France is on Paris time.
TIMEZONES = {"971": "America/Guadeloupe", "972": "America/Martinique",
             "973": "America/Cayenne", "974": "Indian/Reunion", "976": "Indian/Mayotte",
             "975": "America/Miquelon", "977": "America/St_Barthelemy",
             "978": "America/Marigot"}

#: Mobilizon's event categories for ours (cc:EventType).
CATEGORIES = {"Meeting": "MEETING", "Workshop": "CRAFTS", "Festival": "PARTY",
              "Concert": "MUSIC", "Exhibition": "ARTS", "Market": "COMMUNITY",
              "Conference": "LEARNING", "SportsEvent": "SPORTS", "Training": "LEARNING",
              "Volunteering": "CAUSES"}


def html_content(value: str | None) -> str | None:
    """Stored content as safe HTML: HTML is sanitised, plain text escaped into paragraphs."""
    if not value:
        return None
    if _HTML_TAG.search(value):
        return sanitise(value) or None
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    escaped = (html.escape(p, quote=False).replace("\n", "<br>") for p in paragraphs)
    return "".join(f"<p>{p}</p>" for p in escaped)


class Builder:
    """Builds the documents of one instance's objects (reads the public store only)."""

    def __init__(self, store: TripleStore, base_url: str) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.host = self.base_url.split("://", 1)[-1]

    # --- shared parts ------------------------------------------------------------------

    def author(self, item: Stored) -> str | None:
        attributed = item.values(AS.attributedTo)
        local = [a for a in attributed if a.startswith(self.base_url + "/")]
        return (local or attributed or [item.value(DCTERMS.creator) or ""])[0] or None

    def is_local_actor_iri(self, iri: str | None) -> bool:
        return bool(iri) and split_actor_iri(self.base_url, iri or "") is not None

    def addressing(self, item: Stored, author: str | None,
                   extra: list[str] | None = None) -> tuple[list[str], list[str]]:
        """Public, and copied to the followers of the author and of the wall it is on."""
        cc: list[str] = []
        for actor in (author, item.value(CC.wall)):
            if self.is_local_actor_iri(actor):
                cc.append(f"{actor}/followers")
        cc += extra or []
        cc += [a for a in item.values(AS.cc) if a != PUBLIC]
        return [PUBLIC], list(dict.fromkeys(c for c in cc if c and c != author))

    def tags(self, item: Stored) -> tuple[list[dict[str, Any]], list[str]]:
        """(Mention and Hashtag tags, mentioned actors)."""
        tags: list[dict[str, Any]] = []
        mentioned: list[str] = []
        seen: set[str] = set()
        for node in item.nodes(AS.tag):
            kinds = {str(k) for k in item.graph.objects(node, RDF.type)}
            href, name = item.value(AS.href, node), item.value(AS.name, node) or ""
            if not href:
                continue
            if str(AS.Mention) in kinds:
                if name.count("@") == 1 and href.startswith(self.base_url + "/"):
                    name = f"{name}@{self.host}"
                tags.append({"type": "Mention", "href": href, "name": name})
                mentioned.append(href)
            elif str(AS.Hashtag) in kinds:
                name = name if name.startswith("#") else f"#{name}"
                if name.lower() not in seen:
                    seen.add(name.lower())
                    tags.append({"type": "Hashtag", "href": href, "name": name})
        for theme in item.values(CC.theme):
            name = "#" + theme.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            if name.lower() not in seen:
                seen.add(name.lower())
                tags.append({"type": "Hashtag", "href": theme, "name": name})
        return tags, mentioned

    def attachments(self, item: Stored) -> list[dict[str, Any]]:
        found = []
        for node in item.nodes(AS.attachment):
            url = item.value(AS.url, node)
            if url:
                found.append(compact({"type": "Image", "url": url,
                                      "mediaType": item.value(AS.mediaType, node),
                                      "name": item.value(AS.name, node)}))
        return found

    def base(self, item: Stored, kind: str, author: str | None) -> dict[str, Any]:
        content = html_content(item.value(AS.content))
        return {
            "id": item.iri, "type": kind, "attributedTo": author,
            "name": item.value(AS.name), "summary": None, "content": content,
            "contentMap": {LANGUAGE: content} if content else None,
            "mediaType": "text/html" if content else None,
            "url": item.iri, "published": item.published(), "updated": item.updated(),
        }

    # --- posts ------------------------------------------------------------------------

    def note(self, item: Stored) -> dict[str, Any]:
        author = self.author(item)
        tags, mentioned = self.tags(item)
        parent = item.value(AS.inReplyTo)
        extra = [*mentioned]
        if parent:
            parent_author = self.author_of(parent)
            if parent_author:
                extra.append(parent_author)
        to, cc = self.addressing(item, author, extra)
        document = self.base(item, "Note", author)
        document.update({
            "name": None if item.has_type(CC.Post) else item.value(AS.name),
            "inReplyTo": parent or (item.value(CC.amends) if item.has_type(CC.Amendment)
                                    else None),
            "context": item.value(AS.context), "to": to, "cc": cc, "tag": tags,
            "attachment": self.attachments(item), "sensitive": False,
            **self.reactions(item),
        })
        return compact(document)

    def reactions(self, item: Stored) -> dict[str, Any]:
        """likes, shares and replies with their counts (Mastodon shows them)."""
        counts = {str(row["kind"]): int(row["n"]) for row in self.store.select(
            query("ap_reactions_to", object=URIRef(item.iri)))}
        answers = self.store.select(query("ap_replies_to", object=URIRef(item.iri)))
        likes = {"type": "Collection", "totalItems": counts.get(str(AS.Like), 0)}
        if item.value(AS.likes):
            likes["id"] = item.value(AS.likes)  # type: ignore[assignment]
        return {
            "likes": likes,
            "shares": {"type": "Collection", "totalItems": counts.get(str(AS.Announce), 0)},
            "replies": {"id": f"{item.iri}/replies", "type": "OrderedCollection",
                        "totalItems": len(answers), "first": f"{item.iri}/replies?page=1"},
        }

    def author_of(self, iri: str) -> str | None:
        text = self.store.graph(iri) if iri.startswith(self.base_url + "/") else None
        if not text:
            return None
        values = read_values(text, iri)
        found = values.get(str(AS.attributedTo)) or values.get(str(DCTERMS.creator))
        return found[0] if found else None

    # --- events -----------------------------------------------------------------------

    def event(self, item: Stored) -> dict[str, Any]:
        organizer = self.author(item)
        tags, _mentioned = self.tags(item)
        to, cc = self.addressing(item, organizer)
        capacity = item.value(SCHEMA.maximumAttendeeCapacity)
        participants = self.count_items(f"{item.iri}/attendees")
        online = item.value(CC.onlineUrl)
        start = iso(item.value(AS.startTime))
        end = iso(item.value(AS.endTime))
        document = self.base(item, "Event", organizer)
        document.update({
            "actor": item.value(DCTERMS.creator) if organizer != item.value(
                DCTERMS.creator) else None,
            "startTime": start, "endTime": end,
            "timezone": self.timezone(item.value(CC.territory)),
            "location": self.place(item),
            "joinMode": "free",
            "category": CATEGORIES.get((item.value(CC.eventType) or "").rsplit("#", 1)[-1]),
            "maximumAttendeeCapacity": int(capacity) if capacity else None,
            "remainingAttendeeCapacity": max(int(capacity) - participants, 0)
            if capacity else None,
            "participantCount": participants,
            "status": "CONFIRMED", "ical:status": "CONFIRMED",
            "isOnline": bool(online),
            "attachment": [{"type": "Link", "name": "Website", "href": online,
                            "mediaType": "text/html"}] if online else [],
            "anonymousParticipationEnabled": False,
            "commentsEnabled": True,
            "to": to, "cc": cc, "tag": tags,
        })
        return compact(document)

    def count_items(self, collection: str) -> int:
        text = self.store.graph(collection)
        if not text:
            return 0
        items = str(AS.items)
        return sum(1 for s, p, _o in triples(text) if s == collection and p == items)

    def territory_values(self, territory: str | None) -> dict[str, list[str]]:
        if not territory or not territory.startswith(self.base_url + "/"):
            return {}
        text = self.store.graph(territory)
        return read_values(text, territory) if text else {}

    def timezone(self, territory: str | None) -> str:
        code = (self.territory_values(territory).get(str(CC.inseeCode)) or [""])[0]
        return TIMEZONES.get(code[:3], "Europe/Paris")

    def place(self, item: Stored) -> dict[str, Any] | None:
        """The event's location: its place (cc:PointOfInterest) or its own address."""
        where = item.value(AS.location)
        values: dict[str, list[str]] = {}
        if where and where.startswith(self.base_url + "/"):
            text = self.store.graph(where)
            values = read_values(text, where) if text else {}

        def first(predicate: URIRef) -> str | None:
            found = values.get(str(predicate)) or item.values(predicate)
            return found[0] if found else None

        territory = first(CC.territory)
        commune = self.territory_values(territory)
        locality = (commune.get(str(AS.name)) or [None])[0]
        postal = sorted(commune.get(str(CC.postalCode)) or [None])[0]  # type: ignore[type-var]
        street = first(SCHEMA.streetAddress)
        latitude, longitude = first(GEO.lat), first(GEO.long)
        if not (where or street or latitude or locality):
            return None
        address = compact({"type": "PostalAddress", "streetAddress": street,
                           "postalCode": postal, "addressLocality": locality,
                           "addressCountry": "FR"})
        name = (values.get(str(AS.name)) or [None])[0] or street or locality
        return compact({
            "id": where, "type": "Place", "name": name, "address": address,
            "latitude": float(latitude) if latitude else None,
            "longitude": float(longitude) if longitude else None,
        })

    # --- proposals and votes ----------------------------------------------------------

    def question(self, item: Stored) -> dict[str, Any]:
        author = self.author(item)
        tags, _mentioned = self.tags(item)
        to, cc = self.addressing(item, author)
        counts: dict[str, int] = {}
        for row in self.store.select(query("ap_proposal_votes", proposal=URIRef(item.iri))):
            counts[str(row["choice"])] = int(row["votes"])
        voters = self.store.select(query("ap_proposal_voters", proposal=URIRef(item.iri)))
        options = [{"type": "Note", "name": option,
                    "replies": {"type": "Collection", "totalItems": counts.get(option, 0)}}
                   for option in item.values(CC.option)]
        end = iso(item.value(AS.endTime))
        name = item.value(AS.name) or ""
        body = html_content(item.value(AS.content)) or ""
        content = f"<p>{html.escape(name, quote=False)}</p>{body}" if name else body
        document = self.base(item, "Question", author)
        document.update({
            "content": content or None, "contentMap": {LANGUAGE: content} if content else None,
            "endTime": end, "oneOf": options,
            "votersCount": int(voters[0]["voters"]) if voters else 0,
            "closed": end if end and end <= _now() else None,
            "to": to, "cc": cc, "tag": tags,
        })
        return compact(document)

    def vote(self, item: Stored) -> dict[str, Any]:
        """A vote as Mastodon sends one: a Note named after the option, answering the
        Question, addressed to the poll's author."""
        proposal = item.value(CC.voteOn)
        owner = self.author_of(proposal) if proposal else None
        return compact({
            "id": item.iri, "type": "Note", "name": item.value(CC.choice),
            "attributedTo": self.author(item), "inReplyTo": proposal,
            "to": [owner] if owner else [], "published": item.published(),
        })

    # --- the rest ---------------------------------------------------------------------

    def point(self, item: Stored) -> dict[str, Any]:
        latitude, longitude = item.value(GEO.lat), item.value(GEO.long)
        document = self.base(item, "Place", self.author(item))
        document.update({
            "summary": item.value(AS.summary),
            "latitude": float(latitude) if latitude else None,
            "longitude": float(longitude) if longitude else None,
            "to": [PUBLIC],
        })
        return compact(document)

    def page(self, item: Stored) -> dict[str, Any]:
        author = self.author(item)
        tags, _mentioned = self.tags(item)
        to, cc = self.addressing(item, author)
        document = self.base(item, "Page", author)
        document.update({"summary": item.value(AS.summary), "to": to, "cc": cc,
                         "tag": tags, "attachment": self.attachments(item)})
        return compact(document)

    def build(self, item: Stored) -> dict[str, Any] | None:
        if item.has_type(CC.Post) or item.has_type(CC.Amendment):
            return self.note(item)
        if item.has_type(CC.Event):
            return self.event(item)
        if item.has_type(CC.Proposal):
            return self.question(item)
        if item.has_type(CC.Vote):
            return self.vote(item)
        if item.has_type(CC.PointOfInterest):
            return self.point(item)
        if any(item.has_type(k) for k in (CC.Offer, CC.Need, CC.Action)):
            return self.page(item)
        return None


def _now() -> str:
    return utc_iso(datetime.now(UTC))
