"""Read-only copies of the on-disk store, one per write generation, for other processes.

Only the storekeeper may open the store for writing, but web workers read far more than
they write: a checkpoint (a flush, then hard links of the store's immutable files) lets
each worker and its query processes open the store read-only and answer without a round
trip to the keeper. A checkpoint is labelled with the generation
read *before* it was made, so its content is never older than its label; readers use it
only while that generation is still the current one.

Old checkpoints are removed once they have been superseded for a while: a reader that
still had one open at that moment fails on a missing file and asks the keeper instead.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Checkpointable(Protocol):
    def checkpoint(self, target: Path) -> None: ...


@dataclass(frozen=True)
class Checkpoint:
    generation: int
    path: str


class CheckpointShelf:
    """The keeper's checkpoints: the newest one, and older ones kept for `grace` seconds."""

    def __init__(self, store: Checkpointable, workdir: Path, grace: float = 120.0) -> None:
        self._store = store
        self._workdir = workdir
        self._grace = grace
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self._lock = threading.Lock()
        self._newest: Checkpoint | None = None
        self._made_at = 0.0
        self._superseded: list[tuple[float, str]] = []
        self._serial = 0

    def current(self, generation: int, min_interval: float = 0.0) -> Checkpoint:
        """A checkpoint of `generation`, made now unless the newest is of it already.

        With `min_interval`, a stale newest checkpoint younger than that is returned as it
        is (the caller checks its generation): readers that can fall back on the keeper use
        it so that a stream of writes does not cost a checkpoint per read.
        """
        with self._lock:
            newest = self._newest
            if newest is not None and (newest.generation == generation
                                       or time.monotonic() - self._made_at < min_interval):
                return newest
            self._serial += 1
            target = self._workdir / f"checkpoint-{self._serial}"
            self._store.checkpoint(target)
            if newest is not None:
                self._superseded.append((time.monotonic(), newest.path))
            self._newest = Checkpoint(generation, str(target))
            self._made_at = time.monotonic()
            self._forget_old()
            return self._newest

    def _forget_old(self) -> None:
        now = time.monotonic()
        keep = []
        for since, path in self._superseded:
            if now - since > self._grace:
                shutil.rmtree(path, ignore_errors=True)
            else:
                keep.append((since, path))
        self._superseded = keep
