"""What every request needs: the settings, the stores and the activity handler."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from federation.activities import ActivityHandler
from store.accounts import Accounts
from store.base import TripleStore
from store.private import PrivateStore
from web.negotiation import RepresentationCache
from web.settings import Settings


@dataclass
class Platform:
    settings: Settings
    store: TripleStore
    private: PrivateStore
    activities: ActivityHandler
    representations: RepresentationCache = field(default_factory=RepresentationCache)
    accounts: Accounts = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.private)

    @property
    def base_url(self) -> str:
        return self.settings.base_url


def platform() -> Platform:
    return current_app.extensions["communecter"]
