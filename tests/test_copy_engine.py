"""The mail copy against real servers: an Exchange-like Dovecot as the source and a Dovecot set
up like the Intra2net server's Cyrus (separator '.', folders under INBOX.) as the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from migrator.copy import copy_mailbox
from migrator.errors import LoginRefused
from migrator.folders import FolderRules
from migrator.identity import identity_key, parse_header_fields
from migrator.options import CopyOptions
from migrator.progress import (
    BatchDone,
    FolderFinished,
    FoldersFound,
    FolderStarted,
    RecordingProgress,
)
from migrator.report import CopyReport, FolderStatus, ProblemKind
from tests.copy_fixtures import (
    DAY,
    STUB,
    admin_login,
    append,
    endpoint,
    message,
    new_user,
    seed_exchange_mailbox,
    snapshot,
    uids_and_flags,
)

FOLDER_MAP = {
    "INBOX": "INBOX",
    "Sent Items": "INBOX.Sent",
    "Deleted Items": "INBOX.Trash",
    "Drafts": "INBOX.Drafts",
    "Junk Email": "INBOX.Spam",
    "Archive": "INBOX.Archive",
    "Projects": "INBOX.Projects",
    "Projects/2024": "INBOX.Projects.2024",
    "Projects/2024/Q1 & Q2": "INBOX.Projects.2024.Q1 & Q2",
    "Kunden": "INBOX.Kunden",
    "Kunden/Müller & Söhne": "INBOX.Kunden.Müller & Söhne",
    "Version 1.5": "INBOX.Version 1_5",
    "Empty": "INBOX.Empty",
}
STUB_KEY = identity_key(parse_header_fields(STUB))
LEFT_OUT = {"Calendar", "Contacts", "Sync Issues", "Sync Issues/Conflicts"}


@dataclass
class Copied:
    user: str
    first: CopyReport
    second: CopyReport
    progress: RecordingProgress
    source_before: dict
    source_after: dict


def copy(source_imap, target_imap, user: str, progress=None, should_stop=None, **options):
    return copy_mailbox(
        endpoint(source_imap),
        endpoint(target_imap),
        admin_login(source_imap, user),
        admin_login(target_imap, user),
        options=CopyOptions(retry_delays=(0.1, 0.2, 0.5), **options),
        progress=progress,
        should_stop=should_stop,
    )


def pair_of_users(source_imap, target_imap) -> str:
    user = new_user(source_imap)
    target_imap.add_user(user, "pw-" + user)
    return user


@pytest.fixture(scope="module")
def copied(source_imap, target_imap) -> Copied:
    """One Exchange mailbox copied twice; most tests look at what that did."""
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    seed_exchange_mailbox(client)
    before = uids_and_flags(client)
    client.logout()
    progress = RecordingProgress()
    # Folders side by side over three pairs of connections, the 10 MB message through a
    # temporary file; then the defaults (one pair, large messages in memory).
    first = copy(
        source_imap, target_imap, user, progress=progress, connections=3, stream_threshold=1 << 20
    )
    second = copy(source_imap, target_imap, user)
    client = source_imap.connect(user)
    after = uids_and_flags(client)
    client.logout()
    return Copied(user, first, second, progress, before, after)


def folders(report: CopyReport) -> dict:
    return {f.source: f for f in report.folders}


def test_every_mail_folder_arrives_under_its_target_name(copied, target_imap):
    report = folders(copied.first)
    assert {s: report[s].target for s in FOLDER_MAP} == FOLDER_MAP
    client = target_imap.connect(copied.user)
    names = {name for _flags, _sep, name in client.list_folders()}
    subscribed = {name for _flags, _sep, name in client.list_sub_folders()}
    assert set(FOLDER_MAP.values()) <= names
    assert set(FOLDER_MAP.values()) - {"INBOX"} <= subscribed
    assert not names & {"INBOX.Calendar", "INBOX.Contacts", "INBOX.Sync Issues"}


def test_a_name_with_the_targets_separator_is_changed_visibly(copied):
    assert (
        "'Version 1.5' holds the target's separator" in folders(copied.first)["Version 1.5"].reason
    )


def test_non_mail_folders_are_left_out_with_the_reason(copied):
    report = folders(copied.first)
    for name in LEFT_OUT:
        assert report[name].status == FolderStatus.EXCLUDED
        assert report[name].target is None
    assert report["Calendar"].reason == "Holds calendar items, not mail."
    assert report["Sync Issues/Conflicts"].reason == "Holds synchronisation logs, not mail."


def test_messages_arrive_with_their_bytes_flags_keywords_and_internal_dates(
    copied, source_imap, target_imap
):
    source, target = source_imap.connect(copied.user), target_imap.connect(copied.user)
    for source_name, target_name in FOLDER_MAP.items():
        expected = [
            s
            for s in snapshot(source, source_name)
            if b"\\Deleted" not in s.flags and s.key != STUB_KEY
        ]
        assert snapshot(target, target_name) == expected, source_name


def test_two_identical_messages_stay_two_and_no_header_is_added(copied, target_imap):
    client = target_imap.connect(copied.user)
    client.select_folder("INBOX", readonly=True)
    twins = client.search(["HEADER", "Message-ID", "<twice@corp.example>"])
    assert len(twins) == 2
    without_id = client.search(["SUBJECT", "No id"])
    raw = client.fetch(without_id, [b"BODY.PEEK[]"])[without_id[0]][b"BODY[]"]
    assert raw == message("No id", message_id=None)


def test_a_10_mb_message_arrives_byte_for_byte(copied, source_imap, target_imap):
    def large(server):
        client = server.connect(copied.user)
        client.select_folder("INBOX", readonly=True)
        uid = client.search(["SUBJECT", "Large attachment"])[0]
        return client.fetch([uid], [b"BODY.PEEK[]"])[uid][b"BODY[]"]

    raw = large(target_imap)
    assert len(raw) > 10_000_000
    assert raw == large(source_imap)


def test_deleted_messages_are_skipped_and_stubs_fail_with_their_date(copied):
    inbox = folders(copied.first)["INBOX"]
    kinds = {p.kind: p for p in inbox.problems}
    assert kinds[ProblemKind.DELETED].subject == "Gone"
    stub = kinds[ProblemKind.CONVERSION_STUB]
    assert stub.date.startswith("2023-05-17") and "INBOX" in stub.detail
    assert (inbox.copied, inbox.skipped, inbox.failed) == (8, 1, 1)
    assert copied.first.verified
    assert not copied.first.complete  # the stub is a failure: exit status 1


def test_an_8bit_header_that_the_target_keeps_is_not_reported(copied):
    kinds = {p.kind for f in copied.first.folders for p in f.problems}
    assert ProblemKind.REWRITTEN not in kinds


def test_a_second_run_copies_nothing(copied):
    assert copied.first.messages_copied == 14
    assert copied.second.messages_copied == 0
    assert folders(copied.second)["INBOX"].already_present == 8
    assert copied.second.verified


def test_the_source_is_unchanged(copied):
    assert copied.source_after == copied.source_before
    assert any(b"\\Seen" not in flags for flags in copied.source_after["INBOX"].values())


def test_progress_reports_folders_totals_batches_and_results(copied):
    events = copied.progress
    found = events.of_type(FoldersFound)[0].folders
    assert {f.source for f in found} >= set(FOLDER_MAP) | LEFT_OUT
    assert next(f for f in found if f.source == "INBOX").messages == 10
    started = {e.source: e for e in events.of_type(FolderStarted)}
    assert (started["INBOX"].messages, started["INBOX"].to_copy) == (10, 8)
    assert sum(e.copied for e in events.of_type(BatchDone)) == 14
    assert len(events.of_type(FolderFinished)) == len(copied.first.folders)


def test_the_report_has_the_command_lines_json_shape(copied):
    data = copied.first.to_json()
    assert set(data) >= {"folders", "messages_copied", "bytes_copied", "seconds", "verified"}
    inbox = next(f for f in data["folders"] if f["source"] == "INBOX")
    assert set(inbox) >= {
        "source",
        "target",
        "source_messages",
        "copied",
        "already_present",
        "skipped",
        "failed",
        "problems",
    }
    assert {p["kind"] for p in inbox["problems"]} == {"deleted", "conversion_stub"}


def test_a_dry_run_plans_and_writes_nothing(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    append(client, "INBOX", message("One"))
    client.create_folder("Projects")
    append(client, "Projects", message("Two"))
    report = copy(source_imap, target_imap, user, dry_run=True)
    plan = folders(report)
    assert plan["Projects"].status == FolderStatus.PLANNED
    assert (plan["Projects"].target, plan["Projects"].to_copy) == ("INBOX.Projects", 1)
    assert report.messages_copied == 0 and not report.verified
    target = target_imap.connect(user)
    assert not target.folder_exists("INBOX.Projects")
    assert target.select_folder("INBOX")[b"EXISTS"] == 0


def test_a_resumed_copy_brings_over_the_missing_twin_with_its_own_flags(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    first = message("Same headers", message_id=None, body="version one\r\n")
    second = message("Same headers", message_id=None, body="version two\r\n")
    client = source_imap.connect(user)
    append(client, "INBOX", first, (b"\\Seen",))
    append(client, "INBOX", second, (b"\\Flagged",))
    # As if an earlier run had stopped after the second twin.
    append(target_imap.connect(user), "INBOX", second, (b"\\Flagged",))
    report = copy(source_imap, target_imap, user)
    assert report.messages_copied == 1 and report.complete
    assert snapshot(target_imap.connect(user), "INBOX") == snapshot(client, "INBOX")


def test_messages_over_the_size_limit_are_skipped_and_reported(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    append(client, "INBOX", message("Small"))
    append(client, "INBOX", message("Big", body="x" * 5000))
    report = copy(source_imap, target_imap, user, max_message_bytes=3000)
    (problem,) = folders(report)["INBOX"].problems
    assert problem.kind == ProblemKind.TOO_LARGE and problem.subject == "Big"
    assert "more than the 3000 the copy may append" in problem.detail
    assert report.messages_copied == 1 and report.verified and not report.complete


def test_flags_of_messages_already_copied_follow_only_when_asked(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    append(client, "INBOX", message("Read later"), (b"\\Seen",))
    copy(source_imap, target_imap, user)
    client.select_folder("INBOX")
    client.add_flags(client.search("ALL"), [b"\\Flagged"])
    target = target_imap.connect(user)

    assert copy(source_imap, target_imap, user).folders[0].flags_updated == 0
    assert snapshot(target, "INBOX")[0].flags == (b"\\Seen",)

    report = copy(source_imap, target_imap, user, sync_flags_of_existing=True)
    assert folders(report)["INBOX"].flags_updated == 1
    assert snapshot(target, "INBOX")[0].flags == (b"\\Flagged", b"\\Seen")


def test_exclusions_and_rename_rules_apply(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    for name in ("Old", "Old/2019", "Private"):
        client.create_folder(name)
    append(client, "Old/2019", message("Ancient"))
    rules = FolderRules(exclude=(r"^Private$",), rename=((r"Old", r"Archive/Before 2020"),))
    report = copy(source_imap, target_imap, user, folder_rules=rules)
    plan = folders(report)
    assert plan["Private"].reason == "Excluded by the rule '^Private$'."
    assert plan["Old/2019"].target == "INBOX.Archive.Before 2020.2019"
    assert plan["Old/2019"].copied == 1


@pytest.mark.parametrize("by_reading", [False, True])
def test_a_message_lost_on_the_target_during_the_copy_is_reported_missing(
    source_imap, target_imap, by_reading
):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    for n in range(6):
        append(client, "INBOX", message(f"Message {n}"), (), DAY + timedelta(minutes=n))
    target = target_imap.connect(user)

    class LoseOne(RecordingProgress):
        def report(self, event):
            super().report(event)
            if isinstance(event, BatchDone) and event.copied and len(self.of_type(BatchDone)) == 1:
                target.select_folder("INBOX")
                target.delete_messages(target.search("ALL")[:1])
                target.expunge()

    report = copy(
        source_imap,
        target_imap,
        user,
        progress=LoseOne(),
        batch_messages=3,
        verify_by_reading=by_reading,
    )
    inbox = folders(report)["INBOX"]
    (missing,) = inbox.verification.missing
    assert missing.startswith("Message 0 (2023-05-17T")
    assert not report.verified and not report.complete


def test_a_cancel_request_stops_between_batches_and_the_next_run_finishes(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    client = source_imap.connect(user)
    for n in range(30):
        append(client, "INBOX", message(f"Message {n}"), (), DAY + timedelta(minutes=n))
    progress = RecordingProgress()
    stopped = copy(
        source_imap,
        target_imap,
        user,
        progress=progress,
        should_stop=lambda: bool(progress.of_type(BatchDone)),
        batch_messages=2,
        connections=1,
    )
    assert stopped.stopped and not stopped.complete
    assert 0 < stopped.messages_copied < 30
    finished = copy(source_imap, target_imap, user)
    assert finished.messages_copied == 30 - stopped.messages_copied and finished.complete
    assert snapshot(target_imap.connect(user), "INBOX") == snapshot(client, "INBOX")


def test_a_wrong_password_is_refused_in_one_sentence(source_imap, target_imap):
    user = pair_of_users(source_imap, target_imap)
    wrong = admin_login(source_imap, user)
    wrong = type(wrong)(user, "wrong", wrong.mode, admin=wrong.admin)
    with pytest.raises(LoginRefused) as refused:
        copy_mailbox(
            endpoint(source_imap), endpoint(target_imap), wrong, admin_login(target_imap, user)
        )
    assert "refused" in str(refused.value) and "wrong" not in str(refused.value)
    assert "\n" not in str(refused.value)
