"""Helpers for the dashboard's tests: a migration wired to the real IMAP servers, people with a
mailbox on both, a copy started through the actions and waited for; and, for the tests that need
hundreds of users, copy rows written as the workers leave them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from tests.helpers import wait_until
from wizard import actions
from wizard.models import (
    ChecklistTick,
    CopyRun,
    ImapServer,
    MailboxCopy,
    MailboxUser,
    Migration,
    StepState,
)
from wizard.steps import CHECKLIST_KEYS

State = MailboxCopy.State


def migration_on(source_imap, target_imap, **fields) -> Migration:
    """A migration during operation (no freeze, no backup step) whose servers are the test's
    Dovecots, where the administrators log in for each user as master users."""
    migration = Migration.objects.create(
        name="Corp", mode=Migration.Mode.DURING_OPERATION, **fields
    )
    for role, server in ((ImapServer.Role.SOURCE, source_imap),
                         (ImapServer.Role.TARGET, target_imap)):
        # As on Exchange, the administrator who acts for users needs a mailbox of its own.
        server.add_user(server.admin_user, server.admin_password)
        ImapServer.objects.create(
            migration=migration, role=role, host=server.host, port=server.port,
            security=ImapServer.Security.PLAIN, login_mode=ImapServer.LoginMode.ADMIN_MASTER,
            admin_user=server.admin_user, admin_password=server.admin_password,
        )
    return migration


def person(migration: Migration, sam: str, name: str = "", **fields) -> MailboxUser:
    return MailboxUser.objects.create(
        migration=migration, guid=str(uuid.uuid4()), sam=sam,
        display_name=name or sam.title(), primary_address=f"{sam}@corp.example", **fields,
    )


def account_on_both(source_imap, target_imap, prefix: str) -> str:
    """A login name of this test's own, with a mailbox on Exchange and on the target."""
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    source_imap.add_user(name, "pw-" + name)
    target_imap.add_user(name, "pw-" + name)
    return name


def start_copy(migration: Migration, actor) -> None:
    """The copy step's requirement (IMAP on Exchange checked) marked done, then the copy."""
    StepState.objects.create(migration=migration, key="imap", status=StepState.Status.DONE)
    actions.start_copy(migration, actor)


def copies_settled(migration: Migration, timeout: float = 90.0) -> list[MailboxCopy]:
    """Wait until no mailbox is waiting, queued or being copied; the copies, by account."""
    busy = (State.WAITING, State.QUEUED, State.COPYING, State.VERIFYING)
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    wait_until(lambda: copies.exists() and not copies.filter(state__in=busy).exists(), timeout)
    return list(copies.select_related("mailbox_user").order_by("mailbox_user__sam"))


# User number i has shape i % 6, however the users are made.
SHAPES = [
    dict(state=State.DONE, messages_total=120, messages_done=120, bytes_total=9_000_000,
         bytes_done=9_000_000, verified=True),
    dict(state=State.COPYING, messages_total=400, messages_done=100, bytes_total=30_000_000,
         bytes_done=7_000_000, current_folder="Inbox/Projects"),
    dict(state=State.FAILED, last_error="Login refused by Exchange. Check the password."),
    dict(state=State.NEEDS_ATTENTION, messages_total=50, messages_done=48, skipped=2,
         bytes_total=2_000_000, bytes_done=1_900_000, last_error="2 messages too large."),
    dict(state=State.WAITING, source_messages=300, source_bytes=12_000_000),
    dict(state=State.QUEUED, source_messages=10, source_bytes=100_000),
]


def users_with_progress(migration: Migration, count: int, *, start: int = 0) -> None:
    """`count` users with copy rows in every state, runs and checklist ticks, as the workers
    and the helpdesk leave them; rows are bulk-written, so that hundreds take no time."""
    now = timezone.now()
    users = MailboxUser.objects.bulk_create(
        MailboxUser(
            migration=migration, guid=str(uuid.uuid4()), sam=f"user{i:05d}",
            display_name=f"User {i:05d}", primary_address=f"user{i:05d}@corp.example",
        )
        for i in range(start, start + count)
    )
    copies, runs, ticks = [], [], []
    for index, user in enumerate(users, start=start):
        shape = SHAPES[index % len(SHAPES)]
        started = now - timedelta(minutes=10)
        running = shape["state"] in (State.COPYING, State.DONE)
        copies.append(MailboxCopy(
            mailbox_user=user, started_at=started if running else None,
            heartbeat_at=now if running else None,
            finished_at=now if shape["state"] == State.DONE else None, **shape,
        ))
        runs.append(CopyRun(mailbox_user=user, outcome=CopyRun.Outcome.DONE,
                            finished_at=now, bytes_copied=1000, messages_copied=1))
        ticks += [ChecklistTick(mailbox_user=user, key=key, ticked_by="harry")
                  for key in CHECKLIST_KEYS[: index % (len(CHECKLIST_KEYS) + 1)]]
    MailboxCopy.objects.bulk_create(copies)
    CopyRun.objects.bulk_create(runs)
    ChecklistTick.objects.bulk_create(ticks)
