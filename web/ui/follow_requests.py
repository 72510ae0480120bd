"""Follow requests: the page where a person who approves followers one by one answers
those who wait.

  GET  /account/follow-requests              who waits (handle, name, link to their page)
  POST /account/follow-requests/accept       form field `follower`: let them follow
  POST /account/follow-requests/reject       form field `follower`: decline

A person chooses to approve followers by hand on the account page (web/ui/
account_settings.py, the setting federation.as2_actors.MANUALLY_APPROVES, published as
`manuallyApprovesFollowers`). Then a Follow from another server waits in
federation/follow_requests.py instead of being accepted at once. The answer is an
activity by the person, applied like any other write:
`Activity("Accept" | "Reject", person, follower, content="Follow")`; the follower joins
`{person}/followers` (or not) and the follower's server is sent the Accept or Reject
(federation/inbound.py queues it). Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from federation import follow_requests
from federation.activities import Activity, Outcome
from federation.errors import ActivityRefused
from web.platform import platform
from web.ui.session import current_account, login_required, protect

bp = Blueprint("follow_requests", __name__)
protect(bp.name)


@bp.record_once
def _setup(state: Any) -> None:
    """The requests' table exists from the start, as the private store's other tables do:
    a page that only reads it must not change the private store."""
    state.app.extensions["communecter"].private.ensure_schema(follow_requests.SCHEMA)

MAX_IRI = 2000


@dataclass(frozen=True)
class Waiting:
    """One follower who waits, as the page shows them."""

    iri: str
    handle: str  # @user@host for remote accounts, "" when unknown
    name: str
    href: str  # their page: on this site for remote accounts too


def waiting_count(person: str) -> int:
    """How many followers wait for `person`'s answer (for the account page)."""
    return len(follow_requests.requests_of(platform().activities, person))


def waiting_for(person: str) -> list[Waiting]:
    """Who waits for `person`, oldest first, with their handle and name when known."""
    from web.ui.posts import labels
    from web.ui.remote_views import is_remote, profile_href, remote_labels

    followers = follow_requests.requests_of(platform().activities, person)
    remote = remote_labels(followers)
    local = labels({f for f in followers if not is_remote(f)})
    found = []
    for iri in followers:
        if iri in remote:
            label = remote[iri]
            found.append(Waiting(iri, f"@{label.handle}", label.name, profile_href(iri)))
        elif iri in local:
            found.append(Waiting(iri, "", local[iri].name, iri))
        else:
            href = profile_href(iri) if is_remote(iri) else iri
            found.append(Waiting(iri, "", iri, href))
    return found


def answer(person: str, follower: str, kind: str) -> None:
    """Applies the person's Accept or Reject of `follower`'s request (refused with
    NotFound when nobody by that IRI waits)."""
    platform().activities.apply(Activity(kind, person, follower, content="Follow"))


def approve_everyone_waiting(person: str) -> int:
    """Accepts every waiting request (the person stopped approving one by one)."""
    approved = 0
    for follower in follow_requests.requests_of(platform().activities, person):
        try:
            answer(person, follower, "Accept")
            approved += 1
        except ActivityRefused:
            continue  # withdrawn meanwhile
    return approved


def tell_followers(person: str) -> None:
    """Sends the person's actor document again (Update) to their followers on other
    servers, so that they see the new manuallyApprovesFollowers and discoverable. Their
    settings live in the private store, so no write of the public store triggers it."""
    from federation import outbound

    outbound.fan_out(platform().activities, Activity("Update", person, person),
                     Outcome(person, None))


@bp.get("/account/follow-requests")
@login_required
def index() -> Any:
    account = current_account()
    assert account is not None
    return _page(account.actor)


def _page(person: str, status: int = 200, error: str | None = None) -> Any:
    from federation.as2_actors import preferences

    manual = preferences(platform().private, person)[0]
    return render_template("follow_requests/list.html", waiting=waiting_for(person),
                           manual=manual, error=error), status


@bp.post("/account/follow-requests/<decision>")
@login_required
def decide(decision: str) -> Any:
    account = current_account()
    assert account is not None
    kinds = {"accept": "Accept", "reject": "Reject"}
    if decision not in kinds:
        return _page(account.actor, 404, _("Réponse inconnue."))
    follower = request.form.get("follower", "").strip()
    if not follower or len(follower) > MAX_IRI:
        return _page(account.actor, 422, _("Choisissez une demande de la liste."))
    try:
        answer(account.actor, follower, kinds[decision])
    except ActivityRefused:
        return _page(account.actor, 404,
                     _("Cette demande n'est plus en attente (retirée, ou déjà traitée)."))
    if decision == "accept":
        flash(_("Demande acceptée : cette personne vous suit."), "info")
    else:
        flash(_("Demande refusée."), "info")
    return redirect(url_for("follow_requests.index"), 303)
