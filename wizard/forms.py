"""Forms of the wizard."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import validate_email
from django.db import models

from migrator.accounts_csv import PasswordFile, read_password_csv
from migrator.directory import normalise_filter
from migrator.directory_session import is_valid_dn, parse_ldap_url
from migrator.errors import MigratorError
from wizard import throttle
from wizard.models import MailboxUser, Migration


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
        widgets = {"mode": forms.RadioSelect}


# --- the directory (issue 4) ------------------------------------------------------------------


class DirectoryConnectionForm(forms.Form):
    """Where Active Directory is and how to bind; the password may stay empty to keep the
    stored one."""

    class Security(models.TextChoices):
        LDAPS = "ldaps", "LDAPS (TLS from the start, usually port 636)"
        STARTTLS = "starttls", "StartTLS (ldap://, usually port 389)"
        PLAIN = "plain", "Plain LDAP — unencrypted: the password crosses the network readable"

    url = forms.CharField(label="Server address", max_length=255,
                          help_text="ldaps://dc1.corp.example:636 or ldap://dc1.corp.example:389")
    security = forms.ChoiceField(choices=Security.choices, initial=Security.LDAPS,
                                 widget=forms.RadioSelect)
    tls_name = forms.CharField(
        label="Name on the certificate", max_length=255, required=False,
        help_text="Only when the address above is not the name the certificate was issued for "
        "(for instance an IP address).",
    )
    verify_tls = forms.BooleanField(label="Verify the server's certificate", required=False,
                                    initial=True)
    ca_certificate = forms.CharField(
        label="CA certificate (PEM)", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="When the certificate is signed by your own CA.",
    )
    bind_user = forms.CharField(
        label="Bind as", max_length=255,
        help_text="admin@corp.example (UPN), CORP\\admin, or a DN. Read rights are enough.",
    )
    bind_password = forms.CharField(label="Password", required=False,
                                    widget=forms.PasswordInput(render_value=False))
    base_dn = forms.CharField(label="Base DN", max_length=500,
                              help_text="For instance DC=corp,DC=example")
    search_filter = forms.CharField(
        label="LDAP filter for users", max_length=1000, required=False,
        help_text="Optional, e.g. (memberOf=CN=Migrate,OU=Groups,DC=corp,DC=example)",
    )

    def __init__(self, *args, has_password: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_password = has_password
        if has_password:
            self.fields["bind_password"].help_text = "Leave empty to keep the stored password."

    @classmethod
    def initial_for(cls, server) -> dict:
        if server is None:
            return {}
        if server.url.startswith("ldaps://"):
            security = cls.Security.LDAPS
        else:
            security = cls.Security.STARTTLS if server.starttls else cls.Security.PLAIN
        return {
            "url": server.url, "security": security, "tls_name": server.tls_name,
            "verify_tls": server.verify_tls, "ca_certificate": server.ca_certificate,
            "bind_user": server.bind_user, "base_dn": server.base_dn,
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
            raise forms.ValidationError("Give a host name such as dc1.corp.example.")
        return name

    def clean_ca_certificate(self) -> str:
        pem = self.cleaned_data["ca_certificate"].strip()
        if pem and "-----BEGIN CERTIFICATE-----" not in pem:
            raise forms.ValidationError(
                "Paste the certificate in PEM form (-----BEGIN CERTIFICATE-----)."
            )
        return pem

    def clean_bind_user(self) -> str:
        user = self.cleaned_data["bind_user"].strip()
        if "\\" in user:
            domain, _, name = user.partition("\\")
            if not domain or not name or "\\" in name:
                raise forms.ValidationError("Write a down-level name as DOMAIN\\user.")
        elif "=" in user and not is_valid_dn(user):
            raise forms.ValidationError("This is not a valid DN.")
        return user

    def clean_bind_password(self) -> str:
        password = self.cleaned_data["bind_password"]
        if not password and not self.has_password:
            raise forms.ValidationError("This field is required.")
        return password

    def clean_base_dn(self) -> str:
        base_dn = self.cleaned_data["base_dn"].strip()
        if not is_valid_dn(base_dn):
            raise forms.ValidationError("This is not a valid DN (for instance DC=corp,DC=example).")
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
                self.add_error("url", "LDAPS needs an ldaps:// address.")
            if security != self.Security.LDAPS and url.lower().startswith("ldaps://"):
                self.add_error("url", "StartTLS and plain LDAP need an ldap:// address.")
        return cleaned

    def server_values(self) -> dict:
        """The cleaned data as DirectoryServer's fields."""
        data = self.cleaned_data
        return {
            "url": data["url"], "starttls": data["security"] == self.Security.STARTTLS,
            "tls_name": data["tls_name"], "verify_tls": data["verify_tls"],
            "ca_certificate": data["ca_certificate"], "bind_user": data["bind_user"],
            "bind_password": data["bind_password"], "base_dn": data["base_dn"],
            "search_filter": data["search_filter"],
        }


class MailboxUserForm(forms.Form):
    """The admin's corrections to one user; a re-import keeps them."""

    selected = forms.BooleanField(label="Moves to the Intra2net server", required=False)
    display_name = forms.CharField(max_length=256, required=False)
    primary_address = forms.EmailField(max_length=320, required=False)
    aliases = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="One address per line.")
    source_login = forms.CharField(label="Login on Exchange", max_length=1024)
    target_login = forms.CharField(label="Login on the Intra2net server", max_length=256)

    def __init__(self, *args, user, **kwargs) -> None:
        kwargs.setdefault("initial", {
            "selected": user.selected, "display_name": user.display_name,
            "primary_address": user.primary_address, "aliases": "\n".join(user.aliases),
            "source_login": user.source_login, "target_login": user.target_login,
        })
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_aliases(self) -> list[str]:
        aliases: list[str] = []
        for line in self.cleaned_data["aliases"].replace(",", "\n").splitlines():
            address = line.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{address}” is not an e-mail address.") from None
            if address.lower() not in (a.lower() for a in aliases):
                aliases.append(address)
        return aliases

    def clean_source_login(self) -> str:
        return self.cleaned_data["source_login"].strip()

    def clean_target_login(self) -> str:
        login = self.cleaned_data["target_login"].strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]*", login):
            raise forms.ValidationError(
                "Use letters, digits and . _ - @ only, starting with a letter or digit."
            )
        taken = MailboxUser.objects.filter(
            migration_id=self.user.migration_id, target_login__iexact=login
        ).exclude(pk=self.user.pk)
        if taken.exists():
            raise forms.ValidationError(f"{taken.first().sam} has this login already.")
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
    selected = forms.TypedChoiceField(choices=[("1", "select"), ("0", "deselect")],
                                      coerce=lambda value: value == "1")

    def __init__(self, *args, migration, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = MailboxUser.objects.filter(migration=migration)


class PasswordUploadForm(forms.Form):
    """A CSV of username,password; bad rows are named, and nothing is stored from a file with
    bad rows unless `accept_good_rows` is ticked."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(label="CSV file",
                           help_text="username,password per line (“,” or “;”), UTF-8.")
    accept_good_rows = forms.BooleanField(
        label="If some rows are bad, store the good ones anyway", required=False
    )

    def __init__(self, *args, known: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = known
        self.parsed: PasswordFile | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; is it the right one?")
        try:
            self.parsed = read_password_csv(upload.read(), self.known)
        except MigratorError as e:
            raise forms.ValidationError(sentence(e)) from None
        return upload


def sentence(error: Exception) -> str:
    """An engine message ("the file is empty") as a form error ("The file is empty.")."""
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
