"""The CSV files for the Intra2net user manager, as downloaded from the directory page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from migrator.accounts_csv import PasswordRow
from tests.directory_data import sample_snapshot
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import MailboxUser, Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    migration = Migration.objects.create(name="Corp", created_by=admin_user)
    store_snapshot(migration, sample_snapshot())
    return migration


def download(client, name: str, migration) -> list[list[str]]:
    response = client.get(reverse(name, args=[migration.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="accounts-')
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_the_users_file_holds_the_selected_users_with_their_corrections(
    admin_client, admin_user, migration
):
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.edit_mailbox_user(jdoe, {"target_login": "john.doe", "aliases": ["jd@corp.example",
                                     "john@corp.example"]}, admin_user)

    rows = download(admin_client, "directory_export_users", migration)

    imceaex = (
        "IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_cn=Recipients"
        "_cn={}@corp.example"
    )
    assert rows == [
        ["login", "display_name", "first_name", "last_name", "email", "aliases", "groups",
         "imceaex_aliases"],
        ["asmith", "Asmith", "A", "Smith", "asmith@corp.example", "asmith.alias@corp.example",
         "Sales", imceaex.format("asmith")],
        ["john.doe", "Jdoe", "J", "Doe", "jdoe@corp.example",
         "jd@corp.example;john@corp.example", "EMEA Sales;Sales", imceaex.format("jdoe")],
    ]


def test_the_imceaex_aliases_use_the_migrations_mail_domain_and_list_every_internal_address(
    admin_client, admin_user, migration
):
    migration.mail_domain = "corp.example.test"
    migration.save()
    asmith = MailboxUser.objects.get(sam="asmith")
    asmith.x500 = ["/o=Corp/cn=asmith", "/o=Old Org/ou=Site A/cn=asmith", "/O=CORP/CN=ASMITH"]
    asmith.save()

    rows = download(admin_client, "directory_export_users", migration)

    header, first = rows[0], rows[1]
    assert first[header.index("imceaex_aliases")].split(";") == [
        "IMCEAEX-_o=Corp_cn=asmith@corp.example.test",
        "IMCEAEX-_o=Old+20Org_ou=Site+20A_cn=asmith@corp.example.test",
    ]


def test_the_groups_file_lists_the_selected_members_by_their_new_login(
    admin_client, admin_user, migration
):
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.edit_mailbox_user(jdoe, {"target_login": "john.doe"}, admin_user)
    actions.select_mailbox_users(
        migration, [MailboxUser.objects.get(sam="asmith").pk], False, admin_user
    )

    rows = download(admin_client, "directory_export_groups", migration)

    assert rows == [
        ["group", "email", "aliases", "members"],
        ["EMEA Sales", "", "", "john.doe"],
        ["Sales", "sales@corp.example", "", "john.doe"],
    ]


def test_no_password_ever_reaches_an_export(admin_client, admin_user, migration):
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.store_passwords(migration, [PasswordRow(1, "jdoe", str(jdoe.pk), "S3cret-xyz")],
                            admin_user)
    for name in ("directory_export_users", "directory_export_groups"):
        body = admin_client.get(reverse(name, args=[migration.pk])).content.decode()
        assert "S3cret-xyz" not in body
