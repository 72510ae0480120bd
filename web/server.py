"""`communecter serve`: the storekeeper process plus gunicorn workers.

Gunicorn runs several worker processes (threads inside each) so that both cores serve
requests; they share one store through the storekeeper (store/keeper.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication

from web.settings import Settings
from web.stores import KEEPER_ENV, keeper_authkey, keeper_socket, keeper_workdir


def keeper_main() -> None:
    """The storekeeper process (started by `serve` as `python -m web.server`)."""
    from store import open_store
    from store.keeper import serve_store

    settings = Settings.from_env()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
    store = open_store(settings.store, settings.data_dir, settings.sparql_query_url,
                       settings.sparql_update_url, settings.sparql_auth)
    serve_store(store, str(keeper_socket(settings)), keeper_authkey(settings),
                keeper_workdir(settings))


def start_keeper(settings: Settings) -> subprocess.Popen:
    """Starts the storekeeper as a plain child process (not multiprocessing: gunicorn's
    forked workers would otherwise inherit it as a child they try to join)."""
    socket = keeper_socket(settings)
    socket.unlink(missing_ok=True)
    keeper_authkey(settings)
    process = subprocess.Popen([sys.executable, "-m", "web.server"],
                               env={**os.environ, **settings.as_env()})
    deadline = time.monotonic() + 120
    while not socket.exists():
        if process.poll() is not None:
            raise SystemExit("the storekeeper stopped while opening the store (is another "
                             "server using this data directory?)")
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the storekeeper did not start within 120 s")
        time.sleep(0.05)
    return process


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web.app import create_app

        return create_app()


def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    _refuse_taken_port(host, port)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.ensure_secret_key()
    except OSError as error:
        raise SystemExit(f"cannot use the data directory {settings.data_dir}: "
                         f"{error.strerror or error}") from None
    os.environ.update(settings.as_env())
    keeper = start_keeper(settings)
    os.environ[KEEPER_ENV] = str(keeper_socket(settings))
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 3,
        "keepalive": 5,
        # SPARQL query tools put queries of several kilobytes in the URL: allow the
        # largest request line gunicorn bounds (longer ones get a 414: POST them instead)
        "limit_request_line": 8190,
        # each worker listens on the port itself and the kernel spreads new connections
        # evenly; sharing one socket, the quickest worker took most of a burst of
        # kept-alive clients and another sometimes none (measured under the benchmark)
        "reuse_port": port != 0,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "communecter",
    }
    print(f"Communecter on {settings.base_url} (listening on {host}:{port}, "
          f"{workers} workers × {threads} threads, store: {settings.store})", flush=True)
    master = os.getpid()
    try:
        _Gunicorn(options).run()
    finally:
        if os.getpid() == master:  # forked workers unwind through here too
            _stop_keeper(keeper, settings)


def _refuse_taken_port(host: str, port: int) -> None:
    """Workers bind with SO_REUSEPORT, which would let a second server on the same port
    start and silently take part of the traffic: refuse to start when something listens."""
    if port == 0:
        return
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as gunicorn binds
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            probe.bind((host.strip("[]"), port))
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _stop_keeper(keeper: subprocess.Popen, settings: Settings) -> None:
    keeper.terminate()
    try:
        keeper.wait(timeout=10)
    except subprocess.TimeoutExpired:
        keeper.kill()
    keeper_socket(settings).unlink(missing_ok=True)


if __name__ == "__main__":
    keeper_main()
