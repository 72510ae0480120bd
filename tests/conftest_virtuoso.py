"""The session-wide Virtuoso fixture.

Load it with `-p tests.conftest_virtuoso`, or from tests/conftest.py with
`pytest_plugins = ["tests.conftest_virtuoso"]` or `from tests.conftest_virtuoso import
virtuoso`. Virtuoso starts on first use only (about 2-3 s on a fresh database, plus the
Debian install the very first time) and stops at the end of the session.
Set COMMUNECTER_NO_VIRTUOSO=1 to skip the tests that need it instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services.virtuoso import VirtuosoServer, start_virtuoso


@pytest.fixture(scope="session")
def virtuoso() -> Iterator[VirtuosoServer]:
    """A running Virtuoso: `.query_url`, `.update_url`, `.auth` (None) and `.clear()`."""
    if os.environ.get("COMMUNECTER_NO_VIRTUOSO"):
        pytest.skip("COMMUNECTER_NO_VIRTUOSO is set")
    server = start_virtuoso()
    try:
        yield server
    finally:
        server.stop()
