"""A web worker's read-only view of the store: the keeper's newest checkpoint, opened here.

Reads are answered from the checkpoint while no write has happened since it was made (the
shared write generation says so); after a write they go to the keeper until a fresh
checkpoint is worth making. Asking for one at most every `refresh_every` seconds keeps a
stream of writes from costing a checkpoint per read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from store.checkpoints import Checkpoint
from store.oxigraph_store import OxigraphStore


class Snapshots:
    def __init__(self, fetch: Callable[[int, float], Checkpoint],
                 refresh_every: float = 1.0) -> None:
        self._fetch = fetch
        self._refresh_every = refresh_every
        self._opened: tuple[int, OxigraphStore] | None = None
        self._asked_at = -refresh_every
        self._lock = threading.Lock()

    def reader(self, generation: int) -> OxigraphStore | None:
        """The opened checkpoint if it is of `generation`, else None (ask the keeper)."""
        opened = self._opened
        if opened is not None and opened[0] == generation:
            return opened[1]
        if not self._lock.acquire(blocking=False):  # another thread is opening one
            return None
        try:
            return self._refresh(generation)
        finally:
            self._lock.release()

    def _refresh(self, generation: int) -> OxigraphStore | None:
        if time.monotonic() - self._asked_at < self._refresh_every:
            return None
        self._asked_at = time.monotonic()
        checkpoint = self._fetch(generation, self._refresh_every)
        if checkpoint.generation != generation:
            return None
        reader = OxigraphStore.read_only(Path(checkpoint.path))
        self._opened = (generation, reader)
        return reader

    def forget(self) -> None:
        """Drops the opened checkpoint (it failed to read: the keeper may have removed it)."""
        self._opened = None
