"""The mail fetching accounts' pages: entered and uploaded by the admin, passwords encrypted,
every login tested for real against Dovecot's POP3 through the real Celery worker (one with a
wrong password), and the export for the Intra2net server's mail fetching."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.directory_data import sample_snapshot
from tests.helpers import wait_until
from tests.servers import dovecot
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import AuditEntry, FetchAccount, Migration

PASSWORD = "Sommer 2024; mit Leerzeichen"
WRONG = "Winter-2023?"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A provider's POP3 server (STARTTLS offered, certificate from a throwaway CA)."""
    with dovecot.start_exchange_like(
        tmp_path_factory.mktemp("provider"), pop3=True, tls=True
    ) as server:
        server.add_user("info@shop.example", PASSWORD)
        server.add_user("orders@shop.example", PASSWORD)
        yield server


@pytest.fixture
def migration(admin_user):
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, sample_snapshot())  # users asmith, jdoe… move
    return migration


def url(name: str, migration, *args) -> str:
    return reverse(name, args=[migration.pk, *args])


def add(client: Client, migration, provider, **changes):
    data = {
        "protocol": "pop3", "host": provider.host, "port": provider.pop3_port,
        "tls": "starttls", "verify_tls": "", "login": "info@shop.example",
        "password": PASSWORD, "target_user": "jdoe",
    }
    data.update(changes)
    return client.post(url("fetch_accounts_add", migration), data)


def upload(client: Client, migration, text: str, **data):
    file = SimpleUploadedFile("accounts.csv", text.encode("utf-8"))
    return client.post(url("fetch_accounts_upload", migration), {"file": file, **data})


@pytest.mark.django_db(transaction=True)
def test_the_logins_are_tested_for_real_and_a_wrong_password_fails(
    celery_worker, admin_client, helpdesk_client, migration, provider
):
    assert add(admin_client, migration, provider).status_code == 302
    csv_text = (
        "protocol;host;port;tls;login;password;target_user\r\n"
        f"pop3;{provider.host};{provider.pop3_port};plain;orders@shop.example;{WRONG};ASmith\r\n"
    )
    assert upload(admin_client, migration, csv_text).status_code == 302

    assert admin_client.post(url("fetch_accounts_check", migration)).status_code == 302
    rows = FetchAccount.objects.filter(migration=migration)
    wait_until(lambda: not rows.filter(check_message="Checking…").exists(), 60)

    results = {row.login: (row.check_ok, row.check_message) for row in rows}
    assert results["info@shop.example"][0] is True
    assert "the login works: 0 messages" in results["info@shop.example"][1]
    assert results["orders@shop.example"][0] is False
    assert "refused" in results["orders@shop.example"][1]
    assert WRONG not in results["orders@shop.example"][1]
    page = helpdesk_client.get(url("fetch_accounts", migration)).content.decode()
    assert "ok: the login works" in page and "failed: login as orders@shop.example" in page
    assert PASSWORD not in page and WRONG not in page
    assert AuditEntry.objects.filter(action="tested the mail fetching logins").exists()


@pytest.mark.django_db
def test_passwords_are_stored_encrypted_and_exported_only_when_asked_for(
    admin_client, migration, provider
):
    add(admin_client, migration, provider)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM wizard_fetchaccount")
        (stored,) = cursor.fetchone()
    assert stored and PASSWORD not in stored

    plain = admin_client.get(url("fetch_accounts_export", migration))
    assert plain["Content-Disposition"].endswith(f'fetching-{migration.pk}-accounts.csv"')
    rows = list(csv.reader(io.StringIO(plain.content.decode())))
    assert rows == [
        ["protocol", "host", "port", "tls", "login", "password", "target_user"],
        ["pop3", provider.host, str(provider.pop3_port), "starttls", "info@shop.example", "",
         "jdoe"],
    ]
    secret = admin_client.post(url("fetch_accounts_export", migration), {"passwords": "1"})
    assert list(csv.reader(io.StringIO(secret.content.decode())))[1][5] == PASSWORD
    assert AuditEntry.objects.filter(
        action="exported the mail fetching accounts with passwords"
    ).exists()


@pytest.mark.django_db
def test_an_upload_with_bad_rows_stores_nothing_unless_told_to(admin_client, migration, provider):
    text = (
        f"pop3,{provider.host},110,plain,a@shop.example,pw1,jdoe\r\n"
        f"pop3,{provider.host},110,plain,b@shop.example,pw2,nobody\r\n"
        "pop3,https://pop.example,110,plain,c@shop.example,pw3,jdoe\r\n"
    )
    refused = upload(admin_client, migration, text)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "2 rows are bad; nothing was stored (1 good row)" in page
    assert "Row 2: no user “nobody”" in page
    assert not FetchAccount.objects.exists()

    assert upload(admin_client, migration, text, accept_good_rows="on").status_code == 302
    assert list(FetchAccount.objects.values_list("login", "target_user")) == [
        ("a@shop.example", "jdoe")
    ]


@pytest.mark.django_db
def test_the_same_account_again_is_updated_not_doubled(admin_client, migration, provider):
    add(admin_client, migration, provider)
    add(admin_client, migration, provider, login="INFO@shop.example", password="new one",
        target_user="asmith")
    (row,) = FetchAccount.objects.all()
    assert (row.target_user, row.password.reveal()) == ("asmith", "new one")


@pytest.mark.django_db
def test_a_typed_account_is_checked_before_it_is_stored(admin_client, migration, provider):
    response = add(admin_client, migration, provider, host="pop://x", target_user="nobody",
                   port="0")
    assert response.status_code == 400
    errors = response.context["add_form"].errors
    assert set(errors) == {"host", "target_user", "port"}
    assert not FetchAccount.objects.exists()


@pytest.mark.django_db
def test_the_usual_port_is_taken_when_none_is_given(admin_client, migration, provider):
    add(admin_client, migration, provider, port="", tls="tls", protocol="imap")
    assert FetchAccount.objects.get().port == 993


@pytest.mark.django_db
def test_the_servers_step_links_to_the_accounts(helpdesk_client, migration):
    page = helpdesk_client.get(reverse("step", args=[migration.pk, "servers"]))
    assert url("fetch_accounts", migration).encode() in page.content


@pytest.mark.django_db
def test_the_helpdesk_reads_but_changes_nothing(helpdesk_client, admin_client, migration, provider):
    add(admin_client, migration, provider)
    account = FetchAccount.objects.get()
    assert helpdesk_client.get(url("fetch_accounts", migration)).status_code == 200
    assert helpdesk_client.get(url("fetch_accounts_rows", migration)).status_code == 200
    for name, args in (
        ("fetch_accounts_add", ()),
        ("fetch_accounts_upload", ()),
        ("fetch_accounts_check", ()),
        ("fetch_accounts_export", ()),
        ("fetch_accounts_delete", (account.pk,)),
    ):
        assert helpdesk_client.post(url(name, migration, *args)).status_code == 403, name
    assert helpdesk_client.get(url("fetch_accounts_export", migration)).status_code == 403
    assert FetchAccount.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login(migration):
    anonymous = Client()
    for name in ("fetch_accounts", "fetch_accounts_rows", "fetch_accounts_export"):
        response = anonymous.get(url(name, migration))
        assert response.status_code == 302 and "/login/" in response["Location"], name
    response = anonymous.post(url("fetch_accounts_check", migration))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_deletes_an_account(admin_client, migration, provider):
    add(admin_client, migration, provider)
    account = FetchAccount.objects.get()
    assert admin_client.post(url("fetch_accounts_delete", migration, account.pk)).status_code == 302
    assert not FetchAccount.objects.exists()
    assert AuditEntry.objects.filter(action="deleted a mail fetching account").exists()
