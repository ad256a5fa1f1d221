"""The accounts that move: the users' passwords (CSV upload, purge), the CSV export for the
Intra2net user manager, and the check of the accounts on the target. Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from migrator.accounts_csv import AccountRow, GroupRow, write_accounts_csv, write_groups_csv
from migrator.errors import MigratorError
from migrator.internal_addresses import imceaex_aliases
from wizard import actions
from wizard.forms import PasswordUploadForm
from wizard.models import ImapServer, MailboxUser, Migration
from wizard.recorded import recorded
from wizard.roles import admin_required


@admin_required
@require_http_methods(["GET", "POST"])
def passwords(request, migration_id: int):
    """Upload of username,password; with bad rows nothing is stored unless the admin ticked
    "store the good ones anyway"."""
    migration = get_object_or_404(Migration, pk=migration_id)
    form = PasswordUploadForm(request.POST or None, request.FILES or None,
                              known=login_names(migration))
    problems = ()
    if request.method == "POST" and form.is_valid():
        parsed = form.parsed
        problems = parsed.problems
        if not problems or form.cleaned_data["accept_good_rows"]:
            count = actions.store_passwords(migration, parsed.rows, request.user,
                                            skipped=len(problems))
            text = ngettext(
                "Stored %(count)d password, encrypted.", "Stored %(count)d passwords, encrypted.",
                count,
            ) % {"count": count}
            if problems:
                text += " " + ngettext(
                    "%(count)d bad row was left out.", "%(count)d bad rows were left out.",
                    len(problems),
                ) % {"count": len(problems)}
            messages.success(request, text)
            return redirect("directory_passwords", migration.pk)
    users = MailboxUser.objects.filter(migration=migration, selected=True, in_directory=True)
    source = ImapServer.objects.filter(migration=migration, role=ImapServer.Role.SOURCE).first()
    return render(request, "directory/passwords.html", {
        "migration": migration, "form": form, "problems": [recorded(str(p)) for p in problems],
        "good_rows": len(form.parsed.rows) if form.parsed else 0,
        "selected": users.count(),
        "with_password": users.filter(password_set_at__isnull=False).count(),
        "stored": MailboxUser.objects.filter(
            migration=migration, password_set_at__isnull=False
        ).count(),
        "impersonation": source is not None and source.login_mode != ImapServer.LoginMode.USER,
        "source": source,
    })


def login_names(migration: Migration) -> dict[str, str]:
    """Every name a CSV row may use for a user (lower case) -> the user's id; a name that
    would fit two users fits none."""
    names: dict[str, str] = {}
    ambiguous: set[str] = set()
    rows = MailboxUser.objects.filter(migration=migration, in_directory=True).values_list(
        "pk", "sam", "upn", "primary_address", "source_login", "target_login"
    )
    for pk, *candidates in rows:
        for name in {c.lower() for c in candidates if c}:
            if name in names and names[name] != str(pk):
                ambiguous.add(name)
            names[name] = str(pk)
    return {name: key for name, key in names.items() if name not in ambiguous}


@admin_required
@require_POST
def purge_passwords(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    count = actions.purge_passwords(migration, request.user)
    messages.success(
        request,
        ngettext(
            "Deleted %(count)d stored user password.", "Deleted %(count)d stored user passwords.",
            count,
        ) % {"count": count},
    )
    return redirect("directory_passwords", migration.pk)


@admin_required
def export_users(request, migration_id: int):
    """The selected users, one per line (README: "Accounts for the Intra2net server")."""
    migration = get_object_or_404(Migration, pk=migration_id)
    users = MailboxUser.objects.filter(
        migration=migration, selected=True, in_directory=True
    ).prefetch_related("groups")
    rows = (
        AccountRow(
            login=u.target_login, display_name=u.display_name, first_name=u.given_name,
            last_name=u.surname, email=u.primary_address, aliases=tuple(u.aliases),
            groups=tuple(g.name for g in u.groups.all() if g.in_directory),
            imceaex_aliases=x500_aliases_of(u, migration.mail_domain),
        )
        for u in users
    )
    return _csv(write_accounts_csv(rows), f"{migration.pk}-users.csv")


def x500_aliases_of(user: MailboxUser, domain: str = "") -> tuple[str, ...]:
    """The user's internal addresses as IMCEAEX aliases in the organisation's mail domain, or
    else the domain of the user's primary address; none without either."""
    domain = domain or user.primary_address.rpartition("@")[2]
    if not domain or not user.x500:
        return ()
    try:
        return imceaex_aliases(user.x500, domain)
    except MigratorError:  # a domain that is no domain: nothing to encapsulate into
        return ()


@admin_required
def export_groups(request, migration_id: int):
    """The groups with their selected members' logins."""
    migration = get_object_or_404(Migration, pk=migration_id)
    groups = migration.directory_groups.filter(in_directory=True).prefetch_related("members")
    rows = (
        GroupRow(
            name=g.name, email=g.mail, aliases=tuple(g.aliases),
            members=tuple(
                sorted(m.target_login for m in g.members.all() if m.selected and m.in_directory)
            ),
        )
        for g in groups
    )
    return _csv(write_groups_csv(rows), f"{migration.pk}-groups.csv")


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accounts-{filename}"'
    return response


@admin_required
@require_POST
def check_accounts(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    try:
        count = actions.check_target_accounts(migration, request.user)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
    else:
        messages.success(
            request,
            ngettext(
                "Checking %(count)d account on the Intra2net server…",
                "Checking %(count)d accounts on the Intra2net server…",
                count,
            ) % {"count": count},
        )
    return redirect(reverse("directory_users", args=[migration.pk]) + "?show=selected")
