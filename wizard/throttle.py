"""Throttling of failed logins, per account and per address, counted in the database so that
every web process sees the same numbers."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from wizard.models import LoginFailure


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def login_refused_reason(username: str, address: str | None) -> str | None:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since)
    minutes = settings.LOGIN_FAILURE_WINDOW // 60
    if recent.filter(username__iexact=username).count() >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        return ngettext(
            "Too many failed logins for this account. Try again in %(minutes)d minute.",
            "Too many failed logins for this account. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if address and recent.filter(address=address).count() >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return ngettext(
            "Too many failed logins from your address. Try again in %(minutes)d minute.",
            "Too many failed logins from your address. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return None


def record_login_failure(username: str, address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], address=address)


def forget_login_failures(username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()
