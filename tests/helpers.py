"""Small helpers for tests that wait on real servers and workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    """Call probe until it returns something truthy, and return that; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {probe}")
        time.sleep(interval)


def database_url() -> str:
    """DATABASE_URL of the test database, for a worker or server started as a subprocess."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
