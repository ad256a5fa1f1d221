"""Steps 9 to 16: each user's Outlook checklist. Admins and the helpdesk tick items at the
user's PC; each user ticks their own through a personal sign-off link, which shows their
checklist, their mailbox's copy result, and nothing else."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_POST

from migrator.text import say
from wizard import actions
from wizard.models import MailboxUser
from wizard.roles import admin_required, staff_required
from wizard.signoff import SignoffLinkInvalid, mailbox_user_id_from_token, make_signoff_token
from wizard.steps import CHECKLIST, CHECKLIST_KEYS


def checklist_context(user: MailboxUser) -> dict:
    ticks = {tick.key: tick for tick in user.checklist_ticks.all()}
    copy = getattr(user, "copy", None)
    return {
        "mailbox_user": user,
        "items": [(entry, ticks.get(entry.key)) for entry in CHECKLIST],
        "ticked": len(ticks),
        "copy": copy,
        "folders": user.folder_results.all(),
    }


def _user(migration_id: int, user_id: int) -> MailboxUser:
    return get_object_or_404(
        MailboxUser.objects.select_related("migration"), pk=user_id, migration_id=migration_id
    )


@staff_required
def checklist(request, migration_id: int, user_id: int):
    user = _user(migration_id, user_id)
    link = request.build_absolute_uri(reverse("signoff", args=[make_signoff_token(user.pk)]))
    language, printing = signoff_language(user), "print" in request.GET
    context = {
        **checklist_context(user),
        "migration": user.migration,
        "signoff_link": link,
        "link_days": settings.SIGNOFF_LINK_DAYS,
        "signoff_language": language,
        "printing": printing,
    }
    if not printing:
        return render(request, "checklist/checklist.html", context)
    # The printout is handed to the user: it speaks their language, like their link.
    with translation.override(language):
        response = render(request, "checklist/checklist.html", context)
    response["Content-Language"] = language
    return response


@staff_required
@require_POST
def tick(request, migration_id: int, user_id: int, key: str):
    if key not in CHECKLIST_KEYS:
        raise Http404
    actions.tick(_user(migration_id, user_id), key, request.user)
    return redirect("checklist", migration_id, user_id)


@admin_required
@require_POST
def untick(request, migration_id: int, user_id: int, key: str):
    if key not in CHECKLIST_KEYS:
        raise Http404
    actions.untick(_user(migration_id, user_id), key, request.user)
    return redirect("checklist", migration_id, user_id)


def signoff_language(user: MailboxUser) -> str:
    """The language of the user's own page: theirs (from the directory, the admin or their own
    choice there), else the organisation's default."""
    return user.language or settings.LANGUAGE_CODE


@require_http_methods(["GET", "POST"])
def signoff(request, token: str):
    """A user's own page, opened by their link, in their language; no account needed. The
    user may tick their items and choose their language (kept for them, like an admin's
    edit, so that a re-import of the directory keeps it)."""
    try:
        user_id = mailbox_user_id_from_token(token)
    except SignoffLinkInvalid as e:
        return render(request, "checklist/signoff_invalid.html", {"reason": str(e)}, status=403)
    user = get_object_or_404(MailboxUser.objects.select_related("migration"), pk=user_id)
    label = say("{name} (own sign-off link)", name=user.display_name or user.sam)
    if request.method == "POST":
        if "language" in request.POST:
            chosen = request.POST["language"]
            if chosen in dict(settings.LANGUAGES):
                actions.edit_mailbox_user(user, {"language": chosen}, label)
            return redirect("signoff", token)
        key = request.POST.get("key", "")
        if key not in CHECKLIST_KEYS:
            raise Http404
        actions.tick(user, key, label, by_link=True)
        return redirect("signoff", token)
    translation.activate(signoff_language(user))
    request.LANGUAGE_CODE = translation.get_language()
    return render(request, "checklist/signoff.html", {
        **checklist_context(user),
        "token": token,
        "language_url": reverse("signoff", args=[token]),
    })
