"""What the element pages and forms need to know, read from the store: names of linked
resources, a person's groups, places, events one may attach to, time zones, and the page
of an organization, project, event, place or offer (members, attendees, followers…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.handlers import attendance, follows, memberships
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC, CONTAINER_BY_CLASS, GEO, SCHEMA, THEMES, label
from store.queries import query
from web.pages import get_locale_name
from web.platform import platform
from web.ui import remote_views as remote_ui
from web.ui.element_forms import CATEGORIES, EVENT_KINDS, KINDS, STAGES, safe_url

ROLE_LABELS = {"admin": _l("Administrateur·rice"), "contributor": _l("Contributeur·rice"),
               "member": _l("Membre")}
ROLE_ORDER = ("admin", "contributor", "member")
GROUP_CLASSES = {cls for _v, cls, _l_ in KINDS["organizations"]} | {CC.Organization, CC.Project}
ORGANIZER_ROLES = ("admin", "contributor")
ZONES = {"971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
         "974": "Indian/Reunion", "975": "America/Miquelon", "976": "Indian/Mayotte",
         "977": "America/St_Barthelemy", "978": "America/Marigot", "986": "Pacific/Wallis",
         "987": "Pacific/Tahiti", "988": "Pacific/Noumea"}
DEFAULT_ZONE = "Europe/Paris"


# --- Reading the store ------------------------------------------------------------------------


def live_graph(iri: str) -> Graph | None:
    found = platform().store.graph(iri)
    if found is None:
        return None
    graph = graph_from_ntriples(found)
    return None if is_tombstone(graph, URIRef(iri)) else graph


@dataclass(frozen=True)
class Named:
    iri: str
    name: str
    type: str  # local name of its cc: type ("Association", "Citizen"…), "" if unknown
    container: str


def names(iris: list[str] | set[str]) -> dict[str, Named]:
    """Names and types of living resources, in one query (unknown ones are left out)."""
    wanted = sorted({i for i in iris if i})
    if not wanted:
        return {}
    rows = platform().store.select(query("element_names", iris=[URIRef(i) for i in wanted]))
    found: dict[str, Named] = {}
    for row in rows:
        iri = str(row["s"])
        kind = row.get("type")
        local = str(kind).rsplit("#", 1)[-1] if kind is not None and str(kind).startswith(
            str(CC)) else ""
        name = row.get("name") or row.get("handle")
        previous = found.get(iri)
        if previous is not None and previous.type and not local:
            continue
        container = CONTAINER_BY_CLASS.get(kind, "") if kind is not None else ""  # type: ignore[call-overload]
        found[iri] = Named(iri, str(name) if name is not None else iri.rsplit("/", 1)[-1],
                           local or (previous.type if previous else ""), container)
    return found


def display_name(iri: str, known: dict[str, Named]) -> str:
    found = known.get(iri)
    return found.name if found is not None else iri.rsplit("/", 1)[-1]


def groups_of(person: str) -> dict[str, tuple[str, str]]:
    """The organizations and projects where a person holds a role: group → (role, name)."""
    rows = platform().store.select(query("element_groups_of_person", person=URIRef(person)))
    best: dict[str, tuple[str, str]] = {}
    for row in rows:
        role = memberships.ROLE_BY_IRI.get(row["role"])  # type: ignore[arg-type]
        if role is None:
            continue
        group = str(row["group"])
        current = best.get(group)
        if current is None or ROLE_ORDER.index(role) < ROLE_ORDER.index(current[0]):
            best[group] = (role, str(row.get("name") or group))
    return best


def organizer_choices(actor: str, actor_name: str) -> list[tuple[str, str]]:
    """Whom a person may name as organizer or carrier: themselves, and the groups where they
    are admin or contributor."""
    choices = [(actor, actor_name)]
    for group, (role, name) in sorted(groups_of(actor).items(), key=lambda g: g[1][1].lower()):
        if role in ORGANIZER_ROLES:
            choices.append((group, name))
    return choices


def parent_choices(actor: str) -> list[tuple[str, str]]:
    """Events a person may attach sub-events to: theirs, and their admin groups'."""
    admin_groups = [g for g, (role, _n) in groups_of(actor).items() if role == "admin"]
    by = [URIRef(actor), *(URIRef(g) for g in admin_groups)]
    rows = platform().store.select(query("element_events_by", actors=by, limit=300))
    return [(str(r["event"]), str(r["name"])) for r in rows]


def place_choices() -> list[tuple[str, str]]:
    rows = platform().store.select(query("element_places", limit=500))
    return [(str(r["place"]), str(r["name"])) for r in rows]


def territory_kind(iri: str) -> str | None:
    """ "ok" when `iri` is a commune or neighbourhood of this instance (where things live)."""
    if not iri.startswith(platform().base_url + "/territories/"):
        return None
    graph = live_graph(iri)
    if graph is None:
        return None
    subject = URIRef(iri)
    if (subject, RDF.type, CC.Commune) in graph or (subject, RDF.type, CC.Neighbourhood) in graph:
        return "ok"
    return None


def zone_for(territory: str | None) -> ZoneInfo:
    """The time zone of a territory: its département's (overseas ones have their own)."""
    current = territory
    for _ in range(6):
        if not current:
            break
        graph = live_graph(current)
        if graph is None:
            break
        subject = URIRef(current)
        if (subject, RDF.type, CC.Departement) in graph:
            code = str(graph.value(subject, CC.officialCode) or "")
            return ZoneInfo(ZONES.get(code, DEFAULT_ZONE))
        code = str(graph.value(subject, CC.inseeCode) or "")
        if code[:3] in ZONES:
            return ZoneInfo(ZONES[code[:3]])
        parent = graph.value(subject, CC.partOf)
        current = str(parent) if parent is not None else None
    return ZoneInfo(DEFAULT_ZONE)


def place_exists(iri: str) -> bool:
    if not iri.startswith(platform().base_url + "/places/"):
        return False
    graph = live_graph(iri)
    return graph is not None and (URIRef(iri), RDF.type, CC.PointOfInterest) in graph


def may_be_parent(iri: str, actor: str) -> str:
    """ "ok", "missing" or "forbidden": may this person attach an event below `iri`?"""
    if not iri.startswith(platform().base_url + "/events/"):
        return "missing"
    graph = live_graph(iri)
    if graph is None or (URIRef(iri), RDF.type, CC.Event) not in graph:
        return "missing"
    return "ok" if actor in platform().activities.editors(iri, graph) else "forbidden"


# --- Following --------------------------------------------------------------------------------


def follow_state(iri: str, actor: str | None) -> dict[str, Any]:
    """For a Follow button anywhere: the count, whether the viewer follows, the URLs."""
    handler = platform().activities
    followers = follows.followers_of(handler, iri)
    path = iri[len(platform().base_url):]
    return {"iri": iri, "count": len(followers), "following": actor in followers,
            "logged_in": actor is not None, "self": actor == iri,
            "follow_url": f"{path}/follow", "unfollow_url": f"{path}/unfollow",
            "followers_url": f"{path}/followers"}


# --- The page of an element -------------------------------------------------------------------


@dataclass
class Link:
    iri: str
    name: str
    href: str


@dataclass
class ElementView:
    iri: str
    container: str
    path: str
    name: str
    kind: str
    kind_label: str
    values: list[tuple[str, Any]] = field(default_factory=list)  # (label, text or Link)
    summary: str = ""
    content: str = ""
    themes: list[str] = field(default_factory=list)
    verified: bool | None = None
    stage_index: int | None = None
    stages: list[str] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)
    my_role: str | None = None
    my_pending: Any = None
    is_group: bool = False
    is_event: bool = False
    attendees: list[Link] = field(default_factory=list)
    attending: bool = False
    capacity: int | None = None
    places_left: int | None = None
    sub_events: list[Link] = field(default_factory=list)
    follow: dict = field(default_factory=dict)
    can_edit: bool = False
    is_instance_admin: bool = False
    actor: str | None = None
    roles: list[tuple[str, Any]] = field(default_factory=list)
    is_creator: bool = False


def _text(graph: Graph, subject: URIRef, predicate: URIRef) -> str:
    value = graph.value(subject, predicate)
    return str(value) if value is not None else ""


def _when(value: Any, zone: ZoneInfo, lang: str) -> str:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=lang)


def _href(iri: str) -> str:
    base = platform().base_url
    return iri[len(base):] if iri.startswith(base + "/") else iri


def element_view(iri: str, graph: Graph, account: Any) -> ElementView:
    site = platform()
    handler = site.activities
    lang = get_locale_name()
    subject = URIRef(iri)
    container = iri[len(site.base_url) + 1:].split("/", 1)[0]
    actor = account.actor if account is not None else None
    kind_value, kind_label = "", ""
    for value, cls, text in KINDS[container]:
        if (subject, RDF.type, cls) in graph:
            kind_value, kind_label = value, str(text)
    view = ElementView(iri=iri, container=container, path=_href(iri),
                       name=_text(graph, subject, AS.name) or iri.rsplit("/", 1)[-1],
                       kind=kind_value, kind_label=kind_label, actor=actor,
                       summary=_text(graph, subject, AS.summary),
                       content=_text(graph, subject, AS.content))
    view.is_instance_admin = bool(account is not None and account.is_admin)
    view.can_edit = actor is not None and actor in handler.editors(iri, graph)
    themes = {str(t) for t in graph.objects(subject, CC.theme)}
    view.themes = [fr if lang == "fr" else en for _s, t, fr, en in THEMES if str(t) in themes]

    linked = {str(o) for p in (CC.territory, AS.location, AS.attributedTo, SCHEMA.superEvent)
              for o in graph.objects(subject, p)}
    people: set[str] = set()
    members: dict[str, memberships.Member] = {}
    pending_rows: list = []
    if container in memberships.GROUP_CONTAINERS:
        view.is_group = True
        members = memberships.members_in(handler, iri, graph)
        people |= set(members)
        service = memberships._SERVICES.get(handler)
        if service is not None:
            if actor is not None:
                view.my_pending = service.pending.get(iri, actor)
            pending_rows = service.pending.for_group(iri)
            people |= {p.person for p in pending_rows}
    attendees: list[str] = []
    if container == "events":
        view.is_event = True
        attendees = attendance.attendees_of(handler, iri)
        people |= set(attendees)
        subs = site.store.select(query("element_sub_events", parent=subject, limit=200))
        view.sub_events = [Link(str(r["event"]), str(r["name"]), _href(str(r["event"])))
                           for r in subs]
    known = names(linked | people)
    remote_people = remote_ui.remote_labels(people)  # remote attendees, followers…

    def link(value: Any) -> Link:
        text = str(value)
        if text in remote_people:
            found = remote_people[text]
            return Link(text, f"{found.name} (@{found.handle})", found.href)
        return Link(text, display_name(text, known), _href(text))

    zone = zone_for(_text(graph, subject, CC.territory) or None)
    values: list[tuple[str, Any]] = []
    if kind_label and len(KINDS[container]) > 1:
        values.append((str(_l("Type")), kind_label))
    if container == "projects":
        stage = graph.value(subject, CC.stage)
        view.stages = [label(i, lang) for _v, i in STAGES]
        if stage is not None:
            names_by_iri = [str(i) for _v, i in STAGES]
            if str(stage) in names_by_iri:
                view.stage_index = names_by_iri.index(str(stage))
            values.append((str(_l("Étape")), label(stage, lang)))
    if container == "events":
        kind = graph.value(subject, CC.eventType)
        if kind is not None and str(kind) in {str(i) for _v, i in EVENT_KINDS}:
            values.append((str(_l("Type d'événement")), label(kind, lang)))
        start, end = graph.value(subject, AS.startTime), graph.value(subject, AS.endTime)
        if start is not None:
            values.append((str(_l("Début")), _when(start, zone, lang)))
        if end is not None:
            values.append((str(_l("Fin")), _when(end, zone, lang)))
        location = graph.value(subject, AS.location)
        if location is not None:
            values.append((str(_l("Lieu")), link(location)))
        online = safe_url(_text(graph, subject, CC.onlineUrl))
        if online:
            values.append((str(_l("En ligne")), Link(online, online, online)))
        view.capacity = attendance.capacity_of(graph, iri)
        view.attendees = [link(p) for p in attendees]
        view.attending = actor in attendees
        if view.capacity is not None:
            view.places_left = max(view.capacity - len(attendees), 0)
        parent = graph.value(subject, SCHEMA.superEvent)
        if parent is not None:
            values.append((str(_l("Fait partie de")), link(parent)))
    if container == "offers":
        category = graph.value(subject, CC.category)
        if category is not None and str(category) in {str(i) for _v, i in CATEGORIES}:
            values.append((str(_l("Catégorie")), label(category, lang)))
    for carrier in graph.objects(subject, AS.attributedTo):
        title = {"events": _l("Organisé par"), "projects": _l("Porté par"),
                 "places": _l("Géré par"), "offers": _l("Proposé par")}.get(container,
                                                                              _l("Par"))
        values.append((str(title), link(carrier)))
    address = _text(graph, subject, SCHEMA.streetAddress)
    if address:
        values.append((str(_l("Adresse")), address))
    lat, long = graph.value(subject, GEO.lat), graph.value(subject, GEO.long)
    if lat is not None and long is not None:
        where = f"{lat}, {long}"
        osm = f"https://www.openstreetmap.org/?mlat={lat}&mlon={long}#map=17/{lat}/{long}"
        values.append((str(_l("Position")), Link(osm, where, osm)))
    territory = graph.value(subject, CC.territory)
    if territory is not None:
        values.append((str(_l("Territoire")), link(territory)))
    for url in graph.objects(subject, AS.url):
        safe = safe_url(str(url))
        if safe:
            values.append((str(_l("Site web")), Link(safe, safe, safe)))
    view.values = values

    if (subject, RDF.type, CC.PublicAuthority) in graph:
        view.verified = (subject, CC.verified, Literal(True)) in graph

    if view.is_group:
        view.roles = [(r, ROLE_LABELS[r]) for r in ROLE_ORDER]
        rows = []
        for person, member in members.items():
            rows.append({"person": person, "href": _href(person),
                         "name": display_name(person, known), "role": member.role,
                         "role_label": ROLE_LABELS[member.role],
                         "creator": person == memberships.creator_of(graph, iri)})
        rows.sort(key=lambda r: (ROLE_ORDER.index(r["role"]), r["name"].lower()))
        view.members = rows
        view.my_role = members[actor].role if actor in members else None
        view.is_creator = actor is not None and actor == memberships.creator_of(graph, iri)
        if view.my_role == "admin":
            view.pending = [{"person": p.person, "href": _href(p.person),
                             "name": display_name(p.person, known), "kind": p.kind,
                             "role": p.role, "role_label": ROLE_LABELS.get(p.role, p.role)}
                            for p in pending_rows]
    if container in follows.FOLLOWABLE:
        view.follow = follow_state(iri, actor)
    return view
