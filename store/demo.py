"""The La Réunion demo dataset: a living territory to show, test and benchmark against.

``demo_resources(base, now, seed)`` returns (resource IRI, graph) pairs for citizens,
organizations, places, projects, events, posts, proposals and offers spread over the 24
communes of La Réunion, weighted by population, every commune and every theme present.
The same (base, now, seed) always gives the same graphs; events are placed relative to
``now`` so that a fresh demo always has things coming up. The territory graphs are not
included: load them from ``store.territories.territory_graphs``.

Order: a resource comes after what it links to, with one exception fixed by the list's
shape (citizens first): a citizen's ``org:memberOf`` points forward to organizations.
``dcterms:creator`` is always a citizen (an organization's admin when it acts).
Standard library, rdflib and our ontology namespaces only; texts live in store.demo_text.
Builds in about half a second.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

from rdflib import RDF, Graph, Literal, URIRef

from ontology import AS, CC, CCT, DCTERMS, GEO, ORG, SCHEMA
from store import demo_text as text
from store.demo_cast import Citizen, Commune, Item, Org
from store.territories import new_graph, read_territories, territory_iri

REUNION_TIME = timezone(timedelta(hours=4))  # no daylight saving time on the island

COUNTS = {"citizens": 400, "associations": 60, "businesses": 40, "informal_groups": 10,
          "projects": 40, "events": 120, "festivals": 4, "places": 40, "commune_posts": 300,
          "organization_posts": 180, "project_posts": 60, "event_posts": 60,
          "proposals": 15, "offers": 40}

BIG_COMMUNES = ["Saint-Denis", "Saint-Paul", "Saint-Pierre", "Le Tampon", "Saint-André"]

Resource = tuple[str, Graph]
_EXTRA = {"username": AS.preferredUsername, "skill": CC.skill, "member_of": ORG.memberOf,
          "governs": CC.governs, "street": SCHEMA.streetAddress, "url": AS.url,
          "stage": CC.stage, "start": AS.startTime, "end": AS.endTime, "kind": CC.eventType,
          "capacity": SCHEMA.maximumAttendeeCapacity, "location": AS.location,
          "super_event": SCHEMA.superEvent, "wall": CC.wall, "option": CC.option,
          "category": CC.category}


def slugify(label: str) -> str:
    """Lowercase ASCII slug [a-z0-9-] of a French label, at most 60 characters."""
    label = label.replace("œ", "oe").replace("æ", "ae")
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


class DemoBuilder:
    """Plans and emits the dataset; one instance per call, all randomness from one seed."""

    def __init__(self, base: str, now: datetime, seed: int) -> None:
        self.base = base.rstrip("/")
        self.rng = random.Random(seed)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.now = now.astimezone(REUNION_TIME).replace(microsecond=0)
        communes = [t for t in read_territories() if t.kind == "commune"]
        self.communes = [Commune(t, territory_iri(self.base, t.kind, t.code)) for t in communes]
        self.weights = [t.population or 1 for t in communes]
        self.by_code = {c.territory.code: c for c in self.communes}
        self.slugs: set[str] = set()
        self.org_names: set[str] = set()
        self.post_count = 0
        self.out: list[Resource] = []
        self.orgs: list[Org] = []
        self.projects: list[Item] = []
        self.events: list[Item] = []

    # ---- helpers -------------------------------------------------------------------
    def allocate(self, total: int, minimum: int) -> list[tuple[Commune, int]]:
        """Split ``total`` over communes by population, each getting at least ``minimum``."""
        spare = total - minimum * len(self.communes)
        shares = [spare * w / sum(self.weights) for w in self.weights]
        counts = [minimum + int(s) for s in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: (int(shares[i]) - shares[i], i))
        for i in by_remainder[: total - sum(counts)]:
            counts[i] += 1
        return list(zip(self.communes, counts, strict=True))

    def commune(self) -> Commune:
        """A commune drawn with probability proportional to its population."""
        return self.rng.choices(self.communes, weights=self.weights)[0]

    def mint(self, container: str, label: str) -> str:
        """A fresh IRI ``{base}/{container}/{slug}``, suffixing -2, -3… on collisions."""
        stem = slugify(label) or container
        slug, n = stem, 1
        while f"{container}/{slug}" in self.slugs:
            n += 1
            slug = f"{stem}-{n}"
        self.slugs.add(f"{container}/{slug}")
        return f"{self.base}/{container}/{slug}"

    def fill(self, template: str, commune: Commune, **extra: str) -> str:
        """Fill a demo_text template with the commune's and a random quartier's forms."""
        quartier = self.rng.choice(text.QUARTIERS[commune.territory.code])
        fields = {"commune": commune.name, "a_commune": text.a_form(commune.name),
                  "de_commune": text.de_form(commune.name), "quartier": quartier,
                  "a_quartier": text.a_form(quartier), "de_quartier": text.de_form(quartier),
                  "school": self.rng.choice(text.SCHOOLS),
                  "surname": self.rng.choice(text.LAST_NAMES),
                  "destination": self.rng.choice([c for c in BIG_COMMUNES if c != commune.name])}
        return template.format_map(fields | extra)

    def point(self, commune: Commune, spread: float) -> tuple[Decimal, Decimal]:
        """A point within ``spread`` degrees of the town hall (small: the coast is close)."""
        lat, long = float(commune.territory.lat), float(commune.territory.long)
        jitter = self.rng.uniform
        return (Decimal(f"{lat + jitter(-spread, spread):.5f}"),
                Decimal(f"{long + jitter(-spread, spread):.5f}"))

    def ago(self, max_days: float, min_days: float = 0) -> datetime:
        """A moment between ``max_days`` and ``min_days`` before now, to the minute."""
        seconds = self.rng.uniform(min_days * 86400, max_days * 86400)
        return (self.now - timedelta(seconds=seconds)).replace(second=0, microsecond=0)

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """Local time ``hour:minute`` on the day ``days`` after today."""
        day = self.now.date() + timedelta(days=days)
        return datetime.combine(day, time(hour, minute), REUNION_TIME)

    def graph(self, iri: str, cls: str, *, commune: Commune, by: Citizen | Org,
              published: datetime, themes: list[str] = (), name: str | None = None,
              summary: str | None = None, content: str | None = None, attributed: bool = True,
              point: tuple[Decimal, Decimal] | None = None, **more: object) -> Graph:
        """A resource graph with the properties every resource type shares.

        ``by`` is the author (as:attributedTo unless ``attributed`` is false); the creator is
        that citizen, or the organization's admin. ``more`` adds type-specific properties,
        named as in _EXTRA, each an RDF term, a list of them, or None (left out).
        """
        g = new_graph()
        s = URIRef(iri)
        g.add((s, RDF.type, CC[cls]))
        for prop, value in ((AS.name, name), (AS.summary, summary), (AS.content, content)):
            if value:
                g.add((s, prop, Literal(value)))
        g.add((s, AS.published, Literal(published)))
        g.add((s, DCTERMS.creator, URIRef((by.admin if isinstance(by, Org) else by).iri)))
        g.add((s, CC.territory, URIRef(commune.iri)))
        if attributed:
            g.add((s, AS.attributedTo, URIRef(by.iri)))
        for theme in dict.fromkeys(themes):
            g.add((s, CC.theme, CCT[theme]))
        if point:
            g.add((s, GEO.lat, Literal(point[0])))
            g.add((s, GEO.long, Literal(point[1])))
        for key, values in more.items():
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    g.add((s, _EXTRA[key], value))
        self.out.append((iri, g))
        return g

    # ---- the dataset ---------------------------------------------------------------
    def build(self) -> list[Resource]:
        """Plan people and organizations (memberships need both), then emit in link order."""
        self.plan_citizens()
        self.plan_organizations()
        for commune in self.communes:
            for person in commune.citizens:
                self.emit_citizen(person)
        for org in self.orgs:
            self.emit_organization(org)
        self.emit_places()
        self.emit_projects()
        self.emit_events()
        self.emit_posts()
        self.emit_proposals()
        self.emit_offers()
        return self.out

    def plan_citizens(self) -> None:
        """Citizens per commune, by population, at least four everywhere."""
        for commune, count in self.allocate(COUNTS["citizens"], 4):
            for _ in range(count):
                feminine = self.rng.random() < 0.52
                first = self.rng.choice(text.FIRST_NAMES_F if feminine else text.FIRST_NAMES_M)
                last = self.rng.choice(text.LAST_NAMES)
                iri = self.mint("persons", f"{first} {last}")
                commune.citizens.append(Citizen(iri, first, last, feminine, commune))

    def emit_citizen(self, person: Citizen) -> None:
        """A citizen: bio, skills, interests (themes) and memberships."""
        rng = self.rng
        job = rng.choice(text.JOBS).split("|")[-1 if person.feminine else 0]
        hobby, hobby2 = rng.sample(text.HOBBIES, 2)
        bio = self.fill(rng.choice(text.BIOS), person.commune, job=job, hobby=hobby, hobby2=hobby2)
        skills = rng.sample(text.SKILLS, rng.randint(1, 4))
        self.graph(person.iri, "Citizen", commune=person.commune, by=person, attributed=False,
                   published=self.ago(1100, 365), themes=rng.sample(text.THEMES, rng.randint(2, 4)),
                   name=f"{person.first} {person.last}", summary=text.sentence_case(bio),
                   username=Literal(person.iri.rsplit("/", 1)[1]),
                   skill=[Literal(skill) for skill in skills],
                   member_of=[URIRef(iri) for iri in dict.fromkeys(person.memberships)])

    def emit_organization(self, org: Org) -> None:
        """An organization; a town hall sits at its commune's official point."""
        located = org.cls != "InformalGroup"
        mairie = org.governs == org.commune.iri
        point = self.point(org.commune, 0.01) if located else None
        if mairie:
            point = (org.commune.territory.lat, org.commune.territory.long)
        street = f"{self.rng.randint(1, 150)} {self.rng.choice(text.STREETS)}"
        with_url = located and (mairie or self.rng.random() < 0.6)
        self.graph(org.iri, org.cls, commune=org.commune, by=org, attributed=False,
                   published=self.ago(360, 120), themes=org.themes, name=org.name,
                   summary=org.summary, point=point,
                   governs=URIRef(org.governs) if org.governs else None,
                   street=Literal(street) if located else None,
                   url=URIRef(f"https://{org.iri.rsplit('/', 1)[1]}.example.org/")
                   if with_url else None)

    def plan_organizations(self) -> None:
        """Authorities, associations, businesses and groups, with admins and members."""
        for commune in self.communes:
            of_commune = text.de_form(commune.name)
            summary = text.PUBLIC_AUTHORITY_SUMMARY.format(de_commune=of_commune)
            self.add_org(commune, "PublicAuthority", f"Mairie {of_commune}", summary,
                         ["territoire", "citoyennete"], (3, 6), governs=commune.iri)
        seat = self.by_code["97411"]
        for kind, code, name, summary in (
                ("departement", "974", "Département de La Réunion", text.DEPARTEMENT_SUMMARY),
                ("region", "04", "Région Réunion", text.REGION_SUMMARY)):
            self.add_org(seat, "PublicAuthority", name, summary, ["territoire", "citoyennete"],
                         (4, 8), governs=territory_iri(self.base, kind, code), local=0.2)
        plan = (("Association", text.ASSOCIATIONS, "associations", 1, (3, 12)),
                ("Business", text.BUSINESSES, "businesses", 0, (1, 3)),
                ("InformalGroup", text.INFORMAL_GROUPS, "informal_groups", 0, (3, 8)))
        for cls, templates, key, minimum, members in plan:
            for commune, count in self.allocate(COUNTS[key], minimum):
                for _ in range(count):
                    self.add_templated_org(commune, cls, templates, members)

    def add_templated_org(self, commune: Commune, cls: str, templates: list,
                          members: tuple[int, int]) -> None:
        """An organization from a template, its name unique, surf clubs only by the sea."""
        admin = self.rng.choice(commune.citizens)
        coastal = commune.territory.code in text.BEACHES
        for _ in range(30):
            template, themes, summary = self.rng.choice(templates)
            name = self.fill(template, commune, surname=admin.last)
            if name not in self.org_names and (coastal or "Surf" not in name):
                break
        self.add_org(commune, cls, name, summary, themes, members, admin=admin)

    def add_org(self, commune: Commune, cls: str, name: str, summary: str, themes: list[str],
                members: tuple[int, int], admin: Citizen | None = None,
                governs: str | None = None, local: float = 0.8) -> None:
        """Register an organization; its admin and members mostly live in its commune."""
        admin = admin or self.rng.choice(commune.citizens)
        org = Org(self.mint("organizations", name), cls, name, summary, commune, list(themes),
                  admin, [admin], governs)
        for _ in range(self.rng.randint(*members) - 1):
            source = commune if self.rng.random() < local else self.commune()
            person = self.rng.choice(source.citizens)
            if person not in org.members:
                org.members.append(person)
        for person in org.members:
            person.memberships.append(org.iri)
        commune.orgs.append(org)
        self.orgs.append(org)
        self.org_names.add(name)

    def emit_places(self) -> None:
        """Points of interest near each town hall, at least one per commune."""
        for commune, count in self.allocate(COUNTS["places"], 1):
            beaches = [(b, text.BEACH_THEMES) for b in text.BEACHES.get(commune.territory.code, [])]
            mairie = commune.orgs[0]
            for template, themes in self.rng.sample(beaches[:1] + list(text.PLACES), count):
                name = self.fill(template, commune)
                iri, point = self.mint("places", name), self.point(commune, 0.008)
                self.graph(iri, "PointOfInterest", commune=commune, by=mairie, name=name,
                           published=self.ago(110, 60), themes=themes, point=point)
                commune.places.append(Item(iri, name, commune, mairie, themes, point))

    def emit_projects(self) -> None:
        """Projects carried by local organizations, every stage represented."""
        for index in range(COUNTS["projects"]):
            commune = self.commune()
            org = self.rng.choice([o for o in commune.orgs if o.cls != "Business"])
            template, themes, summary = self.rng.choice(text.PROJECTS)
            name = self.fill(template, commune)
            iri = self.mint("projects", name)
            content = (f"{summary} Porté par {org.name}, le projet cherche des bénévoles, "
                       "des idées et des partenaires.")
            published = self.ago(100, 10)
            self.graph(iri, "Project", commune=commune, by=org, published=published,
                       themes=themes, name=name, summary=summary, content=content,
                       stage=CC[text.STAGES[index % len(text.STAGES)]])
            self.projects.append(Item(iri, name, commune, org, themes, published=published))

    def emit_events(self) -> None:
        """A few local festivals with sub-events, then events in every commune."""
        for code in sorted(self.rng.sample(sorted(text.FESTIVALS), COUNTS["festivals"])):
            self.emit_festival(self.by_code[code])
        for commune, count in self.allocate(COUNTS["events"] - len(self.events), 1):
            for _ in range(count):
                self.emit_regular_event(commune)

    def emit_festival(self, commune: Commune) -> None:
        """A two-day festival run by the mairie, and its concerts, markets and workshops."""
        rng, mairie = self.rng, commune.orgs[0]
        days = rng.randint(7, 45)
        start = self.at(days, 9)
        name = f"{text.FESTIVALS[commune.territory.code]} {start.year}"
        themes = ["culture", "tourisme", "agriculture"]
        parent = self.add_event(commune, mairie, name, "Festival", themes, start,
                                self.at(days + 1, 22), 5000)
        for part, kind, hour, hours in rng.sample(text.FESTIVAL_PARTS, rng.randint(2, 3)):
            begin = self.at(days + rng.randint(0, 1), hour)
            if begin < start:  # an early part on the first day moves to the second
                begin += timedelta(days=1)
            self.add_event(commune, mairie, f"{part} – {name}", kind, themes, begin,
                           begin + timedelta(hours=hours), 300, super_event=parent.iri)

    def emit_regular_event(self, commune: Commune) -> None:
        """Mostly in the eight weeks after now, some in the six weeks before."""
        rng = self.rng
        template, kind, themes, hours, hour, capacity = rng.choice(text.EVENTS)
        hosts = [o for o in commune.orgs if o.cls != "Business" or kind in ("Market", "Workshop")]
        org = rng.choice(hosts)
        days = rng.randint(1, 56) if rng.random() < 0.85 else -rng.randint(1, 45)
        start = self.at(days, hour, rng.choice((0, 0, 30)))
        self.add_event(commune, org, self.fill(template, commune, org=org.name), kind, themes,
                       start, start + timedelta(hours=hours), int(capacity * rng.uniform(0.6, 1.4)))

    def add_event(self, commune: Commune, org: Org, name: str, kind: str, themes: list[str],
                  start: datetime, end: datetime, capacity: int,
                  super_event: str | None = None) -> Item:
        """Emit one event, usually at one of the commune's places."""
        rng = self.rng
        place = rng.choice(commune.places) if rng.random() < 0.75 else None
        where = f"Rendez-vous : {place.name}." if place else "Le lieu sera précisé aux inscrits."
        summary = text.EVENT_SUMMARIES[kind]
        content = text.EVENT_CONTENT.format(summary=summary, org=org.name, place_phrase=where)
        iri = self.mint("events", name if str(start.year) in name else f"{name} {start:%Y-%m-%d}")
        published = min(start, self.now) - timedelta(days=rng.randint(3, 30),
                                                     minutes=rng.randint(0, 900))
        item = Item(iri, name, commune, org, themes,
                    place.point if place else self.point(commune, 0.01), start, published)
        self.graph(iri, "Event", commune=commune, by=org, published=published, themes=themes,
                   name=name, summary=summary, content=content, point=item.point,
                   start=Literal(start), end=Literal(end), kind=CC[kind],
                   capacity=Literal(capacity), location=URIRef(place.iri) if place else None,
                   super_event=URIRef(super_event) if super_event else None)
        self.events.append(item)
        return item

    def emit_posts(self) -> None:
        """Posts on commune walls (every commune), then organization, project, event walls."""
        rng = self.rng
        for commune, count in self.allocate(COUNTS["commune_posts"], 5):
            for _ in range(count):
                theme = text.THEMES[self.post_count % len(text.THEMES)]
                author = commune.orgs[0] if rng.random() < 0.2 else rng.choice(commune.citizens)
                self.emit_post(commune.iri, commune, author, [theme], rng.choice(text.POSTS[theme]))
        for _ in range(COUNTS["organization_posts"]):
            org = rng.choice(self.orgs)
            theme = rng.choice(org.themes)
            author = org if rng.random() < 0.5 else rng.choice(org.members)
            self.emit_post(org.iri, org.commune, author, [theme], rng.choice(text.POSTS[theme]),
                           org=org.name)
        for _ in range(COUNTS["project_posts"]):
            project = rng.choice(self.projects)
            author = project.org if rng.random() < 0.5 else rng.choice(project.org.members)
            self.emit_post(project.iri, project.commune, author, project.themes,
                           rng.choice(text.PROJECT_POST), after=project.published,
                           project=project.name)
        for _ in range(COUNTS["event_posts"]):
            self.emit_event_post(rng.choice(self.events))

    def emit_event_post(self, event: Item) -> None:
        """An invitation before the event, a thank-you after it."""
        rng = self.rng
        members = event.org.members  # the wall of an event: its organizers' members
        author = event.org if rng.random() < 0.6 or not members else rng.choice(members)
        past = event.start < self.now
        template = text.EVENT_POST[-1] if past else rng.choice(text.EVENT_POST[:-1])
        self.emit_post(event.iri, event.commune, author, event.themes, template,
                       after=event.start if past else event.published, event=event.name,
                       day=text.french_day(event.start),
                       hour=f"{event.start:%Hh%M}".replace("h00", "h"))

    def emit_post(self, wall: str, commune: Commune, author: Citizen | Org, themes: list[str],
                  body: str, after: datetime | None = None, **fields: str) -> None:
        """One post: an optional opening, a templated body, an optional closing.

        Published in the last two months, or between ``after`` (its wall's creation, or
        the event it thanks people for) and now.
        """
        rng = self.rng
        self.post_count += 1
        published = self.ago(60)
        if after is not None:
            published = after + (self.now - after) * rng.uniform(0.1, 0.95)
            published = published.replace(second=0, microsecond=0)
        fields.setdefault("day", text.french_day(published + timedelta(days=rng.randint(2, 14))))
        fields.setdefault("org", commune.orgs[0].name)
        content = rng.choice(text.OPENINGS) + self.fill(body, commune, **fields)
        content += rng.choice(text.CLOSINGS)
        self.graph(self.mint("posts", f"post {self.post_count:04d}"), "Post", commune=commune,
                   by=author, published=published, themes=themes,
                   content=text.sentence_case(content), wall=URIRef(wall))

    def emit_proposals(self) -> None:
        """Proposals put to the vote; one in five already closed."""
        rng = self.rng
        templates, names = rng.sample(text.PROPOSALS, len(text.PROPOSALS)), set()
        for index in range(COUNTS["proposals"]):
            template, themes, content, options = templates[index % len(templates)]
            for _ in range(20):  # the same question twice in one commune would look odd
                commune = self.commune()
                name = self.fill(template, commune)
                if name not in names:
                    break
            names.add(name)
            author = commune.orgs[0] if rng.random() < 0.3 else rng.choice(commune.citizens)
            end = self.at(rng.randint(5, 30) if index % 5 else -rng.randint(1, 20), 23, 59)
            self.graph(self.mint("proposals", name), "Proposal", commune=commune, by=author,
                       published=min(end, self.now) - timedelta(days=rng.randint(5, 25)),
                       themes=themes, name=name, content=self.fill(content, commune),
                       end=Literal(end), option=[Literal(o) for o in options or text.YES_NO])

    def emit_offers(self) -> None:
        """Classifieds: housing, exchanges, gifts, sales, rentals, carpooling, jobs."""
        rng = self.rng
        templates = rng.sample(text.OFFERS, len(text.OFFERS))
        for index in range(COUNTS["offers"]):
            cls, category, name, themes, content = templates[index % len(templates)]
            commune = self.commune()
            job_offer = cls == "Offer" and category == "Job"
            author = commune.orgs[0] if job_offer else rng.choice(commune.citizens)
            name = self.fill(name, commune)
            self.graph(self.mint("offers", f"{name} {index + 1}"), cls, commune=commune,
                       by=author, published=self.ago(30), themes=themes, name=name,
                       content=self.fill(content, commune), category=CC[category])


def demo_resources(base: str, now: datetime, seed: int = 974) -> list[Resource]:
    """The demo dataset as (resource IRI, graph) pairs, each after what it links to."""
    return DemoBuilder(base, now, seed).build()
