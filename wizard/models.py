"""The wizard's state: migrations, their server connections, the audit log and login throttling."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wizard.crypto import SecretField


class Migration(models.Model):
    """One migration project from an Exchange organisation to an Intra2net server."""

    class Mode(models.TextChoices):
        OFFLINE = "offline", "Offline (everything frozen, all users at once)"
        DURING_OPERATION = "during_operation", "During operation (users move in waves)"

    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.OFFLINE)
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
        SOURCE = "source", "Exchange"
        TARGET = "target", "Intra2net server"

    class Security(models.TextChoices):
        IMAPS = "imaps", "IMAPS (implicit TLS)"
        STARTTLS = "starttls", "STARTTLS"
        PLAIN = "plain", "Plain (no encryption)"

    class LoginMode(models.TextChoices):
        USER = "user", "Each user with their own password"
        ADMIN_PLAIN = "admin_plain", "Administrator acting for the user (SASL PLAIN)"
        ADMIN_MASTER = "admin_master", "Administrator acting for the user (master user login)"

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
        UNKNOWN = "unknown", "Unknown"
        PRESENT = "present", "Present"
        MISSING = "missing", "Missing"

    # Fields the admin may change; what the directory said for them is in `directory_values`.
    EDITABLE = ("display_name", "primary_address", "aliases", "source_login", "target_login")

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
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

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
