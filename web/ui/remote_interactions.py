"""Liking, sharing and answering the posts of other fediverse servers, from the web app.

Pages and routes (every form carries the session's CSRF token):
  GET  /fediverse/post?iri=IRI        a remote post: its author, content (sanitised), likes
                                      and shares known here, J'aime / Partager / Répondre,
                                      and the answers written here (threaded)
  POST /fediverse/like, /unlike       iri → Like / Undo{Like} by the person logged in
  POST /fediverse/share, /unshare     iri → Announce / Undo{Announce}
  POST /fediverse/reply               iri, content → a cc:Post as:inReplyTo the remote
                                      post, cc and Mention its author

Everything goes through the one write path (platform().activities): the handlers of
federation/handlers/social.py keep a like or a share of a remote post exactly as one of a
local post, and federation/outbound.py queues what other servers must hear — the Like to
the post's author, the Announce to the author and the sharer's followers, the reply
(Create{Note}) to the author and the replier's followers. A post that is not cached as a
graph of its own yet (read from an outbox page) is fetched first, with its author (whose
inbox the delivery needs), for people logged in only and within the budget of their
look-ups (web/ui/remote.py LOOKUP_LIMIT): each fetch asks another server.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from federation.errors import ActivityRefused, Gone, NotFound
from federation.remote import RemoteError, RemoteObjects
from federation.safe_fetch import FetchError
from ontology import AS, CC
from web.platform import platform
from web.slugs import mint_slug
from web.ui.post_forms import FormError, build_post, publish, safe_next
from web.ui.remote import LOOKUP_LIMIT
from web.ui.remote_views import (
    RemotePost,
    add_reactions,
    answers_here,
    cached_actor,
    cached_post,
    is_remote,
    profile_href,
)
from web.ui.session import current_account, login_required, protect

logger = logging.getLogger(__name__)
bp = Blueprint("remote_posts", __name__)
protect(bp.name)


_UNAVAILABLE = _l("Cette publication est introuvable, ou son serveur ne répond pas ; "
                  "réessayez plus tard.")


class _Unavailable(Exception):
    """The post cannot be read (its server does not answer, it is no post…)."""


def _remote_objects() -> RemoteObjects:
    site = platform()
    return RemoteObjects(site.store, site.private, site.base_url,
                         site.settings.allow_private_addresses)


def _post(iri: str, fetch: bool) -> RemotePost:
    """The remote post as cached; fetched (with its author) when it is not cached as a
    graph of its own and `fetch` (people logged in only: fetching asks another server)."""
    found = cached_post(iri)
    if found is not None:
        return found
    account = current_account()
    if not fetch or account is None:
        raise _Unavailable(iri)
    if platform().accounts.rate_check([(f"fediverse-lookup:{account.id}", *LOOKUP_LIMIT)]):
        raise _Unavailable(iri)  # fetching asks other servers: the look-ups' budget
    remote = _remote_objects()
    try:
        graph = remote.fetch(iri, refresh=True)
        author = graph.value(URIRef(iri), AS.attributedTo)
        if isinstance(author, URIRef) and platform().store.graph(str(author)) is None:
            remote.fetch(str(author))
    except (RemoteError, FetchError, ActivityRefused) as error:
        logger.info("cannot fetch %s: %s", iri, error)
        raise _Unavailable(iri) from error
    found = cached_post(iri)
    if found is None:
        raise _Unavailable(iri)
    return found


def _wanted() -> str:
    iri = (request.form.get("iri") if request.method == "POST" else
           request.args.get("iri")) or ""
    iri = iri.strip()
    if not is_remote(iri):
        if iri.startswith(platform().base_url + "/") and request.method == "GET":
            abort(Response("", 303, {"Location": iri}))
        abort(400, _("Cette adresse ne désigne pas une publication d'un autre serveur."))
    return iri


def _back(post: str | None) -> Any:
    """To the page the form was on; else the post's page (or, when the post could not be
    read, the fediverse page, which shows the message)."""
    default = url_for("remote_posts.post", iri=post) if post else url_for("remote.lookup_form")
    return redirect(safe_next(request.form.get("next", ""), default), 303)


def _refused(error: ActivityRefused) -> str:
    if isinstance(error, Gone):
        return _("Cette publication a été supprimée.")
    if isinstance(error, NotFound):
        return _("Cette publication n'est pas connue ici.")
    return error.message


# --- the page of a remote post -------------------------------------------------------------


@bp.get("/fediverse/post")
def post() -> Any:
    iri = _wanted()
    account = current_account()
    try:
        found = _post(iri, fetch=account is not None)
    except _Unavailable:
        if cached_actor(iri) is not None:  # an account, not a post: its page
            return redirect(profile_href(iri), 303)
        abort(404, _("Cette publication n'est pas connue ici."))
    viewer = account.actor if account else None
    add_reactions([found], viewer)
    found.replies = answers_here(found, viewer, bool(account and account.is_admin))
    from web.ui.post_views import _login_url

    body = render_template("remote/post.html", post=found, viewer=viewer,
                           login_url=_login_url())
    return Response(body, 200, content_type="text/html; charset=utf-8")


# --- reactions -------------------------------------------------------------------------------


def _react(kind: str, undo: bool) -> Any:
    iri = _wanted()
    me = current_account().actor  # type: ignore[union-attr]
    try:
        _post(iri, fetch=True)
    except _Unavailable:
        flash(str(_UNAVAILABLE), "error")
        return _back(None)
    activity = Activity("Undo", me, iri, content=kind) if undo else Activity(kind, me, iri)
    try:
        if undo:
            with contextlib.suppress(NotFound):  # not liked (shared): nothing to undo
                platform().activities.apply(activity)
        else:
            platform().activities.apply(activity)
    except ActivityRefused as error:
        flash(_refused(error), "error")
    return _back(iri)


@bp.post("/fediverse/like")
@login_required
def like() -> Any:
    return _react("Like", undo=False)


@bp.post("/fediverse/unlike")
@login_required
def unlike() -> Any:
    return _react("Like", undo=True)


@bp.post("/fediverse/share")
@login_required
def share() -> Any:
    return _react("Announce", undo=False)


@bp.post("/fediverse/unshare")
@login_required
def unshare() -> Any:
    return _react("Announce", undo=True)


# --- replies ---------------------------------------------------------------------------------


@bp.post("/fediverse/reply")
@login_required
def reply() -> Any:
    iri = _wanted()
    me = current_account().actor  # type: ignore[union-attr]
    try:
        found = _post(iri, fetch=True)
    except _Unavailable:
        flash(str(_UNAVAILABLE), "error")
        return _back(None)
    site = platform()
    slug = mint_slug(None, site.store, site.base_url, "posts")
    answer = f"{site.base_url}/posts/{slug}"
    try:
        graph = build_post(answer, me, request.form.get("content", ""), parent=iri,
                           root=_thread_root(iri), place=me)
        _address_author(graph, answer, found)
        publish(me, graph, answer)
    except FormError as error:
        flash(error.message, "error")
        return _back(iri)
    except ActivityRefused as error:
        flash(_refused(error), "error")
        return _back(iri)
    flash(_("Réponse envoyée à @%(handle)s.", handle=found.author_handle), "success")
    return _back(iri)


def _thread_root(iri: str) -> str:
    """A remote reply that joined one of our threads answers within it (its as:context);
    any other remote post starts its own thread here."""
    found = platform().store.graph(iri)
    if found is None:
        return iri
    from federation.resources import graph_from_ntriples

    graph = graph_from_ntriples(found)
    context = graph.value(URIRef(iri), AS.context)
    if (URIRef(iri), RDF.type, CC.Post) in graph and isinstance(context, URIRef) \
            and platform().activities.is_local(str(context)):
        return str(context)
    return iri


def _address_author(graph: Graph, answer: str, post: RemotePost) -> None:
    """The answer is copied (cc) to the remote post's author and mentions them, as
    Mastodon does: their server files it under their post and notifies them."""
    subject, author = URIRef(answer), URIRef(post.author)
    graph.add((subject, AS.cc, author))
    if (None, AS.href, author) in graph:
        return
    tag = URIRef(f"{answer}#mention-author")
    graph.add((subject, AS.tag, tag))
    graph.add((tag, RDF.type, AS.Mention))
    graph.add((tag, AS.href, author))
    graph.add((tag, AS.name, Literal(f"@{post.author_handle}")))

