"""The end-to-end tests' world: `make demo`'s sandbox and site (demo/), started once for this
folder's tests, and Debian's Chromium driven by Playwright.

The site is the real thing: gunicorn and a Celery worker in processes of their own, on a
SQLite file and a Redis of their own, configured by demo/configure.py exactly as `make demo`
is (a migration pointed at the sandbox, the directory imported). The tests read that database
only to check what the pages say, never to set anything up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from demo.sandbox import Sandbox, start_sandbox
from demo.site import Site, start_site
from tests.e2e.pages import log_in
from tests.servers.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and no calls home: the machines have no internet.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("demo-sandbox")) as running:
        yield running


@pytest.fixture(scope="package")
def site(sandbox, tmp_path_factory) -> Iterator[Site]:
    with start_site(tmp_path_factory.mktemp("demo-site"), sandbox, port=free_port()) as running:
        yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-debs.sh as root")
    # Package scope: Playwright's event loop must be gone before other tests use the ORM.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, site) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) on the site."""
    fresh = browser.new_context(viewport=VIEWPORT, base_url=site.url, locale="en-GB")
    fresh.set_default_timeout(15_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


@pytest.fixture
def admin_page(page, site) -> Page:
    log_in(page, site.credentials["admin"])
    return page


@pytest.fixture
def helpdesk_page(page, site) -> Page:
    log_in(page, site.credentials["helpdesk"])
    return page


@pytest.fixture
def app_db(site) -> Iterator[sqlite3.Connection]:
    """The site's database, read-only."""
    connection = sqlite3.connect(f"file:{site.database}?mode=ro", uri=True, timeout=20)
    yield connection
    connection.close()


@pytest.fixture
def demo_migration(app_db) -> int:
    """The migration demo/configure.py set up (servers, directory, imported users)."""
    (migration_id,) = app_db.execute(
        "SELECT id FROM wizard_migration ORDER BY id LIMIT 1"
    ).fetchone()
    return migration_id
