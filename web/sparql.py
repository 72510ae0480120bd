"""The public, read-only SPARQL 1.1 endpoint (Protocol: GET, POST form, POST direct).

Untrusted queries run with a time limit in a process that can be stopped (see
store/runner.py), see only the public dataset, and never update it.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import Blueprint, Response, request

from store.base import QuerySyntaxError, QueryTimeout, StoreError
from store.sparql_protocol import uses_service
from web.platform import platform
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
    forced = FORMAT_ALIASES.get((format_hint or "").lower()) or (
        format_hint if format_hint in OFFERED else None)
    header = request.headers.get("Accept", "").strip().lower()
    accept = request.accept_mimetypes

    def pick(offered: tuple[str, ...]) -> str:
        if forced in offered:
            return forced
        if header in offered:  # one exact type, as query tools send: no weighing needed
            return header
        if header in OFFERED:  # one exact type of the other family: none of these
            return offered[0]
        return accept.best_match(offered, default=offered[0]) if accept else offered[0]

    solutions = pick(SOLUTION_TYPES)
    boolean = solutions if solutions in SOLUTION_TYPES[:2] else SOLUTION_TYPES[0]
    return {"solutions": solutions, "boolean": boolean, "graph": pick(GRAPH_TYPES)}


def _run(text: str, format_hint: str | None) -> Response:
    site = platform()
    if uses_service(text):
        return problem(400, "this endpoint does not run federated queries (SERVICE): it would "
                       "fetch other servers for anyone; query each endpoint yourself")
    try:
        accept = _negotiate(format_hint)
        result = site.store.endpoint_query(text, accept, site.settings.query_timeout)
    except QuerySyntaxError as error:
        message = str(error).splitlines()[0] if str(error) else "syntax error"
        if _looks_like_update(text):
            return problem(403, READ_ONLY)
        return problem(400, f"the query is not valid SPARQL 1.1: {message}")
    except QueryTimeout:
        limit = site.settings.query_timeout
        return problem(503, f"the query ran longer than the time limit ({limit:g} s); "
                       "narrow it (LIMIT, more specific patterns) and try again",
                       {"Retry-After": "1"})
    except StoreError as error:
        return problem(503, f"the store could not answer: {error}")
    charset = "; charset=utf-8" if result.media_type.startswith("text/") else ""
    return Response(result.body, 200, ANSWER_HEADERS, content_type=result.media_type + charset)


def _looks_like_update(text: str) -> bool:
    words = {w.upper() for w in text.replace("{", " ").split()}
    return bool(words & {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "MOVE", "COPY"})
