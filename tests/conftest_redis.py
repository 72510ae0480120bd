"""The session-wide Redis fixture (loaded from tests/conftest.py's pytest_plugins).

Redis starts on first use only (Debian's `redis-server`, installed by
tests/services/redis_server.py the very first time), on a free loopback port in a temp
dir, and stops at the end of the session. Each test gets its own key prefix, so tests
never see each other's queues. Set COMMUNECTER_NO_REDIS=1 to skip the tests that need it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.services.redis_server import RedisServer, start_redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A running redis-server: `.url(db, prefix)`, `.port`, `.flush()`."""
    if os.environ.get("COMMUNECTER_NO_REDIS"):
        pytest.skip("COMMUNECTER_NO_REDIS is set")
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A queue URL on the session's Redis with a prefix of this test's own."""
    return redis_server.url(prefix=f"test-{uuid.uuid4().hex[:12]}:")
