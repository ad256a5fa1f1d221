"""Where a migration stands in the manual's procedure: each step's status, and why a step is
locked. Reads only; changes go through wizard.actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

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
    offline migrations have are skipped during operation."""
    saved = {state.key: state for state in migration.step_states.all()}
    states = {}
    for step in STEPS:
        state = saved.get(step.key)
        if state is None:
            skip = step.offline_only and migration.mode != Migration.Mode.OFFLINE
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
        return "Waits for " + ", ".join(f"step {s.numbers} ({s.title})" for s in waiting) + "."
    if step.key == "exchange_off":
        return unfinished_work(migration)
    return ""


def unfinished_work(migration: Migration) -> str:
    not_copied, checklists_open = unfinished_users(migration)
    if not (not_copied or checklists_open):
        return ""
    return (
        f"Exchange is still needed: {not_copied} mailboxes are not copied and "
        f"{checklists_open} Outlook checklists are not finished."
    )


def unfinished_because(migration: Migration, step: Step) -> str:
    """Why the step can't be marked done yet, or "" when it can."""
    confirmed = set(migration.confirmations.values_list("key", flat=True))
    missing = [text for key, text in step.confirmations if key not in confirmed]
    if missing:
        return f"{len(missing)} confirmations are missing."
    not_copied, checklists_open = unfinished_users(migration)
    if step.key == "copy" and not_copied:
        return f"{not_copied} mailboxes are not copied and verified yet."
    if step.key == "checklists" and checklists_open:
        return f"{checklists_open} users' Outlook checklists are not finished."
    if step.key == "exchange_off":
        return unfinished_work(migration)
    return ""


def overview(migration: Migration) -> list[StepView]:
    states = step_states(migration)
    return [
        StepView(step, states[step.key], locked_because(migration, step, states)) for step in STEPS
    ]
