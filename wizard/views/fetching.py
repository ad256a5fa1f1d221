"""Mail fetching accounts, a prerequisite of the manual: the provider mailboxes the Intra2net
server collects by POP3 or IMAP. The admin enters or uploads them (passwords encrypted), a
worker tests every login for real, and the list is exported for the server's mail fetching
set-up. The helpdesk reads; the table's `rows` partial is polled while logins are tested."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from migrator.fetching import write_fetch_accounts_csv
from wizard import actions
from wizard.engine_inputs import fetch_account
from wizard.forms import FetchAccountForm, FetchAccountUploadForm
from wizard.models import FetchAccount, MailboxUser, Migration
from wizard.recorded import recorded
from wizard.roles import admin_required, staff_required

CHECKING = "Checking…"


def known_users(migration: Migration) -> dict[str, str] | None:
    """Every name a target user may be given by (lower case) -> the user's Intra2net login;
    None before the directory import (then any name is taken)."""
    rows = MailboxUser.objects.filter(migration=migration, in_directory=True).values_list(
        "target_login", "sam", "primary_address"
    )
    names: dict[str, str] = {}
    for login, *others in rows:
        for name in (login, *others):
            if name:
                names.setdefault(name.lower(), login or others[0].lower())
    return names or None


def _page(request, migration: Migration, status: int = 200, **context):
    rows = FetchAccount.objects.filter(migration=migration)
    known = known_users(migration)
    return render(
        request,
        "fetching/accounts.html",
        {
            "migration": migration,
            "rows": rows,
            "checking": rows.filter(check_message=CHECKING).exists(),
            "add_form": FetchAccountForm(known_users=known),
            "upload_form": FetchAccountUploadForm(known_users=known),
            "problems": (),
            **context,
        },
        status=status,
    )


@staff_required
def accounts(request, migration_id: int):
    return _page(request, get_object_or_404(Migration, pk=migration_id))


@staff_required
def rows(request, migration_id: int):
    """The table alone, for htmx while the logins are tested."""
    migration = get_object_or_404(Migration, pk=migration_id)
    accounts = FetchAccount.objects.filter(migration=migration)
    return render(request, "fetching/accounts.html#rows", {
        "migration": migration,
        "rows": accounts,
        "checking": accounts.filter(check_message=CHECKING).exists(),
    })


@admin_required
@require_POST
def add(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    known = known_users(migration)
    form = FetchAccountForm(request.POST, known_users=known)
    if not form.is_valid():
        return _page(request, migration, 400, add_form=form)
    account = form.account()
    if known is not None:
        account = replace(account, target_user=known[account.target_user.lower()])
    added, _updated = actions.save_fetch_accounts(
        migration, [account], request.user, verify_tls=form.cleaned_data["verify_tls"]
    )
    text = _("Added %(account)s.") if added else _("Updated %(account)s.")
    messages.success(request, text % {"account": account})
    return redirect("fetch_accounts", migration.pk)


@admin_required
@require_POST
def upload(request, migration_id: int):
    """With bad rows nothing is stored unless "store the good ones anyway" is ticked."""
    migration = get_object_or_404(Migration, pk=migration_id)
    known = known_users(migration)
    form = FetchAccountUploadForm(request.POST, request.FILES, known_users=known)
    if not form.is_valid():
        return _page(request, migration, 400, upload_form=form)
    parsed = form.parsed
    if parsed.problems and not form.cleaned_data["accept_good_rows"]:
        return _page(
            request, migration, 400, upload_form=form, problems=parsed.problems,
            good_rows=len(parsed.rows),
        )
    accounts = [
        replace(row.account, target_user=row.target_key) if row.target_key else row.account
        for row in parsed.rows
    ]
    added, updated = actions.save_fetch_accounts(
        migration, accounts, request.user, skipped=len(parsed.problems)
    )
    text = _("%(added)d accounts added, %(updated)d updated, passwords encrypted.") % {
        "added": added, "updated": updated,
    }
    if parsed.problems:
        text += " " + ngettext(
            "%(count)d bad row was left out.", "%(count)d bad rows were left out.",
            len(parsed.problems),
        ) % {"count": len(parsed.problems)}
    messages.success(request, text)
    return redirect("fetch_accounts", migration.pk)


@admin_required
@require_POST
def check(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    try:
        count = actions.check_fetch_logins(migration, request.user)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
    else:
        messages.success(
            request,
            ngettext("Testing %(count)d login…", "Testing %(count)d logins…", count)
            % {"count": count},
        )
    return redirect("fetch_accounts", migration.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def export(request, migration_id: int):
    """The accounts for the Intra2net server's mail fetching; the passwords only when asked
    for with a POST (and recorded in the audit log)."""
    migration = get_object_or_404(Migration, pk=migration_id)
    with_passwords = request.method == "POST" and request.POST.get("passwords") == "1"
    if with_passwords:
        action = gettext_noop("exported the mail fetching accounts with passwords")
        actions.audit(migration, request.user, action)
    text = write_fetch_accounts_csv(
        (fetch_account(row) for row in FetchAccount.objects.filter(migration=migration)),
        include_passwords=with_passwords,
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = "with-passwords" if with_passwords else "accounts"
    response["Content-Disposition"] = f'attachment; filename="fetching-{migration.pk}-{name}.csv"'
    return response


@admin_required
@require_POST
def delete(request, migration_id: int, account_id: int):
    account = get_object_or_404(FetchAccount, pk=account_id, migration_id=migration_id)
    actions.delete_fetch_account(account, request.user)
    messages.success(request, _("Deleted %(account)s.") % {"account": account})
    return redirect("fetch_accounts", migration_id)
