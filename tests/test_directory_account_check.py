"""The "check accounts" action: a real worker logs into the real target Dovecot for each selected
user and marks the account present, missing or unknown."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from migrator.accounts_csv import PasswordRow
from migrator.directory import DirectorySnapshot
from tests.directory_data import user
from tests.helpers import wait_until
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import ImapServer, MailboxUser, Migration

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def names():
    """Account names of this test only: the target server lives for the whole run."""
    prefix = f"chk{uuid.uuid4().hex[:6]}"
    return {key: f"{prefix}{key}" for key in ("anna", "ben", "carl", "dora")}


@pytest.fixture
def migration(admin_user, names):
    migration = Migration.objects.create(name="Corp", created_by=admin_user)
    users = tuple(
        user(sam, f"00000000-0000-0000-0000-{i:012d}", disabled=key == "dora")
        for i, (key, sam) in enumerate(names.items())
    )
    store_snapshot(migration, DirectorySnapshot(users, (), (), ()))
    return migration


def target(migration, target_imap, *, mode=ImapServer.LoginMode.ADMIN_MASTER,
           password=None) -> ImapServer:
    return ImapServer.objects.create(
        migration=migration, role=ImapServer.Role.TARGET, host=target_imap.host,
        port=target_imap.port, security=ImapServer.Security.PLAIN, login_mode=mode,
        admin_user=target_imap.admin_user,
        admin_password=target_imap.admin_password if password is None else password,
    )


def checked(migration) -> dict[str, str]:
    """sam -> state, once every selected user has been checked."""
    selected = MailboxUser.objects.filter(migration=migration, selected=True)
    wait_until(lambda: not selected.filter(target_checked_at__isnull=True).exists())
    return dict(selected.values_list("sam", "target_state"))


def test_it_marks_the_accounts_the_administrator_finds_and_those_missing(
    celery_worker, target_imap, migration, admin_client, names
):
    target(migration, target_imap)
    target_imap.add_user(names["anna"], "anna-pw")
    target_imap.add_user(names["carl"], "carl-pw")

    response = admin_client.post(reverse("directory_check_accounts", args=[migration.pk]))

    assert response.status_code == 302
    assert checked(migration) == {
        names["anna"]: "present", names["ben"]: "missing", names["carl"]: "present",
    }
    dora = MailboxUser.objects.get(sam=names["dora"])
    assert (dora.selected, dora.target_state, dora.target_checked_at) == (False, "unknown", None)
    ben = MailboxUser.objects.get(sam=names["ben"])
    assert ben.target_message.startswith("no such account")
    assert migration.audit.filter(action="checked the accounts on the Intra2net server").exists()


def test_users_log_in_with_their_uploaded_passwords(
    celery_worker, target_imap, migration, admin_user, names
):
    target(migration, target_imap, mode=ImapServer.LoginMode.USER, password="")
    target_imap.add_user(names["anna"], "anna-pw")
    target_imap.add_user(names["ben"], "ben-pw")
    rows = MailboxUser.objects.filter(migration=migration)
    anna, ben = rows.get(sam=names["anna"]), rows.get(sam=names["ben"])
    actions.edit_mailbox_user(ben, {"target_login": names["ben"].upper()}, admin_user)
    actions.store_passwords(migration, [_row(anna, "anna-pw"), _row(ben, "wrong")], admin_user)

    actions.check_target_accounts(migration, admin_user)

    assert checked(migration) == {
        names["anna"]: "present", names["ben"]: "missing", names["carl"]: "unknown",
    }
    assert rows.get(sam=names["ben"]).target_message.startswith(
        "no such account, or a wrong password"
    )
    assert rows.get(sam=names["carl"]).target_message.startswith("no password")


def test_a_wrong_administrator_password_leaves_every_account_unknown(
    celery_worker, target_imap, migration, admin_user, names
):
    target(migration, target_imap, password="not-the-admin-password")
    target_imap.add_user(names["anna"], "anna-pw")

    actions.check_target_accounts(migration, admin_user)

    assert set(checked(migration).values()) == {"unknown"}
    message = MailboxUser.objects.get(sam=names["anna"]).target_message
    assert message.startswith("the administrator's login is refused")
    assert "not-the-admin-password" not in message


def test_without_a_target_server_the_action_is_refused(migration, admin_client):
    response = admin_client.post(
        reverse("directory_check_accounts", args=[migration.pk]), follow=True
    )
    assert "Set up the Intra2net server" in response.content.decode()
    assert not MailboxUser.objects.filter(target_message="Checking…").exists()


def _row(mailbox_user, password: str) -> PasswordRow:
    return PasswordRow(1, mailbox_user.sam, str(mailbox_user.pk), password)
