"""The territory page at each of the six levels, and its live stream of new items.

The page is the territory's own URI (``/territories/97411`` answers HTML to a browser and
Turtle to a Linked Data client): what happens inside — upcoming events, posts, projects,
new organizations, offers and needs — filtered by themes, one click to toggle a theme or to
change level, every control a plain link that works without JavaScript. A person's own
commune preselects their interests. A quiet perimeter says so and shows the nearest
activity one level up, so that nobody lands on an empty page.

New items arrive without reload through server-sent events
(``/territories/{code}/stream``): the stream asks a poller shared by every stream of the
same perimeter and themes (store.feeds.recent_items), sends each new item as the HTML the
page itself would show, comments every 5 s to keep proxies from closing it, and ends after
``STREAM_SECONDS`` so that a gunicorn thread is never held for long; the browser's
EventSource reconnects on its own and resumes from the last item (``Last-Event-ID``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date, format_time, gettext
from rdflib import Graph

from ontology import label as ontology_label
from store import feeds
from store.feeds import FEED_SECTIONS, Item, Node
from web.pages import get_locale_name, page_renderer, render_generic_page
from web.platform import platform
from web.ui.moderation_hidden import hide_in_feed, hides
from web.ui.session import current_account, protect
from web.ui.territory_view import (
    LEVEL_LABELS,
    SECTION_LABELS,
    THEME_SLUGS,
    BadView,
    View,
    anchor_node,
    read_view,
    theme_label,
)

bp = Blueprint("territory", __name__)
protect(bp.name)
logger = logging.getLogger(__name__)

SECTION_LIMIT = 8
SINGLE_SECTION_LIMIT = 30
#: Fewer items than this in every section together: the perimeter is "quiet".
QUIET_BELOW = 3
STREAM_SECONDS = 55.0
STREAM_TICK = 1.0
KEEPALIVE_SECONDS = 5.0
#: Live streams one worker process serves at once (each holds a thread); more wait.
STREAM_SLOTS = 4
_SLOTS = threading.BoundedSemaphore(STREAM_SLOTS)


@bp.record_once
def _preload_tree(state: object) -> None:
    """A server worker reads the territory tree (seconds for all of France) as it starts,
    not during somebody's first request. Only where the store counts its writes (the
    storekeeper's client), so that a tree read before territories are imported is noticed
    as stale at the next write."""
    app = state.app  # type: ignore[attr-defined]
    store = app.extensions["communecter"].store
    if feeds.store_generation(store) is None:
        return

    def load() -> None:
        try:
            feeds.territory_tree(store)
        except Exception:  # a failed preload only means the first page reads the tree
            logger.exception("could not read the territory tree")

    threading.Thread(target=load, name="territory-tree", daemon=True).start()



# ---- helpers the templates use ------------------------------------------------------
_TAGS = re.compile(r"<[^>]+>")
_MARKS = re.compile(r"(\*\*|__|`+|^#+\s*|^>\s*)", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def excerpt(text: str | None, length: int = 220) -> str:
    """Plain text of a (possibly Markdown or HTML) text, cut at a word."""
    if not text:
        return ""
    plain = _SPACES.sub(" ", _MARKS.sub("", _TAGS.sub(" ", text))).strip()
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


class Helpers:
    """What the item template needs to show an item, in the page's language."""

    def __init__(self, tree: feeds.TerritoryTree) -> None:
        self.tree = tree

    def title(self, item: Item) -> str:
        if item.name:
            return item.name
        if item.section == "posts":
            if item.author_name:
                return gettext("Publication de %(name)s", name=item.author_name)
            return gettext("Publication")
        return excerpt(item.content or item.summary, 80) or item.iri.rsplit("/", 1)[-1]

    def text(self, item: Item) -> str:
        if item.section == "posts":
            return excerpt(item.content or item.summary, 280)
        return excerpt(item.summary or item.content)

    def type_label(self, item: Item) -> str:
        language = get_locale_name()
        if item.kind and item.section in ("events", "offers"):
            return ontology_label(item.kind, language)
        return ontology_label(item.cls, language)

    def when(self, moment: datetime | None, with_time: bool = False) -> str:
        """A date (and time) as written where it happens: the literal's own offset."""
        if moment is None:
            return ""
        local = moment.replace(tzinfo=None)
        if with_time:
            return f"{format_date(local, 'full')}, {format_time(local, 'short')}"
        return format_date(local, "long")

    def place(self, item: Item) -> str:
        node = self.tree.get(item.territory)
        return node.name if node else ""

    def theme(self, slug: str) -> str:
        return theme_label(slug)

    def level(self, node: Node) -> str:
        return str(LEVEL_LABELS.get(node.kind, node.kind))

    def section(self, name: str) -> str:
        return str(SECTION_LABELS.get(name, name))


# ---- the page -------------------------------------------------------------------------
def bad_page(error: BadView, view: View | None = None) -> Response:
    html = render_template("territory/error.html", message=error.message, view=view)
    return Response(html, error.status, content_type="text/html; charset=utf-8")


@page_renderer("territories")
def render(iri: str, graph: Graph) -> str:
    store = platform().store
    tree = feeds.territory_tree(store, want=iri)
    anchor = tree.get(iri)
    if anchor is None:
        return render_generic_page(iri, graph)
    try:
        view = read_view(tree, anchor)
    except BadView as error:
        abort(bad_page(error))
    now = datetime.now(UTC)
    sections = view.types or list(FEED_SECTIONS)
    limit = SINGLE_SECTION_LIMIT if len(view.types) == 1 else SECTION_LIMIT
    perimeter = tree.perimeter(view.perimeter.iri)
    feed = hide_in_feed(feeds.territory_feed(store, perimeter, now, view.themes, sections,
                                             limit))  # not what the viewer blocks or mutes
    shown = {item.iri for items in feed.values() for item in items}
    nearby = None
    if len(shown) < QUIET_BELOW:
        nearby = _nearby(tree, view, sections, limit, now, shown)
    account = current_account()
    home = tree.get(account.commune) if account is not None else None
    stream = url_for("territory.stream", code=view.anchor.slug,
                     **_stream_params(view, now))
    return render_template(
        "territory/page.html", view=view, feed=feed, nearby=nearby, h=Helpers(tree),
        crumbs=list(reversed(tree.chain(view.perimeter.iri))),
        children=tree.children(view.perimeter.iri), theme_slugs=THEME_SLUGS,
        sections=sections, sections_all=list(FEED_SECTIONS), section_limit=limit,
        stream_url=stream, home=home,
        quiet=len(shown) < QUIET_BELOW, total=len(shown))


def _nearby(tree: feeds.TerritoryTree, view: View, sections: list[str], limit: int,
            now: datetime, shown: set[str]) -> tuple[Node, dict[str, list[Item]]] | None:
    """The nearest level up with more activity than here (a quiet perimeter's neighbours)."""
    store = platform().store
    for node in tree.chain(view.perimeter.iri)[1:]:
        feed = feeds.territory_feed(store, tree.perimeter(node.iri), now, view.themes,
                                    sections, limit)
        feed = {name: [i for i in items if i.iri not in shown]
                for name, items in hide_in_feed(feed).items()}
        if any(feed.values()):
            return node, feed
    return None


def _stream_params(view: View, now: datetime) -> dict[str, object]:
    params = {key: view.params().getlist(key) for key in view.params()}
    params["since"] = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return params


# ---- the live stream ------------------------------------------------------------------
def _problem(error: BadView) -> Response:
    abort(error.status, error.message)


def _since() -> tuple[datetime, set[str]]:
    """Where a stream starts: after the last item the browser got (``Last-Event-ID`` is
    "created|IRI"), else at ``since`` (the moment the page was rendered), else now."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("since")
    if not raw:
        return datetime.now(UTC).replace(microsecond=0), set()
    stamp, _, last = raw.partition("|")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        abort(400, gettext("« since » doit être une date ISO 8601, par exemple "
                           "2026-06-01T12:00:00Z."))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), ({last} if last else set())


@bp.get("/territories/<code>/stream")
def stream(code: str) -> Response:
    """Server-sent events: each new item of the page's perimeter, as the page shows it."""
    try:
        tree, anchor = anchor_node(code)
        view = read_view(tree, anchor)
    except BadView as error:
        return _problem(error)
    since, already = _since()
    store = platform().store
    perimeter = tree.perimeter(view.perimeter.iri)
    sections = set(view.types or FEED_SECTIONS)
    poller = feeds.recent_items(store, perimeter, view.themes, since)
    helpers = Helpers(tree)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    if not _SLOTS.acquire(blocking=False):
        busy = "retry: 20000\n: busy, come back later\n\n"
        return Response(busy, 200, mimetype="text/event-stream", headers=headers)

    def events() -> Iterator[str]:
        try:
            yield "retry: 1500\n: new items of this territory\n\n"
            sent = set(already)
            began = last_word = time.monotonic()
            while time.monotonic() - began < STREAM_SECONDS:
                now = datetime.now(UTC)
                for item in sorted(poller.poll(store), key=lambda i: (i.created, i.iri)):
                    if item.iri in sent or item.created is None or item.created < since:
                        continue
                    sent.add(item.iri)
                    if item.section not in sections or not _still_relevant(item, now) \
                            or hides(item.author):
                        continue
                    yield _event(item, helpers)
                    last_word = time.monotonic()
                if time.monotonic() - last_word >= KEEPALIVE_SECONDS:
                    yield ": keep-alive\n\n"
                    last_word = time.monotonic()
                time.sleep(STREAM_TICK)
        finally:
            _SLOTS.release()

    return Response(stream_with_context(events()), 200, mimetype="text/event-stream",
                    headers=headers)


def _still_relevant(item: Item, now: datetime) -> bool:
    """A new event is news while it is not over."""
    if item.section != "events":
        return True
    last = item.end or item.start
    return last is None or last >= now


def _event(item: Item, helpers: Helpers) -> str:
    html = render_template("territory/item.html", item=item, h=helpers, level=3)
    payload = {"iri": item.iri, "section": item.section, "html": html,
               "title": helpers.title(item),
               "start": item.start.isoformat() if item.start else None}
    stamp = item.created.astimezone(UTC).isoformat().replace("+00:00", "Z")
    data = json.dumps(payload, ensure_ascii=False)
    return f"id: {stamp}|{item.iri}\nevent: item\ndata: {data}\n\n"


@bp.get("/ma-commune")
def my_commune() -> Response:
    """A person's home: their commune, where their interests are preselected (the country
    for someone not logged in)."""
    account = current_account()
    if account is not None:
        return redirect(account.commune)
    tree = feeds.territory_tree(platform().store)
    countries = [n for n in tree.nodes.values() if n.kind == "country"]
    if not countries:
        abort(404, gettext("Aucun territoire n'est chargé ici."))
    return redirect(countries[0].iri)
