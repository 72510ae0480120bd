"""Remote actors and objects: fetched safely, checked, and cached as RDF graphs (C4).

`RemoteObjects(store, private, base_url, allow_private)`:

- `.document(iri)` GETs a remote document with `Accept: application/activity+json`,
  signed by the instance actor (C1, so that "authorized fetch" servers answer), through
  federation.safe_fetch (private addresses refused unless `allow_private`, ≤ 3 redirects,
  size and time limits), parses it within the limits of federation.inbound_parse and
  checks that its `id` is the IRI asked for (or, after redirects, lies on the host that
  answered): a server cannot make us cache a document under another host's name.
- `.fetch(iri, refresh=False) -> rdflib.Graph` returns the cached graph, fetching and
  caching it first when absent (or when `refresh`).
- `.cache(document) -> Graph` caches a document received otherwise (an object embedded
  in a signed activity, whose id lies on the signer's host).
- `.inboxes(actor) -> (inbox, shared inbox or None)`.

Shapes in the public store (what the pages and queries may rely on):

- A remote actor or object is **one named graph whose name is its IRI**, holding the RDF
  of its JSON-LD (expanded by pyld with the local document loader: known contexts only,
  an unknown context is treated as empty and never fetched, then turned into triples):
  `<actor> a as:Person ; as:preferredUsername "alice" ; as:name "Alice" ; ldp:inbox <…> ;
  as:endpoints [ as:sharedInbox <…> ] ; sec:publicKey <…#main-key> .` Only triples whose
  subject is a blank node or an IRI of the document's own host are kept. `as:content`
  and `as:summary` are sanitised with nh3 (federation.text.clean_html). bto/bcc are never
  stored. A marker says when it was fetched:
  `<iri> cc:fetched "2026-…Z"^^xsd:dateTime`.
- A remote reply to a local post, comment, event or proposal (federation/handlers/
  remote_objects.py) is that cached Note graph plus what local comments carry, so that
  the thread queries find it like a local comment: `<note> a as:Note, cc:Post ;
  as:inReplyTo <parent> ; as:context <thread root> ; as:attributedTo <remote actor> ;
  dcterms:creator <remote actor> ; dcterms:created <published> ;
  as:content "<p>sanitised</p>"`. The root is the local post, event or proposal the
  thread starts from (a reply to a remote reply inherits it). Only public Notes are
  kept (to/cc/audience name the Public collection). The remote actor's own graph gives
  the handle (`as:preferredUsername` + the host).
- A public Note of a remote actor that someone here follows (or that mentions or
  addresses a local actor) is cached as it comes, without thread links.
- Remote likes, follows and attendance are stored exactly as local ones: a Like graph
  `{base}/likes/{hash}` (`as:actor` the remote actor), an Announce graph
  `{base}/shares/{hash}`, remote IRIs in `{thing}/followers` and `{event}/attendees`.
- A remote Delete replaces the cached graph by a Tombstone (`as:formerType`,
  `as:deleted`), as a local Delete does.
- Private, not in the public store: `inbound_activities` (ids of applied remote
  activities: idempotence, and what an Undo naming only an id undoes), `remote_keys`
  (federation/key_cache.py), `pending_follows` (local people's follows of remote actors
  awaiting the remote Accept; federation/handlers/follows.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from federation.inbound_parse import (
    BadDocument,
    host_of,
    id_of,
    parse_json,
    same_host,
    without_blind_copies,
)
from federation.jsonld import UnknownContext, local_document_loader
from federation.safe_fetch import DEFAULT_TOTAL_TIMEOUT, FetchError, safe_get
from federation.text import clean_html
from ontology import AS, CC
from store.base import TripleStore, Write
from store.moments import utc_iso
from store.private import PrivateStore
from store.terms import graph_to_ntriples, impossible_iri

logger = logging.getLogger(__name__)

AS2_ACCEPT = ('application/activity+json, application/ld+json; '
              'profile="https://www.w3.org/ns/activitystreams";q=0.9')
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS2_TYPES = ("application/activity+json", "application/ld+json", "application/json")
FETCHED = CC.fetched
LDP_INBOX = URIRef("http://www.w3.org/ns/ldp#inbox")
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_TRIPLES = 5_000
HTML_PREDICATES = (AS.content, AS.summary)


class RemoteError(Exception):
    """A remote document could not be fetched or used (network, status, shape, id)."""


class RemoteObjects:
    """Fetches and caches remote ActivityStreams documents (see the module docstring)."""

    def __init__(self, store: TripleStore, private: PrivateStore | None, base_url: str,
                 allow_private: bool = False, total_timeout: float = DEFAULT_TOTAL_TIMEOUT
                 ) -> None:
        """`total_timeout`: seconds a fetch may take in all (redirects included); the
        inbox passes a short one, as a slow server must not hold its threads."""
        self.store = store
        self.private = private
        self.base_url = base_url.rstrip("/")
        self.allow_private = allow_private
        self.total_timeout = total_timeout

    # --- fetching -----------------------------------------------------------------------

    def document(self, iri: str) -> dict[str, Any]:
        """The remote JSON document at `iri` (fragment dropped), checked; `RemoteError`."""
        url = iri.split("#", 1)[0]
        if self.is_local(url):
            raise RemoteError(f"{url} is a local IRI, not a remote one")
        try:
            response = safe_get(url, headers={"Accept": AS2_ACCEPT},
                                allow_private=self.allow_private,
                                max_bytes=MAX_DOCUMENT_BYTES, sign=self._signer(),
                                total_timeout=self.total_timeout,
                                connect_timeout=min(5.0, self.total_timeout),
                                read_timeout=self.total_timeout)
        except FetchError as error:
            raise RemoteError(f"cannot fetch {url}: {error}") from error
        if response.status_code in (404, 410):
            raise RemoteError(f"{url} answered {response.status_code}: gone")
        if not response.ok:
            raise RemoteError(f"{url} answered {response.status_code}")
        kind = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        if kind not in AS2_TYPES:
            raise RemoteError(f"{url} is not ActivityStreams ({kind or 'no content type'})")
        try:
            document = parse_json(response.content)
        except BadDocument as error:
            raise RemoteError(f"{url}: {error}") from error
        found = id_of(document)
        if found is None or not same_host(found, response.url) or (
                not response.redirects and found.split("#", 1)[0] != url):
            raise RemoteError(f"{url} describes {found!r}, not itself")
        return document

    def fetch(self, iri: str, refresh: bool = False) -> Graph:
        """The cached graph of a remote actor or object, fetched first when needed."""
        if not refresh:
            cached = self.cached(iri)
            if cached is not None:
                return cached
        document = self.document(iri)
        if id_of(document) != iri.split("#", 1)[0]:
            raise RemoteError(f"{iri} redirected to {id_of(document)}")
        return self.cache(document)

    def cached(self, iri: str) -> Graph | None:
        text = self.store.graph(iri)
        if text is None:
            return None
        graph = Graph(bind_namespaces="none")
        graph.parse(data=text, format="nt")
        return graph

    def cache(self, document: dict[str, Any], extra: Graph | None = None,
              context: Any = None) -> Graph:
        """Stores a remote document as the named graph of its id (replacing any former
        one) and returns that graph. `extra`: triples the caller adds (a reply's thread)."""
        graph = self.graph_of(document, context)
        if extra is not None:
            for triple in extra:
                graph.add(triple)
        iri = id_of(document) or ""
        self.store.write(Write(replace={iri: graph_to_ntriples(graph)}))
        return graph

    def graph_of(self, document: dict[str, Any], context: Any = None) -> Graph:
        """The RDF of a remote document, as it is cached (see the module docstring).

        `context`: the @context of the activity an embedded object came in, for an
        object without its own (ActivityStreams' when none is given)."""
        iri = id_of(document)
        if iri is None or not host_of(iri) or self.is_local(iri):
            raise RemoteError("a remote document needs an id on a remote host")
        document = without_blind_copies(document)
        if "@context" not in document:
            document = {"@context": context or AS_CONTEXT, **document}
        try:
            expanded = _expand(document, iri)
            parsed = Graph(bind_namespaces="none")
            parsed.parse(data=json.dumps(expanded), format="json-ld", base=iri)
        except RemoteError:
            raise
        except Exception as error:  # pyld and rdflib raise assorted types on bad input
            raise RemoteError(f"{iri}: invalid JSON-LD: {error}") from error
        graph = Graph(bind_namespaces="none")
        host = host_of(iri)
        for subject, predicate, value in parsed:
            if not isinstance(subject, BNode) and host_of(str(subject)) != host:
                continue  # claims about another host's resources are not kept
            if isinstance(value, Literal) and value.ill_typed:
                continue  # "yesterday"^^xsd:dateTime: not kept
            if impossible_iri((subject, predicate, value)) is not None:
                continue  # an "IRI" with spaces or quotes: no store could hold it
            if predicate in HTML_PREDICATES and isinstance(value, Literal):
                value = Literal(clean_html(str(value)), lang=value.language)
            graph.add((subject, predicate, value))
            if len(graph) > MAX_TRIPLES:
                raise RemoteError(f"{iri} has more than {MAX_TRIPLES:,} triples")
        if (URIRef(iri), None, None) not in graph:
            raise RemoteError(f"{iri}: the document says nothing about itself")
        now = utc_iso(datetime.now(UTC))
        graph.add((URIRef(iri), FETCHED, Literal(now, datatype=XSD.dateTime)))
        return graph

    def inboxes(self, actor: str) -> tuple[str, str | None]:
        """The actor's inbox and shared inbox (fetched when the actor is not cached)."""
        graph = self.fetch(actor)
        subject = URIRef(actor)
        inbox = graph.value(subject, LDP_INBOX)
        if inbox is None:
            graph = self.fetch(actor, refresh=True)
            inbox = graph.value(subject, LDP_INBOX)
        if inbox is None:
            raise RemoteError(f"{actor} has no inbox")
        shared = None
        for endpoints in graph.objects(subject, AS.endpoints):
            shared = graph.value(endpoints, AS.sharedInbox) or shared
        return str(inbox), str(shared) if shared is not None else None

    def is_local(self, iri: str) -> bool:
        return iri == self.base_url or iri.startswith(self.base_url + "/")

    # --- signing ------------------------------------------------------------------------

    def _signer(self) -> Any:
        """A safe_fetch signer with the instance actor's key (C1), when it exists here."""
        try:
            from federation.actor_keys import ActorKeys
            from federation.actors import instance_actor_iri
        except ImportError:
            return None
        if self.private is None:
            return None
        from federation.keys import key_id_for
        from federation.signatures import sign_request

        actor = instance_actor_iri(self.base_url)
        private_pem = ActorKeys(self.private).key_pair(actor)[0]

        def sign(method: str, url: str, headers: dict[str, str],
                 body: bytes | None) -> dict[str, str]:
            return sign_request(method, url, headers, body, key_id_for(actor), private_pem)

        return sign


def _expand(document: dict[str, Any], iri: str) -> list[Any]:
    """pyld expansion with the known contexts; an unknown context counts as empty (it is
    never fetched): the AS2 terms still come through, the unknown extension terms not."""
    from pyld import jsonld

    known = local_document_loader()

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return known(url, options)
        except UnknownContext:
            logger.info("unknown JSON-LD context %s in %s, read as empty", url, iri)
            return {"contentType": "application/ld+json", "contextUrl": None,
                    "documentUrl": url, "document": {"@context": {}}}

    return jsonld.expand(document, {"base": iri, "documentLoader": load})
