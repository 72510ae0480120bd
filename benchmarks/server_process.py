"""The server under test: `communecter serve` as a child process, and what its processes cost.

CPU time and memory are read from /proc for the whole process tree, split by role (gunicorn
arbiter and workers, storekeeper, query processes), so that a figure measured on a shared
machine can be told apart from a slow server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def server_roles(root: int) -> dict[int, str]:
    """Which server process is which: gunicorn arbiter and workers, storekeeper, query runners.

    `serve` starts the storekeeper (`python -m web.server`), then gunicorn forks its workers;
    the storekeeper starts the killable query runners (multiprocessing, spawn).
    """
    roles = {root: "gunicorn arbiter"}
    tree = process_tree(root)
    parent = {pid: int(f[1]) for pid in tree if (f := _stat(pid))}
    keepers = set()
    for pid in tree:
        text = cmdline(pid)
        if pid == root:
            continue
        if "web.server" in text or (parent.get(pid) == root and "spawn_main" in text):
            roles[pid] = "storekeeper"
            keepers.add(pid)
        elif "resource_tracker" in text:
            roles[pid] = "multiprocessing helper"
        elif "web.cli" in text and parent.get(pid) == root:
            roles[pid] = "gunicorn worker"
    for pid in tree:
        if pid not in roles:
            roles[pid] = "query runner" if parent.get(pid) in keepers else "other"
    return roles


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds used so far by the live processes of the server, summed by role."""
    totals: dict[str, float] = {}
    for pid, role in server_roles(root).items():
        totals[role] = totals.get(role, 0.0) + cpu_seconds([pid])
    return totals


class MemorySampler:
    """Samples the total resident memory of a process tree until stopped."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(memory_kib(pid).get("VmRSS", 0) for pid in process_tree(self.root))
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)


# ---- the server ---------------------------------------------------------------------
class Server:
    """`communecter serve` on a fixed port (the dataset's IRIs are minted for it)."""

    def __init__(self, data_dir: Path, port: int, extra: list[str]) -> None:
        self.data_dir = data_dir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.extra = extra
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / "server.log"

    def start(self, timeout: float = 300) -> float:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"port {self.port} is already in use: stop what listens "
                                 "there or pass --port (the dataset is regenerated for it)")
        command = [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port), "--data",
                   str(self.data_dir), "--base-url", self.base_url, *self.extra]
        began = time.perf_counter()
        log_file = open(self.log_path, "w")  # noqa: SIM115 (the server writes it)
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=log_file,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: {self.log_path.read_text()[-3000:]}")
            try:
                requests.get(self.base_url + "/ns", timeout=2)
                return time.perf_counter() - began
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"the server did not answer within {timeout:.0f} s")

    def settle(self, idle_share: float = 0.1, window: float = 1.0, limit: float = 180) -> float:
        """Seconds until the server idles (below `idle_share` of a core over `window`).

        Each worker reads the territory tree as it starts (seconds of CPU for all of
        France); measuring before that is over would time the start-up, not the requests.
        """
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            before = self.cpu()
            time.sleep(window)
            if self.cpu() - before < idle_share * window:
                break
        return time.perf_counter() - began

    def cli(self, *args: str) -> str:
        command = [sys.executable, "-m", "web.cli", *args, "--data", str(self.data_dir),
                   "--base-url", self.base_url]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"communecter {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
