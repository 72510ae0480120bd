"""What posts set off elsewhere: the notifications of new posts, comments and likes
(an observer of every applied activity, so posts written over LDP notify too) and the
moderation queue fed by reports.

It exists apart from the blueprint (web/ui/posts.py) because it listens to activities,
not to requests; the blueprint's setup registers the application it tells.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import Flask
from rdflib import URIRef

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.handlers import social
from federation.resources import graph_from_ntriples
from ontology import AS, CC
from store.notifications import Reports
from web.ui import notifications

_APPS: WeakKeyDictionary[ActivityHandler, Flask] = WeakKeyDictionary()


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
