"""The copy's sentences in the reader's language: what the engine writes about a real copy (a
folder left out, a folder renamed, a message too large or refused by Cyrus, the summary) is
stored in English and read in German through recorded(), on the German user's page and CSV, in
step 17's status, and in copymailbox's output when DEFAULT_LANGUAGE is German; folder names and
the servers' own answers stay as they were, and --json stays English."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation

from migrator.copy import copy_mailbox
from migrator.endpoints import Credentials, LoginMode
from migrator.folders import FolderRules
from migrator.options import CopyOptions
from migrator.report import CopyReport, FolderResult, ProblemKind
from migrator.shared_folders import describe_target, list_shared_folders
from tests.copy_fixtures import admin_login, append, endpoint, message, new_user
from tests.dashboard_data import (
    account_on_both,
    copies_settled,
    migration_on,
    person,
    start_copy,
)
from tests.servers import dovecot
from tests.servers.mail import Seed, make_message, seed_mailbox
from tests.test_copy_cyrus import cyrus, cyrus_user  # noqa: F401 (the Cyrus fixture)
from tests.test_copymailbox_command import run
from tests.test_i18n import ENGLISH, GERMAN, visible_text
from wizard import actions, shared_folder_store
from wizard.models import MailboxCopy, Migration
from wizard.recorded import recorded


def german(text: str) -> str:
    with translation.override("de"):
        return recorded(text)


def folders(report: CopyReport) -> dict[str, FolderResult]:
    return {folder.source: folder for folder in report.folders}


# --- the engine's sentences -------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(source_imap, target_imap) -> CopyReport:
    """A copy into the Intra2net-like Dovecot: a calendar, a folder excluded by a rule, a name
    with the target's separator, and a message over the size limit."""
    user = new_user(source_imap)
    target_imap.add_user(user, "pw-" + user)
    client = source_imap.connect(user)
    for folder in ("Calendar", "Private", "Version 1.5"):
        client.create_folder(folder)
    append(client, "INBOX", message("Small"))
    append(client, "INBOX", message("Big", body="x" * 5000))
    append(client, "Calendar", message("Team meeting"))
    append(client, "Version 1.5", message("Dotted folder"))
    return copy_mailbox(
        endpoint(source_imap),
        endpoint(target_imap),
        admin_login(source_imap, user, LoginMode.ADMIN_MASTER),
        admin_login(target_imap, user, LoginMode.ADMIN_MASTER),
        options=CopyOptions(
            max_message_bytes=3000, folder_rules=FolderRules(exclude=("^Private$",))
        ),
    )


def test_a_folder_left_out_reads_german_with_its_name_untouched(report):
    calendar, private = folders(report)["Calendar"], folders(report)["Private"]
    assert calendar.reason == "Holds calendar items, not mail."
    assert german(calendar.reason) == "Enthält Kalendereinträge, keine E-Mails."
    assert private.reason == "Excluded by the rule '^Private$'."
    assert german(private.reason) == "Durch die Regel '^Private$' ausgeschlossen."
    assert recorded(calendar.reason) == calendar.reason  # English stays English


def test_a_renamed_folder_is_said_in_german_with_both_names_as_they_are(report):
    note = folders(report)["Version 1.5"].reason
    assert note == (
        "The name 'Version 1.5' holds the target's separator '.': it becomes 'Version 1_5' there."
    )
    assert german(note) == (
        "Der Name 'Version 1.5' enthält das Trennzeichen '.' des Zielservers: "
        "Dort heißt der Ordner 'Version 1_5'."
    )


def test_a_message_too_large_and_the_summary_read_german(report):
    (problem,) = folders(report)["INBOX"].problems
    assert problem.kind == ProblemKind.TOO_LARGE
    size = problem.size
    assert problem.detail == f"{size} bytes, more than the 3000 the copy may append."
    assert (
        german(problem.detail) == f"{size} Bytes, mehr als die 3000, die die Kopie anhängen darf."
    )

    summary = report.summary()
    assert summary.startswith("Messages copied: 2 (") and summary.endswith(
        "Skipped: 1, failed: 0. Verified."
    )
    said = german(summary)
    assert said.startswith("Kopierte Nachrichten: 2 (0,0 MB) in ")
    assert said.endswith(" s. Übersprungen: 1, fehlgeschlagen: 0. Geprüft.")


def test_a_message_cyrus_refuses_reads_german_sentence_by_sentence_with_its_answer_kept(
    source_imap,
    cyrus,  # noqa: F811
):
    user = cyrus_user(source_imap, cyrus)
    client = source_imap.connect(user)
    odd = message("Odd header", extra_headers="X-Bad Name: Grüße\r\n".encode())
    append(client, "INBOX", odd)

    report = copy_mailbox(
        endpoint(source_imap),
        endpoint(cyrus),
        admin_login(source_imap, user, LoginMode.ADMIN_MASTER),
        admin_login(cyrus, user),
    )

    (problem,) = folders(report)["INBOX"].problems
    assert problem.kind == ProblemKind.REJECTED
    answer = problem.detail.removeprefix("The target refused it (").partition(").")[0]
    assert answer and problem.detail == (
        f"The target refused it ({answer}). Its headers hold 8-bit bytes. "
        "The option --repair fixes that."
    )
    assert german(problem.detail) == (
        f"Der Zielserver hat sie abgelehnt ({answer}). Ihre Kopfzeilen enthalten 8-Bit-Bytes. "
        "Die Option --repair behebt das."
    )


# --- the wizard's pages -----------------------------------------------------------------------


@pytest.fixture
def copied(celery_worker, source_imap, target_imap, admin_user):
    """Bruno's mailbox copied for real through the worker: a calendar left out, a folder
    renamed on the target, a scan too large for the 1 MB limit."""
    migration = migration_on(source_imap, target_imap, max_message_mb=1)
    bruno = account_on_both(source_imap, target_imap, "bruno")
    seed_mailbox(source_imap, bruno, {
        "INBOX": [Seed(make_message("Plans")),
                  Seed(make_message("Scan of the contract", attachment_size=1_500_000))],
        "Calendar": [Seed(make_message("Team meeting"))],
        "Version 1.5": [Seed(make_message("Release notes"))],
    })  # fmt: skip
    user = person(migration, bruno, "Bruno Keller")
    start_copy(migration, admin_user)
    copies_settled(migration)
    return migration, user


@pytest.mark.django_db(transaction=True)
def test_the_german_users_page_says_why_a_folder_was_left_out_and_what_went_wrong(
    copied, admin_client
):
    migration, user = copied
    copy = MailboxCopy.objects.get(mailbox_user=user)
    assert copy.state == MailboxCopy.State.NEEDS_ATTENTION
    assert copy.last_error.startswith("Messages copied: ")  # stored in English
    url = reverse("mailbox_detail", args=[migration.pk, user.pk])

    page = visible_text(admin_client.get(url, **GERMAN))

    assert "Calendar nicht kopiert: Enthält Kalendereinträge, keine E-Mails." in page
    assert (
        "Der Name 'Version 1.5' enthält das Trennzeichen '.' des Zielservers: "
        "Dort heißt der Ordner 'Version 1_5'." in page
    )
    assert "Bytes, mehr als die 1048576, die die Kopie anhängen darf." in page
    assert "“Scan of the contract”" in page
    assert "Kopierte Nachrichten: 2 (" in page and "Übersprungen: 1, fehlgeschlagen: 0." in page
    assert "not mail" not in page and "Messages copied" not in page

    english = visible_text(admin_client.get(url, **ENGLISH))
    assert "Calendar not copied: Holds calendar items, not mail." in english
    assert "the copy may append." in english and "Skipped: 1, failed: 0." in english

    row = visible_text(admin_client.get(reverse("dashboard", args=[migration.pk]), **GERMAN))
    assert "Kopierte Nachrichten: 2 (" in row  # the row's error cell, its first sentence


@pytest.mark.django_db(transaction=True)
def test_the_german_folder_report_says_the_engines_reasons_in_german(copied, admin_client):
    migration, _user = copied
    response = admin_client.get(reverse("report_folders_csv", args=[migration.pk]), **GERMAN)
    content = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = {row["Ordner auf Exchange"]: row for row in csv.DictReader(io.StringIO(content))}

    assert rows["Calendar"]["ausgelassen"] == "Enthält Kalendereinträge, keine E-Mails."
    assert "Bytes, mehr als die 1048576, die die Kopie anhängen darf." in rows["INBOX"]["Probleme"]
    assert "Dort heißt der Ordner 'Version 1_5'." in rows["Version 1.5"]["Probleme"]

    as_json = admin_client.get(reverse("report_folders_json", args=[migration.pk]), **GERMAN)
    data = json.loads(b"".join(as_json.streaming_content))
    left_out = {f["source"]: f["left_out"] for f in data["folders"]}
    assert left_out["Calendar"] == "Holds calendar items, not mail."  # data stays English


# --- step 17 ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def public_exchange(tmp_path_factory):
    with dovecot.start_exchange_like(
        tmp_path_factory.mktemp("public"), public_folders=True
    ) as server:
        server.add_user(server.admin_user, server.admin_password)
        for name in ("Projekte", "Projekte/2024", "Vertrieb & Marketing"):
            server.add_public_folder(name)
        yield server


def own_login(server) -> Credentials:
    return Credentials(server.admin_user, server.admin_password)


@pytest.mark.django_db
def test_what_step_17_found_is_stored_in_english_and_shown_in_german(
    public_exchange, target_imap, admin_user, admin_client
):
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    listing = list_shared_folders(endpoint(public_exchange), own_login(public_exchange))
    target_imap.add_user(target_imap.admin_user, target_imap.admin_password)
    layout = describe_target(endpoint(target_imap), own_login(target_imap))

    sentence = shared_folder_store.store_listing(
        shared_folder_store.setup_of(migration), listing, layout
    )

    assert sentence == "Exchange shows the public namespace “Public Folders/”; folders found: 3."
    page = visible_text(admin_client.get(reverse("shared_folders", args=[migration.pk]), **GERMAN))
    assert "Exchange zeigt den öffentlichen Namensraum “Public Folders/”; gefundene Ordner: 3." in (
        page
    )


# --- copymailbox ------------------------------------------------------------------------------


@pytest.fixture
def mailbox(source_imap, target_imap) -> str:
    user = new_user(source_imap)
    target_imap.add_user(user, "pw-" + user)
    client = source_imap.connect(user)
    for folder in ("Calendar", "Version 1.5"):
        client.create_folder(folder)
    append(client, "INBOX", message("Hello"))
    append(client, "INBOX", message("Big", body="x" * 5000))
    append(client, "Calendar", message("Team meeting"))
    append(client, "Version 1.5", message("Dotted folder"))
    return user


def test_copymailbox_speaks_german_to_a_german_admin(mailbox, source_imap, target_imap):
    done = run(source_imap, target_imap, mailbox, "--max-size", "3000", DEFAULT_LANGUAGE="de")

    assert done.returncode == 1, done.stderr  # one message skipped
    out, err = done.stdout, done.stderr
    assert "Calendar: ausgelassen. Enthält Kalendereinträge, keine E-Mails." in err
    assert (
        "Version 1.5 -> INBOX.Version 1_5: 1 kopiert, 0 schon vorhanden (Der Name 'Version 1.5' "
        "enthält das Trennzeichen '.' des Zielservers: Dort heißt der Ordner 'Version 1_5'.)"
    ) in err
    assert "Nachrichten, die Sie ansehen sollten:" in out
    assert "  INBOX: zu groß: 'Big' (2023-05-17T" in out
    assert "Warnung: Die Verbindung zum Zielserver 127.0.0.1:" in out
    assert "Bytes, mehr als die 3000, die die Kopie anhängen darf." in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("2 Nachrichten (0,0 MB) in ") and last.endswith(" s kopiert; geprüft.")
    assert "messages" not in out + err and "not mail" not in out + err


def test_copymailbox_keeps_its_json_english_whatever_the_language(
    mailbox, source_imap, target_imap
):
    done = run(source_imap, target_imap, mailbox, "--json", "--dry-run", DEFAULT_LANGUAGE="de")
    report = json.loads(done.stdout)
    reasons = {f["source"]: f["reason"] for f in report["folders"]}
    assert reasons["Calendar"] == "Holds calendar items, not mail."


def test_copymailbox_says_a_bad_argument_in_german_and_its_json_error_in_english(
    mailbox, source_imap, target_imap
):
    done = run(source_imap, target_imap, mailbox, "--max-size", "0", DEFAULT_LANGUAGE="de")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "copymailbox: Die Option --max-size muss eine positive Anzahl Bytes sein."
    )
    as_json = run(
        source_imap, target_imap, mailbox, "--max-size", "0", "--json", DEFAULT_LANGUAGE="de"
    )
    assert json.loads(as_json.stdout) == {
        "error": "The option --max-size must be a positive number of bytes."
    }


def test_a_dry_run_says_so_in_german(mailbox, source_imap, target_imap):
    done = run(source_imap, target_imap, mailbox, "--dry-run", DEFAULT_LANGUAGE="de")
    assert "Probelauf: Es wurde nichts geschrieben." in done.stdout
    assert "INBOX -> INBOX: 2 Nachrichten (0,0 MB), 2 zu kopieren, 0 schon vorhanden" in (
        done.stdout
    )
    assert done.stdout.strip().endswith(" s kopiert; geplant.")
