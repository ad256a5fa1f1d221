"""One user's move during operation: their phase, pre-stage and delta copies, what they deleted
on Exchange since, and the cutover's items in the order that loses no mail. Admins act; the
helpdesk reads."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from migrator.report import ProblemKind
from wizard import actions, cutover, procedure
from wizard.copy_status import copy_of
from wizard.models import MailboxCopy, MailboxUser
from wizard.recorded import recorded
from wizard.roles import admin_required, staff_required
from wizard.steps import CHECKLIST_KEYS, STEP_BY_KEY

Phase = MailboxCopy.Phase
DELETED_KINDS = (ProblemKind.DELETED_ON_SOURCE.value, ProblemKind.REMOVED.value)
RUNS_SHOWN = 10


def _user(migration_id: int, user_id: int) -> MailboxUser:
    user = get_object_or_404(
        MailboxUser.objects.select_related("migration", "wave"),
        pk=user_id,
        migration_id=migration_id,
    )
    if not cutover.during_operation(user.migration):
        raise Http404("A cutover belongs to a migration during operation.")
    return user


@staff_required
def page(request, migration_id: int, user_id: int):
    user = _user(migration_id, user_id)
    migration = user.migration
    copy = copy_of(user)
    phase = copy.phase if copy else Phase.PLANNED
    switched = cutover.switched_at(user) is not None
    routing = procedure.step_states(migration)["routing"]
    deleted = [
        (folder, [p for p in folder.problems if p.get("kind") in DELETED_KINDS])
        for folder in user.folder_results.all()
    ]
    deleted = [(folder, found) for folder, found in deleted if found]
    still_there = sum(
        1 for _, found in deleted for p in found if p["kind"] == ProblemKind.DELETED_ON_SOURCE
    )
    final = user.copy_runs.filter(kind="final").first()
    busy = copy is not None and copy.state in cutover.BUSY
    idle = copy is not None and copy.state in cutover.IDLE
    running = MailboxCopy.objects.filter(
        mailbox_user__migration=migration, state__in=(MailboxCopy.State.QUEUED,
                                                      MailboxCopy.State.COPYING)
    ).aggregate(n=Count("id"), others=Count("id", filter=~Q(mailbox_user=user)))
    return render(request, "waves/cutover.html", {
        "migration": migration,
        "mailbox_user": user,
        "copy": copy,
        "phase": phase,
        "phase_text": cutover.phase_text(copy),
        "items": cutover.cutover_items(user, copy),
        "switched": switched,
        "routing_ready": routing.status in procedure.FINISHED,
        "routing_step": STEP_BY_KEY["routing"],
        "runs": user.copy_runs.all()[:RUNS_SHOWN],
        "final": final,
        "deleted": deleted,
        "still_there": still_there,
        "may_remove": still_there and phase in (Phase.IN_SYNC, Phase.CUTTING_OVER)
        and not switched,
        "busy": busy,
        "paused": copy is not None and copy.state == MailboxCopy.State.PAUSED,
        "idle": idle,
        "can_prestage": phase in (Phase.PLANNED, Phase.PRESTAGING) and not busy and not (
            copy is not None and copy.state == MailboxCopy.State.PAUSED
        ),
        "can_delta": idle and (
            phase in (Phase.IN_SYNC, *cutover.SWITCHED)
            or (phase == Phase.CUTTING_OVER and not switched)
        ),
        "running_copies": running["n"],
        "others_running": running["others"],
        "ticked": user.checklist_ticks.filter(key__in=CHECKLIST_KEYS).count(),
        "checklist_size": len(CHECKLIST_KEYS),
    })


def _prestage(user, actor, post):
    count = actions.prestage(user.migration, MailboxUser.objects.filter(pk=user.pk), actor)
    if not count:
        raise actions.ActionRefused(
            _("%(user)s is pre-staged already or being copied.") % {"user": user}
        )
    return _("The pre-stage is queued.")


def _delta(user, actor, post):
    actions.queue_delta(user, actor)
    return "A delta copy is queued."


def _remove_deleted(user, actor, post):
    actions.queue_delta(user, actor, remove_deleted=True)
    return "A delta copy is queued that removes what the user deleted on Exchange."


def _start(user, actor, post):
    actions.start_cutover(user, actor)
    return _("The cutover has started with a last delta copy.")


def _confirm(user, actor, post):
    key = post.get("key", "")
    if key not in ("outlook_closed", "routing"):
        raise Http404
    actions.confirm_cutover(user, key, actor)
    return _("The final delta copy is queued.") if key == "routing" else _("Confirmed.")


def _final(user, actor, post):
    actions.run_final_delta(user, actor)
    return _("The final delta copy is queued again.")


def _finish(user, actor, post):
    actions.finish_cutover(user, actor, accept_problems=post.get("accept_problems") == "on")
    return _("The cutover is finished: the Outlook checklist is open.")


def _cancel(user, actor, post):
    actions.cancel_cutover(user, actor)
    return _("The cutover is cancelled; the user stays in sync.")


def _pause(user, actor, post):
    if not actions.pause_user(user, actor):
        raise actions.ActionRefused(_("No copy of %(user)s waits or runs.") % {"user": user})
    return _("Paused: the copy stops after its current batch.")


def _resume(user, actor, post):
    if not actions.resume_user(user, actor):
        raise actions.ActionRefused(_("%(user)s's copy is not paused.") % {"user": user})
    return _("The copy goes on.")


ACTIONS = {
    "prestage": _prestage,
    "delta": _delta,
    "remove-deleted": _remove_deleted,
    "start": _start,
    "confirm": _confirm,
    "final": _final,
    "finish": _finish,
    "cancel": _cancel,
    "pause": _pause,
    "resume": _resume,
}


@admin_required
@require_POST
def act(request, migration_id: int, user_id: int, what: str):
    if what not in ACTIONS:
        raise Http404
    user = _user(migration_id, user_id)
    try:
        messages.success(request, ACTIONS[what](user, request.user, request.POST))
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
    return redirect("cutover", migration_id, user.pk)
