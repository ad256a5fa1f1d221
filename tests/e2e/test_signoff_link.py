"""Scenario (c): a user opens the sign-off link the demo printed, ticks their own items, and
can reach nobody else's list: not through the staff pages, not with a link altered to name
somebody else."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from demo.site import Site
from tests.e2e.pages import post, url
from wizard.steps import CHECKLIST

pytestmark = pytest.mark.e2e


def test_a_user_ticks_their_own_items_and_reaches_nobody_elses(
    page: Page, site: Site, app_db: sqlite3.Connection, demo_migration: int
):
    users = app_db.execute(
        "SELECT id, display_name, primary_address, language FROM wizard_mailboxuser "
        "WHERE migration_id = ? AND selected ORDER BY sam", (demo_migration,)
    ).fetchall()
    links = site.credentials["signoff_links"]
    assert len(links) == len(users) == 24
    # Mine: the first link (they are ordered by account name) whose user reads English;
    # somebody else's: the next.
    me = next(n for n, (*_, language) in enumerate(users) if language == "en")
    (my_id, my_name, *_), (their_id, their_name, *_) = users[me], users[me + 1]

    page.goto(links[me])
    expect(page.locator("h1")).to_have_text("Your move to the new mail server")
    expect(page.locator("p.lead")).to_contain_text(f"Hello {my_name}")
    text = page.locator("main").inner_text()
    for user_id, name, address, _ in users:
        if user_id != my_id:
            assert name not in text and address not in text, name
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.pathname)")
    assert set(hrefs) <= {url("start")}, hrefs  # the header's link leads to the login

    for number, entry in enumerate(CHECKLIST[:3], start=1):
        page.get_by_role("button", name="Done", exact=True).first.click()
        expect(page.locator("ol.checklist li.ticked")).to_have_count(number)
        expect(page.locator("ol.checklist li.ticked").last).to_contain_text(str(entry.text))
    expect(page.locator("ol.checklist li.ticked").first).to_contain_text(
        f"{my_name} (own sign-off link)"
    )
    assert ticks(app_db, my_id) == [(entry.key, 1) for entry in CHECKLIST[:3]]

    # Somebody else's list, through the staff pages: the login page, and nothing ticked.
    for path in (url("checklist", demo_migration, their_id), url("dashboard", demo_migration),
                 url("mailbox_detail", demo_migration, their_id)):
        page.goto(path)
        expect(page.locator("h1")).to_have_text("Log in")
    response = post(page, url("tick", demo_migration, their_id, CHECKLIST[0].key))
    assert response.status == 302 and response.headers["location"].startswith(url("login"))

    # My link altered to name them: refused, whether opened or posted to.
    token = links[me].rstrip("/").rsplit("/", 1)[1]
    for forged in (names(token, their_id), token[:-2] + ("AA" if token[-2:] != "AA" else "BB")):
        response = page.goto(url("signoff", forged))
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("This sign-off link is not valid.")
        expect(page.locator("main")).not_to_contain_text(their_name)
        assert post(page, url("signoff", forged), {"key": CHECKLIST[0].key}).status == 403
    assert ticks(app_db, their_id) == []


def names(token: str, user_id: int) -> str:
    """The token with another user's id in it and its signature left as it was."""
    payload = json.dumps({"u": user_id}, separators=(",", ":")).encode()
    _, timestamp, signature = token.split(":")
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{encoded}:{timestamp}:{signature}"


def ticks(db: sqlite3.Connection, user_id: int) -> list[tuple[str, int]]:
    return db.execute(
        "SELECT key, by_link FROM wizard_checklisttick WHERE mailbox_user_id = ? ORDER BY id",
        (user_id,),
    ).fetchall()
