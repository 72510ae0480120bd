"""Debian's Chromium for browser tests: installed with apt when missing, never downloaded
by Playwright (that needs the internet)."""

from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]


def ensure_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        if shutil.which("apt-get") is None:
            raise RuntimeError("Chromium is missing and apt-get is not available")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       timeout=1200)
    return CHROMIUM
