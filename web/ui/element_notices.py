"""Notifications of follows, join requests, invitations and acceptances (when the
notifications module is there): who is told of an applied activity. Split from
`web.ui.elements`, whose blueprint records the app of each activity handler in `_APPS`.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import Flask
from rdflib import Graph

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.handlers import memberships
from federation.resources import graph_from_ntriples

_APPS: WeakKeyDictionary[ActivityHandler, Flask] = WeakKeyDictionary()


@on_applied
def _tell(handler: ActivityHandler, activity: Activity, outcome: Outcome) -> None:
    app = _APPS.get(handler)
    if app is None or activity.type not in ("Follow", "Join", "Invite", "Accept"):
        return
    try:
        from web.ui.notifications import notify
    except ImportError:  # pragma: no cover (built alongside)
        return
    for recipient, kind, target in _recipients(handler, activity, outcome):
        if recipient != activity.actor:
            notify(recipient, kind, activity.actor, activity.object, target, app=app)


def _recipients(handler: ActivityHandler, activity: Activity,
                outcome: Outcome) -> list[tuple[str, str, str | None]]:
    container = memberships.local_container(handler, activity.object) or ""
    group = activity.object
    if activity.type == "Follow":
        if container == "persons":
            return [(group, "follow", None)]
        if container in memberships.GROUP_CONTAINERS:
            return [(a, "follow", None) for a in sorted(memberships.admins_of(handler, group))]
        if container == "events":
            graph = _graph_of(handler, group)
            creator = memberships.creator_of(graph, group) if graph is not None else None
            return [(creator, "follow", None)] if creator else []
        return []
    if container == "events":
        graph = _graph_of(handler, group)
        creator = memberships.creator_of(graph, group) if graph is not None else None
        return [(creator, "join", None)] if creator and activity.type == "Join" else []
    admins = sorted(memberships.admins_of(handler, group))
    became_member = outcome.iri == memberships.members_iri(group)
    if activity.type == "Join":
        kind = "join" if became_member else "join_request"
        return [(a, kind, None) for a in admins]
    if activity.type == "Invite" and activity.target:
        return [(activity.target, "accept" if became_member else "invite", None)]
    if activity.type == "Accept":
        if activity.target and activity.target != activity.actor:
            return [(activity.target, "accept", None)]
        return [(a, "join", None) for a in admins]
    return []


def _graph_of(handler: ActivityHandler, iri: str) -> Graph | None:
    found = handler.store.graph(iri)
    return graph_from_ntriples(found) if found is not None else None
