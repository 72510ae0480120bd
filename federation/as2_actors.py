"""Actor documents: what Mastodon, Mobilizon and Fedify fetch to know a local actor.

Each actor's document is its own URI's ActivityStreams representation: type, handle
(preferredUsername), name, summary, icon, the HTML page (`url`), inbox, outbox,
followers, following, the shared inbox, the public key, `manuallyApprovesFollowers`
(the person's choice, kept in their account settings) and `discoverable`.
"""

from __future__ import annotations

from typing import Any

from federation.actor_keys import keys_for
from federation.actors import (
    INSTANCE_USERNAME,
    LocalActor,
    handle_of,
    instance_actor_iri,
    type_of,
)
from federation.as2_common import CONTEXT, Stored, compact, iso
from federation.as2_objects import html_content
from federation.keys import public_key_document
from ontology import AS, CC, DCTERMS, label
from store.private import PrivateStore

#: Account settings (store.accounts.Account.settings) a person may set.
MANUALLY_APPROVES = "manually_approves_followers"
DISCOVERABLE = "discoverable"


def actor_endpoints(base_url: str, iri: str) -> dict[str, Any]:
    """The ActivityPub endpoints of an actor (the same for every kind of actor)."""
    return {
        "inbox": f"{iri}/inbox",
        "outbox": f"{iri}/outbox",
        "followers": f"{iri}/followers",
        "following": f"{iri}/following",
        "endpoints": {"sharedInbox": f"{base_url.rstrip('/')}/inbox"},
    }


def preferences(private: PrivateStore | None, iri: str) -> tuple[bool, bool]:
    """(manuallyApprovesFollowers, discoverable) as the person chose them; accounts that
    said nothing approve nobody by hand and are discoverable."""
    if private is None:
        return False, True
    from store.accounts import Accounts

    account = Accounts(private).by_actor(iri)
    settings = account.settings if account is not None else {}
    return bool(settings.get(MANUALLY_APPROVES, False)), bool(settings.get(DISCOVERABLE, True))


def actor_document(store: Any, base_url: str, actor: LocalActor, item: Stored,
                   private: PrivateStore | None) -> dict[str, Any]:
    """The document of a living local actor whose graph the caller has read."""
    iri = actor.iri
    kind = type_of(store, actor)
    manual, discoverable = (preferences(private, iri) if actor.container == "persons"
                            else (False, True))
    summary = item.value(AS.summary) or item.value(AS.content)
    if actor.container == "territories":
        code = item.value(CC.officialCode) or actor.slug
        summary = summary or f"{label(actor.kind, 'fr')} · {code}"
    icon = item.value(AS.icon)
    website = item.value(AS.url)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": iri,
        "type": kind,
        "preferredUsername": handle_of(store, base_url, iri),
        "name": item.value(AS.name) or actor.slug,
        "summary": html_content(summary),
        "icon": {"type": "Image", "url": icon} if icon else None,
        "url": iri,
        **actor_endpoints(base_url, iri),
        "manuallyApprovesFollowers": manual,
        "discoverable": discoverable,
        "indexable": discoverable,
        "published": iso(item.value(AS.published) or item.value(DCTERMS.created)),
        "attachment": [{"type": "PropertyValue", "name": "Site web",
                        "value": f'<a href="{website}" rel="me nofollow">{website}</a>'}]
        if website and website != iri else None,
    }
    if private is not None:
        document["publicKey"] = public_key_document(iri, keys_for(private).public_pem(iri))
    return compact(document)


def instance_actor_document(base_url: str, private: PrivateStore | None) -> dict[str, Any]:
    """The instance actor (Application): it signs the server's own fetches."""
    base = base_url.rstrip("/")
    iri = instance_actor_iri(base)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": iri,
        "type": "Application",
        "preferredUsername": INSTANCE_USERNAME,
        "name": f"Communecter ({base.split('://', 1)[-1]})",
        "summary": "<p>Acteur de l'instance : il signe les requêtes du serveur.</p>",
        "url": f"{base}/",
        **actor_endpoints(base, iri),
        "inbox": f"{base}/inbox",  # the shared inbox: no route of its own to maintain
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
    }
    if private is not None:
        document["publicKey"] = public_key_document(iri, keys_for(private).public_pem(iri))
    return document
