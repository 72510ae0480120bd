"""Who is asking: bearer tokens for API clients (sessions come with the web UI)."""

from __future__ import annotations

from flask import request

from federation.errors import NotAuthenticated
from web.platform import platform


def current_actor() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return platform().private.actor_for_token(token.strip())


def require_actor() -> str:
    """The authenticated actor, or a 401 the client can act on."""
    header = request.headers.get("Authorization", "")
    actor = current_actor()
    if actor is None:
        if header:
            raise NotAuthenticated("the bearer token is not valid")
        raise NotAuthenticated("writing needs a bearer token (communecter token create HANDLE)")
    return actor
