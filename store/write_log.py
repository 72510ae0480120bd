"""Which graphs each write generation changed, in a file the storekeeper appends to.

A worker's checkpoint is stale as a whole after any write, but a write changes a handful of
graphs: knowing which lets the worker keep answering questions about all the others from
its checkpoint (and keep its cached graphs) while writes stream in. The keeper appends a
write's graphs *before* it bumps the generation, so a worker that has seen generation g
and then read the log to its end knows every graph written up to g (and maybe a few of
g + 1, which only makes it ask the keeper once more).

The file is started afresh with the keeper and rotated when large. Each file opens with the
first generation it holds: a reader finishes its old file before it opens the new one, and
if it missed a whole file (rotated twice between two reads) it no longer vouches for any
generation before that first one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

ROTATE_BYTES = 64 << 20


class WriteLogWriter:
    """The keeper's side (`KeptStore._bump` calls it under the generation lock)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        path.unlink(missing_ok=True)
        self._file = open(path, "ab")  # noqa: SIM115 (kept open)
        self._file.write(b"from\t1\n")

    def record(self, generation: int, graphs: Iterable[str]) -> None:
        lines = "".join(f"{generation}\t{iri}\n" for iri in graphs)
        self._file.write(lines.encode())
        self._file.flush()
        if self._file.tell() > ROTATE_BYTES:
            self._file.close()
            os.replace(self._path, self._path.with_suffix(".old"))
            self._file = open(self._path, "ab")  # noqa: SIM115 (kept open)
            self._file.write(f"from\t{generation + 1}\n".encode())


class WriteLogReader:
    """A worker's side: the last generation at which each graph was written."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = open(path, "rb")  # noqa: SIM115 (kept open)
        self._partial = b""
        self._written: dict[str, int] = {}
        self._floor = 0
        self._last = 0  # the newest generation read
        self._lock = threading.Lock()

    def sync(self) -> None:
        """Reads what was appended since the last call."""
        with self._lock:
            self._read_to_end()
            if os.stat(self._path).st_ino != os.fstat(self._file.fileno()).st_ino:
                self._read_to_end()  # the rest of the rotated file, then the new one
                self._file.close()
                self._file = open(self._path, "rb")  # noqa: SIM115 (kept open)
                self._partial = b""
                self._read_to_end()

    def _read_to_end(self) -> None:
        data = self._partial + self._file.read()
        complete, _, self._partial = data.rpartition(b"\n")
        for line in complete.split(b"\n") if complete else ():
            generation, _, iri = line.decode().partition("\t")
            if generation == "from":  # a file's first line: the first generation it holds
                first = int(iri)
                if first > self._last + 1:  # a file was missed: nothing known before it
                    self._floor = max(self._floor, first - 1)
                self._last = max(self._last, first - 1)
                continue
            self._written[iri] = int(generation)
            self._last = max(self._last, int(generation))

    def unchanged_since(self, iri: str, generation: int) -> bool:
        """Whether no write touched `iri` after `generation` (call `sync` first). Before
        the floor nothing is known any more: the answer is then no."""
        return generation >= self._floor and self._written.get(iri, 0) <= generation

    def forget_until(self, generation: int) -> None:
        """Drops what a checkpoint of `generation` already holds; it becomes the floor."""
        with self._lock:
            self._written = {i: g for i, g in self._written.items() if g > generation}
            self._floor = max(self._floor, generation)
