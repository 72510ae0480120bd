"""Why an activity was refused, in terms the web layer turns into HTTP statuses."""

from __future__ import annotations

from typing import Any


class ActivityRefused(Exception):
    """Base class: the activity is not applied and nothing is written."""

    status = 400

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotAuthenticated(ActivityRefused):
    status = 401


class NotAllowed(ActivityRefused):
    status = 403


class NotFound(ActivityRefused):
    status = 404


class Gone(ActivityRefused):
    status = 410


class Conflict(ActivityRefused):
    """The request tries to change what only the server manages (LDP 4.2.4.3)."""

    status = 409


class Stale(ActivityRefused):
    """The client's If-Match no longer describes the resource."""

    status = 412


class Invalid(ActivityRefused):
    """The data breaks a shape; `detail` carries the SHACL validation result."""

    status = 422
