"""Creating, editing and deleting an element through its form: the form page, its
refusals, and the merge of the form's fields into the stored graph. The views are routed
by `web.ui.elements` (endpoints `elements.new`, `elements.edit`, `elements.delete`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from federation.errors import ActivityRefused, Conflict, Invalid
from federation.handlers import memberships
from ontology import AS, CC, THEMES, label
from web.pages import get_locale_name
from web.platform import platform
from web.slugs import RESERVED as RESERVED_SLUGS
from web.slugs import mint_slug, slugify
from web.ui import element_views as views
from web.ui.element_forms import (
    ALL_CLASSES,
    KINDS,
    References,
    Submitted,
    fields_for,
    managed_predicates,
    read_form,
    values_from_graph,
)
from web.ui.element_support import SAY, _actor, _current, _iri, _message, logged_in, say
from web.ui.session import current_account

TITLES = {
    "organizations": (_l("Nouvelle organisation"), _l("Modifier l'organisation")),
    "projects": (_l("Nouveau projet"), _l("Modifier le projet")),
    "events": (_l("Nouvel événement"), _l("Modifier l'événement")),
    "places": (_l("Nouveau point d'intérêt"), _l("Modifier le point d'intérêt")),
    "offers": (_l("Nouvelle annonce"), _l("Modifier l'annonce")),
}


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


@logged_in
def delete(container: str, slug: str) -> Any:
    iri = _iri(container, slug)
    try:
        platform().activities.apply(Activity("Delete", _actor(), iri))
    except ActivityRefused as error:
        return _message(error.status, say(error))
    flash(_("C'est supprimé."), "success")
    return redirect(f"/{container}/", 303)

