"""Untrusted SPARQL queries in child processes that can be stopped.

Oxigraph cannot cancel a query from Python (upstream issue oxigraph#1926), so a runaway
query would burn a core for ever. The public endpoint therefore runs queries in child
processes that read a checkpoint of the on-disk store (a hard-linked, consistent copy made
by the store's owner after writes) and kills the child when the time limit passes.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from store.base import EndpointResult, QueryTimeout, StoreError

_CONTEXT = multiprocessing.get_context("spawn")


def _child(connection: Connection) -> None:
    """The child's loop: open the named checkpoint read-only, answer queries."""
    import pyoxigraph as ox

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
    """A small pool of killable query processes over fresh checkpoints of one store."""

    def __init__(self, store: Any, workdir: Path, size: int = 2) -> None:
        self._store = store
        self._workdir = workdir
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._checkpoint: tuple[int, str] | None = None
        self._serial = 0

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
            self._forget_old_checkpoints()

    def _current_checkpoint(self, generation: int) -> str:
        with self._lock:
            if self._checkpoint is None or self._checkpoint[0] != generation:
                self._serial += 1
                target = self._workdir / f"checkpoint-{self._serial}"
                self._store.checkpoint(target)
                self._checkpoint = (generation, str(target))
            return self._checkpoint[1]

    def _forget_old_checkpoints(self) -> None:
        in_use = {c.path for c in [*self._idle, *self._busy]}
        current = self._checkpoint[1] if self._checkpoint else None
        for path in self._workdir.glob("checkpoint-*"):
            if str(path) != current and str(path) not in in_use:
                shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            for child in [*self._idle, *self._busy]:
                child.stop()
            self._idle.clear()
            self._busy.clear()
