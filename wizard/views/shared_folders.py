"""Step 17: the public folders. Where Exchange shows a public namespace over IMAP, the admin
chooses folders, names them on the Intra2net server, and a worker copies them once with the
copy engine (never into users' mailboxes), then gives groups their rights through IMAP ACL.
Where it shows none, the step is a checklist: each folder, who moves it through Outlook, and
who signed it off. Admins change everything; the helpdesk reads and signs folders off."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from wizard import actions, shared_folder_store
from wizard.forms import (
    OutlookFoldersForm,
    SharedFolderChoiceForm,
    SharedFolderGrantForm,
    SharedFolderSettingsForm,
)
from wizard.models import Migration, SharedFolder, SharedFolderGrant, SharedFolderSetup
from wizard.recorded import recorded
from wizard.roles import admin_required, staff_required

Method = SharedFolderSetup.Method


def _page(request, migration: Migration, status: int = 200, **forms):
    context = shared_folder_store.status_of(migration)
    setup = context["setup"]
    imap_rows = shared_folder_store.imap_folders(migration).filter(found=True)
    listed = list(SharedFolder.objects.filter(migration=migration).exclude(
        kind=SharedFolder.Kind.IMAP, chosen=False
    ))
    context.update({
        "settings_form": SharedFolderSettingsForm(initial={
            "target_prefix": setup.target_prefix, "acl_identifier": setup.acl_identifier,
        }),
        "choice_form": SharedFolderChoiceForm(folders=imap_rows),
        "grant_form": SharedFolderGrantForm(migration=migration, folders=listed),
        "outlook_form": OutlookFoldersForm(),
        "grants": shared_folder_store.grants_of(migration),
        "by_hand": shared_folder_store.rights_by_hand(migration, setup),
        "outlook_folders": SharedFolder.objects.filter(
            migration=migration, kind=SharedFolder.Kind.OUTLOOK
        ),
        "imap": setup.method == Method.IMAP,
        "outlook": setup.method == Method.OUTLOOK,
        **forms,
    })
    return render(request, "shared_folders/shared_folders.html", context, status=status)


def _migration(migration_id: int) -> Migration:
    return get_object_or_404(Migration, pk=migration_id)


def _act(request, action, *args) -> bool:
    try:
        action(*args)
    except actions.ActionRefused as e:
        messages.error(request, recorded(str(e)))
        return False
    return True


@staff_required
def page(request, migration_id: int):
    return _page(request, _migration(migration_id))


@staff_required
def status(request, migration_id: int):
    """The status alone, polled by htmx while a look, a copy or the rights are under way."""
    migration = _migration(migration_id)
    return render(request, "shared_folders/status.html", shared_folder_store.status_of(migration))


@admin_required
@require_POST
def look(request, migration_id: int):
    migration = _migration(migration_id)
    _act(request, actions.look_for_shared_folders, migration, request.user)
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def settings(request, migration_id: int):
    migration = _migration(migration_id)
    setup = shared_folder_store.setup_of(migration)
    form = SharedFolderSettingsForm(request.POST, separator=setup.target_separator)
    if not form.is_valid():
        return _page(request, migration, 400, settings_form=form)
    renamed = actions.save_shared_folder_settings(
        migration, form.cleaned_data["target_prefix"], form.cleaned_data["acl_identifier"],
        request.user,
    )
    text = _("Saved.")
    if renamed:
        text += " " + ngettext(
            "%(count)d folder renamed.", "%(count)d folders renamed.", renamed
        ) % {"count": renamed}
    messages.success(request, text)
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def method(request, migration_id: int):
    migration = _migration(migration_id)
    chosen = request.POST.get("method", "")
    if chosen in (Method.IMAP, Method.OUTLOOK):
        actions.set_shared_folder_method(migration, chosen, request.user)
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def choose(request, migration_id: int):
    migration = _migration(migration_id)
    folders = shared_folder_store.imap_folders(migration).filter(found=True)
    form = SharedFolderChoiceForm(request.POST, folders=folders)
    if not form.is_valid():
        return _page(request, migration, 400, choice_form=form)
    count = actions.choose_shared_folders(migration, form.choices(), request.user)
    messages.success(
        request,
        ngettext("%(count)d folder chosen.", "%(count)d folders chosen.", count) % {"count": count},
    )
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def copy(request, migration_id: int):
    migration = _migration(migration_id)
    _act(request, actions.start_shared_folder_copy, migration, request.user)
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def grant(request, migration_id: int):
    migration = _migration(migration_id)
    folders = SharedFolder.objects.filter(migration=migration).exclude(
        kind=SharedFolder.Kind.IMAP, chosen=False
    )
    form = SharedFolderGrantForm(request.POST, migration=migration, folders=folders)
    if not form.is_valid():
        return _page(request, migration, 400, grant_form=form)
    _act(
        request, actions.grant_shared_folder, form.chosen_folders(), form.cleaned_data["group"],
        form.cleaned_data["rights"], request.user,
    )
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def apply_rights(request, migration_id: int):
    migration = _migration(migration_id)
    _act(request, actions.apply_shared_folder_rights, migration, request.user)
    return redirect("shared_folders", migration.pk)


@admin_required
@require_POST
def revoke(request, migration_id: int, grant_id: int):
    found = get_object_or_404(
        SharedFolderGrant.objects.select_related("folder__migration", "group"),
        pk=grant_id, folder__migration_id=migration_id,
    )
    actions.revoke_shared_folder_grant(found, request.user)
    messages.success(
        request, _("Taken back. Rights set on the server already stay until changed there.")
    )
    return redirect("shared_folders", migration_id)


@admin_required
@require_POST
def add_outlook(request, migration_id: int):
    migration = _migration(migration_id)
    form = OutlookFoldersForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, migration, 400, outlook_form=form)
    added = actions.add_outlook_folders(migration, form.cleaned_data["entries"], request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d folder added to the checklist.",
            "%(count)d folders added to the checklist.",
            added,
        ) % {"count": added},
    )
    return redirect("shared_folders", migration.pk)


def _folder(migration_id: int, folder_id: int) -> SharedFolder:
    return get_object_or_404(
        SharedFolder.objects.select_related("migration"), pk=folder_id, migration_id=migration_id
    )


@staff_required
@require_POST
def sign_off(request, migration_id: int, folder_id: int):
    """An admin or the helpdesk confirms that the folder was moved through Outlook."""
    actions.sign_off_shared_folder(_folder(migration_id, folder_id), request.user)
    return redirect("shared_folders", migration_id)


@admin_required
@require_POST
def withdraw(request, migration_id: int, folder_id: int):
    actions.withdraw_shared_folder_signoff(_folder(migration_id, folder_id), request.user)
    return redirect("shared_folders", migration_id)


@admin_required
@require_POST
def remove(request, migration_id: int, folder_id: int):
    actions.remove_shared_folder(_folder(migration_id, folder_id), request.user)
    return redirect("shared_folders", migration_id)
