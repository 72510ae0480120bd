"""The public, read-only SPARQL 1.1 endpoint (Protocol: GET, POST form, POST direct).

A small WSGI application of its own, mounted at /sparql in front of the Flask site
(`mount`, called by web/app.py): a query tool's request needs none of the site's sessions,
pages, translations or hooks, and on millisecond queries Flask's request handling was a
fifth of the endpoint's whole cost (benchmarks/README.md). Untrusted queries run with a time
limit in a process that can be stopped (store/runner.py), see only the public dataset, and
never update it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from store.base import QuerySyntaxError, QueryTimeout, StoreError
from web.negotiation import NotAcceptable
from web.platform import Platform
from web.problems import problem
from web.rdf_input import BadBody, read_body
from web.service_description import service_description

PATH = "/sparql"
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
ALLOWED = "GET, HEAD, POST, OPTIONS"
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted here (write through LDP)"
ANSWER_HEADERS = {"Access-Control-Allow-Origin": "*", "Vary": "Accept"}
PREFLIGHT_HEADERS = {  # the rest of CORS is only read on a preflight (OPTIONS)
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, Authorization",
    "Access-Control-Max-Age": "86400",
    "Allow": ALLOWED,
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
log = logging.getLogger(__name__)


def mount(site_app: WSGIApp, site: Platform) -> WSGIApp:
    """The site's WSGI application with the endpoint answering /sparql itself."""
    endpoint = SparqlEndpoint(site)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH:
            return endpoint(environ, start_response)
        return site_app(environ, start_response)

    return dispatch


class SparqlEndpoint:
    def __init__(self, site: Platform) -> None:
        self.site = site

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.answer(request)
        except Exception:  # what Flask would do: log it, answer 500, keep serving
            log.exception("the SPARQL endpoint failed on %s", request.url)
            response = problem(500, "the endpoint failed on this request",
                               accept=request.accept_mimetypes)
        for name, value in ANSWER_HEADERS.items():  # problems too: query tools show them
            response.headers.setdefault(name, value)
        return response(environ, start_response)

    def answer(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status=204, headers=PREFLIGHT_HEADERS)
        if request.method not in ("GET", "HEAD", "POST"):
            return _refuse(request, 405, f"{request.method} is not allowed here: query with "
                           "GET or POST", {"Allow": ALLOWED})
        try:
            params = _parameters(request, self.site.settings.max_body_bytes)
        except BadBody as refused:
            return _refuse(request, refused.status, refused.message)
        if "update" in params or (request.mimetype or "") == "application/sparql-update":
            return _refuse(request, 403, READ_ONLY)
        queries = params.get("query", [])
        if not queries:
            try:
                return service_description(request, self.site.base_url)
            except NotAcceptable as error:
                return _refuse(request, 406, f"the service description is offered as: {error}")
        if len(queries) > 1:
            return _refuse(request, 400, "exactly one query parameter is allowed")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return _refuse(request, 400, "default-graph-uri and named-graph-uri are not "
                           "supported here: use FROM / FROM NAMED or GRAPH in the query")
        return self.run(request, queries[0], params.get("format", [None])[0])

    def run(self, request: Request, text: str, format_hint: str | None) -> Response:
        timeout = self.site.settings.query_timeout
        try:
            accept = _negotiate(request, format_hint)
            result = self.site.store.endpoint_query(text, accept, timeout)
        except QuerySyntaxError as error:
            message = str(error).splitlines()[0] if str(error) else "syntax error"
            if _looks_like_update(text):
                return _refuse(request, 403, READ_ONLY)
            return _refuse(request, 400, f"the query is not valid SPARQL 1.1: {message}")
        except QueryTimeout:
            return _refuse(request, 503, f"the query ran longer than the time limit "
                           f"({timeout:g} s); narrow it (LIMIT, more specific patterns) and "
                           "try again", {"Retry-After": "1"})
        except StoreError as error:
            return _refuse(request, 503, f"the store could not answer: {error}")
        charset = "; charset=utf-8" if result.media_type.startswith("text/") else ""
        return Response(result.body, 200, ANSWER_HEADERS,
                        content_type=result.media_type + charset)


def _refuse(request: Request, status: int, message: str,
            headers: dict[str, str] | None = None) -> Response:
    """A problem answer in the form this request's client reads."""
    return problem(status, message, headers, accept=request.accept_mimetypes)


def _parameters(request: Request, limit: int) -> dict[str, list[str]]:
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


def _negotiate(request: Request, format_hint: str | None) -> dict[str, str]:
    forced = FORMAT_ALIASES.get((format_hint or "").lower()) or (
        format_hint if format_hint in OFFERED else None)
    header = request.headers.get("Accept", "").strip().lower()

    def pick(offered: tuple[str, ...]) -> str:
        if forced in offered:
            return forced
        if header in offered:  # one exact type, as query tools send: no weighing needed
            return header
        if header in OFFERED:  # one exact type of the other family: none of these
            return offered[0]
        accept = request.accept_mimetypes
        return accept.best_match(offered, default=offered[0]) if accept else offered[0]

    solutions = pick(SOLUTION_TYPES)
    boolean = solutions if solutions in SOLUTION_TYPES[:2] else SOLUTION_TYPES[0]
    return {"solutions": solutions, "boolean": boolean, "graph": pick(GRAPH_TYPES)}


def _looks_like_update(text: str) -> bool:
    words = {w.upper() for w in text.replace("{", " ").split()}
    return bool(words & {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "MOVE", "COPY"})
