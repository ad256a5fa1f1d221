"""Celery tasks: thin adapters that load rows by id, call the engine and write results back.

Arguments are ids only; passwords are decrypted here, inside the worker.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from migrator.errors import MigratorError
from migrator.probe import probe_server
from wizard.engine_inputs import imap_admin_credentials, imap_endpoint
from wizard.models import ImapServer


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
