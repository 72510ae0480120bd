"""What every request needs: the settings, the stores and the activity handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app

from federation.activities import ActivityHandler
from federation.delivery import DeliveryQueue, open_queue
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

    @cached_property
    def deliveries(self) -> DeliveryQueue:
        """This process's outbound delivery queue (COMMUNECTER_QUEUE_URL, else SQLite in
        the data directory), opened on first use."""
        return open_queue(self.settings.queue_url, self.settings.data_dir)


def platform() -> Platform:
    return current_app.extensions["communecter"]
