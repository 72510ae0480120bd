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

`remote_labels` and `profile_href` are what other pages use to show remote authors,
likers and participants with their handle (web/ui/post_views.py, element pages).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation import text, webfinger_client
from federation.activities import Activity
from federation.errors import ActivityRefused
from federation.handlers import follows
from federation.remote import RemoteError, RemoteObjects
from federation.resources import graph_from_ntriples
from federation.safe_fetch import FetchError
from ontology import AS
from store.queries import query
from web.platform import platform
from web.ui.session import current_account, login_required, protect

logger = logging.getLogger(__name__)
bp = Blueprint("remote", __name__)
protect(bp.name)

PROFILE_POSTS = 20
FEED_POSTS = 50
ACTOR_TYPES = {AS.Person, AS.Service, AS.Group, AS.Organization, AS.Application}
LOOKUP_ERRORS = {
    "malformed": _l("Écrivez un identifiant comme @nom@exemple.org, ou l'adresse (URL) du "
                    "compte."),
    "not_found": _l("Ce compte est introuvable sur son serveur."),
    "unreachable": _l("Le serveur de ce compte ne répond pas ou répond mal ; réessayez plus "
                      "tard."),
    "not_an_actor": _l("Cette adresse ne désigne pas un compte du fédivers."),
}


# --- reading the cache ------------------------------------------------------------------


@dataclass
class RemoteActor:
    iri: str
    handle: str  # user@host ("" when the actor has no preferredUsername)
    name: str
    summary: Markup
    icon: str | None
    url: str
    kind: str

    @property
    def href(self) -> str:
        return profile_href(self.iri)


@dataclass
class RemotePost:
    iri: str
    author: str
    author_handle: str
    author_name: str
    html: Markup
    when: datetime | None
    url: str
    name: str = ""
    parent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def author_href(self) -> str:
        return profile_href(self.author)


@dataclass(frozen=True)
class RemoteLabel:
    iri: str
    handle: str
    name: str

    @property
    def href(self) -> str:
        return profile_href(self.iri)


def is_remote(iri: str) -> bool:
    """A well-formed http(s) IRI that is not of this instance."""
    return webfinger_client.is_actor_url(iri) and not iri.startswith(platform().base_url + "/")


def profile_href(iri: str) -> str:
    """The page of a remote account on this site."""
    return url_for("remote.profile", iri=iri)


def _host(iri: str) -> str:
    return urlsplit(iri).netloc.rsplit("@", 1)[-1].lower()


def _web_url(value: object) -> str | None:
    """An http(s) URL to link to (never javascript: or data:)."""
    text_value = str(value or "")
    return text_value if text_value.startswith(("https://", "http://")) else None


def remote_labels(iris: set[str] | list[str]) -> dict[str, RemoteLabel]:
    """Handles and names of cached remote actors (others are left out), in one query."""
    wanted = sorted({i for i in iris if i and is_remote(i)})
    if not wanted:
        return {}
    try:
        rows = platform().store.select(query("remote_actor_labels",
                                             actors=[URIRef(i) for i in wanted]))
    except ValueError:  # an IRI unusable in a query: show it as it is
        return {}
    found: dict[str, RemoteLabel] = {}
    for row in rows:
        iri = str(row["actor"])
        handle = webfinger_client.handle_of(iri, str(row["username"])) or iri
        name = str(row.get("name") or "") or handle
        if iri not in found or (row.get("name") and found[iri].name == found[iri].handle):
            found[iri] = RemoteLabel(iri, handle, name)
    return found


def cached_actor(iri: str) -> RemoteActor | None:
    """The remote actor as cached, or None when it is not (or not an actor)."""
    found = platform().store.graph(iri)
    if found is None:
        return None
    return actor_from_graph(iri, graph_from_ntriples(found))


def actor_from_graph(iri: str, graph: Graph) -> RemoteActor | None:
    subject = URIRef(iri)
    kinds = set(graph.objects(subject, RDF.type))
    if not kinds & ACTOR_TYPES:
        return None
    username = graph.value(subject, AS.preferredUsername)
    handle = webfinger_client.handle_of(iri, str(username) if username else None) or ""
    name = _best_literal(graph, subject, AS.name) or handle or iri
    summary = Markup(text.clean_html(_best_literal(graph, subject, AS.summary)))
    kind = next((str(k).rsplit("#", 1)[-1] for k in kinds if k in ACTOR_TYPES), "Person")
    return RemoteActor(iri, handle, name, summary, _icon(graph, subject),
                       _link(graph, subject) or iri, kind)


def _best_literal(graph: Graph, subject: URIRef, predicate: URIRef) -> str:
    """The value without a language, else the first one (names may come as maps)."""
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    plain = [v for v in values if not v.language]
    chosen = plain or values
    return str(chosen[0]) if chosen else ""


def _link(graph: Graph, subject: URIRef | BNode) -> str | None:
    """as:url as an IRI, or a Link object's as:href."""
    for value in graph.objects(subject, AS.url):
        if isinstance(value, URIRef) and _web_url(value):
            return str(value)
        if isinstance(value, BNode):
            href = graph.value(value, AS.href)
            if _web_url(href):
                return str(href)
    return None


def _icon(graph: Graph, subject: URIRef) -> str | None:
    for icon in graph.objects(subject, AS.icon):
        if isinstance(icon, URIRef) and _web_url(icon):
            return str(icon)
        found = _link(graph, icon) if isinstance(icon, URIRef | BNode) else None
        if found:
            return found
    return None


def remote_posts(authors: list[str], limit: int) -> list[RemotePost]:
    """The latest public posts of these remote actors that the cache holds, newest first;
    only posts of an author's own host, found in a graph of that host, are kept (a server
    cannot slip posts of another server's people into its outbox)."""
    authors = [a for a in authors if is_remote(a)]
    if not authors:
        return []
    rows = platform().store.select(query("remote_posts_by", authors=[URIRef(a) for a in authors],
                                         limit=limit * 2))
    labels = remote_labels(authors)
    found: dict[str, RemotePost] = {}
    for row in rows:
        iri, author = str(row["post"]), str(row["author"])
        if iri in found or not _host(iri) == _host(author) == _host(str(row["graph"])):
            continue
        label = labels.get(author)
        when = row.get("when")
        moment = when.toPython() if isinstance(when, Literal) else None
        if isinstance(moment, datetime) and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        found[iri] = RemotePost(
            iri, author, label.handle if label else author, label.name if label else author,
            Markup(text.clean_html(str(row.get("content") or ""))),
            moment if isinstance(moment, datetime) else None,
            _web_url(row.get("url")) or iri, str(row.get("name") or ""),
            str(row["parent"]) if row.get("parent") else None)
    return list(found.values())[:limit]


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
                           posts=remote_posts(followed, FEED_POSTS))
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
    try:
        iri = webfinger_client.resolve(typed, allow_private=allow_private)
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
    if actor is None:
        abort(404, "this account is not known here yet")
    status = follow_status(account.actor, iri) if account else None
    return render_template("remote/profile.html", actor=actor, follow=status,
                           posts=remote_posts([iri], PROFILE_POSTS))


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
    if cached_actor(iri) is None:
        try:
            fetch_actor(iri)
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
        flash(message or refused.message, "error")
        return redirect(profile_href(iri), 303)
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


# --- remote people in local threads -----------------------------------------------------


def decorate_items(items: list[Any]) -> None:
    """For the thread items of web/ui/post_views.py: remote authors' names, handles and
    pages here, how many shared each item, and which items are remote replies."""
    if not items:
        return
    labels = remote_labels({i.author for i in items if i.author})
    rows = platform().store.select(query("remote_share_counts",
                                         objects=[URIRef(i.iri) for i in items]))
    shares = {str(r["object"]): int(r["shares"]) for r in rows}
    for item in items:
        item.shares = shares.get(item.iri, 0)
        item.remote = is_remote(item.iri)
        label = labels.get(item.author)
        if label is not None:
            item.author_name, item.author_handle = label.name, label.handle
            item.author_href = label.href
        elif item.author and is_remote(item.author):
            item.author_name = item.author_name or item.author
            item.author_href = profile_href(item.author)
