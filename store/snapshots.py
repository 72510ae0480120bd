"""A web worker's read-only view of the store: the keeper's newest checkpoint, opened here.

A checkpoint answers every question while no write has happened since it was made (the
shared write generation says so), and questions about the graphs no write has touched
since (the write log says which) for as long as it stays open. A fresh one is asked for at
most every `refresh_every` seconds, and less and less often (up to every `slowest` seconds)
while writes keep coming: then most reads concern graphs the log vouches for, and each
checkpoint opened would be stale at once. A checkpoint costs the worker an open and cold
caches, and the keeper a flush: a small new file that compaction must merge into the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from store.checkpoints import Checkpoint
from store.oxigraph_store import OxigraphStore

Opened = tuple[int, OxigraphStore]


class Snapshots:
    def __init__(self, fetch: Callable[[int, float], Checkpoint],
                 on_open: Callable[[int], None] = lambda generation: None,
                 refresh_every: float = 1.0, slowest: float = 60.0) -> None:
        self._fetch = fetch
        self._on_open = on_open
        self._refresh_every = refresh_every
        self._slowest = slowest
        self._interval = refresh_every
        self._opened: Opened | None = None
        self._asked_at = -refresh_every
        self._lock = threading.Lock()

    def reader(self, generation: int, stale_ok: bool = False) -> Opened | None:
        """The opened checkpoint and its generation: only if it is of `generation`, or
        whatever its generation with `stale_ok` (the caller checks the write log)."""
        opened = self._opened
        if opened is not None and opened[0] == generation:
            return opened
        if self._lock.acquire(blocking=False):  # else another thread is opening one
            try:
                fresh = self._refresh(generation)
            finally:
                self._lock.release()
            if fresh is not None:
                return fresh
        return opened if stale_ok else None

    def _refresh(self, generation: int) -> Opened | None:
        if time.monotonic() - self._asked_at < self._interval:
            return None
        self._asked_at = time.monotonic()
        opened = self._opened
        streaming = opened is not None and generation - opened[0] > 1
        self._interval = min(self._interval * 4, self._slowest) if streaming \
            else self._refresh_every
        checkpoint = self._fetch(generation, self._refresh_every)
        if opened is not None and checkpoint.generation <= opened[0]:
            return None
        self._opened = (checkpoint.generation, OxigraphStore.read_only(Path(checkpoint.path)))
        self._on_open(checkpoint.generation)
        return self._opened if checkpoint.generation == generation else None

    def forget(self) -> None:
        """Drops the opened checkpoint (it failed to read: the keeper may have removed it)."""
        self._opened = None
