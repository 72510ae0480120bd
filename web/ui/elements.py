"""Organizations, projects, events, places and offers in the web UI, with roles,
invitations, join requests, attendance, follows and the official badge.

Routes (every POST carries the session's CSRF token; everything is an Activity applied by
`platform().activities.apply`, the same path as LDP, so the same rules and shapes apply):

  GET/POST /{container}/new                  create   (container: organizations, projects,
  GET/POST /{container}/{slug}/edit          update    events, places, offers)
  POST     /{container}/{slug}/delete        delete
  POST     /{group}/{slug}/join, /leave      Join (a request, or accepting an invitation),
                                             Leave (or withdraw one's request)
  POST     /{group}/{slug}/invite            Invite: person (handle or IRI), role
  POST     /{group}/{slug}/accept, /reject   one's invitation, or (admins) person's request
  POST     /{group}/{slug}/remove            Remove: person (admins)
  POST     /events/{slug}/join, /leave       attend, stop attending
  POST     /{followable}/{slug}/follow, /unfollow   Follow, Undo (persons, organizations,
                                             projects, events, territories)
  POST     /organizations/{slug}/verify      Verify (instance administrators): verified=
                                             true|false, next=where to go back
  GET      /admin/verifications              public authorities to verify
  GET      /{group}/{slug}/members, /events/{slug}/attendees, /{followable}/{slug}/followers,
           /persons/{slug}/following         the public lists: HTML or RDF (negotiated)

The page of each element is its own URI (LDP content negotiation), rendered here with
@page_renderer. Other pages may show a Follow button: {% from "elements/_follow.html"
import follow_button %}{{ follow_button(follow_state(iri)) }} (`follow_state` is a
template global).

The blueprint and its URL table are here; the views live next to it, one idea each:
element_editing (create, edit, delete), element_actions (memberships, attendance, follows,
verification), element_lists (the public lists), element_notices (notifications), and
element_support (what they share).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState

from federation.handlers import memberships
from web.pages import page_renderer
from web.ui import element_views as views
from web.ui.element_actions import (
    accept,
    follow,
    invite,
    join,
    leave,
    reject,
    remove,
    unfollow,
    verifications,
    verify,
)
from web.ui.element_editing import RESERVED_SLUGS, TITLES, delete, edit, new
from web.ui.element_forms import CONTAINERS
from web.ui.element_lists import attendees_list, followers_list, following_list, members_list
from web.ui.element_notices import _APPS
from web.ui.element_support import (
    BY_STATUS,
    ELEMENTS,
    FOLLOWABLE,
    GROUPS,
    JOINABLE,
    SAY,
    _render_element,
    logged_in,
    say,
)
from web.ui.session import csrf_field, current_account, protect

# kept importable from here: they lived in this module before it was split
__all__ = ["BY_STATUS", "ELEMENTS", "FOLLOWABLE", "GROUPS", "JOINABLE", "RESERVED_SLUGS", "SAY",
           "TITLES", "accept", "attendees_list", "bp", "delete", "edit", "elements_csrf_field",
           "follow", "follow_state", "followers_list", "following_list", "invite", "join",
           "leave", "logged_in", "members_list", "new", "reject", "remove", "say", "unfollow",
           "verifications", "verify"]

logger = logging.getLogger(__name__)

bp = Blueprint("elements", __name__)
protect(bp.name)


# --- Wiring -------------------------------------------------------------------------------------


@bp.record_once
def _wire(state: BlueprintSetupState) -> None:
    """Gives this platform's activity handler its private pending table, its instance
    administrators, and (for notifications) its app."""
    site = state.app.extensions["communecter"]
    accounts = site.accounts

    def is_instance_admin(actor: str) -> bool:
        account = accounts.by_actor(actor)
        return bool(account is not None and account.is_admin)

    memberships.wire(site.activities, site.private, is_instance_admin)
    _APPS[site.activities] = state.app


@bp.app_template_global("follow_state")
def follow_state(iri: str) -> dict[str, Any]:
    """For a Follow button on any page (see templates/elements/_follow.html)."""
    account = current_account()
    return views.follow_state(iri, account.actor if account is not None else None)


@bp.app_template_global("elements_csrf_field")
def elements_csrf_field() -> Any:
    """The CSRF field, for macros imported without the page's context."""
    return csrf_field()


@bp.after_app_request
def _no_stale_pages(response: Response) -> Response:
    """An element's page shows who is a member, attends, follows and what the viewer may
    do: it changes without the element's own graph (whose ETag LDP sends) changing. Such
    pages must not be revalidated against that ETag nor kept in shared caches."""
    parts = request.path.strip("/").split("/")
    if (len(parts) == 2 and parts[0] in CONTAINERS and parts[1]
            and response.mimetype == "text/html"):
        response.headers.pop("ETag", None)
        response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- Routes (in the order they were declared before the split) ------------------------------------

for _container in CONTAINERS:  # static paths: they must win over LDP's /<container>/<slug>
    bp.add_url_rule(f"/{_container}/new", "new", new, methods=["GET", "POST"],
                    defaults={"container": _container})
bp.route("/<any(organizations,projects,events,places,offers):container>/<slug>/edit",
         methods=["GET", "POST"])(edit)
bp.post("/<any(organizations,projects,events,places,offers):container>/<slug>/delete")(delete)
bp.post(f"/<{JOINABLE}:container>/<slug>/join")(join)
bp.post(f"/<{JOINABLE}:container>/<slug>/leave")(leave)
bp.post(f"/<{GROUPS}:container>/<slug>/invite")(invite)
bp.post(f"/<{GROUPS}:container>/<slug>/accept")(accept)
bp.post(f"/<{GROUPS}:container>/<slug>/reject")(reject)
bp.post(f"/<{GROUPS}:container>/<slug>/remove")(remove)
bp.post(f"/<{FOLLOWABLE}:container>/<slug>/follow")(follow)
bp.post(f"/<{FOLLOWABLE}:container>/<slug>/unfollow")(unfollow)
bp.post("/organizations/<slug>/verify")(verify)
bp.get("/admin/verifications")(verifications)
bp.get(f"/<{GROUPS}:container>/<slug>/members")(members_list)
bp.get("/events/<slug>/attendees")(attendees_list)
bp.get(f"/<{FOLLOWABLE}:container>/<slug>/followers")(followers_list)
bp.get("/persons/<slug>/following")(following_list)


# --- Pages ----------------------------------------------------------------------------------------

for _container in CONTAINERS:
    page_renderer(_container)(lambda iri, graph: _render_element(iri, graph))
