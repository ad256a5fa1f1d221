"""Every change of the wizard's state: rows, the audit entry, and the tasks to enqueue.

Views call these; tasks call the engine. Tasks are enqueued on commit, with ids only.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from migrator.text import say
from wizard import copying, cutover, procedure
from wizard.models import (
    AuditEntry,
    ChecklistTick,
    Confirmation,
    CopyRun,
    CutoverTick,
    DirectoryGroup,
    DirectoryImport,
    DirectoryServer,
    FetchAccount,
    ImapServer,
    Job,
    MailboxCopy,
    MailboxUser,
    Migration,
    SharedFolder,
    SharedFolderGrant,
    SharedFolderSetup,
    StepState,
    Wave,
)
from wizard.steps import CHECKLIST, CUTOVER, STEP_BY_KEY, STEPS, Step


def audit(migration, actor, action: str, *, subject: str = "", detail: str = "") -> AuditEntry:
    """Record who did what; `actor` is an account, or a label such as a sign-off link's."""
    # Kept in English whatever the actor's language; the pages translate what they can.
    with translation.override("en"):
        action, detail = str(action), str(detail)
    return AuditEntry.objects.create(
        migration=migration,
        actor=None if isinstance(actor, str) else actor,
        actor_label=_label(actor),
        action=action,
        subject=subject,
        detail=detail,
    )


def _english(label) -> str:
    """A label of the interface as an audit entry keeps it, for a `…_label` field of say()."""
    with translation.override("en"):
        return str(label)


def server_text(server: ImapServer) -> str:
    """The server as the audit log names it: "Exchange at mail.corp.example:993"."""
    if server.role == ImapServer.Role.SOURCE:
        return say("Exchange at {host}:{port}", host=server.host, port=server.port)
    return say("Intra2net server at {host}:{port}", host=server.host, port=server.port)


def create_migration(name: str, mode: str, actor) -> Migration:
    with transaction.atomic():
        migration = Migration.objects.create(name=name, mode=mode, created_by=actor)
        audit(
            migration,
            actor,
            gettext_noop("created the migration"),
            detail=Migration.Mode(mode).label,
        )
    return migration


def check_imap_server(server: ImapServer, actor) -> None:
    from wizard.tasks import run_imap_server_check

    with transaction.atomic():
        ImapServer.objects.filter(pk=server.pk).update(
            check_ok=None, check_message=gettext_noop("Checking…")
        )
        audit(
            server.migration,
            actor,
            gettext_noop("checked the IMAP server"),
            detail=server_text(server),
        )
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
        audit(
            migration,
            actor,
            gettext_noop("saved the directory connection"),
            detail=say("Server {url}, user {account}", url=server.url, account=server.bind_user),
        )
    return server


def start_directory_import(migration: Migration, actor):
    """Queue an import; refused while another one of this migration is queued or running."""
    from wizard.tasks import run_directory_import

    if not DirectoryServer.objects.filter(migration=migration).exists():
        raise ActionRefused(gettext("Set up the directory connection first."))
    with transaction.atomic():
        Migration.objects.select_for_update().get(pk=migration.pk)
        busy = DirectoryImport.Status.QUEUED, DirectoryImport.Status.RUNNING
        if DirectoryImport.objects.filter(migration=migration, status__in=busy).exists():
            raise ActionRefused(
                gettext("An import is already running; wait until it has finished.")
            )
        job = DirectoryImport.objects.create(migration=migration, created_by=actor)
        audit(migration, actor, gettext_noop("started a directory import"))
        transaction.on_commit(lambda: run_directory_import.delay(job.pk))
    return job


# The user's fields as the admin's form names them, for the audit log.
USER_FIELD_LABELS = {
    "selected": gettext_noop("Moves to the Intra2net server"),
    "display_name": gettext_noop("Display name"),
    "primary_address": gettext_noop("Primary address"),
    "aliases": gettext_noop("Aliases"),
    "source_login": gettext_noop("Login on Exchange"),
    "target_login": gettext_noop("Login on the Intra2net server"),
    "language": gettext_noop("Language of the sign-off link"),
}


def _audit_fields(user, actor, action: str, names) -> None:
    """One entry per field, so that each field's label is said in the reader's language."""
    for name in names or ("",):
        detail = USER_FIELD_LABELS.get(name, name)
        audit(user.migration, actor, action, subject=user.sam, detail=detail)


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
        _audit_fields(user, actor, gettext_noop("edited a user"), changed)
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
        _audit_fields(user, actor, gettext_noop("reset a user to the directory's values"), fields)


def select_mailbox_users(migration: Migration, user_ids, selected: bool, actor) -> int:
    with transaction.atomic():
        count = MailboxUser.objects.filter(migration=migration, pk__in=user_ids).update(
            selected=selected
        )
        audit(
            migration,
            actor,
            gettext_noop("selected users") if selected else gettext_noop("deselected users"),
            detail=say("Users: {count}", count=count),
        )
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
        if skipped:
            detail = say(
                "Passwords: {count}, bad rows left out: {skipped}",
                count=len(users),
                skipped=skipped,
            )
        else:
            detail = say("Passwords: {count}", count=len(users))
        audit(migration, actor, gettext_noop("uploaded user passwords"), detail=detail)
    return len(users)


def purge_passwords(migration: Migration, actor) -> int:
    """Forget every user password of this migration at once."""
    with transaction.atomic():
        count = MailboxUser.objects.filter(
            migration=migration, password_set_at__isnull=False
        ).update(password="", password_set_at=None)
        audit(
            migration,
            actor,
            gettext_noop("purged the user passwords"),
            detail=say("Passwords: {count}", count=count),
        )
    return count


def check_target_accounts(migration: Migration, actor) -> int:
    """Queue the check of every selected user's account on the target; returns how many."""
    from wizard.tasks import run_account_check

    if not ImapServer.objects.filter(migration=migration, role=ImapServer.Role.TARGET).exists():
        raise ActionRefused(gettext("Set up the Intra2net server (the target IMAP server) first."))
    users = MailboxUser.objects.filter(migration=migration, selected=True, in_directory=True)
    with transaction.atomic():
        count = users.update(target_checked_at=None, target_message=gettext_noop("Checking…"))
        if not count:
            raise ActionRefused(gettext("No user is selected."))
        audit(
            migration,
            actor,
            gettext_noop("checked the accounts on the Intra2net server"),
            detail=say("Users: {count}", count=count),
        )
        transaction.on_commit(lambda: run_account_check.delay(migration.pk))
    return count


# --- the procedure's steps, confirmations and background checks (issue 5) ---------------------


def _step_audit(migration, actor, step: Step, status: str, reopened: bool, note: str) -> None:
    values = {"numbers_label": _english(step.numbers), "step_label": _english(step.title)}
    if reopened:
        action = say("reopened step {numbers_label} ({step_label})", **values)
    elif status == StepState.Status.PENDING:
        action = say("set step {numbers_label} ({step_label}) to pending", **values)
    elif status == StepState.Status.IN_PROGRESS:
        action = say("set step {numbers_label} ({step_label}) to in progress", **values)
    elif status == StepState.Status.DONE:
        action = say("set step {numbers_label} ({step_label}) to done", **values)
    else:
        action = say("set step {numbers_label} ({step_label}) to skipped", **values)
    audit(migration, actor, action, detail=note)


def set_step_status(migration: Migration, key: str, status: str, actor, note: str = "") -> None:
    """Move a step to pending, in progress, done or skipped; reopening a finished step is
    allowed and recorded."""
    step = STEP_BY_KEY[key]
    state = procedure.step_states(migration)[key]
    if status in (StepState.Status.IN_PROGRESS, StepState.Status.DONE):
        reason = procedure.locked_because(migration, step)
        if reason:
            raise ActionRefused(reason)
    if status == StepState.Status.DONE:
        reason = procedure.unfinished_because(migration, step)
        if reason:
            raise ActionRefused(reason)
    reopened = state.status in procedure.FINISHED and status not in procedure.FINISHED
    with transaction.atomic():
        StepState.objects.update_or_create(
            migration=migration,
            key=key,
            defaults={
                "status": status,
                "changed_at": timezone.now(),
                "changed_by": _label(actor),
                "note": note or state.note,
            },
        )
        _step_audit(migration, actor, step, status, reopened, note)


def confirm(migration: Migration, key: str, actor) -> None:
    """Confirm one of a step's items (reception off, backup copied...); the step is done when
    all of its items are."""
    step = next(s for s in STEPS if key in dict(s.confirmations))
    reason = procedure.locked_because(migration, step)
    if reason:
        raise ActionRefused(reason)
    with transaction.atomic():
        _, created = Confirmation.objects.get_or_create(
            migration=migration, key=key, defaults={"confirmed_by": _label(actor)}
        )
        if not created:
            return
        audit(migration, actor, gettext_noop("confirmed"), detail=dict(step.confirmations)[key])
        status = StepState.Status.IN_PROGRESS
        if not procedure.unfinished_because(migration, step):
            status = StepState.Status.DONE
        set_step_status(migration, step.key, status, actor)


def withdraw_confirmation(migration: Migration, key: str, actor) -> None:
    step = next(s for s in STEPS if key in dict(s.confirmations))
    with transaction.atomic():
        if Confirmation.objects.filter(migration=migration, key=key).delete()[0]:
            audit(
                migration,
                actor,
                gettext_noop("withdrew the confirmation"),
                detail=dict(step.confirmations)[key],
            )
            set_step_status(migration, step.key, StepState.Status.IN_PROGRESS, actor)


def start_job(migration: Migration, kind: str, actor) -> Job:
    """Queue a background check; one of a kind at a time per migration."""
    from wizard import tasks

    task = {
        Job.Kind.PREFLIGHT: tasks.run_preflight,
        Job.Kind.MAILBOX_CHECK: tasks.run_mailbox_check,
        Job.Kind.MAIL_FLOW: tasks.run_mail_flow_check,
    }[kind]
    with transaction.atomic():
        running = migration.jobs.filter(
            kind=kind, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
        )
        if running.exists():
            raise ActionRefused(gettext("This check is running already."))
        job = Job.objects.create(migration=migration, kind=kind, created_by=_label(actor))
        check = _english(Job.Kind(kind).label)
        audit(migration, actor, say("started: {check_label}", check_label=check))
        transaction.on_commit(lambda: task.delay(job.pk))
    return job


# --- the copy (step 8) ------------------------------------------------------------------------


def _copies(migration: Migration):
    return MailboxCopy.objects.filter(mailbox_user__migration=migration)


def _dispatch(migration: Migration) -> None:
    from wizard.tasks import dispatch_copies

    transaction.on_commit(lambda: dispatch_copies.delay(migration.pk))


def start_copy(migration: Migration, actor) -> int:
    """Start copying every selected mailbox that is waiting; returns how many wait."""
    reason = procedure.locked_because(migration, STEP_BY_KEY["copy"])
    if reason:
        raise ActionRefused(reason)
    with transaction.atomic():
        copying.ensure_copy_rows(migration)
        Migration.objects.filter(pk=migration.pk).update(copy_paused=False)
        cutover.lift_planned(_copies(migration).filter(state=MailboxCopy.State.WAITING))
        waiting = _copies(migration).filter(state=MailboxCopy.State.WAITING).count()
        set_step_status(migration, "copy", StepState.Status.IN_PROGRESS, actor)
        audit(
            migration,
            actor,
            gettext_noop("started the copy"),
            detail=say("Mailboxes waiting: {count}", count=waiting),
        )
        _dispatch(migration)
    return waiting


def pause_copy(migration: Migration, actor) -> None:
    """Running copies stop between two batches; nothing new starts."""
    with transaction.atomic():
        Migration.objects.filter(pk=migration.pk).update(copy_paused=True)
        audit(migration, actor, gettext_noop("paused the copy"))


def resume_copy(migration: Migration, actor) -> None:
    with transaction.atomic():
        Migration.objects.filter(pk=migration.pk).update(copy_paused=False)
        _copies(migration).filter(state=MailboxCopy.State.PAUSED).update(
            state=MailboxCopy.State.WAITING
        )
        audit(migration, actor, gettext_noop("resumed the copy"))
        _dispatch(migration)


# What the audit log says when one mailbox is queued again, by the kind of copy.
QUEUED = {
    CopyRun.Kind.FULL: gettext_noop("queued a copy"),
    CopyRun.Kind.PRESTAGE: gettext_noop("queued a pre-stage"),
    CopyRun.Kind.DELTA: gettext_noop("queued a delta"),
    CopyRun.Kind.FINAL: gettext_noop("queued a final delta"),
    CopyRun.Kind.TRIAL: gettext_noop("queued a trial copy"),
}
RETRYABLE = (
    MailboxCopy.State.FAILED,
    MailboxCopy.State.NEEDS_ATTENTION,
    MailboxCopy.State.PAUSED,
    MailboxCopy.State.DONE,
)


def retry_mailbox(user: MailboxUser, actor, kind: str = CopyRun.Kind.FULL) -> bool:
    """Copy one mailbox again (what is on the target already is not copied twice)."""
    with transaction.atomic():
        copying.ensure_copy_rows(user.migration)
        changed = MailboxCopy.objects.filter(mailbox_user=user, state__in=RETRYABLE).update(
            state=MailboxCopy.State.WAITING, run_kind=kind
        )
        if changed:
            cutover.lift_planned(MailboxCopy.objects.filter(mailbox_user=user))
            audit(user.migration, actor, QUEUED[kind], subject=user.sam)
            _dispatch(user.migration)
    return bool(changed)


def retry_failed(migration: Migration, actor) -> int:
    with transaction.atomic():
        failed = _copies(migration).filter(
            state__in=(MailboxCopy.State.FAILED, MailboxCopy.State.NEEDS_ATTENTION)
        )
        cutover.lift_planned(failed)
        changed = failed.update(state=MailboxCopy.State.WAITING, run_kind=CopyRun.Kind.FULL)
        audit(
            migration,
            actor,
            gettext_noop("retried the failed mailboxes"),
            detail=say("Mailboxes: {count}", count=changed),
        )
        _dispatch(migration)
    return changed


def run_delta(migration: Migration, actor) -> int:
    """Copy again what is new on Exchange for every mailbox that was copied."""
    with transaction.atomic():
        changed = (
            _copies(migration)
            .filter(state=MailboxCopy.State.DONE)
            .update(state=MailboxCopy.State.WAITING, run_kind=CopyRun.Kind.DELTA)
        )
        audit(
            migration,
            actor,
            gettext_noop("started a delta copy"),
            detail=say("Mailboxes: {count}", count=changed),
        )
        _dispatch(migration)
    return changed


def start_trial_copy(user: MailboxUser, actor) -> None:
    """Copy one mailbox now to measure the throughput that the time plan uses."""
    from wizard.tasks import run_mailbox_copy

    with transaction.atomic():
        copying.ensure_copy_rows(user.migration)
        changed = MailboxCopy.objects.filter(
            mailbox_user=user, state__in=(MailboxCopy.State.WAITING, *RETRYABLE)
        ).update(state=MailboxCopy.State.QUEUED, run_kind=CopyRun.Kind.TRIAL)
        if not changed:
            raise ActionRefused(gettext("%(user)s is being copied already.") % {"user": user})
        audit(user.migration, actor, gettext_noop("started a trial copy"), subject=user.sam)
        transaction.on_commit(lambda: run_mailbox_copy.delay(user.pk))


# --- the Outlook checklist (steps 9 to 16) ----------------------------------------------------


def tick(user: MailboxUser, key: str, actor, *, by_link: bool = False) -> None:
    """Tick one item of a user's checklist: an admin, the helpdesk, or the user by their link."""
    entry = next(e for e in CHECKLIST if e.key == key)
    with transaction.atomic():
        _, created = ChecklistTick.objects.get_or_create(
            mailbox_user=user, key=key, defaults={"ticked_by": _label(actor), "by_link": by_link}
        )
        if created:
            audit(
                user.migration, actor, gettext_noop("ticked"), subject=user.sam, detail=_item(entry)
            )
            cutover.complete_if_ticked(user, _label(actor))  # during operation: moved


def untick(user: MailboxUser, key: str, actor) -> None:
    entry = next(e for e in CHECKLIST if e.key == key)
    with transaction.atomic():
        if ChecklistTick.objects.filter(mailbox_user=user, key=key).delete()[0]:
            audit(
                user.migration,
                actor,
                gettext_noop("unticked"),
                subject=user.sam,
                detail=_item(entry),
            )


def _item(entry) -> str:
    """A checklist item as the audit log names it: "Step 9: Open the user's Outlook…"."""
    return say(
        "Step {number}: {item_label}", number=entry.manual_step, item_label=_english(entry.text)
    )


def _label(actor) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


# --- the dashboard (issue 6) ------------------------------------------------------------------

NOTIFICATION_FIELDS = ("notify_failures", "notify_finished", "notify_daily")
# The switches as the audit log names them (the fields' verbose names).
NOTIFICATION_LABELS = {
    "notify_failures": gettext_noop("e-mail when a user's copy fails"),
    "notify_finished": gettext_noop("e-mail when the whole copy is finished"),
    "notify_daily": gettext_noop("a daily summary while copies run"),
}


def set_notifications(migration: Migration, switches: dict[str, bool], actor) -> list[str]:
    """Switch the admins' e-mails on or off; returns the names of the switches that changed."""
    changed = [
        name
        for name in NOTIFICATION_FIELDS
        if name in switches and getattr(migration, name) != switches[name]
    ]
    if not changed:
        return []
    with transaction.atomic():
        Migration.objects.filter(pk=migration.pk).update(**{n: switches[n] for n in changed})
        for name in changed:
            setattr(migration, name, switches[name])
        for name in changed:  # one entry each: a switch's label is said in the reader's language
            label = NOTIFICATION_LABELS[name]
            if switches[name]:
                detail = say("Switched on: {switch_label}", switch_label=label)
            else:
                detail = say("Switched off: {switch_label}", switch_label=label)
            audit(migration, actor, gettext_noop("changed the e-mail notifications"), detail=detail)
    return changed


# --- shared folders (step 17) and mail fetching accounts (issue 8) ----------------------------


def _shared_setup(migration: Migration) -> SharedFolderSetup:
    from wizard.shared_folder_store import setup_of

    return setup_of(migration)


def _make_busy(migration: Migration, state: str, message: str) -> None:
    """Compare-and-set: refused while a look, a copy or the rights are under way."""
    from wizard.shared_folder_store import idle_or_stale

    setup = _shared_setup(migration)
    changed = (
        SharedFolderSetup.objects.filter(pk=setup.pk)
        .filter(idle_or_stale())
        .update(state=state, message=message, started_at=timezone.now(), heartbeat_at=None)
    )
    if not changed:
        raise ActionRefused(
            gettext("The shared folders are busy already; wait until that has finished.")
        )


def _require_servers(migration: Migration) -> None:
    from wizard.engine_inputs import shared_folder_inputs

    try:
        shared_folder_inputs(migration)
    except ValueError as e:
        raise ActionRefused(str(e)) from None


def look_for_shared_folders(migration: Migration, actor) -> None:
    """Queue a look at Exchange's namespaces (and the target's layout and ACL)."""
    from wizard.tasks import run_shared_folder_listing

    _require_servers(migration)
    with transaction.atomic():
        _make_busy(
            migration,
            SharedFolderSetup.State.LISTING,
            gettext_noop("Looking for public folders…"),
        )
        audit(migration, actor, gettext_noop("looked for public folders on Exchange"))
        transaction.on_commit(lambda: run_shared_folder_listing.delay(migration.pk))


def save_shared_folder_settings(migration: Migration, prefix: str, identifier: str, actor) -> int:
    """A new prefix renames every target below it (names edited one by one included)."""
    from wizard.shared_folder_store import renamed_targets

    setup = _shared_setup(migration)
    with transaction.atomic():
        renamed = 0
        if prefix != setup.target_prefix:
            renamed = renamed_targets(setup, prefix)
        SharedFolderSetup.objects.filter(pk=setup.pk).update(
            target_prefix=prefix, acl_identifier=identifier
        )
        audit(
            migration,
            actor,
            gettext_noop("changed the shared folder settings"),
            detail=say(
                "Prefix “{prefix}”, groups as “{identifier}”", prefix=prefix, identifier=identifier
            ),
        )
    return renamed


def set_shared_folder_method(migration: Migration, method: str, actor) -> None:
    setup = _shared_setup(migration)
    with transaction.atomic():
        SharedFolderSetup.objects.filter(pk=setup.pk).update(method=method)
        audit(
            migration,
            actor,
            gettext_noop("chose how the public folders move"),
            detail=SharedFolderSetup.Method(method).label,
        )


def choose_shared_folders(migration: Migration, choices: dict[int, str | None], actor) -> int:
    """`choices` maps each folder found over IMAP to its target name, or None when it is not
    to be copied. Returns how many are chosen."""
    folders = SharedFolder.objects.filter(
        migration=migration, kind=SharedFolder.Kind.IMAP, pk__in=choices
    )
    rows = list(folders)
    for row in rows:
        target = choices[row.pk]
        row.chosen = target is not None and row.selectable and row.found
        if target:
            row.target_name = target
    with transaction.atomic():
        SharedFolder.objects.bulk_update(rows, ["chosen", "target_name"])
        chosen = [row for row in rows if row.chosen]
        audit(
            migration,
            actor,
            gettext_noop("chose the public folders to copy"),
            detail=", ".join(f"{r.name} → {r.target_name}" for r in chosen)[:2000]
            or gettext_noop("no folder"),
        )
    return len(chosen)


def grant_shared_folder(folders, group: DirectoryGroup, rights: str, actor) -> int:
    """Give `group` these rights on each folder (replacing rights it had there)."""
    folders = list(folders)
    if not folders:
        raise ActionRefused(gettext("Choose a folder first."))
    with transaction.atomic():
        for folder in folders:
            SharedFolderGrant.objects.update_or_create(
                folder=folder,
                group=group,
                defaults={
                    "rights": rights,
                    "applied_at": None,
                    "applied_ok": None,
                    "applied_message": "",
                },
            )
        audit(
            group.migration,
            actor,
            gettext_noop("shared folders with a group"),
            subject=group.name,
            detail=say(
                "Rights “{rights_label}” on {folders}",
                rights_label=_english(SharedFolderGrant.Rights(rights).label),
                folders=", ".join(f.target_name or f.name for f in folders)[:2000],
            ),
        )
    return len(folders)


def revoke_shared_folder_grant(grant: SharedFolderGrant, actor) -> None:
    with transaction.atomic():
        grant.delete()
        audit(
            grant.folder.migration,
            actor,
            gettext_noop("took back a group's rights on a shared folder"),
            subject=grant.group.name,
            detail=grant.folder.target_name or grant.folder.name,
        )


def start_shared_folder_copy(migration: Migration, actor) -> int:
    """Copy the chosen public folders into the shared folders on the target (one copy, never
    per user), then set the rights; returns how many folders."""
    from wizard.shared_folder_store import chosen_folders
    from wizard.tasks import run_shared_folder_copy

    _require_servers(migration)
    count = chosen_folders(migration).count()
    if not count:
        raise ActionRefused(gettext("Choose the public folders to copy first."))
    with transaction.atomic():
        _make_busy(migration, SharedFolderSetup.State.QUEUED, gettext_noop("Waiting for a worker…"))
        audit(
            migration,
            actor,
            gettext_noop("started the copy of the shared folders"),
            detail=say("Folders: {count}", count=count),
        )
        transaction.on_commit(lambda: run_shared_folder_copy.delay(migration.pk))
    return count


def apply_shared_folder_rights(migration: Migration, actor) -> int:
    """Set the groups' rights on the copied folders now, through the target's ACL."""
    from wizard.tasks import run_shared_folder_grants

    _require_servers(migration)
    count = SharedFolderGrant.objects.filter(
        folder__migration=migration, folder__kind=SharedFolder.Kind.IMAP, folder__chosen=True
    ).count()
    if not count:
        raise ActionRefused(gettext("Give a group rights on a chosen folder first."))
    with transaction.atomic():
        _make_busy(migration, SharedFolderSetup.State.GRANTING, gettext_noop("Setting the rights…"))
        audit(
            migration,
            actor,
            gettext_noop("set the rights on the shared folders"),
            detail=say("Rights: {count}", count=count),
        )
        transaction.on_commit(lambda: run_shared_folder_grants.delay(migration.pk))
    return count


def add_outlook_folders(migration: Migration, entries: list[tuple[str, str]], actor) -> int:
    """Folders moved through Outlook, as (name, who moves it); a name listed already gets the
    new mover. Returns how many were added."""
    added = 0
    with transaction.atomic():
        _shared_setup(migration)  # the step's status counts folders through it
        for name, mover in entries:
            folder, created = SharedFolder.objects.get_or_create(
                migration=migration,
                name=name,
                defaults={"kind": SharedFolder.Kind.OUTLOOK, "mover": mover},
            )
            added += created
            if not created and mover and folder.mover != mover:
                SharedFolder.objects.filter(pk=folder.pk).update(mover=mover)
        audit(
            migration,
            actor,
            gettext_noop("listed public folders to move through Outlook"),
            detail=say("Folders: {count}, new: {added}", count=len(entries), added=added),
        )
    return added


def sign_off_shared_folder(folder: SharedFolder, actor) -> bool:
    """An admin or the helpdesk confirms the folder was moved through Outlook."""
    with transaction.atomic():
        changed = SharedFolder.objects.filter(pk=folder.pk, signed_off_at__isnull=True).update(
            signed_off_by=_label(actor), signed_off_at=timezone.now()
        )
        if changed:
            audit(
                folder.migration,
                actor,
                gettext_noop("signed off a shared folder"),
                subject=folder.mover,
                detail=folder.name,
            )
    return bool(changed)


def withdraw_shared_folder_signoff(folder: SharedFolder, actor) -> None:
    with transaction.atomic():
        if SharedFolder.objects.filter(pk=folder.pk, signed_off_at__isnull=False).update(
            signed_off_by="", signed_off_at=None
        ):
            audit(
                folder.migration,
                actor,
                gettext_noop("withdrew the sign-off of a shared folder"),
                detail=folder.name,
            )


def remove_shared_folder(folder: SharedFolder, actor) -> None:
    with transaction.atomic():
        folder.delete()
        audit(
            folder.migration,
            actor,
            gettext_noop("removed a shared folder from the list"),
            detail=folder.name,
        )


def save_fetch_accounts(
    migration: Migration, accounts, actor, *, skipped: int = 0, verify_tls: bool = True
) -> tuple[int, int]:
    """Store provider accounts (migrator.fetching.FetchAccount), passwords encrypted; an
    account known already (same protocol, host, port and login) is updated. Returns (added,
    updated)."""
    added = updated = 0
    with transaction.atomic():
        for account in accounts:
            values = {
                "tls": account.tls.value,
                "password": account.password,
                "target_user": account.target_user,
                "verify_tls": verify_tls,
                "checked_at": None,
                "check_ok": None,
                "check_message": "",
            }
            row = FetchAccount.objects.filter(
                migration=migration,
                protocol=account.protocol.value,
                host__iexact=account.host,
                port=account.port,
                login__iexact=account.login,
            ).first()
            if row is None:
                FetchAccount.objects.create(
                    migration=migration,
                    protocol=account.protocol.value,
                    host=account.host,
                    port=account.port,
                    login=account.login,
                    **values,
                )
                added += 1
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                row.save()
                updated += 1
        if skipped:
            detail = say(
                "Added: {added}, updated: {updated}, bad rows left out: {skipped}",
                added=added,
                updated=updated,
                skipped=skipped,
            )
        else:
            detail = say("Added: {added}, updated: {updated}", added=added, updated=updated)
        audit(migration, actor, gettext_noop("saved mail fetching accounts"), detail=detail)
    return added, updated


def delete_fetch_account(account: FetchAccount, actor) -> None:
    with transaction.atomic():
        account.delete()
        audit(
            account.migration,
            actor,
            gettext_noop("deleted a mail fetching account"),
            detail=str(account),
        )


def check_fetch_logins(migration: Migration, actor) -> int:
    """Queue a real login to every provider account; returns how many."""
    from wizard.tasks import run_fetch_login_checks

    with transaction.atomic():
        count = FetchAccount.objects.filter(migration=migration).update(
            checked_at=None, check_ok=None, check_message=gettext_noop("Checking…")
        )
        if not count:
            raise ActionRefused(gettext("Enter or upload the provider accounts first."))
        audit(
            migration,
            actor,
            gettext_noop("tested the mail fetching logins"),
            detail=say("Accounts: {count}", count=count),
        )
        transaction.on_commit(lambda: run_fetch_login_checks.delay(migration.pk))
    return count


# --- migration during operation: waves, pre-stage, delta copies, cutover (issue 7) ------------

Phase = MailboxCopy.Phase


def _require_during_operation(migration: Migration) -> None:
    if not cutover.during_operation(migration):
        raise ActionRefused(gettext("Waves and cutovers belong to a migration during operation."))


def save_wave(migration: Migration, name: str, planned_for, actor, wave: Wave | None = None):
    """Create a wave, or rename and re-date one; names are unique per migration."""
    _require_during_operation(migration)
    name = name.strip()
    others = Wave.objects.filter(migration=migration, name__iexact=name)
    if wave is not None:
        others = others.exclude(pk=wave.pk)
    if not name or others.exists():
        raise ActionRefused(
            gettext("There is a wave called “%(name)s” already.") % {"name": name}
            if name
            else gettext("A wave needs a name.")
        )
    with transaction.atomic():
        if wave is None:
            wave = Wave.objects.create(
                migration=migration,
                name=name,
                planned_for=planned_for,
                order=Wave.objects.filter(migration=migration).count(),
            )
            what = gettext_noop("created a wave")
        else:
            Wave.objects.filter(pk=wave.pk).update(name=name, planned_for=planned_for)
            wave.name, wave.planned_for = name, planned_for
            what = gettext_noop("changed a wave")
        if planned_for:
            detail = say("“{wave}”, planned for {date}", wave=name, date=planned_for)
        else:
            detail = say("“{wave}”, no date", wave=name)
        audit(migration, actor, what, detail=detail)
    return wave


def delete_wave(wave: Wave, actor) -> int:
    """Its users stay, in no wave; returns how many they are."""
    with transaction.atomic():
        count = wave.users.update(wave=None)
        wave.delete()
        audit(
            wave.migration,
            actor,
            gettext_noop("deleted a wave"),
            detail=say("“{wave}”, users: {count}", wave=wave.name, count=count),
        )
    return count


def assign_waves(migration: Migration, assignments: dict[int, int | None], actor) -> int:
    """Put users into waves (None: into none); `assignments` maps user ids to wave ids.
    Returns how many users changed wave."""
    _require_during_operation(migration)
    waves = {w.pk: w for w in Wave.objects.filter(migration=migration)}
    if any(wave_id is not None and wave_id not in waves for wave_id in assignments.values()):
        raise ActionRefused(gettext("That wave does not exist (any more)."))
    users = MailboxUser.objects.filter(migration=migration, pk__in=assignments)
    changed = [u for u in users if u.wave_id != assignments[u.pk]]
    if not changed:
        return 0
    with transaction.atomic():
        for user in changed:
            user.wave_id = assignments[user.pk]
        MailboxUser.objects.bulk_update(changed, ["wave"], batch_size=500)
        into: dict[int | None, list[str]] = {}
        for user in changed:
            into.setdefault(user.wave_id, []).append(user.sam)
        for wave_id, names in into.items():  # one entry for each wave the users went into
            users = ", ".join(names)[:2000]
            if wave_id is None:
                detail = say("Out of their wave: {users}", users=users)
            else:
                detail = say("Into wave “{wave}”: {users}", users=users, wave=waves[wave_id].name)
            audit(migration, actor, gettext_noop("grouped users into waves"), detail=detail)
    return len(changed)


def import_waves(migration: Migration, wave_file, actor, *, skipped: int = 0) -> tuple[int, int]:
    """The good rows of a `user,wave,date` upload (migrator.wave_csv): waves created or
    re-dated, users put into them. Returns (new waves, users placed)."""
    _require_during_operation(migration)
    with transaction.atomic():
        existing = {w.name.lower(): w for w in Wave.objects.filter(migration=migration)}
        order = len(existing)
        created = 0
        for name, planned_for in wave_file.waves().items():
            wave = existing.get(name.lower())
            if wave is None:
                existing[name.lower()] = Wave.objects.create(
                    migration=migration, name=name, planned_for=planned_for, order=order
                )
                order += 1
                created += 1
            elif planned_for and wave.planned_for != planned_for:
                Wave.objects.filter(pk=wave.pk).update(planned_for=planned_for)
        users = {
            u.pk: u
            for u in MailboxUser.objects.filter(
                migration=migration, pk__in=[int(row.key) for row in wave_file.rows]
            )
        }
        for row in wave_file.rows:
            users[int(row.key)].wave_id = existing[row.wave.lower()].pk
        MailboxUser.objects.bulk_update(users.values(), ["wave"], batch_size=500)
        if skipped:
            detail = say(
                "Users: {count}, new waves: {created}, bad rows left out: {skipped}",
                count=len(users),
                created=created,
                skipped=skipped,
            )
        else:
            detail = say("Users: {count}, new waves: {created}", count=len(users), created=created)
        audit(migration, actor, gettext_noop("imported waves"), detail=detail)
    return created, len(users)


def save_sync_settings(
    migration: Migration, scheduled_deltas: bool, bandwidth_cap_kb: int | None, actor
) -> None:
    """The nightly delta copy switched on or off, and the bandwidth cap per worker."""
    with transaction.atomic():
        Migration.objects.filter(pk=migration.pk).update(
            scheduled_deltas=scheduled_deltas, bandwidth_cap_kb=bandwidth_cap_kb
        )
        migration.scheduled_deltas, migration.bandwidth_cap_kb = scheduled_deltas, bandwidth_cap_kb
        rate = bandwidth_cap_kb
        if scheduled_deltas and rate:
            detail = say("Nightly delta on, at most {rate} KB/s per worker", rate=rate)
        elif scheduled_deltas:
            detail = say("Nightly delta on, no cap")
        elif rate:
            detail = say("Nightly delta off, at most {rate} KB/s per worker", rate=rate)
        else:
            detail = say("Nightly delta off, no cap")
        audit(migration, actor, gettext_noop("changed the delta copy settings"), detail=detail)


def prestage(migration: Migration, users, actor) -> int:
    """Copy the bulk of these users' mail while they go on working on Exchange; `users` is a
    queryset of the migration's users. Returns how many are queued."""
    _require_during_operation(migration)
    with transaction.atomic():
        copying.ensure_copy_rows(migration)
        changed = (
            _copies(migration)
            .filter(
                mailbox_user__in=users,
                mailbox_user__selected=True,
                phase__in=(Phase.PLANNED, Phase.PRESTAGING),
                state__in=(MailboxCopy.State.WAITING, *cutover.IDLE),
            )
            .update(
                phase=Phase.PRESTAGING,
                state=MailboxCopy.State.WAITING,
                run_kind=CopyRun.Kind.PRESTAGE,
            )
        )
        if changed:
            audit(
                migration,
                actor,
                gettext_noop("started a pre-stage"),
                detail=say("Mailboxes: {count}", count=changed),
            )
            _dispatch(migration)
    return changed


def queue_deltas(migration: Migration, users, actor) -> int:
    """A delta copy for each of these users who is in sync and not being copied now."""
    _require_during_operation(migration)
    with transaction.atomic():
        changed = (
            _copies(migration)
            .filter(
                mailbox_user__in=users,
                mailbox_user__selected=True,
                phase=Phase.IN_SYNC,
                state__in=cutover.IDLE,
            )
            .update(
                state=MailboxCopy.State.WAITING, run_kind=CopyRun.Kind.DELTA, remove_deleted=False
            )
        )
        if changed:
            audit(
                migration,
                actor,
                gettext_noop("queued delta copies"),
                detail=say("Mailboxes: {count}", count=changed),
            )
            _dispatch(migration)
    return changed


NIGHTLY = gettext_noop("the nightly schedule")  # who queues the nightly delta copies


def queue_scheduled_deltas() -> int:
    """The nightly delta copy of every migration during operation that keeps it on."""
    count = 0
    migrations = Migration.objects.filter(
        mode=Migration.Mode.DURING_OPERATION, scheduled_deltas=True
    )
    for migration in migrations:
        count += queue_deltas(migration, migration.mailbox_users.all(), NIGHTLY)
    return count


def queue_delta(user: MailboxUser, actor, *, remove_deleted: bool = False) -> None:
    """One user's delta copy now: in sync or before their routing switch it also follows their
    moves, flags and deletions on Exchange (and removes what they deleted, when asked); after
    their cutover it only brings what still reached Exchange."""
    _require_during_operation(user.migration)
    copy = _copy_of(user)
    switched = cutover.switched_at(user) is not None
    if copy.phase in (Phase.PLANNED, Phase.PRESTAGING):
        raise ActionRefused(gettext("%(user)s is not pre-staged yet.") % {"user": user})
    if copy.phase == Phase.CUTTING_OVER and switched:
        raise ActionRefused(
            gettext("%(user)s's mail goes to the Intra2net server: run the final delta.")
            % {"user": user}
        )
    if remove_deleted and copy.phase not in (Phase.IN_SYNC, Phase.CUTTING_OVER):
        raise ActionRefused(
            gettext("%(user)s works on the Intra2net server: nothing is removed there.")
            % {"user": user}
        )
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(
            pk=copy.pk, phase=copy.phase, state__in=cutover.IDLE
        ).update(
            state=MailboxCopy.State.WAITING,
            run_kind=CopyRun.Kind.DELTA,
            remove_deleted=remove_deleted,
        )
        if not changed:
            raise ActionRefused(
                gettext("%(user)s is being copied, paused or waits already.") % {"user": user}
            )
        what = gettext_noop("removing what was deleted on Exchange") if remove_deleted else ""
        audit(
            user.migration,
            actor,
            gettext_noop("queued a delta copy"),
            subject=user.sam,
            detail=what,
        )
        _dispatch(user.migration)


def pause_user(user: MailboxUser, actor) -> bool:
    """This user's copy stops after its current batch, or does not start."""
    busy = cutover.BUSY
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(mailbox_user=user, state__in=busy).update(
            state=MailboxCopy.State.PAUSED
        )
        if changed:
            audit(user.migration, actor, gettext_noop("paused a mailbox's copy"), subject=user.sam)
    return bool(changed)


def resume_user(user: MailboxUser, actor) -> bool:
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(
            mailbox_user=user, state=MailboxCopy.State.PAUSED
        ).update(state=MailboxCopy.State.WAITING)
        if changed:
            audit(user.migration, actor, gettext_noop("resumed a mailbox's copy"), subject=user.sam)
            _dispatch(user.migration)
    return bool(changed)


def start_cutover(user: MailboxUser, actor) -> None:
    """Begin moving one user: a last delta copy while they still work in Outlook."""
    migration = user.migration
    _require_during_operation(migration)
    routing = procedure.step_states(migration)["routing"]
    if routing.status not in procedure.FINISHED:
        step = STEP_BY_KEY["routing"]
        raise ActionRefused(
            gettext("Finish step %(numbers)s (%(title)s) first.")
            % {"numbers": step.numbers, "title": step.title}
        )
    copy = _copy_of(user)
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(
            pk=copy.pk, phase=Phase.IN_SYNC, state__in=cutover.IDLE
        ).update(
            phase=Phase.CUTTING_OVER,
            state=MailboxCopy.State.WAITING,
            run_kind=CopyRun.Kind.DELTA,
            remove_deleted=False,
        )
        if not changed:
            if copy.phase != Phase.IN_SYNC:
                raise ActionRefused(
                    gettext("%(user)s is %(phase)s, not in sync.")
                    % {"user": user, "phase": str(Phase(copy.phase).label).lower()}
                )
            raise ActionRefused(
                gettext("%(user)s is being copied now; start when that has finished.")
                % {"user": user}
            )
        user.cutover_ticks.all().delete()  # a cutover cancelled earlier starts afresh
        audit(migration, actor, gettext_noop("started the cutover"), subject=user.sam)
        _dispatch(migration)


def confirm_cutover(user: MailboxUser, key: str, actor) -> None:
    """Confirm one of the admin's items of a user's cutover, in their order. The routing switch
    queues the final delta copy."""
    entry = next(e for e in CUTOVER if e.key == key and e.by == "admin")
    copy = _copy_of(user)
    if copy.phase != Phase.CUTTING_OVER:
        raise ActionRefused(gettext("%(user)s's cutover has not started.") % {"user": user})
    item = next(i for i in cutover.cutover_items(user, copy) if i.entry.key == key)
    if item.status == "done":
        return
    if not item.confirmable:
        raise ActionRefused(
            gettext("Confirm the cutover's items in their order: %(next)s")
            % {
                "next": next(
                    i.entry.text for i in cutover.cutover_items(user, copy) if i.status != "done"
                )
            }
        )
    with transaction.atomic():
        if key == "routing":
            changed = MailboxCopy.objects.filter(
                pk=copy.pk, phase=Phase.CUTTING_OVER, state__in=cutover.IDLE
            ).update(
                state=MailboxCopy.State.WAITING, run_kind=CopyRun.Kind.FINAL, remove_deleted=False
            )
            if not changed:
                raise ActionRefused(
                    gettext("%(user)s is being copied now; wait until that has finished.")
                    % {"user": user}
                )
            _dispatch(user.migration)
        CutoverTick.objects.create(mailbox_user=user, key=key, ticked_by=_label(actor))
        audit(user.migration, actor, gettext_noop("confirmed"), subject=user.sam, detail=entry.text)


def run_final_delta(user: MailboxUser, actor) -> None:
    """The final delta copy again, after it failed or left problems."""
    copy = _copy_of(user)
    if copy.phase != Phase.CUTTING_OVER or cutover.switched_at(user) is None:
        raise ActionRefused(
            gettext("%(user)s's routing has not been switched: no final delta yet.")
            % {"user": user}
        )
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(
            pk=copy.pk,
            phase=Phase.CUTTING_OVER,
            state__in=(*cutover.IDLE, MailboxCopy.State.PAUSED),
        ).update(state=MailboxCopy.State.WAITING, run_kind=CopyRun.Kind.FINAL)
        if not changed:
            raise ActionRefused(gettext("%(user)s is being copied now.") % {"user": user})
        audit(
            user.migration,
            actor,
            gettext_noop("ran the final delta copy again"),
            subject=user.sam,
        )
        _dispatch(user.migration)


def finish_cutover(user: MailboxUser, actor, *, accept_problems: bool = False) -> None:
    """Open the user's Outlook checklist once the final delta copy has run. Refused while it
    failed or runs; with problems left (messages that could not be copied) only when the admin
    has looked at them and accepts them."""
    copy = _copy_of(user)
    if copy.phase != Phase.CUTTING_OVER:
        raise ActionRefused(gettext("%(user)s is not cutting over.") % {"user": user})
    final = user.copy_runs.filter(kind=CopyRun.Kind.FINAL).first()
    if final is None or cutover.switched_at(user) is None:
        raise ActionRefused(gettext("The final delta copy has not run yet."))
    if copy.state in cutover.BUSY or final.outcome == CopyRun.Outcome.RUNNING:
        raise ActionRefused(gettext("The final delta copy is still running."))
    if final.outcome in (CopyRun.Outcome.FAILED, CopyRun.Outcome.STOPPED):
        raise ActionRefused(
            gettext(
                "The final delta copy did not finish (%(why)s). Fix the problem and run it "
                "again: mail that reached Exchange before the switch would be missing."
            )
            % {"why": final.error or final.get_outcome_display()}
        )
    if final.outcome == CopyRun.Outcome.INCOMPLETE and not accept_problems:
        raise ActionRefused(
            gettext("The final delta copy left problems: look at them and accept them to go on.")
        )
    detail = gettext_noop("with the final delta's problems accepted") if accept_problems else ""
    with transaction.atomic():
        if not cutover.open_checklist(user, _label(actor)):
            raise ActionRefused(gettext("%(user)s is not cutting over any more.") % {"user": user})
        audit(
            user.migration,
            actor,
            gettext_noop("finished the cutover"),
            subject=user.sam,
            detail=detail,
        )


def cancel_cutover(user: MailboxUser, actor) -> None:
    """Back to in sync, as long as the user's mail still goes to Exchange."""
    if cutover.switched_at(user) is not None:
        raise ActionRefused(
            gettext(
                "%(user)s's mail already goes to the Intra2net server: finish the cutover instead."
            )
            % {"user": user}
        )
    with transaction.atomic():
        changed = MailboxCopy.objects.filter(mailbox_user=user, phase=Phase.CUTTING_OVER).update(
            phase=Phase.IN_SYNC
        )
        if not changed:
            raise ActionRefused(gettext("%(user)s is not cutting over.") % {"user": user})
        user.cutover_ticks.all().delete()
        audit(user.migration, actor, gettext_noop("cancelled the cutover"), subject=user.sam)


def _copy_of(user: MailboxUser) -> MailboxCopy:
    try:
        return MailboxCopy.objects.get(mailbox_user=user)
    except MailboxCopy.DoesNotExist:
        raise ActionRefused(
            gettext("%(user)s has not been pre-staged yet.") % {"user": user}
        ) from None
