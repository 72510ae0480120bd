"""The application's SPARQL queries, one .rq file per question, named by the question.

Parameters are written `$name` in the files and filled by `query(name, **params)`; values
are rendered as SPARQL terms here (IRIs checked, literals escaped, integers as such), so a
parameter can never change the shape of a query.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef

HERE = Path(__file__).parent
_PARAM = re.compile(r"\$([a-z_]+)")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@cache
def _text(name: str) -> str:
    return (HERE / f"{name}.rq").read_text()


def term(value: object) -> str:
    """A Python value as a SPARQL term."""
    if isinstance(value, list | tuple):
        return " ".join(term(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, URIRef):
        return iri(str(value))
    if isinstance(value, Literal):
        return value.n3()
    if isinstance(value, str):
        return Literal(value).n3()
    raise TypeError(f"cannot use {value!r} in a query")


def iri(value: str) -> str:
    if _IRI_FORBIDDEN.search(value):
        raise ValueError(f"not an IRI usable in a query: {value!r}")
    return f"<{value}>"


def query(name: str, **params: object) -> str:
    """The text of queries/NAME.rq with its $parameters filled in."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            raise KeyError(f"{name}.rq needs ${key}")
        return term(params[key])

    return _PARAM.sub(fill, _text(name))
