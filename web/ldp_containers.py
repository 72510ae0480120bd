"""GET on a Basic Container: its own triples plus a page of ldp:contains, as Prefer asks.

Containers can hold a million members, so membership is paged (`?page=N`, with
`Link: rel="next"/"prev"`) and the container description itself is built by the server.
"""

from __future__ import annotations

import re

from flask import Response, request
from rdflib import URIRef

from federation.as2_collections import MAX_PAGE
from federation.resources import container_graph
from store.base import graph_etag
from store.queries import query
from web.negotiation import HTML, JSONLD, choose, etag_for, serialize, wants_expanded
from web.pages import render_resource_page
from web.platform import platform
from web.problems import problem

LDP = "http://www.w3.org/ns/ldp#"
MINIMAL = f"{LDP}PreferMinimalContainer"
CONTAINMENT = f"{LDP}PreferContainment"
LEGACY_MINIMAL = f"{LDP}PreferEmptyContainer"


def prefer_containment(header: str | None) -> tuple[bool, bool]:
    """(include containment triples?, was a preference applied?) from a Prefer header."""
    if not header or "return=representation" not in header.replace(" ", ""):
        return True, False
    include = _uris(header, "include")
    omit = _uris(header, "omit")
    if MINIMAL in include or LEGACY_MINIMAL in include or CONTAINMENT in omit:
        return False, True
    return True, bool(include or omit)


def _uris(header: str, parameter: str) -> set[str]:
    match = re.search(rf'{parameter}\s*=\s*"([^"]*)"', header)
    return set(match.group(1).split()) if match else set()


def get_container(container: str, types: str, allowed: str) -> Response:
    site = platform()
    iri = f"{site.base_url}/{container}/"
    include, applied = prefer_containment(request.headers.get("Prefer"))
    page = max(request.args.get("page", default=1, type=int) or 1, 1)
    if page > MAX_PAGE:  # an offset no store takes
        return problem(400, f"page must be a number from 1 to {MAX_PAGE:,}")
    size = site.settings.page_size
    lines = [container_graph(site.base_url, container)]
    has_next = False
    if include:
        rows = site.store.select(query("container_members_page", container=URIRef(iri),
                                       limit=size + 1, offset=(page - 1) * size))
        has_next = len(rows) > size
        members = [str(row["member"]) for row in rows[:size]]
        lines += [f"<{iri}> <{LDP}contains> <{m}> .\n" for m in members]
    ntriples = "".join(lines)
    media = choose(request)
    expanded = media == JSONLD and wants_expanded(request)
    etag = etag_for(graph_etag(ntriples), media, "expanded" if expanded else "")
    headers = {"ETag": etag, "Link": types, "Allow": allowed, "Vary": "Accept, Prefer"}
    if allowed.endswith("POST"):
        from web.rdf_input import ACCEPTED

        headers["Accept-Post"] = ", ".join(ACCEPTED)
    if applied:
        headers["Preference-Applied"] = "return=representation"
    links = [headers["Link"]]
    if has_next:
        links.append(f'<{iri}?page={page + 1}>; rel="next"')
    if page > 1:
        links.append(f'<{iri}?page={page - 1}>; rel="prev"')
    headers["Link"] = ", ".join(links)
    if media == HTML:
        from web.ldp import html_page

        return html_page(render_resource_page(iri, ntriples), headers)
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    body = serialize(ntriples, media, site.base_url, expanded)
    content_type = f"{media}; charset=utf-8" if media.startswith("text/") else media
    return Response(body, 200, headers=headers, content_type=content_type)
