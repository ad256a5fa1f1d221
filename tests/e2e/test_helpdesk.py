"""Scenario (b): the helpdesk logs in, watches, signs off one item of a user's checklist, and
finds no control that changes anything on any page it can reach, and every URL that changes
something forbidden.

Which URLs change something is not listed here by hand: every URL of the wizard is tried,
so that pages added later are covered too. Only pages that merely read (and answer a POST like
a GET) are named, and the few things the helpdesk may do.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from playwright.sync_api import Page, expect

from tests.e2e.pages import post, url
from wizard.steps import CHECKLIST

pytestmark = pytest.mark.e2e

# What the helpdesk may post: sign off a checklist item or a folder moved through Outlook,
# convert address files (changes nothing), its own session and its own language.
HELPDESK_MAY_POST = {
    "tick", "shared_folders_sign_off", "address_convert", "login", "logout", "language",
}
# Pages that only read; a POST to them is answered like a GET (or refused), never acted on.
READING = {
    "start", "migration", "directory", "directory_import", "directory_users", "directory_groups",
    "step", "job", "checklist", "dashboard", "dashboard_rows", "mailbox_detail",
    "report_users_csv", "report_users_json", "report_folders_csv", "report_folders_json",
    "final_report", "address_map", "address_map_csv", "address_download", "shared_folders",
    "shared_folders_status", "fetch_accounts", "fetch_accounts_rows", "waves", "cutover",
}
# Not the helpdesk's business: a user's own link (it has its own test).
ELSEWHERE = {"signoff"}
# Tables whose rows a refused request may add: sessions and the login throttle.
BOOKKEEPING = {"django_session", "wizard_loginfailure", "wizard_throughputsample"}
PAGES_PER_VIEW = 2  # the crawl opens two users' pages, not every user's (each step, though)


def test_the_helpdesk_watches_signs_off_an_item_and_changes_nothing_else(
    helpdesk_page: Page, demo_migration: int, app_db: sqlite3.Connection
):
    page = helpdesk_page
    page.goto(url("start"))
    expect(page.get_by_role("link", name="New migration")).to_have_count(0)
    page.get_by_role("link", name="Corp: Exchange to Intra2net (demo)").click()
    page.get_by_role("link", name="Copy the mail").click()
    page.get_by_role("link", name="Watch the progress on the dashboard").click()
    expect(page.locator("h1")).to_have_text("Copy dashboard")
    expect(page.locator("table.dash-rows tbody tr")).to_have_count(24)
    expect(page.locator(".dash-controls")).to_have_count(0)

    # Signing off: one item of one user's checklist.
    user_id, name = app_db.execute(
        "SELECT id, display_name FROM wizard_mailboxuser WHERE migration_id = ? AND selected "
        "ORDER BY sam LIMIT 1 OFFSET 5", (demo_migration,)
    ).fetchone()
    page.goto(url("checklist", demo_migration, user_id))
    expect(page.locator("h1")).to_have_text(f"Outlook checklist: {name}")
    page.locator("ol.checklist li").first.get_by_role("button", name="Tick", exact=True).click()
    ticked = page.locator("ol.checklist li.ticked")
    expect(ticked).to_have_count(1)
    expect(ticked).to_contain_text("— helpdesk")
    expect(page.get_by_role("button", name="untick")).to_have_count(0)

    pages = crawl(page, url("migration", demo_migration))
    assert len(pages) > 20, pages

    before = fingerprint(app_db)
    assert try_every_change(page, demo_migration, user_id, app_db) > 40
    assert fingerprint(app_db) == before, "a refused request changed the database"

    # The refusals mean something only if a permitted post gets through the same way.
    key = CHECKLIST[1].key
    assert post(page, url("tick", demo_migration, user_id, key)).status == 302
    assert post(page, url("untick", demo_migration, user_id, key)).status == 403


def crawl(page: Page, start: str) -> list[str]:
    """Every page reachable by links from `start` (two of each view): each answers, and none
    has a control that posts anywhere the helpdesk may not post."""
    seen, queue, problems = set(), [start], []
    per_view: Counter[str] = Counter()
    while queue:
        path = queue.pop(0)
        if path in seen or per_view[_view(path)] >= PAGES_PER_VIEW:
            continue
        seen.add(path)
        per_view[_view(path)] += 1
        response = page.request.get(path)
        if response.status != 200:
            problems.append(f"{path}: {response.status}")
            continue
        if "html" not in response.headers.get("content-type", ""):
            continue  # a CSV or JSON report, a download
        page.goto(path)
        problems += [f"{path}: {control}" for control in changing_controls(page)]
        for href in page.locator("a[href]").evaluate_all("links => links.map(a => a.href)"):
            parts = urlsplit(href)
            here = parts.netloc == urlsplit(page.url).netloc
            if here and _name(parts.path) not in ("logout", "signoff", None):
                queue.append(parts.path)
    assert not problems, "\n".join(problems)
    return sorted(seen)


def changing_controls(page: Page) -> list[str]:
    """Buttons of POST forms that go where the helpdesk may not post, and htmx posts."""
    found = []
    forms = page.locator("form").evaluate_all("""forms => forms
        .filter(f => f.method.toLowerCase() === 'post')
        .map(f => ({action: new URL(f.action, location.href).pathname,
                    buttons: [...f.querySelectorAll('button, input[type=submit]')]
                             .filter(b => !b.disabled && b.type !== 'button')
                             .map(b => b.textContent.trim() || b.value)}))""")
    for form in forms:
        if form["buttons"] and _name(form["action"]) not in HELPDESK_MAY_POST:
            found.append(f"{form['buttons']} posts to {form['action']}")
    htmx = page.locator("[hx-post], [hx-put], [hx-patch], [hx-delete]")
    found += [f"htmx: {html}" for html in htmx.evaluate_all("els => els.map(e => e.outerHTML)")]
    return found


def try_every_change(page: Page, migration_id: int, user_id: int, db) -> int:
    """POST to every URL the helpdesk may not change things through; each must be refused.
    Returns how many were tried."""
    values = _sample_values(migration_id, user_id, db)
    tried, allowed = 0, []
    for name, parameters in _url_names():
        if name in HELPDESK_MAY_POST | READING | ELSEWHERE:
            continue
        kwargs = {parameter: _value(values, name, parameter) for parameter in parameters}
        path = reverse(name, kwargs=kwargs)
        response = post(page, path)
        tried += 1
        if response.status not in (403, 405):
            allowed.append(f"{name} ({path}): {response.status}")
    assert not allowed, (
        "the helpdesk could post to these (a page that only reads belongs in READING):\n"
        + "\n".join(allowed)
    )
    return tried


def _url_names(patterns=None, prefix: str = ""):
    """(name, parameter names) of every named URL of the wizard."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, tuple(pattern.pattern.converters)


def _sample_values(migration_id: int, user_id: int, db) -> dict:
    """A real value for every URL parameter: views check the role before they look anything
    up, but an id that exists keeps a missing row from hiding a missing check."""
    def first(table: str) -> int:
        row = db.execute(f"SELECT min(id) FROM {table}").fetchone()  # noqa: S608
        return row[0] or 1

    return {
        "migration_id": migration_id,
        "user_id": user_id,
        "import_id": first("wizard_directoryimport"),
        "job_id": first("wizard_job"),
        "folder_id": first("wizard_sharedfolder"),
        "grant_id": first("wizard_sharedfoldergrant"),
        "account_id": first("wizard_fetchaccount"),
        "key": "servers",
        ("confirm", "key"): "reception_off",
        ("untick", "key"): CHECKLIST[0].key,
        "role": "source",
        "kind": "preflight",
        "what": "start",
        "token": "x",
    }


def _view(path: str) -> str:
    """The view and its parameters but the ids of rows: "step servers", "checklist"."""
    match = resolve(path)
    named = [str(v) for k, v in sorted(match.kwargs.items()) if not k.endswith("_id")]
    return " ".join([match.url_name, *named])


def _value(values: dict, name: str, parameter: str):
    """The sample value for this URL's parameter; a row id or a word nobody listed yet."""
    for key in ((name, parameter), parameter):
        if key in values:
            return values[key]
    return 1 if parameter.endswith("_id") else "x"


def _name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def fingerprint(db: sqlite3.Connection) -> str:
    """A digest of every row of every table but the bookkeeping ones."""
    digest = hashlib.sha256()
    tables = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) if name not in BOOKKEEPING]
    for table in tables:
        digest.update(table.encode())
        for row in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):  # noqa: S608
            digest.update(repr(row).encode())
    return digest.hexdigest()
