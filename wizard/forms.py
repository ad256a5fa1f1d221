"""Forms of the wizard."""

from __future__ import annotations

import csv
import io
import re

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from migrator.accounts_csv import PasswordFile, read_password_csv
from migrator.directory import normalise_filter
from migrator.directory_session import is_valid_dn, parse_ldap_url
from migrator.errors import MigratorError
from migrator.fetching import DEFAULT_PORTS as FETCH_PORTS
from migrator.fetching import FetchAccount as EngineFetchAccount
from migrator.fetching import FetchAccountFile, read_fetch_accounts_csv
from migrator.fetching import Protocol as FetchProtocol
from migrator.fetching import TlsMode as FetchTls
from migrator.wave_csv import WaveFile, read_wave_csv
from wizard import throttle
from wizard.models import (
    DirectoryGroup,
    FetchAccount,
    ImapServer,
    MailboxUser,
    Migration,
    SharedFolderGrant,
    StepState,
)
from wizard.recorded import recorded


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing to even try once an account or address failed too often."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        reason = throttle.login_refused_reason(username, address)
        if reason:
            raise forms.ValidationError(reason, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_login_failure(username, address)
            raise
        throttle.forget_login_failures(username)
        return cleaned


class MigrationForm(forms.ModelForm):
    class Meta:
        model = Migration
        fields = ["name", "mode"]
        labels = {"name": _("Name"), "mode": _("Mode")}
        widgets = {"mode": forms.RadioSelect}


# --- the directory (issue 4) ------------------------------------------------------------------


class DirectoryConnectionForm(forms.Form):
    """Where Active Directory is and how to bind; the password may stay empty to keep the
    stored one."""

    class Security(models.TextChoices):
        LDAPS = "ldaps", _("LDAPS (TLS from the start, usually port 636)")
        STARTTLS = "starttls", _("StartTLS (ldap://, usually port 389)")
        PLAIN = "plain", _("Plain LDAP — unencrypted: the password crosses the network readable")

    url = forms.CharField(
        label=_("Server address"),
        max_length=255,
        help_text=_("ldaps://dc1.corp.example:636 or ldap://dc1.corp.example:389"),
    )
    security = forms.ChoiceField(
        label=_("Security"),
        choices=Security.choices,
        initial=Security.LDAPS,
        widget=forms.RadioSelect,
    )
    tls_name = forms.CharField(
        label=_("Name on the certificate"),
        max_length=255,
        required=False,
        help_text=_(
            "Only when the address above is not the name the certificate was issued for "
            "(for instance an IP address)."
        ),
    )
    verify_tls = forms.BooleanField(
        label=_("Verify the server's certificate"), required=False, initial=True
    )
    ca_certificate = forms.CharField(
        label=_("CA certificate (PEM)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When the certificate is signed by your own CA."),
    )
    bind_user = forms.CharField(
        label=_("Bind as"),
        max_length=255,
        help_text=_("admin@corp.example (UPN), CORP\\admin, or a DN. Read rights are enough."),
    )
    bind_password = forms.CharField(
        label=_("Password"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    base_dn = forms.CharField(
        label=_("Base DN"), max_length=500, help_text=_("For instance DC=corp,DC=example")
    )
    search_filter = forms.CharField(
        label=_("LDAP filter for users"),
        max_length=1000,
        required=False,
        help_text=_("Optional, e.g. (memberOf=CN=Migrate,OU=Groups,DC=corp,DC=example)"),
    )

    def __init__(self, *args, has_password: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_password = has_password
        if has_password:
            self.fields["bind_password"].help_text = _("Leave empty to keep the stored password.")

    @classmethod
    def initial_for(cls, server) -> dict:
        if server is None:
            return {}
        if server.url.startswith("ldaps://"):
            security = cls.Security.LDAPS
        else:
            security = cls.Security.STARTTLS if server.starttls else cls.Security.PLAIN
        return {
            "url": server.url,
            "security": security,
            "tls_name": server.tls_name,
            "verify_tls": server.verify_tls,
            "ca_certificate": server.ca_certificate,
            "bind_user": server.bind_user,
            "base_dn": server.base_dn,
            "search_filter": server.search_filter,
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            parse_ldap_url(url, plain=url.lower().startswith("ldap://"))
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None
        return url

    def clean_tls_name(self) -> str:
        name = self.cleaned_data["tls_name"].strip()
        if name and not re.fullmatch(r"[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?", name):
            raise forms.ValidationError(_("Give a host name such as dc1.corp.example."))
        return name

    def clean_ca_certificate(self) -> str:
        pem = self.cleaned_data["ca_certificate"].strip()
        if pem and "-----BEGIN CERTIFICATE-----" not in pem:
            raise forms.ValidationError(
                _("Paste the certificate in PEM form (-----BEGIN CERTIFICATE-----).")
            )
        return pem

    def clean_bind_user(self) -> str:
        user = self.cleaned_data["bind_user"].strip()
        if "\\" in user:
            domain, _slash, name = user.partition("\\")
            if not domain or not name or "\\" in name:
                raise forms.ValidationError(_("Write a down-level name as DOMAIN\\user."))
        elif "=" in user and not is_valid_dn(user):
            raise forms.ValidationError(_("This is not a valid DN."))
        return user

    def clean_bind_password(self) -> str:
        password = self.cleaned_data["bind_password"]
        if not password and not self.has_password:
            raise forms.ValidationError(_("This field is required."))
        return password

    def clean_base_dn(self) -> str:
        base_dn = self.cleaned_data["base_dn"].strip()
        if not is_valid_dn(base_dn):
            raise forms.ValidationError(
                _("This is not a valid DN (for instance DC=corp,DC=example).")
            )
        return base_dn

    def clean_search_filter(self) -> str:
        try:
            return normalise_filter(self.cleaned_data["search_filter"])
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None

    def clean(self):
        cleaned = super().clean()
        url, security = cleaned.get("url", ""), cleaned.get("security")
        if url and security:
            if security == self.Security.LDAPS and not url.lower().startswith("ldaps://"):
                self.add_error("url", _("LDAPS needs an ldaps:// address."))
            if security != self.Security.LDAPS and url.lower().startswith("ldaps://"):
                self.add_error("url", _("StartTLS and plain LDAP need an ldap:// address."))
        return cleaned

    def server_values(self) -> dict:
        """The cleaned data as DirectoryServer's fields."""
        data = self.cleaned_data
        return {
            "url": data["url"],
            "starttls": data["security"] == self.Security.STARTTLS,
            "tls_name": data["tls_name"],
            "verify_tls": data["verify_tls"],
            "ca_certificate": data["ca_certificate"],
            "bind_user": data["bind_user"],
            "bind_password": data["bind_password"],
            "base_dn": data["base_dn"],
            "search_filter": data["search_filter"],
        }


class MailboxUserForm(forms.Form):
    """The admin's corrections to one user; a re-import keeps them."""

    selected = forms.BooleanField(label=_("Moves to the Intra2net server"), required=False)
    display_name = forms.CharField(label=_("Display name"), max_length=256, required=False)
    primary_address = forms.EmailField(label=_("Primary address"), max_length=320, required=False)
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address per line."),
    )
    source_login = forms.CharField(label=_("Login on Exchange"), max_length=1024)
    target_login = forms.CharField(label=_("Login on the Intra2net server"), max_length=256)
    language = forms.ChoiceField(
        label=_("Language of the sign-off link"),
        required=False,
        help_text=_("From the directory's preferredLanguage where it has one."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "selected": user.selected,
                "display_name": user.display_name,
                "primary_address": user.primary_address,
                "aliases": "\n".join(user.aliases),
                "source_login": user.source_login,
                "target_login": user.target_login,
                "language": user.language,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        default = get_language_info(settings.LANGUAGE_CODE)["name_translated"]
        self.fields["language"].choices = [
            ("", _("The organisation's default (%(language)s)") % {"language": default}),
            *settings.LANGUAGES,
        ]

    def clean_aliases(self) -> list[str]:
        aliases: list[str] = []
        for line in self.cleaned_data["aliases"].replace(",", "\n").splitlines():
            address = line.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(address)s” is not an e-mail address.") % {"address": address}
                ) from None
            if address.lower() not in (a.lower() for a in aliases):
                aliases.append(address)
        return aliases

    def clean_source_login(self) -> str:
        return self.cleaned_data["source_login"].strip()

    def clean_target_login(self) -> str:
        login = self.cleaned_data["target_login"].strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]*", login):
            raise forms.ValidationError(
                _("Use letters, digits and . _ - @ only, starting with a letter or digit.")
            )
        taken = MailboxUser.objects.filter(
            migration_id=self.user.migration_id, target_login__iexact=login
        ).exclude(pk=self.user.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("%(account)s has this login already.") % {"account": taken.first().sam}
            )
        return login

    def clean(self):
        cleaned = super().clean()
        primary = (cleaned.get("primary_address") or "").lower()
        if primary and "aliases" in cleaned:
            cleaned["aliases"] = [a for a in cleaned["aliases"] if a.lower() != primary]
        return cleaned


class UserSelectionForm(forms.Form):
    """Select or deselect the ticked users."""

    users = forms.ModelMultipleChoiceField(queryset=MailboxUser.objects.none())
    selected = forms.TypedChoiceField(
        choices=[("1", _("select")), ("0", _("deselect"))], coerce=lambda value: value == "1"
    )

    def __init__(self, *args, migration, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = MailboxUser.objects.filter(migration=migration)


class PasswordUploadForm(forms.Form):
    """A CSV of username,password; bad rows are named, and nothing is stored from a file with
    bad rows unless `accept_good_rows` is ticked."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"), help_text=_("username,password per line (“,” or “;”), UTF-8.")
    )
    accept_good_rows = forms.BooleanField(
        label=_("If some rows are bad, store the good ones anyway"), required=False
    )

    def __init__(self, *args, known: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = known
        self.parsed: PasswordFile | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; is it the right one?"))
        try:
            self.parsed = read_password_csv(upload.read(), self.known)
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None
        return upload


def sentence(error: Exception) -> str:
    """An engine message ("the file is empty") as a form error ("The file is empty.")."""
    text = recorded(str(error))
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


# --- the procedure's steps (issue 5) ----------------------------------------------------------


class ImapServerForm(forms.ModelForm):
    """Exchange's or the Intra2net server's IMAP side; an empty password keeps the stored one."""

    admin_password = forms.CharField(
        label=_("Administrator's password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = ImapServer
        fields = [
            "host",
            "port",
            "security",
            "verify_tls",
            "ca_certificate",
            "login_mode",
            "admin_user",
            "admin_password",
            "master_separator",
        ]
        labels = {
            "host": _("Address"),
            "port": _("Port"),
            "security": _("Security"),
            "verify_tls": _("Verify the server's certificate"),
            "ca_certificate": _("CA certificate (PEM)"),
            "login_mode": _("Login"),
            "admin_user": _("Administrator"),
            "master_separator": _("Master user separator"),
        }
        widgets = {
            "ca_certificate": forms.Textarea(attrs={"rows": 3}),
            "security": forms.RadioSelect,
            "login_mode": forms.RadioSelect,
        }
        help_texts = {
            "ca_certificate": _("PEM, when not in the system's store"),
            "admin_user": _(
                "An account with full access to every mailbox, and a mailbox of its own."
            ),
            "master_separator": _("Only for master-user logins: user*admin."),
        }

    def __init__(self, *args, role: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        self.stored_password = bool(self.instance.pk and self.instance.admin_password)
        if self.stored_password:
            self.fields["admin_password"].help_text = _("Leave empty to keep the stored password.")
        if not self.instance.pk:
            self.initial.setdefault("port", 993)

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        if not host or any(c in host for c in " /:@"):
            raise forms.ValidationError(_("Give a host name or an IP address, without a port."))
        return host

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is a number from 1 to 65535."))
        return port

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("login_mode")
        if mode and mode != ImapServer.LoginMode.USER:
            if not cleaned.get("admin_user"):
                self.add_error("admin_user", _("Name the administrator who acts for the users."))
            if not cleaned.get("admin_password") and not self.stored_password:
                self.add_error("admin_password", _("The administrator's password is needed."))
        if cleaned.get("ca_certificate") and "BEGIN CERTIFICATE" not in cleaned["ca_certificate"]:
            self.add_error(
                "ca_certificate", _("Paste the certificate in PEM form (BEGIN CERTIFICATE…).")
            )
        return cleaned

    def save(self, commit: bool = True):
        server = super().save(commit=False)
        if not self.cleaned_data.get("admin_password") and self.stored_password:
            server.admin_password = ImapServer.objects.get(pk=server.pk).admin_password
        if commit:
            server.save()
        return server


SERVER_FORM_PREFIXES = {ImapServer.Role.SOURCE: "source", ImapServer.Role.TARGET: "target"}


def server_forms(migration: Migration, data=None, role: str | None = None) -> dict:
    """One form per server; `data` fills the one for `role` (a post that did not validate)."""
    servers = {server.role: server for server in migration.imap_servers.all()}
    forms = {}
    for each, prefix in SERVER_FORM_PREFIXES.items():
        instance = servers.get(each) or ImapServer(migration=migration, role=each)
        forms[f"{prefix}_form"] = ImapServerForm(
            data if each == role else None, instance=instance, role=each, prefix=prefix
        )
    return forms


class StepStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=StepState.Status.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CopySettingsForm(forms.ModelForm):
    class Meta:
        model = Migration
        fields = ["parallel_copies", "max_message_mb"]
        labels = {
            "parallel_copies": _("Mailboxes copied at once"),
            "max_message_mb": _("Largest message copied (MB)"),
        }
        help_texts = {
            "parallel_copies": _("Exchange throttles IMAP per server."),
            "max_message_mb": _("Larger messages are skipped and reported."),
        }

    def clean_parallel_copies(self) -> int:
        value = self.cleaned_data["parallel_copies"]
        if not 1 <= value <= 32:
            raise forms.ValidationError(_("Between 1 and 32; Exchange throttles more than a few."))
        return value

    def clean_max_message_mb(self) -> int:
        value = self.cleaned_data["max_message_mb"]
        if not 1 <= value <= 2048:
            raise forms.ValidationError(_("Between 1 and 2048 MB."))
        return value


class MailFlowForm(forms.ModelForm):
    class Meta:
        model = Migration
        fields = ["mail_domain", "smtp_host", "smtp_port"]
        labels = {
            "mail_domain": _("Mail domain"),
            "smtp_host": _("Intra2net server's SMTP address"),
            "smtp_port": _("SMTP port"),
        }
        help_texts = {
            "mail_domain": _("For the MX check."),
            "smtp_host": _("Empty: the Intra2net server's IMAP address."),
        }

    def clean_mail_domain(self) -> str:
        domain = self.cleaned_data["mail_domain"].strip().lower()
        if domain and ("." not in domain or any(c in domain for c in " @/:")):
            raise forms.ValidationError(_("A domain such as example.com."))
        return domain


# --- internal addresses, shared folders and mail fetching accounts (issue 8) ------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else single(data, initial)


class AddressFilesForm(forms.Form):
    """Outlook's exports whose internal Exchange addresses are to be replaced."""

    MAX_FILES = 50
    MAX_BYTES = 20 * 1024 * 1024

    files = MultipleFileField(
        label=_("Outlook exports"),
        help_text=_("vCards (.vcf), calendars (.ics) or contact lists (.csv); several at once."),
    )
    exact_only = forms.BooleanField(
        label=_("Only exact matches (never ignore Exchange's -<hex> suffix)"), required=False
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > self.MAX_FILES:
            raise forms.ValidationError(
                _("At most %(count)d files at once.") % {"count": self.MAX_FILES}
            )
        for upload in files:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 20 MB; is it the right file?")
                    % {"name": upload.name}
                )
        return files


class SharedFolderSettingsForm(forms.Form):
    target_prefix = forms.CharField(
        label=_("Prefix on the Intra2net server"),
        max_length=500,
        required=False,
        help_text=_(
            "In front of each folder's path, in the server's notation, e.g. “INBOX.Public "
            "Folders.” (in the administrator's mailbox, shared through the rights below) or a "
            "shared namespace such as “shared.”. Empty: at the top level."
        ),
    )
    acl_identifier = forms.CharField(
        label=_("A group in an IMAP ACL"),
        max_length=100,
        help_text=_(
            "{group} is the group's name. Cyrus (the Intra2net server): group:{group}; "
            "Dovecot: ${group}."
        ),
    )

    def __init__(self, *args, separator: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.separator = separator

    def clean_target_prefix(self) -> str:
        prefix = self.cleaned_data["target_prefix"].strip()
        if prefix and self.separator and not prefix.endswith(self.separator):
            prefix += self.separator  # the folders go inside it, not beside it
        return prefix

    def clean_acl_identifier(self) -> str:
        identifier = self.cleaned_data["acl_identifier"].strip()
        if "{group}" not in identifier or any(c.isspace() for c in identifier):
            raise forms.ValidationError(_("Write it with {group} and without spaces."))
        return identifier


class SharedFolderChoiceForm(forms.Form):
    """A tick and a target name for each public folder found over IMAP."""

    def __init__(self, *args, folders, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folders = list(folders)
        for folder in self.folders:
            self.fields[f"chosen_{folder.pk}"] = forms.BooleanField(
                required=False, initial=folder.chosen
            )
            self.fields[f"target_{folder.pk}"] = forms.CharField(
                required=False, max_length=1000, initial=folder.target_name
            )

    def rows(self):
        return [(f, self[f"chosen_{f.pk}"], self[f"target_{f.pk}"]) for f in self.folders]

    def clean(self):
        cleaned = super().clean()
        targets: dict[str, str] = {}
        for folder in self.folders:
            if not cleaned.get(f"chosen_{folder.pk}"):
                continue
            target = (cleaned.get(f"target_{folder.pk}") or "").strip()
            if not target:
                self.add_error(
                    f"target_{folder.pk}", _("Name the folder on the Intra2net server.")
                )
            elif target.upper() == "INBOX":
                self.add_error(f"target_{folder.pk}", _("Not into INBOX itself."))
            elif target.lower() in targets:
                self.add_error(
                    f"target_{folder.pk}",
                    _("%(folder)s goes there already.") % {"folder": targets[target.lower()]},
                )
            targets[target.lower()] = folder.name
        return cleaned

    def choices(self) -> dict[int, str | None]:
        return {
            folder.pk: (self.cleaned_data[f"target_{folder.pk}"].strip() or None)
            if self.cleaned_data.get(f"chosen_{folder.pk}")
            else None
            for folder in self.folders
        }


class SharedFolderGrantForm(forms.Form):
    ALL = "all"

    folder = forms.ChoiceField(label=_("Folder"))
    group = forms.ModelChoiceField(queryset=None, label=_("Group"))
    rights = forms.ChoiceField(choices=SharedFolderGrant.Rights.choices, label=_("Rights"))

    def __init__(self, *args, migration, folders, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folder_rows = {str(f.pk): f for f in folders}
        self.fields["folder"].choices = [(self.ALL, _("every folder listed")), *(
            (pk, f.target_name or f.name) for pk, f in self.folder_rows.items()
        )]
        self.fields["group"].queryset = DirectoryGroup.objects.filter(
            migration=migration, in_directory=True
        )

    def chosen_folders(self) -> list:
        value = self.cleaned_data["folder"]
        return list(self.folder_rows.values()) if value == self.ALL else [self.folder_rows[value]]


class OutlookFoldersForm(forms.Form):
    """Public folders that move through Outlook: typed one a line, or a CSV file."""

    MAX_BYTES = 1024 * 1024

    folders = forms.CharField(
        label=_("Folders"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One folder a line, its path as Outlook shows it below “All Public Folders”; "
            "after a “;” who moves it (e.g. “Projekte/2024; harry”)."
        ),
    )
    file = forms.FileField(
        label=_("or a CSV file"), required=False, help_text=_("folder;who moves it (or , between)")
    )

    def clean(self):
        cleaned = super().clean()
        records = [line.split(";", 1) for line in (cleaned.get("folders") or "").splitlines()]
        upload = cleaned.get("file")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is larger than 1 MB."))
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
            first = text.split("\n", 1)[0]
            separator = ";" if first.count(";") >= first.count(",") else ","
            records += list(csv.reader(io.StringIO(text), delimiter=separator))
        entries: dict[str, str] = {}
        for record in records:
            if not record or not record[0].strip():
                continue
            name, mover = record[0].strip()[:1000], " ".join(record[1:2]).strip()[:255]
            if name.lower() in ("folder", "ordner", "name"):
                continue  # a header line
            entries.setdefault(name, mover)
        if not entries:
            raise forms.ValidationError(_("Give at least one folder."))
        cleaned["entries"] = list(entries.items())
        return cleaned


class FetchAccountForm(forms.Form):
    """One provider account, typed in."""

    protocol = forms.ChoiceField(label=_("Protocol"), choices=FetchAccount.Protocol.choices)
    host = forms.CharField(
        label=_("Server"), max_length=255, help_text=_("e.g. pop.provider.example")
    )
    port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Empty: the usual one."),
    )
    tls = forms.ChoiceField(label="TLS", choices=FetchAccount.Tls.choices)
    verify_tls = forms.BooleanField(
        label=_("Verify the server's certificate"), required=False, initial=True
    )
    login = forms.CharField(label=_("Login"), max_length=320)
    password = forms.CharField(
        label=_("Password"), max_length=1000, widget=forms.PasswordInput(render_value=False)
    )
    target_user = forms.CharField(label=_("Intra2net user"), max_length=256)

    def __init__(self, *args, known_users: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known_users = known_users

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        if "://" in host or any(c.isspace() or c in "/@" for c in host) or ":" in host:
            raise forms.ValidationError(_("The host name only, e.g. pop.provider.example."))
        return host

    def clean_target_user(self) -> str:
        user = self.cleaned_data["target_user"].strip()
        if self.known_users is not None and user.lower() not in self.known_users:
            raise forms.ValidationError(
                _("No user “%(user)s” moves to the Intra2net server.") % {"user": user}
            )
        return user

    def account(self) -> EngineFetchAccount:
        data = self.cleaned_data
        protocol, tls = FetchProtocol(data["protocol"]), FetchTls(data["tls"])
        return EngineFetchAccount(
            protocol=protocol,
            host=data["host"],
            port=data["port"] or FETCH_PORTS[(protocol, tls)],
            tls=tls,
            login=data["login"].strip(),
            password=data["password"],
            target_user=data["target_user"],
        )


class FetchAccountUploadForm(forms.Form):
    """The provider accounts as CSV (migrator.fetching's layout); with bad rows nothing is
    stored unless `accept_good_rows` is ticked."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("protocol,host,port,tls,login,password,target_user (header line optional)."),
    )
    accept_good_rows = forms.BooleanField(
        label=_("If some rows are bad, store the good ones anyway"), required=False
    )

    def __init__(self, *args, known_users: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known_users = known_users
        self.parsed: FetchAccountFile | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; is it the right one?"))
        try:
            self.parsed = read_fetch_accounts_csv(upload.read(), self.known_users)
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None
        return upload


# --- migration during operation: waves (issue 7) ----------------------------------------------


class WaveForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    planned_for = forms.DateField(
        label=_("Planned date"),
        required=False,
        # A date input takes ISO dates whatever the page's language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class WaveUploadForm(forms.Form):
    """A CSV of user,wave,date; with bad rows nothing is stored unless `accept_good_rows` is
    ticked."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "user,wave,date per line (“,” or “;”, date as 2026-05-04 or 4.5.2026, "
            "may stay empty), UTF-8, header line optional."
        ),
    )
    accept_good_rows = forms.BooleanField(
        label=_("If some rows are bad, store the good ones anyway"), required=False
    )

    def __init__(self, *args, known: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = known
        self.parsed: WaveFile | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; is it the right one?"))
        try:
            self.parsed = read_wave_csv(upload.read(), self.known)
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None
        return upload


class SyncSettingsForm(forms.ModelForm):
    class Meta:
        model = Migration
        fields = ["scheduled_deltas", "bandwidth_cap_kb"]

    def clean_bandwidth_cap_kb(self) -> int | None:
        value = self.cleaned_data["bandwidth_cap_kb"]
        if value is not None and not 16 <= value <= 10_000_000:
            raise forms.ValidationError(_("Between 16 KB/s and 10 GB/s, or empty for no cap."))
        return value
