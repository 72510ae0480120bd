"""The demo's cast: communes, citizens, organizations and the places, projects and events
they run, as the demo builder (store/demo.py) plans them before emitting any graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from store.territories import Territory


@dataclass(eq=False)
class Commune:
    territory: Territory
    iri: str
    citizens: list[Citizen] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    places: list[Item] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.territory.name


@dataclass(eq=False)
class Citizen:
    iri: str
    first: str
    last: str
    feminine: bool
    commune: Commune
    memberships: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Org:
    iri: str
    cls: str
    name: str
    summary: str
    commune: Commune
    themes: list[str]
    admin: Citizen
    members: list[Citizen] = field(default_factory=list)
    governs: str | None = None


@dataclass(eq=False)
class Item:
    """A place, project or event other resources link to."""

    iri: str
    name: str
    commune: Commune
    org: Org | None = None
    themes: list[str] = field(default_factory=list)
    point: tuple[Decimal, Decimal] | None = None
    start: datetime | None = None
    published: datetime | None = None
