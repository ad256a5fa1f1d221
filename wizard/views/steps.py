"""The wizard's pages: the migration's steps in the manual's order, each with its own content.
Admins change things; the helpdesk reads."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from migrator.text import say
from wizard import actions, procedure
from wizard.forms import (
    CopySettingsForm,
    MailFlowForm,
    MigrationForm,
    StepStatusForm,
    server_forms,
)
from wizard.models import Job, MailboxCopy, Migration
from wizard.recorded import recorded
from wizard.roles import admin_required, staff_required
from wizard.steps import CHECKLIST, STEP_BY_KEY


@staff_required
def start(request):
    return render(request, "wizard/start.html", {"migrations": Migration.objects.all()})


@admin_required
@require_http_methods(["GET", "POST"])
def new_migration(request):
    form = MigrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        migration = actions.create_migration(
            form.cleaned_data["name"], form.cleaned_data["mode"], request.user
        )
        return redirect("migration", migration.pk)
    return render(request, "wizard/new_migration.html", {"form": form})


@staff_required
def migration(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    return render(
        request,
        "wizard/migration.html",
        {"migration": migration, "steps": procedure.overview(migration)},
    )


@staff_required
def step(request, migration_id: int, key: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    if key not in STEP_BY_KEY:
        raise Http404
    return render_step(request, migration, key)


def render_step(request, migration: Migration, key: str, status: int = 200, **forms):
    """A step's page; `forms` replace the blank ones when a post did not validate."""
    view = next(v for v in procedure.overview(migration) if v.step.key == key)
    context = {
        "migration": migration,
        "view": view,
        "step": view.step,
        "confirmed": {c.key: c for c in migration.confirmations.all()},
        "unfinished": procedure.unfinished_because(migration, view.step),
        **STEP_CONTEXTS.get(key, lambda request, migration: {})(request, migration),
        **forms,
    }
    return render(request, "wizard/step.html", context, status=status)


@admin_required
@require_POST
def set_status(request, migration_id: int, key: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    form = StepStatusForm(request.POST)
    if key not in STEP_BY_KEY or not form.is_valid():
        messages.error(request, _("That is not a valid status."))
    else:
        _act(
            request,
            actions.set_step_status,
            migration,
            key,
            form.cleaned_data["status"],
            request.user,
            form.cleaned_data["note"],
        )
    return redirect("step", migration.pk, key)


@admin_required
@require_POST
def confirm(request, migration_id: int, key: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    step = next((s for s in STEP_BY_KEY.values() if key in dict(s.confirmations)), None)
    if step is None:
        raise Http404
    if request.POST.get("withdraw"):
        actions.withdraw_confirmation(migration, key, request.user)
    else:
        _act(request, actions.confirm, migration, key, request.user)
    return redirect("step", migration.pk, step.key)


JOB_STEPS = {
    Job.Kind.PREFLIGHT: "servers",
    Job.Kind.MAILBOX_CHECK: "imap",
    Job.Kind.MAIL_FLOW: "mail_flow",
}


@admin_required
@require_POST
def start_job(request, migration_id: int, kind: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    if kind not in JOB_STEPS:
        raise Http404
    _act(request, actions.start_job, migration, kind, request.user)
    return redirect("step", migration.pk, JOB_STEPS[kind])


@staff_required
def job(request, migration_id: int, job_id: int):
    """The job's results; htmx polls this partial while it runs."""
    found = get_object_or_404(Job, pk=job_id, migration_id=migration_id)
    return render(request, "wizard/job.html#job", {"job": found, "migration": found.migration})


COPY_ACTIONS = {
    "start": actions.start_copy,
    "pause": actions.pause_copy,
    "resume": actions.resume_copy,
    "retry_failed": actions.retry_failed,
    "delta": actions.run_delta,
}


COPY_BUTTONS = (
    ("start", gettext_lazy("Start the copy")),
    ("pause", gettext_lazy("Pause")),
    ("resume", gettext_lazy("Resume")),
    ("retry_failed", gettext_lazy("Retry the failed ones")),
    ("delta", gettext_lazy("Copy what is new (delta)")),
)


@admin_required
@require_POST
def copy_control(request, migration_id: int, what: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    if what not in COPY_ACTIONS:
        raise Http404
    _act(request, COPY_ACTIONS[what], migration, request.user)
    return redirect("step", migration.pk, "copy")


@admin_required
@require_POST
def copy_settings(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    form = CopySettingsForm(request.POST, instance=migration)
    if form.is_valid():
        form.save()
        actions.audit(
            migration,
            request.user,
            gettext_noop("changed the copy settings"),
            detail=say(
                "Mailboxes at once: {count}, messages up to {size} MB",
                count=migration.parallel_copies,
                size=migration.max_message_mb,
            ),
        )
        return redirect("step", migration.pk, "copy")
    return render_step(request, migration, "copy", 400, copy_form=form)


@admin_required
@require_POST
def trial_copy(request, migration_id: int, user_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    user = get_object_or_404(migration.mailbox_users, pk=user_id, selected=True)
    _act(request, actions.start_trial_copy, user, request.user)
    return redirect("step", migration.pk, "imap")


@admin_required
@require_POST
def mail_flow_settings(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    form = MailFlowForm(request.POST, instance=migration)
    if form.is_valid():
        form.save()
        actions.audit(migration, request.user, gettext_noop("changed the mail flow settings"))
        return redirect("step", migration.pk, "mail_flow")
    return render_step(request, migration, "mail_flow", 400, mail_flow_form=form)


def _act(request, action, *args) -> bool:
    try:
        action(*args)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
        return False
    return True


# --- what each step's page shows --------------------------------------------------------------


def _servers(request, migration):
    return {
        **server_forms(migration),
        "directory": getattr(migration, "directory", None),
        "job": migration.jobs.filter(kind=Job.Kind.PREFLIGHT).first(),
    }


def _imap(request, migration):
    copies = MailboxCopy.objects.filter(
        mailbox_user__migration=migration, mailbox_user__selected=True
    )
    totals = copies.aggregate(
        users=Count("id"),
        failing=Count("id", filter=Q(source_ok=False)),
        checked=Count("id", filter=Q(checked_at__isnull=False)),
        bytes=Sum("source_bytes"),
        messages=Sum("source_messages"),
    )
    rows = copies.select_related("mailbox_user").order_by("source_ok", "mailbox_user__sam")
    return {
        "job": migration.jobs.filter(kind=Job.Kind.MAILBOX_CHECK).first(),
        "totals": totals,
        "rows": rows[:500],
        "plan": plan(migration, totals["bytes"] or 0),
        "trial_user": migration.mailbox_users.filter(selected=True).order_by("sam").first(),
    }


def _copy(request, migration):
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    counts = dict(copies.values_list("state").annotate(n=Count("id")))
    return {
        "copy_buttons": COPY_BUTTONS,
        "copy_form": CopySettingsForm(instance=migration),
        "state_counts": [(state, counts.get(state.value, 0)) for state in MailboxCopy.State],
        "selected_users": migration.mailbox_users.filter(selected=True).count(),
    }


def _checklists(request, migration):
    users = (
        migration.mailbox_users.filter(selected=True)
        .annotate(ticked=Count("checklist_ticks"))
        .order_by("sam")
    )
    return {"users": users, "checklist_size": len(CHECKLIST)}


def _mail_flow(request, migration):
    return {
        "mail_flow_form": MailFlowForm(instance=migration),
        "job": migration.jobs.filter(kind=Job.Kind.MAIL_FLOW).first(),
    }


STEP_CONTEXTS = {
    "servers": _servers,
    "imap": _imap,
    "copy": _copy,
    "checklists": _checklists,
    "mail_flow": _mail_flow,
}

# Copies side by side don't scale perfectly; measured in `make bench` (4 at once ~ 3.2 times one).
PARALLEL_EFFICIENCY = 0.8


def plan(migration: Migration, total_bytes: int) -> dict | None:
    """How long the whole copy takes, from the trial copy's throughput."""
    if not migration.trial_bytes_per_second or not total_bytes:
        return None
    speed = migration.trial_bytes_per_second * max(
        1, migration.parallel_copies * PARALLEL_EFFICIENCY
    )
    hours = total_bytes / speed / 3600
    return {
        "hours": hours,
        "speed_mb": speed / 1e6,
        "weekend": hours <= 48,
    }
