"""Which local resources are ActivityPub actors, of which type, and under which handle.

Actors: citizens (`Person`), organizations (`Organization`, or `Group` when people other
than its creator may publish in its name, i.e. hold an admin or contributor role: its
members post through it), projects (`Group`), territories from neighbourhoods up to the
country (`Group`: following one brings its public activity), and the instance actor
`{base}/actor` (`Application`), which signs the server's own fetches.

Handles (`preferredUsername`, WebFinger `acct:{handle}@{host}`)
---------------------------------------------------------------
The handle is the resource's slug: `jade-morel`, `atelier-velo-payet`, and for territories
their code as it appears in their IRI (`97411`, `epci-249740119`, `departement-974`,
`region-04`, `FR`). Slugs are unique within a container only, so a person and an
organization may share one. The rule for such clashes:

* the bare slug belongs to the oldest living actor bearing it (territories, imported from
  the official data, count as the oldest; on equal dates persons, then organizations,
  then projects, then territories);
* every actor can also be reached as `{slug}.{kind}` with kind `person`, `org`, `project`
  or `territory`, and that is the handle of those that lose the bare slug. Slugs never
  contain a dot (they are minted by `web.slugs.slugify`, territory codes have none), so a
  qualified handle never collides with a bare one;
* the instance actor is `instance.actor` (a dot again: never a slug).

Handles compare case-insensitively, as Mastodon compares them (`fr` finds the country
`FR`, `2a004` the Corsican commune `2A004`; a person `fr` would be `fr.person`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef

from federation.groups import ORGANIZER_ROLES, ROLE_BY_IRI, members_iri
from federation.handler_support import triples
from ontology import AS, CC, CLASS_BY_CONTAINER, DCTERMS, ORG, RDF, TERRITORY_CLASSES
from store.base import TripleStore
from store.terms import NOT_IN_IRIS

INSTANCE_USERNAME = "instance.actor"
#: Containers whose members are actors, in the order that breaks ties between equal slugs.
ACTOR_CONTAINERS = ("persons", "organizations", "projects", "territories")
KIND_SUFFIX = {"persons": "person", "organizations": "org", "projects": "project",
               "territories": "territory"}
CONTAINER_BY_SUFFIX = {suffix: container for container, suffix in KIND_SUFFIX.items()}
ACTOR_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "persons": (CC.Citizen,),
    "organizations": tuple(CLASS_BY_CONTAINER["organizations"]),
    "projects": (CC.Project,),
    "territories": tuple(TERRITORY_CLASSES),
}
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


@dataclass(frozen=True)
class LocalActor:
    """A living local actor: where it lives and what it is."""

    iri: str
    container: str
    slug: str
    kind: URIRef  # its cc: class
    created: str  # dcterms:created, "" for imported territories


def instance_actor_iri(base_url: str) -> str:
    """The instance actor (type Application), which signs the server's own GETs."""
    return f"{base_url.rstrip('/')}/actor"


def split_actor_iri(base_url: str, iri: str) -> tuple[str, str] | None:
    """(container, slug) of an IRI that could name a local actor, else None."""
    base = base_url.rstrip("/") + "/"
    if not isinstance(iri, str) or not iri.startswith(base) or NOT_IN_IRIS.search(iri):
        return None
    parts = iri[len(base):].split("/")
    if len(parts) != 2 or parts[0] not in ACTOR_CONTAINERS or not parts[1]:
        return None
    return parts[0], parts[1]


def _candidates(store: TripleStore, base_url: str,
                pairs: list[tuple[str, str]]) -> list[LocalActor]:
    """The living actors among (container, slug) pairs. Each is one graph read (a few
    tenths of a millisecond), which is much cheaper than a query over the candidates."""
    base = base_url.rstrip("/")
    found = []
    kind_predicate, created_predicate = str(RDF.type), str(DCTERMS.created)
    for container, slug in pairs:
        iri = f"{base}/{container}/{slug}"
        try:
            text = store.graph(iri)
        except ValueError:  # not even an IRI: no actor of ours
            continue
        if not text:
            continue
        types, created = set(), ""
        for subject, predicate, value in triples(text):
            if subject != iri:
                continue
            if predicate == kind_predicate:
                types.add(value.value)
            elif predicate == created_predicate:
                created = value.value
        if str(AS.Tombstone) in types:
            continue
        kind = next((k for k in ACTOR_CLASSES[container] if str(k) in types), None)
        if kind is not None:
            found.append(LocalActor(iri, container, slug, kind, created))
    return found


def local_actor(store: TripleStore, base_url: str, iri: str) -> LocalActor | None:
    """The living local actor at `iri` (not the instance actor), else None."""
    split = split_actor_iri(base_url, iri)
    if split is None:
        return None
    found = _candidates(store, base_url, [split])
    return found[0] if found else None


def _bare_owner(store: TripleStore, base_url: str, slug: str) -> LocalActor | None:
    """Who holds the bare handle `slug`, compared case-insensitively as fediverse servers
    compare handles (see the module's rule)."""
    found = _candidates(store, base_url, [(c, s) for c in ACTOR_CONTAINERS
                                          for s in _spellings(slug)])
    if not found:
        return None

    def seniority(actor: LocalActor) -> tuple[int, str, int, str]:
        territory = actor.container == "territories"
        return (0 if territory else 1, actor.created, ACTOR_CONTAINERS.index(actor.container),
                actor.slug)

    return min(found, key=seniority)


def handle_of(store: TripleStore, base_url: str, iri: str) -> str | None:
    """The preferredUsername of a local actor (None for anything else)."""
    if iri == instance_actor_iri(base_url):
        return INSTANCE_USERNAME
    actor = local_actor(store, base_url, iri)
    if actor is None:
        return None
    owner = _bare_owner(store, base_url, actor.slug)
    if owner is not None and owner.iri == actor.iri:
        return actor.slug
    return f"{actor.slug}.{KIND_SUFFIX[actor.container]}"


def _spellings(slug: str) -> list[str]:
    return list(dict.fromkeys((slug, slug.lower(), slug.upper())))


def actor_for_username(store: TripleStore, base_url: str, username: str) -> str | None:
    """The local actor IRI a handle names (None when none does); see the module's rule."""
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        return None
    if username.lower() == INSTANCE_USERNAME:
        return instance_actor_iri(base_url)
    if "." in username:
        slug, suffix = username.rsplit(".", 1)
        container = CONTAINER_BY_SUFFIX.get(suffix.lower())
        if container is None or not slug or "." in slug:
            return None
        found = _candidates(store, base_url, [(container, s) for s in _spellings(slug)])
        return found[0].iri if found else None
    owner = _bare_owner(store, base_url, username)
    return owner.iri if owner is not None else None


def acts_as_group(store: TripleStore, organization: str, creator: str | None) -> bool:
    """True when people other than the creator may publish in the organization's name
    (admins and contributors, federation.groups.ORGANIZER_ROLES): its members post
    through it, so it federates as a Group (FEP-1b12) rather than an Organization."""
    collection = members_iri(organization)
    text = store.graph(collection)
    if not text:
        return False
    nodes: dict[str, dict[str, str]] = {}
    wanted = {str(ORG.organization), str(ORG.member), str(ORG.role)}
    for subject, predicate, value in triples(text):
        if predicate in wanted:
            nodes.setdefault(subject, {})[predicate] = value.value
    for node in nodes.values():
        person = node.get(str(ORG.member))
        role = ROLE_BY_IRI.get(URIRef(node.get(str(ORG.role), "")))
        if (node.get(str(ORG.organization)) == organization and person and person != creator
                and role in ORGANIZER_ROLES):
            return True
    return False


def actor_type(store: TripleStore, base_url: str, iri: str) -> str | None:
    """The ActivityStreams type of a local actor: Person, Organization, Group, Application."""
    if iri == instance_actor_iri(base_url):
        return "Application"
    actor = local_actor(store, base_url, iri)
    if actor is None:
        return None
    return type_of(store, actor)


def type_of(store: TripleStore, actor: LocalActor) -> str:
    if actor.container == "persons":
        return "Person"
    if actor.container == "organizations":
        text = store.graph(actor.iri) or ""
        creator = next((v.value for s, p, v in triples(text)
                        if s == actor.iri and p == str(DCTERMS.creator)), None)
        return "Group" if acts_as_group(store, actor.iri, creator) else "Organization"
    return "Group"
