"""The ActivityPub read side: actors, objects and collections over content negotiation.

One URI per thing (DESIGN.md §1): a GET on a resource's URI that asks for
`application/activity+json` (or JSON-LD with the ActivityStreams profile) gets its AS2
document from `federation.as2`, whatever blueprint serves its other representations; so do
`{thing}/followers` and `{person}/following`. Routes of their own:

  GET /actor                                  the instance actor (Application)
  GET /actor/{outbox,followers,following}     its (empty) collections
  GET /{actor}/outbox[?page=N]                Creates (Announces for territories), newest first
  GET /{organization,project,territory}/{slug}/following   (empty: they follow nobody)
  GET /{post,event,proposal}/{slug}/replies[?page=N]       the answers, oldest first

POSTs to inboxes are web/inbox.py's. With `COMMUNECTER_AUTHORIZED_FETCH`, AS2 GETs of
anything but actor documents (and their keys, which live in them) must carry a valid HTTP
signature (`check_signed_fetch`), as Mastodon's secure mode does.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, Response, request

from federation.actors import ACTOR_CONTAINERS, instance_actor_iri, local_actor
from federation.as2 import object_document
from federation.as2_collections import MAX_PAGE, outbox, paged, replies, stored_collection
from federation.as2_common import CONTEXT, plausible_iri
from federation.resources import is_tombstone_text
from federation.signatures import (
    ResolvedKey,
    SignatureError,
    SignatureMismatch,
    UnknownKey,
    VerifiedSignature,
    verify_request,
)
from ontology import CLASS_BY_CONTAINER
from web.negotiation import ACTIVITY_JSON, wants_activitystreams
from web.platform import Platform, platform

logger = logging.getLogger(__name__)
bp = Blueprint("activitypub", __name__)

MEMBER_CONTAINERS = (*CLASS_BY_CONTAINER, "territories")
FOLLOWABLE = ("persons", "organizations", "projects", "events", "territories")
KeyLookup = Callable[[str, bool], "str | bytes | ResolvedKey | None"]


# --- answers ---------------------------------------------------------------------------------


def as2_response(document: dict[str, Any], status: int = 200,
                 media: str | None = None) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Vary": "Accept", "ETag": etag, "Access-Control-Allow-Origin": "*",
               "Cache-Control": "no-cache" if status == 200 else "no-store"}
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, status, headers=headers, content_type=media or ACTIVITY_JSON)


def as2_problem(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"status": status, "title": _title(status), "detail": message})
    response = Response(body, status, mimetype="application/problem+json")
    response.headers["Vary"] = "Accept"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def _page() -> int | None:
    """`?page=N` (1-based); a ValueError for anything else."""
    raw = request.args.get("page")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ValueError(f"page must be a number from 1 to {MAX_PAGE}")
    return int(raw)


# --- authorized fetch ------------------------------------------------------------------------


def check_signed_fetch(method: str, url: str, headers: Any,
                       key_lookup: KeyLookup) -> VerifiedSignature:
    """Verifies the signature of a GET; `key_lookup(key_id, refresh)` gives the signer's
    public key (PEM or ResolvedKey) or None. A key that does not verify is looked up once
    more with refresh=True (the signer may have rotated it). Raises SignatureError."""
    try:
        return verify_request(method, url, headers, None, lambda k: key_lookup(k, False))
    except (UnknownKey, SignatureMismatch):
        return verify_request(method, url, headers, None, lambda k: key_lookup(k, True))


def key_lookup_for(site: Platform) -> KeyLookup:
    """Local actors' keys from the private store; remote ones through the key cache
    (fetched with the instance actor's signature, cached, refreshed on demand)."""
    from federation.actor_keys import keys_for
    from federation.actors import split_actor_iri
    from federation.key_cache import KeyCache
    from federation.remote import RemoteObjects

    base = site.base_url
    remote = RemoteObjects(site.store, site.private, base, site.settings.allow_private_addresses)
    cache = KeyCache(site.private, remote)

    def lookup(key_id: str, refresh: bool) -> str | ResolvedKey | None:
        owner = key_id.split("#", 1)[0]
        if owner.startswith(base + "/"):
            local = owner == instance_actor_iri(base) or (
                split_actor_iri(base, owner) is not None
                and local_actor(site.store, base, owner) is not None)
            if not local or key_id != f"{owner}#main-key":
                return None
            return ResolvedKey(keys_for(site.private).public_pem(owner), owner)
        return cache.resolve(key_id, refresh=refresh)

    return lookup


def _refuse_unsigned(site: Platform) -> Response | None:
    """In authorized-fetch mode: None when the GET is signed by a key we can verify (and
    whose server is not rejected), else the 401/403 to answer."""
    if not site.settings.authorized_fetch:
        return None
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:  # servers that keep no raw target: rebuild it
        raw = request.full_path.rstrip("?") if request.query_string else request.path
    url = site.base_url + raw  # what the sender signed (RFC 9421 covers it whole)
    try:
        verified = check_signed_fetch(request.method, url, list(request.headers.items()),
                                      key_lookup_for(site))
    except SignatureError as error:
        return as2_problem(401, f"this server requires signed fetches: {error}",
                           {"WWW-Authenticate": 'Signature realm="communecter"'})
    from federation.moderation import domain_policy

    owner = verified.owner or verified.key_id.split("#", 1)[0]
    host = owner.split("://", 1)[-1].split("/", 1)[0]
    if domain_policy(site.private, host) == "reject":
        return as2_problem(403, "this server does not serve yours")
    return None


# --- content negotiation on existing URIs ------------------------------------------------------


@bp.before_app_request
def _activitystreams() -> Response | None:
    """Answers AS2 requests on resource URIs and their follower lists; lets every other
    request through to the blueprint that owns the path."""
    if request.method not in ("GET", "HEAD"):
        return None
    parts = request.path.strip("/").split("/")
    if len(parts) == 2 and parts[0] in MEMBER_CONTAINERS and parts[1] and \
            not request.path.endswith("/"):
        answer = _member
    elif len(parts) == 3 and parts[2] == "followers" and parts[0] in FOLLOWABLE:
        answer = partial(_collection, which="followers")
    elif len(parts) == 3 and parts[2] == "following" and parts[0] == "persons":
        answer = partial(_collection, which="following")
    else:  # /sparql, /ns, pages…: no ActivityStreams form, no need to read Accept
        return None
    media = wants_activitystreams(request)
    return None if media is None else answer(parts[0], parts[1], media=media)


def _member(container: str, slug: str, media: str) -> Response:
    site = platform()
    iri = f"{site.base_url}/{container}/{slug}"
    is_actor = container in ACTOR_CONTAINERS
    if not is_actor:
        refusal = _refuse_unsigned(site)
        if refusal is not None:
            return refusal
    document = object_document(site.store, site.base_url, iri, site.private)
    if document is None:
        return as2_problem(404, f"{iri} does not exist or has no ActivityStreams form")
    if document.get("type") == "Tombstone":
        return as2_response(document, 410, media)
    return as2_response(document, media=media)


def _collection(container: str, slug: str, which: str, media: str) -> Response:
    site = platform()
    owner = f"{site.base_url}/{container}/{slug}"
    found = site.store.graph(owner) if plausible_iri(owner) else None
    if not found or is_tombstone_text(found, owner):
        return as2_problem(404, f"{owner} does not exist")
    return _collection_page(
        site, lambda page: stored_collection(site.store, f"{owner}/{which}", page), media)


def _collection_page(site: Platform, build: Callable[[int | None], dict[str, Any]],
                     media: str | None) -> Response:
    """Every collection answers alike: the authorized-fetch check, then `?page` (400 when
    it is not one), then the document `build(page)` makes of that page."""
    refusal = _refuse_unsigned(site)
    if refusal is not None:
        return refusal
    try:
        page = _page()
    except ValueError as error:
        return as2_problem(400, str(error))
    return as2_response(build(page), media=media)


# --- routes of their own -------------------------------------------------------------------------


@bp.get("/actor")
def instance_actor() -> Response:
    site = platform()
    document = object_document(site.store, site.base_url, instance_actor_iri(site.base_url),
                               site.private)
    assert document is not None
    return as2_response(document, media=wants_activitystreams(request))


@bp.get("/actor/<any(outbox,followers,following):which>")
def instance_collection(which: str) -> Response:
    return _empty(f"{instance_actor_iri(platform().base_url)}/{which}")


@bp.get("/<any(organizations,projects,territories):container>/<slug>/following")
def following_of_group(container: str, slug: str) -> Response:
    site = platform()
    if local_actor(site.store, site.base_url, f"{site.base_url}/{container}/{slug}") is None:
        return as2_problem(404, "no such actor here")
    return _empty(f"{site.base_url}/{container}/{slug}/following")


def _empty(collection: str) -> Response:
    return _collection_page(platform(),
                            lambda page: paged(collection, 0, page, 20, lambda o, n: []),
                            wants_activitystreams(request))


@bp.get("/<any(persons,organizations,projects,territories):container>/<slug>/outbox")
def actor_outbox(container: str, slug: str) -> Response:
    site = platform()
    actor = local_actor(site.store, site.base_url, f"{site.base_url}/{container}/{slug}")
    if actor is None:
        return as2_problem(404, "no such actor here")
    return _collection_page(site, lambda page: outbox(site.store, site.base_url, actor, page),
                            wants_activitystreams(request))


@bp.get("/<any(posts,events,proposals):container>/<slug>/replies")
def replies_of(container: str, slug: str) -> Response:
    site = platform()
    iri = f"{site.base_url}/{container}/{slug}"
    found = site.store.graph(iri) if plausible_iri(iri) else None
    if not found or is_tombstone_text(found, iri):
        return as2_problem(404, f"{iri} does not exist")
    return _collection_page(site, lambda page: replies(site.store, iri, page),
                            wants_activitystreams(request))


__all__ = ["CONTEXT", "as2_problem", "as2_response", "bp", "check_signed_fetch",
           "key_lookup_for"]
