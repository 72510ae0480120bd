"""The seed dataset's resources as N-Quads, one function per kind of resource.

Each maker is a pure function of the plan, the resource's index and the chunk's random
generator (benchmarks/seed.py explains why), and returns the resource's lines.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from benchmarks.seed_terms import (
    CC,
    CCT,
    CONTAINER_OF,
    CONTAINERS,
    EVENT_TEMPLATES,
    FIRST_NAMES,
    LAST_NAMES,
    LDP,
    ORG_KINDS,
    P_ATTRIBUTED,
    P_CAPACITY,
    P_CONTAINS,
    P_CONTENT,
    P_CREATED,
    P_CREATOR,
    P_END,
    P_EVENT_TYPE,
    P_GOVERNS,
    P_LAT,
    P_LONG,
    P_MODIFIED,
    P_NAME,
    P_PART_OF,
    P_PUBLISHED,
    P_STAGE,
    P_START,
    P_SUMMARY,
    P_TERRITORY,
    P_THEME,
    P_TITLE,
    P_USERNAME,
    P_VERIFIED,
    P_WALL,
    POST_TEMPLATES,
    PROJECT_TEMPLATES,
    RDF_TYPE,
    STAGES,
    T_DECIMAL,
    T_INTEGER,
    THEME_LABELS,
    THEMES,
    TRUE,
    lit,
    mix,
)
from store.territories import KINDS

if TYPE_CHECKING:
    from benchmarks.seed import Plan


def _lines(graph: str, triples: list[tuple[str, str]], subject: str | None = None) -> str:
    s = f"<{subject or graph}>"
    g = f"<{graph}>"
    return "".join(f"{s} {p} {o} {g} .\n" for p, o in triples)


def _membership(plan: Plan, kind: str, iri: str) -> str:
    container = f"{plan.base}/{CONTAINER_OF[kind]}/"
    return f"<{container}> {P_CONTAINS} <{iri}> <{container}> .\n"


def _themes(rng: random.Random, low: int, high: int) -> list[tuple[str, str]]:
    return [(P_THEME, f"<{CCT}{t}>") for t in rng.sample(THEMES, rng.randint(low, high))]


def _citizen(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.citizen_iri(j)
    first, last = plan.citizen_name(j)
    commune = plan.commune_of("citizens", j)
    created = plan.now_ts - rng.uniform(0, 3 * 365 * 86400)
    triples = [
        (RDF_TYPE, f"<{CC}Citizen>"),
        (P_USERNAME, lit(plan.citizen_handle(j))),
        (P_NAME, lit(f"{FIRST_NAMES[first]} {LAST_NAMES[last]}")),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_CREATOR, f"<{iri}>"),
        (P_CREATED, plan.stamp(created)),
        (P_MODIFIED, plan.stamp(created + rng.uniform(0, plan.now_ts - created))),
        *_themes(rng, 0, 3),
    ]
    return _lines(iri, triples) + _membership(plan, "citizens", iri)


def _authority(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.authority_iri(j)
    commune = plan.authority_commune[j]
    creator = plan.member_in("citizens", commune, rng)
    created = plan.now_ts - rng.uniform(0, 3 * 365 * 86400)
    triples = [
        (RDF_TYPE, f"<{CC}PublicAuthority>"),
        (P_NAME, lit(f"Mairie de {plan.name[commune]}")),
        (P_SUMMARY, lit(f"La mairie de {plan.name[commune]} sur Communecter.")),
        (P_GOVERNS, f"<{plan.iri[commune]}>"),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_VERIFIED, TRUE),
        (P_CREATOR, f"<{plan.citizen_iri(creator)}>"),
        (P_CREATED, plan.stamp(created)),
        (P_MODIFIED, plan.stamp(created)),
        *_themes(rng, 1, 3),
    ]
    point = plan.point(commune, rng, 0.0)
    if point:
        triples += [(P_LAT, f'"{point[0]}"{T_DECIMAL}'), (P_LONG, f'"{point[1]}"{T_DECIMAL}')]
    return _lines(iri, triples) + _membership(plan, "public_authorities", iri)


def _organization(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.org_iri(j)
    kind, template = plan.org_template(j)
    cls, _, templates = ORG_KINDS[kind]
    commune = plan.commune_of("organizations", j)
    creator = plan.member_in("citizens", commune, rng)
    created = plan.now_ts - rng.uniform(0, 3 * 365 * 86400)
    themes = _themes(rng, 1, 3)
    theme = themes[0][1][len(CCT) + 1:-1]
    triples = [
        (RDF_TYPE, f"<{CC}{cls}>"),
        (P_NAME, lit(f"{templates[template]} {plan.a_name[commune]}")),
        (P_SUMMARY, lit(f"Nous agissons pour {THEME_LABELS[theme]} {plan.a_name[commune]}.")),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_CREATOR, f"<{plan.citizen_iri(creator)}>"),
        (P_CREATED, plan.stamp(created)),
        (P_MODIFIED, plan.stamp(created + rng.uniform(0, plan.now_ts - created))),
        *themes,
    ]
    point = plan.point(commune, rng, 0.02)
    if point:
        triples += [(P_LAT, f'"{point[0]}"{T_DECIMAL}'), (P_LONG, f'"{point[1]}"{T_DECIMAL}')]
    return _lines(iri, triples) + _membership(plan, "organizations", iri)


def _project(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.project_iri(j)
    commune = plan.commune_of("projects", j)
    template = PROJECT_TEMPLATES[mix(j, 3) % len(PROJECT_TEMPLATES)]
    org = plan.one_in("organizations", commune, rng)
    owner = plan.org_iri(org) if org is not None else plan.authority_iri(
        plan.authority_of.get(commune, rng.randrange(len(plan.authority_commune))))
    creator = plan.member_in("citizens", commune, rng)
    created = plan.now_ts - rng.uniform(0, 2 * 365 * 86400)
    triples = [
        (RDF_TYPE, f"<{CC}Project>"),
        (P_NAME, lit(f"{template} {plan.a_name[commune]}")),
        (P_SUMMARY, lit(f"Un projet citoyen {plan.a_name[commune]} : {template.lower()}.")),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_STAGE, f"<{CC}{rng.choice(STAGES)}>"),
        (P_ATTRIBUTED, f"<{owner}>"),
        (P_CREATOR, f"<{plan.citizen_iri(creator)}>"),
        (P_CREATED, plan.stamp(created)),
        (P_MODIFIED, plan.stamp(created + rng.uniform(0, plan.now_ts - created))),
        *_themes(rng, 1, 2),
    ]
    return _lines(iri, triples) + _membership(plan, "projects", iri)


def _event(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.event_iri(j)
    commune = plan.commune_of("events", j)
    event_type, template = EVENT_TEMPLATES[mix(j, 4) % len(EVENT_TEMPLATES)]
    org = plan.member_in("organizations", commune, rng)
    creator = plan.member_in("citizens", commune, rng)
    day = plan.now.date() + timedelta(days=rng.randint(-365, 365))
    start = datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.choice((0, 15, 30, 45)))
    if event_type == "Festival":
        end = start + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
    else:
        end = start + timedelta(minutes=rng.choice((60, 90, 120, 180, 240)))
    created = min(plan.now_ts, start.timestamp() - rng.uniform(0, 90 * 86400)) - 86400
    triples = [
        (RDF_TYPE, f"<{CC}Event>"),
        (P_NAME, lit(f"{template} {plan.a_name[commune]}")),
        (P_START, plan.local(commune, start)),
        (P_END, plan.local(commune, end)),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_EVENT_TYPE, f"<{CC}{event_type}>"),
        (P_ATTRIBUTED, f"<{plan.org_iri(org)}>"),
        (P_CREATOR, f"<{plan.citizen_iri(creator)}>"),
        (P_CREATED, plan.stamp(created)),
        (P_MODIFIED, plan.stamp(created)),
        *_themes(rng, 1, 2),
    ]
    if rng.random() < 0.3:
        triples.append((P_CAPACITY, f'"{rng.choice((20, 30, 50, 100, 200, 500))}"{T_INTEGER}'))
    point = plan.point(commune, rng, 0.02)
    if point:
        triples += [(P_LAT, f'"{point[0]}"{T_DECIMAL}'), (P_LONG, f'"{point[1]}"{T_DECIMAL}')]
    return _lines(iri, triples) + _membership(plan, "events", iri)


def _post(plan: Plan, j: int, rng: random.Random) -> str:
    iri = plan.post_iri(j)
    commune = plan.commune_of("posts", j)
    author = plan.member_in("citizens", commune, rng)
    author_iri = plan.citizen_iri(author)
    draw = rng.random()
    wall = None
    if draw < 0.2:
        found = plan.one_in("organizations", commune, rng)
        wall = plan.org_iri(found) if found is not None else None
    elif draw < 0.3:
        found = plan.one_in("events", commune, rng)
        wall = plan.event_iri(found) if found is not None else None
    elif draw < 0.4:
        found = plan.one_in("projects", commune, rng)
        wall = plan.project_iri(found) if found is not None else None
    elif draw < 0.5:
        wall = author_iri
    wall = wall or plan.iri[commune]
    theme = rng.choice(THEMES)
    published = plan.now_ts - 730 * 86400 * rng.random() ** 1.5  # more recent than old
    stamp = plan.stamp(published)
    text = rng.choice(POST_TEMPLATES).format(theme=THEME_LABELS[theme], commune=plan.name[commune])
    triples = [
        (RDF_TYPE, f"<{CC}Post>"),
        (P_CONTENT, lit(text)),
        (P_ATTRIBUTED, f"<{author_iri}>"),
        (P_WALL, f"<{wall}>"),
        (P_TERRITORY, f"<{plan.iri[commune]}>"),
        (P_THEME, f"<{CCT}{theme}>"),
        (P_PUBLISHED, stamp),
        (P_CREATOR, f"<{author_iri}>"),
        (P_CREATED, stamp),
        (P_MODIFIED, stamp),
    ]
    return _lines(iri, triples) + _membership(plan, "posts", iri)


MAKERS = {"citizens": _citizen, "public_authorities": _authority, "organizations": _organization,
          "projects": _project, "events": _event, "posts": _post}


def territory_quads(plan: Plan) -> str:
    """Every territory of France, with the triples store.territories.territory_graph makes."""
    out = []
    container = f"{plan.base}/territories/"
    for t in sorted(plan.territories, key=lambda t: (KINDS.index(t.kind), t.code)):
        iri = t.iri(plan.base)
        triples = [
            (RDF_TYPE, f"<{CC}{_TERRITORY_CLASS[t.kind]}>"),
            (P_NAME, lit(t.name)),
            (f"<{CC}officialCode>", lit(t.code)),
        ]
        if t.is_commune:
            triples.append((f"<{CC}inseeCode>", lit(t.code)))
        triples += [(f"<{CC}postalCode>", lit(code)) for code in t.postal_codes]
        triples += [(P_PART_OF, f"<{parent}>") for parent in t.parent_iris(plan.base)]
        if t.population is not None:
            triples.append((f"<{CC}population>", f'"{t.population}"{T_INTEGER}'))
        if t.lat is not None and t.long is not None:
            triples += [(P_LAT, f'"{t.lat}"{T_DECIMAL}'), (P_LONG, f'"{t.long}"{T_DECIMAL}')]
        out.append(_lines(iri, triples))
        out.append(f"<{container}> {P_CONTAINS} <{iri}> <{container}> .\n")
    return "".join(out)


_TERRITORY_CLASS = {"country": "Country", "region": "Region", "departement": "Departement",
                    "epci": "Intercommunality", "commune": "Commune", "arrondissement": "Commune"}


def container_quads(plan: Plan) -> str:
    """The containers' own descriptions, as web.app.ensure_containers writes them."""
    out = []
    for slug in CONTAINERS:
        iri = f"{plan.base}/{slug}/"
        out.append(_lines(iri, [(RDF_TYPE, f"<{LDP}BasicContainer>"),
                                (RDF_TYPE, f"<{LDP}Container>"), (P_TITLE, lit(slug))]))
    return "".join(out)
