"""Scenario (a): the admin walks an offline migration in the browser, from entering the servers
to the final report, against the sandbox organisation (24 people who move, one who left)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from demo import organisation
from demo.sandbox import Sandbox
from tests.e2e.conftest import VIEWPORT
from tests.e2e.pages import (
    confirm_all,
    connect_the_directory,
    create_migration,
    enter_the_servers,
    import_directory,
    open_step,
    post,
    screenshot,
    set_step,
    url,
)
from wizard.steps import CHECKLIST

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MOVING = len(organisation.MOVING)
COPY_TIMEOUT = 300_000  # ms; the copy takes well under a minute here


def test_the_admin_walks_an_offline_migration_from_the_servers_to_the_final_report(
    admin_page: Page, browser: Browser, sandbox: Sandbox
):
    page = admin_page
    migration_id = create_migration(page, "Corp offline (browser)", "offline")
    enter_the_servers(page, migration_id, sandbox)
    connect_the_directory(page, migration_id, sandbox)
    run_the_preflight_checks(page, migration_id)
    import_the_directory(page, migration_id)
    for key in ("freeze", "backup"):
        confirm_all(page, migration_id, key)
    check_every_mailbox(page, migration_id)
    copy_and_watch_the_dashboard(page, migration_id)
    tick_every_checklist(page, browser, migration_id)
    copy_the_public_folders(page, migration_id)
    switch_exchange_off_and_check_the_mail_flow(page, migration_id, sandbox)
    read_the_final_report(page, migration_id)
    the_mail_is_on_the_intra2net_server(sandbox)


def run_the_preflight_checks(page: Page, migration_id: int) -> None:
    open_step(page, migration_id, "servers")
    page.get_by_role("button", name="Run the preflight checks").click()
    job = page.locator(".job")
    expect(job).to_contain_text("done", timeout=60_000)
    checks = job.locator("table.checks tr")
    assert checks.count() >= 5
    assert job.locator("tr.fail").count() == 0, job.inner_text()
    expect(job).to_contain_text("Directory: bind")
    set_step(page, migration_id, "servers")


def import_the_directory(page: Page, migration_id: int) -> None:
    import_directory(page, migration_id)
    page.goto(url("directory_users", migration_id) + "?show=disabled")
    gone = page.locator("tbody tr", has_text="peter.altmann")
    expect(gone).to_contain_text("disabled")
    expect(gone.locator("td").nth(6)).to_have_text("no")  # does not move
    page.goto(url("directory_users", migration_id) + "?q=anna.schmidt")
    expect(page.locator("tbody tr").first).to_contain_text("Alle, Vertrieb, Vertrieb München")

    page.goto(url("directory", migration_id))
    page.get_by_role("button", name="Check the accounts on the Intra2net server").click()
    for _ in range(60):  # the worker logs into the target for each user
        page.goto(url("directory", migration_id))
        if f"{MOVING} accounts present" in page.locator("main").inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.locator("main")).to_contain_text(f"{MOVING} accounts present, 0 missing")
    set_step(page, migration_id, "accounts")
    set_step(page, migration_id, "aliases")


def check_every_mailbox(page: Page, migration_id: int) -> None:
    open_step(page, migration_id, "imap")
    page.get_by_role("button", name="Check every mailbox").click()
    expect(page.locator(".job")).to_contain_text("done", timeout=60_000)
    page.reload()
    expect(page.locator("main")).to_contain_text(f"{MOVING} of {MOVING} checked")
    rows = page.locator("section:has(h2:text-is('Mailboxes')) tbody tr")
    expect(rows).to_have_count(MOVING)
    expect(rows.filter(has_text="opens")).to_have_count(MOVING)
    screenshot(page, "wizard-step-imap")
    set_step(page, migration_id, "imap")


def copy_and_watch_the_dashboard(page: Page, migration_id: int) -> None:
    open_step(page, migration_id, "copy")
    page.get_by_role("button", name="Start the copy").click()
    page.get_by_role("link", name="Watch the progress on the dashboard").click()
    rows = page.locator("table.dash-rows tbody tr")
    expect(rows).to_have_count(MOVING)
    # The picture is taken while the copy runs, if it is slow enough to be caught at that
    # (htmx swaps the live part every few seconds, so this loop reads fresh numbers).
    done = rows.locator(".badge.done")
    pictured = False
    for _ in range(60):
        if 0 < done.count() < MOVING:
            screenshot(page, "dashboard")
            pictured = True
            break
        page.wait_for_timeout(500)
    totals = page.locator("section.totals")
    expect(totals).to_contain_text("100 %", timeout=COPY_TIMEOUT)
    expect(done).to_have_count(MOVING, timeout=COPY_TIMEOUT)
    for row in rows.all():
        expect(row.locator("progress")).to_have_attribute("value", "100")
    expect(page.locator("section.totals .figure.fail")).to_have_count(0)  # no errors
    if not pictured:
        screenshot(page, "dashboard")
    set_step(page, migration_id, "copy")


def tick_every_checklist(page: Page, browser: Browser, migration_id: int) -> None:
    open_step(page, migration_id, "checklists")
    users = page.locator("main table tbody tr")
    expect(users).to_have_count(MOVING)
    links = [link.get_attribute("href") for link in users.locator("a").all()]

    # The first user's list at their PC, item by item.
    page.goto(links[0])
    for number in range(len(CHECKLIST)):
        page.locator("ol.checklist").get_by_role("button", name="Tick", exact=True).first.click()
        expect(page.locator("ol.checklist li.ticked")).to_have_count(number + 1)
        if number == 3:
            screenshot(page, "checklist")
    expect(page.locator("p.lead")).to_contain_text(f"{len(CHECKLIST)} of {len(CHECKLIST)} done")

    # The second user ticks their own, through the link the checklist page gives; it opens in
    # the language the page names (most of Corp read German).
    page.goto(links[1])
    link = page.locator("input[readonly]").input_value()
    german = "It opens in German." in page.locator("main").inner_text()
    done = "Erledigt" if german else "Done"
    own_link = "persönlicher Abnahme-Link" if german else "own sign-off link"
    own = browser.new_context(viewport=VIEWPORT)
    try:
        mine = own.new_page()
        mine.goto(link)
        for number in range(len(CHECKLIST)):
            mine.get_by_role("button", name=done, exact=True).first.click()
            expect(mine.locator("ol.checklist li.ticked")).to_have_count(number + 1)
            if number == 1:
                screenshot(mine, "signoff")
        expect(mine.locator("ol.checklist")).to_contain_text(own_link)
    finally:
        own.close()

    # Everybody else's: the same forms, posted (clicking 150 buttons would only take longer).
    for href in links[2:]:
        user_id = int(re.search(r"/users/(\d+)/", href).group(1))
        for entry in CHECKLIST:
            response = post(page, url("tick", migration_id, user_id, entry.key))
            assert response.status == 302, response.text()[:500]
    open_step(page, migration_id, "checklists")
    expect(users.filter(has_text=f"{len(CHECKLIST)} of {len(CHECKLIST)}")).to_have_count(MOVING)
    set_step(page, migration_id, "checklists")


def copy_the_public_folders(page: Page, migration_id: int) -> None:
    page.goto(url("shared_folders", migration_id))
    page.get_by_role("button", name="Look for public folders on Exchange").click()
    table = page.locator("section:has(h2:text-is('Folders on Exchange')) tbody")
    for _ in range(60):
        if table.count() and table.locator("input[type=checkbox]").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    boxes = table.locator("input[type=checkbox]")
    expect(boxes).to_have_count(len(organisation.PUBLIC_FOLDERS))
    for box in boxes.all():
        box.check()
    page.get_by_role("button", name="Save the choice").click()
    copy = page.get_by_role("button", name=re.compile(r"^Copy the \d+ chosen folders"))
    expect(copy).to_have_text(f"Copy the {len(organisation.PUBLIC_FOLDERS)} chosen folders")
    copy.click()
    status = page.locator("#shared-folder-status")
    expect(status.locator(".badge")).to_have_text("Done", timeout=60_000)
    chosen = len(organisation.PUBLIC_FOLDERS)
    expect(status).to_contain_text(f"{chosen} of {chosen} chosen folders copied and verified")
    set_step(page, migration_id, "shared_folders")


def switch_exchange_off_and_check_the_mail_flow(
    page: Page, migration_id: int, sandbox: Sandbox
) -> None:
    confirm_all(page, migration_id, "exchange_off")
    open_step(page, migration_id, "mail_flow")
    page.get_by_label("Intra2net server's SMTP address").fill(sandbox.smtp.host)
    page.get_by_label("SMTP port").fill(str(sandbox.smtp.port))
    page.locator("form[action$='/mail-flow/']").get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Check the mail flow").click()
    job = page.locator(".job")
    expect(job).to_contain_text("done", timeout=60_000)
    assert job.locator("tr.fail").count() == 0, job.inner_text()
    set_step(page, migration_id, "mail_flow")


def read_the_final_report(page: Page, migration_id: int) -> None:
    page.goto(url("migration", migration_id))
    expect(page.locator("ol.steps li.step.done")).not_to_have_count(0)
    expect(page.locator("ol.steps li.step:not(.done):not(.skipped)")).to_have_count(0)
    page.goto(url("dashboard", migration_id))
    page.get_by_role("link", name="Final report").click()
    report = page.locator("article.final-report")
    expect(report.locator("h1")).to_have_text("Final report: Corp offline (browser)")
    expect(report).to_contain_text(f"{MOVING} users: {MOVING} done")
    expect(report).to_contain_text("Exchange is switched off for good.")
    expect(report).to_contain_text("started the copy")


def the_mail_is_on_the_intra2net_server(sandbox: Sandbox) -> None:
    """Every message of every mail folder on Exchange is on the Intra2net server; calendars,
    contacts and tasks stayed behind. (Counted on both servers: another scenario may have
    added mail to the sandbox.)"""
    for person in organisation.MOVING:
        on_exchange = message_counts(sandbox.source, person.upn)
        on_intra2net = message_counts(sandbox.target, person.sam)
        mail = {name: n for name, n in on_exchange.items()
                if name not in organisation.NON_MAIL_ITEMS}
        assert sum(on_intra2net.values()) == sum(mail.values()) > 0, (person.sam, on_intra2net)
        assert not [name for name in on_intra2net if "Calendar" in name or "Contacts" in name]
    anna = message_counts(sandbox.target, "anna.schmidt")
    assert {"INBOX.Kunden.Müller & Söhne", "INBOX.Sent", "INBOX.Archive.2023"} <= set(anna)


def message_counts(server, user: str) -> dict[str, int]:
    """Messages per selectable folder of the user's own mailbox."""
    client = server.connect(user)
    try:
        folders = [name for flags, _, name in client.list_folders()
                   if b"\\Noselect" not in flags and not name.startswith("Public Folders")]
        return {name: client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] for name in folders}
    finally:
        client.logout()
