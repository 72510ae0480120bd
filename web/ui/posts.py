"""Posts on every wall, their comments and likes, reports and the moderators' queue.

Pages and routes (every form carries the session's CSRF token):
  GET  /posts/new?wall=IRI           the form to post on a wall, with the wall below it
  POST /posts/new                    wall, content (+ picture, picture_alt) → a cc:Post on
                                     that wall (303 back to the page of the form)
  POST /posts/<slug>/comment         content → a comment (cc:Post as:inReplyTo the post)
  POST /posts/<slug>/like, /unlike   Like / Undo of that Like
  POST /posts/<slug>/delete          Delete (author, whoever edits the wall, moderators)
  GET  /posts/<slug>/likes           the public likes collection (ActivityStreams JSON)
  GET  /posts/<slug>                 (LDP's URI) the post and its thread, as HTML
  GET  /likes/<id>                   one Like activity, as RDF
  GET  /report?object=IRI, POST /report   report anything (Flag) → the moderation queue
  GET  /moderation, POST /moderation/dismiss, /moderation/delete   instance admins only

Other pages show a wall with the macro of templates/posts/_wall.html (see its header):
  {% from "posts/_wall.html" import wall, report %}{{ wall(iri) }} … {{ report(iri) }}

Who may post where is decided once, in federation/handlers/social.py (`check_new_post`).
Pictures are checked and re-encoded by web/ui/account_uploads.py (an image only, metadata
dropped) and attached as an as:Image; a post that is not saved leaves no file behind.
Notifications (mentions, comments, likes) are sent by `_tell`, an observer of every
applied activity, so posts written over LDP notify too.
How the text is kept (as:content HTML + as:source Markdown): federation/text.py.

This module is the blueprint (routes and setup); what a wall shows is read by
web/ui/post_views.py, a post is built and published by web/ui/post_forms.py, and `_tell`
lives in web/ui/post_events.py. Their public names are re-exported here.
"""

from __future__ import annotations

import contextlib
import json
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from federation.errors import ActivityRefused, NotAllowed, NotFound
from federation.handlers import social
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC
from store.notifications import Reports, moderators
from store.queries import query
from web.negotiation import RDF_TYPES, NotAcceptable, choose, serialize
from web.platform import platform
from web.slugs import mint_slug
from web.ui.post_events import _APPS, _on_social_event
from web.ui.post_forms import PUBLIC as PUBLIC
from web.ui.post_forms import (
    FormError,
    _drop,
    _forget_pictures,
    _picture,
    _refusal,
    attach_picture,
    build_post,
    publish,
    safe_next,
    territory_of_wall,
)
from web.ui.post_forms import resolve_mentions as resolve_mentions
from web.ui.post_forms import theme_index as theme_index
from web.ui.post_forms import theme_link as theme_link
from web.ui.post_views import MAX_COMMENTS as MAX_COMMENTS
from web.ui.post_views import MAX_DEPTH as MAX_DEPTH
from web.ui.post_views import MAX_WALL_SIZE as MAX_WALL_SIZE
from web.ui.post_views import NOBODY as NOBODY
from web.ui.post_views import WALL_SIZE as WALL_SIZE
from web.ui.post_views import Item as Item
from web.ui.post_views import Label as Label
from web.ui.post_views import WallView as WallView
from web.ui.post_views import _login_url, labels, wall_view
from web.ui.post_views import render_post as render_post
from web.ui.session import admin_required, csrf_field, current_account, protect

bp = Blueprint("posts", __name__)
protect(bp.name)

REPORT_CATEGORIES = ("spam", "harassment", "illegal", "misinformation", "other")


# --- setting up: listeners, template globals --------------------------------------------


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    site = app.extensions["communecter"]
    _APPS[site.activities] = app
    social.listen(site.activities, partial(_on_social_event, app))
    social.set_moderators(site.activities, lambda: moderators(site.private))
    app.add_template_global(wall_view, "posts_wall")
    app.add_template_global(csrf_field, "posts_csrf_field")
    app.add_template_global(_report_categories, "posts_report_categories")
    app.add_template_global(here, "posts_here")


def here() -> str:
    """Where the forms of a wall come back to: this page (after a POST that failed, the
    page the form was sent from)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    fallback = request.form.get("wall") or "/"
    return safe_next(request.form.get("next", "").split("#", 1)[0], fallback)


def _report_categories() -> list[tuple[str, str]]:
    names = {"spam": _("Spam ou publicité"), "harassment": _("Harcèlement ou propos haineux"),
             "illegal": _("Contenu illégal"), "misinformation": _("Fausse information"),
             "other": _("Autre raison")}
    return [(key, names[key]) for key in REPORT_CATEGORIES]


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post() -> Any:
    account = current_account()
    wall = (request.values.get("wall") or "").strip()
    if account is None:
        return redirect(_login_url())
    site = platform()
    if not wall.startswith(site.base_url + "/"):
        return _form_page(wall, "", _("Choisissez un mur de ce site pour publier."), 400)
    if site.store.graph(wall) is None or social.wall_kind(site.activities, wall) is None:
        return _form_page(wall, "", _("Ce mur n'existe pas."), 404)
    if request.method == "GET":
        return _form_page(wall, "", None, 200)
    source = request.form.get("content", "")
    iri = f"{site.base_url}/posts/{mint_slug(None, site.store, site.base_url, 'posts')}"
    saved: str | None = None
    try:
        territory = territory_of_wall(wall, account.actor)
        graph = build_post(iri, account.actor, source, wall=wall, territory=territory)
        if not social.may_post_on_wall(site.activities, account.actor, wall):
            raise NotAllowed("you may not post on this wall")
        picture, saved = _picture(account.actor)  # stored only once the rest is right
        if picture is not None:
            attach_picture(graph, iri, picture)
        publish(account.actor, graph, iri)
    except FormError as error:
        _drop(saved)
        return _form_page(wall, source, error.message, error.status)
    except NotAllowed:
        _drop(saved)
        return _form_page(wall, source, _("Vous ne pouvez pas publier sur ce mur."), 403)
    except ActivityRefused as error:
        _drop(saved)
        return _form_page(wall, source, _refusal(error), error.status)
    back = safe_next(request.form.get("next", ""), wall).split("#", 1)[0]
    return redirect(f"{back}#post-{iri.rsplit('/', 1)[-1]}", 303)


def _form_page(wall: str, source: str, error: str | None, status: int) -> tuple[str, int]:
    site = platform()
    exists = wall.startswith(site.base_url + "/") and site.store.graph(wall) is not None
    names = labels({wall}) if exists else {}
    return render_template("posts/new.html", wall=wall if exists else None,
                           wall_name=names[wall].name if wall in names else wall,
                           content=source, error=error), status


def _post_iri(slug: str) -> str:
    return f"{platform().base_url}/posts/{slug}"


def _existing_post(slug: str) -> tuple[str, Graph]:
    iri = _post_iri(slug)
    found = platform().store.graph(iri)
    if found is None:
        abort(404)
    graph = graph_from_ntriples(found)
    if is_tombstone(graph, URIRef(iri)):
        abort(410)
    if (URIRef(iri), RDF.type, CC.Post) not in graph:
        abort(404)
    return iri, graph


def _back(default: str) -> Any:
    wanted = request.form.get("next") or request.args.get("next") or ""
    return redirect(safe_next(wanted, default), 303)


@bp.post("/posts/<slug>/comment")
def comment(slug: str) -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    parent, parent_graph = _existing_post(slug)
    root = parent_graph.value(URIRef(parent), AS.context) or URIRef(parent)
    root_text = platform().store.graph(str(root))
    root_graph = graph_from_ntriples(root_text) if root_text else parent_graph
    place = root_graph.value(root, CC.territory) or root_graph.value(root, CC.wall)
    site = platform()
    iri = f"{site.base_url}/posts/{mint_slug(None, site.store, site.base_url, 'posts')}"
    source = request.form.get("content", "")
    try:
        graph = build_post(iri, account.actor, source, parent=parent, root=str(root),
                           place=str(place) if place is not None else None)
        publish(account.actor, graph, iri)
    except FormError as error:  # the message is shown on the page the form came from
        flash(error.message, "error")
        return _back(parent)
    except ActivityRefused as error:
        flash(_refusal(error), "error")
        return _back(parent)
    return _back(f"{parent}#post-{iri.rsplit('/', 1)[-1]}")


@bp.post("/posts/<slug>/like")
def like(slug: str) -> Any:
    return _like(slug, undo=False)


@bp.post("/posts/<slug>/unlike")
def unlike(slug: str) -> Any:
    return _like(slug, undo=True)


def _like(slug: str, undo: bool) -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    iri, _graph = _existing_post(slug)
    site = platform()
    try:
        if undo:
            with contextlib.suppress(NotFound):  # not liked: nothing to undo
                site.activities.apply(Activity("Undo", account.actor, iri, content="Like"))
        else:
            site.activities.apply(Activity("Like", account.actor, iri))
    except ActivityRefused as error:
        flash(_refusal(error), "error")
    return _back(iri)


@bp.post("/posts/<slug>/delete")
def delete(slug: str) -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    iri, graph = _existing_post(slug)
    back = graph.value(URIRef(iri), CC.wall) or graph.value(URIRef(iri), AS.inReplyTo)
    try:
        platform().activities.apply(Activity("Delete", account.actor, iri))
    except NotAllowed:
        abort(403, _("Seuls l'auteur, les responsables du mur et les modérateurs peuvent "
                     "supprimer cette publication."))
    _forget_pictures(graph, iri)
    flash(_("Publication supprimée."), "info")
    return _back(str(back) if back else "/")


@bp.get("/posts/<slug>/likes")
def likes_collection(slug: str) -> Response:
    """The post's likes as an ActivityStreams collection (public counts)."""
    iri, _graph = _existing_post(slug)
    rows = platform().store.select(query("post_likes_of", object=URIRef(iri), limit=1000))
    items = [str(r["like"]) for r in rows]
    body = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{iri}/likes",
            "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items}
    return Response(json.dumps(body, ensure_ascii=False), 200,
                    content_type="application/activity+json; charset=utf-8")


@bp.get("/likes/<token>")
def like_resource(token: str) -> Response:
    site = platform()
    iri = f"{site.base_url}/likes/{token}"
    found = site.store.graph(iri)
    if found is None:
        abort(404)
    try:
        media = choose(request, RDF_TYPES)
    except NotAcceptable:
        abort(406)
    body = serialize(found, media, site.base_url)
    content_type = f"{media}; charset=utf-8" if media.startswith("text/") else media
    return Response(body, 200, content_type=content_type)

# --- reports and moderation ----------------------------------------------------------------


@bp.route("/report", methods=["GET", "POST"])
def report() -> Any:
    account = current_account()
    if account is None:
        return redirect(_login_url())
    site = platform()
    target = (request.values.get("object") or "").strip()
    names = labels({target}) if target.startswith(site.base_url + "/") else {}
    if target not in names:
        return render_template("posts/report.html", target=None, name="",
                               error=_("Ce contenu n'existe pas.")), 404
    if request.method == "GET":
        return render_template("posts/report.html", target=target, name=names[target].name,
                               error=None)
    category = request.form.get("category", "other")
    if category not in REPORT_CATEGORIES:
        category = "other"
    details = request.form.get("details", "").strip()
    reason = f"{category}: {details}" if details else category
    try:
        site.activities.apply(Activity("Flag", account.actor, target, content=reason))
    except ActivityRefused as error:
        return render_template("posts/report.html", target=target, name=names[target].name,
                               error=_refusal(error)), error.status
    flash(_("Merci : votre signalement a été transmis à l'équipe de modération."), "info")
    return _back(target)


@bp.get("/moderation")
@admin_required
def moderation() -> Any:
    reports = Reports(platform().private).open()
    cases: dict[str, list] = {}
    for entry in reports:
        cases.setdefault(entry.object, []).append(entry)
    names = labels(set(cases) | {r.reporter for r in reports})
    return render_template("posts/moderation.html", cases=cases, names=names,
                           categories=dict(_report_categories()))


@bp.post("/moderation/<decision>")
@admin_required
def moderate(decision: str) -> Any:
    account = current_account()
    assert account is not None  # admin_required
    if decision not in ("dismiss", "delete"):
        abort(404)
    site = platform()
    target = request.form.get("object", "")
    if decision == "delete":
        found = site.store.graph(target) if target.startswith(site.base_url + "/") else None
        try:
            site.activities.apply(Activity("Delete", account.actor, target))
        except ActivityRefused as error:
            flash(_refusal(error), "error")
            return redirect(url_for("posts.moderation"), 303)
        if found is not None:
            _forget_pictures(graph_from_ntriples(found), target)
    Reports(site.private).resolve(target, account.actor,
                                  "deleted" if decision == "delete" else "dismissed")
    flash(_("Signalement traité."), "info")
    return redirect(url_for("posts.moderation"), 303)
