"""Writing posts and comments: the graph of a new post (text, mentions, theme hashtags,
picture), the wall rule checked before it is published, and what a form does with an
uploaded picture or a refusal.

It exists apart from the blueprint (web/ui/posts.py) so that what a post is made of is
defined once, whichever route (a new post, a comment) writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from flask import request
from flask_babel import gettext as _
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from federation import text
from federation.activities import Activity
from federation.errors import ActivityRefused
from federation.handlers import social
from federation.resources import graph_from_ntriples
from ontology import AS, CC, CCT, DCTERMS, THEMES
from store.queries import query
from web.platform import platform
from web.ui.session import accounts, current_account

PUBLIC = URIRef(str(AS) + "Public")


# --- writing posts and comments -----------------------------------------------------------


class FormError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def theme_index() -> dict[str, str]:
    """Normalised hashtag → theme slug: the slug and its French and English labels."""
    index: dict[str, str] = {}
    for slug, _iri, french, english in THEMES:
        for word in (slug, french, english):
            index.setdefault(text.normalise_tag(word), slug)
    return index


def resolve_mentions(handles: set[str]) -> dict[str, str]:
    """@handle → the local person (or organization, project) whose slug it is."""
    if not handles:
        return {}
    site = platform()
    candidates = {}
    for handle in sorted(handles)[: text.MAX_LINKS]:
        for container in ("persons", "organizations", "projects"):
            candidates[f"{site.base_url}/{container}/{handle}"] = handle
    rows = site.store.select(query("post_existing_actors",
                                   candidates=[URIRef(c) for c in candidates]))
    existing = {str(r["actor"]) for r in rows}
    found: dict[str, str] = {}
    for iri, handle in candidates.items():  # persons first, then organizations, projects
        if iri in existing:
            found.setdefault(handle, iri)
    return found


def theme_link(place: str | None, slug: str) -> str:
    """Where a theme hashtag leads: the page of the post's territory (or wall), filtered
    by that theme."""
    base = place or f"{platform().base_url}/territories/"
    return f"{base}?theme={slug}"


def build_post(iri: str, actor: str, source: str, *, wall: str | None = None,
               territory: str | None = None, parent: str | None = None,
               root: str | None = None, place: str | None = None,
               now: datetime | None = None) -> Graph:
    """The graph of a new post (on `wall`) or comment (answering `parent` in the thread
    started by `root`): content HTML + Markdown source, mentions, theme hashtags (whose
    links lead to `place`, else the territory, else the wall, filtered by theme)."""
    source = source.replace("\r\n", "\n").strip()
    if not source:
        raise FormError(_("Écrivez quelque chose avant de publier."))
    if len(source) > text.MAX_SOURCE:
        raise FormError(_("Le texte est trop long (%(max)d caractères au plus).",
                          max=text.MAX_SOURCE))
    mentions = resolve_mentions(text.mention_candidates(source))
    rendered = text.render(source, mentions, theme_index(),
                           partial(theme_link, place or territory or wall or root))
    if not rendered.html:
        raise FormError(_("Écrivez quelque chose avant de publier."))
    subject = URIRef(iri)
    graph = Graph(bind_namespaces="none")
    graph.add((subject, RDF.type, CC.Post))
    graph.add((subject, AS.attributedTo, URIRef(actor)))
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    graph.add((subject, AS.published,
               Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)))
    graph.add((subject, AS.to, PUBLIC))
    graph.add((subject, AS.likes, URIRef(f"{iri}/likes")))  # the public likes collection
    graph.add((subject, AS.content, Literal(rendered.html)))
    source_node = URIRef(f"{iri}#source")
    graph.add((subject, AS.source, source_node))
    graph.add((source_node, AS.content, Literal(source)))
    graph.add((source_node, AS.mediaType, Literal("text/markdown")))
    if wall:
        graph.add((subject, CC.wall, URIRef(wall)))
    if territory:
        graph.add((subject, CC.territory, URIRef(territory)))
    if parent:
        graph.add((subject, AS.inReplyTo, URIRef(parent)))
        graph.add((subject, AS.context, URIRef(root or parent)))
    for handle, who in rendered.mentions.items():
        tag = URIRef(f"{iri}#mention-{handle}")
        graph.add((subject, AS.tag, tag))
        graph.add((tag, RDF.type, AS.Mention))
        graph.add((tag, AS.href, URIRef(who)))
        graph.add((tag, AS.name, Literal(f"@{handle}")))
        graph.add((subject, AS.cc, URIRef(who)))
    for slug in rendered.themes:
        graph.add((subject, CC.theme, CCT[slug]))
        tag = URIRef(f"{iri}#hashtag-{slug}")
        graph.add((subject, AS.tag, tag))
        graph.add((tag, RDF.type, AS.Hashtag))
        graph.add((tag, AS.href, CCT[slug]))
        graph.add((tag, AS.name, Literal(f"#{slug}")))
    return graph


def attach_picture(graph: Graph, iri: str, picture: tuple[str, str, str]) -> None:
    """as:attachment, as ActivityPub servers expect: an as:Image with its URL, media type
    and alternative text (as:name)."""
    url, media_type, alt = picture
    subject, node = URIRef(iri), URIRef(f"{iri}#picture-1")
    graph.add((subject, AS.attachment, node))
    graph.add((node, RDF.type, AS.Image))
    graph.add((node, AS.url, URIRef(url)))
    graph.add((node, AS.mediaType, Literal(media_type)))
    if alt:
        graph.add((node, AS.name, Literal(alt)))


def publish(actor: str, graph: Graph, iri: str) -> None:
    """Checks the wall rule and applies the Create (whoever should hear of it is told by
    `_tell`, the observer of applied activities)."""
    site = platform()
    social.check_new_post(site.activities, actor, iri, graph)
    site.activities.apply(Activity("Create", actor, iri, graph))


def territory_of_wall(wall: str, actor: str) -> str | None:
    """The territory a post on this wall belongs to: the wall itself when it is a
    territory, else the wall's cc:territory (for one's own wall: one's commune)."""
    site = platform()
    found = site.store.graph(wall)
    if found is None:
        return None
    graph = graph_from_ntriples(found)
    subject = URIRef(wall)
    if social.wall_kind(site.activities, wall, graph) == "territory":
        return wall
    value = graph.value(subject, CC.territory)
    if value is not None:
        return str(value)
    account = current_account()
    if wall == actor and account is not None and account.commune:
        commune = account.commune
        if site.store.graph(commune) is not None:
            return commune
    return None


def _picture(owner: str) -> tuple[tuple[str, str, str] | None, str | None]:
    """The optional picture of the form, checked and stored (web/ui/account_uploads.py):
    ((URL, media type, alternative text), file name), or (None, None)."""
    from web.ui.account_uploads import BadImage, save_image, upload_url

    upload = request.files.get("picture")
    if upload is None or not upload.filename:
        return None, None
    alt = request.form.get("picture_alt", "").strip()[:300]
    try:
        name = save_image(upload, owner, "public", "post")
    except BadImage as problem:
        if problem.kind == "too_big":
            raise FormError(_("Cette image est trop grande (5 Mo et 40 mégapixels au "
                              "plus).")) from None
        raise FormError(_("Ce fichier n'est pas une image JPEG, PNG, GIF ou WebP.")) from None
    media_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return (upload_url(name), media_type, alt), name


def _drop(name: str | None) -> None:
    """Removes a picture stored for a post that was not saved after all."""
    if name:
        from web.ui.account_uploads import remove_upload

        remove_upload(name)


def _forget_pictures(graph: Graph, iri: str) -> None:
    """The uploaded pictures of a deleted post go with it — only those its creator
    uploaded (a post written over LDP may point to anybody's picture)."""
    from web.ui.account_uploads import name_from_url

    creator = graph.value(URIRef(iri), DCTERMS.creator)
    for node in graph.objects(URIRef(iri), AS.attachment):
        url = graph.value(node, AS.url)
        name = name_from_url(str(url)) if url is not None else None
        found = accounts().upload(name) if name else None
        if found is not None and creator is not None and found[0] == str(creator):
            _drop(name)


def _refusal(error: ActivityRefused) -> str:
    if error.status == 422:
        return _("Ce texte ne peut pas être enregistré (trop long ou mal formé).")
    if error.status in (404, 410):
        return _("Ce à quoi vous répondez n'existe plus.")
    return error.message


def safe_next(wanted: str, default: str) -> str:
    """Only our own pages: a path, or an IRI under the base URL."""
    base = platform().base_url
    if wanted.startswith("/") and not wanted.startswith(("//", "/\\")):
        return wanted
    if wanted.startswith(base + "/") and "\\" not in wanted:
        return wanted
    return default
