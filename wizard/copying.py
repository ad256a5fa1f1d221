"""The copy's bookkeeping: which mailboxes start next (at most `parallel_copies` at once per
migration, since Exchange throttles IMAP per server), claiming one for a worker, and recording
what the engine reported. State changes are compare-and-set: an admin may pause meanwhile."""

from __future__ import annotations

import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from migrator.report import CopyReport
from wizard import cutover, locks, notifications
from wizard.models import CopyRun, MailboxCopy, Migration
from wizard.progress import folder_result_fields

State = MailboxCopy.State
ACTIVE = (State.QUEUED, State.COPYING, State.VERIFYING)
# A copy whose worker has not written for this long is taken to be dead and may be claimed again.
STALE_AFTER = timedelta(minutes=10)
_CUTOVER_FIRST = Case(
    When(phase=MailboxCopy.Phase.CUTTING_OVER, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def ensure_copy_rows(migration: Migration) -> None:
    """A MailboxCopy for every selected user who has none yet."""
    users = migration.mailbox_users.filter(selected=True, copy__isnull=True)
    MailboxCopy.objects.bulk_create(MailboxCopy(mailbox_user=user) for user in users)


def queue_next(migration_id: int) -> list[int]:
    """Move waiting mailboxes to QUEUED while slots are free; returns their users' ids."""
    with transaction.atomic():
        migration = Migration.objects.select_for_update().get(pk=migration_id)
        if migration.copy_paused:
            return []
        copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
        free = migration.parallel_copies - copies.filter(state__in=ACTIVE).count()
        if free <= 0:
            return []
        candidates = copies.filter(state=State.WAITING, mailbox_user__selected=True)
        if migration.mode == Migration.Mode.DURING_OPERATION:
            # Users still planned wait for their pre-stage; a cutover (its user waits with
            # Outlook closed) goes before the other users' copies.
            candidates = candidates.exclude(phase=MailboxCopy.Phase.PLANNED)
        waiting = list(
            candidates.order_by(_CUTOVER_FIRST, "mailbox_user__sam")
            .values_list("pk", "mailbox_user_id")[:free]
        )
        MailboxCopy.objects.filter(pk__in=[pk for pk, _ in waiting], state=State.WAITING).update(
            state=State.QUEUED
        )
    return [user_id for _, user_id in waiting]


def claim(mailbox_user_id: int, stale_after: timedelta = STALE_AFTER) -> MailboxCopy | None:
    """Take a queued copy (or one whose worker died) for this worker, or None. A worker that
    holds the mailbox's lock (wizard.locks) knows any running copy's worker is dead: it passes
    a `stale_after` of zero."""
    now = timezone.now()
    stale = MailboxCopy.objects.filter(
        mailbox_user_id=mailbox_user_id, state=State.COPYING, heartbeat_at__lt=now - stale_after
    )
    queued = MailboxCopy.objects.filter(mailbox_user_id=mailbox_user_id, state=State.QUEUED)
    fields = {
        "state": State.COPYING,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "last_error": "",
        "verified": None,
        "current_folder": "",
    }
    if not (queued.update(**fields) or stale.update(**fields)):
        return None
    return MailboxCopy.objects.select_related("mailbox_user__migration").get(
        mailbox_user_id=mailbox_user_id
    )


def start_run(copy: MailboxCopy) -> CopyRun:
    # A run still open was its worker's last: it died (the caller holds the mailbox's lock).
    CopyRun.objects.filter(
        mailbox_user_id=copy.mailbox_user_id, outcome=CopyRun.Outcome.RUNNING
    ).update(
        outcome=CopyRun.Outcome.FAILED,
        finished_at=timezone.now(),
        error=gettext_noop(
            "Its worker stopped in the middle (crashed or killed); another one went on."
        ),
    )
    return CopyRun.objects.create(
        mailbox_user_id=copy.mailbox_user_id, kind=copy.run_kind, worker=socket.gethostname()
    )


def record_report(copy: MailboxCopy, run: CopyRun, report: CopyReport) -> None:
    if report.stopped:
        outcome, state = CopyRun.Outcome.STOPPED, State.PAUSED
    elif report.complete:
        outcome, state = CopyRun.Outcome.DONE, State.DONE
    else:
        outcome, state = CopyRun.Outcome.INCOMPLETE, State.NEEDS_ATTENTION
    if run.kind == CopyRun.Kind.TRIAL and state == State.DONE:
        if report.messages_copied:
            _store_throughput(copy.mailbox_user.migration_id, report)
        # Mail goes on arriving until the freeze: the real copy takes this mailbox again.
        state = State.WAITING
    for folder in report.folders:
        copy.mailbox_user.folder_results.filter(source_name=folder.source).update(
            **folder_result_fields(folder)
        )
    _finish(
        copy,
        run,
        outcome,
        state,
        report.summary() if state != State.DONE else "",
        verified=report.verified,
        messages=report.messages_copied,
        bytes_=report.bytes_copied,
        seconds=report.seconds,
    )


def _store_throughput(migration_id: int, report: CopyReport) -> None:
    seconds = max(report.seconds, 0.001)
    Migration.objects.filter(pk=migration_id).update(
        trial_messages_per_second=report.messages_copied / seconds,
        trial_bytes_per_second=report.bytes_copied / seconds,
    )


def record_lost(run: CopyRun, report: CopyReport | None = None) -> None:
    """The mailbox's lock expired while this run went on (wizard.locks): another worker may
    copy it now, so only the run is closed; the mailbox's state is that worker's to write."""
    CopyRun.objects.filter(pk=run.pk).update(
        outcome=CopyRun.Outcome.STOPPED,
        finished_at=timezone.now(),
        messages_copied=report.messages_copied if report else 0,
        bytes_copied=report.bytes_copied if report else 0,
        seconds=report.seconds if report else None,
        error=gettext_noop("The mailbox's lock expired; another worker took the mailbox over."),
    )


def orphaned_copies() -> list[int]:
    """Users whose copy is marked as running although nobody holds its lock any more: their
    worker died. Only once the heartbeat is older than a lock lives, so that a copy just
    claimed (or just finishing) is never taken for one."""
    quiet_since = timezone.now() - timedelta(seconds=settings.MAILBOX_LOCK_SECONDS)
    running = MailboxCopy.objects.filter(
        state=State.COPYING, heartbeat_at__lt=quiet_since
    ).values_list("mailbox_user_id", flat=True)
    return [user_id for user_id in running if locks.holder(user_id) is None]


def record_failure(copy: MailboxCopy, run: CopyRun, error: str) -> None:
    _finish(copy, run, CopyRun.Outcome.FAILED, State.FAILED, error)


def _finish(
    copy, run, outcome, state, error: str, *, verified=None, messages=0, bytes_=0, seconds=None
) -> None:
    now = timezone.now()
    # One transaction: whoever sees the copy finished sees the user's phase and cutover too.
    with transaction.atomic():
        CopyRun.objects.filter(pk=run.pk).update(
            outcome=outcome,
            finished_at=now,
            messages_copied=messages,
            bytes_copied=bytes_,
            seconds=seconds,
            error=error,
        )
        # Only from COPYING: a copy the admin paused or reset meanwhile keeps what they said.
        MailboxCopy.objects.filter(pk=copy.pk, state__in=(State.COPYING, State.PAUSED)).update(
            state=state,
            finished_at=now,
            heartbeat_at=now,
            verified=verified,
            last_error=error[:500],
            current_folder="",
            remove_deleted=False,
        )
        # During operation: in sync after a pre-stage, the cutover's copies ticked (issue 7).
        cutover.run_finished(copy, run.kind, outcome)
    # Issue 6: the admins hear of a failure or of the end of the whole copy (from a task).
    notifications.copy_run_finished(run.pk)
