"""A user's way through a migration during operation: planned, pre-staging, in sync, cutting
over, checklist, done; failed or paused on the way, as their copy's state says. What each phase
asks of the copy engine, what the copy worker records after a run, and the cutover's items as
its page shows them. The admins' changes are in wizard.actions; phases change only there and
here, each by compare-and-set on the phase it expects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from migrator.options import CopyOptions
from wizard.models import AuditEntry, CopyRun, CutoverTick, MailboxCopy, MailboxUser, Migration
from wizard.steps import CHECKLIST_KEYS, CUTOVER, CutoverEntry

Phase = MailboxCopy.Phase
State = MailboxCopy.State
# No copy of the mailbox waits or runs: a new one may be asked for.
IDLE = (State.DONE, State.NEEDS_ATTENTION, State.FAILED)
BUSY = (State.WAITING, State.QUEUED, State.COPYING, State.VERIFYING)
WORKER = gettext_noop("copy worker")
# After the cutover only mail that reached Exchange from shortly before the routing switch on is
# copied (clocks differ); what the user deleted of those minutes' mail may come back once.
SWITCH_MARGIN = timedelta(minutes=5)
# The user's mail arrives on the Intra2net server from these on.
SWITCHED = (Phase.CHECKLIST, Phase.DONE)


def during_operation(migration: Migration) -> bool:
    return migration.mode == Migration.Mode.DURING_OPERATION


def switched_at(user: MailboxUser) -> datetime | None:
    """When the admin switched the user's mail over to the Intra2net server."""
    return (
        CutoverTick.objects.filter(mailbox_user=user, key="routing")
        .values_list("ticked_at", flat=True)
        .first()
    )


# --- what a run asks of the engine ------------------------------------------------------------


def copy_options(copy: MailboxCopy, base: CopyOptions) -> CopyOptions:
    """The options of the copy's next run, by the user's phase."""
    user = copy.mailbox_user
    if not during_operation(user.migration) or copy.run_kind == CopyRun.Kind.TRIAL:
        return base
    if copy.phase in SWITCHED:
        # The user works on the Intra2net server: their flags, moves and deletions stay.
        switch = switched_at(user)
        return replace(
            base,
            sync_flags_of_existing=False,
            only_since=switch - SWITCH_MARGIN if switch else None,
        )
    if copy.phase == Phase.CUTTING_OVER and switched_at(user):
        # New mail arrives on the target now: what Exchange lacks is not taken for deleted.
        return replace(base, sync_flags_of_existing=True, follow_moves=True)
    return replace(
        base,
        sync_flags_of_existing=True,
        follow_moves=True,
        report_deleted=True,
        remove_deleted=copy.remove_deleted,
    )


# --- what the copy worker records -------------------------------------------------------------


def run_finished(copy: MailboxCopy, kind: str, outcome: str) -> None:
    """After a run (from wizard.copying): a pre-staged user is in sync, the cutover's copies
    are ticked, and a verified final delta opens the user's Outlook checklist."""
    user = copy.mailbox_user
    done = outcome in (CopyRun.Outcome.DONE, CopyRun.Outcome.INCOMPLETE)
    if not during_operation(user.migration) or kind == CopyRun.Kind.TRIAL or not done:
        return
    copies = MailboxCopy.objects.filter(pk=copy.pk)
    copies.update(last_delta_at=timezone.now())
    if copies.filter(phase__in=(Phase.PLANNED, Phase.PRESTAGING)).update(phase=Phase.IN_SYNC):
        _note(user, WORKER, gettext_noop("pre-staged the mailbox: in sync"))
        return
    if not copies.filter(phase=Phase.CUTTING_OVER).exists():
        return
    if kind == CopyRun.Kind.FINAL:
        _tick(user, "final_delta", WORKER)
        if outcome == CopyRun.Outcome.DONE:
            open_checklist(user, WORKER)
    elif not switched_at(user):
        _tick(user, "last_delta", WORKER)


def open_checklist(user: MailboxUser, label: str) -> bool:
    """The cutover is over (compare-and-set): the user's Outlook checklist opens."""
    changed = MailboxCopy.objects.filter(mailbox_user=user, phase=Phase.CUTTING_OVER).update(
        phase=Phase.CHECKLIST
    )
    if changed:
        _tick(user, "verified", label)
        _note(user, label, gettext_noop("finished the cutover: the Outlook checklist opens"))
        complete_if_ticked(user, label)
    return bool(changed)


def complete_if_ticked(user: MailboxUser, label: str) -> bool:
    """A user in the checklist phase whose every item is ticked has moved."""
    ticked = user.checklist_ticks.filter(key__in=CHECKLIST_KEYS).count()
    if ticked < len(CHECKLIST_KEYS):
        return False
    changed = MailboxCopy.objects.filter(mailbox_user=user, phase=Phase.CHECKLIST).update(
        phase=Phase.DONE
    )
    if changed:
        _note(user, label, gettext_noop("completed the move: the checklist is done"))
    return bool(changed)


def lift_planned(copies: QuerySet[MailboxCopy]) -> int:
    """During operation a copy only starts for users who are no longer just planned: a copy an
    admin asks for in the copy step (or again from the dashboard) pre-stages them."""
    return copies.filter(
        phase=Phase.PLANNED, mailbox_user__migration__mode=Migration.Mode.DURING_OPERATION
    ).update(phase=Phase.PRESTAGING)


def _tick(user: MailboxUser, key: str, label: str) -> None:
    CutoverTick.objects.get_or_create(mailbox_user=user, key=key, defaults={"ticked_by": label})


def _note(user: MailboxUser, label: str, action: str) -> None:
    AuditEntry.objects.create(
        migration_id=user.migration_id, actor_label=label, action=action, subject=user.sam
    )


# --- what the pages show ----------------------------------------------------------------------


def phase_text(copy: MailboxCopy | None) -> str:
    """"In sync · last delta 2026-05-04 02:13", for a badge's title or a cell."""
    if copy is None:
        return Phase.PLANNED.label
    text = str(Phase(copy.phase).label)
    if copy.phase == Phase.IN_SYNC and copy.last_delta_at:
        moment = date_format(timezone.localtime(copy.last_delta_at), "SHORT_DATETIME_FORMAT")
        text += " · " + gettext("last delta %(when)s") % {"when": moment}
    return text


@dataclass(frozen=True)
class CutoverItem:
    entry: CutoverEntry
    tick: CutoverTick | None
    status: str  # done, next, running, failed, paused, waiting

    @property
    def confirmable(self) -> bool:
        return self.status == "next" and self.entry.by == "admin"


def cutover_items(user: MailboxUser, copy: MailboxCopy | None) -> list[CutoverItem]:
    """The cutover's items in order, each done, next (or running, or failed), or waiting."""
    ticks = {tick.key: tick for tick in user.cutover_ticks.all()}
    cutting_over = copy is not None and copy.phase == Phase.CUTTING_OVER
    items: list[CutoverItem] = []
    found_next = False
    for entry in CUTOVER:
        tick = ticks.get(entry.key)
        if tick is not None or (copy is not None and copy.phase in SWITCHED):
            items.append(CutoverItem(entry, tick, "done"))
            continue
        status = "waiting"
        if cutting_over and not found_next:
            found_next = True
            status = "next"
            if entry.by == "copy" and copy.state in BUSY:
                status = "running"
            elif entry.by == "copy" and copy.state in (State.FAILED, State.PAUSED):
                status = copy.state
            elif entry.key == "verified" and "final_delta" in ticks:
                status = "failed"  # the final delta left problems
        items.append(CutoverItem(entry, tick, status))
    return items
