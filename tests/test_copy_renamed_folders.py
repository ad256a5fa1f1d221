"""A folder the user renames or deletes on Exchange between the pre-stage and the cutover: the
delta moves its messages on the Intra2net server into the renamed folder instead of copying
them a second time, reports the old folder, and removes it once it is empty and removal is
asked; a folder no copy made, and the source, stay as they are. Through the wizard's actions
and a real worker against the Dovecot pair, and once through the engine into a real Cyrus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from migrator.copy import copy_mailbox
from migrator.endpoints import LoginMode
from migrator.options import CopyOptions
from migrator.report import FolderStatus, ProblemKind
from tests.copy_fixtures import admin_login, append, endpoint, message
from tests.dashboard_data import migration_on
from tests.servers.mail import Seed, make_message, read_mailbox, seed_mailbox
from tests.test_copy_cyrus import cyrus, cyrus_user  # noqa: F401 (the Cyrus fixture)
from tests.test_copy_delta import pair_of_users
from tests.test_during_operation import in_sync, mover, settled
from tests.test_i18n import GERMAN, visible_text
from wizard import actions
from wizard.models import MailboxCopy

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
N = 6  # messages in "Projekte"
BEFORE_CUTOVER = {"sync_flags_of_existing": True, "follow_moves": True, "report_deleted": True}


def seeds(prefix: str, count: int) -> list[Seed]:
    return [
        Seed(make_message(f"{prefix} {n}"), ("\\Seen",) if n % 2 else (), DAY + timedelta(hours=n))
        for n in range(count)
    ]


MAILBOX = {
    "INBOX": seeds("Hallo", 2),
    "Projekte": seeds("Projekt", N),
    "Projekte/Intern": seeds("Intern", 2),
    "Kunden": seeds("Kunde", 1),
    "Kunden/Meier": seeds("Meier", 3),
    "Alt": seeds("Alt", 2),
}
# The renamed folders on the source, and where their messages belong on the target.
RENAMED = {
    "Projekte 2025": "INBOX.Projekte 2025",
    "Projekte 2025/Intern": "INBOX.Projekte 2025.Intern",
    "Kunden/Meier GmbH": "INBOX.Kunden.Meier GmbH",
}
RENAMED_TARGETS = tuple(RENAMED.values())
OLD = ("INBOX.Projekte", "INBOX.Projekte.Intern", "INBOX.Kunden.Meier", "INBOX.Alt")
# An admin's folder on the Intra2net server, made by no copy, holding the same messages.
ADMINS = "INBOX.Projekte-Sicherung"


def contents(messages) -> list[tuple]:
    """What a person would call the same messages: bytes, flags and date, each as often."""
    return sorted((m.body, m.flags, m.internal_date.timestamp()) for m in messages)


def renamed_after_prestage(migration, admin_user, source_imap, target_imap):
    """Anna pre-staged, then on Exchange "Projekte" (with its subfolder) renamed to
    "Projekte 2025", "Kunden/Meier" to "Kunden/Meier GmbH", and "Alt" deleted; an admin made
    a folder of their own on the Intra2net server."""
    anna = mover(migration, source_imap, target_imap, "anna", MAILBOX)
    in_sync(migration, admin_user, anna)
    seed_mailbox(target_imap, anna.target_login, {"Projekte-Sicherung": MAILBOX["Projekte"]})
    exchange = source_imap.connect(anna.source_login)
    exchange.rename_folder("Projekte", "Projekte 2025")
    exchange.rename_folder("Kunden/Meier", "Kunden/Meier GmbH")
    exchange.delete_folder("Alt")
    exchange.logout()
    return anna


def delta(anna, admin_user, *, remove_deleted: bool = False) -> MailboxCopy:
    actions.queue_delta(anna, admin_user, remove_deleted=remove_deleted)
    return settled(anna)


def gone_note(anna, source_name: str) -> str:
    (note,) = [
        p for p in anna.folder_results.get(source_name=source_name).problems
        if p["kind"] == "gone_from_source"
    ]
    return note["detail"]


def subscribed(server, user) -> set[str]:
    client = server.connect(user)
    try:
        return {name for _flags, _sep, name in client.list_sub_folders()}
    finally:
        client.logout()


@pytest.mark.django_db(transaction=True)
def test_a_renamed_folder_ends_up_once_under_its_new_name_and_the_old_one_is_kept_and_reported(
    celery_worker, admin_user, admin_client, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = renamed_after_prestage(migration, admin_user, source_imap, target_imap)
    exchange = read_mailbox(source_imap, anna.source_login)
    before = read_mailbox(target_imap, anna.target_login)

    copy = delta(anna, admin_user)

    assert (copy.state, copy.phase) == (MailboxCopy.State.DONE, MailboxCopy.Phase.IN_SYNC)
    after = read_mailbox(target_imap, anna.target_login)
    for new, target_name in RENAMED.items():
        assert contents(after[target_name]) == contents(exchange[new]), target_name  # each once
    # The old folders of the copy stay, emptied by the moves; the deleted one as it was.
    assert [after[name] for name in OLD[:3]] == [[], [], []]
    assert contents(after["INBOX.Alt"]) == contents(before["INBOX.Alt"])
    changed = {*OLD, *RENAMED_TARGETS}
    assert {f: m for f, m in after.items() if f not in changed} == {
        f: m for f, m in before.items() if f not in changed
    }  # INBOX, Kunden, the admin's folder: the same UIDs, flags and bytes
    assert read_mailbox(source_imap, anna.source_login) == exchange

    results = anna.folder_results
    assert results.get(source_name="Projekte 2025").moved == N
    assert results.get(source_name="Projekte 2025").copied == 0
    assert results.get(source_name="Projekte").target_name == "INBOX.Projekte"
    assert gone_note(anna, "Projekte") == (
        "Renamed or deleted on the source since an earlier copy. Messages moved on the target "
        f"into the folders that hold them on the source now: {N}. The folder stays on the "
        "target until a delta copy removes what was deleted on the source; messages left in "
        "it: 0."
    )
    alt = results.get(source_name="Alt").problems
    deleted = [p for p in alt if p["kind"] != "gone_from_source"]
    assert sorted(p["subject"] for p in deleted) == ["Alt 0", "Alt 1"]
    assert {p["kind"] for p in deleted} == {"deleted_on_source"}
    assert gone_note(anna, "Alt").endswith("messages left in it: 2.")
    assert not results.filter(source_name="Projekte-Sicherung").exists()

    page = visible_text(
        admin_client.get(reverse("mailbox_detail", args=[migration.pk, anna.pk]), **GERMAN)
    )
    assert "Ordner auf Exchange umbenannt oder gelöscht" in page
    assert (
        "Seit einer früheren Kopie auf dem Quellserver umbenannt oder gelöscht. Nachrichten, "
        "die auf dem Zielserver in die Ordner verschoben wurden, in denen sie jetzt auf dem "
        f"Quellserver liegen: {N}. Der Ordner bleibt auf dem Zielserver, bis eine Delta-Kopie "
        "entfernt, was auf dem Quellserver gelöscht wurde; Nachrichten darin: 0." in page
    )
    assert "Renamed" not in page and "stays on the target" not in page

    # The next delta changes nothing, and still reports the folders it keeps.
    assert delta(anna, admin_user).state == MailboxCopy.State.DONE
    assert read_mailbox(target_imap, anna.target_login) == after
    assert read_mailbox(source_imap, anna.source_login) == exchange
    assert gone_note(anna, "Projekte") == (
        "Renamed or deleted on the source since an earlier copy. The folder stays on the target "
        "until a delta copy removes what was deleted on the source; messages left in it: 0."
    )
    assert gone_note(anna, "Alt").endswith("messages left in it: 2.")


@pytest.mark.django_db(transaction=True)
def test_asked_to_remove_deletions_the_delta_removes_the_emptied_old_folders_and_then_rests(
    celery_worker, admin_user, admin_client, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = renamed_after_prestage(migration, admin_user, source_imap, target_imap)
    exchange = read_mailbox(source_imap, anna.source_login)
    before = read_mailbox(target_imap, anna.target_login)

    copy = delta(anna, admin_user, remove_deleted=True)

    assert copy.state == MailboxCopy.State.DONE
    after = read_mailbox(target_imap, anna.target_login)
    assert not set(OLD) & set(after) and not set(OLD) & subscribed(target_imap, anna.target_login)
    for new, target_name in RENAMED.items():
        assert contents(after[target_name]) == contents(exchange[new]), target_name
    assert after[ADMINS] == before[ADMINS]  # no copy of ours made it: left alone
    assert {f: m for f, m in after.items() if f not in RENAMED_TARGETS} == {
        f: m for f, m in before.items() if f not in (*OLD, *RENAMED_TARGETS)
    }
    assert read_mailbox(source_imap, anna.source_login) == exchange
    projekte = anna.folder_results.get(source_name="Projekte")
    assert projekte.target_name == ""  # nothing left to look at next time
    assert gone_note(anna, "Projekte").endswith(
        "The emptied folder 'INBOX.Projekte' was removed from the target as asked."
    )
    removed = [p["kind"] for p in anna.folder_results.get(source_name="Alt").problems]
    assert removed == ["removed_from_target", "removed_from_target", "gone_from_source"]
    page = visible_text(
        admin_client.get(reverse("mailbox_detail", args=[migration.pk, anna.pk]), **GERMAN)
    )
    assert (
        "Der geleerte Ordner 'INBOX.Projekte' wurde wie gewünscht vom Zielserver entfernt."
        in page
    )

    # A second delta finds nothing to do: not a UID, flag or folder changes.
    again = delta(anna, admin_user)
    assert again.state == MailboxCopy.State.DONE
    assert read_mailbox(target_imap, anna.target_login) == after
    assert read_mailbox(source_imap, anna.source_login) == exchange
    assert not anna.folder_results.filter(source_name__in=("Projekte", "Alt")).exists()
    assert anna.copy_runs.order_by("-pk").first().messages_copied == 0


# --- the engine alone: after the cutover, and into Cyrus --------------------------------------


def test_after_the_cutover_a_renamed_folder_is_not_followed(source_imap, target_imap):
    """follow_moves off (the user works on the Intra2net server): the old folder is the user's."""
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    exchange.create_folder("Projekte")
    for n in range(3):
        append(exchange, "Projekte", message(f"Projekt {n}"), (), DAY + timedelta(hours=n))
    first = copy(source_imap, target_imap, user, **BEFORE_CUTOVER)
    exchange.rename_folder("Projekte", "Projekte 2025")
    old = read_mailbox(target_imap, user)["INBOX.Projekte"]

    report = copy(
        source_imap, target_imap, user, only_since=DAY, remove_deleted=False,
        earlier_folders=earlier(first),
    )

    assert read_mailbox(target_imap, user)["INBOX.Projekte"] == old
    assert not [f for f in report.folders if f.status == FolderStatus.GONE]


def test_into_cyrus_a_renamed_folder_is_moved_and_the_old_one_removed(source_imap, cyrus):  # noqa: F811
    user = cyrus_user(source_imap, cyrus)
    exchange = source_imap.connect(user)
    exchange.create_folder("Projekte")
    for n in range(N):
        append(exchange, "Projekte", message(f"Projekt {n}"), (), DAY + timedelta(hours=n))
    first = copy(source_imap, cyrus, user, login=LoginMode.ADMIN_MASTER, **BEFORE_CUTOVER)
    exchange.rename_folder("Projekte", "Projekte 2025")
    source = read_mailbox(source_imap, user)

    report = copy(
        source_imap, cyrus, user, login=LoginMode.ADMIN_MASTER, remove_deleted=True,
        earlier_folders=earlier(first), **BEFORE_CUTOVER,
    )

    target = read_mailbox(cyrus, user)
    assert "INBOX.Projekte" not in target
    assert sorted(m.body for m in target["INBOX.Projekte 2025"]) == sorted(
        m.body for m in source["Projekte 2025"]
    )
    (gone,) = [f for f in report.folders if f.status == FolderStatus.GONE]
    assert (gone.source, gone.target, gone.problems) == ("Projekte", None, ())
    assert report.messages_copied == 0 and report.complete
    assert {f.source: f.moved for f in report.folders}["Projekte 2025"] == N
    again = copy(
        source_imap, cyrus, user, login=LoginMode.ADMIN_MASTER, remove_deleted=True,
        earlier_folders=earlier(report), **BEFORE_CUTOVER,
    )
    assert read_mailbox(cyrus, user) == target and again.messages_copied == 0
    assert not [p for f in again.folders for p in f.problems if p.kind == ProblemKind.REMOVED]


def copy(source_imap, target_imap, user: str, *, login=LoginMode.ADMIN_PLAIN, **options):
    return copy_mailbox(
        endpoint(source_imap),
        endpoint(target_imap),
        admin_login(source_imap, user, login),
        admin_login(target_imap, user),
        options=CopyOptions(retry_delays=(0.1, 0.2, 0.5), **options),
    )


def earlier(report) -> tuple[tuple[str, str], ...]:
    """What the wizard keeps of a copy's folders and passes to the next one."""
    return tuple((f.source, f.target) for f in report.folders if f.target)
