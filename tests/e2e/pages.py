"""What the end-to-end tests do in a page, in the words of the wizard: log in, create a
migration and point it at the sandbox, open a step, press a step's button, post as a form
would, keep a screenshot."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import APIResponse, Page, expect

from demo.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
LATEST_SCREENSHOTS = ROOT / "var" / "screenshots"


def url(name: str, *args) -> str:
    """The path of a view (the tests run the same code as the site)."""
    return reverse(name, args=args)


def log_in(page: Page, login: dict) -> None:
    page.goto(url("login"))
    page.locator("#id_username").fill(login["username"])
    page.locator("#id_password").fill(login["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(login["username"])


def create_migration(page: Page, name: str, mode: str) -> int:
    """A new migration through the start page; returns its id."""
    page.goto(url("start"))
    page.get_by_role("link", name="New migration").click()
    page.locator("#id_name").fill(name)
    page.locator(f"input[name='mode'][value='{mode}']").check()
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text(name)
    return int(re.search(r"/migrations/(\d+)/", page.url).group(1))


def enter_the_servers(page: Page, migration_id: int, sandbox: Sandbox) -> None:
    """Step 1's two IMAP forms, the administrator acting for the users as a master user."""
    open_step(page, migration_id, "servers")
    servers = sandbox.describe()
    for prefix in ("source", "target"):
        server = servers[prefix]
        form = page.locator(f"form[action$='/servers/{prefix}/']")
        form.locator(f"#id_{prefix}-host").fill(server["host"])
        form.locator(f"#id_{prefix}-port").fill(str(server["port"]))
        form.locator(f"input[name='{prefix}-security'][value='plain']").check()
        form.locator(f"input[name='{prefix}-login_mode'][value='admin_master']").check()
        form.locator(f"#id_{prefix}-admin_user").fill(server["admin_user"])
        form.locator(f"#id_{prefix}-admin_password").fill(server["admin_password"])
        form.get_by_role("button", name="Save").click()
        expect(page.locator(f"#id_{prefix}-host")).to_have_value(server["host"])


def connect_the_directory(page: Page, migration_id: int, sandbox: Sandbox) -> None:
    """The directory connection over LDAPS, its certificate checked against the sandbox's CA."""
    open_step(page, migration_id, "servers")
    page.get_by_role("link", name="The directory connection and import").click()
    page.get_by_role("link", name="Set up the connection").click()
    directory = sandbox.directory
    page.locator("#id_url").fill(directory.ldaps_url)
    page.locator("#id_tls_name").fill(directory.tls_name)
    page.locator("#id_ca_certificate").fill(directory.ca_file.read_text())
    page.locator("#id_bind_user").fill(directory.admin_bind)
    page.locator("#id_bind_password").fill(directory.admin_password)
    page.locator("#id_base_dn").fill(directory.base_dn)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.ok")).to_contain_text("Bound as Administrator@corp.example.test")


def import_directory(page: Page, migration_id: int) -> None:
    page.goto(url("directory", migration_id))
    page.get_by_role("button", name="Import now").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text("Done:", timeout=60_000)
    expect(status).to_contain_text("27 users, 7 groups, 2 contacts")


def open_step(page: Page, migration_id: int, key: str) -> None:
    page.goto(url("step", migration_id, key))


def set_step(page: Page, migration_id: int, key: str, button: str = "Mark done") -> None:
    """Press one of the step page's status buttons and see the step's badge follow."""
    open_step(page, migration_id, key)
    page.locator("form[action$='/status/']").get_by_role("button", name=button).click()
    badge = {"Mark done": "Done", "Skip": "Skipped", "Start": "In progress"}[button]
    expect(page.locator("h1 .badge")).to_have_text(badge)


def confirm_all(page: Page, migration_id: int, key: str) -> None:
    """Press every "Confirm" of a step (each reloads the page)."""
    open_step(page, migration_id, key)
    confirm = page.locator("ul.confirmations").get_by_role("button", name="Confirm")
    while confirm.count():
        confirm.first.click()
        page.wait_for_load_state()
    expect(page.locator("h1 .badge")).to_have_text("Done")


def csrf_token(page: Page) -> str:
    cookies = page.context.cookies()
    return next(cookie["value"] for cookie in cookies if cookie["name"] == "csrftoken")


def post(page: Page, path: str, data: dict | None = None) -> APIResponse:
    """A POST with the page's session and CSRF token, as one of its forms would send it;
    redirects are not followed, so the answer is the view's own."""
    return page.request.post(
        path, form=data or {}, headers={"X-CSRFToken": csrf_token(page)}, max_redirects=0
    )


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of the page as var/screenshots/NAME.png, and as the README's
    docs/screenshots/NAME.png when that is missing or UPDATE_SCREENSHOTS=1 is set: every run
    shows other times and dates, and committed pictures should change only when asked to."""
    LATEST_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    latest = LATEST_SCREENSHOTS / f"{name}.png"
    page.screenshot(path=latest)
    committed = SCREENSHOTS / latest.name
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not committed.exists():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(latest, committed)
    return latest
