"""Naming new members from the client's Slug hint (LDP 5.2.3.10), safely.

A slug becomes one path segment: anything that could escape the container (separators,
dot segments, control characters) is refused outright rather than silently rewritten.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import unquote, unquote_to_bytes

from store.base import TripleStore
from store.queries import query

MAX_SLUG = 100
#: Names the web UI uses below every container (`/events/new`): never minted for a member.
RESERVED = {"new"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadSlug(ValueError):
    pass


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG]


def check_slug(hint: str) -> None:
    if _CONTROL.search(hint):
        raise BadSlug("the Slug header contains control characters")
    if "/" in hint or "\\" in hint or ".." in hint or "%2f" in hint.lower():
        raise BadSlug("the Slug header may not contain '/', '\\\\' or '..'")
    if len(hint) > MAX_SLUG:
        raise BadSlug(f"the Slug header is longer than {MAX_SLUG} characters")


def _decoded(hint: str) -> str:
    """RFC 5023 §9.7: the Slug is percent-encoded UTF-8; raw Latin-1 from HTTP is re-read."""
    try:
        raw = hint.encode("latin-1")
    except UnicodeEncodeError:
        raw = hint.encode("utf-8")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return unquote(hint)


def mint_slug(hint: str | None, store: TripleStore, base_url: str, container: str) -> str:
    """A fresh member name: the hint made safe, numbered when taken, random without one."""
    if hint is not None:
        check_slug(hint)
        hint = _decoded(hint)
        check_slug(hint)
    base = slugify(hint or "") or secrets.token_hex(5)
    if base in RESERVED:
        base = f"{base}-1"
    candidates = [base, *(f"{base}-{n}" for n in range(2, 10))]
    iris = [f"{base_url}/{container}/{c}" for c in candidates]
    from rdflib import URIRef

    asked = query("slugs_taken", candidates=[URIRef(i) for i in iris])
    taken = {str(row["g"]) for row in store.select_about(asked, iris)}
    for candidate, iri in zip(candidates, iris, strict=True):
        if iri not in taken:
            return candidate
    return f"{base}-{secrets.token_hex(4)}"
