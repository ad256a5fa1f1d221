"""The wizard's directory import end to end: the connection form binds to the real Samba, a
real Celery worker imports, and a re-import after changes in the directory updates, lists the
changes, never duplicates and keeps the admin's edits."""

from __future__ import annotations

import json
import uuid

import pytest
from celery.signals import before_task_publish
from django.db import connection as db
from django.urls import reverse
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE

from tests.helpers import wait_until
from tests.servers import directory_seed as seed
from tests.servers.ports import free_port
from wizard import actions
from wizard.models import (
    AuditEntry,
    DirectoryGroup,
    DirectoryImport,
    DirectoryServer,
    LeftOutEntry,
    MailboxUser,
    Migration,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migration(admin_user):
    return Migration.objects.create(name="Corp", created_by=admin_user)


def form_data(server, **changes) -> dict:
    data = {
        "url": server.ldaps_url, "security": "ldaps", "tls_name": server.tls_name,
        "verify_tls": "on", "ca_certificate": server.ca_file.read_text(),
        "bind_user": "CORP\\Administrator", "bind_password": server.admin_password,
        "base_dn": server.base_dn, "search_filter": "",
    }
    data.update(changes)
    return data


def connect(migration, server, **values) -> DirectoryServer:
    defaults = dict(
        url=server.ldaps_url, tls_name=server.tls_name, ca_certificate=server.ca_file.read_text(),
        bind_user=server.admin_bind, bind_password=server.admin_password, base_dn=server.base_dn,
    )
    return DirectoryServer.objects.create(migration=migration, **{**defaults, **values})


def finished(job: DirectoryImport) -> DirectoryImport:
    return wait_until(
        lambda: DirectoryImport.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(),
        timeout=60,
    )


# --- the connection form ------------------------------------------------------------------


def test_testing_the_connection_binds_and_stores_nothing(admin_client, migration,
                                                         directory_server):
    url = reverse("directory_connection", args=[migration.pk])
    page = admin_client.post(url, {**form_data(directory_server), "test": "1"}).content.decode()
    assert "Bound as CORP\\Administrator" in page
    assert not DirectoryServer.objects.exists()


def test_a_wrong_password_is_a_clear_form_error(admin_client, migration, directory_server):
    url = reverse("directory_connection", args=[migration.pk])
    data = {**form_data(directory_server, bind_password="wrong"), "save": "1"}
    page = admin_client.post(url, data).content.decode()
    assert "The connection does not work: the directory ldaps://" in page
    assert "refused the bind as CORP\\Administrator: wrong name or password." in page
    assert not DirectoryServer.objects.exists()


def test_an_unreachable_server_is_a_clear_form_error(admin_client, migration, directory_server):
    url = reverse("directory_connection", args=[migration.pk])
    data = {**form_data(directory_server, url=f"ldaps://127.0.0.1:{free_port()}"), "test": "1"}
    page = admin_client.post(url, data).content.decode()
    assert "The connection does not work: cannot reach the directory server" in page


def test_a_missing_tls_name_is_explained(admin_client, migration, directory_server):
    url = reverse("directory_connection", args=[migration.pk])
    page = admin_client.post(url, {**form_data(directory_server, tls_name=""), "test": "1"})
    assert "give that name as the TLS name" in page.content.decode()


def test_the_form_checks_its_fields_before_connecting(admin_client, migration):
    url = reverse("directory_connection", args=[migration.pk])
    page = admin_client.post(url, {
        "url": "http://dc1", "security": "ldaps", "bind_user": "CORP\\", "bind_password": "",
        "base_dn": "corp.example", "search_filter": "(objectClass=user",
        "ca_certificate": "not a certificate", "tls_name": "bad name",
    }).content.decode()
    for message in (
        "is no LDAP address: use ldaps://host:636", "Write a down-level name as DOMAIN\\user.",
        "This field is required.", "This is not a valid DN", "The LDAP filter",
        "Paste the certificate in PEM form", "Give a host name such as dc1.corp.example.",
    ):
        assert message in page, message


def test_saving_a_working_connection_keeps_the_password_encrypted(
    admin_client, admin_user, migration, directory_server
):
    url = reverse("directory_connection", args=[migration.pk])
    response = admin_client.post(url, {**form_data(directory_server), "save": "1"})
    assert response.status_code == 302
    stored = DirectoryServer.objects.get(migration=migration)
    assert stored.bind_password.reveal() == directory_server.admin_password
    assert (stored.check_ok, stored.tls_name) == (True, directory_server.tls_name)
    with db.cursor() as cursor:
        cursor.execute("SELECT bind_password FROM wizard_directoryserver")
        assert directory_server.admin_password not in cursor.fetchone()[0]
    assert AuditEntry.objects.filter(action="saved the directory connection",
                                     actor=admin_user).exists()

    # Saved again without typing the password: the stored one is kept and still works.
    response = admin_client.post(url, {**form_data(directory_server, bind_password=""),
                                       "save": "1"})
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.bind_password.reveal() == directory_server.admin_password


def test_choosing_plain_ldap_warns_on_the_directory_page(admin_client, migration,
                                                         directory_server):
    url = reverse("directory_connection", args=[migration.pk])
    data = form_data(directory_server, url=directory_server.ldap_url, security="plain")
    assert admin_client.post(url, {**data, "save": "1"}).status_code == 302
    page = admin_client.get(reverse("directory", args=[migration.pk])).content.decode()
    assert "Plain LDAP: the bind password and the directory's data cross the network" in page


# --- the import through the worker ----------------------------------------------------------


def test_an_import_runs_in_the_worker_and_fills_the_tables(
    celery_worker, admin_client, migration, directory_server
):
    connect(migration, directory_server)
    response = admin_client.post(reverse("directory_start_import", args=[migration.pk]))
    job = DirectoryImport.objects.get(migration=migration)
    assert response["Location"] == reverse("directory_import", args=[migration.pk, job.pk])

    job = finished(job)

    assert job.status == "done", job.error
    people = {user.sam for user in seed.USERS} | {"Administrator"}
    assert set(MailboxUser.objects.values_list("sam", flat=True)) == people
    assert job.counts["users"] == len(people)
    assert job.counts["users_added"] == len(people)
    not_selected = set(MailboxUser.objects.filter(selected=False).values_list("sam", flat=True))
    assert not_selected == {"peter.altmann", "svc.scanner", "Administrator"}
    sales = DirectoryGroup.objects.get(migration=migration, name="Sales")
    assert sales.members.count() == 13
    assert sales.subgroups == ["Sales-Munich"]
    assert LeftOutEntry.objects.filter(migration=migration, name="krbtgt").exists()
    page = admin_client.get(reverse("directory_users", args=[migration.pk]), {"q": "Jörg"})
    assert "joerg.mueller@example.com" in page.content.decode()


def test_a_second_import_while_one_runs_is_refused(migration, directory_server, admin_user):
    connect(migration, directory_server)
    DirectoryImport.objects.create(migration=migration, status="running")
    with pytest.raises(actions.ActionRefused, match="already running"):
        actions.start_directory_import(migration, admin_user)


def test_a_failing_import_records_the_reason(celery_worker, migration, directory_server,
                                             admin_user):
    connect(migration, directory_server, bind_password="wrong")
    job = finished(actions.start_directory_import(migration, admin_user))
    assert job.status == "failed"
    assert job.error.endswith("refused the bind as Administrator@corp.example.test: "
                              "wrong name or password")
    assert not MailboxUser.objects.exists()


# --- a re-import after changes in the directory --------------------------------------------


@pytest.fixture
def own_ou(directory_server):
    """An OU of this test's own in the shared Samba, with two users and a nested group;
    removed afterwards so that other tests see the seeded directory unchanged."""
    ou = f"OU=Reimport-{uuid.uuid4().hex[:8]},{seed.BASE_DN}"
    ldap = directory_server.connect()
    ldap.add(ou, "organizationalUnit")
    for sam, name in (("re.alice", "Alice Re"), ("re.bob", "Bob Re"), ("re.carol", "Carol Re")):
        ldap.add(f"CN={name},{ou}", "user", {
            "sAMAccountName": sam, "userPrincipalName": f"{sam}@corp.example.test",
            "displayName": name, "mail": f"{sam}@example.com",
            "proxyAddresses": [f"SMTP:{sam}@example.com"], "userAccountControl": "544",
        })
    ldap.add(f"CN=Re Inner,{ou}", "group", {"sAMAccountName": f"re-inner-{ou[12:20]}",
                                            "member": [f"CN=Alice Re,{ou}"]})
    ldap.add(f"CN=Re Outer,{ou}", "group", {"sAMAccountName": f"re-outer-{ou[12:20]}",
                                            "member": [f"CN=Re Inner,{ou}", f"CN=Bob Re,{ou}"]})
    yield ou, ldap
    ldap.search(ou, "(objectClass=*)", SUBTREE, attributes=[])
    for dn in sorted((e["dn"] for e in ldap.response if "dn" in e), key=len, reverse=True):
        ldap.delete(dn)
    ldap.unbind()


def test_a_reimport_updates_lists_the_changes_and_keeps_the_admins_edits(
    celery_worker, migration, directory_server, admin_user, own_ou
):
    ou, ldap = own_ou
    connect(migration, directory_server, base_dn=ou)
    first = finished(actions.start_directory_import(migration, admin_user))
    assert first.status == "done", first.error
    users = MailboxUser.objects.filter(migration=migration)
    assert set(users.values_list("sam", flat=True)) == {"re.alice", "re.bob", "re.carol"}
    assert [g.name for g in users.get(sam="re.alice").groups.all()] == ["Re Inner", "Re Outer"]
    alice = users.get(sam="re.alice")
    actions.edit_mailbox_user(alice, {"display_name": "Alice (Finance)"}, admin_user)

    ldap.modify(f"CN=Alice Re,{ou}", {"displayName": [(MODIFY_REPLACE, ["Alice Renamed"])]})
    ldap.modify(f"CN=Bob Re,{ou}", {
        "displayName": [(MODIFY_REPLACE, ["Robert Re"])],
        "proxyAddresses": [(MODIFY_ADD, ["smtp:bobby@example.com"])],
        "userAccountControl": [(MODIFY_REPLACE, ["546"])],
    })
    ldap.modify(f"CN=Re Outer,{ou}", {"member": [(MODIFY_DELETE, [f"CN=Bob Re,{ou}"])]})
    ldap.delete(f"CN=Carol Re,{ou}")
    ldap.add(f"CN=Dan Re,{ou}", "user", {"sAMAccountName": "re.dan", "mail": "re.dan@example.com",
                                         "userAccountControl": "544"})

    second = finished(actions.start_directory_import(migration, admin_user))

    assert second.status == "done", second.error
    changes = {(c["kind"], c["name"], c["text"]) for c in second.changes}
    assert changes == {
        ("kept_edit", "re.alice",
         "display name: kept your “Alice (Finance)”; the directory now says “Alice Renamed”"),
        ("changed", "re.bob", "display name: “Bob Re” → “Robert Re”"),
        ("changed", "re.bob", "alias addresses: (none) → bobby@example.com"),
        ("changed", "re.bob", "now disabled in the directory"),
        ("changed", "re.bob", "no longer in the group Re Outer"),
        ("removed", "re.carol", "is no longer in the directory (kept here)"),
        ("added", "re.dan", ""),
    }
    assert users.count() == 4  # nothing duplicated
    alice, bob = users.get(sam="re.alice"), users.get(sam="re.bob")
    assert alice.display_name == "Alice (Finance)"
    assert alice.directory_values["display_name"] == "Alice Renamed"
    assert (bob.display_name, bob.aliases, bob.disabled) == ("Robert Re", ["bobby@example.com"],
                                                              True)
    assert not users.get(sam="re.carol").in_directory
    assert list(bob.groups.all()) == []

    third = finished(actions.start_directory_import(migration, admin_user))
    assert third.changes == []
    assert users.count() == 4


def test_the_tasks_get_only_ids_and_no_password_travels_through_the_broker(
    celery_worker, migration, directory_server, admin_user
):
    published = []

    def record(body=None, headers=None, **kwargs):
        published.append(json.dumps([body, headers], default=str))

    before_task_publish.connect(record, weak=False)
    try:
        connect(migration, directory_server)
        job = finished(actions.start_directory_import(migration, admin_user))
    finally:
        before_task_publish.disconnect(record)
    assert job.status == "done"
    assert len(published) == 1
    assert f"[{job.pk}]" in published[0]
    assert directory_server.admin_password not in published[0]
