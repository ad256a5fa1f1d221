"""The users' passwords: uploaded as CSV, bad rows named, nothing stored from a bad file unless
the admin accepts the good rows, encrypted at rest, purged in one action."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.directory_data import sample_snapshot
from wizard.directory_store import store_snapshot
from wizard.models import AuditEntry, MailboxUser, Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    migration = Migration.objects.create(name="Corp", created_by=admin_user)
    store_snapshot(migration, sample_snapshot())
    return migration


def upload(client, migration, content: bytes, **extra):
    return client.post(
        reverse("directory_passwords", args=[migration.pk]),
        {"file": SimpleUploadedFile("pw.csv", content, "text/csv"), **extra},
    )


def stored() -> dict[str, str]:
    return {
        u.sam: u.password.reveal()
        for u in MailboxUser.objects.filter(password_set_at__isnull=False)
    }


def test_a_good_file_is_stored_encrypted(admin_client, migration):
    content = "\ufeffBenutzername;Passwort\njdoe;Sommer2026!\nasmith@corp.example;ä;ö\n"
    response = upload(admin_client, migration, content.replace(";ä;ö", ';"ä;ö"').encode())
    assert response.status_code == 302
    assert stored() == {"jdoe": "Sommer2026!", "asmith": "ä;ö"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM wizard_mailboxuser WHERE sam = 'jdoe'")
        (raw,) = cursor.fetchone()
    assert "Sommer2026!" not in raw
    entry = AuditEntry.objects.get(action="uploaded user passwords")
    assert entry.detail == "Passwords: 2"


def test_bad_rows_are_named_and_nothing_is_stored(admin_client, migration):
    content = b"jdoe,Pw-One-1\nghost,Pw-Two-2\nasmith,\njdoe,Pw-Three-3\n"
    response = upload(admin_client, migration, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Row 2: no user “ghost” in the directory import" in page
    assert "Row 3: the password for “asmith” is empty" in page
    assert "Row 1: “jdoe” is a duplicate: the same user is in rows 1, 4" in page
    assert "Nothing was stored." in page
    assert "Pw-" not in page
    assert stored() == {}


def test_the_admin_may_accept_the_good_rows(admin_client, migration):
    response = upload(admin_client, migration, b"jdoe,one\nghost,two\n", accept_good_rows="on")
    assert response.status_code == 302
    assert stored() == {"jdoe": "one"}
    assert AuditEntry.objects.get(action="uploaded user passwords").detail == (
        "Passwords: 1, bad rows left out: 1"
    )


def test_a_file_in_another_encoding_gets_a_form_error(admin_client, migration):
    response = upload(admin_client, migration, "jdoe,Grüße\n".encode("cp1252"))
    assert "The file is not UTF-8 text" in response.content.decode()
    assert stored() == {}


def test_passwords_never_appear_in_a_page(admin_client, migration):
    upload(admin_client, migration, b"jdoe,Geheim-4711\n")
    for name in ("directory_passwords", "directory_users"):
        page = admin_client.get(reverse(name, args=[migration.pk])).content.decode()
        assert "Geheim-4711" not in page
    user = MailboxUser.objects.get(sam="jdoe")
    page = admin_client.get(reverse("directory_user", args=[migration.pk, user.pk]))
    assert "Geheim-4711" not in page.content.decode()


def test_all_passwords_are_purged_in_one_action(admin_client, admin_user, migration):
    upload(admin_client, migration, b"jdoe,one\nasmith,two\n")
    response = admin_client.post(reverse("directory_purge_passwords", args=[migration.pk]))
    assert response.status_code == 302
    assert stored() == {}
    assert not MailboxUser.objects.exclude(password="").exists()
    entry = AuditEntry.objects.get(action="purged the user passwords")
    assert (entry.actor, entry.detail) == (admin_user, "Passwords: 2")
