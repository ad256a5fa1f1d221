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

    def __str__(self) -> str:
        return self.url


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
