"""The copy's live dashboard and each user's copy in detail. Admins and the helpdesk read; only
admins change anything, through wizard.actions. The page's `live` partial is polled by htmx."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from wizard import actions, charts, copy_status, throughput
from wizard.models import AuditEntry, CopyRun, MailboxUser, Migration
from wizard.results import with_reason
from wizard.roles import admin_required, staff_required
from wizard.steps import CHECKLIST

USERS_PER_PAGE = 50
POLL_SECONDS = 5
PROBLEMS_SHOWN = 20
SORT_CHOICES = (
    ("state", gettext_lazy("by state")),
    ("name", gettext_lazy("by name")),
    ("-progress", gettext_lazy("by progress")),
    ("-size", gettext_lazy("by size")),
    ("-retries", gettext_lazy("by retries")),
    ("-started", gettext_lazy("by start")),
)


@staff_required
def dashboard(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    context = _live_context(request, migration)
    context["filters"] += [
        (copy_status.wave_filter(wave), _("Wave: %(name)s") % {"name": wave.name})
        for wave in migration.waves.all()
    ]
    return render(request, "dashboard/dashboard.html", context)


@staff_required
def dashboard_rows(request, migration_id: int):
    """The live part of the dashboard (totals, warnings, chart, rows), polled by htmx."""
    migration = get_object_or_404(Migration, pk=migration_id)
    return render(request, "dashboard/dashboard.html#live", _live_context(request, migration))


def _live_context(request, migration: Migration) -> dict:
    now = timezone.now()
    show = request.GET.get("show", "all")
    search = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "state")
    users = copy_status.user_rows(migration, show=show, query=search, sort=sort)
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    totals = copy_status.totals_of(migration, now)
    return {
        "migration": migration,
        "now": now,
        "page": page,
        "rows": copy_status.rows_of(page, now),
        "totals": totals,
        "state_bar": charts.state_bar(totals.states),
        "chart": throughput.recent_chart(migration, now),
        "filters": [(name, label) for name, (label, _condition) in copy_status.FILTERS.items()],
        "sorts": SORT_CHOICES,
        "show": show,
        "search": search,
        "sort": sort,
        "poll_seconds": POLL_SECONDS,
        "stale_seconds": int(copy_status.STALE_AFTER.total_seconds()),
    }


@staff_required
def mailbox_detail(request, migration_id: int, user_id: int):
    """One user's copy: folders with every problem, the verification, the timeline of runs,
    the checklist and the audit entries about this user."""
    user = get_object_or_404(
        MailboxUser.objects.select_related("migration", "copy"),
        pk=user_id,
        migration_id=migration_id,
    )
    now = timezone.now()
    row = copy_status.Row(user, copy_status.copy_of(user), now)
    ticks = {tick.key: tick for tick in user.checklist_ticks.all()}
    return render(request, "dashboard/mailbox_detail.html", {
        "migration": user.migration,
        "mailbox_user": user,
        "row": row,
        "folders": [_folder_view(folder) for folder in user.folder_results.all()],
        "runs": [(run, _took(run, now)) for run in user.copy_runs.all()],
        "checklist": [(entry, ticks.get(entry.key)) for entry in CHECKLIST],
        "ticked": sum(entry.key in ticks for entry in CHECKLIST),
        "audit": AuditEntry.objects.filter(migration=user.migration, subject=user.sam)[:200],
        "problems_shown": PROBLEMS_SHOWN,
        "retryable": row.state in actions.RETRYABLE,
    })


def _took(run: CopyRun, now) -> timedelta:
    """The engine's own measure once a run has ended, else the time since it started."""
    if run.seconds is not None:
        return timedelta(seconds=run.seconds)
    return (run.finished_at or now) - run.started_at


def _folder_view(folder) -> dict:
    """A folder's row with its problems counted by reason and the first few listed."""
    problems = [with_reason(problem) for problem in folder.problems]
    reasons = Counter(problem["reason"] for problem in problems)
    return {
        "folder": folder,
        "reasons": reasons.most_common(),
        "problems": problems[:PROBLEMS_SHOWN],
        "more": max(0, len(problems) - PROBLEMS_SHOWN),
    }


# --- changes: admins only, each through an action ----------------------------------------------


def _back(migration: Migration):
    return redirect("dashboard", migration.pk)


@admin_required
@require_POST
def pause(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    actions.pause_copy(migration, request.user)
    messages.success(request, _("Paused: running copies stop after their current batch."))
    return _back(migration)


@admin_required
@require_POST
def resume(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    actions.resume_copy(migration, request.user)
    messages.success(request, _("The copy goes on."))
    return _back(migration)


@admin_required
@require_POST
def retry_failed(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    count = actions.retry_failed(migration, request.user)
    messages.success(
        request,
        ngettext("%(count)d mailbox queued again.", "%(count)d mailboxes queued again.", count)
        % {"count": count},
    )
    return _back(migration)


@admin_required
@require_POST
def run_delta(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    count = actions.run_delta(migration, request.user)
    messages.success(
        request,
        ngettext(
            "A delta copy of %(count)d mailbox is queued.",
            "A delta copy of %(count)d mailboxes is queued.",
            count,
        ) % {"count": count},
    )
    return _back(migration)


@admin_required
@require_POST
def retry_user(request, migration_id: int, user_id: int):
    """Copy one mailbox again, in full or as a delta (`kind`)."""
    user = get_object_or_404(MailboxUser, pk=user_id, migration_id=migration_id)
    kind = request.POST.get("kind", CopyRun.Kind.FULL)
    if kind not in (CopyRun.Kind.FULL, CopyRun.Kind.DELTA):
        kind = CopyRun.Kind.FULL
    if actions.retry_mailbox(user, request.user, kind):
        if kind == CopyRun.Kind.DELTA:
            text = _("%(user)s is queued for a delta copy.")
        else:
            text = _("%(user)s is queued for a copy.")
        messages.success(request, text % {"user": user})
    else:
        messages.error(request, _("%(user)s is being copied or waits already.") % {"user": user})
    if request.POST.get("from") == "detail":
        return redirect("mailbox_detail", migration_id, user.pk)
    return redirect("dashboard", migration_id)


@admin_required
@require_POST
def notifications(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    switches = {name: name in request.POST for name in actions.NOTIFICATION_FIELDS}
    changed = actions.set_notifications(migration, switches, request.user)
    messages.success(request, _("Notifications saved.") if changed else _("Nothing changed."))
    return _back(migration)
