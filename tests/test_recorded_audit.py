"""The audit log in the reader's language: what admins, the helpdesk and users do through the
wizard is kept in English, the German audit page and a user's history say it in German, and the
names and numbers inside an entry (a wave, a user, a rate) stay as they were written."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from migrator.accounts_csv import PasswordRow
from tests.dashboard_data import person
from tests.test_i18n import ENGLISH, GERMAN, english_words_in, visible_text
from wizard import actions, cutover
from wizard.models import AuditEntry, CopyRun, ImapServer, MailboxCopy, Migration, Wave
from wizard.recorded import recorded
from wizard.signoff import make_signoff_token

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(name, args=args)


@pytest.fixture
def migration(admin_client):
    """A migration during operation, created through the page by an admin reading German."""
    admin_client.post(
        url("new_migration"), {"name": "Umzug", "mode": Migration.Mode.DURING_OPERATION}, **GERMAN
    )
    return Migration.objects.get(name="Umzug")


@pytest.fixture
def done_through_the_wizard(migration, admin_client):
    """Steps, waves, settings and a user's own ticks, each done as a person does them; the
    admin's browser asks for German all along."""
    anna = person(migration, "anna", "Anna Schmidt", selected=True)
    bernd = person(migration, "bernd", selected=True)

    def post(name, *args, data=None):
        response = admin_client.post(url(name, migration.pk, *args), data or {}, **GERMAN)
        assert response.status_code in (204, 302), (name, response.status_code)

    post("step_status", "servers", data={"status": "done", "note": ""})
    post("step_status", "servers", data={"status": "in_progress", "note": "Zertifikat neu"})
    post("step_status", "backup", data={"status": "skipped", "note": ""})
    post("start_job", "preflight")
    post("copy_settings", data={"parallel_copies": "3", "max_message_mb": "50"})
    post("wave_create", data={"name": "Vertrieb Süd", "planned_for": "2026-05-04"})
    wave = Wave.objects.get(migration=migration)
    post("waves_assign", data={f"wave-{anna.pk}": str(wave.pk), f"wave-{bernd.pk}": str(wave.pk)})
    post("waves_assign", data={"user": str(bernd.pk), "wave": ""})
    post("waves_settings", data={"bandwidth_cap_kb": "512"})
    post("dashboard_notifications", data={"notify_failures": "on", "notify_finished": "on"})
    link = url("signoff", make_signoff_token(anna.pk))
    assert Client().post(link, {"key": "open_outlook"}).status_code == 302
    assert Client().post(link, {"language": "de"}).status_code == 302
    admin_client.get(url("migration", migration.pk))  # shows the flash messages, in German
    return anna


def test_what_people_did_is_kept_in_english_whatever_they_read(done_through_the_wizard):
    entries = {(e.actor_label, e.action, e.detail) for e in AuditEntry.objects.all()}
    admin, delta = "alice-admin", "changed the delta copy settings"
    assert {
        (admin, "created the migration", "During operation (users move in waves)"),
        (admin, "set step 1 (Servers and preflight checks) to done", ""),
        (admin, "reopened step 1 (Servers and preflight checks)", "Zertifikat neu"),
        (admin, "set step 5–6 (Backup of Exchange) to skipped", ""),
        (admin, "started: Preflight checks", ""),
        (admin, "changed the copy settings", "Mailboxes at once: 3, messages up to 50 MB"),
        (admin, "created a wave", "“Vertrieb Süd”, planned for 2026-05-04"),
        (admin, "grouped users into waves", "Into wave “Vertrieb Süd”: anna, bernd"),
        (admin, "grouped users into waves", "Out of their wave: bernd"),
        (admin, delta, "Nightly delta off, at most 512 KB/s per worker"),
        (
            admin,
            "changed the e-mail notifications",
            "Switched off: a daily summary while copies run",
        ),
        (
            "Anna Schmidt (own sign-off link)",
            "ticked",
            "Step 9: Open the user's Outlook installation.",
        ),
        ("Anna Schmidt (own sign-off link)", "edited a user", "Language of the sign-off link"),
    } <= entries


def test_the_german_audit_page_says_it_in_german_with_names_and_numbers_untouched(
    done_through_the_wizard, migration, admin_client
):
    page = visible_text(admin_client.get(url("audit", migration.pk), **GERMAN))
    for german in (
        "hat die Migration angelegt Migration im laufenden Betrieb (Benutzer ziehen in Wellen um)",
        "hat Schritt 1 (Server und Vorabprüfungen) auf „Erledigt“ gesetzt",
        "hat Schritt 1 (Server und Vorabprüfungen) wieder geöffnet Zertifikat neu",
        "hat Schritt 5–6 (Sicherung von Exchange) auf „Übersprungen“ gesetzt",
        "hat gestartet: Vorabprüfungen",
        "hat die Kopiereinstellungen geändert Postfächer gleichzeitig: 3, Nachrichten bis 50 MB",
        "hat eine Welle angelegt „Vertrieb Süd“, geplant für 2026-05-04",
        "hat Benutzer in Wellen eingeteilt In Welle „Vertrieb Süd“: anna, bernd",
        "hat Benutzer in Wellen eingeteilt Aus ihrer Welle genommen: bernd",
        "Nächtliche Delta-Kopie aus, höchstens 512 KB/s je Worker",
        "Ausgeschaltet: eine tägliche Zusammenfassung, solange Kopien laufen",
        "Anna Schmidt (persönlicher Abnahme-Link) hat abgehakt anna "
        "Schritt 9: Die Outlook-Installation des Benutzers öffnen.",
        "hat einen Benutzer geändert anna Sprache des Abnahme-Links",
    ):
        assert german in page, german
    assert english_words_in(page) == [], english_words_in(page)


def test_a_users_history_reads_german_too(done_through_the_wizard, migration, admin_client):
    anna = done_through_the_wizard
    page = visible_text(admin_client.get(url("mailbox_detail", migration.pk, anna.pk), **GERMAN))
    history = page[page.index("Was für diesen Benutzer getan wurde") :]
    link = "Anna Schmidt (persönlicher Abnahme-Link)"
    assert f"{link} hat abgehakt: Schritt 9: Die Outlook" in history
    assert "hat einen Benutzer geändert: Sprache des Abnahme-Links" in history
    assert "own sign-off link" not in history and "Step 9" not in history


def test_the_english_audit_page_shows_the_entries_as_they_were_written(
    done_through_the_wizard, migration, admin_client
):
    page = visible_text(admin_client.get(url("audit", migration.pk), **ENGLISH))
    for english in (
        "set step 1 (Servers and preflight checks) to done",
        "reopened step 1 (Servers and preflight checks) Zertifikat neu",
        "created a wave “Vertrieb Süd”, planned for 2026-05-04",
        "Into wave “Vertrieb Süd”: anna, bernd",
        "Nightly delta off, at most 512 KB/s per worker",
        "Anna Schmidt (own sign-off link) ticked anna Step 9: Open the user's Outlook",
    ):
        assert english in page, english
    assert not [word for word in ("Schritt", "Welle", "geändert", "Abnahme") if word in page]


def test_a_wave_named_like_a_word_of_the_interface_keeps_its_name(migration, admin_client):
    """A wave called "Copy" stays "Copy", though the catalogue says "Kopieren" for the word."""
    admin_client.post(url("wave_create", migration.pk), {"name": "Copy", "planned_for": ""})
    entry = AuditEntry.objects.get(action="created a wave")
    assert entry.detail == "“Copy”, no date"
    page = visible_text(admin_client.get(url("audit", migration.pk), **GERMAN))
    assert "hat eine Welle angelegt „Copy“, ohne Datum" in page


def test_the_other_entries_read_german_and_keep_their_values(migration, admin_user):
    anna = person(migration, "anna", selected=True)
    MailboxCopy.objects.create(mailbox_user=anna, state=MailboxCopy.State.FAILED)
    server = ImapServer.objects.create(
        migration=migration, role=ImapServer.Role.TARGET, host="imap.corp.example", port=143
    )
    actions.check_imap_server(server, admin_user)
    actions.retry_mailbox(anna, admin_user, CopyRun.Kind.DELTA)
    actions.save_shared_folder_settings(migration, "INBOX.Öffentlich.", "group:{group}", admin_user)
    row = PasswordRow(2, "anna", str(anna.pk), "geheim")
    actions.store_passwords(migration, [row], admin_user, skipped=1)
    entries = migration.audit.exclude(action="created the migration").order_by("id")
    with translation.override("de"):
        said = [(recorded(e.action), recorded(e.detail)) for e in entries]
    assert said == [
        ("hat den IMAP-Server geprüft", "Intra2net-Server unter imap.corp.example:143"),
        ("hat eine Delta-Kopie eingereiht", ""),
        (
            "hat die Einstellungen der freigegebenen Ordner geändert",
            "Präfix „INBOX.Öffentlich.“, Gruppen als „group:{group}“",
        ),
        ("hat Benutzerpasswörter hochgeladen", "Passwörter: 1, ausgelassene fehlerhafte Zeilen: 1"),
    ]
    assert [e.detail for e in entries] == [
        "Intra2net server at imap.corp.example:143",
        "",
        "Prefix “INBOX.Öffentlich.”, groups as “group:{group}”",
        "Passwords: 1, bad rows left out: 1",
    ]


def _noop_texts(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "gettext_noop"
        and isinstance(node.args[0], ast.Constant)
    }


def test_no_template_takes_an_entry_written_with_gettext_noop_for_its_own():
    """An action like "selected users" is said as the catalogue says it, never as a template
    ending in " users" would say it, with "selected" as its value."""
    texts = _noop_texts(actions) | _noop_texts(cutover)
    assert "selected users" in texts and "the nightly schedule" in texts
    with translation.override("de"):
        wrong = {text: recorded(text) for text in texts if recorded(text) != gettext(text)}
    assert wrong == {}
