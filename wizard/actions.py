"""Every change of the wizard's state: rows, the audit entry, and the tasks to enqueue.

Views call these; tasks call the engine. Tasks are enqueued on commit, with ids only.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from wizard.models import (
    AuditEntry,
    DirectoryImport,
    DirectoryServer,
    ImapServer,
    MailboxUser,
    Migration,
)


def audit(migration, actor, action: str, *, subject: str = "", detail: str = "") -> AuditEntry:
    label = actor if isinstance(actor, str) else actor.get_username()
    return AuditEntry.objects.create(
        migration=migration,
        actor=None if isinstance(actor, str) else actor,
        actor_label=label,
        action=action,
        subject=subject,
        detail=detail,
    )


def create_migration(name: str, mode: str, actor) -> Migration:
    with transaction.atomic():
        migration = Migration.objects.create(name=name, mode=mode, created_by=actor)
        audit(migration, actor, "created the migration", detail=migration.get_mode_display())
    return migration


def check_imap_server(server: ImapServer, actor) -> None:
    from wizard.tasks import run_imap_server_check

    with transaction.atomic():
        ImapServer.objects.filter(pk=server.pk).update(check_ok=None, check_message="Checking…")
        audit(server.migration, actor, "checked the IMAP server", detail=str(server))
        transaction.on_commit(lambda: run_imap_server_check.delay(server.pk))


# --- the directory (issue 4) ------------------------------------------------------------------


class ActionRefused(Exception):
    """The action cannot run now; str() says why, for a flash message or a form error."""


def save_directory_server(migration: Migration, values: dict, actor, check: str = ""):
    """Store the directory connection; an empty password keeps the stored one. `check` is
    the successful connection test's summary."""
    values = dict(values)
    password = values.pop("bind_password", "")
    with transaction.atomic():
        server, created = DirectoryServer.objects.get_or_create(
            migration=migration, defaults=values
        )
        if not created:
            for name, value in values.items():
                setattr(server, name, value)
        if password:
            server.bind_password = password
        server.checked_at, server.check_ok, server.check_message = timezone.now(), True, check
        server.save()
        audit(migration, actor, "saved the directory connection",
              detail=f"{server.url} as {server.bind_user}")
    return server


def start_directory_import(migration: Migration, actor):
    """Queue an import; refused while another one of this migration is queued or running."""
    from wizard.tasks import run_directory_import

    if not DirectoryServer.objects.filter(migration=migration).exists():
        raise ActionRefused("Set up the directory connection first.")
    with transaction.atomic():
        Migration.objects.select_for_update().get(pk=migration.pk)
        busy = DirectoryImport.Status.QUEUED, DirectoryImport.Status.RUNNING
        if DirectoryImport.objects.filter(migration=migration, status__in=busy).exists():
            raise ActionRefused("An import is already running; wait until it has finished.")
        job = DirectoryImport.objects.create(migration=migration, created_by=actor)
        audit(migration, actor, "started a directory import")
        transaction.on_commit(lambda: run_directory_import.delay(job.pk))
    return job


def edit_mailbox_user(user, values: dict, actor) -> list[str]:
    """The admin's changes to one user; changed editable fields are remembered as edited so
    that a re-import keeps them. Returns the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if not changed:
        return []
    edited = set(user.edited_fields)
    for name in changed:
        setattr(user, name, values[name])
        if name in MailboxUser.EDITABLE:
            # Set back to what the directory says: no longer an edit.
            if values[name] == user.directory_values.get(name):
                edited.discard(name)
            else:
                edited.add(name)
    user.edited_fields = sorted(edited)
    with transaction.atomic():
        user.save(update_fields=[*changed, "edited_fields"])
        audit(user.migration, actor, "edited a user", subject=user.sam,
              detail=", ".join(changed))
    return changed


def reset_mailbox_user(user, actor) -> None:
    """Back to the directory's values for every field the admin edited."""
    for name in user.edited_fields:
        if name in user.directory_values:
            setattr(user, name, user.directory_values[name])
    fields = list(user.edited_fields)
    user.edited_fields = []
    with transaction.atomic():
        user.save(update_fields=[*fields, "edited_fields"])
        audit(user.migration, actor, "reset a user to the directory's values", subject=user.sam,
              detail=", ".join(fields))


def select_mailbox_users(migration: Migration, user_ids, selected: bool, actor) -> int:
    with transaction.atomic():
        count = MailboxUser.objects.filter(migration=migration, pk__in=user_ids).update(
            selected=selected
        )
        audit(migration, actor, "selected users" if selected else "deselected users",
              detail=f"{count} users")
    return count


def store_passwords(migration: Migration, rows, actor, *, skipped: int = 0) -> int:
    """Store the good rows of a password upload, encrypted; `skipped` bad rows are noted."""
    by_id = {int(row.key): row.password for row in rows}
    users = list(MailboxUser.objects.filter(migration=migration, pk__in=by_id))
    now = timezone.now()
    for user in users:
        user.password, user.password_set_at = by_id[user.pk], now
    with transaction.atomic():
        MailboxUser.objects.bulk_update(users, ["password", "password_set_at"], batch_size=500)
        detail = f"{len(users)} passwords" + (f", {skipped} bad rows left out" if skipped else "")
        audit(migration, actor, "uploaded user passwords", detail=detail)
    return len(users)


def purge_passwords(migration: Migration, actor) -> int:
    """Forget every user password of this migration at once."""
    with transaction.atomic():
        count = (
            MailboxUser.objects.filter(migration=migration, password_set_at__isnull=False)
            .update(password="", password_set_at=None)
        )
        audit(migration, actor, "purged the user passwords", detail=f"{count} passwords")
    return count


def check_target_accounts(migration: Migration, actor) -> int:
    """Queue the check of every selected user's account on the target; returns how many."""
    from wizard.tasks import run_account_check

    if not ImapServer.objects.filter(migration=migration, role=ImapServer.Role.TARGET).exists():
        raise ActionRefused("Set up the Intra2net server (the target IMAP server) first.")
    users = MailboxUser.objects.filter(migration=migration, selected=True, in_directory=True)
    with transaction.atomic():
        count = users.update(target_checked_at=None, target_message="Checking…")
        if not count:
            raise ActionRefused("No user is selected.")
        audit(migration, actor, "checked the accounts on the Intra2net server",
              detail=f"{count} users")
        transaction.on_commit(lambda: run_account_check.delay(migration.pk))
    return count
