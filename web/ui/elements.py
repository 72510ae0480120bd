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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit
from weakref import WeakKeyDictionary

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from werkzeug.routing import BuildError

from federation.activities import Activity, ActivityHandler, Outcome, on_applied
from federation.errors import (
    ActivityRefused,
    Conflict,
    Gone,
    Invalid,
    NotAllowed,
    NotFound,
    Stale,
)
from federation.handlers import attendance, follows, memberships
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, SCHEMA, THEMES, label
from store.queries import query
from store.terms import graph_to_ntriples
from web.negotiation import HTML, JSONLD, NotAcceptable, choose, serialize, wants_expanded
from web.pages import get_locale_name, page_renderer
from web.platform import platform
from web.slugs import mint_slug, slugify
from web.ui import element_views as views
from web.ui.element_forms import (
    ALL_CLASSES,
    CONTAINERS,
    KINDS,
    References,
    Submitted,
    fields_for,
    managed_predicates,
    read_form,
    resolve_member,
    values_from_graph,
)
from web.ui.session import csrf_field, current_account, protect

logger = logging.getLogger(__name__)

bp = Blueprint("elements", __name__)
protect(bp.name)

ELEMENTS = "any(organizations,projects,events,places,offers)"
GROUPS = "any(organizations,projects)"
JOINABLE = "any(organizations,projects,events)"
FOLLOWABLE = "any(persons,organizations,projects,events,territories)"
RESERVED_SLUGS = {"new"}
TITLES = {
    "organizations": (_l("Nouvelle organisation"), _l("Modifier l'organisation")),
    "projects": (_l("Nouveau projet"), _l("Modifier le projet")),
    "events": (_l("Nouvel événement"), _l("Modifier l'événement")),
    "places": (_l("Nouveau point d'intérêt"), _l("Modifier le point d'intérêt")),
    "offers": (_l("Nouvelle annonce"), _l("Modifier l'annonce")),
}
#: what a refusal (by its key) means, in the reader's language
SAY = {
    "already_member": _l("Vous êtes déjà membre."),
    "request_pending": _l("Votre demande attend déjà la réponse d'un·e administrateur·rice."),
    "not_admin": _l("Seul·es les administrateur·rices de ce groupe peuvent faire cela."),
    "unknown_person": _l("Cette personne n'existe pas ici."),
    "unknown_role": _l("Rôle inconnu : choisissez administrateur·rice, contributeur·rice ou "
                       "membre."),
    "creator_stays": _l("La personne qui a créé ce groupe en reste administratrice."),
    "no_invitation": _l("Il n'y a pas d'invitation en attente."),
    "no_request": _l("Il n'y a rien en attente pour cette personne."),
    "not_member": _l("Cette personne n'est pas membre."),
    "last_admin": _l("Le dernier administrateur ou la dernière administratrice ne peut pas "
                     "partir : nommez d'abord quelqu'un d'autre."),
    "already_attending": _l("Vous participez déjà à cet événement."),
    "event_full": _l("Cet événement est complet : toutes les places sont prises."),
    "not_attending": _l("Vous ne participez pas à cet événement."),
    "already_following": _l("Vous suivez déjà cette page."),
    "not_following": _l("Vous ne suivez pas cette page."),
    "self_follow": _l("On ne se suit pas soi-même."),
    "not_followable": _l("On ne peut pas suivre cela."),
    "not_instance_admin": _l("Seul·es les administrateur·rices de l'instance vérifient les "
                             "collectivités."),
    "not_public_authority": _l("Seules les collectivités et services publics reçoivent le "
                               "badge officiel."),
    "not_found": _l("Cette ressource n'existe pas."),
    "gone": _l("Cette ressource a été supprimée."),
    "not_a_person": _l("Seules les personnes peuvent faire cela."),
    "not_a_group": _l("Seules les organisations et les projets ont des membres."),
    "no_target": _l("Dites de qui il s'agit."),
    "unavailable": _l("Cette action n'est pas disponible sur cette instance."),
    "not_organizer": _l("Vous ne pouvez publier qu'en votre nom ou au nom d'un groupe dont "
                        "vous êtes administrateur·rice ou contributeur·rice."),
    "not_parent_editor": _l("Vous ne pouvez rattacher un événement qu'à un événement que vous "
                            "pouvez modifier."),
    "self_parent": _l("Un événement ne peut pas faire partie de lui-même."),
    "not_an_event": _l("Ce n'est pas un événement."),
}
BY_STATUS = {
    NotAllowed: _l("Vous n'avez pas le droit de faire cela."),
    NotFound: _l("Cette ressource n'existe pas."),
    Gone: _l("Cette ressource a été supprimée."),
    Stale: _l("La ressource a changé pendant que vous la modifiiez : rechargez la page et "
              "recommencez."),
    Conflict: _l("Cette action entre en conflit avec l'état actuel de la ressource."),
}


def say(error: ActivityRefused) -> str:
    key = getattr(error, "key", None)
    if key in SAY:
        return str(SAY[key])
    for kind, text in BY_STATUS.items():
        if isinstance(error, kind):
            return str(text)
    return error.message


# --- Wiring -------------------------------------------------------------------------------------

_APPS: WeakKeyDictionary[ActivityHandler, Flask] = WeakKeyDictionary()


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


# --- Helpers ------------------------------------------------------------------------------------


def _login_url() -> str:
    """The log-in page, then back here (to the element's page after a form's POST)."""
    back = request.full_path.rstrip("?")
    if request.method == "POST":
        parts = request.path.strip("/").split("/")
        back = "/" + "/".join(parts[:2]) if len(parts) >= 3 else request.path
    try:
        return url_for("accounts.login", next=back)
    except BuildError:
        return "/login?" + urlencode({"next": back})


def logged_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous visitors are sent to the log-in page (then back here)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(_login_url())
        return view(*args, **kwargs)

    return wrapper


def _actor() -> str:
    account = current_account()
    assert account is not None
    return account.actor


def _iri(container: str, slug: str) -> str:
    return f"{platform().base_url}/{container}/{slug}"


def _message(status: int, text: str, title: str | None = None) -> tuple[str, int]:
    return render_template("elements/message.html", title=title or text, text=text,
                           status=status), status


def _local_next(default: str) -> str:
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _current(iri: str) -> tuple[Graph, str] | tuple[str, int]:
    found = platform().store.graph_with_etag(iri)
    if found is None:
        return _message(404, _("Cette ressource n'existe pas."))
    graph = graph_from_ntriples(found[0])
    if is_tombstone(graph, URIRef(iri)):
        return _message(410, _("Cette ressource a été supprimée."))
    return graph, found[1]


def _account_name() -> str:
    account = current_account()
    if account is None:
        return ""
    known = views.names([account.actor])
    return views.display_name(account.actor, known)


def _references(actor: str, current: dict[str, str] | None = None) -> References:
    site = platform()
    return References(
        base_url=site.base_url,
        territory_kind=views.territory_kind,
        place_exists=views.place_exists,
        organizers={iri for iri, _n in views.organizer_choices(actor, "")},
        may_be_parent=lambda iri: views.may_be_parent(iri, actor),
        current=current or {},
        timezone=lambda territory: views.zone_for(territory),
    )


def _form_page(container: str, values: dict, status: int = 200, errors: list[str] | None = None,
               editing: str | None = None, etag: str = "") -> tuple[str, int]:
    actor = _actor()
    organizers = views.organizer_choices(actor, _account_name())
    current = values.get("attributed_to")
    if current and current not in {i for i, _n in organizers}:
        organizers.append((str(current), views.display_name(str(current),
                                                            views.names([str(current)]))))
    lang = get_locale_name()
    title = TITLES[container][1 if editing else 0]
    fields = fields_for(container)
    choice_labels = {f.name: [(value, label(iri, lang)) for value, iri in f.choices]
                     for f in fields if f.widget == "choice"}
    return render_template(
        "elements/form.html", container=container, fields=fields, choice_labels=choice_labels,
        kinds=KINDS[container], values=values, errors=errors or [], editing=editing,
        etag=etag, title=title, organizers=organizers,
        themes=[(slug, fr if lang == "fr" else en) for slug, _i, fr, en in THEMES],
        places=views.place_choices() if container == "events" else [],
        parents=views.parent_choices(actor) if container == "events" else [],
        action=f"/{container}/{editing}/edit" if editing else f"/{container}/new",
    ), status


def _refused_form(container: str, error: ActivityRefused, values: dict,
                  editing: str | None = None, etag: str = "") -> tuple[str, int]:
    lang = get_locale_name()
    if isinstance(error, Invalid) and error.detail is not None:
        # the shapes' messages, without the focus node (the form is about one resource)
        lines = [line.split(" ", 1)[-1] for line in error.detail.messages_for(lang)]
        messages = [_("Les données ne respectent pas le modèle :"), *lines]
    elif isinstance(error, Invalid) and getattr(error, "key", None) not in SAY:
        messages = [_("Les données ne sont pas valables : %(detail)s", detail=error.message)]
    else:
        messages = [say(error)]
    return _form_page(container, values, error.status, messages, editing, etag)


# --- Create, edit, delete -----------------------------------------------------------------------


@logged_in
def new(container: str) -> Any:
    account = current_account()
    assert account is not None
    if request.method == "GET":
        values: dict[str, Any] = {"attributed_to": account.actor, "themes": []}
        commune = account.commune.rstrip("/").rsplit("/", 1)[-1] if account.commune else ""
        values["territory"] = commune
        values.update({k: v for k, v in request.args.items() if k in ("kind", "super_event")})
        return _form_page(container, values)
    site = platform()
    draft = URIRef(f"{site.base_url}/{container}/new")
    submitted = read_form(container, request.form, _references(account.actor), draft)
    problem = _check_submitted(container, submitted)
    if problem is not None:
        return problem
    hint = slugify(str(submitted.values.get("name") or "")) or container.rstrip("s")
    for _attempt in range(3):
        slug = mint_slug(hint[:80], site.store, site.base_url, container)
        if slug in RESERVED_SLUGS:
            slug = mint_slug(f"{hint[:80]}-2", site.store, site.base_url, container)
        iri = _iri(container, slug)
        graph = _graph(URIRef(iri), submitted)
        graph.add((URIRef(iri), AS.published, memberships.timestamp(_now())))
        try:
            site.activities.apply(Activity("Create", account.actor, iri, graph))
        except Conflict as error:
            if getattr(error, "key", None) is None and "already exists" in error.message:
                continue  # somebody took this name meanwhile: mint another
            return _refused_form(container, error, submitted.values)
        except ActivityRefused as error:
            return _refused_form(container, error, submitted.values)
        flash(_("C'est enregistré."), "success")
        return redirect(f"/{container}/{slug}", 303)
    return _message(409, _("Ce nom est déjà pris, essayez-en un autre."))


for _container in CONTAINERS:  # static paths: they must win over LDP's /<container>/<slug>
    bp.add_url_rule(f"/{_container}/new", "new", new, methods=["GET", "POST"],
                    defaults={"container": _container})


def _now() -> datetime:
    return datetime.now(UTC)


def _check_submitted(container: str, submitted: Submitted, editing: str | None = None,
                     etag: str = "") -> tuple[str, int] | None:
    if submitted.forbidden:
        return _form_page(container, submitted.values, 403,
                          [*submitted.forbidden, *submitted.errors], editing, etag)
    if submitted.errors:
        return _form_page(container, submitted.values, 422, submitted.errors, editing, etag)
    return None


def _graph(subject: URIRef, submitted: Submitted) -> Graph:
    graph = Graph(bind_namespaces="none")
    for _s, predicate, value in submitted.triples:
        graph.add((subject, predicate, value))
    return graph


@bp.route("/<any(organizations,projects,events,places,offers):container>/<slug>/edit",
          methods=["GET", "POST"])
@logged_in
def edit(container: str, slug: str) -> Any:
    site = platform()
    iri = _iri(container, slug)
    found = _current(iri)
    if not isinstance(found[0], Graph):
        return found
    current, etag = found  # type: ignore[misc]
    actor = _actor()
    if actor not in site.activities.editors(iri, current):
        return _message(403, _("Seul·es ses administrateur·rices peuvent modifier cette page."))
    zone = views.zone_for(_territory_of(current, iri))
    stored = values_from_graph(container, current, iri, zone)
    if request.method == "GET":
        return _form_page(container, stored, editing=slug, etag=etag)
    keep = {k: str(v) for k, v in stored.items() if k in ("attributed_to", "super_event")}
    submitted = read_form(container, request.form, _references(actor, keep), URIRef(iri))
    sent_etag = request.form.get("etag", "")
    problem = _check_submitted(container, submitted, slug, sent_etag)
    if problem is not None:
        return problem
    graph = _merged(container, current, iri, submitted)
    try:
        site.activities.apply(Activity("Update", actor, iri, graph, if_match=sent_etag or None))
    except ActivityRefused as error:
        return _refused_form(container, error, submitted.values, slug, sent_etag)
    flash(_("C'est enregistré."), "success")
    return redirect(f"/{container}/{slug}", 303)


def _territory_of(graph: Graph, iri: str) -> str | None:
    value = graph.value(URIRef(iri), CC.territory)
    return str(value) if value is not None else None


def _merged(container: str, current: Graph, iri: str, submitted: Submitted) -> Graph:
    """The stored graph with the form's fields replaced: what partner tools or other
    forms added (other vocabularies, other types) is kept."""
    subject = URIRef(iri)
    managed = managed_predicates(container)
    graph = Graph(bind_namespaces="none")
    for s, p, o in current:
        if s == subject and p in managed and (p != RDF.type or o in ALL_CLASSES):
            continue
        graph.add((s, p, o))
    for _s, p, o in submitted.triples:
        graph.add((subject, p, o))
    return graph


@bp.post("/<any(organizations,projects,events,places,offers):container>/<slug>/delete")
@logged_in
def delete(container: str, slug: str) -> Any:
    iri = _iri(container, slug)
    try:
        platform().activities.apply(Activity("Delete", _actor(), iri))
    except ActivityRefused as error:
        return _message(error.status, say(error))
    flash(_("C'est supprimé."), "success")
    return redirect(f"/{container}/", 303)


# --- Memberships, attendance, follows ---------------------------------------------------------


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


def _path(iri: str) -> str:
    base = platform().base_url
    return iri[len(base):] if iri.startswith(base + "/") else "/"


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


@bp.post(f"/<{JOINABLE}:container>/<slug>/join")
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


@bp.post(f"/<{JOINABLE}:container>/<slug>/leave")
@logged_in
def leave(container: str, slug: str) -> Any:
    return _act("Leave", _iri(container, slug), done=_("C'est fait."))


@bp.post(f"/<{GROUPS}:container>/<slug>/invite")
@logged_in
def invite(container: str, slug: str) -> Any:
    person = _person(request.form.get("person", ""))
    return _act("Invite", _iri(container, slug), target=person or None,
                content=request.form.get("role") or "member",
                done=_("L'invitation est envoyée."))


@bp.post(f"/<{GROUPS}:container>/<slug>/accept")
@logged_in
def accept(container: str, slug: str) -> Any:
    person = request.form.get("person", "").strip()
    return _act("Accept", _iri(container, slug), target=_person(person) if person else None,
                content=request.form.get("role") or None, done=_("C'est accepté."))


@bp.post(f"/<{GROUPS}:container>/<slug>/reject")
@logged_in
def reject(container: str, slug: str) -> Any:
    person = request.form.get("person", "").strip()
    return _act("Reject", _iri(container, slug), target=_person(person) if person else None,
                done=_("C'est refusé."))


@bp.post(f"/<{GROUPS}:container>/<slug>/remove")
@logged_in
def remove(container: str, slug: str) -> Any:
    person = _person(request.form.get("person", ""))
    return _act("Remove", _iri(container, slug), target=person or None,
                done=_("Cette personne n'est plus membre."))


@bp.post(f"/<{FOLLOWABLE}:container>/<slug>/follow")
@logged_in
def follow(container: str, slug: str) -> Any:
    return _act("Follow", _iri(container, slug), done=_("Vous suivez cette page."))


@bp.post(f"/<{FOLLOWABLE}:container>/<slug>/unfollow")
@logged_in
def unfollow(container: str, slug: str) -> Any:
    return _act("Undo", _iri(container, slug), content="Follow",
                done=_("Vous ne suivez plus cette page."))


@bp.post("/organizations/<slug>/verify")
@logged_in
def verify(slug: str) -> Any:
    withdraw = request.form.get("verified", "true") == "false"
    return _act("Verify", _iri("organizations", slug), content="false" if withdraw else "true",
                done=_("Le badge est retiré.") if withdraw else _("Le badge officiel est "
                                                                 "accordé."))


@bp.get("/admin/verifications")
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


# --- The public lists: members, attendees, followers, following --------------------------------


def _collection_response(owner: str, iri: str, ntriples: str, title: str,
                         items: list[dict]) -> Any:
    try:
        media = choose(request)
    except NotAcceptable:
        return _message(406, _("Aucune représentation ne convient."))
    if media == HTML:
        body = render_template("elements/collection.html", title=title, items=items,
                               owner=_path(owner), owner_name=views.display_name(
                                   owner, views.names([owner])), iri=iri)
        response = Response(body, 200, content_type="text/html; charset=utf-8")
    else:
        expanded = media == JSONLD and wants_expanded(request)
        body = serialize(ntriples, media, platform().base_url, expanded)
        content_type = f"{media}; charset=utf-8" if media.startswith("text/") else media
        response = Response(body, 200, content_type=content_type)
    response.headers["Vary"] = "Accept"
    return response


def _owner_or_error(container: str, slug: str) -> str | tuple[str, int]:
    iri = _iri(container, slug)
    found = _current(iri)
    if not isinstance(found[0], Graph):
        return found  # type: ignore[return-value]
    return iri


@bp.get(f"/<{GROUPS}:container>/<slug>/members")
def members_list(container: str, slug: str) -> Any:
    owner = _owner_or_error(container, slug)
    if not isinstance(owner, str):
        return owner
    handler = platform().activities
    graph = views.live_graph(owner)
    assert graph is not None
    members = memberships.members_in(handler, owner, graph)
    ntriples = graph_to_ntriples(memberships.members_graph(owner, members))
    known = views.names(list(members))
    items = sorted(({"href": _path(p), "name": views.display_name(p, known),
                     "detail": str(views.ROLE_LABELS[m.role])} for p, m in members.items()),
                   key=lambda i: i["name"].lower())
    return _collection_response(owner, memberships.members_iri(owner), ntriples,
                                _("Membres"), items)


@bp.get("/events/<slug>/attendees")
def attendees_list(slug: str) -> Any:
    owner = _owner_or_error("events", slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, attendance.attendees_iri(owner), _("Participant·es"))


@bp.get(f"/<{FOLLOWABLE}:container>/<slug>/followers")
def followers_list(container: str, slug: str) -> Any:
    owner = _owner_or_error(container, slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, follows.followers_iri(owner), _("Abonné·es"))


@bp.get("/persons/<slug>/following")
def following_list(slug: str) -> Any:
    owner = _owner_or_error("persons", slug)
    if not isinstance(owner, str):
        return owner
    return _plain_collection(owner, follows.following_iri(owner), _("Abonnements"))


def _plain_collection(owner: str, iri: str, title: str) -> Any:
    items, _etag = memberships.read_collection(platform().activities, iri)
    graph = memberships.collection_graph(iri, items)
    if iri.endswith("/attendees"):
        for person in items:
            graph.add((URIRef(owner), SCHEMA.attendee, URIRef(person)))
    known = views.names(items)
    rows = sorted(({"href": _path(i), "name": views.display_name(i, known),
                    "detail": _kind_label(known.get(i))} for i in items if i in known),
                  key=lambda r: r["name"].lower())
    return _collection_response(owner, iri, graph_to_ntriples(graph), title, rows)


def _kind_label(named: views.Named | None) -> str:
    if named is None or not named.type:
        return ""
    return label(CC[named.type], get_locale_name())


# --- Pages ----------------------------------------------------------------------------------------


def _render_element(iri: str, graph: Graph, error: str | None = None) -> str:
    view = views.element_view(iri, graph, current_account())
    return render_template("elements/page.html", view=view, error=error,
                           role_labels=views.ROLE_LABELS,
                           has_wall=_has_template("posts/_wall.html"))


def _has_template(name: str) -> bool:
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return False
    return True


for _container in CONTAINERS:
    page_renderer(_container)(lambda iri, graph: _render_element(iri, graph))


# --- Notifications (when the notifications module is there) -------------------------------


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
