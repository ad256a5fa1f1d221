"""Every change of the wizard's state: rows, the audit entry, and the tasks to enqueue.

Views call these; tasks call the engine. Tasks are enqueued on commit, with ids only.
"""

from __future__ import annotations

from django.db import transaction

from wizard.models import AuditEntry, ImapServer, Migration


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
