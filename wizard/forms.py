"""Forms of the wizard."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from wizard import throttle
from wizard.models import Migration


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
