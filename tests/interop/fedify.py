"""A Fedify peer on loopback: installed with `npm ci` when missing, started, driven, stopped.

    with FedifyPeer() as peer:
        peer.send(inbox_url, {"type": "Create", "object": {...}}, spec="rfc9421")
        peer.wait_for_activity(lambda a: a["type"] == "Create")

The peer (fedify-peer/peer.mjs) is one Person, `peer`, with an RSA and an Ed25519 key,
behaving as a small fediverse server: it accepts every Follow (an Accept goes back), keeps
its followers and whom it follows, serves its outbox, collections and every object it made
(only to signed GETs in secure mode). It logs every request that reaches one of its inboxes
(signature format, Fedify's own verdict on the signature, the status it answered, the raw
JSON), every GET of its documents, and every activity its inbox listener accepted. Its
control API under /_control/ serves those logs and makes it act through Fedify's own
sendActivity: follow, reply, like, announce, undo, join, update, delete, publish to its
followers, move; look up and walk another server's documents as Fedify parses them.
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
        self._fixed_port = port is not None
        self._use_port(port or free_port())
        self._process: subprocess.Popen | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="fedify-peer-")
        self.log_path = Path(self._log_dir.name) / "peer.log"

    def _use_port(self, port: int) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.actor_url = f"{self.base_url}/users/peer"
        self.inbox_url = f"{self.actor_url}/inbox"
        self.shared_inbox_url = f"{self.base_url}/inbox"
        self.key_id = f"{self.actor_url}#main-key"

    # --- life cycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60) -> FedifyPeer:
        """Starts node and waits until *this* process listens (it prints "listening on"):
        the port was free when chosen but node binds it only after generating its keys,
        so another process may have taken it meanwhile; then, unless the port was given,
        the peer starts again on another one."""
        ensure_installed()
        for _attempt in range(1 if self._fixed_port else 4):
            if self._start_once(timeout):
                return self
            self._use_port(free_port())
        raise PeerUnavailable(f"the Fedify peer could not listen:\n{self.log()}")

    def _start_once(self, timeout: float) -> bool:
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            ["node", "peer.mjs", str(self.port)], cwd=PEER_DIR, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        ready = f"listening on {self.base_url}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # RSA-4096 key generation takes seconds
            if self._process.poll() is not None:
                if "EADDRINUSE" in self.log() and not self._fixed_port:
                    return False
                raise PeerUnavailable(f"the Fedify peer exited:\n{self.log()}")
            if ready in self.log():
                try:
                    if requests.get(f"{self.base_url}/.well-known/nodeinfo", timeout=1).ok:
                        return True
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
        """{"activities": accepted activities (each with the `raw` JSON that arrived),
        "requests": every request to an inbox, "errors": what failed in the peer}."""
        return self._control("GET", "inbox")

    def errors(self) -> list[dict]:
        return self.inbox()["errors"]

    def following(self) -> dict[str, dict]:
        """{actor: {"follow": the Follow's id, "state": pending|accepted|rejected}}."""
        return self._control("GET", "following")

    def outbox(self) -> list[dict]:
        """Every activity the peer sent (JSON), oldest first."""
        return self._control("GET", "outbox")

    def activities(self) -> list[dict]:
        return self.inbox()["activities"]

    def requests(self) -> list[dict]:
        return self.inbox()["requests"]

    def followers(self) -> dict[str, str]:
        return self._control("GET", "followers")

    def reset(self) -> None:
        self._control("POST", "reset")

    def refuse(self, *formats: str) -> None:
        """The peer's inboxes answer 401 to deliveries signed in these formats (`CAVAGE`,
        `RFC9421`), as a server knowing only the other one would; `refuse()` ends it."""
        self._control("POST", "refuse", {"formats": list(formats)})

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

    def unfollow(self, actor: str, inbox: str | None = None) -> dict:
        """Undo of the peer's Follow of `actor`."""
        payload = {"actor": actor}
        if inbox is not None:
            payload["inbox"] = inbox
        return self._control("POST", "unfollow", payload)

    def reply(self, in_reply_to: str, content: str, recipient: str,
              to: str | None = None) -> dict:
        """Create(Note inReplyTo) to `recipient` (its inbox looked up unless `to` is given),
        public, cc the recipient and the peer's followers. {"id": activity, "note": note}."""
        return self._control("POST", "reply", _without_none(
            {"inReplyTo": in_reply_to, "content": content, "recipient": recipient, "to": to}))

    def like(self, obj: str, recipient: str, to: str | None = None) -> dict:
        """A Like of `obj`, as Mastodon sends it (no to/cc)."""
        return self._control("POST", "like", _without_none(
            {"object": obj, "recipient": recipient, "to": to}))

    def announce(self, obj: str, recipient: str, to: str | None = None) -> dict:
        """A public Announce of `obj`, cc its author and the peer's followers."""
        return self._control("POST", "announce", _without_none(
            {"object": obj, "recipient": recipient, "to": to}))

    def undo(self, activity_id: str, recipient: str, to: str | None = None) -> dict:
        """Undo of an activity the peer sent (a Like, an Announce…)."""
        return self._control("POST", "undo", _without_none(
            {"activity": activity_id, "recipient": recipient, "to": to}))

    def publish(self, content: str, shared_inbox: bool = True) -> dict:
        """Create(Note) to every follower (one POST per shared inbox unless `shared_inbox`
        is False), through Fedify's sendActivity(…, "followers"). Raises if a delivery
        fails. {"id": activity, "note": note, "followers": [...]}."""
        return self._control("POST", "publish", {"content": content,
                                                 "sharedInbox": shared_inbox})

    def join(self, event: str, recipient: str, to: str | None = None) -> dict:
        """Join of an event, as Mobilizon sends it (the organizer's server Accepts)."""
        return self._control("POST", "join", _without_none(
            {"object": event, "recipient": recipient, "to": to}))

    def leave(self, event: str, recipient: str, to: str | None = None) -> dict:
        return self._control("POST", "leave", _without_none(
            {"object": event, "recipient": recipient, "to": to}))

    def update(self, note: str, content: str, recipient: str, to: str | None = None) -> dict:
        """Update of one of the peer's Notes with new content."""
        return self._control("POST", "update", _without_none(
            {"note": note, "content": content, "recipient": recipient, "to": to}))

    def delete(self, note: str, recipient: str, to: str | None = None) -> dict:
        """Delete of one of the peer's Notes (a Tombstone)."""
        return self._control("POST", "delete", _without_none(
            {"note": note, "recipient": recipient, "to": to}))

    def lookup(self, iri: str, signed: bool = False) -> dict:
        """What Fedify makes of a document: {"found", "type" (Fedify's class), "json",
        "publicKeys" (for actors: [{"id", "owner"}])}; `signed`: fetched with a GET signed
        by the peer (Fedify's authenticated document loader)."""
        return self._control("POST", "lookup", {"iri": iri, "signed": signed})

    def fetches(self) -> list[dict]:
        """Every GET of the peer's documents below its actor (objects, outbox, collections):
        {"path", "format" (signature format or None), "verification", "status"}."""
        return self._control("GET", "fetches")

    def secure(self, on: bool = True) -> None:
        """Secure mode (Mastodon's authorized fetch): the peer serves its objects and outbox
        only to signed GETs whose key Fedify can fetch; its actor stays public."""
        self._control("POST", "secure", {"on": on})

    def collection(self, iri: str, limit: int = 200, signed: bool = False) -> dict:
        """A collection as Fedify walks it: {"found", "type", "totalItems", "items"}, each
        item {"id", "type" (Fedify's class), "object" (its object's id, for activities)}."""
        return self._control("POST", "collection", {"iri": iri, "limit": limit,
                                                    "signed": signed})

    def profile(self, name: str | None = None, aliases: list[str] | None = None,
                tell: bool = False) -> dict:
        """Changes the actor's name or aliases (alsoKnownAs); `tell`: Update{Person} to the
        followers."""
        return self._control("POST", "profile", _without_none(
            {"name": name, "aliases": aliases, "tell": tell}))

    def move(self, target: str) -> dict:
        """The account moved to `target` (which must name it in alsoKnownAs): movedTo is
        set and a Move goes to every follower."""
        return self._control("POST", "move", {"target": target})

    def nodeinfo(self, url: str) -> dict:
        """A server's NodeInfo as Fedify parses it, strictly: {"found", "software",
        "protocols", "openRegistrations", "usage"}."""
        return self._control("POST", "nodeinfo", {"url": url})

    def wait_for_activity(self, predicate: Callable[[dict], bool], timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for activity in self.activities():
                if predicate(activity):
                    return activity
            time.sleep(0.1)
        raise AssertionError(f"no such activity within {timeout} s: {self.inbox()}")

    def wait_for_following(self, actor: str, state: str = "accepted",
                           timeout: float = 20) -> dict:
        """Waits until the peer's Follow of `actor` is in `state` (an Accept arrived)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.following().get(actor)
            if found is not None and found["state"] == state:
                return found
            time.sleep(0.1)
        raise AssertionError(f"the follow of {actor} is not {state} within {timeout} s: "
                             f"{self.following()}\n{self.inbox()}")


def _without_none(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if value is not None}


def webfinger(base_url: str, handle: str, timeout: float = 10) -> str:
    """The actor IRI of `acct:handle` on the server at `base_url`, looked up over http
    (Fedify resolves acct: handles over https only), from the JRD's `self` link."""
    host = base_url.split("://", 1)[1].rstrip("/")
    response = requests.get(f"{base_url}/.well-known/webfinger",
                            params={"resource": f"acct:{handle}@{host}"},
                            headers={"Accept": "application/jrd+json"}, timeout=timeout)
    if response.status_code != 200:
        raise AssertionError(f"WebFinger acct:{handle}@{host}: {response.status_code} "
                             f"{response.text[:500]}")
    for link in response.json().get("links", []):
        kind = link.get("type") or ""
        as2 = "activity+json" in kind or ("ld+json" in kind and "activitystreams" in kind)
        if link.get("rel") == "self" and as2:
            return link["href"]
    raise AssertionError(f"WebFinger acct:{handle}@{host}: no self link in {response.text}")
