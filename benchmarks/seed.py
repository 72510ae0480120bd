"""The seed-scale dataset: all of France, written as N-Quads, fast and deterministically.

``python -m benchmarks.seed --scale seed --out FILE`` writes every territory of France
(store/territories) plus 200,000 citizens, 7,000 public authorities, 50,000 organizations,
100,000 events, 20,000 projects and 1,000,000 posts, each resource in its own named graph
(graph IRI = resource IRI), and the ``ldp:contains`` triples of the containers. ``--scale
small`` is one hundredth of that.

How it stays fast, deterministic and small in memory:

- Lines are formatted as plain strings (no rdflib).
- Every kind of resource is spread over the communes by population with *contiguous
  blocks*: member ``j`` of a kind lives in the commune whose block holds ``j`` (integer
  arithmetic on the cumulative populations). So a resource's commune and IRI are pure
  functions of its index, any resource can point at "a citizen of this commune" without
  looking anything up, and the benchmark can list existing IRIs without reading the file.
- The work is cut into chunks of a few thousand resources; each chunk draws from its own
  random generator seeded with (seed, kind, first index), so the bytes do not depend on
  how many processes generate them. Chunks are formatted (and gzip-compressed, each one
  a gzip member) in worker processes and written in order, so memory stays constant.

Communes that have municipal arrondissements (Paris, Lyon, Marseille) are replaced by their
arrondissements: people live in an arrondissement, and its cc:partOf is the parent commune.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import sys
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

from store.territories import FRANCE_PATH, KINDS, Territory, read_territories, territory_iri

GENERATOR_VERSION = 1
SEED_COUNTS = {
    "citizens": 200_000,
    "public_authorities": 7_000,
    "organizations": 50_000,
    "events": 100_000,
    "projects": 20_000,
    "posts": 1_000_000,
}
SCALES = {"seed": SEED_COUNTS, "small": {kind: n // 100 for kind, n in SEED_COUNTS.items()}}
DEFAULT_SEED = 20260601
#: The dataset's "now": events are placed around it and the feed benchmarks query at it.
DEFAULT_NOW = "2026-06-01T12:00:00+00:00"
DEFAULT_PORT = 8765
CHUNK = 4_000

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
CC = "https://w3id.org/communecter/ns#"
CCT = "https://w3id.org/communecter/themes#"
AS = "https://www.w3.org/ns/activitystreams#"
DCT = "http://purl.org/dc/terms/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LDP = "http://www.w3.org/ns/ldp#"
SCHEMA = "http://schema.org/"

P_NAME = f"<{AS}name>"
P_SUMMARY = f"<{AS}summary>"
P_CONTENT = f"<{AS}content>"
P_USERNAME = f"<{AS}preferredUsername>"
P_PUBLISHED = f"<{AS}published>"
P_START = f"<{AS}startTime>"
P_END = f"<{AS}endTime>"
P_ATTRIBUTED = f"<{AS}attributedTo>"
P_TERRITORY = f"<{CC}territory>"
P_THEME = f"<{CC}theme>"
P_WALL = f"<{CC}wall>"
P_EVENT_TYPE = f"<{CC}eventType>"
P_STAGE = f"<{CC}stage>"
P_GOVERNS = f"<{CC}governs>"
P_VERIFIED = f"<{CC}verified>"
P_PART_OF = f"<{CC}partOf>"
P_CREATOR = f"<{DCT}creator>"
P_CREATED = f"<{DCT}created>"
P_MODIFIED = f"<{DCT}modified>"
P_TITLE = f"<{DCT}title>"
P_LAT = f"<{GEO}lat>"
P_LONG = f"<{GEO}long>"
P_CAPACITY = f"<{SCHEMA}maximumAttendeeCapacity>"
P_CONTAINS = f"<{LDP}contains>"
T_DATETIME = f"^^<{XSD}dateTime>"
T_DECIMAL = f"^^<{XSD}decimal>"
T_INTEGER = f"^^<{XSD}integer>"
TRUE = f'"true"^^<{XSD}boolean>'

CONTAINERS = ("persons", "organizations", "projects", "events", "posts", "proposals", "offers",
              "places", "territories")
THEMES = ("periscolaire", "associatif", "economie", "territoire", "tourisme", "dechets",
          "culture", "social", "emploi", "transport", "logement", "energie", "agriculture",
          "alimentation", "sante", "education", "citoyennete", "environnement", "numerique",
          "sport")
THEME_LABELS = dict(zip(THEMES, (
    "le périscolaire", "la vie associative", "l'économie locale", "le territoire", "le tourisme",
    "les déchets", "la culture", "l'action sociale", "l'emploi", "les transports", "le logement",
    "l'énergie", "l'agriculture", "l'alimentation", "la santé", "l'éducation", "la citoyenneté",
    "l'environnement", "le numérique", "le sport"), strict=True))

FIRST_NAMES = (
    "Marie", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura",
    "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Sylvie", "Céline", "Aurélie",
    "Émilie", "Lucie", "Jeanne", "Louise", "Alice", "Lina", "Zoé", "Nadia", "Fatima",
    "Yasmina", "Aïcha", "Gwenaëlle", "Jean", "Pierre", "Louis", "Lucas", "Hugo", "Thomas",
    "Nicolas", "Julien", "Antoine", "Maxime", "Alexandre", "Mathieu", "David", "Philippe",
    "Michel", "Alain", "Patrick", "Éric", "Laurent", "Stéphane", "François", "Olivier",
    "Romain", "Théo", "Nathan", "Karim", "Mehdi", "Yanis", "Loïc", "Erwan", "Jérôme",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Hoarau", "Grondin", "Le Gall", "Kerbrat", "Nguyen", "Benali", "Haddad", "Diallo",
)
ORG_KINDS = (  # (class, share in per mille, name templates)
    ("Association", 620, (
        "Comité des fêtes", "Amicale laïque", "Association sportive", "Club de randonnée",
        "Jardins partagés", "Association des parents d'élèves", "Banque alimentaire",
        "Maison des jeunes et de la culture", "Foyer rural", "Repair café",
        "Association de sauvegarde du patrimoine", "Chorale", "Club de football",
        "Collectif vélo", "Université populaire", "Secours populaire, antenne")),
    ("Business", 300, (
        "Boulangerie", "Librairie", "Épicerie solidaire", "Garage", "Ferme maraîchère",
        "Café associatif", "Menuiserie", "Cabinet infirmier", "Agence de voyages",
        "Atelier numérique", "Coopérative agricole", "Pharmacie")),
    ("InformalGroup", 80, (
        "Collectif des habitants", "Groupe de covoiturage", "Cercle de lecture",
        "Collectif zéro déchet", "Groupe d'entraide", "Collectif climat")),
)
EVENT_KINDS = (  # (cc:eventType, name templates)
    ("Meeting", ("Réunion publique", "Conseil de quartier", "Assemblée générale")),
    ("Workshop", ("Atelier réparation", "Atelier compost", "Atelier numérique")),
    ("Festival", ("Fête de la musique", "Festival des solidarités", "Fête du village")),
    ("Concert", ("Concert de la chorale", "Concert en plein air")),
    ("Exhibition", ("Exposition photo", "Exposition des artistes locaux")),
    ("Market", ("Marché de producteurs", "Vide-grenier", "Marché de Noël")),
    ("Conference", ("Conférence-débat", "Rencontre-débat")),
    ("SportsEvent", ("Course solidaire", "Tournoi de football", "Randonnée découverte")),
    ("Training", ("Formation premiers secours", "Formation bénévoles")),
    ("Volunteering", ("Nettoyage de la rivière", "Collecte alimentaire", "Plantation d'arbres")),
    ("OtherEvent", ("Portes ouvertes", "Permanence d'accueil")),
)
EVENT_TEMPLATES = [(kind, name) for kind, names in EVENT_KINDS for name in names]
PROJECT_TEMPLATES = (
    "Jardin partagé", "Maison de santé", "Piste cyclable", "Tiers-lieu", "Épicerie solidaire",
    "Recyclerie", "Centrale solaire citoyenne", "Cantine bio", "Fablab", "Budget participatif",
    "Habitat partagé", "Verger communal", "Navette solidaire", "Ludothèque")
STAGES = ("StageIdea", "StageConcept", "StageStarted", "StageDevelopment", "StageTesting",
          "StageMature")
POST_TEMPLATES = (
    "Qui serait partant pour parler de {theme} à {commune} ? On pourrait se retrouver samedi.",
    "Merci à toutes les personnes venues hier : belle mobilisation pour {theme} à {commune} !",
    "Petit rappel : la réunion sur {theme} a lieu jeudi soir à la salle des fêtes de {commune}.",
    "Quelqu'un connaît-il une initiative sur {theme} près de {commune} ? Je cherche des idées.",
    "Nouveau compte rendu en ligne : {theme}, ce que nous avons décidé ensemble à {commune}.",
    "Appel à bénévoles pour {theme} : rendez-vous dimanche matin devant la mairie de {commune}.",
    "Bonne nouvelle pour {theme} : le projet avance à {commune}, les travaux commencent bientôt.",
    "Sondage : quels horaires vous conviennent pour l'atelier sur {theme} à {commune} ?",
)
#: UTC offsets outside mainland France, by département code (ignoring rare exceptions).
OVERSEAS_OFFSETS = {"971": "-04:00", "972": "-04:00", "973": "-03:00", "974": "+04:00",
                    "975": "-03:00", "976": "+03:00", "977": "-04:00", "978": "-04:00",
                    "986": "+12:00", "987": "-10:00", "988": "+11:00"}
CONTAINER_OF = {"citizens": "persons", "public_authorities": "organizations",
                "organizations": "organizations", "events": "events", "projects": "projects",
                "posts": "posts"}
KIND_ORDER = ("citizens", "public_authorities", "organizations", "projects", "events", "posts")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("œ", "oe")).encode(
        "ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def lit(text: str) -> str:
    """An N-Triples string literal."""
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        text = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r"))
    return f'"{text}"'


def mix(value: int, salt: int = 0) -> int:
    """A cheap integer hash (for choices that must be functions of an index)."""
    value = (value * 2654435761 + salt * 40503 + 0x9E3779B9) & 0xFFFFFFFF
    value ^= value >> 15
    return (value * 2246822519) & 0xFFFFFFFF


def a_form(name: str) -> str:
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


def attachable_communes(territories: list[Territory]) -> list[Territory]:
    """Communes where people live: arrondissements replace the communes they divide."""
    divided = {t.parent_code for t in territories if t.kind == "arrondissement"}
    chosen = [t for t in territories if t.kind == "arrondissement"
              or (t.kind == "commune" and t.code not in divided)]
    return sorted(chosen, key=lambda t: t.code)


class Plan:
    """Where everything is: counts, communes, blocks and IRIs, all functions of an index."""

    def __init__(self, counts: dict[str, int], base: str, seed: int, now: datetime) -> None:
        self.counts = dict(counts)
        self.base = base.rstrip("/")
        self.seed = seed
        self.now = now
        self.now_ts = int(now.timestamp())
        self.territories = read_territories(FRANCE_PATH)
        communes = attachable_communes(self.territories)
        self.communes = communes
        self.code = [t.code for t in communes]
        self.name = [t.name for t in communes]
        self.a_name = [a_form(t.name) for t in communes]
        self.iri = [territory_iri(self.base, t.kind, t.code) for t in communes]
        self.slug = [slugify(t.name) for t in communes]
        self.lat = [float(t.lat) if t.lat is not None else None for t in communes]
        self.long = [float(t.long) if t.long is not None else None for t in communes]
        self.offset = [OVERSEAS_OFFSETS.get(t.code[:3]) for t in communes]
        self.population = [max(t.population or 0, 1) for t in communes]
        cumulative = [0]
        for weight in self.population:
            cumulative.append(cumulative[-1] + weight)
        total = cumulative[-1]
        self.starts = {kind: [c * counts[kind] // total for c in cumulative]
                       for kind in ("citizens", "organizations", "events", "projects", "posts")}
        ranked = sorted(range(len(communes)), key=lambda c: (-self.population[c], self.code[c]))
        self.authority_commune = ranked[: counts["public_authorities"]]
        self.authority_of = {c: j for j, c in enumerate(self.authority_commune)}
        self.first_slug = [slugify(n) for n in FIRST_NAMES]
        self.last_slug = [slugify(n) for n in LAST_NAMES]
        self.org_slugs = [[slugify(t) for t in templates] for _, _, templates in ORG_KINDS]
        self.event_slugs = [slugify(name) for _, name in EVENT_TEMPLATES]
        self.project_slugs = [slugify(name) for name in PROJECT_TEMPLATES]

    # ---- who lives where --------------------------------------------------------------
    def commune_of(self, kind: str, j: int) -> int:
        return bisect_right(self.starts[kind], j) - 1

    def one_in(self, kind: str, commune: int, rng: random.Random) -> int | None:
        """A random member of `kind` in the commune, or None when it has none."""
        starts = self.starts[kind]
        lo, hi = starts[commune], starts[commune + 1]
        return rng.randrange(lo, hi) if hi > lo else None

    def member_in(self, kind: str, commune: int, rng: random.Random) -> int:
        """A member of `kind` in the commune, else anywhere."""
        found = self.one_in(kind, commune, rng)
        return found if found is not None else rng.randrange(self.counts[kind])

    # ---- IRIs (pure functions of the index) -------------------------------------------
    def citizen_name(self, j: int) -> tuple[int, int]:
        h = mix(j, 1)
        return h % len(FIRST_NAMES), (h // len(FIRST_NAMES)) % len(LAST_NAMES)

    def citizen_handle(self, j: int) -> str:
        first, last = self.citizen_name(j)
        return f"{self.first_slug[first]}-{self.last_slug[last]}-{j}"

    def citizen_iri(self, j: int) -> str:
        return f"{self.base}/persons/{self.citizen_handle(j)}"

    def org_template(self, j: int) -> tuple[int, int]:
        h = mix(j, 2)
        share = h % 1000
        for kind, (_, per_mille, templates) in enumerate(ORG_KINDS):
            if share < per_mille:
                return kind, (h // 1000) % len(templates)
            share -= per_mille
        raise AssertionError("shares add up to 1000")

    def org_iri(self, j: int) -> str:
        kind, template = self.org_template(j)
        commune = self.commune_of("organizations", j)
        slug = f"{self.org_slugs[kind][template]}-{self.slug[commune]}-{j}"
        return f"{self.base}/organizations/{slug}"

    def authority_iri(self, j: int) -> str:
        commune = self.authority_commune[j]
        return f"{self.base}/organizations/mairie-{self.slug[commune]}-{self.code[commune].lower()}"

    def project_iri(self, j: int) -> str:
        template = mix(j, 3) % len(PROJECT_TEMPLATES)
        commune = self.commune_of("projects", j)
        return f"{self.base}/projects/{self.project_slugs[template]}-{self.slug[commune]}-{j}"

    def event_iri(self, j: int) -> str:
        template = mix(j, 4) % len(EVENT_TEMPLATES)
        commune = self.commune_of("events", j)
        return f"{self.base}/events/{self.event_slugs[template]}-{self.slug[commune]}-{j}"

    def post_iri(self, j: int) -> str:
        return f"{self.base}/posts/post-{j}"

    def member_iri(self, kind: str, j: int) -> str:
        return {
            "citizens": self.citizen_iri, "public_authorities": self.authority_iri,
            "organizations": self.org_iri, "projects": self.project_iri,
            "events": self.event_iri, "posts": self.post_iri,
        }[kind](j)

    # ---- values ---------------------------------------------------------------------
    def utc(self, ts: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))

    def stamp(self, ts: float) -> str:
        return f'"{self.utc(ts)}"{T_DATETIME}'

    def local(self, commune: int, moment: datetime) -> str:
        """A local wall-clock time with the commune's UTC offset (mainland: CET/CEST)."""
        offset = self.offset[commune] or ("+02:00" if 4 <= moment.month <= 10 else "+01:00")
        return f'"{moment.strftime("%Y-%m-%dT%H:%M:%S")}{offset}"{T_DATETIME}'

    def point(self, commune: int, rng: random.Random, spread: float) -> list[str]:
        lat, long = self.lat[commune], self.long[commune]
        if lat is None or long is None:
            return []
        return [f"{lat + rng.uniform(-spread, spread):.5f}",
                f"{long + rng.uniform(-spread, spread):.5f}"]


# ---- chunks of N-Quads --------------------------------------------------------------
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


# ---- the generator ------------------------------------------------------------------
_PLAN: Plan | None = None
_COMPRESS: int | None = None


def _init_worker(counts: dict[str, int], base: str, seed: int, now: str,
                 compress: int | None) -> None:
    global _PLAN, _COMPRESS
    _PLAN = Plan(counts, base, seed, parse_now(now))
    _COMPRESS = compress


def _run_task(task: tuple[str, int, int]) -> tuple[bytes, int, int]:
    """One chunk: (its bytes as written, its number of quads, its uncompressed size)."""
    kind, lo, hi = task
    plan = _PLAN
    assert plan is not None
    if kind == "territories":
        text = container_quads(plan) + territory_quads(plan)
    else:
        rng = random.Random(f"{plan.seed}/{kind}/{lo}")
        make = MAKERS[kind]
        text = "".join([make(plan, j, rng) for j in range(lo, hi)])
    data = text.encode()
    packed = gzip.compress(data, compresslevel=_COMPRESS, mtime=0) if _COMPRESS else data
    return packed, text.count("\n"), len(data)


def tasks(counts: dict[str, int]) -> Iterator[tuple[str, int, int]]:
    yield ("territories", 0, 0)
    for kind in KIND_ORDER:
        for lo in range(0, counts[kind], CHUNK):
            yield (kind, lo, min(lo + CHUNK, counts[kind]))


def generate(out: Path, scale: str = "seed", base: str = f"http://127.0.0.1:{DEFAULT_PORT}",
             seed: int = DEFAULT_SEED, now: str = DEFAULT_NOW, compress: int | None = 1,
             jobs: int | None = None, quiet: bool = False) -> dict:
    """Writes the dataset to `out` (gzip when `compress` is a level) and its manifest.

    Returns the manifest: what was generated, how many quads, bytes and seconds.
    """
    counts = SCALES[scale]
    jobs = jobs or os.cpu_count() or 1
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    began = time.perf_counter()
    quads = raw_bytes = 0
    all_tasks = list(tasks(counts))
    args = (counts, base, seed, now, compress)
    _init_worker(*args)  # forked workers inherit the plan
    with open(partial, "wb") as sink:
        if jobs > 1:
            pool = get_context("fork").Pool(jobs)
            results = pool.imap(_run_task, all_tasks, chunksize=1)
        else:
            pool = None
            results = map(_run_task, all_tasks)
        try:
            for done, (data, lines, raw) in enumerate(results, 1):
                sink.write(data)
                quads += lines
                raw_bytes += raw
                if not quiet and (done % 25 == 0 or done == len(all_tasks)):
                    print(f"\rseed: {done}/{len(all_tasks)} chunks, {quads:,} quads, "
                          f"{time.perf_counter() - began:.0f} s", end="", file=sys.stderr)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    if not quiet:
        print(file=sys.stderr)
    partial.replace(out)
    seconds = time.perf_counter() - began
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "scale": scale,
        "counts": counts,
        "seed": seed,
        "base_url": base,
        "now": now,
        "format": "application/n-quads" + (f" (gzip level {compress})" if compress else ""),
        "file": out.name,
        "quads": quads,
        "bytes": out.stat().st_size,
        "uncompressed_bytes": raw_bytes,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(sum(u.ru_utime + u.ru_stime for u in usage), 2),
        "load_average": round(os.getloadavg()[0], 2),
        "jobs": jobs,
    }
    manifest_path(out).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="seed")
    parser.add_argument("--out", type=Path, help="output file (default: "
                        "benchmarks/out/data-SCALE/dataset.nq[.gz])")
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                        help="base URL every IRI is minted under (the server's --base-url)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--now", default=DEFAULT_NOW, help="the dataset's reference time")
    parser.add_argument("--plain", action="store_true", help="write plain N-Quads, not gzip")
    parser.add_argument("--level", type=int, default=1, help="gzip level (1 fastest)")
    parser.add_argument("--jobs", type=int, help="worker processes (default: CPU count)")
    args = parser.parse_args(argv)
    out = args.out or default_dataset_path(Path(__file__).parent / "out" / f"data-{args.scale}",
                                           plain=args.plain)
    manifest = generate(out, args.scale, args.base_url.rstrip("/"), args.seed,
                        args.now, None if args.plain else args.level, args.jobs)
    print(json.dumps(manifest, indent=2))
    return 0


def default_dataset_path(directory: Path, plain: bool = False) -> Path:
    return directory / ("dataset.nq" if plain else "dataset.nq.gz")


def parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    raise SystemExit(main())
