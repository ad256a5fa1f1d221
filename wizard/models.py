"""The wizard's state: migrations, their server connections, the audit log and login throttling."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wizard.crypto import SecretField


class Migration(models.Model):
    """One migration project from an Exchange organisation to an Intra2net server."""

    class Mode(models.TextChoices):
        OFFLINE = "offline", _("Offline (everything frozen, all users at once)")
        DURING_OPERATION = "during_operation", _("During operation (users move in waves)")

    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.OFFLINE)
    parallel_copies = models.PositiveSmallIntegerField(
        default=4, help_text="mailboxes copied at once (Exchange throttles IMAP per server)"
    )
    max_message_mb = models.PositiveIntegerField(
        default=100, help_text="larger messages are skipped and reported"
    )
    copy_paused = models.BooleanField(default=False)
    trial_messages_per_second = models.FloatField(null=True, blank=True)
    trial_bytes_per_second = models.FloatField(null=True, blank=True)
    mail_domain = models.CharField(max_length=255, blank=True, help_text="for the MX check")
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(default=25)
    # E-mail to the admins (issue 6), each switchable per migration.
    notify_failures = models.BooleanField("e-mail when a user's copy fails", default=True)
    notify_finished = models.BooleanField("e-mail when the whole copy is finished", default=True)
    notify_daily = models.BooleanField("a daily summary while copies run", default=True)
    finished_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="when the admins were told the copy had finished"
    )
    # Migration during operation (issue 7).
    scheduled_deltas = models.BooleanField(
        _("a delta copy every night for the users in sync"), default=True
    )
    bandwidth_cap_kb = models.PositiveIntegerField(
        _("bandwidth cap per worker (KB/s)"),
        null=True,
        blank=True,
        help_text=_(
            "at most this much read from Exchange (and written to the Intra2net server) "
            "per second by each worker; empty for no cap"
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class ImapServer(models.Model):
    """The IMAP side of Exchange (source) or of the Intra2net server (target)."""

    class Role(models.TextChoices):
        SOURCE = "source", _("Exchange")
        TARGET = "target", _("Intra2net server")

    class Security(models.TextChoices):
        IMAPS = "imaps", _("IMAPS (implicit TLS)")
        STARTTLS = "starttls", _("STARTTLS")
        PLAIN = "plain", _("Plain (no encryption)")

    class LoginMode(models.TextChoices):
        USER = "user", _("Each user with their own password")
        ADMIN_PLAIN = "admin_plain", _("Administrator acting for the user (SASL PLAIN)")
        ADMIN_MASTER = "admin_master", _("Administrator acting for the user (master user login)")

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="imap_servers")
    role = models.CharField(max_length=10, choices=Role.choices)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.IMAPS)
    ca_certificate = models.TextField(blank=True, help_text="PEM, when not in the system's store")
    verify_tls = models.BooleanField(default=True)
    login_mode = models.CharField(max_length=20, choices=LoginMode.choices, default=LoginMode.USER)
    admin_user = models.CharField(max_length=255, blank=True)
    admin_password = SecretField(blank=True, default="")
    master_separator = models.CharField(max_length=4, default="*")
    checked_at = models.DateTimeField(null=True, blank=True)
    check_ok = models.BooleanField(null=True)
    check_message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["migration", "role"], name="one_server_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.host}:{self.port}"


class DirectoryServer(models.Model):
    """The Active Directory that accounts, groups and addresses are read from."""

    migration = models.OneToOneField(Migration, on_delete=models.CASCADE, related_name="directory")
    url = models.CharField(max_length=255, help_text="ldaps://host:636 or ldap://host:389")
    starttls = models.BooleanField(default=False)
    bind_user = models.CharField(max_length=255)
    bind_password = SecretField(blank=True, default="")
    base_dn = models.CharField(max_length=500)
    search_filter = models.CharField(max_length=1000, blank=True)
    ca_certificate = models.TextField(blank=True)
    verify_tls = models.BooleanField(default=True)
    tls_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="The name on the server's certificate, when the address above is another one "
        "(an IP address, an alias)",
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_ok = models.BooleanField(null=True)
    check_message = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.url

    @property
    def is_plain(self) -> bool:
        """Unencrypted: the bind password crosses the network readable."""
        return self.url.startswith("ldap://") and not self.starttls


class AuditEntry(models.Model):
    """One thing somebody did, kept for the admins to read back."""

    migration = models.ForeignKey(
        Migration, null=True, blank=True, on_delete=models.CASCADE, related_name="audit"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, help_text="who, also for sign-off links")
    action = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True, help_text="the mailbox user concerned")
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.action}"


class LoginFailure(models.Model):
    """A failed login, counted per account and per address to throttle guessing."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at}"


# --- the directory: who moves, their groups and addresses (issue 4) ---------------------------


class DirectoryGroup(models.Model):
    """A group read from Active Directory; `members` (on MailboxUser) include nested groups."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="directory_groups"
    )
    guid = models.CharField(max_length=36, help_text="objectGUID, the stable identity")
    dn = models.TextField(blank=True)
    name = models.CharField(max_length=256)
    mail = models.CharField(max_length=320, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    x500 = models.JSONField(default=list, blank=True)
    subgroups = models.JSONField(default=list, blank=True, help_text="groups directly inside")
    in_directory = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "guid"], name="one_group_per_guid")
        ]

    def __str__(self) -> str:
        return self.name


class MailboxUser(models.Model):
    """A person whose mailbox moves: read from the directory, then selected and edited by the
    admin. A re-import (matched by objectGUID) never overwrites a field in `edited_fields`."""

    class TargetState(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        PRESENT = "present", _("Present")
        MISSING = "missing", _("Missing")

    # Fields the admin may change; what the directory said for them is in `directory_values`.
    EDITABLE = (
        "display_name", "primary_address", "aliases", "source_login", "target_login", "language"
    )

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="mailbox_users"
    )
    guid = models.CharField(max_length=36, help_text="objectGUID, the stable identity")
    dn = models.TextField(blank=True)
    sam = models.CharField("account name", max_length=256)
    upn = models.CharField("user principal name", max_length=1024, blank=True)
    display_name = models.CharField(max_length=256, blank=True)
    given_name = models.CharField(max_length=256, blank=True)
    surname = models.CharField(max_length=256, blank=True)
    primary_address = models.CharField(max_length=320, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    x500 = models.JSONField(
        default=list, blank=True, help_text="legacyExchangeDN and the X500 proxy addresses"
    )
    disabled = models.BooleanField(default=False)
    selected = models.BooleanField(default=True, help_text="moves to the Intra2net server")
    in_directory = models.BooleanField(default=True, help_text="false once a re-import misses it")
    groups = models.ManyToManyField(DirectoryGroup, related_name="members", blank=True)
    password = SecretField(blank=True, default="", help_text="from the admin's CSV upload")
    password_set_at = models.DateTimeField(null=True, blank=True)
    source_login = models.CharField("login on Exchange", max_length=1024, blank=True)
    target_login = models.CharField("login on the Intra2net server", max_length=256, blank=True)
    target_state = models.CharField(
        max_length=10, choices=TargetState.choices, default=TargetState.UNKNOWN
    )
    target_checked_at = models.DateTimeField(null=True, blank=True)
    target_message = models.CharField(max_length=500, blank=True)
    edited_fields = models.JSONField(default=list, blank=True)
    directory_values = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    wave = models.ForeignKey(
        "Wave", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    language = models.CharField(
        _("language of the sign-off link"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("from the directory's preferredLanguage; empty: the organisation's default"),
    )

    class Meta:
        ordering = ["sam"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "guid"], name="one_user_per_guid")
        ]
        indexes = [models.Index(fields=["migration", "selected"])]

    def __str__(self) -> str:
        return self.sam

    def directory_value(self, field: str):
        return self.directory_values.get(field)


class DirectoryContact(models.Model):
    """A mail-enabled contact: an external address the organisation's address book holds."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="directory_contacts"
    )
    guid = models.CharField(max_length=36)
    dn = models.TextField(blank=True)
    name = models.CharField(max_length=256)
    mail = models.CharField(max_length=320)
    x500 = models.JSONField(default=list, blank=True)
    in_directory = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "guid"], name="one_contact_per_guid")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.mail}>"


class LeftOutEntry(models.Model):
    """A directory entry the last import left out (a system account, a built-in group)."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="left_out_entries"
    )
    kind = models.CharField(max_length=10)
    name = models.CharField(max_length=256)
    reason = models.CharField(max_length=200)
    dn = models.TextField(blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


class DirectoryImport(models.Model):
    """One run of the directory import, polled by the wizard until it is done or failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="directory_imports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, blank=True)
    entries_read = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# --- the wizard's steps, confirmations, checks and checklists (issue 5) -----------------------


class StepState(models.Model):
    """Where one wizard step (wizard/steps.py) of a migration stands, and who moved it last."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="step_states")
    key = models.CharField(max_length=30)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["migration", "key"], name="one_state_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.status}"


class Confirmation(models.Model):
    """Something the admin confirmed by hand: reception off, backup copied, Exchange off."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="confirmations"
    )
    key = models.CharField(max_length=30)
    confirmed_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["migration", "key"], name="one_confirmation_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} by {self.confirmed_by}"


class Job(models.Model):
    """A check the wizard runs in the background (preflight, IMAP logins and sizes, mail flow),
    polled by its page until it is done."""

    class Kind(models.TextChoices):
        PREFLIGHT = "preflight", _("Preflight checks")
        MAILBOX_CHECK = "mailbox_check", _("IMAP logins, mailbox sizes and quotas")
        MAIL_FLOW = "mail_flow", _("Mail flow")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=255)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    checks = models.JSONField(default=list, blank=True, help_text="[{name, status, sentence}]")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class MailboxCopy(models.Model):
    """One user's mailbox on its way: the copy's state, its counters and the IMAP check of
    step 7. Workers update counters with filter().update() so they never overwrite a state an
    admin set meanwhile."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        QUEUED = "queued", _("Queued")
        COPYING = "copying", _("Copying")
        VERIFYING = "verifying", _("Verifying")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        PAUSED = "paused", _("Paused")

    class Phase(models.TextChoices):
        """Where the user stands in a migration during operation (wizard/phases.py); their
        copy's state says whether it failed or is paused on the way."""

        PLANNED = "planned", _("Planned")
        PRESTAGING = "prestaging", _("Pre-staging")
        IN_SYNC = "in_sync", _("In sync")
        CUTTING_OVER = "cutting_over", _("Cutting over")
        CHECKLIST = "checklist", _("Checklist")
        DONE = "done", _("Done")

    mailbox_user = models.OneToOneField(
        MailboxUser, on_delete=models.CASCADE, related_name="copy"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.PLANNED)
    last_delta_at = models.DateTimeField(
        null=True, blank=True, help_text="when the last pre-stage or delta copy finished"
    )
    remove_deleted = models.BooleanField(
        default=False,
        help_text="the next run removes from the target what the user deleted on Exchange",
    )
    run_kind = models.CharField(
        max_length=10, default="full", help_text="CopyRun.Kind of the next run"
    )
    current_folder = models.CharField(max_length=500, blank=True)
    folders_total = models.PositiveIntegerField(default=0)
    folders_done = models.PositiveIntegerField(default=0)
    messages_total = models.PositiveIntegerField(default=0)
    messages_done = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    verified = models.BooleanField(null=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Step 7: can the copy log in, how big is the mailbox, will it fit?
    source_ok = models.BooleanField(null=True)
    source_message = models.CharField(max_length=500, blank=True)
    source_messages = models.PositiveIntegerField(null=True, blank=True)
    source_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    target_quota_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    target_used_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state"]), models.Index(fields=["phase"])]

    def __str__(self) -> str:
        return f"{self.mailbox_user}: {self.state}"

    @property
    def fits(self) -> bool | None:
        if self.source_bytes is None or self.target_quota_bytes is None:
            return None
        return self.source_bytes + (self.target_used_bytes or 0) <= self.target_quota_bytes


class CopyRun(models.Model):
    """One pass of the copy engine over a mailbox, for the user's timeline."""

    class Kind(models.TextChoices):
        FULL = "full", _("Copy")
        PRESTAGE = "prestage", _("Pre-stage")
        DELTA = "delta", _("Delta")
        FINAL = "final", _("Final delta")
        TRIAL = "trial", _("Trial copy")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        INCOMPLETE = "incomplete", _("Done with problems")
        FAILED = "failed", _("Failed")
        STOPPED = "stopped", _("Stopped")

    mailbox_user = models.ForeignKey(
        MailboxUser, on_delete=models.CASCADE, related_name="copy_runs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FULL)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    messages_copied = models.PositiveIntegerField(default=0)
    bytes_copied = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.mailbox_user}: {self.outcome}"


class FolderResult(models.Model):
    """The latest result for one folder of a mailbox, with the reason for each skip or failure."""

    mailbox_user = models.ForeignKey(
        MailboxUser, on_delete=models.CASCADE, related_name="folder_results"
    )
    source_name = models.CharField(max_length=1000)
    target_name = models.CharField(max_length=1000, blank=True)
    left_out = models.CharField(
        max_length=300, blank=True, help_text="why the folder is not copied"
    )
    source_messages = models.PositiveIntegerField(default=0)
    copied = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    verified = models.BooleanField(null=True)
    moved = models.PositiveIntegerField(
        default=0, help_text="moved here on the target, as the user had moved them on Exchange"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.source_name


class ChecklistTick(models.Model):
    """One ticked item of a user's Outlook checklist (steps 9 to 15), by whom and how."""

    mailbox_user = models.ForeignKey(
        MailboxUser, on_delete=models.CASCADE, related_name="checklist_ticks"
    )
    key = models.CharField(max_length=30)
    ticked_at = models.DateTimeField(auto_now_add=True)
    ticked_by = models.CharField(max_length=255)
    by_link = models.BooleanField(default=False, help_text="ticked by the user's own sign-off link")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox_user", "key"], name="one_tick_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_user}: {self.key}"


# --- the dashboard (issue 6) ------------------------------------------------------------------


class ThroughputSample(models.Model):
    """The copy's totals of one migration at one moment, taken once a minute while copies run:
    the dashboard's throughput chart is the difference between two samples."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="throughput_samples"
    )
    at = models.DateTimeField(default=timezone.now)
    # Bytes only: a run's message counter includes messages found already on the target.
    bytes_copied = models.PositiveBigIntegerField(help_text="since the copy began")
    copying = models.PositiveIntegerField(help_text="mailboxes being copied at that moment")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["migration", "at"])]

    def __str__(self) -> str:
        return f"{self.migration_id} at {self.at:%Y-%m-%d %H:%M}"


# --- shared folders and mail fetching accounts (issue 8) --------------------------------------


class SharedFolderSetup(models.Model):
    """Step 17 of one migration: how its public folders move (copied over IMAP out of
    Exchange's public namespace, or by hand through Outlook), where they go on the Intra2net
    server, and the state of their copy. Workers update it with filter().update()."""

    class Method(models.TextChoices):
        UNKNOWN = "unknown", _("Not looked for yet")
        IMAP = "imap", _("Copied over IMAP from Exchange's public namespace")
        OUTLOOK = "outlook", _("Moved through Outlook, folder by folder")

    class State(models.TextChoices):
        IDLE = "idle", _("Idle")
        LISTING = "listing", _("Looking for public folders")
        QUEUED = "queued", _("Queued")
        COPYING = "copying", _("Copying")
        GRANTING = "granting", _("Setting the rights")
        DONE = "done", _("Done")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        FAILED = "failed", _("Failed")

    migration = models.OneToOneField(
        Migration, on_delete=models.CASCADE, related_name="shared_folder_setup"
    )
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.UNKNOWN)
    target_prefix = models.CharField(
        "prefix on the Intra2net server",
        max_length=500,
        blank=True,
        help_text="Put in front of each folder's name, in the server's own notation "
        "(e.g. “INBOX.Public Folders.”); empty until the servers were looked at.",
    )
    acl_identifier = models.CharField(
        "a group in an ACL",
        max_length=100,
        default="group:{group}",
        help_text="How the Intra2net server's IMAP names a group: {group} is the group's name "
        "(Cyrus: group:{group}, Dovecot: ${group}).",
    )
    # What the last look at both servers found.
    source_namespaces = models.JSONField(default=list, blank=True)
    source_separator = models.CharField(max_length=4, blank=True)
    target_separator = models.CharField(max_length=4, blank=True)
    target_acl = models.BooleanField(null=True, help_text="the target has the ACL extension")
    listed_at = models.DateTimeField(null=True, blank=True)
    # The copy, and the rights set after it.
    state = models.CharField(max_length=20, choices=State.choices, default=State.IDLE)
    message = models.CharField(max_length=500, blank=True, help_text="the last outcome")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    current_folder = models.CharField(max_length=1000, blank=True)
    folders_total = models.PositiveIntegerField(default=0)
    folders_done = models.PositiveIntegerField(default=0)
    messages_total = models.PositiveIntegerField(default=0)
    messages_done = models.PositiveIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    verified = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"shared folders of {self.migration}: {self.method}"

    @property
    def busy(self) -> bool:
        return self.state in (
            self.State.LISTING, self.State.QUEUED, self.State.COPYING, self.State.GRANTING
        )


class SharedFolder(models.Model):
    """A public folder: found in Exchange's public namespace (copied over IMAP once chosen),
    or entered by the admin (moved through Outlook by somebody, then signed off)."""

    class Kind(models.TextChoices):
        IMAP = "imap", _("Found over IMAP")
        OUTLOOK = "outlook", _("Moved through Outlook")

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="shared_folders"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=1000, help_text="as Exchange's IMAP shows it, or as entered")
    namespace = models.CharField(max_length=500, blank=True)
    selectable = models.BooleanField(default=True)
    found = models.BooleanField(default=True, help_text="false once a new look misses it")
    messages = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(null=True, blank=True)
    chosen = models.BooleanField(default=False)
    target_name = models.CharField(max_length=1000, blank=True)
    # The copy's result for this folder.
    copied = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(null=True)
    result = models.CharField(max_length=500, blank=True)
    # Moved through Outlook.
    mover = models.CharField("moved by", max_length=255, blank=True)
    note = models.CharField(max_length=500, blank=True)
    signed_off_by = models.CharField(max_length=255, blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "name"], name="one_shared_folder_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class SharedFolderGrant(models.Model):
    """A group's rights on a shared folder: set through the IMAP ACL extension, or listed for
    the admin to set by hand (migrator.shared_folders names the letters of each level)."""

    class Rights(models.TextChoices):
        READ = "read", _("read (lrs)")
        FLAGS = "flags", _("read and change flags (lrsw)")
        WRITE = "write", _("read, write and delete (lrswite)")
        ADMIN = "admin", _("everything, with subfolders and rights (lrswipkxtea)")

    folder = models.ForeignKey(SharedFolder, on_delete=models.CASCADE, related_name="grants")
    group = models.ForeignKey(
        DirectoryGroup, on_delete=models.CASCADE, related_name="shared_folder_grants"
    )
    rights = models.CharField(max_length=10, choices=Rights.choices, default=Rights.READ)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_ok = models.BooleanField(null=True)
    applied_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["folder__name", "group__name"]
        constraints = [
            models.UniqueConstraint(fields=["folder", "group"], name="one_grant_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.group} on {self.folder}: {self.rights}"


class FetchAccount(models.Model):
    """A mailbox at a provider that the Intra2net server fetches by POP3 or IMAP and delivers
    to one of its users (the manual's "list of all logins and passwords for email
    retrieval"), with the result of the last test login."""

    class Protocol(models.TextChoices):
        POP3 = "pop3", "POP3"
        IMAP = "imap", _("IMAP")

    class Tls(models.TextChoices):
        TLS = "tls", _("TLS from the start (POP3S, IMAPS)")
        STARTTLS = "starttls", _("STARTTLS")
        PLAIN = "plain", _("Plain (unencrypted)")

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="fetch_accounts"
    )
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.POP3)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    tls = models.CharField("TLS", max_length=10, choices=Tls.choices, default=Tls.TLS)
    verify_tls = models.BooleanField("verify the server's certificate", default=True)
    login = models.CharField(max_length=320)
    password = SecretField(blank=True, default="")
    target_user = models.CharField(
        "Intra2net user", max_length=256, help_text="who gets the fetched mail"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_ok = models.BooleanField(null=True)
    check_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["host", "login", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "protocol", "host", "port", "login"],
                name="one_fetch_account_per_login",
            )
        ]

    def __str__(self) -> str:
        return f"{self.login} ({self.protocol}, {self.host}:{self.port})"  # no words: any language


# --- migration during operation: waves and each user's cutover (issue 7) ----------------------


class Wave(models.Model):
    """A group of users who move together, on a planned date, while the others keep working
    on Exchange."""

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(max_length=100)
    planned_for = models.DateField("planned date", null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "name"], name="one_wave_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class CutoverTick(models.Model):
    """One done item of a user's cutover (wizard/steps.py CUTOVER): confirmed by an admin, or
    recorded by the copy worker for the copies; by whom and when."""

    mailbox_user = models.ForeignKey(
        MailboxUser, on_delete=models.CASCADE, related_name="cutover_ticks"
    )
    key = models.CharField(max_length=30)
    ticked_at = models.DateTimeField(auto_now_add=True)
    ticked_by = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox_user", "key"], name="one_cutover_tick_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_user}: {self.key}"


# --- the accounts' own choices (issue 10) -----------------------------------------------------


class AccountPreferences(models.Model):
    """What an account of the wizard chose for itself: the language of its pages and of the
    e-mail it gets ("" follows the browser, and DEFAULT_LANGUAGE for e-mail)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.language or 'browser'}"
