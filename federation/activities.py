"""The one place where writes happen.

A form, an LDP request, or (later) a remote inbox builds an Activity; `ActivityHandler.apply`
checks who may do it, fills in what the server manages, validates the result against the
SHACL shapes and writes it in one atomic store write. Nothing else writes resources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import RDF, XSD

import shapes
from federation.errors import Conflict, Gone, Invalid, NotAllowed, NotFound, Stale
from federation.resources import (
    SERVER_MANAGED,
    allowed_classes,
    container_of,
    graph_from_ntriples,
    is_tombstone,
    local_links,
    resource_type,
    tombstone,
)
from ontology import AS, CC, DCTERMS, LDP
from store.base import PreconditionFailed, TripleStore, Write
from store.queries import query
from store.terms import graph_to_ntriples

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Activity:
    """What an actor wants done to one resource (ActivityStreams vocabulary: Create,
    Update, Delete here; Join, Follow, Like… in the modules of federation/handlers)."""

    type: str
    actor: str
    object: str
    graph: Graph | None = None
    if_match: str | None = None
    target: str | None = None
    content: str | None = None


ExtraHandler = Callable[["ActivityHandler", Activity, datetime], "Outcome"]
EditorsProvider = Callable[["ActivityHandler", str, Graph], set[str]]
AppliedObserver = Callable[["ActivityHandler", Activity, "Outcome"], None]
ContentCheck = Callable[["ActivityHandler", str, str, Graph], None]
_CONTENT_CHECKS: dict[URIRef, list[ContentCheck]] = {}
_EXTRA_HANDLERS: dict[str, ExtraHandler] = {}
_BY_OBJECT_TYPE: dict[tuple[str, str], ExtraHandler] = {}
_REMOTE_HANDLERS: dict[str, ExtraHandler] = {}
_EDITORS_PROVIDERS: list[EditorsProvider] = []
#: Graph types that say what an Undo without `content` undoes (its object is that graph).
_UNDONE_BY_GRAPH_TYPE = {str(AS.Like): "Like", str(AS.Announce): "Announce"}


def handles(activity_type: str) -> Callable[[ExtraHandler], ExtraHandler]:
    """Registers the handler of one more activity type (federation/handlers/*)."""

    def register(function: ExtraHandler) -> ExtraHandler:
        _EXTRA_HANDLERS[activity_type] = function
        return function

    return register


def handles_object(activity_type: str,
                   object_type: str) -> Callable[[ExtraHandler], ExtraHandler]:
    """Registers the handler of an activity about another activity, by the type of that
    one: `handles_object("Undo", "Follow")`, `handles_object("Accept", "Follow")`.

    Such an activity names the other activity's type in `content` ("Follow") and its
    object in `object` (what was followed). An Undo without `content` is an Undo of the
    graph its object names (a Like, an Announce), else of a Follow.
    """

    def register(function: ExtraHandler) -> ExtraHandler:
        _BY_OBJECT_TYPE[(activity_type, object_type)] = function
        return function

    return register


def handles_remote(activity_type: str) -> Callable[[ExtraHandler], ExtraHandler]:
    """Registers the handler of a Create, Update or Delete whose object is not a resource
    of this instance (a remote actor's Note arriving in an inbox)."""

    def register(function: ExtraHandler) -> ExtraHandler:
        _REMOTE_HANDLERS[activity_type] = function
        return function

    return register


def on_applied(function: AppliedObserver) -> AppliedObserver:
    """Registers a function told of every applied activity (search index, notifications).

    Observers run after the write succeeded; a failing observer is logged, never undoes
    the write, and never hides the outcome from the caller.
    """
    _OBSERVERS.append(function)
    return function


_OBSERVERS: list[AppliedObserver] = []


def checks_content(resource_class: URIRef) -> Callable[[ContentCheck], ContentCheck]:
    """Registers a domain rule run on every Create and Update of that class, before the
    write: `check(handler, actor, iri, graph)` raises an ActivityRefused to refuse it
    (e.g. who may post on which wall), from a form, LDP or an inbox alike."""

    def register(function: ContentCheck) -> ContentCheck:
        _CONTENT_CHECKS.setdefault(resource_class, []).append(function)
        return function

    return register


def editors_provider(function: EditorsProvider) -> EditorsProvider:
    """Registers who else may change a resource besides its creator (e.g. admins)."""
    _EDITORS_PROVIDERS.append(function)
    return function


@dataclass(frozen=True)
class Outcome:
    iri: str
    etag: str | None


class ActivityHandler:
    """Applies activities to the public store under the platform's domain rules."""

    def __init__(self, store: TripleStore, base_url: str) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")

    def apply(self, activity: Activity, now: datetime | None = None) -> Outcome:
        now = now or datetime.now(UTC)
        outcome = self._dispatch(activity, now)
        for observer in _OBSERVERS:
            try:
                observer(self, activity, outcome)
            except Exception:  # an observer's failure must not undo an applied write
                logger.exception("observer %s failed on %s", observer, activity.type)
        return outcome

    def _dispatch(self, activity: Activity, now: datetime) -> Outcome:
        core = {"Create": self._create, "Update": self._update, "Delete": self._delete}
        try:
            if activity.type in core and self.is_local(activity.object):
                return core[activity.type](activity, now)
            _load_handlers()
            if activity.type in core:
                remote = _REMOTE_HANDLERS.get(activity.type)
                if remote is None:
                    raise Invalid(f"{activity.object} is not a resource of this instance")
                return remote(self, activity, now)
            typed = self._typed_handler(activity)
            if typed is not None:
                return typed(self, activity, now)
            extra = _EXTRA_HANDLERS.get(activity.type)
            if extra is None:
                raise Invalid(f"{activity.type} activities are not supported here")
            return extra(self, activity, now)
        except PreconditionFailed as error:
            if activity.type == "Create":
                raise Conflict(f"{activity.object} already exists") from error
            raise Stale("the resource changed since you read it; fetch it again") from error

    def is_local(self, iri: str) -> bool:
        """Whether the IRI names something of this instance (else a remote one)."""
        return iri == self.base_url or iri.startswith(self.base_url + "/")

    def _typed_handler(self, activity: Activity) -> ExtraHandler | None:
        """The handler registered with `handles_object` for this activity, if any."""
        if not any(kind == activity.type for kind, _ in _BY_OBJECT_TYPE):
            return None
        undone = activity.content or ""
        if not undone and activity.type == "Undo":
            found = self.store.graph(activity.object) if self.is_local(
                activity.object) else None
            undone = "Follow"
            if found is not None:
                graph = graph_from_ntriples(found)
                for kind in graph.objects(URIRef(activity.object), RDF.type):
                    undone = _UNDONE_BY_GRAPH_TYPE.get(str(kind), undone)
        handler = _BY_OBJECT_TYPE.get((activity.type, undone))
        if handler is None and activity.type == "Undo":
            raise Invalid(f"cannot undo a {undone} here")
        return handler

    def _create(self, activity: Activity, now: datetime) -> Outcome:
        container = container_of(activity.object, self.base_url, territories=True)
        graph = self._checked_graph(activity)
        _refuse_server_managed(graph, URIRef(activity.object), current=None)
        self._check_type(graph, activity.object, container)
        _stamp(graph, activity.object, creator=activity.actor, created=now, modified=now)
        self._validate(graph, activity)
        ntriples = graph_to_ntriples(graph)
        container_iri = f"{self.base_url}/{container}/"
        self.store.write(
            Write(
                replace={activity.object: ntriples},
                add={container_iri: f"<{container_iri}> <{LDP.contains}> <{activity.object}> ."},
                expect_absent=[activity.object],
            )
        )
        return self._stored(activity.object)

    def _stored(self, iri: str) -> Outcome:
        """The outcome as the store keeps it: stores may canonicalize literals, so the
        ETag a client gets must come from what a later GET will read."""
        found = self.store.graph_with_etag(iri)
        return Outcome(iri, found[1] if found else None)

    def _update(self, activity: Activity, now: datetime) -> Outcome:
        current, etag = self._current(activity)
        subject = URIRef(activity.object)
        graph = self._checked_graph(activity)
        _refuse_server_managed(graph, subject, current=current)
        container = container_of(activity.object, self.base_url, territories=True)
        self._check_type(graph, activity.object, container)
        for predicate in (DCTERMS.creator, DCTERMS.created, CC.verified):
            for value in current.objects(subject, predicate):
                graph.set((subject, predicate, value))
        graph.set((subject, DCTERMS.modified, _timestamp(now)))
        self._validate(graph, activity)
        ntriples = graph_to_ntriples(graph)
        self.store.write(
            Write(replace={activity.object: ntriples}, expect_etags={activity.object: etag})
        )
        return self._stored(activity.object)

    def _delete(self, activity: Activity, now: datetime) -> Outcome:
        current, etag = self._current(activity)
        container = container_of(activity.object, self.base_url, territories=True)
        container_iri = f"{self.base_url}/{container}/"
        former = resource_type(current, URIRef(activity.object))
        self.store.write(
            Write(
                replace={activity.object: tombstone(activity.object, former, now)},
                remove={container_iri: f"<{container_iri}> <{LDP.contains}> <{activity.object}> ."},
                expect_etags={activity.object: etag},
            )
        )
        return Outcome(activity.object, None)

    def _current(self, activity: Activity) -> tuple[Graph, str]:
        """The resource as stored, after checking it exists and the actor may change it."""
        found = self.store.graph_with_etag(activity.object)
        if found is None:
            raise NotFound(f"{activity.object} does not exist")
        text, etag = found
        current = graph_from_ntriples(text)
        subject = URIRef(activity.object)
        if is_tombstone(current, subject):
            raise Gone(f"{activity.object} was deleted")
        if activity.if_match is not None and activity.if_match != etag:
            raise Stale("the resource changed since you read it (If-Match does not match)")
        if activity.actor not in self.editors(activity.object, current):
            raise NotAllowed("only the creator of this resource or its admins may change it")
        return current, etag

    def editors(self, iri: str, current: Graph) -> set[str]:
        """Who may update or delete this resource: its creator, itself, and whoever the
        registered providers add (admins of an organization…)."""
        subject = URIRef(iri)
        found = {str(o) for o in current.objects(subject, DCTERMS.creator)} | {iri}
        _load_handlers()
        for provider in _EDITORS_PROVIDERS:
            found |= provider(self, iri, current)
        return found

    def _checked_graph(self, activity: Activity) -> Graph:
        if activity.graph is None:
            raise Invalid("an activity of this kind needs a resource graph")
        graph = Graph(bind_namespaces="none")
        for triple in activity.graph:
            graph.add(triple)
        if (URIRef(activity.object), None, None) not in graph:
            raise Invalid(f"the data says nothing about {activity.object}")
        return graph

    def _check_type(self, graph: Graph, iri: str, container: str) -> None:
        allowed = allowed_classes(container)
        types = [t for t in graph.objects(URIRef(iri), RDF.type) if t in allowed]
        if len(types) != 1:
            names = ", ".join(str(c).rsplit("#", 1)[-1] for c in allowed)
            raise Invalid(f"a member of /{container}/ must have exactly one type among: {names}")

    def _validate(self, graph: Graph, activity: Activity | None = None) -> None:
        result = shapes.validate(graph)
        if not result.conforms:
            raise Invalid("the data does not fit its shape", result)
        self._check_links(graph)
        if activity is not None:
            self.check_content(activity.actor, activity.object, graph)

    def check_content(self, actor: str, iri: str, graph: Graph) -> None:
        """Runs the domain rules registered for the resource's classes (`checks_content`):
        the core runs them on every local Create/Update, the remote handlers on remote
        replies."""
        _load_handlers()
        for resource_class in graph.objects(URIRef(iri), RDF.type):
            for check in _CONTENT_CHECKS.get(resource_class, []):  # type: ignore[call-overload]
                check(self, actor, iri, graph)

    def _check_links(self, graph: Graph) -> None:
        targets = local_links(graph, self.base_url)
        if not targets:
            return
        rows = self.store.select_about(
            query("links_missing", targets=[URIRef(t) for t in sorted(targets)]), targets)
        if rows:
            missing = ", ".join(sorted(str(r["t"]) for r in rows))
            raise Invalid(f"links to resources that do not exist here: {missing}")


def _load_handlers() -> None:
    """Imports federation/handlers/* once, so that each registers what it handles."""
    import federation.handlers  # noqa: F401  (registers on import)


def _refuse_server_managed(graph: Graph, subject: URIRef, current: Graph | None) -> None:
    """LDP 4.2.4.3: a write may repeat what the server manages, never change it."""
    for predicate in SERVER_MANAGED:
        wanted = set(graph.objects(subject, predicate))
        if not wanted:
            continue
        existing = set(current.objects(subject, predicate)) if current is not None else set()
        if wanted != existing:
            name = predicate.n3(graph.namespace_manager)
            raise Conflict(f"{name} is managed by the server and cannot be set by a client")
    if (None, LDP.contains, None) in graph:
        raise Conflict("ldp:contains is managed by the server")


def _timestamp(moment: datetime) -> RDFLiteral:
    text = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return RDFLiteral(text, datatype=XSD.dateTime)


def _stamp(graph: Graph, iri: str, creator: str, created: datetime, modified: datetime) -> None:
    subject = URIRef(iri)
    graph.set((subject, DCTERMS.creator, URIRef(creator)))
    graph.set((subject, DCTERMS.created, _timestamp(created)))
    graph.set((subject, DCTERMS.modified, _timestamp(modified)))
