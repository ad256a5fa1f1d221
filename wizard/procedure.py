"""Where a migration stands in the manual's procedure: each step's status, and why a step is
locked. Reads only; changes go through wizard.actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wizard.models import MailboxCopy, Migration, StepState
from wizard.steps import CHECKLIST, STEP_BY_KEY, STEPS, Step

Status = StepState.Status
FINISHED = (Status.DONE, Status.SKIPPED)


@dataclass(frozen=True)
class StepView:
    step: Step
    state: StepState
    locked_because: str


def step_states(migration: Migration) -> dict[str, StepState]:
    """Every step's state; steps nobody touched yet are pending (and unsaved). Steps that only
    offline migrations have are skipped during operation, and the other way round."""
    saved = {state.key: state for state in migration.step_states.all()}
    states = {}
    for step in STEPS:
        state = saved.get(step.key)
        if state is None:
            skip = (step.offline_only and migration.mode != Migration.Mode.OFFLINE) or (
                step.during_operation_only and migration.mode != Migration.Mode.DURING_OPERATION
            )
            state = StepState(
                migration=migration, key=step.key, status=Status.SKIPPED if skip else Status.PENDING
            )
        states[step.key] = state
    return states


def unfinished_users(migration: Migration) -> tuple[int, int]:
    """(users whose copy is not done, users whose checklist is not complete) of those selected."""
    users = migration.mailbox_users.filter(selected=True)
    counts = users.aggregate(
        not_copied=Count("id", filter=~Q(copy__state=MailboxCopy.State.DONE)),
    )
    ticks = users.annotate(ticked=Count("checklist_ticks")).filter(ticked__lt=len(CHECKLIST))
    return counts["not_copied"], ticks.count()


def locked_because(
    migration: Migration, step: Step, states: dict[str, StepState] | None = None
) -> str:
    """Why the step can't be started yet, or "" when it can."""
    states = states or step_states(migration)
    waiting = [STEP_BY_KEY[key] for key in step.requires if states[key].status not in FINISHED]
    if waiting:
        steps = ", ".join(
            _("step %(numbers)s (%(title)s)") % {"numbers": s.numbers, "title": s.title}
            for s in waiting
        )
        return _("Waits for %(steps)s.") % {"steps": steps}
    if step.key == "exchange_off":
        return unfinished_work(migration)
    return ""


def unfinished_work(migration: Migration) -> str:
    not_copied, checklists_open = unfinished_users(migration)
    not_moved = 0
    if migration.mode == Migration.Mode.DURING_OPERATION:  # each user's cutover (issue 7)
        not_moved = migration.mailbox_users.filter(selected=True).exclude(
            copy__phase=MailboxCopy.Phase.DONE
        ).count()
    if not (not_copied or checklists_open or not_moved):
        return ""
    text = _(
        "Exchange is still needed: %(not_copied)d mailboxes are not copied and "
        "%(checklists_open)d Outlook checklists are not finished."
    ) % {"not_copied": not_copied, "checklists_open": checklists_open}
    if not_moved:
        text += " " + ngettext(
            "%(count)d user has not moved yet.", "%(count)d users have not moved yet.", not_moved
        ) % {"count": not_moved}
    return text


def unfinished_because(migration: Migration, step: Step) -> str:
    """Why the step can't be marked done yet, or "" when it can."""
    confirmed = set(migration.confirmations.values_list("key", flat=True))
    missing = [text for key, text in step.confirmations if key not in confirmed]
    if missing:
        return ngettext(
            "%(count)d confirmation is missing.", "%(count)d confirmations are missing.",
            len(missing),
        ) % {"count": len(missing)}
    not_copied, checklists_open = unfinished_users(migration)
    if step.key == "copy" and not_copied:
        return ngettext(
            "%(count)d mailbox is not copied and verified yet.",
            "%(count)d mailboxes are not copied and verified yet.",
            not_copied,
        ) % {"count": not_copied}
    if step.key == "checklists" and checklists_open:
        return ngettext(
            "%(count)d user's Outlook checklist is not finished.",
            "%(count)d users' Outlook checklists are not finished.",
            checklists_open,
        ) % {"count": checklists_open}
    if step.key == "exchange_off":
        return unfinished_work(migration)
    return ""


def overview(migration: Migration) -> list[StepView]:
    states = step_states(migration)
    return [
        StepView(step, states[step.key], locked_because(migration, step, states)) for step in STEPS
    ]
