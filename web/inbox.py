"""ActivityPub inboxes: POST `/inbox` (the shared inbox) and `{actor}/inbox`.

Every POST is hostile until proven otherwise, and each check refuses before the next,
costlier one runs, with nothing stored on refusal:

1. media type: `application/activity+json`, or `application/ld+json` with the
   ActivityStreams profile (415);
2. size: at most settings.max_body_bytes (413), read without trusting Content-Length;
3. JSON within limits (federation.inbound_parse: malformed 400, depth 400, arrays and
   value counts 413) — before any JSON-LD processing;
4. the actor's domain is not rejected by the instance (federation.moderation, 403);
5. the HTTP signature (draft-cavage-12 rsa-sha256 / hs2019 with Digest, or RFC 9421 with
   Content-Digest; Date / created within ±12 h): keys from federation.key_cache, fetched
   again once when verification fails (key rotation); unverifiable → 401, so that a
   sender like Fedify retries in the other format ("double knocking");
6. the key's owner is the activity's actor, on the same host as the key (401);
7. federation.inbound applies the activity (4xx when refused; 202 when applied, already
   applied, or ignored on purpose).
Answers to activities (Accept of a Follow) go through the delivery queue, never inline.
"""

from __future__ import annotations

import logging
from typing import Any
from weakref import WeakKeyDictionary

from flask import Blueprint, Flask, Response, request
from flask.blueprints import BlueprintSetupState
from rdflib import URIRef
from rdflib.namespace import RDF

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.inbound import Inbound, InboundRefused
from federation.inbound_parse import BadDocument, host_of, id_of, parse_json, same_host
from federation.key_cache import KeyCache
from federation.remote import RemoteObjects
from federation.resources import graph_from_ntriples, is_tombstone
from federation.signatures import (
    ResolvedKey,
    SignatureError,
    SignatureMismatch,
    UnknownKey,
    verify_request,
)
from ontology import AS, CC
from web.platform import Platform, platform
from web.problems import problem

logger = logging.getLogger(__name__)

bp = Blueprint("inbox", __name__)
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
#: How long fetching a sender's key (or an object) may take while its POST waits: a slow
#: server must not hold the inbox's threads (it gets a 401 and retries later).
INBOX_FETCH_SECONDS = 8.0
_PARTS: dict[int, tuple[RemoteObjects, KeyCache, Inbound]] = {}
_APPS: WeakKeyDictionary[ActivityHandler, Flask] = WeakKeyDictionary()


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    site: Platform = state.app.extensions["communecter"]
    remote = RemoteObjects(site.store, site.private, site.base_url,
                           site.settings.allow_private_addresses, INBOX_FETCH_SECONDS)
    inbound = Inbound(site.activities, remote, site.private, _enqueuer(site))
    _PARTS[id(site)] = (remote, KeyCache(site.private, remote), inbound)
    _APPS[site.activities] = state.app


@on_applied
def _tell_people(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    """Remote replies and mentions notify the people concerned as local ones do (the
    posts' observer, web/ui/post_events.py, knows only this instance's posts): the author
    of the post or comment answered, of the thread's first post, and whoever is
    mentioned."""
    app = _APPS.get(handler)
    if app is None or activity.type != "Create" or handler.is_local(activity.object) or \
            handler.is_local(activity.actor):
        return
    found = handler.store.graph(activity.object)
    if found is None:
        return
    from federation.handlers import social
    from web.ui import notifications

    graph = graph_from_ntriples(found)
    subject = URIRef(activity.object)
    if (subject, RDF.type, AS.Note) not in graph and (subject, RDF.type, CC.Post) not in graph:
        return
    where = graph.value(subject, AS.inReplyTo)
    for recipient, kind in social.post_recipients(handler, activity.object, graph):
        notifications.notify(recipient, kind, activity.actor, activity.object,
                             str(where) if where is not None else None, app=app)


def _enqueuer(site: Platform) -> Any:
    def enqueue(inbox: str, activity: dict[str, Any], signer: str) -> None:
        queue = getattr(site, "deliveries", None)
        if queue is None:
            logger.warning("no delivery queue here: %s to %s dropped", activity.get("type"),
                           inbox)
            return
        queue.enqueue(inbox, activity, signer)

    return enqueue


def parts() -> tuple[RemoteObjects, KeyCache, Inbound]:
    return _PARTS[id(platform())]


@bp.post("/inbox")
def shared_inbox() -> Response:
    return _receive()


@bp.post("/<container>/<slug>/inbox")
def actor_inbox(container: str, slug: str) -> Response:
    site = platform()
    iri = f"{site.base_url}/{container}/{slug}"
    found = site.store.graph(iri)
    if found is None:
        return problem(404, "there is no such actor here")
    if is_tombstone(graph_from_ntriples(found), URIRef(iri)):
        return problem(410, "this actor was deleted")
    return _receive()


def _receive() -> Response:
    site = platform()
    if not _is_activity_json():
        return problem(415, "send application/activity+json (or application/ld+json with "
                            f'profile="{AS_PROFILE}")')
    limit = site.settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return problem(413, f"the body is larger than the {limit:,}-byte limit")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return problem(413, f"the body is larger than the {limit:,}-byte limit")
    try:
        document = parse_json(body)
    except BadDocument as error:
        return problem(error.status, str(error))
    actor = id_of(document.get("actor"))
    if not actor or not host_of(actor) or site.activities.is_local(actor):
        return problem(400, "the activity needs a remote actor")
    if _rejected(site, actor):
        return problem(403, "this instance does not accept activities from your server")
    _remote, keys, inbound = parts()
    try:
        inbound.check(document, actor)
    except InboundRefused as error:
        return problem(error.status, error.message)
    try:
        verified = _verify(keys, body)
    except SignatureError as error:
        if _deletes_an_unknown_actor(site, document, actor):
            return Response("ignored: the deletion of an actor unknown here\n", 202,
                            mimetype="text/plain")
        logger.info("inbox: signature refused (%s): %s", type(error).__name__, error)
        return problem(401, f"signature refused: {error}",
                       {"WWW-Authenticate": 'Signature realm="communecter"'})
    if verified.owner != actor or not same_host(verified.key_id, actor):
        return problem(401, "the signing key does not belong to the activity's actor")
    try:
        result = inbound.receive(document, actor, keys.fetched_actor(actor))
    except InboundRefused as error:
        return problem(error.status, error.message)
    return Response(f"{result}\n", 202, mimetype="text/plain")


def _deletes_an_unknown_actor(site: Platform, document: dict[str, Any], actor: str) -> bool:
    """A deleted account's server tells every server it knows, and its key can no longer
    be fetched: when we never knew the actor there is nothing to delete, and a 202 spares
    the sender days of retries (Mastodon answers the same)."""
    return (document.get("type") == "Delete" and id_of(document.get("object")) == actor
            and site.store.graph(actor) is None)


def _is_activity_json() -> bool:
    kind = (request.mimetype or "").lower()
    if kind == "application/activity+json":
        return True
    profile = request.mimetype_params.get("profile", "")
    return kind == "application/ld+json" and AS_PROFILE in profile.split()


def _rejected(site: Platform, actor: str) -> bool:
    try:
        from federation.moderation import domain_policy
    except ImportError:  # pragma: no cover (moderation lands alongside)
        return False
    return domain_policy(site.private, host_of(actor)) == "reject"


def _verify(keys: KeyCache, body: bytes) -> Any:
    """Verifies the request's signature, fetching the key again once when it is unknown
    or does not verify (the sender may have rotated it)."""
    site = platform()
    url = site.base_url + request.full_path.rstrip("?")
    headers = list(request.headers.items())
    fetched: set[str] = set()

    def resolver(key_id: str) -> ResolvedKey | None:
        found = None if key_id in fetched else keys.cached(key_id)
        if found is None:
            fetched.add(key_id)
            found = keys.resolve(key_id, refresh=True)
        return found

    try:
        return verify_request(request.method, url, headers, body, resolver)
    except (UnknownKey, SignatureMismatch) as error:
        if not error.key_id or error.key_id in fetched:
            raise  # the key was fetched for this very request: fetching again won't help
        fetched.add(error.key_id)
        return verify_request(request.method, url, headers, body, resolver)
