"""Closing an account really removes the person's data.

The person chooses what becomes of their public contributions (the resources whose
dcterms:creator is them):

- deleted: each goes through a Delete activity (a tombstone answers 410), and so does
  their citizen resource;
- kept anonymised: the contributions stay, still pointing at the citizen's IRI, but that
  resource is replaced (Update activity) by an anonymous profile named "Ancien membre" /
  "Former member" with cc:accountClosed: their name, picture, bio, interests, skills,
  neighbourhood and handle are gone from the public data.

Then everything private goes: their profile picture files (and, when contributions are
deleted, every file they uploaded), queued mail and mail files addressed to them, and the
private store's rows (store.accounts.Accounts.erase: account, links, rate limits, profile
fields, tokens, what other parts registered, and a sweep of every private table).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation.activities import Activity
from federation.errors import Gone, NotFound, Stale
from federation.resources import graph_from_ntriples, is_tombstone
from ontology import AS, CC
from store.accounts import Account
from store.queries import query
from web.mail import forget_recipient, mail_queue
from web.platform import platform
from web.ui.account_uploads import remove_upload
from web.ui.session import accounts


def contributions(actor: str) -> list[str]:
    rows = platform().store.select(query("accounts_contributions_of", actor=URIRef(actor)))
    return sorted(str(row["item"]) for row in rows)


def _apply(activity: Activity) -> None:
    """Applies, retrying when someone changed the resource meanwhile; what is already
    gone stays gone."""
    for attempt in range(3):
        try:
            platform().activities.apply(activity)
            return
        except (NotFound, Gone):
            return
        except Stale:
            if attempt == 2:
                raise


def anonymous_profile(actor: str, when: datetime) -> Graph:
    graph = Graph()
    subject = URIRef(actor)
    graph.add((subject, RDF.type, CC.Citizen))
    graph.add((subject, AS.name, Literal("Ancien membre", lang="fr")))
    graph.add((subject, AS.name, Literal("Former member", lang="en")))
    stamp = when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    graph.add((subject, CC.accountClosed, Literal(stamp, datatype=XSD.dateTime)))
    return graph


def delete_account(account: Account, keep_contributions: bool) -> None:
    site = platform()
    actor = account.actor
    if not keep_contributions:
        for iri in contributions(actor):
            _apply(Activity("Delete", actor, iri))
    found = site.store.graph(actor)
    if found is not None and not is_tombstone(graph_from_ntriples(found), URIRef(actor)):
        if keep_contributions:
            _apply(Activity("Update", actor, actor,
                            anonymous_profile(actor, datetime.now(UTC))))
        else:
            _apply(Activity("Delete", actor, actor))
    for name, purpose in accounts().uploads_of(actor):
        if keep_contributions and purpose != "profile":
            accounts().disown_upload(name)
        else:
            remove_upload(name)
    forget_recipient(site.settings, mail_queue(current_app), account.email)
    site.private.revoke_tokens(actor)
    accounts().erase(account)
