"""A Fedify peer on loopback: installed with `npm ci` when missing, started, driven, stopped.

    with FedifyPeer() as peer:
        peer.send(inbox_url, {"type": "Create", "object": {...}}, spec="rfc9421")
        peer.wait_for_activity(lambda a: a["type"] == "Create")

The peer (fedify-peer/peer.mjs) is one Person, `peer`, with an RSA and an Ed25519 key. It
logs every request that reaches one of its inboxes (signature format, Fedify's own verdict
on the signature, the status it answered) and every activity its inbox listener accepted;
its control API under /_control/ serves those logs and makes it sign and send activities.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

PEER_DIR = Path(__file__).resolve().parent / "fedify-peer"
FEDIFY_VERSION = "2.3.6"
CAVAGE = "draft-cavage-http-signatures-12"
RFC9421 = "rfc9421"
DOUBLE_KNOCK = "double-knock"

_install_lock = threading.Lock()


class PeerUnavailable(RuntimeError):
    """Node or npm is missing, or the peer could not be installed or started."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def ensure_installed(timeout: float = 300) -> Path:
    """`npm ci` into fedify-peer/node_modules unless the pinned Fedify is already there."""
    marker = PEER_DIR / "node_modules" / "@fedify" / "fedify" / "package.json"
    with _install_lock:
        if marker.exists() and f'"version": "{FEDIFY_VERSION}"' in marker.read_text():
            return PEER_DIR
        if not node_available():
            raise PeerUnavailable("node and npm are needed for the Fedify peer")
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
        if result.returncode != 0 or not marker.exists():
            raise PeerUnavailable(f"npm ci failed:\n{result.stdout}\n{result.stderr}")
    return PEER_DIR


class FedifyPeer:
    """One running peer on 127.0.0.1:`port`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.actor_url = f"{self.base_url}/users/peer"
        self.inbox_url = f"{self.actor_url}/inbox"
        self.shared_inbox_url = f"{self.base_url}/inbox"
        self.key_id = f"{self.actor_url}#main-key"
        self._process: subprocess.Popen | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="fedify-peer-")
        self.log_path = Path(self._log_dir.name) / "peer.log"

    # --- life cycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60) -> FedifyPeer:
        ensure_installed()
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            ["node", "peer.mjs", str(self.port)], cwd=PEER_DIR, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # RSA-4096 key generation takes seconds
            if self._process.poll() is not None:
                raise PeerUnavailable(f"the Fedify peer exited:\n{self.log()}")
            try:
                if requests.get(f"{self.base_url}/.well-known/nodeinfo", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise PeerUnavailable(f"the Fedify peer did not answer within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self._log_dir.cleanup()

    def __enter__(self) -> FedifyPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    # --- control API ----------------------------------------------------------------------

    def _control(self, method: str, path: str, payload: dict | None = None) -> Any:
        response = requests.request(method, f"{self.base_url}/_control/{path}", json=payload,
                                    timeout=60)
        if not response.ok:
            raise AssertionError(
                f"peer control {path}: {response.status_code} {response.text}\n{self.log()}"
            )
        return response.json()

    def inbox(self) -> dict[str, list[dict]]:
        """{"activities": accepted activities, "requests": every request to an inbox}."""
        return self._control("GET", "inbox")

    def activities(self) -> list[dict]:
        return self.inbox()["activities"]

    def requests(self) -> list[dict]:
        return self.inbox()["requests"]

    def followers(self) -> dict[str, str]:
        return self._control("GET", "followers")

    def reset(self) -> None:
        self._control("POST", "reset")

    def send(self, to: str, activity: dict, spec: str = DOUBLE_KNOCK,
             recipient: str | None = None) -> dict:
        """Have the peer sign `activity` (its actor, id and context filled in) and POST it
        to the inbox `to`: with one format (`CAVAGE`, `RFC9421`: Fedify's signRequest,
        one attempt, the answer's status returned) or as Fedify delivers (`DOUBLE_KNOCK`:
        RFC 9421 first, draft-cavage after a 4xx)."""
        payload = {"to": to, "activity": activity, "spec": spec}
        if recipient is not None:
            payload["recipient"] = recipient
        return self._control("POST", "send", payload)

    def follow(self, actor: str, inbox: str | None = None) -> dict:
        """The peer follows `actor` (its inbox looked up from the actor document if not given)."""
        payload = {"actor": actor}
        if inbox is not None:
            payload["inbox"] = inbox
        return self._control("POST", "follow", payload)

    def wait_for_activity(self, predicate: Callable[[dict], bool], timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for activity in self.activities():
                if predicate(activity):
                    return activity
            time.sleep(0.1)
        raise AssertionError(f"no such activity within {timeout} s: {self.inbox()}")
