"""The Linked Data Platform 1.0 interface: Basic Containers and their RDF Source members.

Reads come straight from the store (with representations cached by ETag); every write is
turned into an Activity and applied by federation.activities, the platform's one write path.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from federation.activities import Activity
from federation.errors import ActivityRefused
from federation.resources import is_tombstone_text
from ontology import CLASS_BY_CONTAINER
from web import ldp_containers
from web.auth import require_actor
from web.negotiation import (
    HTML,
    JSONLD,
    choose,
    etag_for,
    graph_etag_from_header,
    serialize,
    wants_expanded,
)
from web.pages import render_resource_page
from web.patch import PatchRefused, apply_sparql_patch
from web.platform import platform
from web.problems import problem, refused
from web.rdf_input import ACCEPTED, BadBody, parse_graph
from web.slugs import BadSlug, mint_slug

bp = Blueprint("ldp", __name__)

LDP = "http://www.w3.org/ns/ldp#"
MEMBER_METHODS = "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"
CONTAINER_METHODS = "GET, HEAD, OPTIONS, POST"
READ_ONLY_METHODS = "GET, HEAD, OPTIONS"
MEMBER_TYPES = f'<{LDP}Resource>; rel="type", <{LDP}RDFSource>; rel="type"'
CONTAINER_TYPES = f'{MEMBER_TYPES}, <{LDP}BasicContainer>; rel="type"'
READ_ONLY_CONTAINERS = ("territories",)


def _check_container(container: str) -> None:
    if container not in CLASS_BY_CONTAINER and container not in READ_ONLY_CONTAINERS:
        abort(404)


def constrained_by() -> dict[str, str]:
    """LDP 4.2.1.6: refusals due to the server's constraints point at them."""
    return {"Link": f'<{platform().base_url}/shapes/>; rel="{LDP}constrainedBy"'}


def ldp_headers_for(path: str) -> tuple[str, str] | None:
    """(type links, allowed methods) of the LDP resource at `path`, if it is one."""
    parts = path.strip("/").split("/")
    container = parts[0] if parts else ""
    if container not in CLASS_BY_CONTAINER and container not in READ_ONLY_CONTAINERS:
        return None
    read_only = container in READ_ONLY_CONTAINERS
    if path.endswith("/") and len(parts) == 1:
        return CONTAINER_TYPES, READ_ONLY_METHODS if read_only else CONTAINER_METHODS
    if len(parts) == 2:
        return MEMBER_TYPES, READ_ONLY_METHODS if read_only else MEMBER_METHODS
    return None


@bp.after_request
def _type_links(response: Response) -> Response:
    """LDP 4.2.1.4 / 5.2.1.4: every response, errors included, says what the target is."""
    found = ldp_headers_for(request.path)
    if found is not None:
        existing = response.headers.get("Link", "")
        if 'rel="type"' not in existing:
            response.headers["Link"] = f"{existing}, {found[0]}" if existing else found[0]
    return response


@bp.errorhandler(ActivityRefused)
def _refused(error: ActivityRefused) -> Response:
    if request.method == "PUT" and error.status == 404:
        message = f"{error.message}: create resources by POST to their container, not by PUT"
        return problem(404, message, constrained_by())
    return refused(error, platform().base_url)


@bp.errorhandler(BadBody)
def _bad_body(error: BadBody) -> Response:
    headers = {"Accept-Post": ", ".join(ACCEPTED)} if error.status == 415 else {}
    if error.status == 400 and error.message.startswith("this server only creates"):
        headers.update(constrained_by())
    return problem(error.status, error.message, headers)


ALL_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/<container>/", methods=ALL_METHODS)
def container_route(container: str) -> Response:
    _check_container(container)
    allowed = READ_ONLY_METHODS if container in READ_ONLY_CONTAINERS else CONTAINER_METHODS
    if request.method == "OPTIONS":
        return _options(allowed, CONTAINER_TYPES, accept_post=container not in READ_ONLY_CONTAINERS)
    if request.method not in allowed:
        return _not_allowed(allowed, "a container's own state and its membership are managed "
                            "by the server; POST to create a member")
    if request.method == "POST":
        return _create(container)
    return ldp_containers.get_container(container, CONTAINER_TYPES, allowed)


@bp.route("/<container>/<slug>", methods=ALL_METHODS)
def member_route(container: str, slug: str) -> Response:
    _check_container(container)
    iri = f"{platform().base_url}/{container}/{slug}"
    allowed = READ_ONLY_METHODS if container in READ_ONLY_CONTAINERS else MEMBER_METHODS
    if request.method == "OPTIONS":
        return _options(allowed, MEMBER_TYPES, accept_patch=container not in READ_ONLY_CONTAINERS)
    if request.method not in allowed:
        return _not_allowed(allowed, f"{request.method} is not supported on this resource")
    if request.method in ("GET", "HEAD"):
        return _get_member(iri, allowed, writable=container not in READ_ONLY_CONTAINERS)
    actor = require_actor()
    if request.method == "PUT":
        return _put(iri, actor)
    if request.method == "PATCH":
        return _patch(iri, actor)
    return _delete(iri, actor)


def _options(allowed: str, types: str, accept_post: bool = False,
             accept_patch: bool = False) -> Response:
    response = Response(status=204)
    response.headers["Allow"] = allowed
    response.headers["Link"] = types
    if accept_post:
        response.headers["Accept-Post"] = ", ".join(ACCEPTED)
    if accept_patch:
        response.headers["Accept-Patch"] = "application/sparql-update"
    return response


def _not_allowed(allowed: str, message: str) -> Response:
    return problem(405, message, {"Allow": allowed})


def _get_member(iri: str, allowed: str, writable: bool) -> Response:
    site = platform()
    found = site.store.graph_with_etag(iri)
    if found is None:
        return problem(404, f"{iri} does not exist")
    ntriples, graph_etag = found
    if is_tombstone_text(ntriples, iri):
        return problem(410, f"{iri} was deleted")
    media = choose(request)
    expanded = media == JSONLD and wants_expanded(request)
    etag = etag_for(graph_etag, media, "expanded" if expanded else "")
    headers = {"ETag": etag, "Link": MEMBER_TYPES, "Allow": allowed, "Vary": "Accept"}
    if writable:
        headers["Accept-Patch"] = "application/sparql-update"
    if media == HTML:
        return html_page(render_resource_page(iri, ntriples), headers)
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    key = (graph_etag, media, "expanded" if expanded else "")
    body = site.representations.get(key)
    if body is None:
        body = serialize(ntriples, media, site.base_url, expanded)
        site.representations.put(key, body)
    return Response(body, 200, headers=headers, content_type=_content_type(media))


def html_page(body: str, headers: dict[str, str]) -> Response:
    """A page for people: it depends on who is logged in and on lists that change
    without the resource changing, so it is never cached nor validated by the RDF's ETag."""
    headers = {k: v for k, v in headers.items() if k != "ETag"}
    headers["Cache-Control"] = "private, no-store"
    headers["Vary"] = "Accept, Cookie"
    return Response(body, 200, headers=headers, content_type="text/html; charset=utf-8")



def _content_type(media: str) -> str:
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


def _create(container: str) -> Response:
    site = platform()
    actor = require_actor()
    _refuse_interaction_models()
    try:
        slug = mint_slug(request.headers.get("Slug"), site.store, site.base_url, container)
    except BadSlug as error:
        return problem(400, str(error))
    iri = f"{site.base_url}/{container}/{slug}"
    graph = parse_graph(request, iri, site.base_url, site.settings.max_body_bytes)
    outcome = site.activities.apply(Activity("Create", actor, iri, graph))
    response = Response(f"Created {iri}\n", 201, mimetype="text/plain")
    response.headers["Location"] = iri
    if outcome.etag:
        response.headers["ETag"] = etag_for(outcome.etag, "text/turtle")
    return response


def _refuse_interaction_models() -> None:
    """LDP 5.2.3.4: an interaction model we cannot honour fails the request."""
    for link in request.headers.getlist("Link"):
        for part in link.split(","):
            if 'rel="type"' not in part.replace("'", '"'):
                continue
            target = part.split(">")[0].strip().lstrip("<")
            if target not in (f"{LDP}Resource", f"{LDP}RDFSource"):
                raise BadBody(400, f"this server only creates RDF Sources, not {target}")


def _if_match() -> str | None:
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    etag = graph_etag_from_header(header.split(",")[0])
    return etag or "weak-etags-never-match"


def _put(iri: str, actor: str) -> Response:
    site = platform()
    graph = parse_graph(request, iri, site.base_url, site.settings.max_body_bytes)
    outcome = site.activities.apply(Activity("Update", actor, iri, graph, if_match=_if_match()))
    return _updated(outcome.etag)


def _patch(iri: str, actor: str) -> Response:
    site = platform()
    found = site.store.graph_with_etag(iri)
    if found is None:
        return problem(404, f"{iri} does not exist")
    ntriples, current_etag = found
    if_match = _if_match()
    if if_match is not None and if_match != current_etag:
        return problem(412, "the resource changed since you read it (If-Match does not match)")
    try:
        graph = apply_sparql_patch(request, ntriples, iri, site.settings.max_body_bytes)
    except PatchRefused as error:
        headers = {"Accept-Patch": "application/sparql-update"} if error.status == 415 else {}
        if error.status == 422:
            headers.update(constrained_by())
        return problem(error.status, error.message, headers)
    activity = Activity("Update", actor, iri, graph, if_match=current_etag)
    outcome = site.activities.apply(activity)
    return _updated(outcome.etag)


def _updated(etag: str | None) -> Response:
    response = Response(status=204)
    if etag:
        response.headers["ETag"] = etag_for(etag, "text/turtle")
    response.headers["Link"] = MEMBER_TYPES
    return response


def _delete(iri: str, actor: str) -> Response:
    platform().activities.apply(Activity("Delete", actor, iri, if_match=_if_match()))
    return Response(status=204)
