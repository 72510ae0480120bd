"""What a wall and the page of a post show: the posts and their threads, likes, authors'
names and pictures, read from the store and ready for the templates.

It exists apart from the blueprint (web/ui/posts.py) so that reading walls stays one
idea: nothing here writes; ``labels`` is also used by the notifications.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import render_template, request, url_for
from markupsafe import Markup
from rdflib import Graph, Literal, URIRef
from werkzeug.routing import BuildError

from federation import text
from federation.handlers import social
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, CCT
from store.queries import query
from web.pages import page_renderer
from web.platform import platform
from web.ui import remote_views as remote_ui
from web.ui.moderation_hidden import hides, visible
from web.ui.session import current_account

NOBODY = URIRef("urn:communecter:nobody")
WALL_SIZE = 20
MAX_WALL_SIZE = 200
MAX_COMMENTS = 500
MAX_DEPTH = 3  # comments of comments of comments; deeper answers are shown at this depth


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
    shares: int = 0
    remote: bool = False  # a remote reply: shown, but no local like/reply/delete forms
    author_handle: str = ""  # user@host of a remote author (web/ui/remote_views.py)
    author_href: str = ""  # the remote author's page here; local authors: their IRI

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def anchor(self) -> str:
        if self.remote:  # two servers may both end their IRIs in /1
            return "post-r" + hashlib.sha256(self.iri.encode()).hexdigest()[:16]
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
    rows += remote_ui.replies_to(wall, size + 1)  # remote comments on the event itself…
    posts = visible(_items(rows, "post"))  # not what the viewer blocks or mutes
    posts.sort(key=lambda item: item.when or datetime.min.replace(tzinfo=UTC), reverse=True)
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
        if iri in by_iri or hides(str(row.get("author") or "")):
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
    remote_ui.decorate_items(everything)  # remote authors' handles, shares


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
