"""Untrusted SPARQL queries in child processes that can be stopped.

Oxigraph cannot cancel a query from Python (upstream issue oxigraph#1926), so a runaway
query would burn a core for ever. The public endpoint therefore runs queries in child
processes that read a checkpoint of the on-disk store (store/checkpoints.py: a hard-linked,
consistent copy made by the store's owner after writes) and kills the child when the time
limit passes. Each web worker owns its runner, so that a query costs one pipe round trip and
its children's caches stay warm between requests.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from store.base import EndpointResult, QueryTimeout, StoreError

_CONTEXT = multiprocessing.get_context("spawn")


def _child(connection: Connection) -> None:
    """The child's loop: open the named checkpoint read-only, answer queries."""
    import pyoxigraph as ox

    _die_with_parent()

    from store.oxigraph_store import run_endpoint_query

    opened: tuple[str, Any] | None = None
    while True:
        try:
            path, query, accept = connection.recv()
        except EOFError:
            return
        try:
            if opened is None or opened[0] != path:
                opened = (path, ox.Store.read_only(path))
            connection.send(("ok", run_endpoint_query(opened[1], query, accept)))
        except Exception as error:  # sent back and re-raised in the owner
            connection.send(("error", error))


def _die_with_parent() -> None:
    """A worker killed by its server must not leave a runaway query computing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Child:
    def __init__(self) -> None:
        self.connection, child_end = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_child, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()
        self.path: str | None = None

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryRunner:
    """A small pool of killable query processes over checkpoints of one store.

    `checkpoint_for(generation)` names a checkpoint of that write generation (made by the
    store's owner when needed); children reopen only when the generation changes.
    """

    def __init__(self, checkpoint_for: Callable[[int], str], size: int = 2) -> None:
        self._checkpoint_for = checkpoint_for
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._checkpoint: tuple[int, str] | None = None

    def run(self, query: str, accept: dict[str, str], timeout: float,
            generation: int) -> EndpointResult:
        deadline = time.monotonic() + timeout
        if not self._slots.acquire(timeout=timeout):
            raise QueryTimeout("every query slot stayed busy for the whole time limit")
        try:
            path = self._current_checkpoint(generation)
            child = self._take()
            try:
                child.connection.send((path, query, accept))
                if not child.connection.poll(max(deadline - time.monotonic(), 0.01)):
                    child.stop()
                    child = None
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s")
                status, value = child.connection.recv()
            except (EOFError, OSError) as error:
                if child is not None:
                    child.stop()
                child = None
                raise StoreError("the query process died") from error
            finally:
                self._give_back(child, path)
        finally:
            self._slots.release()
        if status == "error":
            raise value
        return value

    def _take(self) -> _Child:
        with self._lock:
            child = self._idle.pop() if self._idle else _Child()
            self._busy.add(child)
            return child

    def _give_back(self, child: _Child | None, path: str) -> None:
        with self._lock:
            self._busy = {c for c in self._busy if c.process.is_alive()}
            if child is not None:
                child.path = path
                self._busy.discard(child)
                self._idle.append(child)

    def _current_checkpoint(self, generation: int) -> str:
        known = self._checkpoint
        if known is not None and known[0] == generation:
            return known[1]
        path = self._checkpoint_for(generation)
        self._checkpoint = (generation, path)
        return path

    def close(self) -> None:
        with self._lock:
            for child in [*self._idle, *self._busy]:
                child.stop()
            self._idle.clear()
            self._busy.clear()
