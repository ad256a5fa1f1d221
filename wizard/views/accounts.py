"""Logging in and out, with failed logins throttled."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from wizard.forms import ThrottledLoginForm

login = auth_views.LoginView.as_view(
    form_class=ThrottledLoginForm, redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()
