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
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

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
from markupsafe import Markup
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from werkzeug.routing import BuildError

from federation import text
from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.errors import ActivityRefused, NotAllowed, NotFound
from federation.handlers import social
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, CCT, DCTERMS, THEMES
from store.notifications import Reports, moderators
from store.queries import query
from web.negotiation import RDF_TYPES, NotAcceptable, choose, serialize
from web.pages import page_renderer
from web.platform import platform
from web.slugs import mint_slug
from web.ui import notifications
from web.ui.session import accounts, csrf_field, current_account, protect

bp = Blueprint("posts", __name__)
protect(bp.name)

NOBODY = URIRef("urn:communecter:nobody")
_APPS: WeakKeyDictionary[ActivityHandler, Flask] = WeakKeyDictionary()
WALL_SIZE = 20
MAX_WALL_SIZE = 200
MAX_COMMENTS = 500
MAX_DEPTH = 3  # comments of comments of comments; deeper answers are shown at this depth
REPORT_CATEGORIES = ("spam", "harassment", "illegal", "misinformation", "other")
PUBLIC = URIRef(str(AS) + "Public")


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


def _on_social_event(app: Flask, event: social.SocialEvent) -> None:
    if event.kind == "flag":
        site = app.extensions["communecter"]
        Reports(site.private).add(event.object, event.actor, event.content or "")


@on_applied
def _tell(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    """Notifications of new posts and comments (mentions, answers) and of likes, whether
    they come from the forms, LDP or (later) an inbox."""
    app = _APPS.get(handler)
    if app is None:
        return
    if activity.type == "Like":
        recipient = social.like_recipient(handler, activity)
        if recipient:
            notifications.notify(recipient, "like", activity.actor, activity.object, app=app)
        return
    posts = f"{handler.base_url}/posts/"
    if activity.type != "Create" or not activity.object.startswith(posts):
        return
    found = handler.store.graph(activity.object)
    if found is None:
        return
    graph = graph_from_ntriples(found)
    subject = URIRef(activity.object)
    where = graph.value(subject, AS.inReplyTo) or graph.value(subject, CC.wall)
    for recipient, kind in social.post_recipients(handler, activity.object, graph):
        notifications.notify(recipient, kind, activity.actor, activity.object,
                             str(where) if where is not None else None, app=app)


def _report_categories() -> list[tuple[str, str]]:
    names = {"spam": _("Spam ou publicité"), "harassment": _("Harcèlement ou propos haineux"),
             "illegal": _("Contenu illégal"), "misinformation": _("Fausse information"),
             "other": _("Autre raison")}
    return [(key, names[key]) for key in REPORT_CATEGORIES]


# --- what a wall shows ------------------------------------------------------------------


@dataclass
class Item:
    """A post or comment as shown."""

    iri: str
    author: str
    html: Markup
    when: datetime | None
    author_name: str = ""
    likes: int = 0
    liked: bool = False
    can_delete: bool = False
    depth: int = 0
    replies: list[Item] = field(default_factory=list)
    pictures: list[tuple[str, str]] = field(default_factory=list)  # (URL, alternative text)

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def anchor(self) -> str:
        return f"post-{self.slug}"


@dataclass
class WallView:
    wall: str
    kind: str | None
    items: list[Item]
    viewer: str | None
    may_post: bool
    more: bool
    size: int
    login_url: str


@dataclass
class Label:
    name: str
    type: str | None = None
    excerpt: str = ""


def wall_view(wall: str, size: int | None = None) -> WallView:
    """Everything the wall macro shows: the latest posts (and their threads, likes)."""
    site = platform()
    account = current_account()
    viewer = account.actor if account else None
    if size is None:
        size = _int(request.args.get("posts"), WALL_SIZE) if request else WALL_SIZE
    size = max(1, min(size, MAX_WALL_SIZE))
    rows = site.store.select(query("post_wall_posts", wall=URIRef(wall), limit=size + 1))
    posts = _items(rows, "post")
    more = len(posts) > size
    posts = posts[:size]
    _threads(posts)
    found = site.store.graph(wall)
    wall_graph = graph_from_ntriples(found) if found else Graph()
    editors = site.activities.editors(wall, wall_graph) if (viewer and found) else set()
    _decorate(posts, viewer, editors, bool(account and account.is_admin))
    may_post = bool(viewer and found) and social.may_post_on_wall(
        site.activities, viewer or "", wall, wall_graph)
    kind = social.wall_kind(site.activities, wall, wall_graph)
    return WallView(wall, kind, posts, viewer, may_post, more, size, _login_url())


def _items(rows: list[dict], key: str) -> list[Item]:
    seen: dict[str, Item] = {}
    for row in rows:
        iri = str(row[key])
        if iri in seen:
            continue
        seen[iri] = Item(iri, str(row.get("author", "")),
                         Markup(text.clean_html(str(row.get("content", "")))),
                         _datetime(row.get("when")))
    return list(seen.values())


def _threads(roots: list[Item]) -> None:
    """Hangs the comments of each root under it, threaded (MAX_DEPTH at most)."""
    if not roots:
        return
    site = platform()
    rows = site.store.select(query("post_thread_comments", roots=[URIRef(r.iri) for r in roots],
                                   limit=MAX_COMMENTS))
    by_iri: dict[str, Item] = {r.iri: r for r in roots}
    parents: dict[str, str] = {}
    roots_of: dict[str, str] = {}
    for row in rows:
        iri = str(row["comment"])
        if iri in by_iri:
            continue
        by_iri[iri] = _items([row], "comment")[0]
        parents[iri] = str(row["parent"])
        roots_of[iri] = str(row["root"])
    for iri, parent in parents.items():
        item = by_iri[iri]
        holder = by_iri.get(parent) or by_iri[roots_of[iri]]
        chain = parent
        while holder.depth >= MAX_DEPTH and chain in parents:
            chain = parents[chain]
            holder = by_iri.get(chain) or by_iri[roots_of[iri]]
        item.depth = holder.depth + 1
        holder.replies.append(item)


def _walk(items: list[Item]) -> list[Item]:
    found = []
    for item in items:
        found.append(item)
        found += _walk(item.replies)
    return found


def _decorate(roots: list[Item], viewer: str | None, wall_editors: set[str],
              moderator: bool) -> None:
    """Likes, authors' names and the delete permission of every item of the threads."""
    everything = _walk(roots)
    if not everything:
        return
    site = platform()
    rows = site.store.select(query("post_like_counts", objects=[URIRef(i.iri) for i in everything],
                                   viewer=URIRef(viewer) if viewer else NOBODY))
    counts = {str(r["object"]): (int(r["likes"]), int(r.get("liked", 0) or 0)) for r in rows}
    names = labels({i.author for i in everything if i.author})
    pictures = _pictures([i.iri for i in everything])
    for item in everything:
        item.pictures = pictures.get(item.iri, [])
        item.likes, liked = counts.get(item.iri, (0, 0))
        item.liked = bool(liked)
        item.author_name = names[item.author].name if item.author in names else item.author
        item.can_delete = bool(viewer) and (
            viewer == item.author or viewer in wall_editors or moderator)


def _pictures(posts: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The pictures of some posts: only files uploaded here are shown (a link written over
    LDP to an image elsewhere could track readers)."""
    from web.ui.account_uploads import name_from_url

    rows = platform().store.select(query("post_pictures", posts=[URIRef(p) for p in posts]))
    found: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        url = str(row["url"])
        if name_from_url(url) is None:
            continue
        found.setdefault(str(row["post"]), []).append((url, str(row.get("alt", "") or "")))
    return found


def labels(iris: set[str]) -> dict[str, Label]:
    """Names (or excerpts, for posts) of some resources, for pages and e-mails."""
    wanted = sorted(i for i in iris if i and i.startswith(("http://", "https://")))
    if not wanted:
        return {}
    site = platform()
    rows = site.store.select(query("post_labels", things=[URIRef(i) for i in wanted]))
    found: dict[str, Label] = {}
    for row in rows:
        iri = str(row["thing"])
        if iri in found:
            continue
        name = row.get("name") or row.get("handle")
        excerpt = text.plain_text(str(row["content"]), 120) if row.get("content") else ""
        found[iri] = Label(str(name) if name else (excerpt or iri), str(row["type"]), excerpt)
    return found


def _datetime(value: object) -> datetime | None:
    if isinstance(value, Literal):
        python = value.toPython()
        if isinstance(python, datetime):
            return python if python.tzinfo else python.replace(tzinfo=UTC)
    return None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _login_url() -> str:
    try:
        return url_for("accounts.login", next=request.full_path if request else "/")
    except BuildError:  # no log-in page registered
        return "/login"


# --- writing posts and comments -----------------------------------------------------------


class FormError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def theme_index() -> dict[str, str]:
    """Normalised hashtag → theme slug: the slug and its French and English labels."""
    index: dict[str, str] = {}
    for slug, _iri, french, english in THEMES:
        for word in (slug, french, english):
            index.setdefault(text.normalise_tag(word), slug)
    return index


def resolve_mentions(handles: set[str]) -> dict[str, str]:
    """@handle → the local person (or organization, project) whose slug it is."""
    if not handles:
        return {}
    site = platform()
    candidates = {}
    for handle in sorted(handles)[: text.MAX_LINKS]:
        for container in ("persons", "organizations", "projects"):
            candidates[f"{site.base_url}/{container}/{handle}"] = handle
    rows = site.store.select(query("post_existing_actors",
                                   candidates=[URIRef(c) for c in candidates]))
    existing = {str(r["actor"]) for r in rows}
    found: dict[str, str] = {}
    for iri, handle in candidates.items():  # persons first, then organizations, projects
        if iri in existing:
            found.setdefault(handle, iri)
    return found


def theme_link(place: str | None, slug: str) -> str:
    """Where a theme hashtag leads: the page of the post's territory (or wall), filtered
    by that theme."""
    base = place or f"{platform().base_url}/territories/"
    return f"{base}?theme={slug}"


def build_post(iri: str, actor: str, source: str, *, wall: str | None = None,
               territory: str | None = None, parent: str | None = None,
               root: str | None = None, place: str | None = None,
               now: datetime | None = None) -> Graph:
    """The graph of a new post (on `wall`) or comment (answering `parent` in the thread
    started by `root`): content HTML + Markdown source, mentions, theme hashtags (whose
    links lead to `place`, else the territory, else the wall, filtered by theme)."""
    source = source.replace("\r\n", "\n").strip()
    if not source:
        raise FormError(_("Écrivez quelque chose avant de publier."))
    if len(source) > text.MAX_SOURCE:
        raise FormError(_("Le texte est trop long (%(max)d caractères au plus).",
                          max=text.MAX_SOURCE))
    mentions = resolve_mentions(text.mention_candidates(source))
    rendered = text.render(source, mentions, theme_index(),
                           partial(theme_link, place or territory or wall or root))
    if not rendered.html:
        raise FormError(_("Écrivez quelque chose avant de publier."))
    subject = URIRef(iri)
    graph = Graph(bind_namespaces="none")
    graph.add((subject, RDF.type, CC.Post))
    graph.add((subject, AS.attributedTo, URIRef(actor)))
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    graph.add((subject, AS.published,
               Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)))
    graph.add((subject, AS.to, PUBLIC))
    graph.add((subject, AS.likes, URIRef(f"{iri}/likes")))  # the public likes collection
    graph.add((subject, AS.content, Literal(rendered.html)))
    source_node = URIRef(f"{iri}#source")
    graph.add((subject, AS.source, source_node))
    graph.add((source_node, AS.content, Literal(source)))
    graph.add((source_node, AS.mediaType, Literal("text/markdown")))
    if wall:
        graph.add((subject, CC.wall, URIRef(wall)))
    if territory:
        graph.add((subject, CC.territory, URIRef(territory)))
    if parent:
        graph.add((subject, AS.inReplyTo, URIRef(parent)))
        graph.add((subject, AS.context, URIRef(root or parent)))
    for handle, who in rendered.mentions.items():
        tag = URIRef(f"{iri}#mention-{handle}")
        graph.add((subject, AS.tag, tag))
        graph.add((tag, RDF.type, AS.Mention))
        graph.add((tag, AS.href, URIRef(who)))
        graph.add((tag, AS.name, Literal(f"@{handle}")))
        graph.add((subject, AS.cc, URIRef(who)))
    for slug in rendered.themes:
        graph.add((subject, CC.theme, CCT[slug]))
        tag = URIRef(f"{iri}#hashtag-{slug}")
        graph.add((subject, AS.tag, tag))
        graph.add((tag, RDF.type, AS.Hashtag))
        graph.add((tag, AS.href, CCT[slug]))
        graph.add((tag, AS.name, Literal(f"#{slug}")))
    return graph


def attach_picture(graph: Graph, iri: str, picture: tuple[str, str, str]) -> None:
    """as:attachment, as ActivityPub servers expect: an as:Image with its URL, media type
    and alternative text (as:name)."""
    url, media_type, alt = picture
    subject, node = URIRef(iri), URIRef(f"{iri}#picture-1")
    graph.add((subject, AS.attachment, node))
    graph.add((node, RDF.type, AS.Image))
    graph.add((node, AS.url, URIRef(url)))
    graph.add((node, AS.mediaType, Literal(media_type)))
    if alt:
        graph.add((node, AS.name, Literal(alt)))


def publish(actor: str, graph: Graph, iri: str) -> None:
    """Checks the wall rule and applies the Create (whoever should hear of it is told by
    `_tell`, the observer of applied activities)."""
    site = platform()
    social.check_new_post(site.activities, actor, iri, graph)
    site.activities.apply(Activity("Create", actor, iri, graph))


def territory_of_wall(wall: str, actor: str) -> str | None:
    """The territory a post on this wall belongs to: the wall itself when it is a
    territory, else the wall's cc:territory (for one's own wall: one's commune)."""
    site = platform()
    found = site.store.graph(wall)
    if found is None:
        return None
    graph = graph_from_ntriples(found)
    subject = URIRef(wall)
    if social.wall_kind(site.activities, wall, graph) == "territory":
        return wall
    value = graph.value(subject, CC.territory)
    if value is not None:
        return str(value)
    account = current_account()
    if wall == actor and account is not None and account.commune:
        commune = account.commune
        if site.store.graph(commune) is not None:
            return commune
    return None


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


def _picture(owner: str) -> tuple[tuple[str, str, str] | None, str | None]:
    """The optional picture of the form, checked and stored (web/ui/account_uploads.py):
    ((URL, media type, alternative text), file name), or (None, None)."""
    from web.ui.account_uploads import BadImage, save_image, upload_url

    upload = request.files.get("picture")
    if upload is None or not upload.filename:
        return None, None
    alt = request.form.get("picture_alt", "").strip()[:300]
    try:
        name = save_image(upload, owner, "public", "post")
    except BadImage as problem:
        if problem.kind == "too_big":
            raise FormError(_("Cette image est trop grande (5 Mo et 40 mégapixels au "
                              "plus).")) from None
        raise FormError(_("Ce fichier n'est pas une image JPEG, PNG, GIF ou WebP.")) from None
    media_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return (upload_url(name), media_type, alt), name


def _drop(name: str | None) -> None:
    """Removes a picture stored for a post that was not saved after all."""
    if name:
        from web.ui.account_uploads import remove_upload

        remove_upload(name)


def _forget_pictures(graph: Graph, iri: str) -> None:
    """The uploaded pictures of a deleted post go with it — only those its creator
    uploaded (a post written over LDP may point to anybody's picture)."""
    from web.ui.account_uploads import name_from_url

    creator = graph.value(URIRef(iri), DCTERMS.creator)
    for node in graph.objects(URIRef(iri), AS.attachment):
        url = graph.value(node, AS.url)
        name = name_from_url(str(url)) if url is not None else None
        found = accounts().upload(name) if name else None
        if found is not None and creator is not None and found[0] == str(creator):
            _drop(name)


def _form_page(wall: str, source: str, error: str | None, status: int) -> tuple[str, int]:
    site = platform()
    exists = wall.startswith(site.base_url + "/") and site.store.graph(wall) is not None
    names = labels({wall}) if exists else {}
    return render_template("posts/new.html", wall=wall if exists else None,
                           wall_name=names[wall].name if wall in names else wall,
                           content=source, error=error), status


def _refusal(error: ActivityRefused) -> str:
    if error.status == 422:
        return _("Ce texte ne peut pas être enregistré (trop long ou mal formé).")
    if error.status in (404, 410):
        return _("Ce à quoi vous répondez n'existe plus.")
    return error.message


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


def safe_next(wanted: str, default: str) -> str:
    """Only our own pages: a path, or an IRI under the base URL."""
    base = platform().base_url
    if wanted.startswith("/") and not wanted.startswith(("//", "/\\")):
        return wanted
    if wanted.startswith(base + "/") and "\\" not in wanted:
        return wanted
    return default


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


# --- the page of a post (its LDP URI, as HTML) --------------------------------------------


@page_renderer("posts")
def render_post(iri: str, graph: Graph) -> str:
    subject = URIRef(iri)
    site = platform()
    root = str(graph.value(subject, AS.context) or graph.value(subject, AS.inReplyTo) or iri)
    if root != iri:
        found = site.store.graph(root)
        root_graph = graph_from_ntriples(found) if found else None
        if root_graph is None or is_tombstone(root_graph, URIRef(root)):
            root, root_graph = iri, graph
    else:
        root_graph = graph
    top = _item_from_graph(root, root_graph)
    _threads([top])
    wall = root_graph.value(URIRef(root), CC.wall)
    account = current_account()
    viewer = account.actor if account else None
    editors: set[str] = set()
    if viewer and wall is not None:
        wall_text = site.store.graph(str(wall))
        if wall_text:
            editors = site.activities.editors(str(wall), graph_from_ntriples(wall_text))
    _decorate([top], viewer, editors, bool(account and account.is_admin))
    shown = next((i for i in _walk([top]) if i.iri == iri), top)
    parent = graph.value(subject, AS.inReplyTo)
    names = labels({str(x) for x in (wall, parent) if x is not None})
    themes = sorted(str(t)[len(str(CCT)):] for t in graph.objects(subject, CC.theme))
    return render_template(
        "posts/post.html", item=shown, root=top, is_comment=shown is not top,
        wall=str(wall) if wall is not None else None,
        wall_name=names[str(wall)].name if wall is not None and str(wall) in names else "",
        parent=str(parent) if parent is not None else None,
        viewer=viewer, themes=themes, login_url=_login_url())


def _item_from_graph(iri: str, graph: Graph) -> Item:
    subject = URIRef(iri)
    author = graph.value(subject, AS.attributedTo) or graph.value(subject, CC.wall)
    when = graph.value(subject, AS.published)
    content = graph.value(subject, AS.content)
    return Item(iri, str(author or ""), Markup(text.clean_html(str(content or ""))),
                _datetime(when))


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


def _moderator() -> Any:
    account = current_account()
    if account is None:
        return None, redirect(_login_url())
    if not account.is_admin:
        abort(403, _("Réservé aux administrateurs de l'instance."))
    return account, None


@bp.get("/moderation")
def moderation() -> Any:
    _account, refused = _moderator()
    if refused is not None:
        return refused
    reports = Reports(platform().private).open()
    cases: dict[str, list] = {}
    for entry in reports:
        cases.setdefault(entry.object, []).append(entry)
    names = labels(set(cases) | {r.reporter for r in reports})
    return render_template("posts/moderation.html", cases=cases, names=names,
                           categories=dict(_report_categories()))


@bp.post("/moderation/<decision>")
def moderate(decision: str) -> Any:
    account, refused = _moderator()
    if refused is not None:
        return refused
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
