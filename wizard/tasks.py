"""Celery tasks: thin adapters that load rows by id, call the engine and write results back.

Arguments are ids only; passwords are decrypted here, inside the worker.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_noop

from migrator.account_check import iter_account_checks
from migrator.copy import copy_mailbox
from migrator.directory import import_directory
from migrator.errors import MigratorError
from migrator.fetching import check_login
from migrator.mailbox_check import MailboxToCheck, check_mailboxes
from migrator.mailflow import check_mx, check_smtp
from migrator.preflight import Check, Status, check_directory_bind, check_servers
from migrator.probe import probe_server
from migrator.shared_folders import (
    AclUnsupported,
    describe_target,
    grant_access,
    list_shared_folders,
)
from migrator.text import say
from wizard import actions, copying, cutover, directory_store, jobs, shared_folder_store
from wizard.engine_inputs import (
    account_logins,
    copy_inputs,
    directory_bind,
    directory_endpoint,
    directory_options,
    fetch_account,
    imap_admin_credentials,
    imap_endpoint,
    shared_folder_inputs,
)
from wizard.locks import MailboxLock
from wizard.models import (
    CopyRun,
    DirectoryServer,
    FetchAccount,
    ImapServer,
    Job,
    MailboxCopy,
    MailboxUser,
    SharedFolderSetup,
)
from wizard.progress import DbProgress, StopRequest


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
            directory_endpoint(server),
            directory_bind(server),
            options=directory_options(server),
            progress=directory_store.ImportProgressRecorder(import_id),
        )
        changes = directory_store.store_snapshot(job.migration, snapshot)
    except MigratorError as e:
        directory_store.finish_import(import_id, error=str(e))
        return f"directory import {import_id}: failed"
    except Exception:
        directory_store.finish_import(
            import_id,
            error=gettext_noop("Unexpected error; see the worker's log."),
        )
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
            target_state=result.state,
            target_message=result.message[:500],
            target_checked_at=timezone.now(),
        )
        states[result.state] = states.get(result.state, 0) + 1
    return f"account check of migration {migration_id}: " + (
        ", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "nobody"
    )


@shared_task
def dispatch_copies(migration_id: int) -> str:
    """Start as many waiting mailboxes as the migration's parallelism allows."""
    user_ids = copying.queue_next(migration_id)
    for user_id in user_ids:
        run_mailbox_copy.delay(user_id)
    return f"migration {migration_id}: {len(user_ids)} copies started"


@shared_task
def run_mailbox_copy(mailbox_user_id: int) -> str:
    # Workers on several hosts: the mailbox's lock keeps all but one away (wizard.locks).
    with MailboxLock(mailbox_user_id) as lock:
        if not lock.held:
            return f"mailbox {mailbox_user_id}: another worker is copying it"
        return _copy_locked(mailbox_user_id, lock)


def _copy_locked(mailbox_user_id: int, lock: MailboxLock) -> str:
    # With the lock ours, a copy still marked as running was left by a worker that died.
    copy = copying.claim(mailbox_user_id, stale_after=timedelta(0))
    if copy is None:
        return f"mailbox {mailbox_user_id}: not queued any more"
    run = copying.start_run(copy)
    stop = StopRequest(copy)
    try:
        inputs = copy_inputs(copy.mailbox_user)
        report = copy_mailbox(
            inputs.source,
            inputs.target,
            inputs.source_credentials,
            inputs.target_credentials,
            options=cutover.copy_options(copy, inputs.options),
            progress=DbProgress(copy),
            should_stop=lambda: lock.lost.is_set() or stop(),
        )
        if lock.lost.is_set():  # another worker has the mailbox now: its state is theirs
            copying.record_lost(run, report)
            return f"{copy.mailbox_user}: lost the lock, stopped"
        copying.record_report(copy, run, report)
        summary = report.summary()
    except MigratorError as e:
        if lock.lost.is_set():
            copying.record_lost(run)
            return f"{copy.mailbox_user}: lost the lock, stopped"
        copying.record_failure(copy, run, str(e))
        summary = "failed"
    except Exception:
        copying.record_failure(copy, run, gettext_noop("Unexpected error; see the worker's log."))
        raise
    finally:
        if run.kind != CopyRun.Kind.TRIAL:  # a trial copies one mailbox only
            dispatch_copies.delay(copy.mailbox_user.migration_id)
    return f"{copy.mailbox_user}: {summary}"


@shared_task
def queue_scheduled_deltas() -> str:
    """Celery beat, nightly: a delta copy for every user in sync (migrations during operation
    that keep the schedule on)."""
    return f"{actions.queue_scheduled_deltas()} nightly delta copies queued"


@shared_task
def requeue_orphaned_copies() -> str:
    """Celery beat, every minute: a copy marked as running whose lock has expired lost its
    worker; queued again, another worker takes it up."""
    user_ids = copying.orphaned_copies()
    for user_id in user_ids:
        run_mailbox_copy.delay(user_id)
    return f"{len(user_ids)} copies of crashed workers queued again"


@shared_task
def run_preflight(job_id: int) -> str:
    return jobs.run(job_id, preflight)


def preflight(job: Job) -> list[Check]:
    servers = {s.role: s for s in job.migration.imap_servers.all()}
    if len(servers) < 2:
        raise jobs.JobRefused(gettext_noop("Enter both IMAP servers first."))
    source, target = servers[ImapServer.Role.SOURCE], servers[ImapServer.Role.TARGET]
    checks = check_servers(
        imap_endpoint(source),
        imap_endpoint(target),
        imap_admin_credentials(source),
        imap_admin_credentials(target),
    )
    directory = DirectoryServer.objects.filter(migration=job.migration).first()
    if directory is not None:
        checks.append(
            check_directory_bind(
                directory_endpoint(directory), directory_bind(directory), directory.base_dn
            )
        )
    return checks


@shared_task
def run_mailbox_check(job_id: int) -> str:
    return jobs.run(job_id, mailbox_check)


def mailbox_check(job: Job) -> list[Check]:
    """Step 7: every selected user's IMAP login on Exchange, mailbox size and target quota."""
    migration = job.migration
    copying.ensure_copy_rows(migration)
    users = list(migration.mailbox_users.filter(selected=True).select_related("migration"))
    if not users:
        raise jobs.JobRefused(gettext_noop("No user is selected."))
    jobs.set_total(job, len(users))
    inputs = {str(user.pk): copy_inputs(user) for user in users}
    first = next(iter(inputs.values()))
    mailboxes = [
        MailboxToCheck(key, i.source_credentials, i.target_credentials) for key, i in inputs.items()
    ]
    failed = 0
    for result in check_mailboxes(
        first.source, first.target, mailboxes, parallel=migration.parallel_copies
    ):
        failed += not result.source_ok
        MailboxCopy.objects.filter(mailbox_user_id=int(result.key)).update(
            source_ok=result.source_ok,
            source_message=result.message[:500],
            source_messages=result.messages,
            source_bytes=result.bytes,
            target_quota_bytes=result.quota_bytes,
            target_used_bytes=result.used_bytes,
            checked_at=timezone.now(),
        )
        jobs.count_one(job)
    name = say("IMAP logins on Exchange")
    if failed:
        return [
            Check(
                name,
                Status.FAIL,
                say(
                    "{failed} of {total} mailboxes cannot be opened; see the list.",
                    failed=failed,
                    total=len(users),
                ),
            )
        ]
    return [Check(name, Status.PASS, say("All {total} mailboxes can be opened.", total=len(users)))]


@shared_task
def run_mail_flow_check(job_id: int) -> str:
    return jobs.run(job_id, mail_flow_check)


def mail_flow_check(job: Job) -> list[Check]:
    migration = job.migration
    target = migration.imap_servers.filter(role=ImapServer.Role.TARGET).first()
    host = migration.smtp_host or (target.host if target else "")
    if not host:
        raise jobs.JobRefused(gettext_noop("Enter the Intra2net server first."))
    checks = [check_smtp(host, migration.smtp_port)]
    if migration.mail_domain:
        checks.append(check_mx(migration.mail_domain, host))
    return checks


# --- shared folders (step 17) and mail fetching accounts (issue 8) ----------------------------


@shared_task
def run_shared_folder_listing(migration_id: int) -> str:
    setup = shared_folder_store.claim(migration_id, SharedFolderSetup.State.LISTING,
                                      SharedFolderSetup.State.LISTING)
    if setup is None:
        return f"shared folders of migration {migration_id}: not looking any more"
    try:
        inputs = shared_folder_inputs(setup.migration)
        listing = list_shared_folders(inputs.source, inputs.source_credentials)
        layout = describe_target(inputs.target, inputs.target_credentials)
        summary = shared_folder_store.store_listing(setup, listing, layout)
    except (MigratorError, ValueError) as e:
        shared_folder_store.fail(setup.pk, str(e))
        return f"shared folders of migration {migration_id}: {e}"
    except Exception:
        shared_folder_store.fail(setup.pk, gettext_noop("Unexpected error; see the worker's log."))
        raise
    return f"shared folders of migration {migration_id}: {summary}"


@shared_task
def run_shared_folder_copy(migration_id: int) -> str:
    """The chosen public folders copied once into shared folders, then the groups' rights."""
    setup = shared_folder_store.claim(migration_id, SharedFolderSetup.State.QUEUED,
                                      SharedFolderSetup.State.COPYING)
    if setup is None:
        return f"shared folders of migration {migration_id}: not queued any more"
    try:
        inputs = shared_folder_inputs(setup.migration)
        report = copy_mailbox(
            inputs.source,
            inputs.target,
            inputs.source_credentials,
            inputs.target_credentials,
            options=shared_folder_store.copy_options(setup),
            progress=shared_folder_store.CopyProgress(setup),
        )
        shared_folder_store.record_copy(setup, report)
        note = set_shared_folder_rights(setup, inputs)
    except (MigratorError, ValueError) as e:
        shared_folder_store.fail(setup.pk, str(e))
        return f"shared folders of migration {migration_id}: failed"
    except Exception:
        shared_folder_store.fail(setup.pk, gettext_noop("Unexpected error; see the worker's log."))
        raise
    return f"shared folders of migration {migration_id}: {shared_folder_store.finish(setup, note)}"


@shared_task
def run_shared_folder_grants(migration_id: int) -> str:
    setup = shared_folder_store.claim(migration_id, SharedFolderSetup.State.GRANTING,
                                      SharedFolderSetup.State.GRANTING)
    if setup is None:
        return f"shared folders of migration {migration_id}: not queued any more"
    try:
        note = set_shared_folder_rights(setup, shared_folder_inputs(setup.migration))
    except (MigratorError, ValueError) as e:
        shared_folder_store.fail(setup.pk, str(e))
        return f"shared folders of migration {migration_id}: failed"
    return f"shared folders of migration {migration_id}: {shared_folder_store.finish(setup, note)}"


def set_shared_folder_rights(setup: SharedFolderSetup, inputs) -> str:
    """SETACL for every group's rights on a chosen folder; a sentence when they must be set
    by hand instead."""
    pending = shared_folder_store.pending_grants(setup)
    if not pending:
        return ""
    try:
        results = grant_access(inputs.target, inputs.target_credentials, [g for _, g in pending])
    except AclUnsupported:
        SharedFolderSetup.objects.filter(pk=setup.pk).update(target_acl=False)
        return gettext_noop(
            "The Intra2net server has no IMAP ACL: set the rights listed below by hand."
        )
    shared_folder_store.record_grants(list(zip((row for row, _ in pending), results, strict=True)))
    return say("Rights set: {count}.", count=len(results)) if all(r.ok for r in results) else ""


@shared_task
def run_fetch_login_checks(migration_id: int) -> str:
    """A real login to every provider account of the migration, one after the other."""
    counts = {True: 0, False: 0}
    for row in FetchAccount.objects.filter(migration_id=migration_id):
        result = check_login(fetch_account(row), verify_tls=row.verify_tls)
        FetchAccount.objects.filter(pk=row.pk).update(
            checked_at=timezone.now(), check_ok=result.ok, check_message=result.message[:500]
        )
        counts[result.ok] += 1
    return (
        f"mail fetching logins of migration {migration_id}: "
        f"{counts[True]} ok, {counts[False]} failed"
    )
