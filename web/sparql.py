"""The public, read-only SPARQL 1.1 endpoint (Protocol: GET, POST form, POST direct).

Untrusted queries run with a time limit in a process that can be stopped (see
store/runner.py), see only the public dataset, and never update it.

The blueprint answers every form of the protocol. The commonest one, a GET with a query
and at most a format, whose Accept needs no weighing, is answered by `front` before Flask
handles the request at all. On millisecond queries Flask's handling, cold after the
query has run, was a quarter of the endpoint's cost (benchmarks/README.md). Both share
`evaluate`, so both give the same answers, refusals included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Flask, Response, request
from werkzeug.wrappers import Request as WerkzeugRequest

from store.base import EndpointResult, QuerySyntaxError, QueryTimeout, StoreError
from store.sparql_protocol import uses_service
from web.platform import Platform, platform
from web.problems import problem
from web.rdf_input import BadBody, read_body
from web.service_description import service_description

bp = Blueprint("sparql", __name__)

SOLUTION_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
OFFERED = frozenset((*SOLUTION_TYPES, *GRAPH_TYPES))
FORMAT_ALIASES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "json-ld": "application/ld+json",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted here (write through LDP)"
NOT_ALLOWED = ("PUT", "DELETE", "PATCH")
ANSWER_HEADERS = {"Access-Control-Allow-Origin": "*", "Vary": "Accept"}
PREFLIGHT_HEADERS = {  # the rest of CORS is only read on a preflight (OPTIONS)
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, Authorization",
    "Access-Control-Max-Age": "86400",
    "Allow": "GET, HEAD, POST, OPTIONS",
}


@bp.after_request
def _cors(response: Response) -> Response:
    """Every answer (problems too) carries CORS, so that browser query tools can show
    the error; answers to queries were built with it already."""
    if "Access-Control-Allow-Origin" not in response.headers:
        for name, value in ANSWER_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS", *NOT_ALLOWED])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204, headers=PREFLIGHT_HEADERS)
    if request.method in NOT_ALLOWED:  # routed here, or LDP would answer 404 for /sparql
        return problem(405, f"{request.method} is not allowed here: query with GET or POST",
                       {"Allow": PREFLIGHT_HEADERS["Allow"]})
    try:
        params = _parameters(platform().settings.max_body_bytes)
    except BadBody as refused:
        return problem(refused.status, refused.message)
    if "update" in params or (request.mimetype or "") == "application/sparql-update":
        return problem(403, READ_ONLY)
    queries = params.get("query", [])
    if not queries:
        return service_description(request, platform().base_url)
    if len(queries) > 1:
        return problem(400, "exactly one query parameter is allowed")
    if params.get("default-graph-uri") or params.get("named-graph-uri"):
        return problem(400, "default-graph-uri and named-graph-uri are not supported here: "
                       "use FROM / FROM NAMED or GRAPH in the query")
    return _run(queries[0], params.get("format", [None])[0])


def _parameters(limit: int) -> dict[str, list[str]]:
    """The protocol's parameters, from the URL and, for POST, from the body (at most
    `limit` bytes, counted as it is read: a chunked body announces no length)."""
    params = {k: request.args.getlist(k) for k in request.args}
    if request.method != "POST":
        return params
    body = read_body(request, limit).decode("utf-8", errors="replace")
    kind = (request.mimetype or "").lower()
    if kind == "application/x-www-form-urlencoded":
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    elif kind == "application/sparql-query":
        params.setdefault("query", []).append(body)
    elif kind == "application/sparql-update":
        params["update"] = [body]
    else:
        raise BadBody(415, "POST a query as application/x-www-form-urlencoded or "
                       "application/sparql-query")
    return params


def _negotiate(format_hint: str | None) -> dict[str, str]:
    accept = request.accept_mimetypes
    return _choose(format_hint, request.headers.get("Accept", ""),
                   lambda offered: accept.best_match(offered, default=offered[0])
                   if accept else offered[0])


def _choose(format_hint: str | None, header: str,
            weigh: Callable[[tuple[str, ...]], str]) -> dict[str, str]:
    """The answer's media type for each kind of result; `weigh` reads an Accept header
    that is not one exact type."""
    forced = FORMAT_ALIASES.get((format_hint or "").lower()) or (
        format_hint if format_hint in OFFERED else None)
    header = header.strip().lower()

    def pick(offered: tuple[str, ...]) -> str:
        if forced in offered:
            return forced
        if header in offered:  # one exact type, as query tools send: no weighing needed
            return header
        if header in OFFERED:  # one exact type of the other family: none of these
            return offered[0]
        return weigh(offered)

    solutions = pick(SOLUTION_TYPES)
    boolean = solutions if solutions in SOLUTION_TYPES[:2] else SOLUTION_TYPES[0]
    return {"solutions": solutions, "boolean": boolean, "graph": pick(GRAPH_TYPES)}


@dataclass(frozen=True)
class Refusal:
    """A query the endpoint does not answer, and why."""

    status: int
    message: str
    headers: dict[str, str] | None = None


def evaluate(site: Platform, text: str, accept: dict[str, str]) -> EndpointResult | Refusal:
    """The query's answer in the negotiated syntax, or the reason there is none."""
    if uses_service(text):
        return Refusal(400, "this endpoint does not run federated queries (SERVICE): it would "
                       "fetch other servers for anyone; query each endpoint yourself")
    try:
        return site.store.endpoint_query(text, accept, site.settings.query_timeout)
    except QuerySyntaxError as error:
        message = str(error).splitlines()[0] if str(error) else "syntax error"
        if _looks_like_update(text):
            return Refusal(403, READ_ONLY)
        return Refusal(400, f"the query is not valid SPARQL 1.1: {message}")
    except QueryTimeout:
        limit = site.settings.query_timeout
        return Refusal(503, f"the query ran longer than the time limit ({limit:g} s); "
                       "narrow it (LIMIT, more specific patterns) and try again",
                       {"Retry-After": "1"})
    except StoreError as error:
        return Refusal(503, f"the store could not answer: {error}")


def _content_type(result: EndpointResult) -> str:
    charset = "; charset=utf-8" if result.media_type.startswith("text/") else ""
    return result.media_type + charset


def _run(text: str, format_hint: str | None) -> Response:
    outcome = evaluate(platform(), text, _negotiate(format_hint))
    if isinstance(outcome, Refusal):
        return problem(outcome.status, outcome.message, outcome.headers)
    return Response(outcome.body, 200, ANSWER_HEADERS, content_type=_content_type(outcome))


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def front(app: Flask) -> None:
    """Answers plain GET queries ahead of Flask's request handling (see the module's
    docstring); every other request to the site goes on to Flask untouched."""
    site: Platform = app.extensions["communecter"]
    flask_handles: WSGIApp = app.wsgi_app

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        plain = _plain_query(environ)
        if plain is None:
            return flask_handles(environ, start_response)
        outcome = evaluate(site, *plain)
        if isinstance(outcome, Refusal):
            with app.request_context(environ):  # the blueprint's problem, as it words it
                response = _cors(problem(outcome.status, outcome.message, outcome.headers))
            return response(environ, start_response)
        start_response("200 OK", [("Content-Type", _content_type(outcome)),
                                   ("Content-Length", str(len(outcome.body))),
                                   *ANSWER_HEADERS.items()])
        return [outcome.body]

    app.wsgi_app = answer  # type: ignore[method-assign]


def _plain_query(environ: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """(query, media types) of a GET that needs none of the blueprint's other cases: one
    query, at most one format, and an Accept that is absent, */* or one exact offered
    type (for */*, weighing picks the first type offered)."""
    if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") != "GET":
        return None
    params = WerkzeugRequest(environ).args  # read as the blueprint reads them
    queries, formats = params.getlist("query"), params.getlist("format")
    if len(queries) != 1 or len(formats) > 1 or params.keys() - {"query", "format"}:
        return None
    header = environ.get("HTTP_ACCEPT", "")
    if header.strip() not in ("", "*/*") and header.strip().lower() not in OFFERED:
        return None
    return queries[0], _choose(formats[0] if formats else None, header,
                               lambda offered: offered[0])


def _looks_like_update(text: str) -> bool:
    words = {w.upper() for w in text.replace("{", " ").split()}
    return bool(words & {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "MOVE", "COPY"})
