"""Logging in and out, with failed logins throttled; the language an account or a visitor
chooses in the page's header."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from wizard import languages
from wizard.forms import ThrottledLoginForm

login = auth_views.LoginView.as_view(
    form_class=ThrottledLoginForm, redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()
LANGUAGE_COOKIE_SECONDS = 365 * 86400


@require_POST
def language(request):
    """An account's choice is stored with it; anybody's (the login page's too) goes into the
    language cookie, so that the login page speaks it after logging out. "" follows the
    browser again."""
    chosen = request.POST.get("language", "")
    if chosen not in dict(settings.LANGUAGES):
        chosen = ""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = redirect(back)
    if request.user.is_authenticated:
        languages.set_account_language(request, chosen)
    if chosen:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
