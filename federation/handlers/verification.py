"""The official badge of public authorities: a Verify activity by an instance administrator.

cc:verified is managed by the server (federation.resources.SERVER_MANAGED): no client may
set it, and every Update keeps it. Only an instance administrator (an account with
is_admin, see memberships.wire) may set it, on a cc:PublicAuthority; content "false"
withdraws it. The write replaces the authority's graph under its ETag, after validation.
"""

from __future__ import annotations

from datetime import datetime

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

import shapes
from federation.activities import Activity, ActivityHandler, Outcome, handles
from federation.errors import Invalid, NotAllowed
from federation.handlers.memberships import (
    live_resource,
    local_container,
    refusal,
    retrying,
    services,
    timestamp,
)
from ontology import CC, DCTERMS
from store.base import Write
from store.terms import graph_to_ntriples

WITHDRAW = ("false", "0", "no", "withdraw")


def is_verified(graph: Graph, iri: str) -> bool:
    return (URIRef(iri), CC.verified, Literal(True)) in graph


@handles("Verify")
def verify(handler: ActivityHandler, activity: Activity, now: datetime) -> Outcome:
    if not services(handler).is_instance_admin(activity.actor):
        raise refusal(NotAllowed, "not_instance_admin",
                      "only an administrator of this instance may verify public authorities")
    iri = activity.object
    if local_container(handler, iri) != "organizations":
        raise refusal(Invalid, "not_public_authority", "only public authorities are verified")
    withdraw = (activity.content or "").strip().lower() in WITHDRAW

    def attempt() -> Outcome:
        graph, etag = live_resource(handler, iri)
        subject = URIRef(iri)
        if (subject, RDF.type, CC.PublicAuthority) not in graph:
            raise refusal(Invalid, "not_public_authority", "only public authorities are verified")
        graph.remove((subject, CC.verified, None))
        if not withdraw:
            graph.add((subject, CC.verified, Literal(True)))
        graph.set((subject, DCTERMS.modified, timestamp(now)))
        result = shapes.validate(graph)
        if not result.conforms:
            raise Invalid("the data does not fit its shape", result)
        handler.store.write(Write(replace={iri: graph_to_ntriples(graph)},
                                  expect_etags={iri: etag}))
        stored = handler.store.graph_with_etag(iri)
        return Outcome(iri, stored[1] if stored else None)

    return retrying(attempt)
