"""Scenario (d): a migration during operation. Two engineers form a wave
(one dragged onto it, the other put there with the list and the save button that work without
JavaScript), the wave is pre-staged while they work, mail
that reaches Exchange afterwards comes over with a delta copy, and one of them is cut over in
the order that loses nothing: a last delta, Outlook closed, the routing switch, the final
delta (which brings the mail that arrived just before the switch), verification, and then
the user's Outlook checklist."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from demo import organisation
from demo.sandbox import Sandbox
from tests.e2e.pages import (
    confirm_all,
    connect_the_directory,
    create_migration,
    enter_the_servers,
    import_directory,
    screenshot,
    set_step,
    url,
)
from tests.servers.mail import make_message

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WAVE = "Technik, erste Welle"
# Not the people whose pages the offline scenario pictures: the two share the Intra2net server.
DRAGGED, CHOSEN = organisation.BY_SAM["bjoern.nielsen"], organisation.BY_SAM["eva.lindqvist"]
COPY_SECONDS = 120


def test_a_wave_is_prestaged_kept_in_sync_by_a_delta_and_cut_over(
    admin_page: Page, sandbox: Sandbox
):
    page = admin_page
    migration_id = create_migration(page, "Corp during operation (browser)", "during_operation")
    enter_the_servers(page, migration_id, sandbox)
    connect_the_directory(page, migration_id, sandbox)
    set_step(page, migration_id, "servers")
    import_directory(page, migration_id)
    confirm_all(page, migration_id, "routing")

    page.goto(url("migration", migration_id))
    page.get_by_role("link", name="Waves and cutovers").click()
    page.get_by_label("Name of the new wave").fill(WAVE)
    page.get_by_role("button", name="Add a wave").click()
    column = page.locator(".wave-column", has=page.locator("h3", has_text=WAVE))
    # Held by its edge (the middle is its list of waves), dropped on the wave's heading: both
    # in view, so that nothing scrolls while the mouse button is down.
    someone(page.locator(".wave-column").first, DRAGGED).drag_to(
        column.locator("h3"), source_position={"x": 3, "y": 3}
    )
    expect(someone(column, DRAGGED)).to_be_visible()  # the drop saved it: see the reload
    page.reload()
    expect(someone(column, DRAGGED)).to_be_visible()
    someone(page.locator("#wave-board"), CHOSEN).locator("select").select_option(label=WAVE)
    page.get_by_role("button", name="Save the waves").click()
    expect(column.locator("li[data-user]")).to_have_count(2)

    # The pre-stage, while both go on working on Exchange.
    row = page.locator(f"section:has(h2:text-is('The waves')) tr:has(input[value='{WAVE}'])")
    row.get_by_role("button", name="Pre-stage").click()
    row = reload_until(page, row, "In sync: 2")

    # New mail on Exchange; the wave's delta copy brings it over.
    first = deliver(sandbox, DRAGGED, "Neue Bestellung während der Migration")
    row.get_by_role("button", name="Delta", exact=True).click()
    someone(column, DRAGGED).get_by_role("link").click()
    runs = page.locator("section:has(h2:text-is('Copies')) tbody tr")
    reload_until(page, runs.first, re.compile(r"Delta\s+.*Done\s+1\b"))
    assert arrived(sandbox, DRAGGED, first)

    # The cutover, item by item, once the delta's copy has finished verifying.
    start = page.get_by_role("button", name="Start the cutover")
    for _ in range(COPY_SECONDS * 2):
        if start.is_enabled():
            break
        page.wait_for_timeout(500)
        page.reload()
    start.click()
    items = page.locator("ol.cutover > li")
    reload_until(page, items.nth(0), "✔")  # the last delta
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(items.nth(1)).to_contain_text("✔")
    second = deliver(sandbox, DRAGGED, "Rückruf bitte noch vor der Umstellung")
    page.get_by_role("button", name="Done: the addresses are added").click()
    reload_until(page, items.nth(4), "✔")  # the final delta, then the verification
    # Verified without a problem, the cutover finishes by itself: the checklist is next.
    reload_until(page, page.locator("h1 .badge").first, "Checklist")
    screenshot(page, "cutover")
    assert arrived(sandbox, DRAGGED, second)
    final = runs.filter(has_text="Final delta")
    expect(final).to_contain_text("Done")
    expect(final.locator("td.number")).to_have_text("1")

    page.goto(url("waves", migration_id))
    expect(someone(column, DRAGGED).locator(".badge").first).to_have_text("Checklist")
    expect(someone(column, CHOSEN).locator(".badge").first).to_contain_text("In sync")


def someone(area: Locator, person: organisation.Person) -> Locator:
    return area.locator("li[data-user]", has_text=person.display_name)


def reload_until(page: Page, locator: Locator, text, seconds: int = COPY_SECONDS) -> Locator:
    """The copies run in the worker; these pages show their outcome on the next load."""
    for _ in range(seconds * 2):
        if locator.count() and re.search(text, locator.inner_text()):
            return locator
        page.wait_for_timeout(500)
        page.reload()
    expect(locator).to_have_text(text)  # fails, saying what the page shows instead
    return locator


def deliver(sandbox: Sandbox, person: organisation.Person, subject: str) -> str:
    """New mail in the person's Exchange inbox, as if it had just arrived."""
    message = make_message(
        subject, sender="einkauf@mueller-soehne.example",
        to=f"{person.display_name} <{person.address}>", date=datetime.now(UTC),
    )
    client = sandbox.source.connect(person.upn)
    try:
        client.append("INBOX", message)
    finally:
        client.logout()
    return subject


def arrived(sandbox: Sandbox, person: organisation.Person, subject: str) -> bool:
    client = sandbox.target.connect(person.sam)
    try:
        client.select_folder("INBOX", readonly=True)
        return bool(client.search(["SUBJECT", subject], charset="UTF-8"))
    finally:
        client.logout()
