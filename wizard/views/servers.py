"""Step 1: the IMAP sides of Exchange and of the Intra2net server (the directory has its own
pages in views/directory.py)."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from wizard import actions
from wizard.forms import SERVER_FORM_PREFIXES, server_forms
from wizard.models import Migration
from wizard.roles import admin_required
from wizard.views.steps import render_step


@admin_required
@require_POST
def save_server(request, migration_id: int, role: str):
    migration = get_object_or_404(Migration, pk=migration_id)
    if role not in SERVER_FORM_PREFIXES:
        raise Http404
    forms = server_forms(migration, request.POST, role)
    form = forms[f"{SERVER_FORM_PREFIXES[role]}_form"]
    if not form.is_valid():
        return render_step(request, migration, "servers", 400, **forms)
    with transaction.atomic():
        server = form.save()
        actions.audit(
            migration,
            request.user,
            gettext_noop("saved the IMAP server"),
            detail=actions.server_text(server),
        )
    return redirect("step", migration.pk, "servers")
