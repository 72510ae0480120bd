"""Reading remote people and posts from the cache, for the pages: the remote account
pages (web/ui/remote.py), threads (web/ui/post_views.py) and lists of participants and
followers (web/ui/element_views.py, element_lists.py).

Remote actors and objects are cached by federation.remote.RemoteObjects as one named graph
per remote IRI (see its docstring for the shapes). Remote HTML was sanitised before
storage; it is sanitised again here (federation.text.clean_html, nh3) before it is marked
safe. Nothing here fetches or writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from markupsafe import Markup
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation import text, webfinger_client
from federation.errors import ActivityRefused
from federation.handlers import social
from federation.resources import graph_from_ntriples
from ontology import AS, CC
from store.queries import query
from web.platform import platform

ACTOR_TYPES = {AS.Person, AS.Service, AS.Group, AS.Organization, AS.Application}

@dataclass
class RemoteActor:
    iri: str
    handle: str  # user@host ("" when the actor has no preferredUsername)
    name: str
    summary: Markup
    icon: str | None
    url: str
    kind: str
    fetched: datetime | None = None  # when federation.remote cached it
    outbox: str | None = None

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
    likes: int = 0  # likes and shares known here (ours, and remote ones of local posts)
    shares: int = 0
    liked: bool = False  # by the person reading
    shared: bool = False
    replies: list[Any] = field(default_factory=list)  # web/ui/post_views.py Items

    @property
    def author_href(self) -> str:
        return profile_href(self.author)

    @property
    def href(self) -> str:
        """Its page here: the post, its likes and shares, the answers written here."""
        return url_for("remote_posts.post", iri=self.iri)


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
                       _link(graph, subject) or iri, kind,
                       _moment(graph.value(subject, CC.fetched)),
                       _web_url(graph.value(subject, AS.outbox)))


def _moment(value: object) -> datetime | None:
    moment = value.toPython() if isinstance(value, Literal) else None
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
        found[iri] = RemotePost(
            iri, author, label.handle if label else author, label.name if label else author,
            Markup(text.clean_html(str(row.get("content") or ""))), _moment(row.get("when")),
            _web_url(row.get("url")) or iri, str(row.get("name") or ""),
            _web_url(row.get("parent")))
    return list(found.values())[:limit]


# --- one remote post, its reactions and the answers written here -------------------------


NOBODY = URIRef("urn:communecter:nobody")


def add_reactions(posts: list[RemotePost], viewer: str | None) -> list[RemotePost]:
    """Fills in the likes and shares of some remote posts, and whether `viewer` gave
    them (one query)."""
    if not posts:
        return posts
    rows = platform().store.select(query(
        "reactions_to_posts", objects=[URIRef(p.iri) for p in posts],
        viewer=URIRef(viewer) if viewer else NOBODY))
    found: dict[tuple[str, str], tuple[int, bool]] = {
        (str(r["object"]), str(r["kind"])): (int(r["n"]), bool(int(r.get("own") or 0)))
        for r in rows}
    for post in posts:
        post.likes, post.liked = found.get((post.iri, str(AS.Like)), (0, False))
        post.shares, post.shared = found.get((post.iri, str(AS.Announce)), (0, False))
    return posts


def cached_post(iri: str) -> RemotePost | None:
    """A remote post cached as a graph of its own (fetched, or come to our inbox), as the
    pages show it; None when it is not cached, deleted, no post, or claims an author of
    another server."""
    if not is_remote(iri):
        return None
    try:
        graph = social.remote_object(platform().activities, iri)
    except ActivityRefused:  # not cached, deleted, no post: nothing to show
        return None
    subject = URIRef(iri)
    author = graph.value(subject, AS.attributedTo)
    if not isinstance(author, URIRef) or _host(str(author)) != _host(iri):
        return None
    label = remote_labels([str(author)]).get(str(author))
    handle = label.handle if label else str(author)
    return RemotePost(
        iri, str(author), handle, label.name if label else handle,
        Markup(text.clean_html(_best_literal(graph, subject, AS.content))),
        _moment(graph.value(subject, AS.published)), _link(graph, subject) or iri,
        _best_literal(graph, subject, AS.name), _web_url(graph.value(subject, AS.inReplyTo)))


def answers_here(post: RemotePost, viewer: str | None, moderator: bool) -> list[Any]:
    """The answers written here to a remote post (and the remote answers that joined
    them), threaded as on our own posts' pages, with their likes and authors."""
    from web.ui import post_views

    root = post_views.Item(post.iri, post.author, post.html, post.when)
    post_views._threads([root])
    _answers_to_answers(root)
    post_views._decorate([root], viewer, set(), moderator)
    return root.replies


def _answers_to_answers(root: Any) -> None:
    """Other servers' answers to our answers: such an answer joins the thread of our
    answer (federation/handlers/remote_objects.thread_root takes the first local post as
    its root, and our answer's own root is remote), so it is looked for under each of
    them and hung where it belongs."""
    from web.ui import post_views

    shown = {item.iri: item for item in post_views._walk([root])}
    shadows = [post_views.Item(r.iri, r.author, r.html, r.when, depth=r.depth)
               for r in root.replies]
    post_views._threads(shadows)

    def merge(shadow: Any) -> None:
        for child in shadow.replies:
            if child.iri in shown:
                merge(child)
                continue
            shown[shadow.iri].replies.append(child)
            shown.update({i.iri: i for i in post_views._walk([child])})

    for shadow in shadows:
        merge(shadow)


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
        elif item.remote:  # an author that is no web address: link to the original
            item.author_href = item.iri


def replies_to(thing: str, limit: int) -> list[dict]:
    """Rows (post, when, author, content) of the replies to a resource that is not a post
    (an event…): remote servers comment on events that way; they belong on its page."""
    return platform().store.select(query("remote_replies_to", thing=URIRef(thing),
                                         limit=limit))
