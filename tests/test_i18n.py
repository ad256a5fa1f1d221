"""The interface in German and English: the catalogue is complete, every main page speaks German
to a German browser (as each role), an account's own choice wins over the browser, a sign-off
link speaks its user's language, and dates, numbers and sizes follow the language."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from tests.directory_data import sample_snapshot, user
from wizard import actions, directory_store, notifications
from wizard.languages import supported_language
from wizard.models import (
    AccountPreferences,
    AuditEntry,
    ChecklistTick,
    CopyRun,
    DirectoryImport,
    DirectoryServer,
    FetchAccount,
    FolderResult,
    Job,
    MailboxCopy,
    MailboxUser,
    Migration,
    SharedFolder,
    SharedFolderSetup,
    Wave,
)
from wizard.signoff import make_signoff_token
from wizard.steps import STEPS

ROOT = Path(__file__).resolve().parent.parent
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}

# Words of the English interface that must not show on a German page (whole words, as the
# page shows them: text, titles, placeholders, labels).
ENGLISH_WORDS = (
    "Waiting", "Copying", "Queued", "Save", "Start", "Log out", "Log in", "Users", "User",
    "Step", "Steps", "Mailbox", "Mailboxes", "Checklist", "Settings", "Folders", "Folder",
    "Messages", "Search", "Show", "Delete", "Upload", "Password", "Passwords", "Groups",
    "Retry", "Pause", "Resume", "Done", "Failed", "Confirm", "Directory", "Address",
    "Account", "Copy", "Copied", "Skipped", "Verified", "Waves", "Cutover", "Shared folders",
    "previous", "next", "page", "with errors", "Who", "What", "When", "Nothing", "Back",
    "Convert", "Download", "Test", "Create", "New migration", "Final report",
    "Audit log", "Step status", "Mark done", "Skip", "the", "and", "of", "is", "are",
)
ENGLISH_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")\b")


class _VisibleText(HTMLParser):
    """What a person reads on a page: text outside scripts and styles, and the attributes a
    browser shows (titles, placeholders, labels for screen readers)."""

    SHOWN = ("title", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(response) -> str:
    parser = _VisibleText()
    parser.feed(response.content.decode())
    # The language switcher names each language in itself: "English" stays.
    return " ".join(" ".join(parser.parts).split()).replace("English", "")


# Names that are the same in German: products, terms of the trade, LDAP examples.
SAME_IN_GERMAN = ("Active Directory", "Master-User", "OU=Groups")


def english_words_in(text: str) -> list[str]:
    for name in SAME_IN_GERMAN:
        text = text.replace(name, "")
    return sorted(set(ENGLISH_PATTERN.findall(text)))


# --- the catalogue ----------------------------------------------------------------------------


def test_the_german_catalogue_has_every_text_of_the_code_translated(
    tmp_path, settings, monkeypatch
):
    """What `make lint` checks: makemessages finds no new English text, and msgfmt finds
    nothing untranslated or fuzzy. It runs on a copy: makemessages writes the catalogue beside
    the code it reads."""
    for name in ("locale", "migrator", "wizard", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command(
        "makemessages", locale=["de"], no_obsolete=True, add_location="file", verbosity=0,
        ignore_patterns=[".venv/*", "var/*", "tests/*", "demo/*", "build/*"],
    )
    catalogue = tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True, text=True, check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "translated messages" in checked.stderr
    assert "untranslated" not in checked.stderr and "fuzzy" not in checked.stderr, (
        checked.stderr
    )


def test_a_string_without_its_german_fails_the_check(tmp_path):
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Save"\nmsgstr "Speichern"\n\nmsgid "A new text"\nmsgstr ""\n',
        encoding="utf-8",
    )
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True, text=True, check=False,
    )
    assert "1 untranslated message" in checked.stderr


# --- a migration with something on every page ------------------------------------------------


@pytest.fixture
def corp(admin_user):
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    snapshot = sample_snapshot()
    snapshot = type(snapshot)(
        tuple(user("asmith", u.guid, groups=u.groups, preferred_language="de-DE")
              if u.sam == "asmith" else u for u in snapshot.users),
        snapshot.groups, snapshot.contacts, (),
    )
    directory_store.store_snapshot(migration, snapshot)
    DirectoryServer.objects.create(
        migration=migration, url="ldaps://dc1.corp.example:636", bind_user="CORP\\admin",
        base_dn="DC=corp,DC=example",
    )
    DirectoryImport.objects.create(
        migration=migration, status=DirectoryImport.Status.DONE, finished_at=timezone.now(),
        counts={"users": 4, "groups": 2, "contacts": 1, "left_out": 0},
        changes=[{"kind": "added", "subject": "user", "name": "asmith", "text": ""}],
    )
    asmith = MailboxUser.objects.get(migration=migration, sam="asmith")
    jdoe = MailboxUser.objects.get(migration=migration, sam="jdoe")
    MailboxCopy.objects.create(
        mailbox_user=asmith, state=MailboxCopy.State.COPYING, messages_total=1200,
        messages_done=300, bytes_total=int(3.5 * 1024**3), bytes_done=1024**3,
        current_folder="Gesendete Elemente", started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    MailboxCopy.objects.create(
        mailbox_user=jdoe, state=MailboxCopy.State.DONE, messages_total=10, messages_done=10,
        bytes_total=2048, bytes_done=2048, verified=True, finished_at=timezone.now(),
    )
    FolderResult.objects.create(
        mailbox_user=jdoe, source_name="Posteingang", target_name="INBOX", source_messages=10,
        copied=9, already_present=1, verified=True,
    )
    FolderResult.objects.create(mailbox_user=jdoe, source_name="Kalender", left_out="")
    CopyRun.objects.create(
        mailbox_user=jdoe, outcome=CopyRun.Outcome.DONE, finished_at=timezone.now(),
        messages_copied=9, bytes_copied=2048, seconds=3,
    )
    ChecklistTick.objects.create(mailbox_user=jdoe, key="open_outlook", ticked_by="harry")
    actions.audit(migration, admin_user, gettext_noop("paused the copy"))
    actions.audit(migration, admin_user, gettext_noop("resumed the copy"), subject="jdoe")
    Job.objects.create(
        migration=migration, kind=Job.Kind.PREFLIGHT, status=Job.Status.DONE,
        created_by="alice-admin", finished_at=timezone.now(),
    )
    SharedFolderSetup.objects.create(
        migration=migration, method=SharedFolderSetup.Method.OUTLOOK,
        listed_at=timezone.now(),
    )
    SharedFolder.objects.create(
        migration=migration, kind=SharedFolder.Kind.OUTLOOK, name="Öffentliche Ordner/Vertrieb",
        mover="harry",
    )
    FetchAccount.objects.create(
        migration=migration, host="pop.provider.example", port=995, login="info@corp.example",
        target_user="asmith",
    )
    return migration


@pytest.fixture
def moving(admin_user):
    """A migration during operation, with a wave and a user in it."""
    migration = actions.create_migration("Moving", Migration.Mode.DURING_OPERATION, admin_user)
    wave = Wave.objects.create(migration=migration, name="Vertrieb")
    person = MailboxUser.objects.create(
        migration=migration, guid=str(uuid.uuid4()), sam="cmeyer", display_name="Clara Meyer",
        primary_address="cmeyer@corp.example", wave=wave,
    )
    MailboxCopy.objects.create(mailbox_user=person, phase=MailboxCopy.Phase.IN_SYNC)
    return migration


def _pages(migration: Migration, role: str) -> dict[str, str]:
    """The main pages, each with a German word that its heading or buttons show."""
    m = migration.pk
    asmith = migration.mailbox_users.get(sam="asmith").pk
    jdoe = migration.mailbox_users.get(sam="jdoe").pk
    job = migration.directory_imports.first().pk
    pages = {
        reverse("start"): "Migrationen",
        reverse("migration", args=[m]): "Server und Vorabprüfungen",
        reverse("directory", args=[m]): "Konten, Gruppen und Aliase aus dem Active Directory",
        reverse("directory_users", args=[m]): "Primäre Adresse",
        reverse("directory_user", args=[m, asmith]): "Sprache des Abnahme-Links",
        reverse("directory_groups", args=[m]): "Enthält Gruppen",
        reverse("directory_import", args=[m, job]): "Verzeichnisimport",
        reverse("dashboard", args=[m]): "Kopier-Dashboard",
        reverse("mailbox_detail", args=[m, jdoe]): "Was für diesen Benutzer getan wurde",
        reverse("checklist", args=[m, jdoe]): "Outlook-Checkliste",
        reverse("final_report", args=[m]): "Abschlussbericht: Corp",
        reverse("address_map", args=[m]): "Interne Exchange-Adressen",
        reverse("address_convert", args=[m]): "Outlook-Exporte umwandeln",
        reverse("shared_folders", args=[m]): "Freigegebene Ordner",
        reverse("fetch_accounts", args=[m]): "Konten für den E-Mail-Abruf",
    }
    for step in STEPS:
        if not step.during_operation_only:
            pages[reverse("step", args=[m, step.key])] = "Schritt" if role == "admin" else "·"
    if role == "admin":
        pages[reverse("new_migration")] = "Neue Migration"
        pages[reverse("audit", args=[m])] = "hat die Kopie angehalten"
        pages[reverse("directory_connection", args=[m])] = "Verbindung testen"
        pages[reverse("directory_passwords", args=[m])] = "Passwörter der Benutzer"
    return pages


@pytest.mark.parametrize("role", ["admin", "helpdesk"])
def test_every_main_page_speaks_german_to_a_german_browser(
    role, corp, admin_client, helpdesk_client
):
    client = admin_client if role == "admin" else helpdesk_client
    problems = []
    for address, german in _pages(corp, role).items():
        response = client.get(address, **GERMAN)
        assert response.status_code == 200, address
        assert response["Content-Language"] == "de", address
        text = visible_text(response)
        if german not in text:
            problems.append((address, "missing", german))
        if english_words_in(text):
            problems.append((address, english_words_in(text), text))
    assert problems == []


@pytest.mark.parametrize("role", ["admin", "helpdesk"])
def test_the_waves_and_a_users_cutover_speak_german(role, moving, admin_client, helpdesk_client):
    client = admin_client if role == "admin" else helpdesk_client
    person = moving.mailbox_users.get()
    pages = {
        reverse("waves", args=[moving.pk]): "Wer wann umzieht",
        reverse("cutover", args=[moving.pk, person.pk]): "Umstellung",
        reverse("step", args=[moving.pk, "routing"]): "Mailzustellung während der Migration",
        reverse("migration", args=[moving.pk]): "Migration im laufenden Betrieb",
    }
    for address, german in pages.items():
        response = client.get(address, **GERMAN)
        assert response.status_code == 200, address
        text = visible_text(response)
        assert german in text, (address, german)
        assert english_words_in(text) == [], (address, english_words_in(text), text)


def test_the_pages_stay_english_for_an_english_browser(corp, admin_client):
    page = visible_text(admin_client.get(reverse("dashboard", args=[corp.pk]), **ENGLISH))
    assert "Copy dashboard" in page and "Kopier-Dashboard" not in page


def test_the_login_page_speaks_the_browsers_language(db):
    page = visible_text(Client().get(reverse("login"), **GERMAN))
    assert "Anmelden" in page and "Benutzername" in page
    assert english_words_in(page) == []


def test_a_form_error_comes_in_german(corp, admin_client):
    response = admin_client.post(
        reverse("directory_user", args=[corp.pk, corp.mailbox_users.get(sam="jdoe").pk]),
        {"source_login": "jdoe", "target_login": "bad login", "aliases": "broken"},
        **GERMAN,
    )
    page = response.content.decode()
    assert "„broken“ ist keine E-Mail-Adresse." in page
    assert "Nur Buchstaben, Ziffern und . _ - @ verwenden" in page


def test_a_flash_message_comes_in_german(corp, admin_client):
    response = admin_client.post(
        reverse("dashboard_pause", args=[corp.pk]), follow=True, **GERMAN
    )
    assert "Angehalten: Laufende Kopien stoppen nach ihrem aktuellen Stapel." in visible_text(
        response
    )


# --- who chooses the language ------------------------------------------------------------------


def test_an_accounts_own_choice_wins_over_the_browser(corp, admin_user, admin_client):
    back = reverse("dashboard", args=[corp.pk])
    response = admin_client.post(reverse("language"), {"language": "de", "next": back}, **ENGLISH)
    assert response.status_code == 302 and response["Location"] == back
    assert AccountPreferences.objects.get(user=admin_user).language == "de"

    assert "Kopier-Dashboard" in visible_text(admin_client.get(back, **ENGLISH))

    admin_client.post(reverse("language"), {"language": "en", "next": back}, **GERMAN)
    assert "Copy dashboard" in visible_text(admin_client.get(back, **GERMAN))


def test_the_choice_is_kept_with_the_account_for_the_next_login(corp, admin_user):
    AccountPreferences.objects.create(user=admin_user, language="de")
    client = Client()
    client.force_login(admin_user)
    assert "Kopier-Dashboard" in visible_text(
        client.get(reverse("dashboard", args=[corp.pk]), **ENGLISH)
    )


def test_a_visitor_without_an_account_chooses_by_cookie(db):
    client = Client()
    client.post(reverse("language"), {"language": "de", "next": reverse("login")}, **ENGLISH)
    assert "Anmelden" in visible_text(client.get(reverse("login"), **ENGLISH))


def test_a_switch_to_another_site_is_refused(db):
    response = Client().post(
        reverse("language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_language_the_wizard_does_not_speak_follows_the_browser_again(
    corp, admin_user, admin_client
):
    admin_client.post(reverse("language"), {"language": "fr", "next": "/"})
    assert AccountPreferences.objects.get(user=admin_user).language == ""
    assert "Kopier-Dashboard" in visible_text(
        admin_client.get(reverse("dashboard", args=[corp.pk]), **GERMAN)
    )


# --- the sign-off link -----------------------------------------------------------------------


def _signoff(person: MailboxUser) -> str:
    return reverse("signoff", args=[make_signoff_token(person.pk)])


def test_the_directorys_preferred_language_becomes_the_users(corp):
    assert corp.mailbox_users.get(sam="asmith").language == "de"
    assert corp.mailbox_users.get(sam="jdoe").language == ""


@pytest.mark.parametrize(
    ("preference", "language"),
    [("de-DE", "de"), ("de", "de"), ("de_AT", "de"), ("EN-us", "en"), ("fr, de;q=0.8", "de"),
     ("fr-FR", ""), ("", "")],
)
def test_a_preference_is_read_as_the_directory_writes_it(preference, language, settings):
    assert supported_language(preference) == language


def test_the_sign_off_link_opens_in_the_users_language_whatever_the_browser(corp):
    page = Client().get(_signoff(corp.mailbox_users.get(sam="asmith")), **ENGLISH)
    text = visible_text(page)
    assert page["Content-Language"] == "de"
    assert "Ihr Umzug auf den neuen Mailserver" in text
    assert "Den Intra2net Groupware Client auf dem PC installieren." in text
    assert "Erledigt" in text
    assert english_words_in(text) == []


def test_the_printout_is_in_the_users_language_whatever_the_staff_reads(corp, admin_client):
    asmith = corp.mailbox_users.get(sam="asmith")
    address = reverse("checklist", args=[corp.pk, asmith.pk])
    page = admin_client.get(address, **ENGLISH)
    assert "Outlook checklist" in visible_text(page)
    printout = admin_client.get(address + "?print=1", **ENGLISH)
    text = visible_text(printout)
    assert printout["Content-Language"] == "de"
    assert "Outlook-Checkliste" in text
    assert "Den Intra2net Groupware Client auf dem PC installieren." in text
    assert english_words_in(text) == []
    jdoe = corp.mailbox_users.get(sam="jdoe")
    english = admin_client.get(reverse("checklist", args=[corp.pk, jdoe.pk]) + "?print=1", **GERMAN)
    assert english["Content-Language"] == "en"


def test_without_a_language_of_their_own_the_link_speaks_the_organisations(corp, settings):
    jdoe = corp.mailbox_users.get(sam="jdoe")
    assert "Your move to the new mail server" in visible_text(
        Client().get(_signoff(jdoe), **GERMAN)
    )
    settings.LANGUAGE_CODE = "de"
    assert "Ihr Umzug auf den neuen Mailserver" in visible_text(
        Client().get(_signoff(jdoe), **ENGLISH)
    )


def test_the_user_chooses_their_language_on_their_page_and_a_reimport_keeps_it(corp):
    asmith = corp.mailbox_users.get(sam="asmith")
    link = _signoff(asmith)
    Client().post(link, {"language": "en"})
    asmith.refresh_from_db()
    assert asmith.language == "en" and "language" in asmith.edited_fields
    assert "Your move to the new mail server" in visible_text(Client().get(link, **GERMAN))

    snapshot = sample_snapshot()
    snapshot = type(snapshot)(
        tuple(user("asmith", u.guid, groups=u.groups, preferred_language="de-DE")
              if u.sam == "asmith" else u for u in snapshot.users),
        snapshot.groups, snapshot.contacts, (),
    )
    directory_store.store_snapshot(corp, snapshot)
    asmith.refresh_from_db()
    assert asmith.language == "en"


def test_the_admin_sets_a_users_language(corp, admin_client):
    jdoe = corp.mailbox_users.get(sam="jdoe")
    admin_client.post(reverse("directory_user", args=[corp.pk, jdoe.pk]), {
        "selected": "on", "display_name": jdoe.display_name,
        "primary_address": jdoe.primary_address, "aliases": "", "source_login": "jdoe",
        "target_login": "jdoe", "language": "de",
    })
    jdoe.refresh_from_db()
    assert jdoe.language == "de"
    german = visible_text(
        admin_client.get(reverse("checklist", args=[corp.pk, jdoe.pk]), **GERMAN)
    )
    assert "Er öffnet sich auf Deutsch." in german
    checklist = visible_text(
        admin_client.get(reverse("checklist", args=[corp.pk, jdoe.pk]), **ENGLISH)
    )
    assert "It opens in German." in checklist


# --- dates, numbers and sizes ----------------------------------------------------------------


def test_dates_numbers_and_sizes_follow_the_language(corp, admin_client):
    at = datetime(2026, 11, 25, 13, 5, tzinfo=UTC)  # 14:05 in Berlin
    AuditEntry.objects.filter(migration=corp).update(at=at)
    MailboxUser.objects.filter(migration=corp, sam="asmith").update(password_set_at=at)
    asmith = corp.mailbox_users.get(sam="asmith")

    detail = visible_text(
        admin_client.get(reverse("mailbox_detail", args=[corp.pk, asmith.pk]), **GERMAN)
    )
    assert "3,5 GB" in detail and "1.200 Nachrichten" in detail
    user_page = visible_text(
        admin_client.get(reverse("directory_user", args=[corp.pk, asmith.pk]), **GERMAN)
    )
    assert "gespeichert am 25.11.2026 14:05" in user_page
    audit = visible_text(admin_client.get(reverse("audit", args=[corp.pk]), **GERMAN))
    assert "25.11.2026 14:05:00" in audit

    english = visible_text(
        admin_client.get(reverse("mailbox_detail", args=[corp.pk, asmith.pk]), **ENGLISH)
    )
    assert "3.5 GB" in english and "1,200 messages" in english
    user_page = visible_text(
        admin_client.get(reverse("directory_user", args=[corp.pk, asmith.pk]), **ENGLISH)
    )
    assert "stored 2026-11-25 14:05" in user_page


def test_the_csv_report_has_german_headings_for_a_german_page(corp, admin_client):
    response = admin_client.get(reverse("report_users_csv", args=[corp.pk]), **GERMAN)
    heading = b"".join(response.streaming_content).decode().splitlines()[0]
    assert heading.lstrip("\ufeff").startswith("Konto,Name,Adresse,Zustand")
    english = admin_client.get(reverse("report_users_csv", args=[corp.pk]), **ENGLISH)
    assert b"".join(english.streaming_content).decode().lstrip("\ufeff").startswith(
        "account,name,address,state"
    )


# --- e-mail to the admins -----------------------------------------------------------------------


def test_each_admin_gets_the_mail_in_the_language_of_their_account(corp, admin_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin_user.email = "alice@corp.example"
    admin_user.save()
    AccountPreferences.objects.create(user=admin_user, language="de")
    other = type(admin_user).objects.create_superuser("bob", "bob@corp.example", "x" * 12)
    assert other.email
    asmith = corp.mailbox_users.get(sam="asmith")
    run = CopyRun.objects.create(
        mailbox_user=asmith, outcome=CopyRun.Outcome.FAILED, finished_at=timezone.now(),
        error="Login refused by Exchange.",
    )

    notifications.send_copy_notifications(run.pk)

    by_recipient = {message.to[0]: message for message in mail.outbox}
    german, english = by_recipient["alice@corp.example"], by_recipient["bob@corp.example"]
    assert german.subject == "[Corp] Die Kopie von asmith ist fehlgeschlagen"
    assert "Sie bleibt fehlgeschlagen, bis ein Admin sie erneut startet." in german.body
    assert english.subject == "[Corp] The copy of asmith failed"


def test_the_default_language_comes_from_the_environment(monkeypatch):
    from wizard.settings import envchoice

    monkeypatch.setenv("DEFAULT_LANGUAGE", "de")
    assert envchoice("DEFAULT_LANGUAGE", "en", ["en", "de"]) == "de"
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE must be one of en, de"):
        envchoice("DEFAULT_LANGUAGE", "en", ["en", "de"])
    assert django_settings.LANGUAGE_CODE == "en"


def test_the_engine_reads_preferred_language_from_the_real_directory(directory_server):
    from ldap3 import SUBTREE

    from migrator.directory import ImportOptions, import_directory
    from migrator.directory_session import DirectoryBind, parse_ldap_url
    from tests.servers import directory_seed as seed

    ou = f"OU=Languages-{uuid.uuid4().hex[:8]},{seed.BASE_DN}"
    ldap = directory_server.connect()
    ldap.add(ou, "organizationalUnit")
    for sam, language in (("lang.de", "de-DE"), ("lang.none", None)):
        attributes = {"sAMAccountName": sam, "userAccountControl": "544",
                      "mail": f"{sam}@example.com", "proxyAddresses": [f"SMTP:{sam}@example.com"]}
        if language:
            attributes["preferredLanguage"] = language
        assert ldap.add(f"CN={sam},{ou}", "user", attributes), ldap.result
    try:
        snapshot = import_directory(
            parse_ldap_url(directory_server.ldaps_url, ca_file=str(directory_server.ca_file),
                           tls_name=directory_server.tls_name),
            DirectoryBind(directory_server.admin_bind, directory_server.admin_password),
            options=ImportOptions(ou),
        )
    finally:
        ldap.search(ou, "(objectClass=*)", SUBTREE, attributes=[])
        for dn in sorted((e["dn"] for e in ldap.response if "dn" in e), key=len, reverse=True):
            ldap.delete(dn)
        ldap.unbind()
    languages = {user.sam: user.preferred_language for user in snapshot.users}
    assert languages == {"lang.de": "de-DE", "lang.none": ""}
