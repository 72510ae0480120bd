"""The Flask application factory: settings in, a configured app out."""

from __future__ import annotations

from flask import Flask, Response, request
from rdflib import URIRef
from werkzeug.exceptions import HTTPException

from federation.activities import ActivityHandler
from federation.resources import container_graph
from ontology import CLASS_BY_CONTAINER
from store.base import TripleStore, Write
from store.private import PrivateStore
from store.queries import query
from store.terms import NOT_IN_IRIS
from web.i18n import init_i18n
from web.negotiation import NotAcceptable
from web.platform import Platform
from web.problems import problem
from web.settings import Settings
from web.stores import open_public_store
from web.ui import register_ui

CONTAINERS = (*CLASS_BY_CONTAINER, "territories")


def create_app(
    settings: Settings | None = None,
    store: TripleStore | None = None,
    private: PrivateStore | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.ensure_secret_key()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    store = store or open_public_store(settings)
    if private is None:
        private = PrivateStore(settings.data_dir / "private.sqlite3")
    ensure_containers(store, settings.base_url)
    app.extensions["communecter"] = Platform(
        settings, store, private, ActivityHandler(store, settings.base_url)
    )
    init_i18n(app, settings.data_dir)
    _register(app)
    register_ui(app)
    return app


def _register(app: Flask) -> None:
    from web import activitypub, home, inbox, ldp, sparql, vocabulary, wellknown

    for module in (activitypub, home, vocabulary, wellknown, sparql, ldp, inbox):
        app.register_blueprint(module.bp)
    sparql.front(app)

    @app.before_request
    def _refuse_paths_no_iri_can_hold() -> Response | None:
        """Every resource's IRI is its URL: a path with control characters, spaces or
        the characters IRIs forbid names nothing here (and must not reach the store)."""
        if NOT_IN_IRIS.search(request.path):
            return problem(404, "nothing has this address: it holds characters that no "
                           "resource address can hold")
        return None

    @app.errorhandler(NotAcceptable)
    def _not_acceptable(error: NotAcceptable) -> Response:
        """Any route that negotiates (LDP, /ns, discovery, the SPARQL description)."""
        return problem(406, f"no representation fits the Accept header; available: {error}")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        headers = {}
        if error.code == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        found = ldp.ldp_headers_for(request.path)
        if found is not None:
            headers["Link"] = found[0]
            if error.code == 405:
                headers["Allow"] = found[1]
        return problem(error.code or 500, error.description or "", headers)


def ensure_containers(store: TripleStore, base_url: str) -> None:
    """Creates the container descriptions once; membership is added by every Create."""
    for slug in CONTAINERS:
        iri = f"{base_url}/{slug}/"
        if store.ask(query("container_exists", container=URIRef(iri))):
            continue
        store.write(Write(add={iri: container_graph(base_url, slug)}))
