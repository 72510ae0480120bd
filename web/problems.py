"""Error answers that say what went wrong, in the form the client can read."""

from __future__ import annotations

import json

from flask import Response, request
from rdflib import BNode, Literal
from rdflib.namespace import RDF, RDFS, SH

from federation.errors import ActivityRefused

CONSTRAINTS_PATH = "/shapes/"


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A problem+json body for API clients, plain text otherwise."""
    best = request.accept_mimetypes.best_match(
        ["text/plain", "application/problem+json", "application/json", "text/html"]
    )
    if best in ("application/problem+json", "application/json"):
        body = json.dumps({"status": status, "title": _title(status), "detail": message})
        response = Response(body, status, mimetype="application/problem+json")
    else:
        response = Response(f"{status} {_title(status)}: {message}\n", status,
                            mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refused(error: ActivityRefused, base_url: str) -> Response:
    """The answer to a refused activity; 422 carries the SHACL report."""
    headers = {}
    if error.status in (409, 422):
        headers["Link"] = f'<{base_url}{CONSTRAINTS_PATH}>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="communecter"'
    if error.status == 422 and error.detail is not None:
        return _validation_report(error, headers)
    return problem(error.status, error.message, headers)


def _validation_report(error: ActivityRefused, headers: dict[str, str]) -> Response:
    result = error.detail
    report = result.report_graph
    for node in report.subjects(RDF.type, SH.ValidationReport):
        for line in result.messages:
            report.add((node, RDFS.comment, Literal(line)))
        break
    else:
        node = BNode()
        report.add((node, RDF.type, SH.ValidationReport))
        report.add((node, SH.conforms, Literal(False)))
    best = request.accept_mimetypes.best_match(
        ["text/turtle", "application/ld+json", "application/json", "text/plain"]
    )
    summary = "\n".join(f"# {line}" for line in [error.message, *result.messages])
    if best in ("application/ld+json", "application/json"):
        body = report.serialize(format="json-ld")
        response = Response(body, 422, mimetype="application/ld+json")
    elif best == "text/plain":
        response = Response(summary + "\n", 422, mimetype="text/plain")
    else:
        body = summary + "\n" + report.serialize(format="turtle")
        response = Response(body, 422, mimetype="text/turtle")
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
