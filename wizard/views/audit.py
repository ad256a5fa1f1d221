"""The audit log: who did what, when, on which user. Admins read and filter it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from wizard.models import Migration
from wizard.roles import admin_required

ENTRIES_PER_PAGE = 100


@admin_required
def audit_log(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    entries = migration.audit.all()
    who, subject, text = (request.GET.get(k, "").strip() for k in ("who", "subject", "q"))
    if who:
        entries = entries.filter(actor_label__icontains=who)
    if subject:
        entries = entries.filter(subject__icontains=subject)
    if text:
        entries = entries.filter(Q(action__icontains=text) | Q(detail__icontains=text))
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "wizard/audit.html",
        {
            "migration": migration,
            "page": page,
            "who": who,
            "subject": subject,
            "q": text,
        },
    )
