"""A new citizen: the account (private) and the person's resource (public, created by an
Activity), with a free handle made from the e-mail address. Split from `web.ui.accounts`;
sign-up confirmation calls it.
"""

from __future__ import annotations

import secrets
import sqlite3

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from federation.activities import Activity
from federation.errors import Conflict
from ontology import AS, CC
from store.accounts import Account
from web.platform import platform
from web.slugs import mint_slug, slugify
from web.ui.account_support import RESERVED_HANDLES
from web.ui.session import accounts


def _handle_base(email: str) -> str:
    local = email.split("@", 1)[0].split("+", 1)[0]
    base = slugify(local)[:40].strip("-")
    if len(base) < 2:
        base = "citoyen"
    if base in RESERVED_HANDLES:
        base = f"{base}-1"
    return base


def citizen_graph(actor: str, handle: str) -> Graph:
    graph = Graph()
    subject = URIRef(actor)
    graph.add((subject, RDF.type, CC.Citizen))
    graph.add((subject, AS.preferredUsername, Literal(handle)))
    graph.add((subject, AS.name, Literal(handle)))
    return graph


def create_citizen_account(email: str, commune: str, locale: str) -> Account:
    """The account (private) and the citizen resource (public, through a Create
    activity), with a handle made from the e-mail's local part; both or neither."""
    site = platform()
    base = _handle_base(email)
    for attempt in range(6):
        hint = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        handle = mint_slug(hint, site.store, site.base_url, "persons")
        actor = f"{site.base_url}/persons/{handle}"
        if handle in RESERVED_HANDLES or accounts().by_actor(actor) is not None:
            continue
        try:
            account = accounts().create(email, actor, commune, locale, confirmed=True)
        except sqlite3.IntegrityError:
            existing = accounts().by_email(email)
            if existing is not None:
                return existing
            continue
        try:
            site.activities.apply(Activity("Create", actor, actor, citizen_graph(actor, handle)))
        except Conflict:
            accounts().delete(account.id)
            continue
        except Exception:
            accounts().delete(account.id)
            raise
        return account
    raise RuntimeError("could not find a free handle for a new citizen")


