"""The directory pages (steps 2 and 3): the AD connection, the import and its result, the
users to move with their addresses and groups. Admins change; the helpdesk reads."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_info, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from migrator.directory import probe_directory
from migrator.errors import MigratorError
from wizard import actions, directory_store
from wizard.crypto import Secret
from wizard.engine_inputs import directory_bind, directory_endpoint
from wizard.forms import DirectoryConnectionForm, MailboxUserForm, UserSelectionForm
from wizard.models import DirectoryImport, DirectoryServer, MailboxUser, Migration
from wizard.recorded import recorded
from wizard.roles import Role, admin_required, role_of, staff_required

USERS_PER_PAGE = 100
CONNECTION_TEST_TIMEOUT = 10.0
USER_FILTERS = {
    "all": Q(),
    "selected": Q(selected=True),
    "not_selected": Q(selected=False),
    "disabled": Q(disabled=True),
    "edited": ~Q(edited_fields=[]),
    "no_password": Q(password_set_at__isnull=True, selected=True),
    "missing": Q(target_state=MailboxUser.TargetState.MISSING),
    "gone": Q(in_directory=False),
}
USER_FILTER_LABELS = {
    "all": gettext_lazy("all"),
    "selected": gettext_lazy("selected"),
    "not_selected": gettext_lazy("not selected"),
    "disabled": gettext_lazy("disabled"),
    "edited": gettext_lazy("edited"),
    "no_password": gettext_lazy("no password"),
    "missing": gettext_lazy("missing on the Intra2net server"),
    "gone": gettext_lazy("no longer in the directory"),
}


@staff_required
def overview(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    users = MailboxUser.objects.filter(migration=migration)
    counts = users.aggregate(
        total=Count("id"), selected=Count("id", filter=Q(selected=True)),
        disabled=Count("id", filter=Q(disabled=True)),
        passwords=Count("id", filter=Q(password_set_at__isnull=False)),
        present=Count("id", filter=Q(target_state=MailboxUser.TargetState.PRESENT)),
        missing=Count("id", filter=Q(target_state=MailboxUser.TargetState.MISSING)),
    )
    return render(request, "directory/overview.html", {
        "migration": migration,
        "server": DirectoryServer.objects.filter(migration=migration).first(),
        "job": migration.directory_imports.first(),
        "counts": counts,
        "group_count": migration.directory_groups.filter(in_directory=True).count(),
        "contacts": migration.directory_contacts.filter(in_directory=True),
        "left_out": migration.left_out_entries.all(),
    })


@admin_required
@require_http_methods(["GET", "POST"])
def connection(request, migration_id: int):
    """The connection form: "Test connection" binds and says how it went; "Save" tests too
    and stores only a connection that works."""
    migration = get_object_or_404(Migration, pk=migration_id)
    server = DirectoryServer.objects.filter(migration=migration).first()
    form = DirectoryConnectionForm(
        request.POST or None, initial=DirectoryConnectionForm.initial_for(server),
        has_password=bool(server and server.bind_password),
    )
    tested = ""
    if request.method == "POST" and form.is_valid():
        values = form.server_values()
        try:
            tested = _test_connection(values, server)
        except MigratorError as e:
            error = recorded(str(e))
            form.add_error(None, _("The connection does not work: %(error)s.") % {"error": error})
        else:
            if "save" in request.POST:
                actions.save_directory_server(migration, values, request.user, check=tested)
                messages.success(request, _("Saved. %(result)s") % {"result": recorded(tested)})
                return redirect("directory", migration.pk)
    return render(request, "directory/connection.html", {
        "migration": migration, "form": form, "server": server, "tested": tested,
    })


def _test_connection(values: dict, stored: DirectoryServer | None) -> str:
    """Bind with the form's values (the stored password when none was typed)."""
    candidate = DirectoryServer(**{k: v for k, v in values.items() if k != "bind_password"})
    typed = Secret(values["bind_password"]) if values["bind_password"] else None
    candidate.bind_password = typed or (stored.bind_password if stored else Secret(""))
    probe = probe_directory(
        directory_endpoint(candidate, timeout=CONNECTION_TEST_TIMEOUT),
        directory_bind(candidate), candidate.base_dn,
    )
    return probe.summary()


@admin_required
@require_POST
def start_import(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    try:
        job = actions.start_directory_import(migration, request.user)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
        return redirect("directory", migration.pk)
    return redirect("directory_import", migration.pk, job.pk)


@staff_required
def import_status(request, migration_id: int, import_id: int):
    """The import's page; htmx polls its `status` partial until the import has finished."""
    job = get_object_or_404(DirectoryImport, pk=import_id, migration_id=migration_id)
    template = "directory/import.html"
    if request.headers.get("HX-Request"):
        template += "#status"
    return render(request, template, {"migration": job.migration, "job": job})


@staff_required
def users(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    show = request.GET.get("show", "all")
    query = request.GET.get("q", "").strip()
    rows = MailboxUser.objects.filter(migration=migration).filter(
        USER_FILTERS.get(show, Q())
    )
    if query:
        rows = rows.filter(
            Q(sam__icontains=query) | Q(display_name__icontains=query)
            | Q(primary_address__icontains=query) | Q(upn__icontains=query)
            | Q(groups__name__icontains=query)
        ).distinct()
    page = Paginator(rows.prefetch_related("groups"), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "directory/users.html", {
        "migration": migration, "page": page, "show": show, "query": query,
        "filters": [(name, USER_FILTER_LABELS[name]) for name in USER_FILTERS],
        "total": page.paginator.count,
    })


@admin_required
@require_POST
def select_users(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    form = UserSelectionForm(request.POST, migration=migration)
    if form.is_valid():
        ids = [user.pk for user in form.cleaned_data["users"]]
        count = actions.select_mailbox_users(
            migration, ids, form.cleaned_data["selected"], request.user
        )
        if form.cleaned_data["selected"]:
            text = ngettext("%(count)d user selected.", "%(count)d users selected.", count)
        else:
            text = ngettext("%(count)d user deselected.", "%(count)d users deselected.", count)
        messages.success(request, text % {"count": count})
    else:
        messages.error(request, _("Tick at least one user."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("directory_users", args=[migration.pk])
    return redirect(back)


@staff_required
@require_http_methods(["GET", "POST"])
def user(request, migration_id: int, user_id: int):
    """One user: the helpdesk reads, the admin corrects (and may reset to the directory)."""
    row = get_object_or_404(MailboxUser, pk=user_id, migration_id=migration_id)
    form = MailboxUserForm(request.POST or None, user=row)
    if request.method == "POST":
        if role_of(request.user) != Role.ADMIN:
            raise PermissionDenied
        if "reset" in request.POST:
            actions.reset_mailbox_user(row, request.user)
            messages.success(request, _("Back to the directory's values."))
            return redirect("directory_user", migration_id, row.pk)
        if form.is_valid():
            changed = actions.edit_mailbox_user(row, form.cleaned_data, request.user)
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("directory_user", migration_id, row.pk)
    return render(request, "directory/user.html", {
        "migration": row.migration, "row": row, "form": form,
        "directory_values": [
            (recorded(directory_store.LABELS.get(name, name)), row.directory_values.get(name))
            for name in row.edited_fields
        ],
        "default_language": get_language_info(settings.LANGUAGE_CODE)["name_translated"],
    })


@staff_required
def groups(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    rows = migration.directory_groups.annotate(member_count=Count("members")).prefetch_related(
        "members"
    )
    return render(request, "directory/groups.html", {
        "migration": migration, "groups": rows,
        "contacts": migration.directory_contacts.all(),
    })
