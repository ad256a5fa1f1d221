"""The copy engine's progress, written to the database for the dashboard: counters at most about
once a second, folder rows once per folder. Counters are added with F() expressions in
filter().update(), so nothing an admin set on the row meanwhile is overwritten."""

from __future__ import annotations

import time

from django.db.models import F
from django.utils import timezone

from migrator.progress import (
    BatchDone,
    FolderFinished,
    FoldersFound,
    FolderStarted,
    ProgressEvent,
    Retrying,
)
from migrator.report import FolderResult as EngineFolderResult
from migrator.report import FolderStatus
from wizard.models import FolderResult, MailboxCopy, Migration

FLUSH_SECONDS = 1.0
STOP_POLL_SECONDS = 1.0


class DbProgress:
    def __init__(self, copy: MailboxCopy) -> None:
        self.copy_id = copy.pk
        self.user_id = copy.mailbox_user_id
        self.pending = {"messages_done": 0, "bytes_done": 0}
        self.last_flush = 0.0

    def report(self, event: ProgressEvent) -> None:
        if isinstance(event, FoldersFound):
            self._plan(event)
        elif isinstance(event, FolderStarted):
            self._add(messages_done=event.already_present)
            self._update(
                current_folder=event.source[:500], bytes_total=F("bytes_total") + event.bytes
            )
        elif isinstance(event, BatchDone):
            self._add(messages_done=event.copied, bytes_done=event.bytes_copied)
        elif isinstance(event, Retrying):
            self._update(retries=F("retries") + 1, last_error=event.reason[:500])
        elif isinstance(event, FolderFinished):
            self._finish_folder(event.result)
        if time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        changes = {name: F(name) + value for name, value in self.pending.items() if value}
        self.pending = dict.fromkeys(self.pending, 0)
        self._update(**changes)
        self.last_flush = time.monotonic()

    def _add(self, **amounts: int) -> None:
        for name, value in amounts.items():
            self.pending[name] += value

    def _update(self, **fields) -> None:
        MailboxCopy.objects.filter(pk=self.copy_id).update(heartbeat_at=timezone.now(), **fields)

    def _plan(self, event: FoldersFound) -> None:
        FolderResult.objects.filter(mailbox_user_id=self.user_id).delete()
        FolderResult.objects.bulk_create(
            FolderResult(
                mailbox_user_id=self.user_id,
                source_name=found.source,
                target_name=found.target or "",
                left_out=found.excluded_because,
                source_messages=found.messages or 0,
            )
            for found in event.folders
        )
        copied = [found for found in event.folders if not found.excluded_because]
        self._update(
            folders_total=len(copied),
            folders_done=0,
            messages_total=sum(found.messages or 0 for found in copied),
            messages_done=0,
            bytes_total=0,
            bytes_done=0,
            skipped=0,
            failed=0,
        )

    def _finish_folder(self, result: EngineFolderResult) -> None:
        self.flush()
        fields = folder_result_fields(result)
        rows = FolderResult.objects.filter(mailbox_user_id=self.user_id, source_name=result.source)
        if not rows.update(**fields):
            # A folder of an earlier copy whose source folder is gone: not in the plan's rows.
            FolderResult.objects.create(
                mailbox_user_id=self.user_id, source_name=result.source, **fields
            )
        if result.status in (FolderStatus.EXCLUDED, FolderStatus.GONE):
            return
        self._update(
            folders_done=F("folders_done") + 1,
            skipped=F("skipped") + result.skipped,
            failed=F("failed") + result.failed,
        )


def folder_result_fields(result: EngineFolderResult) -> dict:
    return {
        "target_name": result.target or "",
        "source_messages": result.source_messages,
        "copied": result.copied,
        "already_present": result.already_present,
        "skipped": result.skipped,
        "failed": result.failed,
        "problems": [p.to_json() for p in result.problems]
        + ([{"kind": str(result.status), "detail": result.reason}] if result.reason else []),
        "verified": None if result.verification is None else result.verification.ok,
        "moved": result.moved,
    }


class StopRequest:
    """`should_stop` for the engine: the copy was paused for the migration or for this user.
    Asks the database at most once a second."""

    def __init__(self, copy: MailboxCopy) -> None:
        self.copy_id = copy.pk
        self.migration_id = copy.mailbox_user.migration_id
        self.last_poll = 0.0
        self.stop = False

    def __call__(self) -> bool:
        if not self.stop and time.monotonic() - self.last_poll >= STOP_POLL_SECONDS:
            self.last_poll = time.monotonic()
            self.stop = (
                Migration.objects.filter(pk=self.migration_id, copy_paused=True).exists()
                or MailboxCopy.objects.filter(
                    pk=self.copy_id, state=MailboxCopy.State.PAUSED
                ).exists()
            )
        return self.stop
