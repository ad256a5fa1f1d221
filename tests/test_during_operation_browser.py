"""The waves page in a real browser (Debian's Chromium driven by Playwright): a user dragged
onto another wave is saved at once, without a page load."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import sync_playwright

from tests.dashboard_data import person
from wizard import actions
from wizard.models import MailboxUser, Migration

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-component-update"]


def test_a_user_dragged_onto_a_wave_is_saved_without_a_page_load(live_server, admin_user):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-debs.sh as root")
    migration = actions.create_migration("Live", Migration.Mode.DURING_OPERATION, admin_user)
    anna = person(migration, "anna", selected=True)
    sales = actions.save_wave(migration, "Sales", None, admin_user)
    admin = Client()
    admin.force_login(admin_user)
    session = {"name": "sessionid", "value": admin.cookies["sessionid"].value,
               "url": live_server.url}

    # The ORM stays out of the block: Playwright runs an event loop meanwhile.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context()
        context.add_cookies([session])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/migrations/{migration.pk}/waves/")
        column = page.locator(f"[data-wave='{sales.pk}']")
        with page.expect_response(lambda answer: "/waves/assign/" in answer.url) as answer:
            page.drag_and_drop(f"li[data-user='{anna.pk}']", f"[data-wave='{sales.pk}']")
        status = answer.value.status
        names, count = column.locator("li a").all_inner_texts(), column.locator("[data-count]")
        counted = count.inner_text()
        chosen = page.locator(f"select[name='wave-{anna.pk}']").input_value()
        browser.close()

    assert (status, names, counted, chosen) == (204, ["Anna"], "1", str(sales.pk))
    assert not errors
    assert MailboxUser.objects.get(pk=anna.pk).wave == sales
