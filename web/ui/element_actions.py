"""The one-click activities on an element: join, leave, invite, accept, reject, remove,
follow, unfollow, verify, and the instance administrators' list of authorities to verify.
Each applies one Activity of the logged-in person and goes back to the page. Routed by
`web.ui.elements` (endpoints `elements.join`, ...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from rdflib import Literal

from federation.activities import Activity
from federation.errors import ActivityRefused
from federation.handlers import memberships
from store.queries import query
from web.platform import platform
from web.ui import element_views as views
from web.ui.element_forms import CONTAINERS, resolve_member
from web.ui.element_support import (
    _actor,
    _iri,
    _local_next,
    _message,
    _path,
    _render_element,
    logged_in,
    say,
)
from web.ui.session import current_account


def _act(kind: str, iri: str, target: str | None = None, content: str | None = None,
         done: str = "") -> Any:
    """Applies one activity of the logged-in person and goes back to the page; a refusal
    shows the page again with its reason and the refusal's status."""
    try:
        platform().activities.apply(Activity(kind, _actor(), iri, target=target,
                                             content=content))
    except ActivityRefused as error:
        return _refused_page(iri, error)
    if done:
        flash(done, "success")
    return redirect(_local_next(_path(iri)), 303)



def _refused_page(iri: str, error: ActivityRefused) -> tuple[str, int]:
    graph = views.live_graph(iri)
    container = _path(iri).strip("/").split("/", 1)[0]
    if graph is None or container not in CONTAINERS:
        return _message(error.status, say(error))
    return _render_element(iri, graph, error=say(error)), error.status


def _person(value: str) -> str:
    """A person named by handle (marie, @marie, marie@this-host) or IRI."""
    value = value.strip().lstrip("@")
    if "@" in value and "/" not in value:
        handle, host = value.split("@", 1)
        if host.lower() == urlsplit(platform().base_url).netloc.lower():
            value = handle
    return resolve_member(value, platform().base_url, "persons")


@logged_in
def join(container: str, slug: str) -> Any:
    iri = _iri(container, slug)
    done = _("Vous participez à cet événement.") if container == "events" else ""
    if container != "events":
        service = memberships._SERVICES.get(platform().activities)
        invited = service is not None and service.pending.get(iri, _actor()) is not None
        done = _("Bienvenue !") if invited else _("Votre demande est envoyée aux "
                                                 "administrateur·rices.")
    return _act("Join", iri, done=done)


@logged_in
def leave(container: str, slug: str) -> Any:
    return _act("Leave", _iri(container, slug), done=_("C'est fait."))


@logged_in
def invite(container: str, slug: str) -> Any:
    person = _person(request.form.get("person", ""))
    return _act("Invite", _iri(container, slug), target=person or None,
                content=request.form.get("role") or "member",
                done=_("L'invitation est envoyée."))


@logged_in
def accept(container: str, slug: str) -> Any:
    person = request.form.get("person", "").strip()
    return _act("Accept", _iri(container, slug), target=_person(person) if person else None,
                content=request.form.get("role") or None, done=_("C'est accepté."))


@logged_in
def reject(container: str, slug: str) -> Any:
    person = request.form.get("person", "").strip()
    return _act("Reject", _iri(container, slug), target=_person(person) if person else None,
                done=_("C'est refusé."))


@logged_in
def remove(container: str, slug: str) -> Any:
    person = _person(request.form.get("person", ""))
    return _act("Remove", _iri(container, slug), target=person or None,
                done=_("Cette personne n'est plus membre."))


@logged_in
def follow(container: str, slug: str) -> Any:
    from federation import follow_requests

    iri = _iri(container, slug)
    if follow_requests.approves_by_hand(platform().activities, iri):
        return _act("Follow", iri, done=_("Votre demande est envoyée : cette personne "
                                          "approuve ses abonnés un par un."))
    return _act("Follow", iri, done=_("Vous suivez cette page."))


@logged_in
def unfollow(container: str, slug: str) -> Any:
    return _act("Undo", _iri(container, slug), content="Follow",
                done=_("Vous ne suivez plus cette page."))


@logged_in
def verify(slug: str) -> Any:
    withdraw = request.form.get("verified", "true") == "false"
    return _act("Verify", _iri("organizations", slug), content="false" if withdraw else "true",
                done=_("Le badge est retiré.") if withdraw else _("Le badge officiel est "
                                                                 "accordé."))


@logged_in
def verifications() -> Any:
    account = current_account()
    if account is None or not account.is_admin:
        return _message(403, _("Cette page est réservée aux administrateur·rices de "
                               "l'instance."))
    rows = platform().store.select(query("element_public_authorities", limit=1000))
    people = {str(r["creator"]) for r in rows if r.get("creator") is not None}
    places = {str(r["territory"]) for r in rows if r.get("territory") is not None}
    known = views.names(people | places)
    items = [{"iri": str(r["org"]), "href": _path(str(r["org"])),
              "name": str(r.get("name") or r["org"]),
              "territory": views.display_name(str(r["territory"]), known)
              if r.get("territory") is not None else "",
              "creator": views.display_name(str(r["creator"]), known)
              if r.get("creator") is not None else "",
              "creator_href": _path(str(r["creator"])) if r.get("creator") is not None else "",
              "created": str(r.get("created") or "")[:10],
              "verified": r.get("verified") == Literal(True)} for r in rows]
    return render_template("elements/verifications.html",
                           waiting=[i for i in items if not i["verified"]],
                           verified=[i for i in items if i["verified"]])


