"""The wizard's pages for migration admins (and, read-only, the helpdesk)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from wizard import actions
from wizard.forms import MigrationForm
from wizard.models import Migration
from wizard.roles import admin_required, staff_required


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
    return render(request, "wizard/migration.html", {"migration": migration})
