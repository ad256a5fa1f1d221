"""A migration during operation, wave by wave: users grouped into waves (dragged between them,
chosen in a list without JavaScript, or imported as CSV), each wave pre-staged and kept in sync
by delta copies, the nightly delta and the bandwidth cap. Admins change; the helpdesk reads."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from wizard import actions, cutover
from wizard.copy_status import copy_of
from wizard.forms import SyncSettingsForm, WaveForm, WaveUploadForm
from wizard.models import MailboxCopy, MailboxUser, Migration, Wave
from wizard.recorded import recorded
from wizard.roles import admin_required, staff_required
from wizard.views.directory_accounts import login_names

Phase = MailboxCopy.Phase


def _migration(migration_id: int) -> Migration:
    migration = get_object_or_404(Migration, pk=migration_id)
    if not cutover.during_operation(migration):
        raise Http404("Waves belong to a migration during operation.")
    return migration


@staff_required
def page(request, migration_id: int):
    return render_page(request, _migration(migration_id))


def render_page(request, migration: Migration, status: int = 200, **forms):
    users = list(
        MailboxUser.objects.filter(migration=migration, selected=True)
        .select_related("copy")
        .only("id", "sam", "display_name", "primary_address", "wave_id",
              "copy__phase", "copy__state", "copy__last_delta_at")
        .order_by("sam")
    )
    waves = list(Wave.objects.filter(migration=migration))
    columns = [(None, [u for u in users if u.wave_id is None])] + [
        (wave, [u for u in users if u.wave_id == wave.pk]) for wave in waves
    ]
    context = {
        "migration": migration,
        "columns": [
            {"wave": wave, "users": [_user_view(u) for u in members], "phases": _phases(members)}
            for wave, members in columns
        ],
        "waves": waves,
        "wave_form": WaveForm(),
        "upload_form": WaveUploadForm(known={}),
        "settings_form": SyncSettingsForm(instance=migration),
        "problems": (),
        "good_rows": 0,
        **forms,
    }
    return render(request, "waves/waves.html", context, status=status)


def _user_view(user: MailboxUser) -> dict:
    copy = copy_of(user)
    return {
        "user": user,
        "phase": copy.phase if copy else Phase.PLANNED,
        "phase_text": cutover.phase_text(copy),
        "state": copy.state if copy else "",
        "state_label": copy.get_state_display() if copy else "",
    }


def _phases(users: list[MailboxUser]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for user in users:
        copy = copy_of(user)
        phase = copy.phase if copy else Phase.PLANNED
        counts[phase] = counts.get(phase, 0) + 1
    return [(Phase(p).label, counts[p]) for p in Phase.values if p in counts]


# --- changes: admins only, each through an action ----------------------------------------------


def _act(request, action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
        return None


@admin_required
@require_POST
def create(request, migration_id: int):
    migration = _migration(migration_id)
    form = WaveForm(request.POST)
    if not form.is_valid():
        return render_page(request, migration, 400, wave_form=form)
    data = form.cleaned_data
    if _act(request, actions.save_wave, migration, data["name"], data["planned_for"],
            request.user):
        messages.success(
            request, _("Wave “%(name)s” created.") % {"name": data["name"].strip()}
        )
    return redirect("waves", migration.pk)


@admin_required
@require_POST
def edit(request, migration_id: int, wave_id: int):
    migration = _migration(migration_id)
    wave = get_object_or_404(Wave, pk=wave_id, migration=migration)
    form = WaveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _act(request, actions.save_wave, migration, data["name"], data["planned_for"],
             request.user, wave)
    else:
        messages.error(request, _("A wave needs a name, and the date must be a date."))
    return redirect("waves", migration.pk)


@admin_required
@require_POST
def delete(request, migration_id: int, wave_id: int):
    migration = _migration(migration_id)
    wave = get_object_or_404(Wave, pk=wave_id, migration=migration)
    count = actions.delete_wave(wave, request.user)
    messages.success(
        request,
        ngettext(
            "Wave “%(name)s” deleted; its %(count)d user is in no wave.",
            "Wave “%(name)s” deleted; its %(count)d users are in no wave.",
            count,
        ) % {"name": wave.name, "count": count},
    )
    return redirect("waves", migration.pk)


@admin_required
@require_POST
def assign(request, migration_id: int):
    """Users into waves: one user dropped on a wave (the page's script, answered with 204), or
    every user's choice in the list (the form without JavaScript)."""
    migration = _migration(migration_id)
    dropped = "user" in request.POST
    try:
        if dropped:
            assignments = {int(request.POST["user"]): _wave_id(request.POST.get("wave", ""))}
        else:
            assignments = {
                int(name.removeprefix("wave-")): _wave_id(value)
                for name, value in request.POST.items()
                if name.startswith("wave-")
            }
    except ValueError:
        return HttpResponse(_("Not a user or a wave."), status=400)
    try:
        changed = actions.assign_waves(migration, assignments, request.user)
    except actions.ActionRefused as e:
        if dropped:
            return HttpResponse(recorded(str(e)), status=409)
        messages.error(request, recorded(str(e)))
        return redirect("waves", migration.pk)
    if dropped:
        return HttpResponse(status=204)
    messages.success(
        request,
        ngettext(
            "%(count)d user moved to another wave.", "%(count)d users moved to another wave.",
            changed,
        ) % {"count": changed} if changed else _("Nothing changed."),
    )
    return redirect("waves", migration.pk)


def _wave_id(value: str) -> int | None:
    return int(value) if value else None


@admin_required
@require_POST
def upload(request, migration_id: int):
    """`user,wave,date` as CSV; with bad rows nothing is stored unless the admin ticked "store
    the good ones anyway"."""
    migration = _migration(migration_id)
    form = WaveUploadForm(request.POST, request.FILES, known=login_names(migration))
    if not form.is_valid():
        return render_page(request, migration, 400, upload_form=form)
    parsed = form.parsed
    if parsed.problems and not form.cleaned_data["accept_good_rows"]:
        return render_page(
            request, migration, 400, upload_form=form,
            problems=[recorded(str(p)) for p in parsed.problems],
            good_rows=len(parsed.rows),
        )
    created, placed = actions.import_waves(
        migration, parsed, request.user, skipped=len(parsed.problems)
    )
    text = _("%(placed)d users placed in waves, %(created)d new waves.") % {
        "placed": placed, "created": created,
    }
    if parsed.problems:
        text += " " + ngettext(
            "%(count)d bad row was left out.", "%(count)d bad rows were left out.",
            len(parsed.problems),
        ) % {"count": len(parsed.problems)}
    messages.success(request, text)
    return redirect("waves", migration.pk)


@admin_required
@require_POST
def sync_settings(request, migration_id: int):
    migration = _migration(migration_id)
    form = SyncSettingsForm(request.POST, instance=Migration.objects.get(pk=migration.pk))
    if not form.is_valid():
        return render_page(request, migration, 400, settings_form=form)
    data = form.cleaned_data
    actions.save_sync_settings(
        migration, data["scheduled_deltas"], data["bandwidth_cap_kb"], request.user
    )
    messages.success(request, _("Settings saved."))
    return redirect("waves", migration.pk)


COPIES = {"prestage": actions.prestage, "delta": actions.queue_deltas}


@admin_required
@require_POST
def copy(request, migration_id: int, what: str):
    """A pre-stage or a delta copy of one wave's users, or of all users (`wave=all`)."""
    migration = _migration(migration_id)
    if what not in COPIES:
        raise Http404
    scope = request.POST.get("wave", "all")
    users = MailboxUser.objects.filter(migration=migration, selected=True)
    if scope != "all":
        wave = get_object_or_404(Wave, pk=_wave_id(scope) if scope.isdigit() else 0,
                                 migration=migration)
        users = users.filter(wave=wave)
    count = _act(request, COPIES[what], migration, users, request.user)
    if count is not None:
        if what == "prestage":
            text = ngettext(
                "A pre-stage of %(count)d mailbox is queued.",
                "A pre-stage of %(count)d mailboxes is queued.",
                count,
            ) if count else _("No mailbox is ready for a pre-stage.")
        else:
            text = ngettext(
                "A delta copy of %(count)d mailbox is queued.",
                "A delta copy of %(count)d mailboxes is queued.",
                count,
            ) if count else _("No mailbox is ready for a delta copy.")
        messages.success(request, text % {"count": count})
    return redirect("waves", migration.pk)
