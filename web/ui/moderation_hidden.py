"""What is hidden from whom on walls, threads and feeds: the viewer's blocks and mutes (an
actor or its whole domain), the actors of rejected domains, and those of silenced domains
unless the viewer follows them (the rules: federation/moderation.py). Computed once per
request.

For whoever builds a wall, a thread or a feed (web/ui/post_views.py, web/ui/territory.py,
the fediverse feed's template through the Jinja test "hidden_author"):
`hides(author)`, `visible(items)`, `hide_in_feed(sections)`. Apart from the blueprint
(web/ui/moderation.py) because the pages that show things import it, not the routes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TypeVar

from flask import g, has_request_context

from federation import moderation
from federation.handlers.follows import following_of
from web.platform import platform
from web.ui.session import current_account

T = TypeVar("T")


@dataclass
class Hidden:
    """Whose content one viewer does not see (see the module's docstring)."""

    base_host: str
    viewer: str | None
    targets: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    silenced: set[str] = field(default_factory=set)
    _following: set[str] | None = None

    def hides(self, author: str | None) -> bool:
        if not author:
            return False
        if moderation.matches(self.targets, author):
            return True
        if not (self.rejected or self.silenced):
            return False
        host = moderation.host_of(author)
        if not host or host == self.base_host:
            return False
        if moderation.covered(host, self.rejected):
            return True
        return moderation.covered(host, self.silenced) and author not in self.following()

    def following(self) -> set[str]:
        if self._following is None:
            self._following = set()
            if self.viewer:
                with contextlib.suppress(Exception):  # no following list: follows nobody
                    self._following = set(following_of(platform().activities, self.viewer))
        return self._following


def hidden() -> Hidden:
    """The viewer's Hidden, once per request (an empty one outside requests)."""
    site = platform()
    base_host = moderation.host_of(site.base_url)
    if not has_request_context():
        return Hidden(base_host, None)
    if "moderation_hidden" not in g:
        account = current_account()
        viewer = account.actor if account else None
        g.moderation_hidden = Hidden(
            base_host, viewer, moderation.hidden_for(site.private, viewer),
            moderation.hosts_with_policy(site.private, "reject"),
            moderation.hosts_with_policy(site.private, "silence"))
    found: Hidden = g.moderation_hidden
    return found


def hides(author: str | None) -> bool:
    """Whether the viewer of this request must not see what `author` wrote."""
    return hidden().hides(author)


def visible(items: list[T], attribute: str = "author") -> list[T]:
    """The items (posts, comments, feed items…) whose author the viewer may see."""
    found = hidden()
    if not (found.targets or found.rejected or found.silenced):
        return items
    return [item for item in items if not found.hides(getattr(item, attribute, None))]


def hide_in_feed(feed: dict[str, list[T]]) -> dict[str, list[T]]:
    """A territory feed (sections of items) without what the viewer may not see."""
    return {name: visible(items) for name, items in feed.items()}
