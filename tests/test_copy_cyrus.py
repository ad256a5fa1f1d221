"""The mail copy into a real Cyrus IMAP 3.6, the Intra2net server's own IMAP server: what it
rejects (NUL bytes) and rewrites (8-bit header bytes) is reported, `repair` fixes it, and the
identity of a rewritten message survives so that a second run copies nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from migrator.copy import copy_mailbox
from migrator.endpoints import LoginMode
from migrator.options import CopyOptions
from migrator.report import CopyReport, ProblemKind
from tests.copy_fixtures import (
    admin_login,
    append,
    endpoint,
    message,
    new_user,
    seed_exchange_mailbox,
    snapshot,
    uids_and_flags,
)

EXPECTED_FOLDERS = {
    "INBOX": "INBOX",
    "Sent Items": "INBOX.Sent",
    "Deleted Items": "INBOX.Trash",
    "Drafts": "INBOX.Drafts",
    "Junk Email": "INBOX.Spam",
    "Archive": "INBOX.Archive",
    "Projects/2024/Q1 & Q2": "INBOX.Projects.2024.Q1 & Q2",
    "Kunden/Müller & Söhne": "INBOX.Kunden.Müller & Söhne",
    "Version 1.5": "INBOX.Version 1_5",
    "Empty": "INBOX.Empty",
}


@pytest.fixture(scope="module")
def cyrus():
    from tests.servers.cyrus import start_cyrus

    # User cyrus must reach the folder: pytest's own temporary folders are private to root.
    directory = Path(tempfile.mkdtemp(prefix="copy-cyrus-"))
    try:
        with start_cyrus(directory) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def cyrus_user(source_imap, cyrus) -> str:
    user = new_user(source_imap)
    cyrus.add_user(user, "any")
    return user


def copy(source_imap, cyrus, user: str, **options) -> CopyReport:
    return copy_mailbox(
        endpoint(source_imap),
        endpoint(cyrus),
        admin_login(source_imap, user, LoginMode.ADMIN_MASTER),
        admin_login(cyrus, user),
        options=CopyOptions(**options),
    )


def problems(report: CopyReport) -> dict[str, ProblemKind]:
    return {p.subject: p.kind for f in report.folders for p in f.problems}


def test_an_exchange_mailbox_arrives_exact_in_cyrus_and_a_second_run_copies_nothing(
    source_imap, cyrus
):
    user = cyrus_user(source_imap, cyrus)
    source = source_imap.connect(user)
    seed_exchange_mailbox(source)
    before = uids_and_flags(source)

    first = copy(source_imap, cyrus, user)
    second = copy(source_imap, cyrus, user)

    assert {f.source: f.target for f in first.folders if f.source in EXPECTED_FOLDERS} == (
        EXPECTED_FOLDERS
    )
    assert first.messages_copied == 14 and first.verified
    assert second.messages_copied == 0 and second.verified
    # Cyrus turns the 8-bit header bytes into 'X' and the report says so by name.
    assert problems(first)["Grüße aus Köln"] == ProblemKind.REWRITTEN
    target = cyrus.connect(user)
    for source_name, target_name in EXPECTED_FOLDERS.items():
        expected = [
            s
            for s in snapshot(source, source_name)
            if b"\\Deleted" not in s.flags and not (source_name == "INBOX" and not s.key)
        ]
        copied = snapshot(target, target_name)
        assert len(copied) == len(expected) - (source_name == "INBOX"), source_name  # the stub
        assert set(copied) <= set(expected), source_name
    assert uids_and_flags(source) == before
    # A fresh Cyrus mailbox has no Sent or Trash: they are created marked for mail programs.
    uses = {name: set(flags) for flags, _sep, name in target.list_folders()}
    assert b"\\Sent" in uses["INBOX.Sent"] and b"\\Trash" in uses["INBOX.Trash"]
    assert b"\\Junk" in uses["INBOX.Spam"] and b"\\Drafts" in uses["INBOX.Drafts"]


def test_a_message_cyrus_refuses_is_reported_with_its_answer_and_the_copy_goes_on(
    source_imap, cyrus
):
    # (A message with NUL bytes can't be staged: Dovecot serves NULs as 0x80. Cyrus refuses a
    # header field name with a space the same way, and the repair of NULs is tested without
    # servers in test_copy_identity.)
    user = cyrus_user(source_imap, cyrus)
    source = source_imap.connect(user)
    append(source, "INBOX", message("Odd header", extra_headers=b"X-Bad Name: y\r\n"))
    append(source, "INBOX", message("Fine"))

    report = copy(source_imap, cyrus, user)

    inbox = report.folders[0]
    (problem,) = inbox.problems
    assert (problem.kind, problem.subject) == (ProblemKind.REJECTED, "Odd header")
    assert problem.detail == "The target refused it (Message contains invalid header)."
    assert (inbox.copied, inbox.failed) == (1, 1)
    assert report.verified and not report.complete


def test_repair_encodes_8bit_headers_instead_of_letting_cyrus_rewrite_them(source_imap, cyrus):
    user = cyrus_user(source_imap, cyrus)
    source = source_imap.connect(user)
    append(source, "INBOX", message("x").replace(b"Subject: x", "Subject: Grüße".encode()))

    report = copy(source_imap, cyrus, user, repair=True)

    assert problems(report) == {"Grüße": ProblemKind.REPAIRED}
    stored = cyrus.connect(user)
    stored.select_folder("INBOX", readonly=True)
    subject = stored.fetch([1], [b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[1]
    assert b"=?utf-8?Q?Gr=C3=BC=C3=9Fe?=" in next(
        iter(v for k, v in subject.items() if k != b"SEQ")
    )
    assert copy(source_imap, cyrus, user, repair=True).messages_copied == 0
