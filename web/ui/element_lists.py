"""The public lists of an element: members, attendees, followers and the persons one
follows, as an HTML page or RDF (negotiated). Routed by `web.ui.elements` (endpoints
`elements.members_list`, ...).
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from rdflib import Graph, URIRef

from federation.handlers import attendance, follows, memberships
from ontology import CC, SCHEMA, label
from store.terms import graph_to_ntriples
from web.negotiation import HTML, JSONLD, NotAcceptable, choose, serialize, wants_expanded
from web.pages import get_locale_name
from web.platform import platform
from web.ui import element_views as views
from web.ui import remote_views as remote_ui
from web.ui.element_support import _current, _iri, _message, _path


def _collection_response(owner: str, iri: str, ntriples: str, title: str,
                         items: list[dict]) -> Any:
    try:
        media = choose(request)
    except NotAcceptable:
        return _message(406, _("Aucune représentation ne convient."))
    if media == HTML:
        body = render_template("elements/collection.html", title=title, items=items,
                               owner=_path(owner), owner_name=views.display_name(
                                   owner, views.names([owner])), iri=iri)
        response = Response(body, 200, content_type="text/html; charset=utf-8")
    else:
        expanded = media == JSONLD and wants_expanded(request)
        body = serialize(ntriples, media, platform().base_url, expanded)
        content_type = f"{media}; charset=utf-8" if media.startswith("text/") else media
        response = Response(body, 200, content_type=content_type)
    response.headers["Vary"] = "Accept"
    return response


def _owner_or_error(container: str, slug: str) -> str | tuple[str, int]:
    iri = _iri(container, slug)
    found = _current(iri)
    if not isinstance(found[0], Graph):
        return found  # type: ignore[return-value]
    return iri


def members_list(container: str, slug: str) -> Any:
    owner = _owner_or_error(container, slug)
    if not isinstance(owner, str):
        return owner
    handler = platform().activities
    graph = views.live_graph(owner)
    assert graph is not None
    members = memberships.members_in(handler, owner, graph)
    ntriples = graph_to_ntriples(memberships.members_graph(owner, members))
    known = views.names(list(members))
    items = sorted(({"href": _path(p), "name": views.display_name(p, known),
                     "detail": str(views.ROLE_LABELS[m.role])} for p, m in members.items()),
                   key=lambda i: i["name"].lower())
    return _collection_response(owner, memberships.members_iri(owner), ntriples,
                                _("Membres"), items)


def attendees_list(slug: str) -> Any:
    owner = _owner_or_error("events", slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, attendance.attendees_iri(owner), _("Participant·es"))


def followers_list(container: str, slug: str) -> Any:
    owner = _owner_or_error(container, slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, follows.followers_iri(owner), _("Abonné·es"))


def following_list(slug: str) -> Any:
    owner = _owner_or_error("persons", slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, follows.following_iri(owner), _("Abonnements"))


def _plain_collection(owner: str, iri: str, title: str) -> Any:
    items, _etag = memberships.read_collection(platform().activities, iri)
    graph = memberships.collection_graph(iri, items)
    if iri.endswith("/attendees"):
        for person in items:
            graph.add((URIRef(owner), SCHEMA.attendee, URIRef(person)))
    known = views.names(items)
    remote = remote_ui.remote_labels(items)  # remote followers, attendees, follows
    rows = sorted(({"href": _path(i), "name": views.display_name(i, known),
                    "detail": _kind_label(known.get(i))} for i in items
                   if i in known and i not in remote),
                  key=lambda r: r["name"].lower())
    rows += sorted(({"href": r.href, "name": r.name, "detail": f"@{r.handle}"}
                    for r in remote.values()), key=lambda r: r["name"].lower())
    return _collection_response(owner, iri, graph_to_ntriples(graph), title, rows)


def _kind_label(named: views.Named | None) -> str:
    if named is None or not named.type:
        return ""
    return label(CC[named.type], get_locale_name())


