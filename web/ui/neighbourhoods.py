"""Drawing a neighbourhood: a name, the streets and places it covers, a point for the map.

The form is offered on a commune's page to its administrators; the neighbourhood becomes a
territory of its own (`/territories/{insee}-{name}`), with a page at every level's rules.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask_babel import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import Activity
from federation.errors import ActivityRefused
from ontology import AS, CC, GEO
from store import feeds
from web.pages import get_locale_name
from web.platform import platform
from web.slugs import slugify
from web.ui.session import current_account, login_required, protect

bp = Blueprint("neighbourhoods", __name__)
protect(bp.name)


def _commune(code: str) -> str:
    iri = f"{platform().base_url}/territories/{code}"
    found = platform().store.graph(iri)
    if found is None or f"<{CC.Commune}>" not in found:
        abort(404, "no such commune here")
    return iri


@bp.route("/territories/<code>/neighbourhoods/new", methods=["GET", "POST"])
@login_required
def new(code: str) -> Response | str:
    commune = _commune(code)
    values = {k: request.form.get(k, "").strip() for k in ("name", "summary", "lat", "long")}
    if request.method == "GET":
        return render_template("neighbourhoods/new.html", commune=commune, values=values,
                               errors=[])
    graph, iri, errors = _graph(code, commune, values)
    if not errors:
        try:
            platform().activities.apply(Activity("Create", current_account().actor, iri,
                                                 graph))
        except ActivityRefused as refused:
            status = refused.status
            messages = getattr(refused.detail, "messages_for", None)
            if status == 403:
                errors = [_("Seuls les administrateurs de la mairie peuvent dessiner ses "
                            "quartiers.")]
            else:
                errors = messages(get_locale_name()) if messages else [refused.message]
            return render_template("neighbourhoods/new.html", commune=commune,
                                   values=values, errors=errors), status
        feeds.territories_changed(platform().store)
        return redirect(iri)
    return render_template("neighbourhoods/new.html", commune=commune, values=values,
                           errors=errors), 422


def _graph(code: str, commune: str, values: dict[str, str]) -> tuple[Graph, str, list[str]]:
    errors: list[str] = []
    slug = slugify(values["name"])
    if not slug:
        errors.append(_("Donnez un nom au quartier."))
    iri = f"{platform().base_url}/territories/{code}-{slug}"
    if slug and platform().store.graph(iri) is not None:
        errors.append(_("Un quartier de ce nom existe déjà dans cette commune."))
    graph = Graph(bind_namespaces="none")
    subject = URIRef(iri)
    graph.add((subject, RDF.type, CC.Neighbourhood))
    graph.add((subject, AS.name, Literal(values["name"])))
    graph.add((subject, CC.partOf, URIRef(commune)))
    if values["summary"]:
        graph.add((subject, AS.summary, Literal(values["summary"])))
    point = [values["lat"], values["long"]]
    if any(point):
        try:
            lat, long = (Decimal(v.replace(",", ".")) for v in point)
            graph.add((subject, GEO.lat, Literal(lat, datatype=XSD.decimal)))
            graph.add((subject, GEO.long, Literal(long, datatype=XSD.decimal)))
        except InvalidOperation:
            errors.append(_("Latitude et longitude : deux nombres décimaux, s'il vous plaît."))
    return graph, iri, errors
