"""When to try a delivery again, and when to leave a host alone for a while.

A delivery that failed for a reason that may pass (the peer is down, overloaded, slow, or
answered 401 to both signature formats while it still fetches our key) is retried after
1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then daily, and given up after about a week: what
Mastodon and Takahē do, so that a peer back from a week-end outage still gets its mail.

A host that fails several deliveries in a row is paused as a whole (2 min, 4 min, … up to
6 h): its pending deliveries wait without each knocking on a dead door, and the first
success clears the pause.

`COMMUNECTER_DELIVERY_BACKOFF_SCALE` multiplies every delay and the give-up age (tests
and benchmarks use 0.001 so that a "day" lasts 86 s).
"""

from __future__ import annotations

import os
import random

SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0, 86400.0)
MAX_AGE = 7 * 86400.0
HOST_FAILURES_BEFORE_PAUSE = 3
HOST_PAUSE_FIRST = 120.0
HOST_PAUSE_MAX = 6 * 3600.0
SCALE_ENV = "COMMUNECTER_DELIVERY_BACKOFF_SCALE"


def scale() -> float:
    """The multiplier of every delay (1 unless the environment says otherwise)."""
    raw = os.environ.get(SCALE_ENV, "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def retry_delay(attempts: int, jitter: bool = True) -> float:
    """Seconds before the next try after `attempts` tries (1 = the first one failed)."""
    base = SCHEDULE[min(max(attempts, 1), len(SCHEDULE)) - 1]
    spread = 1.0 + (random.random() * 0.1 if jitter else 0.0)
    return base * spread * scale()


def max_age() -> float:
    """How long a delivery is retried before it fails for good."""
    return MAX_AGE * scale()


def host_pause(consecutive_failures: int) -> float:
    """Seconds a host is left alone after that many failures in a row (0: not paused)."""
    if consecutive_failures < HOST_FAILURES_BEFORE_PAUSE:
        return 0.0
    steps = consecutive_failures - HOST_FAILURES_BEFORE_PAUSE
    return min(HOST_PAUSE_FIRST * 2 ** min(steps, 20), HOST_PAUSE_MAX) * scale()
