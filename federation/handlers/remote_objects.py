"""Create, Update and Delete of remote objects: what other servers' actors publish.

The inbox (federation/inbound.py) hands these handlers the object's graph as
federation.remote.RemoteObjects.graph_of makes it (sanitised, own-host triples only);
the rules are here, once:

* The object must lie on its actor's host, and be attributed to that actor (a server
  speaks for its own objects only).
* A reply to a local post, comment, event or proposal (`ANSWERABLE`; never a person's
  or a group's wall) — or to a remote reply already in a local thread — joins that
  thread with the shape of a local comment (see federation/remote.py): cc:Post,
  as:context the thread's root, dcterms:creator and dcterms:created; the rules
  registered for posts (blocks, the thread's existence) run as for local comments.
* A vote as Mastodon sends one (a Note answering a local proposal, named after one of
  its options, without content) is kept as it comes, without thread links: the
  proposal's counts read it (store/queries/ap_proposal_votes.rq). Votes on a closed
  proposal, or for no option of it, are refused.
* Anything else is cached as it comes (a followed actor's post).
* Update replaces the cached graph (keeping the thread links); only the object's actor
  may do it, and only on an object already cached. An actor updating itself refreshes
  its own cached graph.
* Delete leaves a Tombstone. An actor deleting itself leaves every list it was in
  (followers, attendees…), and its likes and shares go.
"""

from __future__ import annotations

from datetime import datetime

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import Activity, ActivityHandler, Outcome, handles_remote
from federation.errors import Gone, Invalid, NotAllowed, NotFound
from federation.handler_support import refusal, timestamp
from federation.inbound_parse import same_host
from federation.resources import graph_from_ntriples, is_tombstone, resource_type, tombstone
from ontology import AS, CC, DCTERMS
from store.base import Write
from store.queries import query
from store.terms import graph_to_ntriples

ANSWERABLE = {CC.Post, CC.Event, CC.Proposal, CC.Amendment}
THREAD_PREDICATES = (RDF.type, AS.context, DCTERMS.creator, DCTERMS.created)
MAX_THREAD_DEPTH = 50


def _check_origin(handler: ActivityHandler, activity: Activity) -> None:
    if handler.is_local(activity.actor):
        raise refusal(Invalid, "not_remote", f"{activity.object} is not a resource here")
    if not same_host(activity.actor, activity.object):
        raise refusal(NotAllowed, "foreign_object",
                      f"{activity.actor} cannot speak for {activity.object} (another host)")


def _checked_graph(activity: Activity) -> Graph:
    if activity.graph is None or (URIRef(activity.object), None, None) not in activity.graph:
        raise refusal(Invalid, "no_object", "the activity carries no object")
    graph = Graph(bind_namespaces="none")
    for triple in activity.graph:
        graph.add(triple)
    subject = URIRef(activity.object)
    authors = {str(a) for a in graph.objects(subject, AS.attributedTo)}
    if authors and activity.actor not in authors and activity.object != activity.actor:
        raise refusal(NotAllowed, "foreign_object",
                      f"{activity.object} is attributed to someone else")
    return graph


def thread_root(handler: ActivityHandler, parent: str) -> str | None:
    """The local thread a reply to `parent` joins (its root), or None."""
    for _ in range(MAX_THREAD_DEPTH):
        found = handler.store.graph(parent)
        if found is None:
            return None
        graph = graph_from_ntriples(found)
        subject = URIRef(parent)
        if is_tombstone(graph, subject):
            return None
        context = graph.value(subject, AS.context)
        if handler.is_local(parent):
            if not set(graph.objects(subject, RDF.type)) & ANSWERABLE:
                return None  # a person, a group, a place… has a wall, not a thread
            return str(context) if context is not None and handler.is_local(
                str(context)) else parent
        if context is not None and handler.is_local(str(context)):
            return str(context)
        answered = graph.value(subject, AS.inReplyTo)
        if answered is None:
            return None
        parent = str(answered)
    return None


def is_vote(handler: ActivityHandler, graph: Graph, iri: str) -> bool:
    """A Note named, without content, answering a local proposal: a poll vote."""
    subject = URIRef(iri)
    parent = graph.value(subject, AS.inReplyTo)
    if parent is None or not handler.is_local(str(parent)) or graph.value(
            subject, AS.name) is None or graph.value(subject, AS.content) is not None:
        return False
    found = handler.store.graph(str(parent))
    return found is not None and (
        parent, RDF.type, CC.Proposal) in graph_from_ntriples(found)


def _check_vote(handler: ActivityHandler, graph: Graph, iri: str, proposal: str,
                now: datetime) -> None:
    current = graph_from_ntriples(handler.store.graph(proposal) or "")
    subject = URIRef(proposal)
    if is_tombstone(current, subject):
        raise refusal(Gone, "gone", f"{proposal} was deleted")
    choice = str(graph.value(URIRef(iri), AS.name))
    if choice not in {str(o) for o in current.objects(subject, CC.option)}:
        raise refusal(Invalid, "no_such_option", f"{choice!r} is not an option of {proposal}")
    end = current.value(subject, AS.endTime)
    if isinstance(end, Literal) and isinstance(end.toPython(), datetime) and \
            end.toPython() <= now:
        raise refusal(Invalid, "poll_closed", "this proposal's vote is closed")


def _published(graph: Graph, subject: URIRef, now: datetime) -> Literal:
    value = graph.value(subject, AS.published)
    if isinstance(value, Literal) and value.datatype == XSD.dateTime:
        try:
            return timestamp(value.toPython())
        except (AttributeError, TypeError, ValueError):
            pass
    return timestamp(now)


@handles_remote("Create")
def create(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    _check_origin(handler, activity)
    graph = _checked_graph(activity)
    subject = URIRef(activity.object)
    existing = handler.store.graph(activity.object)
    if existing is not None:
        if is_tombstone(graph_from_ntriples(existing), subject):
            raise refusal(Gone, "gone", f"{activity.object} was deleted")
        return Outcome(activity.object, None)  # already here: a Create arrives once
    parent = graph.value(subject, AS.inReplyTo)
    if parent is not None and is_vote(handler, graph, activity.object):
        _check_vote(handler, graph, activity.object, str(parent), now)
        root = None
    else:
        root = thread_root(handler, str(parent)) if parent is not None else None
    if root is not None:
        graph.add((subject, RDF.type, CC.Post))
        graph.set((subject, AS.context, URIRef(root)))
        graph.set((subject, DCTERMS.creator, URIRef(activity.actor)))
        graph.set((subject, DCTERMS.created, _published(graph, subject, now)))
        handler.check_content(activity.actor, activity.object, graph)
    handler.store.write(Write(replace={activity.object: graph_to_ntriples(graph)},
                              expect_absent=[activity.object]))
    return Outcome(activity.object, None)


@handles_remote("Update")
def update(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    _check_origin(handler, activity)
    graph = _checked_graph(activity)
    found = handler.store.graph_with_etag(activity.object)
    if found is None:
        if activity.object == activity.actor:
            handler.store.write(Write(replace={activity.object: graph_to_ntriples(graph)}))
            return Outcome(activity.object, None)
        raise refusal(NotFound, "not_found", f"{activity.object} is not known here")
    text, etag = found
    current = graph_from_ntriples(text)
    subject = URIRef(activity.object)
    if is_tombstone(current, subject):
        raise refusal(Gone, "gone", f"{activity.object} was deleted")
    if activity.object != activity.actor and activity.actor not in {
            str(a) for a in current.objects(subject, AS.attributedTo)}:
        raise refusal(NotAllowed, "foreign_object", "only its author may update it")
    for predicate in THREAD_PREDICATES:
        for value in current.objects(subject, predicate):
            if predicate != RDF.type or value == CC.Post:
                graph.add((subject, predicate, value))
    if (subject, RDF.type, CC.Post) in graph:
        handler.check_content(activity.actor, activity.object, graph)
    handler.store.write(Write(replace={activity.object: graph_to_ntriples(graph)},
                              expect_etags={activity.object: etag}))
    return Outcome(activity.object, None)


@handles_remote("Delete")
def delete(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    _check_origin(handler, activity)
    found = handler.store.graph(activity.object)
    subject = URIRef(activity.object)
    current = graph_from_ntriples(found) if found is not None else None
    if current is not None and is_tombstone(current, subject):
        return Outcome(activity.object, None)  # deleted already
    if activity.object == activity.actor:
        _forget_actor(handler, activity.actor)
    elif current is None:
        return Outcome(activity.object, None)  # never cached: nothing to forget
    elif activity.actor not in {str(a) for a in current.objects(subject, AS.attributedTo)}:
        raise refusal(NotAllowed, "foreign_object", "only its author may delete it")
    former = resource_type(current, subject) if current is not None else None
    if current is not None and (subject, RDF.type, AS.Note) in current:
        former = AS.Note
    handler.store.write(Write(replace={activity.object: tombstone(activity.object, former,
                                                                  now)}))
    return Outcome(activity.object, None)


def _forget_actor(handler: ActivityHandler, actor: str) -> None:
    """A deleted remote actor leaves every list, and its likes and shares go."""
    from federation.handlers.memberships import forget_person

    forget_person(handler, actor)
    rows = handler.store.select(query("reactions_by_actor", actor=URIRef(actor)))
    reactions = [str(row["g"]) for row in rows if handler.is_local(str(row["g"]))]
    if reactions:
        handler.store.write(Write(delete=reactions))

