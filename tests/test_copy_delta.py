"""Delta copies against the real servers: what the user did on Exchange between two copies (new
mail, flags, moves, deletions) carried over before their cutover, nothing of theirs undone
after it, and the bandwidth cap."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from migrator.bandwidth import Bandwidth
from migrator.copy import copy_mailbox
from migrator.options import CopyOptions
from migrator.report import CopyReport, ProblemKind
from tests.copy_fixtures import (
    DAY,
    admin_login,
    append,
    endpoint,
    message,
    new_user,
    uids_and_flags,
)

BEFORE_CUTOVER = {"sync_flags_of_existing": True, "follow_moves": True, "report_deleted": True}


def copy(source_imap, target_imap, user: str, **options) -> CopyReport:
    return copy_mailbox(
        endpoint(source_imap),
        endpoint(target_imap),
        admin_login(source_imap, user),
        admin_login(target_imap, user),
        options=CopyOptions(retry_delays=(0.1, 0.2, 0.5), **options),
    )


def pair_of_users(source_imap, target_imap) -> str:
    user = new_user(source_imap, "d")
    target_imap.add_user(user, "pw-" + user)
    return user


def subjects_and_flags(client, folder: str) -> dict[str, tuple[bytes, ...]]:
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    fetched = client.fetch(uids, [b"FLAGS", b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    found = {}
    for data in fetched.values():
        subject = data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip().removeprefix("Subject: ")
        assert subject not in found, f"{subject!r} is twice in {folder}"
        found[subject] = tuple(sorted(f for f in data[b"FLAGS"] if f != b"\\Recent"))
    return found


def uid_of(client, folder: str, subject: str) -> int:
    client.select_folder(folder)
    (uid,) = client.search(["SUBJECT", subject])
    return uid


def folder_results(report: CopyReport) -> dict:
    return {f.source: f for f in report.folders}


def test_a_delta_before_the_cutover_follows_the_users_moves_flags_and_new_mail(
    source_imap, target_imap
):
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    exchange.create_folder("Projects")
    for n, subject in enumerate(("Kept", "To flag", "To move", "To delete")):
        append(exchange, "INBOX", message(subject), (b"\\Seen",), DAY + timedelta(n))
    append(exchange, "Projects", message("Already filed"), (), DAY)
    assert copy(source_imap, target_imap, user, **BEFORE_CUTOVER).complete

    # The user goes on working on Exchange.
    append(exchange, "INBOX", message("New mail"), (), DAY + timedelta(9))
    exchange.add_flags(uid_of(exchange, "INBOX", "To flag"), [b"\\Flagged"])
    exchange.move(uid_of(exchange, "INBOX", "To move"), "Projects")
    exchange.delete_messages(uid_of(exchange, "INBOX", "To delete"))
    exchange.expunge()
    before = uids_and_flags(exchange)

    report = copy(source_imap, target_imap, user, **BEFORE_CUTOVER)

    target = target_imap.connect(user)
    assert subjects_and_flags(target, "INBOX") == {
        "Kept": (b"\\Seen",),
        "To flag": (b"\\Flagged", b"\\Seen"),
        "To delete": (b"\\Seen",),  # reported, not removed
        "New mail": (),
    }
    assert subjects_and_flags(target, "INBOX.Projects") == {
        "Already filed": (),
        "To move": (b"\\Seen",),
    }
    results = folder_results(report)
    assert (results["Projects"].moved, results["Projects"].copied) == (1, 0)
    assert (results["INBOX"].copied, results["INBOX"].flags_updated) == (1, 1)
    (deleted,) = results["INBOX"].problems
    assert (deleted.kind, deleted.subject) == (ProblemKind.DELETED_ON_SOURCE, "To delete")
    assert datetime.fromisoformat(deleted.date) == DAY + timedelta(3)
    assert report.complete  # a deletion is a note, not a failure
    assert uids_and_flags(exchange) == before  # Exchange is only read

    removed = copy(source_imap, target_imap, user, **BEFORE_CUTOVER, remove_deleted=True)
    (gone,) = folder_results(removed)["INBOX"].problems
    assert (gone.kind, gone.subject) == (ProblemKind.REMOVED, "To delete")
    assert set(subjects_and_flags(target, "INBOX")) == {"Kept", "To flag", "New mail"}
    again = copy(source_imap, target_imap, user, **BEFORE_CUTOVER)
    assert not [p for f in again.folders for p in f.problems]
    assert again.messages_copied == 0 and again.complete


def test_a_message_moved_into_a_new_folder_is_moved_there_once(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    append(exchange, "INBOX", message("Invoice"), (b"\\Seen",))
    copy(source_imap, target_imap, user, **BEFORE_CUTOVER)
    exchange.create_folder("Invoices")
    exchange.move(uid_of(exchange, "INBOX", "Invoice"), "Invoices")

    report = copy(source_imap, target_imap, user, **BEFORE_CUTOVER)

    target = target_imap.connect(user)
    assert subjects_and_flags(target, "INBOX") == {}
    assert subjects_and_flags(target, "INBOX.Invoices") == {"Invoice": (b"\\Seen",)}
    assert folder_results(report)["Invoices"].moved == 1 and report.complete


def test_without_the_delta_options_nothing_is_moved_or_reported(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    exchange.create_folder("Later")
    append(exchange, "INBOX", message("Wanders"))
    append(exchange, "INBOX", message("Goes"))
    copy(source_imap, target_imap, user)
    exchange.move(uid_of(exchange, "INBOX", "Wanders"), "Later")
    exchange.delete_messages(uid_of(exchange, "INBOX", "Goes"))
    exchange.expunge()

    report = copy(source_imap, target_imap, user)

    target = target_imap.connect(user)
    assert set(subjects_and_flags(target, "INBOX")) == {"Wanders", "Goes"}
    assert set(subjects_and_flags(target, "INBOX.Later")) == {"Wanders"}
    assert not [p for f in report.folders for p in f.problems]


def test_a_delta_after_the_cutover_leaves_what_the_user_did_on_the_target(
    source_imap, target_imap
):
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    for subject in ("Read it", "Filed away", "Thrown away"):
        append(exchange, "INBOX", message(subject), (b"\\Seen",), DAY)
    copy(source_imap, target_imap, user, **BEFORE_CUTOVER)
    cutover = datetime.now(UTC) - timedelta(minutes=1)

    # The user now works on the Intra2net server; a late message still reaches Exchange.
    target = target_imap.connect(user)
    target.create_folder("INBOX.Done")
    target.remove_flags(uid_of(target, "INBOX", "Read it"), [b"\\Seen"])
    target.move(uid_of(target, "INBOX", "Filed away"), "INBOX.Done")
    target.delete_messages(uid_of(target, "INBOX", "Thrown away"))
    target.expunge()
    exchange.add_flags(uid_of(exchange, "INBOX", "Read it"), [b"\\Flagged"])
    append(exchange, "INBOX", message("Late"), (), datetime.now(UTC))

    report = copy(source_imap, target_imap, user, only_since=cutover)

    assert subjects_and_flags(target, "INBOX") == {"Read it": (), "Late": ()}
    assert set(subjects_and_flags(target, "INBOX.Done")) == {"Filed away"}
    assert report.messages_copied == 1 and report.complete


def test_a_bandwidth_cap_holds_the_copy_to_its_pace(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    exchange = source_imap.connect(user)
    for n in range(12):
        append(exchange, "INBOX", message(f"Part {n}", body="x" * 50_000))

    report = copy(source_imap, target_imap, user, max_bytes_per_second=200_000)

    # About 600 KB at 200 KB/s after a second's allowance: two seconds at least.
    assert report.messages_copied == 12 and report.complete
    assert report.seconds >= 1.8


def test_a_bandwidth_cap_waits_off_its_debt_and_a_stop_ends_the_wait():
    cap = Bandwidth(1_000_000)
    started = time.monotonic()
    cap.take(1_000_000)  # the second's allowance
    cap.take(300_000)
    assert 0.25 <= time.monotonic() - started < 1.0

    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    cap.take(50_000_000, stop)
    assert time.monotonic() - started < 0.5
