"""Step 17's bookkeeping: what a look at both servers found, the copy's progress and result per
folder, the rights to set (or to list for the admin), and the step's state derived from them.

State changes are compare-and-set (`claim`), counters are added with F() in filter().update(),
so a worker never overwrites what an admin did meanwhile."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from migrator.folders import FolderRules
from migrator.options import CopyOptions
from migrator.progress import BatchDone, FolderFinished, FoldersFound, FolderStarted
from migrator.report import CopyReport, FolderStatus
from migrator.report import FolderResult as EngineFolderResult
from migrator.shared_folders import (
    RIGHT_LETTERS,
    Grant,
    GrantResult,
    Rights,
    SharedFolderListing,
    TargetLayout,
    target_name,
)
from migrator.text import say
from wizard.models import Migration, SharedFolder, SharedFolderGrant, SharedFolderSetup

State = SharedFolderSetup.State
BUSY = (State.LISTING, State.QUEUED, State.COPYING, State.GRANTING)
# A worker that has not written for this long is taken to be dead: the admin may start again.
STALE_AFTER = timedelta(minutes=10)
FLUSH_SECONDS = 1.0


def setup_of(migration: Migration) -> SharedFolderSetup:
    setup, _ = SharedFolderSetup.objects.get_or_create(migration=migration)
    return setup


def idle_or_stale() -> Q:
    """Setups that may be moved to a busy state now."""
    stale = timezone.now() - STALE_AFTER
    return (
        ~Q(state__in=BUSY)
        | Q(heartbeat_at__lt=stale)
        | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )


def claim(migration_id: int, old: str, new: str) -> SharedFolderSetup | None:
    """Move the setup from `old` to `new` for this worker, or None when it is not in `old`."""
    now = timezone.now()
    if not SharedFolderSetup.objects.filter(migration_id=migration_id, state=old).update(
        state=new, started_at=now, heartbeat_at=now
    ):
        return None
    return SharedFolderSetup.objects.select_related("migration").get(migration_id=migration_id)


def status_of(migration: Migration) -> dict:
    """What the status fragment shows, on the step's pages and the dashboard: one query, and
    no row written (folders exist only once a setup does)."""

    def folders(**lookups) -> Q:
        return Q(**{f"migration__shared_folders__{name}": v for name, v in lookups.items()})

    chosen = folders(kind=SharedFolder.Kind.IMAP, chosen=True, found=True, selectable=True)
    outlook = folders(kind=SharedFolder.Kind.OUTLOOK)
    counted = "migration__shared_folders"
    setup = (
        SharedFolderSetup.objects.filter(migration=migration)
        .annotate(
            chosen_count=Count(counted, filter=chosen),
            copied_count=Count(counted, filter=chosen & folders(verified=True, failed=0)),
            outlook_count=Count(counted, filter=outlook),
            signed_off_count=Count(counted, filter=outlook & folders(signed_off_at__isnull=False)),
        )
        .first()
    )
    counts = ("chosen_count", "copied_count", "outlook_count", "signed_off_count")
    return {
        "migration": migration,
        "setup": setup or SharedFolderSetup(migration=migration),
        **{name: getattr(setup, name, 0) for name in counts},
    }


def imap_folders(migration: Migration):
    return SharedFolder.objects.filter(migration=migration, kind=SharedFolder.Kind.IMAP)


def chosen_folders(migration: Migration):
    return imap_folders(migration).filter(chosen=True, found=True, selectable=True)


# --- the look at both servers ----------------------------------------------------------------


def store_listing(
    setup: SharedFolderSetup, listing: SharedFolderListing, layout: TargetLayout
) -> str:
    """Write what was found; folders found before keep the admin's choice and target name.
    Returns a sentence for the page."""
    prefix = setup.target_prefix or layout.default_prefix()
    found = {folder.name: folder for folder in listing.folders}
    existing = {row.name: row for row in imap_folders(setup.migration)}
    for name, folder in found.items():
        values = {
            "namespace": folder.namespace,
            "selectable": folder.selectable,
            "messages": folder.messages,
            "bytes": folder.bytes,
            "found": True,
            "result": folder.problem[:500],
        }
        row = existing.get(name)
        if row is None:
            SharedFolder.objects.create(
                migration=setup.migration,
                kind=SharedFolder.Kind.IMAP,
                name=name,
                target_name=target_name(
                    name, folder.namespace, listing.separator, prefix, layout.separator
                ),
                **values,
            )
        else:
            SharedFolder.objects.filter(pk=row.pk).update(**values)
    imap_folders(setup.migration).exclude(name__in=found).update(found=False, chosen=False)
    if listing.found:
        spaces = ", ".join(f"“{prefix}”" for prefix in listing.namespaces)
        sentence = say(
            "Exchange shows the public namespace {namespaces}; folders found: {count}.",
            namespaces=spaces,
            count=len(found),
        )
    else:
        sentence = gettext_noop(
            "Exchange shows no public namespace over IMAP: move the public folders through "
            "Outlook, with the checklist below."
        )
    SharedFolderSetup.objects.filter(pk=setup.pk).update(
        method=SharedFolderSetup.Method.IMAP if listing.found else SharedFolderSetup.Method.OUTLOOK,
        target_prefix=prefix,
        source_namespaces=list(listing.namespaces),
        source_separator=listing.separator,
        target_separator=layout.separator,
        target_acl=layout.acl,
        listed_at=timezone.now(),
        state=State.IDLE,
        message=sentence,
        heartbeat_at=timezone.now(),
    )
    return sentence


def renamed_targets(setup: SharedFolderSetup, prefix: str) -> int:
    """Every folder found over IMAP renamed below a new prefix; returns how many."""
    rows = list(imap_folders(setup.migration))
    for row in rows:
        row.target_name = target_name(
            row.name,
            row.namespace,
            setup.source_separator or "/",
            prefix,
            setup.target_separator or "/",
        )
    SharedFolder.objects.bulk_update(rows, ["target_name"])
    return len(rows)


def fail(setup_id: int, error: str) -> None:
    """A look or a copy that could not run at all; the rows stay as they were."""
    SharedFolderSetup.objects.filter(pk=setup_id).update(
        state=State.FAILED, message=error[:500], finished_at=timezone.now(), current_folder=""
    )


# --- the copy --------------------------------------------------------------------------------


def copy_options(setup: SharedFolderSetup) -> CopyOptions:
    """Only the chosen folders, each to its target name; never anything of a user's own."""
    pairs = tuple(chosen_folders(setup.migration).values_list("name", "target_name"))
    return CopyOptions(
        folder_rules=FolderRules(only=pairs),
        max_message_bytes=setup.migration.max_message_mb * 1024 * 1024,
    )


class CopyProgress:
    """The engine's progress sink for the shared folders' copy: counters on the setup at most
    about once a second, each folder's result on its row."""

    def __init__(self, setup: SharedFolderSetup) -> None:
        self.setup_id = setup.pk
        self.migration_id = setup.migration_id
        self.pending = {"messages_done": 0, "bytes_done": 0}
        self.last_flush = 0.0

    def report(self, event) -> None:
        if isinstance(event, FoldersFound):
            planned = [found for found in event.folders if not found.excluded_because]
            self._update(
                folders_total=len(planned),
                folders_done=0,
                messages_total=sum(found.messages or 0 for found in planned),
                messages_done=0,
                bytes_done=0,
            )
            names = {found.source for found in planned}
            chosen = SharedFolder.objects.filter(
                migration_id=self.migration_id, kind=SharedFolder.Kind.IMAP, chosen=True
            )
            chosen.exclude(name__in=names).update(
                verified=False, result=say("Not found on Exchange any more.")
            )
        elif isinstance(event, FolderStarted):
            self.pending["messages_done"] += event.already_present
            self._update(current_folder=event.source[:1000])
        elif isinstance(event, BatchDone):
            self.pending["messages_done"] += event.copied
            self.pending["bytes_done"] += event.bytes_copied
        elif isinstance(event, FolderFinished):
            self._finish_folder(event.result)
        if time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        changes = {name: F(name) + value for name, value in self.pending.items() if value}
        self.pending = dict.fromkeys(self.pending, 0)
        self._update(**changes)
        self.last_flush = time.monotonic()

    def _update(self, **fields) -> None:
        SharedFolderSetup.objects.filter(pk=self.setup_id).update(
            heartbeat_at=timezone.now(), **fields
        )

    def _finish_folder(self, result: EngineFolderResult) -> None:
        if result.status == FolderStatus.EXCLUDED:
            return
        self.flush()
        record_folder(self.migration_id, result)
        self._update(folders_done=F("folders_done") + 1)


def record_folder(migration_id: int, result: EngineFolderResult) -> None:
    SharedFolder.objects.filter(
        migration_id=migration_id, kind=SharedFolder.Kind.IMAP, name=result.source
    ).update(
        copied=result.copied,
        already_present=result.already_present,
        skipped=result.skipped,
        failed=result.failed,
        verified=None if result.verification is None else result.verification.ok,
        result=_result_text(result)[:500],
    )


def _result_text(result: EngineFolderResult) -> str:
    """What the folder's row says besides its counts: why it failed, or its notes."""
    if result.status == FolderStatus.FAILED:
        return say("Failed: {reason}", reason=result.reason) if result.reason else say("Failed.")
    if result.status == FolderStatus.STOPPED:
        return " ".join(part for part in (say("Stopped before the end."), result.reason) if part)
    return result.reason


def record_copy(setup: SharedFolderSetup, report: CopyReport) -> None:
    for folder in report.folders:
        if folder.status != FolderStatus.EXCLUDED:
            record_folder(setup.migration_id, folder)
    SharedFolderSetup.objects.filter(pk=setup.pk).update(
        verified=report.verified,
        message=report.summary()[:500],
        current_folder="",
        heartbeat_at=timezone.now(),
    )


# --- the rights ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RightByHand:
    folder: str
    group: str
    rights: str
    letters: str


def grants_of(migration: Migration):
    return SharedFolderGrant.objects.filter(folder__migration=migration).select_related(
        "folder", "group"
    )


def pending_grants(setup: SharedFolderSetup) -> list[tuple[SharedFolderGrant, Grant]]:
    """The rights on the chosen folders, as the target's ACL names them."""
    rows = grants_of(setup.migration).filter(
        folder__kind=SharedFolder.Kind.IMAP, folder__chosen=True, folder__found=True
    )
    return [
        (
            row,
            Grant(
                row.folder.target_name,
                setup.acl_identifier.replace("{group}", row.group.name),
                Rights(row.rights),
            ),
        )
        for row in rows
    ]


def record_grants(results: list[tuple[SharedFolderGrant, GrantResult]]) -> int:
    """Store each outcome; returns how many failed."""
    now = timezone.now()
    for row, result in results:
        SharedFolderGrant.objects.filter(pk=row.pk).update(
            applied_at=now, applied_ok=result.ok, applied_message=result.message[:500]
        )
    return sum(1 for _, result in results if not result.ok)


def rights_by_hand(migration: Migration, setup: SharedFolderSetup) -> list[RightByHand]:
    """The rights the admin sets in the Intra2net server's administration: all of them when
    the target has no ACL extension or the folders move through Outlook, else those that
    could not be set."""
    rows = grants_of(migration)
    if setup.target_acl and setup.method == SharedFolderSetup.Method.IMAP:
        rows = rows.filter(applied_ok=False)
    return [
        RightByHand(
            row.folder.target_name or row.folder.name,
            row.group.name,
            row.get_rights_display().split(" (")[0],
            RIGHT_LETTERS[Rights(row.rights)],
        )
        for row in rows
    ]


def finish(setup: SharedFolderSetup, note: str = "") -> str:
    """The state once a copy or the rights are done, read from the rows: done when every
    chosen folder is copied and verified and every right could be set."""
    setup.refresh_from_db(fields=["state", "message"])
    folders = chosen_folders(setup.migration)
    copied = folders.exclude(verified__isnull=True)
    broken = folders.filter(Q(verified=False) | Q(failed__gt=0) | Q(verified__isnull=True))
    refused = grants_of(setup.migration).filter(applied_ok=False).count()
    if not copied.exists():
        state = State.IDLE
    elif broken.exists() or refused:
        state = State.NEEDS_ATTENTION
    else:
        state = State.DONE
    message = setup.message if setup.state != State.GRANTING else ""
    if refused:
        note = " ".join(
            part
            for part in (say("Rights that could not be set: {count}.", count=refused), note)
            if part
        )
    SharedFolderSetup.objects.filter(pk=setup.pk).update(
        state=state,
        message=" ".join(part for part in (message, note) if part)[:500],
        finished_at=timezone.now(),
        current_folder="",
    )
    return State(state).label
