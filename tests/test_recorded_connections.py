"""The sentences of logins, connections, account and mailbox checks, mail fetching and mail flow
in the reader's language: the engine writes English against the real servers, the database
keeps it, and recorded() and the German pages say it in German, with the names of users,
folders and hosts untouched."""

from __future__ import annotations

import html
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from migrator.account_check import AccountLogin, AccountState, check_account
from migrator.connection import Connection
from migrator.directory import DirectorySnapshot
from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.errors import CommandRefused, LoginRefused
from migrator.fetching import FetchAccount, Protocol, TlsMode, check_login
from migrator.mailflow import check_mx, check_smtp
from migrator.preflight import Status
from migrator.session import open_session
from tests.directory_data import sample_snapshot, user
from tests.helpers import wait_until
from tests.servers import dovecot
from tests.servers.dns import start_dns
from tests.servers.ports import free_port
from wizard import actions, tasks
from wizard.directory_store import store_snapshot
from wizard.models import FetchAccount as FetchAccountRow
from wizard.models import ImapServer, Job, MailboxCopy, Migration
from wizard.recorded import recorded

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}


def german(text: str) -> str:
    with translation.override("de"):
        return recorded(text)


def plain(server) -> ImapEndpoint:
    return ImapEndpoint(server.host, server.port, Security.PLAIN, timeout=10)


def acting_for(server, name: str) -> Credentials:
    return Credentials(name, server.admin_password, LoginMode.ADMIN_MASTER, admin=server.admin_user)


def unique(name: str) -> str:
    """A user name of this test only: the servers live for the whole run."""
    return f"{name}{uuid.uuid4().hex[:6]}"


def pop3(provider, login: str, password: str, target_user: str = "jdoe") -> FetchAccount:
    server = (provider.host, provider.pop3_port)
    return FetchAccount(Protocol.POP3, *server, TlsMode.PLAIN, login, password, target_user)


def page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A provider's POP3 server, for mail fetching."""
    with dovecot.start_exchange_like(tmp_path_factory.mktemp("provider"), pop3=True) as server:
        server.add_user("info@shop.example", "right")
        server.add_user("orders@shop.example", "right")
        yield server


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory):
    with start_dns(
        tmp_path_factory.mktemp("dns"),
        mx={"still.example.test": [(10, "exchange.still.example.test"), (20, "backup.example")]},
        hosts={"exchange.still.example.test": "192.0.2.25"},
    ) as server:
        yield server


# --- the engine's sentences -------------------------------------------------------------------


def test_a_wrong_password_is_refused_in_english_and_said_in_german_with_the_name_untouched(
    source_imap,
):
    name = unique("ben.listing")
    source_imap.add_user(name, "the right one")

    with pytest.raises(LoginRefused) as refused:
        open_session(plain(source_imap), Credentials(name, "a wrong one"))

    english = str(refused.value)
    assert english.startswith(f"login as {name} refused: ")
    reason = english.removeprefix(f"login as {name} refused: ")
    assert "AUTHENTICATIONFAILED" in reason and "wrong one" not in english
    assert german(english) == f"Anmeldung als {name} abgelehnt: {reason}"
    with translation.override("en"):
        assert recorded(english) == english


def test_an_account_missing_on_the_target_is_said_in_german_three_sentences_deep(target_imap):
    name = unique("ghost")
    check = check_account(plain(target_imap), AccountLogin("1", acting_for(target_imap, name)))

    assert check.state == AccountState.MISSING
    refusal = f"login as admin acting for {name} refused: "
    assert check.message.startswith(f"no such account: {refusal}")
    reason = check.message.removeprefix(f"no such account: {refusal}")
    assert german(check.message) == (
        f"kein solches Konto: Anmeldung als admin im Namen von {name} abgelehnt: {reason}"
    )


def test_a_folder_the_server_refuses_keeps_its_name_even_when_it_reads_like_a_sentence(
    source_imap,
):
    name = unique("carl")
    source_imap.add_user(name, "unused")
    connection = Connection(plain(source_imap), acting_for(source_imap, name), "source")
    folder = "Sent Items/listing folders"  # "listing folders" is a sentence of the engine too
    try:
        with pytest.raises(CommandRefused) as refused:
            connection.select(folder, readonly=True)
    finally:
        connection.logout()

    english = str(refused.value)
    server = f"{source_imap.host}:{source_imap.port}"
    start = f"the source server {server} refused opening '{folder}': "
    assert english.startswith(start)
    reason = english.removeprefix(start)
    assert german(english) == (
        f"der Quellserver {server} hat das Öffnen von '{folder}' abgelehnt: {reason}"
    )


def test_a_refused_pop3_login_is_said_in_german_without_the_password(provider):
    result = check_login(pop3(provider, "orders@shop.example", "Winter-2023?"), timeout=10)

    assert not result.ok
    server = f"{provider.host}:{provider.pop3_port}"
    start = f"login as orders@shop.example refused by the POP3 server {server}: "
    assert result.message.startswith(start)
    reason = result.message.removeprefix(start)
    assert german(result.message) == (
        f"Anmeldung als orders@shop.example vom POP3-Server {server} abgelehnt: {reason}"
    )
    assert "Winter-2023?" not in german(result.message)


def test_the_mail_flow_checks_are_said_in_german_with_the_names_of_the_mx_records(dns_server):
    port = free_port()
    smtp = check_smtp("127.0.0.1", port, timeout=3)
    assert smtp.status == Status.FAIL
    assert german(smtp.name) == f"SMTP auf 127.0.0.1:{port}"
    assert german(smtp.sentence).startswith("Der SMTP-Port des Intra2net-Servers antwortet nicht (")

    mx = check_mx("still.example.test", "127.0.0.1", dns_server.host, dns_server.port)
    assert mx.status == Status.WARNING
    records = "10 exchange.still.example.test, 20 backup.example"
    assert mx.sentence == (
        "Mail for still.example.test still goes to exchange.still.example.test, not to the "
        f"Intra2net server (MX records: {records}). Change the MX record, or the forwarding at "
        "the provider (manual, chapter 15)."
    )
    assert german(mx.name) == "MX von still.example.test"
    assert german(mx.sentence) == (
        "E-Mails für still.example.test gehen noch an exchange.still.example.test, nicht an den "
        f"Intra2net-Server (MX-Einträge: {records}). Ändern Sie den MX-Eintrag oder die "
        "Weiterleitung beim Provider (Handbuch, Kapitel 15)."
    )


# --- the pages that show them -----------------------------------------------------------------


@pytest.fixture
def fetching(admin_user):
    migration = actions.create_migration("Shop", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, sample_snapshot())  # jdoe and asmith move
    return migration


@pytest.mark.django_db
def test_the_fetching_page_says_the_login_tests_in_german_and_keeps_english_stored(
    fetching, admin_user, admin_client, provider
):
    accounts = [
        pop3(provider, "info@shop.example", "right", "jdoe"),
        pop3(provider, "orders@shop.example", "wrong", "asmith"),
    ]
    actions.save_fetch_accounts(fetching, accounts, admin_user)

    tasks.run_fetch_login_checks(fetching.pk)  # the worker's task, run here

    stored = dict(FetchAccountRow.objects.values_list("login", "check_message"))
    assert stored["info@shop.example"] == "the login works: 0 messages (0 bytes) waiting"
    assert stored["orders@shop.example"].startswith("login as orders@shop.example refused")
    url = reverse("fetch_accounts", args=[fetching.pk])
    shown = page(admin_client.get(url, **GERMAN))
    assert "die Anmeldung funktioniert: 0 Nachrichten (0 Bytes) warten" in shown
    server = f"{provider.host}:{provider.pop3_port}"
    assert f"Anmeldung als orders@shop.example vom POP3-Server {server} abgelehnt: " in shown
    assert "the login works" not in shown and "refused by" not in shown
    assert "the login works: 0 messages" in page(admin_client.get(url))


@pytest.mark.django_db
def test_the_bad_rows_of_an_upload_are_listed_in_german(fetching, admin_client):
    text = "pop3,pop.example,110,plain,a@shop.example,pw,nobody\r\npop3,,110,plain,b,pw,jdoe\r\n"
    upload = SimpleUploadedFile("accounts.csv", text.encode())
    response = admin_client.post(
        reverse("fetch_accounts_upload", args=[fetching.pk]), {"file": upload}, **GERMAN
    )

    assert response.status_code == 400
    shown = html.unescape(response.content.decode())
    assert (
        "Zeile 1: kein Benutzer „nobody“ unter den Benutzern, die auf den Intra2net-Server "
        "umziehen" in shown
    )
    assert "Zeile 2: der Host ist leer" in shown
    assert "among the users" not in shown and "Row 1" not in shown


@pytest.mark.django_db(transaction=True)
def test_the_mail_flow_step_shows_its_check_in_german(celery_worker, admin_user, admin_client):
    port = free_port()
    migration = actions.create_migration("Flow", Migration.Mode.OFFLINE, admin_user)
    Migration.objects.filter(pk=migration.pk).update(smtp_host="127.0.0.1", smtp_port=port)

    actions.start_job(migration, Job.Kind.MAIL_FLOW, admin_user)
    job = wait_until(lambda: migration.jobs.filter(status=Job.Status.DONE).first(), 60)

    assert job.checks[0]["name"] == f"SMTP on 127.0.0.1:{port}"  # stored as written
    shown = page(admin_client.get(reverse("step", args=[migration.pk, "mail_flow"]), **GERMAN))
    assert f"SMTP auf 127.0.0.1:{port}" in shown
    assert "Der SMTP-Port des Intra2net-Servers antwortet nicht (" in shown
    assert "does not answer" not in shown


@pytest.mark.django_db(transaction=True)
def test_the_mailbox_check_step_says_what_failed_in_german(
    celery_worker, admin_user, admin_client, source_imap, target_imap
):
    anna, ghost, newbie = unique("anna"), unique("ghost"), unique("newbie")
    source_imap.add_user(anna, "unused")
    target_imap.add_user(anna, "unused")
    source_imap.add_user(newbie, "unused")  # on Exchange, but no account on the target yet
    migration = actions.create_migration("Sizes", Migration.Mode.OFFLINE, admin_user)
    users = tuple(
        user(sam, f"00000000-0000-0000-0000-{n:012d}")
        for n, sam in enumerate((anna, ghost, newbie), start=1)
    )
    store_snapshot(migration, DirectorySnapshot(users, (), (), ()))
    migration.mailbox_users.update(selected=True)
    for sam in (anna, ghost, newbie):
        migration.mailbox_users.filter(sam=sam).update(source_login=sam)
    for role, server in (("source", source_imap), ("target", target_imap)):
        ImapServer.objects.create(
            migration=migration,
            role=role,
            host=server.host,
            port=server.port,
            security=ImapServer.Security.PLAIN,
            login_mode=ImapServer.LoginMode.ADMIN_MASTER,
            admin_user=server.admin_user,
            admin_password=server.admin_password,
        )

    actions.start_job(migration, Job.Kind.MAILBOX_CHECK, admin_user)
    job = wait_until(lambda: migration.jobs.filter(status=Job.Status.DONE).first(), 60)

    assert job.checks[0]["sentence"] == "1 of 3 mailboxes cannot be opened; see the list."
    messages = dict(MailboxCopy.objects.values_list("mailbox_user__sam", "source_message"))
    assert messages[ghost].startswith(f"login as admin acting for {ghost} refused: ")
    assert messages[newbie].startswith(f"Quota not read: login as admin acting for {newbie} ")
    assert messages[anna] == ""
    shown = page(admin_client.get(reverse("step", args=[migration.pk, "imap"]), **GERMAN))
    assert "IMAP-Anmeldungen an Exchange" in shown
    assert "1 von 3 Postfächern lassen sich nicht öffnen; siehe die Liste." in shown
    assert f"Anmeldung als admin im Namen von {ghost} abgelehnt: " in shown
    assert f"Quota nicht gelesen: Anmeldung als admin im Namen von {newbie} abgelehnt: " in shown
    assert "refused" not in shown and "acting for" not in shown
