"""Broken connections in the middle of a copy: the engine reopens them with backoff, resumes
from what the target holds, and ends exact; when a server stays away it gives up clearly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from migrator.copy import copy_mailbox
from migrator.errors import ConnectionLost
from migrator.options import CopyOptions
from migrator.progress import BatchDone, RecordingProgress, Retrying
from tests.copy_fixtures import DAY, admin_login, append, endpoint, message, new_user, snapshot
from tests.servers.proxy import TcpProxy

MESSAGES = 40
BODY = "All work and no play makes Jack a dull boy.\r\n" * 400  # about 18 KB


@pytest.fixture
def user(source_imap, target_imap) -> str:
    name = new_user(source_imap)
    target_imap.add_user(name, "pw-" + name)
    client = source_imap.connect(name)
    client.create_folder("Projects")
    for n in range(MESSAGES):
        folder = "INBOX" if n % 4 else "Projects"
        append(client, folder, message(f"Message {n}", body=BODY), (), DAY + timedelta(hours=n))
    client.logout()
    return name


def copy(source, target, user, source_server, target_server, progress=None):
    return copy_mailbox(
        source,
        target,
        admin_login(source_server, user),
        admin_login(target_server, user),
        options=CopyOptions(batch_messages=5, retry_delays=(0.05, 0.1, 0.2)),
        progress=progress,
    )


def assert_exact(user, source_imap, target_imap):
    source, target = source_imap.connect(user), target_imap.connect(user)
    assert snapshot(target, "INBOX") == snapshot(source, "INBOX")
    assert snapshot(target, "INBOX.Projects") == snapshot(source, "Projects")


def test_a_source_connection_cut_in_the_middle_of_a_fetch_ends_exact(
    user, source_imap, target_imap
):
    with TcpProxy(source_imap.host, source_imap.port) as proxy:
        proxy.cut_after(bytes_from_server=300_000)  # inside the bodies of the INBOX
        progress = RecordingProgress()
        report = copy(
            endpoint(source_imap, proxy.port),
            endpoint(target_imap),
            user,
            source_imap,
            target_imap,
            progress,
        )
    assert proxy.cuts == 1
    assert progress.of_type(Retrying)
    assert report.messages_copied == MESSAGES and report.complete
    assert_exact(user, source_imap, target_imap)


def test_a_target_connection_cut_between_batches_ends_exact(user, source_imap, target_imap):
    with TcpProxy(target_imap.host, target_imap.port) as proxy:

        class CutOnce(RecordingProgress):
            def report(self, event):
                super().report(event)
                if isinstance(event, BatchDone) and event.copied and not proxy.cuts:
                    proxy.cut()

        progress = CutOnce()
        report = copy(
            endpoint(source_imap),
            endpoint(target_imap, proxy.port),
            user,
            source_imap,
            target_imap,
            progress,
        )
    assert proxy.cuts >= 1 and progress.of_type(Retrying)
    assert report.messages_copied == MESSAGES and report.complete
    assert_exact(user, source_imap, target_imap)


def test_a_server_that_stays_away_ends_the_copy_with_one_clear_error(
    user, source_imap, target_imap
):
    proxy = TcpProxy(source_imap.host, source_imap.port)

    class StopProxy(RecordingProgress):
        def report(self, event):
            super().report(event)
            if isinstance(event, BatchDone) and event.copied:
                proxy.stop()

    with pytest.raises(ConnectionLost) as lost:
        copy(
            endpoint(source_imap, proxy.port),
            endpoint(target_imap),
            user,
            source_imap,
            target_imap,
            StopProxy(),
        )
    assert str(lost.value).startswith("Gave up after 3 attempts: ")
    assert "\n" not in str(lost.value)
