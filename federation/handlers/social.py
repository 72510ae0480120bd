"""Likes, reports and their undoing, and the domain rules of posts (who may post where,
who is told about a new post). The same rules serve forms, LDP and (later) inboxes.

Walls — who may post on whose wall (documented for the whole platform here, once):
  * a territory's wall (neighbourhood … country): anyone with a local account;
  * a person's wall: that person only;
  * an organization's, project's or event's wall: its members — whoever may edit it
    (creator, admins: `ActivityHandler.editors`), whoever it is attributed to (organizer,
    carrier), whoever holds an org:Membership of it or is org:memberOf it, and whoever a
    registered `wall_members_provider` accepts (the memberships module plugs in there);
  * a comment (a cc:Post with as:inReplyTo, no wall): anyone logged in, on any post or
    comment that exists.
  A post is always attributed to the actor who writes it.

Likes: a Like is an activity by an actor on an object (ActivityPub §6.8); it is kept as
its own small public graph, named from the actor and the object (`like_iri`), so that
liking twice is liking once and counts are a SPARQL COUNT. Undo of that Like deletes it.
Shares (Announce) are kept the same way. A local person may also like, share or answer a
post of another server once it is cached here as a graph of its own (`remote_object`):
the like or share is stored exactly as one of a local post, and federation/outbound.py
tells the post's author.

Reports: a Flag writes nothing public; the report goes to the moderation queue of the
private store through the listener the web layer registers (`listen`), inside the
activity's application: a report that cannot be filed fails the Flag, it is never lost.

Who is told of what (`post_recipients`, `like_recipient`) is decided here too; the web
layer's observer of applied activities (web/ui/posts.py) sends the notifications.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from federation.activities import (
    Activity,
    ActivityHandler,
    Outcome,
    checks_content,
    editors_provider,
    handles,
    handles_object,
)
from federation.errors import Gone, Invalid, NotAllowed, NotFound
from federation.handler_support import timestamp
from federation.resources import container_of, graph_from_ntriples, is_tombstone
from ontology import AS, CC, CLASS_BY_CONTAINER, DCTERMS, TERRITORY_CLASSES
from store.base import Write
from store.queries import query
from store.terms import graph_to_ntriples

MAX_REASON = 1000
GROUP_CLASSES = {*CLASS_BY_CONTAINER["organizations"], CC.Project, CC.Event}


@dataclass(frozen=True)
class SocialEvent:
    """What the moderators must see: kind "flag" (a report of `object` by `actor`, with
    its reason in `content`)."""

    kind: str
    actor: str
    object: str
    content: str | None = None


Listener = Callable[[SocialEvent], None]
MembersProvider = Callable[[ActivityHandler, str, str], bool]
_LISTENERS: WeakKeyDictionary[ActivityHandler, list[Listener]] = WeakKeyDictionary()
_MODERATORS: WeakKeyDictionary[ActivityHandler, Callable[[], set[str]]] = WeakKeyDictionary()
_MEMBERS_PROVIDERS: list[MembersProvider] = []


def listen(handler: ActivityHandler, listener: Listener) -> None:
    """Registers what to do with the social events of one platform's handler."""
    _LISTENERS.setdefault(handler, []).append(listener)


def set_moderators(handler: ActivityHandler, moderators: Callable[[], set[str]]) -> None:
    """Who moderates this instance (its administrators): they may delete any post."""
    _MODERATORS[handler] = moderators


def wall_members_provider(function: MembersProvider) -> MembersProvider:
    """Registers `f(handler, actor, wall) -> bool`: is the actor a member of this wall's
    organization, project or event (memberships, attendance)?"""
    _MEMBERS_PROVIDERS.append(function)
    return function


def emit(handler: ActivityHandler, event: SocialEvent) -> int:
    listeners = _LISTENERS.get(handler, [])
    for listener in listeners:
        listener(event)
    return len(listeners)


# --- Likes ------------------------------------------------------------------------------


def like_iri(base_url: str, actor: str, object_iri: str) -> str:
    return _reaction_iri(base_url, "likes", actor, object_iri)


def _reaction_iri(base_url: str, folder: str, actor: str, object_iri: str) -> str:
    """One name per (actor, object): reacting twice finds the first reaction."""
    digest = hashlib.sha256(f"{actor}\n{object_iri}".encode()).hexdigest()[:24]
    return f"{base_url.rstrip('/')}/{folder}/{digest}"


@handles("Like")
def like(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """Likes a post, a comment or any other member of a container (an event…), or — for
    a local actor — a remote object cached here (`_remote_target`)."""
    return _record_reaction(handler, activity, now, AS.Like, like_iri,
                            "one may like posts, comments and other resources of this "
                            "instance")


def _record_reaction(handler: ActivityHandler, activity: Activity, now: datetime,
                     kind: URIRef, name: Callable[[str, str, str], str],
                     refusal: str) -> Outcome:
    """A Like or an Announce kept as its own graph (kind, as:actor, as:object,
    as:published) named by `name`; applied again, it writes nothing (idempotent)."""
    if not _remote_target(handler, activity):
        try:
            container_of(activity.object, handler.base_url)
        except ValueError:
            raise Invalid(refusal) from None
        _existing(handler, activity.object)
    iri = name(handler.base_url, activity.actor, activity.object)
    if handler.store.graph(iri) is not None:
        return Outcome(iri, None)
    subject = URIRef(iri)
    graph = Graph(bind_namespaces="none")
    graph.add((subject, RDF.type, kind))
    graph.add((subject, AS.actor, URIRef(activity.actor)))
    graph.add((subject, AS.object, URIRef(activity.object)))
    graph.add((subject, AS.published, timestamp(now)))
    handler.store.write(Write(replace={iri: graph_to_ntriples(graph)}, expect_absent=[iri]))
    return Outcome(iri, None)


@handles_object("Undo", "Like")
def undo(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """Undo of a Like: the object is the Like itself, or (with content "Like") what was
    liked, as follows.py does for Follow."""
    return _undo_reaction(handler, activity, AS.Like, like_iri, "/likes/")


def _undo_reaction(handler: ActivityHandler, activity: Activity, kind: URIRef,
                   name: Callable[[str, str, str], str], folder: str) -> Outcome:
    reaction = activity.object
    if activity.content and not reaction.startswith(f"{handler.base_url}{folder}"):
        reaction = name(handler.base_url, activity.actor, activity.object)
    found = handler.store.graph(reaction)
    graph = graph_from_ntriples(found) if found is not None else None
    subject = URIRef(reaction)
    if graph is None or (subject, RDF.type, kind) not in graph:
        raise NotFound(f"there is no such {kind.rsplit('#', 1)[-1]} to undo: "
                       f"{activity.object}")
    if str(graph.value(subject, AS.actor)) != activity.actor:
        raise NotAllowed("only the actor of a Like may undo it")
    handler.store.write(Write(delete=[reaction]))
    return Outcome(reaction, None)


# --- Shares (Announce) --------------------------------------------------------------------


def share_iri(base_url: str, actor: str, object_iri: str) -> str:
    return _reaction_iri(base_url, "shares", actor, object_iri)


@handles("Announce")
def announce(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    """Shares ("boosts") a post, comment or other resource of this instance: kept as its
    own graph `{base}/shares/{hash}` (as:Announce, as:actor, as:object), like a Like. A
    local actor may also share a remote object cached here (`_remote_target`)."""
    return _record_reaction(handler, activity, now, AS.Announce, share_iri,
                            "one may share resources of this instance")


@handles_object("Undo", "Announce")
def undo_announce(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    return _undo_reaction(handler, activity, AS.Announce, share_iri, "/shares/")


# --- Reports ----------------------------------------------------------------------------


@handles("Flag")
def flag(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    _existing(handler, activity.object)
    reason = (activity.content or "").strip()
    if len(reason) > MAX_REASON:
        raise Invalid(f"a report's reason is at most {MAX_REASON} characters")
    if not handler.is_local(activity.actor):
        return _remote_flag(handler, activity, reason)
    received = emit(handler, SocialEvent("flag", activity.actor, activity.object,
                                         content=reason))
    if not received:
        raise Invalid("reports cannot be received here (no moderation queue)")
    return Outcome(activity.object, None)


def _remote_flag(handler: ActivityHandler, activity: Activity, reason: str) -> Outcome:
    """A report from another server goes to the moderators' queue with its origin
    (federation.moderation.record_report), never to a person's notifications."""
    from federation import moderation
    from federation.handler_support import services
    from federation.inbound_parse import host_of

    private = services(handler).pending.private
    moderation.record_report(private, activity.actor, [activity.object], reason,
                             origin_host=host_of(activity.actor))
    return Outcome(activity.object, None)


# --- Posts: where they may be written, who hears about them -------------------------------


def may_post_on_wall(handler: ActivityHandler, actor: str, wall: str,
                     graph: Graph | None = None) -> bool:
    """The wall rule (see the module's docstring). `graph`: the wall's, when already read."""
    if graph is None:
        found = handler.store.graph(wall)
        if found is None:
            return False
        graph = graph_from_ntriples(found)
    subject = URIRef(wall)
    if is_tombstone(graph, subject):
        return False
    types = set(graph.objects(subject, RDF.type))
    if types & set(TERRITORY_CLASSES):
        return True
    if CC.Citizen in types:
        return actor == wall
    if not types & GROUP_CLASSES:
        return False
    if actor in handler.editors(wall, graph):
        return True
    if URIRef(actor) in set(graph.objects(subject, AS.attributedTo)):
        return True
    if handler.store.ask(query("post_wall_member", actor=URIRef(actor), wall=URIRef(wall))):
        return True
    return any(provider(handler, actor, wall) for provider in _MEMBERS_PROVIDERS)


def wall_kind(handler: ActivityHandler, wall: str, graph: Graph | None = None) -> str | None:
    """"territory", "person", "group" (organization, project, event) or None."""
    if graph is None:
        found = handler.store.graph(wall)
        if found is None:
            return None
        graph = graph_from_ntriples(found)
    types = set(graph.objects(URIRef(wall), RDF.type))
    if types & set(TERRITORY_CLASSES):
        return "territory"
    if CC.Citizen in types:
        return "person"
    if types & GROUP_CLASSES:
        return "group"
    return None


def check_new_post(handler: ActivityHandler, actor: str, iri: str, graph: Graph) -> None:
    """Refuses a post or comment the actor may not write (NotAllowed) or that points to
    nothing (Invalid, NotFound, Gone). Call before applying its Create."""
    subject = URIRef(iri)
    # Whom a post may be attributed to (the writer, or a group they publish for) is the
    # memberships module's attribution rule, run on every attributed class.
    parent = graph.value(subject, AS.inReplyTo)
    wall = graph.value(subject, CC.wall)
    if parent is not None:
        if not handler.is_local(actor) and not handler.is_local(str(parent)):
            return  # a remote answer to a remote reply: its thread was checked on arrival
        if not handler.is_local(str(parent)):
            remote_object(handler, str(parent))  # a local answer to a remote post
            return
        parent_graph = _existing(handler, str(parent))
        if (parent, RDF.type, CC.Post) not in parent_graph and handler.is_local(actor):
            raise Invalid("comments answer posts or comments")
        return  # a remote reply may answer an event or a proposal too (its thread)
    if wall is None:
        raise Invalid("a post is written on a wall (cc:wall) or answers one (as:inReplyTo)")
    if not may_post_on_wall(handler, actor, str(wall)):
        raise NotAllowed("you may not post on this wall")


def post_recipients(handler: ActivityHandler, iri: str, graph: Graph) -> list[tuple[str, str]]:
    """Who is told about a new post or comment, and why: (recipient, kind) with kind
    "mention" (named in it) or "comment" (the author of the post or comment answered, and
    of the thread's first post). Never the author; one reason per person, mention first."""
    subject = URIRef(iri)
    author = str(graph.value(subject, AS.attributedTo) or graph.value(subject, DCTERMS.creator))
    told: dict[str, str] = {}
    for tag in graph.objects(subject, AS.tag):
        if (tag, RDF.type, AS.Mention) in graph:
            href = graph.value(tag, AS.href)
            if href is not None and str(href).startswith(handler.base_url + "/persons/"):
                told.setdefault(str(href), "mention")
    for answered in (graph.value(subject, AS.inReplyTo), graph.value(subject, AS.context)):
        if answered is None:
            continue
        found = handler.store.graph(str(answered))
        if found is None:
            continue
        other = author_of(graph_from_ntriples(found), str(answered))
        if other:
            told.setdefault(other, "comment")
    told.pop(author, None)
    return sorted(told.items())


def like_recipient(handler: ActivityHandler, activity: Activity) -> str | None:
    """Who is told of a Like: the author of what was liked (never the liker)."""
    found = handler.store.graph(activity.object)
    if found is None:
        return None
    author = author_of(graph_from_ntriples(found), activity.object)
    return author if author and author != activity.actor else None


def author_of(graph: Graph, iri: str) -> str | None:
    subject = URIRef(iri)
    value = graph.value(subject, AS.attributedTo) or graph.value(subject, DCTERMS.creator)
    return str(value) if value is not None else None


@editors_provider
def post_editors(handler: ActivityHandler, iri: str, current: Graph) -> set[str]:
    """A post may also be removed by whoever may edit its wall (a person on their own wall,
    an organization's admins…) and by the instance's moderators; a comment by whoever may
    edit the wall of its thread."""
    subject = URIRef(iri)
    if (subject, RDF.type, CC.Post) not in current:
        return set()
    found: set[str] = set()
    moderators = _MODERATORS.get(handler)
    if moderators is not None:
        found |= moderators()
    wall = current.value(subject, CC.wall)
    root = current.value(subject, AS.context) or current.value(subject, AS.inReplyTo)
    if wall is None and root is not None:  # a comment: the wall of its thread
        root_text = handler.store.graph(str(root))
        if root_text is not None:
            wall = graph_from_ntriples(root_text).value(root, CC.wall)
    if wall is not None and str(wall) != iri:
        wall_text = handler.store.graph(str(wall))
        if wall_text is not None:
            found |= handler.editors(str(wall), graph_from_ntriples(wall_text))
    return found


# --- helpers ------------------------------------------------------------------------------


#: What a local person may like, share or answer on another server: posts and the like,
#: never an actor (a Like of a person means nothing to other servers).
REMOTE_ANSWERABLE = {AS.Note, AS.Article, AS.Page, AS.Question, AS.Event, AS.Video,
                     AS.Image, AS.Audio, CC.Post}


def _remote_target(handler: ActivityHandler, activity: Activity) -> bool:
    """True when the activity is a local actor's reaction to a remote object, checked:
    the object must be cached here as a graph of its own (federation.remote.RemoteObjects,
    or a Create that reached our inbox), not deleted, and a post-like object. False for a
    local object (the local rules apply). A remote actor's reaction to a remote object
    concerns nobody here: refused."""
    if handler.is_local(activity.object):
        return False
    if not handler.is_local(activity.actor):
        raise Invalid("one may like or share resources of this instance")
    remote_object(handler, activity.object)
    return True


def remote_object(handler: ActivityHandler, iri: str) -> Graph:
    """The cached graph of a remote post that local people may like, share or answer
    (NotFound when it is not cached here, Gone when deleted, Invalid for an actor…)."""
    if not iri.startswith(("http://", "https://")):
        raise Invalid(f"{iri} is not a web address")
    found = handler.store.graph(iri)
    if found is None:
        raise NotFound(f"{iri} is not known here (fetch it first)")
    graph = graph_from_ntriples(found)
    subject = URIRef(iri)
    if is_tombstone(graph, subject):
        raise Gone(f"{iri} was deleted")
    if not set(graph.objects(subject, RDF.type)) & REMOTE_ANSWERABLE:
        raise Invalid(f"{iri} is not a post one may like, share or answer")
    return graph



def _existing(handler: ActivityHandler, iri: str) -> Graph:
    if not iri.startswith(handler.base_url + "/"):
        raise Invalid(f"{iri} is not a resource of this instance")
    found = handler.store.graph(iri)
    if found is None:
        raise NotFound(f"{iri} does not exist")
    graph = graph_from_ntriples(found)
    if is_tombstone(graph, URIRef(iri)):
        raise Gone(f"{iri} was deleted")
    return graph


# The wall rule holds for every way a post arrives: forms, LDP and inboxes.
checks_content(CC.Post)(check_new_post)
