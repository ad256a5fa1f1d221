"""Celery tasks: thin adapters that load rows by id, call the engine and write results back.

Arguments are ids only; passwords are decrypted here, inside the worker.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from migrator.account_check import iter_account_checks
from migrator.directory import import_directory
from migrator.errors import MigratorError
from migrator.probe import probe_server
from wizard import directory_store
from wizard.engine_inputs import (
    account_logins,
    directory_bind,
    directory_endpoint,
    directory_options,
    imap_admin_credentials,
    imap_endpoint,
)
from wizard.models import ImapServer, MailboxUser


@shared_task
def run_imap_server_check(server_id: int) -> str:
    server = ImapServer.objects.get(pk=server_id)
    try:
        probe = probe_server(imap_endpoint(server), imap_admin_credentials(server))
        ok, message = True, probe.summary()
    except MigratorError as e:
        ok, message = False, str(e)
    ImapServer.objects.filter(pk=server_id).update(
        checked_at=timezone.now(), check_ok=ok, check_message=message
    )
    return f"{server}: {'ok' if ok else 'failed'}"


@shared_task
def run_directory_import(import_id: int) -> str:
    job = directory_store.start_import(import_id)
    if job is None:
        return f"directory import {import_id}: not queued any more"
    server = job.migration.directory
    try:
        snapshot = import_directory(
            directory_endpoint(server), directory_bind(server),
            options=directory_options(server),
            progress=directory_store.ImportProgressRecorder(import_id),
        )
        changes = directory_store.store_snapshot(job.migration, snapshot)
    except MigratorError as e:
        directory_store.finish_import(import_id, error=str(e))
        return f"directory import {import_id}: failed"
    except Exception:
        directory_store.finish_import(import_id, error="Unexpected error; see the worker's log.")
        raise
    directory_store.finish_import(import_id, changes=changes)
    return f"directory import {import_id}: {changes.counts['users']} users"


@shared_task
def run_account_check(migration_id: int) -> str:
    server = ImapServer.objects.get(migration_id=migration_id, role=ImapServer.Role.TARGET)
    users = MailboxUser.objects.filter(migration_id=migration_id, selected=True, in_directory=True)
    states: dict[str, int] = {}
    for result in iter_account_checks(imap_endpoint(server), account_logins(server, users)):
        MailboxUser.objects.filter(pk=int(result.key)).update(
            target_state=result.state, target_message=result.message[:500],
            target_checked_at=timezone.now(),
        )
        states[result.state] = states.get(result.state, 0) + 1
    return f"account check of migration {migration_id}: " + (
        ", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "nobody"
    )
