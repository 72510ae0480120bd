"""A throw-away Redis server for the delivery tests and the fan-out benchmark.

Installs Debian's `redis-server` when it is missing (apt-get, as root or with sudo; the
package's own service is not started), then runs `redis-server` in the foreground on a
free loopback port in a temp dir. Without persistence by default; `persistent=True`
keeps an append-only file in that dir, so that stopping and starting it again (same
directory, `restart()`) keeps the queue, as a production Redis would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

START_DEADLINE = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_installed() -> str:
    """The path of redis-server, installing the Debian package if needed."""
    found = shutil.which("redis-server")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = Path("/usr/sbin/policy-rc.d")
    created = False
    if os.geteuid() == 0 and not policy.exists():  # keep the packaged service from starting
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        created = True
    try:
        install = [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                   "redis-server"]
        done = subprocess.run(install, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            subprocess.run([*sudo, "apt-get", "update", "-q"], capture_output=True, env=env,
                           timeout=600)
            done = subprocess.run(install, capture_output=True, text=True, env=env,
                                  timeout=600)
    finally:
        if created:
            policy.unlink(missing_ok=True)
    found = shutil.which("redis-server")
    if not found:
        output = (done.stdout + done.stderr)[-2000:]
        raise RuntimeError(f"could not install redis-server:\n{output}")
    return found


@dataclass
class RedisServer:
    directory: Path
    port: int
    process: subprocess.Popen
    binary: str
    persistent: bool = False

    def url(self, db: int = 0, prefix: str | None = None) -> str:
        suffix = f"?prefix={prefix}" if prefix else ""
        return f"redis://127.0.0.1:{self.port}/{db}{suffix}"

    def flush(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self, remove: bool = True) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_redis(persistent: bool = False, directory: Path | None = None,
                port: int | None = None) -> RedisServer:
    binary = ensure_installed()
    directory = Path(directory or tempfile.mkdtemp(prefix="communecter-redis-"))
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
               "--save", "", "--protected-mode", "yes", "--daemonize", "no",
               "--logfile", str(directory / "redis.log")]
    command += ["--appendonly", "yes", "--appendfsync", "always"] if persistent else [
        "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = directory / "redis.log"
            raise RuntimeError(f"redis-server stopped: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer(directory, port, process, binary, persistent)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start in time")
