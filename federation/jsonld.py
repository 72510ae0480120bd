"""JSON-LD processing that never fetches a context on behalf of a request.

Remote servers and API clients send JSON-LD whose @context names URLs. Fetching them would
let any request make the server reach arbitrary hosts, so contexts are served only from the
local cache (ontology/contexts) and our own context; anything else is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyld import jsonld

from ontology import cached_context, context_document

OWN_CONTEXT_PATH = "/ns/context.jsonld"


class UnknownContext(ValueError):
    """The document names a context that is not in the local cache."""


def compact_context_url(base_url: str) -> str:
    return base_url.rstrip("/") + OWN_CONTEXT_PATH


def local_document_loader(base_url: str | None = None) -> Callable[..., dict[str, Any]]:
    """A pyld document loader that answers from the local cache only."""

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        document = cached_context(url)
        if document is None and base_url and url == compact_context_url(base_url):
            document = context_document()
        if document is None and url.endswith(OWN_CONTEXT_PATH):
            document = context_document()
        if document is None:
            raise UnknownContext(
                f"the JSON-LD context {url} is not known here; remote contexts are never "
                "fetched — use the Communecter context or a standard one"
            )
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": document}

    return load


def expand(document: Any, base_iri: str, base_url: str | None = None) -> list[Any]:
    """Expands a JSON-LD document using cached contexts only.

    Only expansion is done with pyld: its RDF conversion compares every value of a
    property with every other (quadratic), which a hostile body can exploit; the expanded
    form is turned into triples by rdflib's parser instead.
    """
    options = {"base": base_iri, "documentLoader": local_document_loader(base_url)}
    try:
        return jsonld.expand(document, options)
    except jsonld.JsonLdError as error:
        cause = _root_cause(error)
        if isinstance(cause, UnknownContext):
            raise cause from error
        raise ValueError(f"invalid JSON-LD: {cause}") from error


def _root_cause(error: BaseException) -> BaseException:
    seen = error
    while True:
        nested = getattr(seen, "cause", None) or seen.__cause__
        if nested is None or nested is seen:
            return seen
        seen = nested
