"""Discovery documents under /.well-known/: VoID, WebFinger (acct: handles and actor URLs,
see federation.actors for the handle rule), host-meta (XRD and JSON), NodeInfo 2.1 (and
2.0) with the instance's real usage figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from flask import Blueprint, Response, request
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from federation.actors import (
    actor_for_username,
    handle_of,
    instance_actor_iri,
    local_actor,
)
from ontology import CLASS_BY_CONTAINER
from store.queries import query
from web.negotiation import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, choose, serialize
from web.platform import platform

bp = Blueprint("wellknown", __name__)
VOID = Namespace("http://rdfs.org/ns/void#")


def void_graph(base_url: str) -> Graph:
    graph = Graph()
    dataset = URIRef(f"{base_url}/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("Communecter — données publiques", lang="fr")))
    graph.add((dataset, DCTERMS.title, Literal("Communecter public data", lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(f"{base_url}/sparql")))
    graph.add((dataset, VOID.uriSpace, Literal(f"{base_url}/")))
    graph.add((dataset, VOID.vocabulary, URIRef("https://w3id.org/communecter/ns#")))
    for fmt, media in (("nq", "application/n-quads"), ("trig", "application/trig")):
        dump = URIRef(f"{base_url}/dump.{fmt}")
        graph.add((dataset, VOID.dataDump, dump))
        graph.add((dump, DCTERMS["format"], Literal(media)))
    for slug in [*CLASS_BY_CONTAINER, "territories"]:
        graph.add((dataset, VOID.rootResource, URIRef(f"{base_url}/{slug}/")))
    graph.add((dataset, DCTERMS.modified, Literal(_today(), datatype=XSD.date)))
    return graph


def _today() -> str:
    from datetime import date

    return date.today().isoformat()


@bp.get("/.well-known/void")
def void() -> Response:
    base = platform().base_url
    media = choose(request, (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML))
    if media == HTML:
        media = TURTLE
    body = serialize(void_graph(base).serialize(format="nt"), media, base)
    return Response(body, content_type=media, headers={"Access-Control-Allow-Origin": "*"})


@bp.get("/dump.<fmt>")
def dump(fmt: str) -> Response:
    media = {"nq": "application/n-quads", "trig": "application/trig"}.get(fmt)
    if media is None:
        return Response("unknown dump format: use /dump.nq or /dump.trig\n", 404,
                        mimetype="text/plain")
    return Response(platform().store.dump(media), content_type=media)


# --- WebFinger (RFC 7033), as Mastodon and Fedify resolve handles -----------------------------

JRD = "application/jrd+json"
CORS = {"Access-Control-Allow-Origin": "*"}


class BadResource(ValueError):
    """The `resource` parameter is not an acct: URI or an http(s) URL (400)."""


def host_of(base_url: str) -> str:
    """Our host as handles carry it (with the port, when there is one)."""
    return urlsplit(base_url).netloc.lower()


def resolve_resource(store: Any, base_url: str, resource: str) -> str | None:
    """The local actor a WebFinger resource names (None: not ours or unknown);
    BadResource when it is malformed. Handles split at the last '@' (host:port)."""
    resource = resource.strip()
    if not resource or len(resource) > 2000:
        raise BadResource("say which resource: ?resource=acct:handle@host or an actor URL")
    if resource.lower().startswith(("http://", "https://")):
        iri = resource.split("#", 1)[0]
        if iri == instance_actor_iri(base_url):
            return iri
        return iri if local_actor(store, base_url, iri) is not None else None
    handle = resource[5:] if resource.lower().startswith("acct:") else resource
    handle = handle.lstrip("@")
    if "@" not in handle or ":" in handle.split("@", 1)[0]:
        raise BadResource("an acct: resource is acct:handle@host")
    user, _, host = handle.rpartition("@")
    if not user or not host:
        raise BadResource("an acct: resource is acct:handle@host")
    if host.lower() != host_of(base_url):
        return None
    return actor_for_username(store, base_url, user)


def jrd(store: Any, base_url: str, iri: str, rels: list[str]) -> dict[str, Any]:
    handle = handle_of(store, base_url, iri)
    page = f"{base_url}/" if iri == instance_actor_iri(base_url) else iri
    links = [
        {"rel": "self", "type": "application/activity+json", "href": iri},
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
        {"rel": "http://ostatus.org/schema/1.0/subscribe",
         "template": f"{base_url}/authorize_interaction?uri={{uri}}"},
    ]
    if rels:
        links = [link for link in links if link["rel"] in rels]
    return {"subject": f"acct:{handle}@{host_of(base_url)}", "aliases": [iri], "links": links}


@bp.get("/.well-known/webfinger")
def webfinger() -> Response:
    site = platform()
    resource = request.args.get("resource")
    if resource is None:
        return _jrd_problem(400, "say which resource: ?resource=acct:handle@host")
    try:
        iri = resolve_resource(site.store, site.base_url, resource)
    except BadResource as error:
        return _jrd_problem(400, str(error))
    if iri is None:
        return _jrd_problem(404, f"no actor here answers to {resource}")
    document = jrd(site.store, site.base_url, iri, request.args.getlist("rel"))
    return Response(json.dumps(document), content_type=JRD, headers=CORS)


def _jrd_problem(status: int, message: str) -> Response:
    body = json.dumps({"status": status, "detail": message})
    return Response(body, status, mimetype="application/problem+json", headers=CORS)


@bp.get("/.well-known/host-meta")
def host_meta() -> Response:
    template = f"{platform().base_url}/.well-known/webfinger?resource={{uri}}"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template="{xml_escape(template, {chr(34): "&quot;"})}"/>\n'
            "</XRD>\n")
    return Response(body, content_type="application/xrd+xml; charset=utf-8", headers=CORS)


@bp.get("/.well-known/host-meta.json")
def host_meta_json() -> Response:
    template = f"{platform().base_url}/.well-known/webfinger?resource={{uri}}"
    body = json.dumps({"links": [{"rel": "lrdd", "template": template}]})
    return Response(body, content_type=JRD, headers=CORS)


# --- NodeInfo 2.1 (and 2.0, which some crawlers still ask for) --------------------------------

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links() -> Response:
    base = platform().base_url
    links = [{"rel": NODEINFO_SCHEMA.format(version=v), "href": f"{base}/nodeinfo/{v}"}
             for v in ("2.1", "2.0")]
    return Response(json.dumps({"links": links}), content_type="application/json",
                    headers=CORS)


@bp.get("/nodeinfo/<any('2.0','2.1'):version>")
def nodeinfo(version: str) -> Response:
    site = platform()
    document = nodeinfo_document(site, version)
    media = f'application/json; profile="{NODEINFO_SCHEMA.format(version=version)}#"'
    return Response(json.dumps(document, ensure_ascii=False), content_type=media,
                    headers={**CORS, "Cache-Control": "no-cache"})


def nodeinfo_document(site: Any, version: str = "2.1") -> dict[str, Any]:
    """What this instance is and how much it is used (real figures, no cache)."""
    software: dict[str, Any] = {"name": "communecter", "version": _version()}
    if version == "2.1":
        software["repository"] = "https://github.com/communecter"
        software["homepage"] = "https://www.communecter.org/"
    users = _user_figures(site)
    posts = site.store.select(query("ap_local_posts_count", base=site.base_url + "/"))
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": True,
        "usage": {"users": users, "localPosts": int(posts[0]["n"]) if posts else 0},
        "metadata": {
            "nodeName": f"Communecter ({host_of(site.base_url)})",
            "nodeDescription": "Réseau social citoyen des territoires, en Linked Data et "
                               "ActivityPub.",
            "authorizedFetch": bool(site.settings.authorized_fetch),
            "languages": ["fr", "en"],
        },
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("communecter")
    except PackageNotFoundError:
        return "0.1.0"


def _user_figures(site: Any) -> dict[str, int]:
    """Accounts in total, and those active in the last 30 and 180 days: signed up then,
    or published something then (what the store records of them)."""
    from store.accounts import Accounts

    Accounts(site.private)  # the table exists even before the first sign-up
    rows = site.private.connection().execute("SELECT actor, created FROM accounts").fetchall()
    now = datetime.now(UTC)
    figures = {"total": len(rows)}
    for key, days in (("activeMonth", 30), ("activeHalfyear", 180)):
        since = now - timedelta(days=days)
        active = {actor for actor, created in rows if _after(created, since)}
        if len(active) < len(rows):
            stamp = since.replace(microsecond=0).isoformat().replace("+00:00", "Z")
            found = site.store.select(query("ap_active_creators", since=Literal(
                stamp, datatype=XSD.dateTime), base=site.base_url + "/persons/"))
            creators = {str(row["who"]) for row in found}
            active |= {actor for actor, _created in rows if actor in creators}
        figures[key] = len(active)
    return figures


def _after(value: str | None, since: datetime) -> bool:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment >= since
