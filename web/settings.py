"""Settings: every one is a flag of the `communecter` command and a COMMUNECTER_* variable.

The names are fixed by DESIGN.md §8 so that operators' scripts stay true.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV_NAMES = {
    "base_url": "COMMUNECTER_BASE_URL",
    "data_dir": "COMMUNECTER_DATA",
    "store": "COMMUNECTER_STORE",
    "sparql_query_url": "COMMUNECTER_SPARQL_QUERY_URL",
    "sparql_update_url": "COMMUNECTER_SPARQL_UPDATE_URL",
    "sparql_auth": "COMMUNECTER_SPARQL_AUTH",
    "queue_url": "COMMUNECTER_QUEUE_URL",
    "smtp_url": "COMMUNECTER_SMTP_URL",
    "allow_private_addresses": "COMMUNECTER_ALLOW_PRIVATE_ADDRESSES",
    "authorized_fetch": "COMMUNECTER_AUTHORIZED_FETCH",
    "secret_key": "COMMUNECTER_SECRET_KEY",
    "max_body_bytes": "COMMUNECTER_MAX_BODY",
    "query_timeout": "COMMUNECTER_QUERY_TIMEOUT",
    "page_size": "COMMUNECTER_PAGE_SIZE",
    "tile_url": "COMMUNECTER_TILE_URL",
}


@dataclass
class Settings:
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = field(default_factory=lambda: Path("./var"))
    store: str = "oxigraph"
    sparql_query_url: str | None = None
    sparql_update_url: str | None = None
    sparql_auth: str | None = None
    queue_url: str | None = None
    smtp_url: str | None = None
    allow_private_addresses: bool = False
    authorized_fetch: bool = False
    secret_key: str | None = None
    max_body_bytes: int = 1_000_000
    query_timeout: float = 10.0
    page_size: int = 500
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.data_dir = Path(self.data_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Environment first, then explicit overrides (command-line flags) on top."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get(ENV_NAMES[item.name])
            if raw not in (None, ""):
                values[item.name] = _convert(item.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def as_env(self) -> dict[str, str]:
        """The settings as environment variables, for the processes `serve` starts."""
        env = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                env[ENV_NAMES[item.name]] = "1" if value is True else "" if value is False else str(
                    value
                )
        return env

    def ensure_secret_key(self) -> str:
        """The session key: configured, or generated once into the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key


def _convert(name: str, raw: str) -> object:
    if name in ("allow_private_addresses", "authorized_fetch"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if name in ("max_body_bytes", "page_size"):
        return int(raw)
    if name == "query_timeout":
        return float(raw)
    return raw
