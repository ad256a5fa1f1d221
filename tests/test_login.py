"""Logging in, with failed logins throttled per account and per address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_admin_logs_in_with_the_right_password(client, admin_user):
    response = log_in(client, "alice-admin", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("start")).status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, admin_user):
    response = log_in(client, "alice-admin", "wrong")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_an_account_is_locked_after_repeated_failures_even_for_the_right_password(
    client, admin_user, settings
):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        log_in(client, "alice-admin", "guess")
    response = log_in(client, "alice-admin", PASSWORD, address="198.51.100.7")
    assert response.status_code == 200
    assert b"Too many failed logins for this account" in response.content


def test_an_address_is_locked_after_failures_across_accounts(client, admin_user, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for name in ("a", "b", "c"):
        log_in(client, name, "guess", address="203.0.113.5")
    response = log_in(client, "alice-admin", PASSWORD, address="203.0.113.5")
    assert b"Too many failed logins from your address" in response.content
    assert log_in(Client(), "alice-admin", PASSWORD, address="203.0.113.6").status_code == 302


def test_a_successful_login_clears_the_account_failures(client, admin_user, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        log_in(client, "alice-admin", "guess")
    assert log_in(client, "alice-admin", PASSWORD).status_code == 302
    client.logout()
    log_in(client, "alice-admin", "guess")
    assert log_in(client, "alice-admin", PASSWORD).status_code == 302
