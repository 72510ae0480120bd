"""People and posts of other fediverse servers, in the web app.

Pages and routes (every form carries the session's CSRF token):
  GET  /fediverse                     "Suivre un compte du fédivers": the look-up form, the
                                      remote accounts one follows and their latest posts
                                      (the remote part of one's home feed)
  GET  /fediverse/lookup?q=HANDLE     @user@host, user@host, acct:… or an actor URL →
                                      WebFinger, fetch and cache the actor and its outbox's
                                      first page → 303 to its profile page here
  GET  /fediverse/account?iri=IRI     a remote account's profile: name, handle, summary,
                                      icon, its latest public posts, Follow / Unfollow
  POST /fediverse/follow, /unfollow   iri → Follow / Undo(Follow) by the person logged in
  GET  /authorize_interaction?uri=…   the remote-follow template our WebFinger advertises

Remote actors and objects are fetched and cached by federation.remote.RemoteObjects (one
named graph per remote IRI); following is the same Follow activity as for local things,
applied by the one handler (the inbox module teaches it remote objects; delivery sends it).
Looking up fetches from the network, so it is for people logged in only; a profile already
cached is shown to anyone. Remote HTML was sanitised before storage and is sanitised again
here before it is marked safe (federation.text.clean_html, nh3).

Reading remote people and posts from the cache is web/ui/remote_views.py's, which other
pages use too (threads, participants, followers). Liking, sharing and answering remote
posts (J'aime / Partager / Répondre, and the page of one remote post) is
web/ui/remote_interactions.py's.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from rdflib import Graph, URIRef

from federation import webfinger_client
from federation.activities import Activity
from federation.actors import actor_for_username
from federation.errors import ActivityRefused
from federation.handlers import follows
from federation.remote import RemoteError, RemoteObjects
from federation.safe_fetch import FetchError
from ontology import AS
from web.platform import platform
from web.ui.remote_views import (
    RemoteActor,
    RemoteLabel,
    _host,
    actor_from_graph,
    add_reactions,
    cached_actor,
    is_remote,
    profile_href,
    remote_labels,
    remote_posts,
)
from web.ui.session import current_account, login_required, protect

logger = logging.getLogger(__name__)
bp = Blueprint("remote", __name__)
protect(bp.name)

PROFILE_POSTS = 20
REFRESH_AFTER = timedelta(hours=6)  # a profile older than this is fetched again when read
FEED_POSTS = 50
LOOKUP_ERRORS = {
    "malformed": _l("Écrivez un identifiant comme @nom@exemple.org, ou l'adresse (URL) du "
                    "compte."),
    "not_found": _l("Ce compte est introuvable sur son serveur."),
    "unreachable": _l("Le serveur de ce compte ne répond pas ou répond mal ; réessayez plus "
                      "tard."),
    "not_an_actor": _l("Cette adresse ne désigne pas un compte du fédivers."),
    "too_many": _l("Vous avez fait beaucoup de recherches en peu de temps ; réessayez dans "
                   "quelques minutes."),
}
LOOKUP_LIMIT = (30, 600.0)  # look-ups per person per 10 minutes: each one asks other servers


# --- fetching ---------------------------------------------------------------------------


def _remote_objects() -> RemoteObjects:
    site = platform()
    return RemoteObjects(site.store, site.private, site.base_url,
                         site.settings.allow_private_addresses)


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_actor(iri: str, refresh: bool = False) -> RemoteActor:
    """Fetches (or re-fetches) and caches a remote actor and the first page of its outbox."""
    if not is_remote(iri):
        raise _Failed("not_an_actor")
    remote = _remote_objects()
    try:
        graph = remote.fetch(iri, refresh=refresh)
    except (RemoteError, FetchError, ActivityRefused) as error:
        logger.info("cannot fetch %s: %s", iri, error)
        raise _Failed("unreachable") from error
    actor = actor_from_graph(iri, graph)
    if actor is None:
        raise _Failed("not_an_actor")
    _fetch_outbox(remote, graph, iri)
    return actor


def _fetch_outbox(remote: RemoteObjects, graph: Graph, actor: str) -> None:
    """The outbox's first page, so that the profile shows the latest posts (best effort:
    an account whose outbox cannot be read is still shown and followed)."""
    outbox = graph.value(URIRef(actor), AS.outbox)
    if not isinstance(outbox, URIRef) or _host(str(outbox)) != _host(actor):
        return
    try:
        collection = remote.fetch(str(outbox), refresh=True)
        first = collection.value(outbox, AS.first)
        embedded = first is not None and collection.value(first, AS.orderedItems) is not None
        if isinstance(first, URIRef) and _host(str(first)) == _host(actor) and not embedded:
            remote.fetch(str(first), refresh=True)
    except (RemoteError, FetchError, ActivityRefused) as error:
        logger.info("cannot read the outbox of %s: %s", actor, error)


def _lookup_page(query_text: str = "", error: str | None = None, status: int = 200) -> Any:
    me = current_account().actor  # type: ignore[union-attr]
    followed = [i for i in follows.following_of(platform().activities, me) if is_remote(i)]
    pending = [i for i in _pending_of(me) if i not in followed]
    labels = remote_labels([*followed, *pending])
    accounts = sorted(((labels.get(i) or RemoteLabel(i, i, i), i in pending)
                       for i in [*followed, *pending]),
                      key=lambda entry: entry[0].handle.lower())
    body = render_template("remote/lookup.html", q=query_text, error=error, accounts=accounts,
                           posts=add_reactions(remote_posts(followed, FEED_POSTS), me))
    return Response(body, status, content_type="text/html; charset=utf-8")


# --- routes ---------------------------------------------------------------------------


@bp.get("/fediverse")
@login_required
def lookup_form() -> Any:
    return _lookup_page()


@bp.get("/fediverse/lookup")
@login_required
def lookup() -> Any:
    typed = request.args.get("q", "")[: webfinger_client.MAX_INPUT + 1]
    allow_private = platform().settings.allow_private_addresses
    account = current_account()
    assert account is not None  # login_required
    if platform().accounts.rate_check([(f"fediverse-lookup:{account.id}", *LOOKUP_LIMIT)]):
        return _lookup_page(typed, str(LOOKUP_ERRORS["too_many"]), 429)
    try:
        iri = _local_handle(typed) or webfinger_client.resolve(typed,
                                                               allow_private=allow_private)
        if not is_remote(iri):  # one of ours: its own page
            return redirect(iri, 303)
        actor = fetch_actor(iri, refresh=True)
    except webfinger_client.LookupFailed as failed:
        status = 400 if failed.reason == "malformed" else (
            404 if failed.reason == "not_found" else 502)
        return _lookup_page(typed, str(LOOKUP_ERRORS[failed.reason]), status)
    except _Failed as failed:
        status = 404 if failed.reason == "not_an_actor" else 502
        return _lookup_page(typed, str(LOOKUP_ERRORS[failed.reason]), status)
    return redirect(actor.href, 303)


def _local_handle(typed: str) -> str | None:
    """The actor of a handle of this instance (no WebFinger request to ourselves)."""
    found = webfinger_client.parse(typed)
    if not isinstance(found, webfinger_client.Handle):
        return None
    if found.host != urlsplit(platform().base_url).netloc.lower():
        return None
    actor = actor_for_username(platform().store, platform().base_url, found.user)
    if actor is None:
        raise webfinger_client.LookupFailed("not_found", f"{found} is not known here")
    return actor


@bp.get("/authorize_interaction")
def authorize_interaction() -> Any:
    """Mastodon's remote-follow template: `uri` is a handle or an actor URL."""
    uri = request.args.get("uri", "").strip()
    if not uri:
        abort(400, "authorize_interaction needs ?uri=")
    return redirect(url_for("remote.lookup", q=uri), 303)


@bp.get("/fediverse/account")
def profile() -> Any:
    iri = request.args.get("iri", "").strip()
    if not is_remote(iri):
        if iri.startswith(platform().base_url + "/"):
            return redirect(iri, 303)
        abort(404, "no such remote account")
    actor = cached_actor(iri)
    account = current_account()
    if actor is None and account is not None:
        try:
            actor = fetch_actor(iri)
        except _Failed as failed:
            return _lookup_page(iri, str(LOOKUP_ERRORS[failed.reason]),
                                404 if failed.reason == "not_an_actor" else 502)
    elif actor is not None and account is not None and _stale(actor):
        try:  # a logged-in reader refreshes what is old; the cached copy serves meanwhile
            actor = fetch_actor(iri, refresh=True)
        except _Failed as failed:
            logger.info("cannot refresh %s: %s", iri, failed.reason)
    elif actor is not None and account is not None and actor.outbox and (
            platform().store.graph(actor.outbox) is None):  # cached by the inbox alone
        found = _remote_objects().cached(iri)
        if found is not None:
            _fetch_outbox(_remote_objects(), found, iri)
    if actor is None:
        abort(404, "this account is not known here yet")
    return _profile_page(actor)


def _profile_page(actor: RemoteActor, error: str | None = None, status: int = 200) -> Any:
    account = current_account()
    body = render_template("remote/profile.html", actor=actor, error=error,
                           follow=follow_status(account.actor, actor.iri) if account else None,
                           posts=add_reactions(remote_posts([actor.iri], PROFILE_POSTS),
                                               account.actor if account else None))
    return Response(body, status, content_type="text/html; charset=utf-8")


def _stale(actor: RemoteActor) -> bool:
    return actor.fetched is None or datetime.now(UTC) - actor.fetched > REFRESH_AFTER


def follow_status(person: str, actor: str) -> str:
    """"following", "pending" (the remote server's Accept is awaited) or "none"."""
    handler = platform().activities
    if actor in follows.following_of(handler, person):
        return "following"
    return "pending" if _pending_of(person, actor) else "none"


def _pending_of(person: str, actor: str | None = None) -> list[str]:
    """The remote actors `person` asked to follow, not accepted yet (federation/handlers/
    follows.py keeps them in the private store; [] where it cannot tell)."""
    handler = platform().activities
    try:
        if actor is not None:
            return [actor] if follows.is_pending(handler, person, actor) else []
        return follows.pending_follows_of(handler, person)
    except (AttributeError, ActivityRefused):
        return []


def _follow_activity(kind: str) -> Any:
    iri = request.form.get("iri", "").strip()
    if not is_remote(iri):
        abort(400, "iri must be a remote account")
    actor = cached_actor(iri)
    if actor is None:  # following needs the actor's inbox: fetch it first
        try:
            actor = fetch_actor(iri)
        except _Failed as failed:
            return _lookup_page(iri, str(LOOKUP_ERRORS[failed.reason]), 502)
    me = current_account().actor  # type: ignore[union-attr]
    activity = Activity("Follow", me, iri) if kind == "follow" else Activity(
        "Undo", me, iri, content="Follow")
    try:
        platform().activities.apply(activity)
    except ActivityRefused as refused:
        key = getattr(refused, "key", "")
        message = {"already_following": _("Vous suivez déjà ce compte."),
                   "not_following": _("Vous ne suivez pas ce compte.")}.get(key)
        return _profile_page(actor, message or refused.message, refused.status)
    if kind == "follow":
        flash(_("Demande d'abonnement envoyée à %(handle)s.", handle=_handle_or_iri(iri)),
              "success")
    else:
        flash(_("Vous ne suivez plus %(handle)s.", handle=_handle_or_iri(iri)), "success")
    return redirect(profile_href(iri), 303)


def _handle_or_iri(iri: str) -> str:
    found = remote_labels([iri]).get(iri)
    return f"@{found.handle}" if found else iri


@bp.post("/fediverse/follow")
@login_required
def follow() -> Any:
    return _follow_activity("follow")


@bp.post("/fediverse/unfollow")
@login_required
def unfollow() -> Any:
    return _follow_activity("unfollow")
