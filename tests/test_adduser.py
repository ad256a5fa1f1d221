"""`manage.py adduser` creates admin and helpdesk accounts from the shell."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from wizard.roles import Role, role_of

pytestmark = pytest.mark.django_db


def test_it_creates_a_helpdesk_account_from_a_variable(monkeypatch):
    monkeypatch.setenv("NEW_PW", "Hf7!kq2Lzp-9")
    call_command("adduser", "hilde", "--role", "helpdesk", "--password-env", "NEW_PW")
    user = get_user_model().objects.get(username="hilde")
    assert user.check_password("Hf7!kq2Lzp-9")
    assert role_of(user) == Role.HELPDESK


def test_it_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("NEW_PW", "password")
    with pytest.raises(CommandError, match="weak password"):
        call_command("adduser", "hilde", "--role", "admin", "--password-env", "NEW_PW")
    assert not get_user_model().objects.exists()


def test_it_says_when_the_variable_is_missing(monkeypatch):
    monkeypatch.delenv("NEW_PW", raising=False)
    with pytest.raises(CommandError, match="NEW_PW is not set"):
        call_command("adduser", "hilde", "--role", "admin", "--password-env", "NEW_PW")


def test_it_prompts_when_no_variable_is_given(monkeypatch):
    answers = iter(["Zt5#mw8Qpv-1", "Zt5#mw8Qpv-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("adduser", "anton", "--role", "admin")
    assert role_of(get_user_model().objects.get(username="anton")) == Role.ADMIN


def test_ensureadmin_creates_a_first_admin_only_once(capsys):
    call_command("ensureadmin")
    first = capsys.readouterr().out
    assert "Log in as  admin" in first
    call_command("ensureadmin")
    assert capsys.readouterr().out == ""
    assert role_of(get_user_model().objects.get(username="admin")) == Role.ADMIN
