"""What a territory page, its live stream and its map are asked to show: the query string
(themes, level, types) read and checked once, for the three of them.

A territory's page is its own URI. ``?level=departement`` on a commune's page shows the
département around it while keeping the commune as the anchor, so that zooming back down
is one click too; the breadcrumb links to each parent's own page. Themes are repeated
``theme`` parameters (or one comma-separated ``themes``); an explicit empty ``themes=``
means "every theme" (it overrides the interests preselected on a person's own commune).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import request
from flask_babel import gettext, lazy_gettext
from werkzeug.datastructures import MultiDict

from ontology import THEMES
from store import feeds
from store.feeds import FEED_SECTIONS, LEVELS, Node, TerritoryTree
from web.platform import platform

LEVEL_LABELS = {
    "neighbourhood": lazy_gettext("Quartier"),
    "arrondissement": lazy_gettext("Arrondissement"),
    "commune": lazy_gettext("Commune"),
    "epci": lazy_gettext("Intercommunalité"),
    "departement": lazy_gettext("Département"),
    "region": lazy_gettext("Région"),
    "country": lazy_gettext("Pays"),
}
SECTION_LABELS = {
    "events": lazy_gettext("Événements à venir"),
    "posts": lazy_gettext("Publications"),
    "projects": lazy_gettext("Projets"),
    "organizations": lazy_gettext("Nouvelles organisations"),
    "offers": lazy_gettext("Offres et demandes"),
    "places": lazy_gettext("Lieux"),
}
MAP_LABELS = {
    "organizations": lazy_gettext("Organisations"),
    "events": lazy_gettext("Événements à venir"),
    "places": lazy_gettext("Lieux"),
    "projects": lazy_gettext("Projets"),
    "offers": lazy_gettext("Offres et demandes"),
}
THEME_SLUGS = [slug for slug, *_ in THEMES]


class BadView(Exception):
    """The query string asks for something that does not exist: say what, and what does."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def theme_label(slug: str) -> str:
    language = _language()
    for theme_slug, _iri, french, english in THEMES:
        if theme_slug == slug:
            return english if language == "en" else french
    return slug


def _language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "fr"


@dataclass
class View:
    """One reading of a territory page's address."""

    tree: TerritoryTree
    anchor: Node
    perimeter: Node
    themes: list[str]
    level: str | None = None
    types: list[str] = field(default_factory=list)
    themes_given: bool = False
    preselected: bool = False
    since: str | None = None

    @property
    def path(self) -> str:
        """The anchor's path (its URI without the base)."""
        return "/territories/" + self.anchor.slug

    def params(self, **changes: object) -> MultiDict:
        """The query string of this view, with changes (None removes a parameter)."""
        values: dict[str, object] = {"level": self.level, "theme": list(self.themes),
                                     "type": list(self.types)}
        if self.themes_given and not self.themes:
            values["themes"] = ""
        values.update(changes)
        if values.get("theme"):
            values.pop("themes", None)
        out = MultiDict()
        for key, value in values.items():
            if value is None:
                continue
            for one in value if isinstance(value, list) else [value]:
                out.add(key, one)
        return out

    def url(self, path: str | None = None, **changes: object) -> str:
        query = urlencode(list(self.params(**changes).items(multi=True)))
        return (path or self.path) + (f"?{query}" if query else "")

    def toggle_theme_url(self, slug: str, path: str | None = None) -> str:
        chosen = [t for t in THEME_SLUGS if (t in self.themes) != (t == slug)]
        if chosen:
            return self.url(path, theme=chosen, themes=None)
        return self.url(path, theme=[], themes="")

    def all_themes_url(self, path: str | None = None) -> str:
        return self.url(path, theme=[], themes="")

    def level_url(self, node: Node, path: str | None = None) -> str:
        level = None if node.iri == self.anchor.iri else node.kind
        return self.url(path, level=level)

    def territory_url(self, node: Node, suffix: str = "") -> str:
        """Another territory's own page (or map), keeping themes and types."""
        return self.url("/territories/" + node.slug + suffix, level=None)

    @property
    def zoom(self) -> list[Node]:
        """The levels one can switch to from here: the anchor and every parent."""
        return self.tree.chain(self.anchor.iri)


def _store():
    return platform().store


def anchor_node(code: str) -> tuple[TerritoryTree, Node]:
    """The territory addressed by ``/territories/{code}``, or BadView 404."""
    iri = f"{platform().base_url}/territories/{code}"
    tree = feeds.territory_tree(_store(), want=iri)
    node = tree.get(iri)
    if node is None:
        raise BadView(404, gettext("Territoire inconnu : %(code)s.", code=code))
    return tree, node


def read_view(tree: TerritoryTree, anchor: Node, allowed_types: dict[str, object] | None = None,
              args: MultiDict | None = None) -> View:
    """Reads and checks the query string; BadView says what is wrong and what is possible."""
    args = request.args if args is None else args
    themes, given = _themes(args)
    level = args.get("level") or None
    perimeter = anchor
    if level is not None:
        if level not in LEVELS:
            choices = ", ".join(LEVELS)
            raise BadView(400, gettext("Niveau inconnu : « %(level)s ». Niveaux possibles : "
                                       "%(choices)s.", level=level, choices=choices))
        found = [n for n in tree.chain(anchor.iri) if n.kind == level]
        if not found:
            raise BadView(404, gettext("%(name)s n'est dans aucun territoire de niveau "
                                       "« %(level)s ».", name=anchor.name,
                                       level=LEVEL_LABELS[level]))
        perimeter = found[0]
    allowed = FEED_SECTIONS if allowed_types is None else allowed_types
    types = []
    for value in args.getlist("type"):
        for one in value.split(","):
            one = one.strip()
            if not one:
                continue
            if one not in allowed:
                raise BadView(400, gettext("Type inconnu : « %(type)s ». Types possibles : "
                                           "%(choices)s.", type=one, choices=", ".join(allowed)))
            if one not in types:
                types.append(one)
    view = View(tree, anchor, perimeter, themes, level=level, types=types, themes_given=given)
    if not given:
        _preselect(view)
    return view


def _themes(args: MultiDict) -> tuple[list[str], bool]:
    raw = [*args.getlist("theme")]
    given = "theme" in args or "themes" in args
    for value in args.getlist("themes"):
        raw.extend(value.split(","))
    chosen = []
    for value in raw:
        value = value.strip()
        if not value:
            continue
        if value not in THEME_SLUGS:
            raise BadView(400, gettext("Thématique inconnue : « %(theme)s ». Thématiques "
                                       "possibles : %(choices)s.", theme=value,
                                       choices=", ".join(THEME_SLUGS)))
        if value not in chosen:
            chosen.append(value)
    return [t for t in THEME_SLUGS if t in chosen], given


def _preselect(view: View) -> None:
    """On a person's own commune, their interests are the themes shown first."""
    from web.ui.session import current_account

    account = current_account()
    if account is None or account.commune != view.anchor.iri:
        return
    interests = feeds.citizen_themes(_store(), account.actor)
    if interests:
        view.themes = [t for t in THEME_SLUGS if t in interests]
        view.preselected = True
