"""The forms of organizations, projects, events, places and offers: which fields each has,
how what a person typed becomes RDF, and how a stored resource fills the form again.

Nothing here writes: `read_form` returns the triples the form manages, the values to show
again, the messages to show (unknown choices, malformed numbers, dates, addresses) and the
references the person may not use (another's organization as organizer, another's event as
parent), which the view answers with 403. Required fields, lengths and ranges are left to
the SHACL shapes, whose messages the view shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ontology import (
    AS,
    CC,
    CLASSIFIED_CATEGORIES,
    EVENT_TYPES,
    GEO,
    PROJECT_STAGES,
    SCHEMA,
    THEMES,
)
from store.moments import parse_moment

CONTAINERS = ("organizations", "projects", "events", "places", "offers")

#: container → (form value, class, French label) of the kinds a person picks from
KINDS: dict[str, list[tuple[str, URIRef, object]]] = {
    "organizations": [
        ("association", CC.Association, _l("Association")),
        ("business", CC.Business, _l("Entreprise")),
        ("publicauthority", CC.PublicAuthority, _l("Collectivité ou service public")),
        ("informalgroup", CC.InformalGroup, _l("Groupe informel")),
    ],
    "projects": [("project", CC.Project, _l("Projet"))],
    "events": [("event", CC.Event, _l("Événement"))],
    "places": [("place", CC.PointOfInterest, _l("Point d'intérêt"))],
    "offers": [("offer", CC.Offer, _l("Offre")), ("need", CC.Need, _l("Besoin"))],
}
ALL_CLASSES = {cls for kinds in KINDS.values() for _v, cls, _l_ in kinds}


def _local(iri: URIRef) -> str:
    return str(iri).rsplit("#", 1)[-1]


def _choices(iris: list[URIRef], strip: str = "") -> list[tuple[str, URIRef]]:
    return [(_local(i).removeprefix(strip).lower(), i) for i in iris]


STAGES = _choices(PROJECT_STAGES, "Stage")  # idea, concept, started, development…
EVENT_KINDS = _choices(EVENT_TYPES)  # meeting, workshop, festival…
CATEGORIES = _choices(CLASSIFIED_CATEGORIES)  # housing, serviceexchange, donation…


@dataclass(frozen=True)
class Field:
    name: str
    widget: str  # text, textarea, kind, choice, themes, territory, url, datetime, integer,
    #             decimal, place, organizer, parent
    label: object
    predicate: URIRef | None = None
    choices: list[tuple[str, URIRef]] = field(default_factory=list)
    required: bool = False
    help: object = ""


def _common_head(container: str) -> list[Field]:
    fields = []
    if len(KINDS[container]) > 1:
        label = _l("Type d'organisation") if container == "organizations" else _l("Offre ou besoin")
        fields.append(Field("kind", "kind", label, RDF.type, required=True))
    fields += [
        Field("name", "text", _l("Nom"), AS.name, required=True),
        Field("summary", "textarea", _l("Résumé"), AS.summary,
              help=_l("Une ou deux phrases, 2000 caractères au plus.")),
        Field("content", "textarea", _l("Description"), AS.content),
    ]
    return fields


def _common_tail() -> list[Field]:
    return [
        Field("territory", "territory", _l("Commune ou quartier"), CC.territory, required=True,
              help=_l("Le code INSEE de la commune (par exemple 97411 pour Saint-Denis), "
                      "ou l'adresse de son territoire.")),
        Field("themes", "themes", _l("Thématiques"), CC.theme),
    ]


def fields_for(container: str) -> list[Field]:
    head, tail = _common_head(container), _common_tail()
    url = Field("url", "url", _l("Site web"), AS.url, help=_l("Commence par https://"))
    address = Field("address", "text", _l("Adresse"), SCHEMA.streetAddress)
    point = [Field("lat", "decimal", _l("Latitude"), GEO.lat),
             Field("long", "decimal", _l("Longitude"), GEO.long)]  # optional: for the map
    if container == "organizations":
        return [*head, url, address, *point, *tail]
    if container == "projects":
        return [*head, Field("stage", "choice", _l("Étape"), CC.stage, STAGES),
                Field("attributed_to", "organizer", _l("Porté par"), AS.attributedTo),
                url, *tail]
    if container == "events":
        return [*head,
                Field("event_type", "choice", _l("Type d'événement"), CC.eventType, EVENT_KINDS),
                Field("start", "datetime", _l("Début"), AS.startTime, required=True),
                Field("end", "datetime", _l("Fin"), AS.endTime),
                Field("location", "place", _l("Lieu"), AS.location,
                      help=_l("Un point d'intérêt de la carte (son adresse ou son nom court).")),
                Field("online_url", "url", _l("Lien pour participer en ligne"), CC.onlineUrl),
                Field("capacity", "integer", _l("Nombre de places"),
                      SCHEMA.maximumAttendeeCapacity, help=_l("Laisser vide : sans limite.")),
                Field("attributed_to", "organizer", _l("Organisé par"), AS.attributedTo),
                Field("super_event", "parent", _l("Fait partie de l'événement"),
                      SCHEMA.superEvent),
                url, *point, *tail]
    if container == "places":
        return [*head, Field("lat", "decimal", _l("Latitude"), GEO.lat, required=True),
                Field("long", "decimal", _l("Longitude"), GEO.long, required=True),
                address,
                Field("attributed_to", "organizer", _l("Géré par"), AS.attributedTo),
                url, *tail]
    if container == "offers":
        return [*head,
                Field("category", "choice", _l("Catégorie"), CC.category, CATEGORIES,
                      required=True),
                Field("attributed_to", "organizer", _l("Proposé par"), AS.attributedTo),
                *tail]
    raise KeyError(container)


def managed_predicates(container: str) -> set[URIRef]:
    """What the form of this container sets (an edit replaces these, keeps the rest)."""
    return {f.predicate for f in fields_for(container) if f.predicate is not None} | {RDF.type}


# --- Reading a submitted form -----------------------------------------------------------------


@dataclass
class References:
    """What the view knows about the world, for the fields that point to resources."""

    base_url: str
    territory_kind: object  # callable(iri) -> "ok" | None
    place_exists: object  # callable(iri) -> bool
    organizers: set[str]  # whom the person may name as organizer / carrier
    may_be_parent: object  # callable(iri) -> "ok" | "missing" | "forbidden"
    current: dict[str, str] = field(default_factory=dict)  # field → value already stored
    timezone: object = None  # callable(territory iri) -> ZoneInfo


@dataclass
class Submitted:
    triples: list[tuple[URIRef, URIRef, Node]]
    values: dict[str, object]
    errors: list[str]
    forbidden: list[str]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL_OK = re.compile(r"^[^\s<>\"{}|\\^`]+$")
MAX_URL = 2000


def clean_text(value: str) -> str:
    """Text as typed, minus control characters; stored as plain text, escaped on output."""
    return _CONTROL.sub("", value).replace("\r\n", "\n").strip()


def safe_url(value: str) -> str | None:
    """An http(s) URL fit for a link, or None (javascript:, data:, spaces, quotes…)."""
    value = value.strip()
    if not value or len(value) > MAX_URL or not _URL_OK.match(value):
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def resolve_territory(value: str, base_url: str) -> str:
    value = value.strip()
    if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", value, flags=re.IGNORECASE):
        return f"{base_url}/territories/{value.upper()}"
    return value


def resolve_member(value: str, base_url: str, container: str) -> str:
    value = value.strip()
    if value and "/" not in value and ":" not in value:
        return f"{base_url}/{container}/{value}"
    return value


def parse_datetime(value: str, zone: ZoneInfo) -> datetime | None:
    moment = parse_moment(value.strip(), zone)
    return moment.replace(microsecond=0) if moment is not None else None


def datetime_literal(moment: datetime) -> Literal:
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


def read_form(container: str, form: object, refs: References, subject: URIRef) -> Submitted:
    """The triples of the fields of `container`'s form, from a submitted form (a
    MultiDict), with the values to show again and what is wrong."""
    triples: list[tuple[URIRef, URIRef, Node]] = []
    values: dict[str, object] = {}
    errors: list[str] = []
    forbidden: list[str] = []
    fields = fields_for(container)
    kinds = KINDS[container]
    territory_iri: str | None = None

    def add(predicate: URIRef, value: Node) -> None:
        triples.append((subject, predicate, value))

    # The kind first: the territory's time zone is needed by the dates, so it comes second.
    chosen = form.get("kind", "") if len(kinds) > 1 else kinds[0][0]  # type: ignore[attr-defined]
    values["kind"] = chosen
    by_value = {v: cls for v, cls, _label in kinds}
    if chosen in by_value:
        add(RDF.type, by_value[chosen])
    elif not chosen:
        errors.append(str(_l("Choisissez un type dans la liste.")))
    else:
        errors.append(str(_l("Type inconnu : « %(value)s ». Choisissez un type dans la liste.",
                             value=chosen)))

    raw_territory = form.get("territory", "")  # type: ignore[attr-defined]
    values["territory"] = raw_territory
    if raw_territory.strip():
        territory_iri = resolve_territory(raw_territory, refs.base_url)
        if refs.territory_kind(territory_iri) != "ok":  # type: ignore[operator]
            errors.append(str(_l("Territoire inconnu : « %(value)s ». Donnez le code INSEE "
                                 "d'une commune (par exemple 97411) ou l'adresse d'un "
                                 "quartier.", value=raw_territory.strip())))
            territory_iri = None
        else:
            add(CC.territory, URIRef(territory_iri))
    zone = refs.timezone(territory_iri) if refs.timezone else ZoneInfo("Europe/Paris")  # type: ignore[operator]

    for spec in fields:
        if spec.widget in ("kind", "territory"):
            continue
        if spec.widget == "themes":
            chosen_themes = [t for t in form.getlist("themes") if t]  # type: ignore[attr-defined]
            values["themes"] = chosen_themes
            known = {slug: iri for slug, iri, _fr, _en in THEMES}
            for slug in chosen_themes:
                if slug in known:
                    add(CC.theme, known[slug])
                else:
                    errors.append(str(_l("Thématique inconnue : « %(value)s ».", value=slug)))
            continue
        raw = form.get(spec.name, "")  # type: ignore[attr-defined]
        values[spec.name] = raw
        if not raw.strip():
            continue
        assert spec.predicate is not None
        if spec.widget in ("text", "textarea"):
            add(spec.predicate, Literal(clean_text(raw)))
        elif spec.widget == "choice":
            found = dict(spec.choices).get(raw.strip())
            if found is None:
                errors.append(str(_l("%(field)s : valeur inconnue « %(value)s ». Choisissez dans "
                                     "la liste.", field=spec.label, value=raw.strip())))
            else:
                add(spec.predicate, found)
        elif spec.widget == "url":
            url = safe_url(raw)
            if url is None:
                errors.append(str(_l("%(field)s : adresse invalide. Donnez une adresse web qui "
                                     "commence par http:// ou https://.", field=spec.label)))
            else:
                add(spec.predicate, URIRef(url))
        elif spec.widget == "datetime":
            moment = parse_datetime(raw, zone)
            if moment is None:
                errors.append(str(_l("%(field)s : date et heure invalides (attendu : "
                                     "AAAA-MM-JJTHH:MM).", field=spec.label)))
            else:
                add(spec.predicate, datetime_literal(moment))
        elif spec.widget == "integer":
            if not re.fullmatch(r"[+-]?[0-9]{1,9}", raw.strip()):
                errors.append(str(_l("%(field)s : un nombre entier, s'il vous plaît.",
                                     field=spec.label)))
            else:
                add(spec.predicate, Literal(int(raw.strip()), datatype=XSD.integer))
        elif spec.widget == "decimal":
            try:
                number = Decimal(raw.strip().replace(",", "."))
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(str(_l("%(field)s : un nombre décimal, s'il vous plaît (par "
                                     "exemple -21.0096).", field=spec.label)))
            else:
                add(spec.predicate, Literal(number, datatype=XSD.decimal))
        elif spec.widget == "place":
            iri = resolve_member(raw, refs.base_url, "places")
            if not refs.place_exists(iri):  # type: ignore[operator]
                errors.append(str(_l("Lieu inconnu : « %(value)s ». Choisissez un point "
                                     "d'intérêt existant.", value=raw.strip())))
            else:
                add(spec.predicate, URIRef(iri))
        elif spec.widget == "organizer":
            iri = raw.strip()
            if iri in refs.organizers or iri == refs.current.get(spec.name):
                add(spec.predicate, URIRef(iri))
            else:
                forbidden.append(str(_l("Vous ne pouvez pas publier au nom de « %(value)s » : "
                                        "il faut en être administrateur·rice ou "
                                        "contributeur·rice.", value=iri)))
        elif spec.widget == "parent":
            iri = resolve_member(raw, refs.base_url, "events")
            verdict = "ok" if iri == refs.current.get(spec.name) else refs.may_be_parent(iri)  # type: ignore[operator]
            if verdict == "ok" and iri != str(subject):
                add(spec.predicate, URIRef(iri))
            elif verdict == "forbidden":
                forbidden.append(str(_l("Vous ne pouvez rattacher un événement qu'à un "
                                        "événement que vous pouvez modifier.")))
            else:
                errors.append(str(_l("Événement parent inconnu : « %(value)s ».",
                                     value=raw.strip())))
    return Submitted(triples, values, errors, forbidden)


# --- Filling the form from a stored resource -----------------------------------------------


def values_from_graph(container: str, graph: Graph, iri: str, local_zone: object) -> dict:
    """The form values of a stored resource (the edit form starts from them)."""
    subject = URIRef(iri)
    values: dict[str, object] = {}
    for value, cls, _label in KINDS[container]:
        if (subject, RDF.type, cls) in graph:
            values["kind"] = value
    for spec in fields_for(container):
        if spec.widget in ("kind",) or spec.predicate is None:
            continue
        found = list(graph.objects(subject, spec.predicate))
        if spec.widget == "themes":
            slugs = {str(iri): slug for slug, iri, _fr, _en in THEMES}
            values["themes"] = [slugs[str(t)] for t in found if str(t) in slugs]
            continue
        if not found:
            values[spec.name] = ""
            continue
        first = found[0]
        if spec.widget == "choice":
            names = {str(i): v for v, i in spec.choices}
            values[spec.name] = names.get(str(first), "")
        elif spec.widget == "territory":
            text = str(first)
            prefix = text.rsplit("/", 1)[0] + "/"
            code = text[len(prefix):]
            values[spec.name] = code if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code) else text
        elif spec.widget == "datetime":
            values[spec.name] = local_input(first, local_zone)
        else:
            values[spec.name] = str(first)
    return values


def local_input(value: Node, zone: object) -> str:
    """An xsd:dateTime as the value of a datetime-local input, in the territory's time."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None and isinstance(zone, ZoneInfo):
        moment = moment.astimezone(zone)
    return moment.strftime("%Y-%m-%dT%H:%M")
