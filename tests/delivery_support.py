"""Helpers for the delivery tests: remote actors cached as federation.remote caches them."""

from __future__ import annotations

from tests.services.inbox_peer import InboxPeer


def remote_follower(platform: object, peer: InboxPeer, name: str, shared: bool) -> str:
    """A remote actor as federation.remote caches one (graph name = its IRI)."""
    from store.base import Write

    iri = peer.url(f"/users/{name}")
    triples = [f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
               f"<https://www.w3.org/ns/activitystreams#Person> .",
               f"<{iri}> <http://www.w3.org/ns/ldp#inbox> <{iri}/inbox> ."]
    if shared:
        triples += [f"<{iri}> <https://www.w3.org/ns/activitystreams#endpoints> _:e .",
                    f"_:e <https://www.w3.org/ns/activitystreams#sharedInbox> "
                    f"<{peer.url('/inbox')}> ."]
    platform.store.write(Write(replace={iri: "\n".join(triples) + "\n"}))  # type: ignore[attr-defined]
    return iri
