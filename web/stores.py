"""Which public store a process uses: the storekeeper's when one runs, else its own."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from store import open_store
from store.base import TripleStore
from web.settings import Settings

KEEPER_ENV = "COMMUNECTER_KEEPER_SOCKET"


def keeper_socket(settings: Settings) -> Path:
    return settings.data_dir.resolve() / "store.sock"


def keeper_workdir(settings: Settings) -> Path:
    return settings.data_dir.resolve() / "keeper"


def keeper_authkey(settings: Settings) -> bytes:
    """A per-data-directory key, readable by its owner only, that guards the socket."""
    path = settings.data_dir / "keeper.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def open_public_store(settings: Settings) -> TripleStore:
    """The storekeeper's client inside `serve` workers, the backend itself elsewhere."""
    socket = os.environ.get(KEEPER_ENV)
    if socket:
        from store.keeper import KeeperClient

        return KeeperClient(socket, keeper_authkey(settings), keeper_workdir(settings))
    return open_store(
        settings.store,
        settings.data_dir,
        settings.sparql_query_url,
        settings.sparql_update_url,
        settings.sparql_auth,
    )


def running_keeper(settings: Settings) -> TripleStore | None:
    """A client of the storekeeper of a server already running on this data directory."""
    socket = keeper_socket(settings)
    if not socket.exists():
        return None
    from store.keeper import KeeperClient

    try:
        return KeeperClient(str(socket), keeper_authkey(settings), keeper_workdir(settings))
    except (OSError, EOFError):
        return None
