"""Citizens' profiles: the page at {base}/persons/{handle} and its edit form.

Each field — name, picture, bio, interests (themes), skills, neighbourhood — has an
audience chosen by its person: public, members-only or private. Only public fields are in
the citizen's RDF resource (so LDP, SPARQL and the dumps see only them); the others stay
in the private store and are shown to logged-in members (members-only) or to the person
only (private). Edits are Update activities, the same as an LDP PUT.

Routes
  GET      {base}/persons/{handle}        (page renderer of the "persons" container)
  GET/POST /persons/{handle}/edit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from federation.activities import Activity
from federation.errors import ActivityRefused, Stale
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, THEMES
from ontology import label as term_label
from store.accounts import AUDIENCES, Account
from store.queries import query
from web.pages import get_locale_name, page_renderer
from web.platform import platform
from web.ui.account_uploads import (
    MAX_BYTES,
    BadImage,
    name_from_url,
    remove_upload,
    save_image,
    upload_url,
)
from web.ui.session import accounts, current_account, login_required, protect

bp = Blueprint("profiles", __name__)
protect(bp.name)

PREDICATES = {
    "name": AS.name,
    "picture": AS.icon,
    "bio": AS.summary,
    "interests": CC.theme,
    "skills": CC.skill,
    "neighbourhood": CC.territory,
}
FIELDS = tuple(PREDICATES)
DEFAULT_AUDIENCE = {"name": "public", "picture": "public", "bio": "public",
                    "interests": "public", "skills": "public", "neighbourhood": "members"}
LIST_FIELDS = ("interests", "skills")
MAX_NAME, MAX_BIO, MAX_SKILL, MAX_SKILLS = 200, 2000, 200, 30


@dataclass
class ProfileField:
    audience: str
    value: Any = None

    @property
    def empty(self) -> bool:
        return self.value in (None, "", [])


@dataclass
class Profile:
    actor: str
    handle: str
    fields: dict[str, ProfileField] = field(default_factory=dict)
    closed: bool = False


# --- reading a profile -------------------------------------------------------------------------


def _texts(graph: Graph, subject: URIRef, predicate: URIRef) -> list[Literal]:
    return [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]


def _in_language(values: list[Literal]) -> str | None:
    """The value in the page's language, else one without language, else any."""
    if not values:
        return None
    language = get_locale_name()
    for wanted in (language, None):
        for value in values:
            if value.language == wanted:
                return str(value)
    return str(sorted(values)[0])


def _public_value(graph: Graph, subject: URIRef, name: str) -> Any:
    predicate = PREDICATES[name]
    if name in ("name", "bio"):
        return _in_language(_texts(graph, subject, predicate))
    if name == "skills":
        return sorted(str(v) for v in _texts(graph, subject, predicate))
    iris = sorted(str(o) for o in graph.objects(subject, predicate) if isinstance(o, URIRef))
    if name == "interests":
        return iris
    return iris[0] if iris else None


def load_profile(actor: str, graph: Graph) -> Profile:
    """Public fields from the RDF resource, the others from the private store."""
    subject = URIRef(actor)
    handle = actor.rsplit("/", 1)[-1]
    private = accounts().profile_fields(actor)
    profile = Profile(actor, handle, closed=(subject, CC.accountClosed, None) in graph)
    for name in FIELDS:
        public = _public_value(graph, subject, name)
        if public not in (None, "", []):
            profile.fields[name] = ProfileField("public", public)
        elif name in private and private[name][0] != "public":
            profile.fields[name] = ProfileField(*private[name])
        else:
            audience = private[name][0] if name in private else DEFAULT_AUDIENCE[name]
            profile.fields[name] = ProfileField(audience, [] if name in LIST_FIELDS else None)
    usernames = _texts(graph, subject, AS.preferredUsername)
    if usernames:
        profile.handle = str(usernames[0])
    return profile


def can_see(audience: str, owner: str, viewer: Account | None) -> bool:
    if audience == "public":
        return True
    if audience == "members":
        return viewer is not None
    return viewer is not None and viewer.actor == owner


def picture_url(value: str | None) -> str | None:
    """An uploaded picture's name, or (from LDP writes) any http(s) IRI."""
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return value
    return upload_url(value)


def theme_choices() -> list[dict[str, str]]:
    english = get_locale_name() == "en"
    return [{"slug": slug, "iri": str(iri), "label": en if english else fr}
            for slug, iri, fr, en in THEMES]


def neighbourhoods(commune: str | None) -> list[dict[str, str]]:
    if not commune:
        return []
    rows = platform().store.select(query("profiles_neighbourhoods_of_commune",
                                         commune=URIRef(commune)))
    return [{"iri": str(r["neighbourhood"]), "name": str(r.get("name") or r["neighbourhood"])}
            for r in rows]


def person_activity(actor: str, limit: int = 50) -> list[dict[str, str]]:
    rows = platform().store.select(query("profiles_person_activity", actor=URIRef(actor),
                                         limit=limit))
    language = get_locale_name()
    items = []
    for row in rows:
        text = str(row.get("name") or row.get("content") or row["item"])
        items.append({"iri": str(row["item"]),
                      "kind": term_label(str(row["type"]), language),
                      "title": text if len(text) <= 140 else text[:139] + "…",
                      "created": str(row.get("created") or "")[:10]})
    return items


def _label_of(iri: str, graph_name: str | None = None) -> str:
    found = platform().store.graph(iri)
    if found:
        name = _in_language(_texts(graph_from_ntriples(found), URIRef(iri), AS.name))
        if name:
            return name
    return graph_name or iri


# --- the page ---------------------------------------------------------------------------------


@page_renderer("persons")
def render_person(iri: str, graph: Graph) -> str:
    viewer = current_account()
    profile = load_profile(iri, graph)
    shown = {name: f for name, f in profile.fields.items()
             if not f.empty and can_see(f.audience, iri, viewer)}
    themes = {t["iri"]: t["label"] for t in theme_choices()}
    details: dict[str, Any] = {}
    if "interests" in shown:
        details["interests"] = [themes.get(t, t) for t in shown["interests"].value]
    if "neighbourhood" in shown:
        details["neighbourhood"] = (shown["neighbourhood"].value,
                                    _label_of(shown["neighbourhood"].value))
    if "picture" in shown:
        details["picture"] = picture_url(shown["picture"].value)
    display_name = shown["name"].value if "name" in shown else profile.handle
    return render_template(
        "profiles/person.html", iri=iri, profile=profile, shown=shown, details=details,
        display_name=display_name, is_self=viewer is not None and viewer.actor == iri,
        activity=person_activity(iri))


# --- the edit form -----------------------------------------------------------------------------


def _message_page(status: int, title: str, text: str) -> tuple[str, int]:
    return render_template("accounts/message.html", title=title, text=text, link=None), status


def _load_for_edit(handle: str) -> tuple[str, Graph, str] | tuple[str, int]:
    site = platform()
    actor = f"{site.base_url}/persons/{handle}"
    found = site.store.graph_with_etag(actor)
    if found is None:
        return _message_page(404, _("Profil introuvable"), _("Ce profil n'existe pas."))
    graph = graph_from_ntriples(found[0])
    if is_tombstone(graph, URIRef(actor)):
        return _message_page(410, _("Profil supprimé"), _("Ce profil a été supprimé."))
    account = current_account()
    if account is None or account.actor != actor:
        return _message_page(403, _("Accès refusé"),
                             _("Vous ne pouvez modifier que votre propre profil."))
    return actor, graph, found[1]


def _form_values(profile: Profile) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, item in profile.fields.items():
        values[name] = item.value
        values[f"{name}_audience"] = item.audience
    values["skills"] = "\n".join(profile.fields["skills"].value or [])
    return values


def _render_edit(actor: str, profile: Profile, values: dict[str, Any], errors: dict[str, str],
                 etag: str, status: int = 200) -> tuple[str, int]:
    account = current_account()
    return render_template(
        "profiles/edit.html", actor=actor, profile=profile, values=values, errors=errors,
        etag=etag, themes=theme_choices(), audiences=AUDIENCES,
        neighbourhoods=neighbourhoods(account.commune if account else None),
        picture=picture_url(profile.fields["picture"].value),
        max_megabytes=MAX_BYTES // (1024 * 1024)), status


@bp.get("/persons/<handle>/edit")
@login_required
def edit_profile(handle: str) -> Any:
    loaded = _load_for_edit(handle)
    if len(loaded) == 2:
        return loaded
    actor, graph, etag = loaded
    profile = load_profile(actor, graph)
    return _render_edit(actor, profile, _form_values(profile), {}, etag)


def _clean_text(text: str, multiline: bool = False) -> str:
    allowed = "\n\t" if multiline else ""
    text = text.replace("\r\n", "\n")
    return "".join(c for c in text if c >= " " or c in allowed).strip()


def _read_form(actor: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted values, checked; the problems by field."""
    form = request.form
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in FIELDS:
        audience = form.get(f"{name}_audience", DEFAULT_AUDIENCE[name])
        if audience not in AUDIENCES:
            errors[f"{name}_audience"] = _("Visibilité inconnue.")
            audience = DEFAULT_AUDIENCE[name]
        values[f"{name}_audience"] = audience
    values["name"] = _clean_text(form.get("name", ""))
    if len(values["name"]) > MAX_NAME:
        errors["name"] = _("Le nom compte au plus %(max)s caractères.", max=MAX_NAME)
    values["bio"] = _clean_text(form.get("bio", ""), multiline=True)
    if len(values["bio"]) > MAX_BIO:
        errors["bio"] = _("La présentation compte au plus %(max)s caractères.", max=MAX_BIO)
    known = {t["iri"]: t for t in theme_choices()}
    by_slug = {t["slug"]: t["iri"] for t in known.values()}
    interests = []
    for chosen in form.getlist("interests"):
        iri = by_slug.get(chosen, chosen if chosen in known else None)
        if iri is None:
            errors["interests"] = _("Thématique inconnue : %(theme)s.", theme=chosen[:80])
        elif iri not in interests:
            interests.append(iri)
    values["interests"] = interests
    raw_skills = form.get("skills", "")
    values["skills"] = raw_skills
    skills = []
    for line in raw_skills.replace(",", "\n").splitlines():
        skill = _clean_text(line)
        if skill and skill not in skills:
            skills.append(skill)
    if any(len(s) > MAX_SKILL for s in skills):
        errors["skills"] = _("Chaque compétence compte au plus %(max)s caractères.",
                             max=MAX_SKILL)
    elif len(skills) > MAX_SKILLS:
        errors["skills"] = _("Au plus %(max)s compétences.", max=MAX_SKILLS)
    values["skill_list"] = skills
    neighbourhood = form.get("neighbourhood", "").strip()
    account = current_account()
    allowed = {n["iri"] for n in neighbourhoods(account.commune if account else None)}
    if neighbourhood and neighbourhood not in allowed:
        errors["neighbourhood"] = _("Ce quartier n'est pas un quartier de votre commune.")
    values["neighbourhood"] = neighbourhood or None
    return values, errors


@bp.post("/persons/<handle>/edit")
@login_required
def save_profile(handle: str) -> Any:
    loaded = _load_for_edit(handle)
    if len(loaded) == 2:
        return loaded
    actor, graph, current_etag = loaded
    profile = load_profile(actor, graph)
    if (request.content_length or 0) > MAX_BYTES + 200_000:
        values = _form_values(profile)
        return _render_edit(actor, profile, values, {"picture": _picture_problem("too_big")},
                            current_etag, 413)
    values, errors = _read_form(actor)
    values["picture"] = profile.fields["picture"].value
    upload = request.files.get("picture")
    if errors:
        return _render_edit(actor, profile, values, errors, current_etag, 422)
    new_picture = None
    if upload is not None and upload.filename:
        try:
            new_picture = save_image(upload, actor, values["picture_audience"], "profile")
        except BadImage as problem:
            errors["picture"] = _picture_problem(problem.kind)
            return _render_edit(actor, profile, values, errors, current_etag, 422)
    old_picture = profile.fields["picture"].value
    picture = new_picture or (None if request.form.get("remove_picture") == "1" else old_picture)
    final = {
        "name": values["name"] or None,
        "picture": picture,
        "bio": values["bio"] or None,
        "interests": values["interests"],
        "skills": values["skill_list"],
        "neighbourhood": values["neighbourhood"],
    }
    audiences = {name: values[f"{name}_audience"] for name in FIELDS}
    updated = _public_graph(actor, graph, final, audiences)
    sent_etag = request.form.get("etag") or current_etag
    try:
        platform().activities.apply(Activity("Update", actor, actor, updated, if_match=sent_etag))
    except ActivityRefused as refusal:
        if new_picture:
            remove_upload(new_picture)
        if isinstance(refusal, Stale):
            message = _("Votre profil a changé depuis l'ouverture de ce formulaire : rechargez "
                        "la page et recommencez.")
        else:
            message = _("Ces informations n'ont pas pu être enregistrées : %(why)s",
                        why=refusal.message)
        return _render_edit(actor, profile, values, {"form": message}, current_etag, 409
                            if isinstance(refusal, Stale) else 422)
    accounts().save_profile_fields(actor, {
        name: (audiences[name], final[name]) for name in FIELDS})
    picture_name = _upload_name(picture)
    if picture_name:
        accounts().set_upload_audience(picture_name, audiences["picture"])
    old_name = _upload_name(old_picture)
    if old_name and old_name != picture_name:
        remove_upload(old_name)
    flash(_("Profil enregistré."), "info")
    return redirect(actor)


def _upload_name(value: str | None) -> str | None:
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return name_from_url(value)
    return value


def _picture_problem(kind: str) -> str:
    if kind == "too_big":
        return _("Cette image est trop grande : %(max)s Mo au plus.",
                 max=MAX_BYTES // (1024 * 1024))
    return _("Ce fichier n'est pas une image (JPEG, PNG, GIF ou WebP).")


def _public_graph(actor: str, current: Graph, final: dict[str, Any],
                  audiences: dict[str, str]) -> Graph:
    """The resource as it was, with the profile fields replaced by their public values."""
    subject = URIRef(actor)
    graph = Graph()
    managed = set(PREDICATES.values())
    for triple in current:
        if triple[0] == subject and triple[1] in managed:
            continue
        graph.add(triple)
    for name, predicate in PREDICATES.items():
        value = final[name]
        if audiences[name] != "public" or value in (None, "", []):
            continue
        objects: list[Node]
        if name in ("name", "bio"):
            objects = [Literal(value)]
        elif name == "skills":
            objects = [Literal(v) for v in value]
        elif name == "interests":
            objects = [URIRef(v) for v in value]
        elif name == "picture":
            objects = [URIRef(value if value.startswith(("http://", "https://"))
                              else upload_url(value))]
        else:
            objects = [URIRef(value)]
        for value_node in objects:
            graph.add((subject, predicate, value_node))
    return graph
