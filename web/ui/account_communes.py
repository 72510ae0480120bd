"""From a postal code to the communes a person may live in.

The index covers all of France (store/territories/france.csv.gz, read once per process in
about half a second, in the background as soon as a form that needs it is shown). Only
communes this instance serves — whose territory resource is in the store — can be chosen:
the others would lead to a page that does not exist.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from rdflib import URIRef

from store.base import TripleStore
from store.queries import query
from store.territories import COMMUNE_KINDS, FRANCE_PATH, read_territories

POSTAL_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class CommuneChoice:
    insee: str
    name: str
    is_arrondissement: bool

    def iri(self, base_url: str) -> str:
        return f"{base_url}/territories/{self.insee}"


class PostalCodeProblem(ValueError):
    """`kind` is "malformed", "unknown" or "not_served"."""

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.code = code


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[CommuneChoice, ...]]:
    found: dict[str, list[CommuneChoice]] = {}
    for territory in read_territories(FRANCE_PATH):
        if territory.kind not in COMMUNE_KINDS:
            continue
        choice = CommuneChoice(territory.code, territory.name,
                               territory.kind == "arrondissement")
        for code in territory.postal_codes:
            found.setdefault(code, []).append(choice)
    return {code: tuple(sorted(items, key=lambda c: (c.is_arrondissement, c.name)))
            for code, items in found.items()}


_warming = threading.Lock()


def warm() -> None:
    """Builds the index in the background (once), when someone opens a form that will
    need it, so that their answer does not wait for it."""
    if _index.cache_info().currsize or not _warming.acquire(blocking=False):
        return
    threading.Thread(target=_index, name="postal-index", daemon=True).start()


def normalize_postal_code(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def communes_for(code: str, store: TripleStore, base_url: str) -> list[CommuneChoice]:
    """The communes of a postal code that this instance serves; raises PostalCodeProblem."""
    code = normalize_postal_code(code)
    if not POSTAL_CODE.match(code):
        raise PostalCodeProblem("malformed", code)
    candidates = _index().get(code, ())
    if not candidates:
        raise PostalCodeProblem("unknown", code)
    served = served_communes(store, [c.iri(base_url) for c in candidates])
    choices = [c for c in candidates if c.iri(base_url) in served]
    if not choices:
        raise PostalCodeProblem("not_served", code)
    return choices


def served_communes(store: TripleStore, iris: list[str]) -> set[str]:
    rows = store.select(query("accounts_communes_served",
                              candidates=[URIRef(iri) for iri in iris]))
    return {str(row["commune"]) for row in rows}


def commune_name(store: TripleStore, iri: str) -> str | None:
    rows = store.select(query("accounts_commune_name", commune=URIRef(iri)))
    return str(rows[0]["name"]) if rows else None
