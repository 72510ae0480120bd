"""What the element pages and actions share: the route patterns, a refusal's reason in the
reader's language, the log-in gate, and small request helpers (the element's IRI, a message
page, the stored graph, the element's own page). Split from `web.ui.elements`, which holds
the blueprint and its URL table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from rdflib import Graph, URIRef
from werkzeug.routing import BuildError

from federation.errors import ActivityRefused, Conflict, Gone, NotAllowed, NotFound, Stale
from federation.resources import graph_from_ntriples, is_tombstone
from web.platform import platform
from web.ui import element_views as views
from web.ui.session import current_account

ELEMENTS = "any(organizations,projects,events,places,offers)"
GROUPS = "any(organizations,projects)"
JOINABLE = "any(organizations,projects,events)"
FOLLOWABLE = "any(persons,organizations,projects,events,territories)"
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


def _path(iri: str) -> str:
    base = platform().base_url
    return iri[len(base):] if iri.startswith(base + "/") else "/"



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

