"""Reading ActivityStreams JSON from other servers: limits first, then small accessors.

Everything a remote server sends (an inbox POST, a fetched actor or object) is hostile
until it has been parsed within limits: size, JSON syntax, nesting depth, array length
and total number of values are checked here *before* any JSON-LD processing, so that a
"JSON-LD bomb" never reaches pyld. The accessors read the compacted AS2 form that every
fediverse server sends (ids as strings or as embedded objects with an `id`), and the
addressing helpers know every spelling of the Public collection.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

MAX_DEPTH = 24
MAX_ARRAY = 1_000
MAX_VALUES = 20_000
MAX_STRING = 200_000


class BadDocument(ValueError):
    """The JSON cannot be used; `status` is the HTTP answer it deserves (400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_json(data: bytes) -> dict[str, Any]:
    """A JSON object from bytes, within the limits (a `BadDocument` otherwise)."""
    try:
        text = data.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadDocument(f"malformed JSON: {str(error).splitlines()[0][:200]}") from error
    check_shape(document)
    if not isinstance(document, dict):
        raise BadDocument("an ActivityStreams document is a JSON object")
    return document


def check_shape(document: Any) -> None:
    """Refuses JSON bombs: nesting deeper than MAX_DEPTH (400), an array longer than
    MAX_ARRAY or more than MAX_VALUES values in all (413), huge strings (413)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    values = 0
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadDocument(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY:
                raise BadDocument(f"a JSON array has more than {MAX_ARRAY:,} items", 413)
            children = value
        else:
            if isinstance(value, str) and len(value) > MAX_STRING:
                raise BadDocument("a JSON string is too long", 413)
            continue
        for child in children:
            values += 1
            if values > MAX_VALUES:
                raise BadDocument(f"the JSON has more than {MAX_VALUES:,} values", 413)
            stack.append((child, depth + 1))


# --- accessors over compacted AS2 --------------------------------------------------------


def id_of(value: Any) -> str | None:
    """The IRI a value names: a string, or an embedded object's `id` (first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        found = value.get("id") or value.get("@id")
        return found if isinstance(found, str) and found else None
    return None


def ids_of(value: Any) -> list[str]:
    """Every IRI a value names (string, object, or a list of them)."""
    items = value if isinstance(value, list) else [value]
    found = [id_of(item) for item in items]
    return [item for item in found if item]


def types_of(value: Any) -> list[str]:
    """The `type`s of an embedded object (strings; prefixes such as "as:" dropped)."""
    if not isinstance(value, dict):
        return []
    kinds = value.get("type", value.get("@type"))
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return [k.rsplit(":", 1)[-1].rsplit("#", 1)[-1] for k in kinds if isinstance(k, str)]


def first_type(value: Any) -> str | None:
    kinds = types_of(value)
    return kinds[0] if kinds else None


def text_of(value: Any) -> str | None:
    """A string member, or the first value of a language map."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for item in value.values():
            if isinstance(item, str):
                return item
    return None


def host_of(iri: str | None) -> str:
    """`host[:port]` of an IRI, lower-cased ("" when it has none)."""
    if not iri:
        return ""
    try:
        parts = urlsplit(iri)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https"):
        return ""
    return (parts.netloc.rsplit("@", 1)[-1]).lower()


def same_host(first: str | None, second: str | None) -> bool:
    return bool(host_of(first)) and host_of(first) == host_of(second)


def is_public(value: Any) -> bool:
    """Whether an addressing value (string, object or list) names the Public collection,
    in any of its spellings: C2's federation.as2.is_public, one definition for both
    directions."""
    from federation.as2_common import is_public as as2_is_public

    return as2_is_public(value)


def audience(activity: dict[str, Any]) -> set[str]:
    """Everyone an activity is addressed to: to, cc, bto, bcc and audience, of the
    activity and of its embedded object (bto/bcc are read, never stored)."""
    found: set[str] = set()
    for holder in (activity, activity.get("object")):
        if not isinstance(holder, dict):
            continue
        for name in ("to", "cc", "bto", "bcc", "audience"):
            found.update(ids_of(holder.get(name)))
    return found


def without_blind_copies(document: dict[str, Any]) -> dict[str, Any]:
    """The document without bto/bcc, at any depth: they are never stored."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("bto", "bcc")}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return strip(document)
