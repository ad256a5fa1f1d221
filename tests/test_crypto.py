"""Passwords of mail and directory accounts are encrypted at rest and masked everywhere else."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from wizard import crypto
from wizard.models import ImapServer, Migration

SECRET = "Exch4nge-Adm1n-pw!"


@pytest.fixture
def server(db):
    migration = Migration.objects.create(name="Corp")
    return ImapServer.objects.create(
        migration=migration, role="source", host="mail.corp.example", port=993,
        login_mode="admin_plain", admin_user="migadmin", admin_password=SECRET,
    )


def test_a_stored_password_is_not_in_the_database_row_in_clear(server):
    with connection.cursor() as cursor:
        cursor.execute("SELECT admin_password FROM wizard_imapserver WHERE id = %s", [server.pk])
        (raw,) = cursor.fetchone()
    assert SECRET not in raw
    assert crypto.decrypt(raw) == SECRET


def test_it_comes_back_as_a_secret_that_only_reveal_opens(server):
    stored = ImapServer.objects.get(pk=server.pk).admin_password
    assert stored.reveal() == SECRET
    assert SECRET not in str(stored)
    assert SECRET not in repr(stored)
    assert SECRET not in f"{stored!r} {stored}"


def test_a_logged_or_raised_row_does_not_show_it(server, caplog):
    stored = ImapServer.objects.get(pk=server.pk)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("server %s password %s", stored, stored.admin_password)
    assert SECRET not in caplog.text
    assert SECRET not in str(ValueError(stored.admin_password))


def test_keys_can_rotate(server, settings):
    old_token = crypto.encrypt(SECRET)
    new_key = Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = [new_key, *settings.SECRETS_ENCRYPTION_KEYS]
    crypto._fernet.cache_clear()
    try:
        assert crypto.decrypt(old_token) == SECRET
        rotated = crypto.rotate(old_token)
        settings.SECRETS_ENCRYPTION_KEYS = settings.SECRETS_ENCRYPTION_KEYS[:1]
        crypto._fernet.cache_clear()
        assert crypto.decrypt(rotated) == SECRET
        with pytest.raises(ValueError, match="SECRETS_ENCRYPTION_KEYS"):
            crypto.decrypt(old_token)
    finally:
        crypto._fernet.cache_clear()
