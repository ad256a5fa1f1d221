"""Scenario (c) in German: most of Corp read German (their directory entries say
preferredLanguage de-DE), so their sign-off links open in German, whatever language the browser
asks for. A German user ticks items (dated the German way), switches the page to English and
back, and the helpdesk prints the user's checklist from a German browser."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Browser, Locator, Page, expect

from demo import organisation
from demo.site import Site
from tests.e2e.conftest import VIEWPORT
from tests.e2e.pages import url
from wizard.languages import supported_language
from wizard.steps import CHECKLIST

pytestmark = pytest.mark.e2e

ME = organisation.BY_SAM["joerg.mueller"]  # preferredLanguage de-DE; no other test uses him
# Words of the English pages that must not show on the German ones (whole words).
# fmt: off
ENGLISH_WORDS = (
    "Your", "Hello", "move", "mail server", "Done", "Tick", "untick", "Step", "Mailbox",
    "mailbox", "copied", "messages", "own sign-off link", "Outlook checklist", "Printable",
    "manual", "Log in", "Log out", "the", "of", "and", "is", "at", "when",
)
# fmt: on
ENGLISH = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH_WORDS) + r")\b")
GERMAN_DATE = re.compile(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}")  # 28.11.2026 14:05
ENGLISH_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # 2026-11-28 14:05


def test_a_german_user_reads_their_link_in_german_ticks_and_switches_language(
    page: Page, site: Site, app_db: sqlite3.Connection, demo_migration: int, browser: Browser
):
    users = app_db.execute(
        "SELECT id, sam, display_name, language FROM wizard_mailboxuser "
        "WHERE migration_id = ? AND selected ORDER BY sam",
        (demo_migration,),
    ).fetchall()
    # The import took each user's language from the directory's preferredLanguage.
    languages = {sam: language for _, sam, _, language in users}
    assert languages == {p.sam: supported_language(p.language) for p in organisation.MOVING}
    assert list(languages.values()).count("de") > len(users) * 2 / 3
    mine = next(n for n, (_, sam, *_) in enumerate(users) if sam == ME.sam)
    my_id, _, my_name, my_language = users[mine]
    assert my_language == "de" and my_name == "Jörg Müller"

    # The browser asks for English (the context's locale is en-GB); the page speaks German.
    page.goto(site.credentials["signoff_links"][mine])
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Ihr Umzug auf den neuen Mailserver")
    expect(page).to_have_title("Ihr Umzug auf den neuen Mailserver")
    expect(page.locator("p.lead")).to_contain_text(
        f"Hallo {my_name}, Ihre E-Mails ziehen von Exchange auf den Intra2net-Server"
    )
    expect(page.locator("main h2")).to_have_text("Ihr Postfach")
    items = page.locator("ol.checklist li")
    expect(items).to_have_count(len(CHECKLIST))
    expect_the_german_checklist(items)
    expect(items.nth(2)).to_contain_text("Den Intra2net Groupware Client auf dem PC installieren.")
    expect(items.nth(1)).to_contain_text("lokale Outlook-Datendatei")
    expect(page.get_by_role("button", name="Erledigt", exact=True)).to_have_count(len(CHECKLIST))
    expect(page.get_by_role("button", name="Done", exact=True)).to_have_count(0)
    assert english_in(page) == []

    # Three items ticked: each says who and when, the German way.
    for number, entry in enumerate(CHECKLIST[:3], start=1):
        page.get_by_role("button", name="Erledigt", exact=True).first.click()
        expect(page.locator("ol.checklist li.ticked")).to_have_count(number)
        with translation.override("de"):
            expect(page.locator("ol.checklist li.ticked").last).to_contain_text(str(entry.text))
    ticked = page.locator("ol.checklist li.ticked").first
    expect(ticked).to_contain_text(f"— {my_name} (persönlicher Abnahme-Link), ")
    assert_just_now(ticked, GERMAN_DATE, "%d.%m.%Y %H:%M")
    assert english_in(page) == []
    assert app_db.execute(
        "SELECT key, by_link FROM wizard_checklisttick WHERE mailbox_user_id = ? ORDER BY id",
        (my_id,),
    ).fetchall() == [(entry.key, 1) for entry in CHECKLIST[:3]]

    # The user switches their page to English, and back: kept for them, not for the browser.
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your move to the new mail server")
    expect(page.locator("p.lead")).to_contain_text(f"Hello {my_name}")
    expect(page.get_by_role("button", name="Done", exact=True)).to_have_count(len(CHECKLIST) - 3)
    expect(ticked).to_contain_text(f"— {my_name} (own sign-off link), ")
    assert_just_now(ticked, ENGLISH_DATE, "%Y-%m-%d %H:%M")
    assert language_of(app_db, my_id) == ("en", ["language"])

    page.get_by_role("button", name="Deutsch", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Ihr Umzug auf den neuen Mailserver")
    expect(page.get_by_role("button", name="Erledigt", exact=True)).to_have_count(
        len(CHECKLIST) - 3
    )
    expect(ticked).to_contain_text(f"— {my_name} (persönlicher Abnahme-Link), ")
    assert english_in(page) == []
    # German again is what the directory says: no longer the user's own choice.
    assert language_of(app_db, my_id) == ("de", [])

    # The helpdesk prints the checklist, its browser asking for German.
    german = browser.new_context(viewport=VIEWPORT, base_url=site.url, locale="de-DE")
    try:
        printout = german.new_page()
        login = site.credentials["helpdesk"]
        printout.goto(url("login"))
        expect(printout.locator("html")).to_have_attribute("lang", "de")
        printout.locator("#id_username").fill(login["username"])
        printout.locator("#id_password").fill(login["password"])
        printout.get_by_role("button", name="Anmelden").click()
        expect(printout.locator("header .who")).to_contain_text(login["username"])

        printout.goto(url("checklist", demo_migration, my_id) + "?print=1")
        expect(printout.locator("h1")).to_have_text(f"Outlook-Checkliste: {my_name}")
        expect(printout).to_have_title(f"Checkliste von {my_name}")
        expect(printout.locator("p.lead")).to_contain_text(
            f"{ME.address} · 3 von {len(CHECKLIST)} erledigt. Am PC des Benutzers in dieser "
            "Reihenfolge erledigen (Handbuch, Schritte 9 bis 15)."
        )
        items = printout.locator("ol.checklist li")
        expect_the_german_checklist(items)
        expect(items.locator("button, form")).to_have_count(0)  # paper has no buttons
        expect(printout.get_by_role("link", name="Druckversion")).to_have_count(0)
        ticked = printout.locator("ol.checklist li.ticked")
        expect(ticked).to_have_count(3)
        expect(ticked.first).to_contain_text(f"— {my_name} (persönlicher Abnahme-Link), ")
        assert_just_now(ticked.first, GERMAN_DATE, "%d.%m.%Y %H:%M")
        expect(printout.locator("main h2")).to_have_text("Das Postfach")
        assert english_in(printout) == []
    finally:
        german.close()


def expect_the_german_checklist(items: Locator) -> None:
    """Each item in the catalogue's German, with the manual's step number."""
    for number, entry in enumerate(CHECKLIST):
        with translation.override("de"):
            text = str(entry.text)
        with translation.override("en"):
            assert text != str(entry.text), entry.key
        expect(items.nth(number)).to_contain_text(f"Schritt {entry.manual_step}. {text}")


def english_in(page: Page) -> list[str]:
    """The English words on the page: its title and what <main> shows."""
    return sorted(set(ENGLISH.findall(f"{page.title()}\n{page.locator('main').inner_text()}")))


def assert_just_now(ticked: Locator, pattern: re.Pattern, layout: str) -> None:
    """The tick's time, as the page writes it, is now on the site's clock."""
    (written,) = pattern.findall(ticked.inner_text())
    zone = ZoneInfo(settings.TIME_ZONE)
    when = datetime.strptime(written, layout).replace(tzinfo=zone)
    assert abs(datetime.now(zone) - when) < timedelta(minutes=10), written


def language_of(db: sqlite3.Connection, user_id: int) -> tuple[str, list[str]]:
    """The user's language and which of their fields are kept as somebody's own choice."""
    language, edited = db.execute(
        "SELECT language, edited_fields FROM wizard_mailboxuser WHERE id = ?", (user_id,)
    ).fetchone()
    return language, json.loads(edited)
