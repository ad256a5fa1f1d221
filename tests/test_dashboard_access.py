"""Who may see and change what on the dashboard: admins both, the helpdesk reads everything and
changes nothing (every change is a 403), an account without a role and anonymous visitors
nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.dashboard_data import users_with_progress
from wizard.models import AuditEntry, MailboxCopy, MailboxUser, Migration

State = MailboxCopy.State


@pytest.fixture
def migration(db):
    migration = Migration.objects.create(name="Corp")
    users_with_progress(migration, 12)
    return migration


@pytest.fixture
def failed_user(migration) -> MailboxUser:
    return MailboxUser.objects.get(migration=migration, copy__state=State.FAILED, sam="user00002")


def read_urls(migration, user) -> list[str]:
    pages = ["dashboard", "dashboard_rows", "final_report", "report_users_csv",
             "report_users_json", "report_folders_csv", "report_folders_json"]
    return [reverse(name, args=[migration.pk]) for name in pages] + [
        reverse("mailbox_detail", args=[migration.pk, user.pk])
    ]


def change_urls(migration, user) -> list[str]:
    changes = ["dashboard_pause", "dashboard_resume", "dashboard_retry_failed",
               "dashboard_delta", "dashboard_notifications"]
    return [reverse(name, args=[migration.pk]) for name in changes] + [
        reverse("dashboard_retry_user", args=[migration.pk, user.pk])
    ]


def test_admins_and_the_helpdesk_read_every_page_and_report(
    migration, failed_user, admin_client, helpdesk_client
):
    for client in (admin_client, helpdesk_client):
        for address in read_urls(migration, failed_user):
            assert client.get(address).status_code == 200, address


def test_the_helpdesk_is_refused_every_change_and_nothing_changes(
    migration, failed_user, helpdesk_client
):
    before = list(MailboxCopy.objects.order_by("pk").values_list("state", flat=True))

    for address in change_urls(migration, failed_user):
        assert helpdesk_client.post(address, {"notify_daily": "on"}).status_code == 403, address

    assert list(MailboxCopy.objects.order_by("pk").values_list("state", flat=True)) == before
    assert not AuditEntry.objects.exists()
    migration.refresh_from_db()
    assert not migration.copy_paused and migration.notify_failures


def test_the_helpdesk_sees_no_buttons_and_the_switches_read_only(migration, helpdesk_client):
    page = helpdesk_client.get(reverse("dashboard", args=[migration.pk])).content.decode()

    assert "Pause the copy" not in page and "Retry failed" not in page and ">Retry<" not in page
    assert 'name="notify_failures" checked disabled' in page


def test_anonymous_visitors_are_sent_to_the_login_page(migration, failed_user):
    anonymous = Client()
    for address in read_urls(migration, failed_user):
        response = anonymous.get(address)
        assert response.status_code == 302 and response.url.startswith("/login/"), address
    for address in change_urls(migration, failed_user):
        response = anonymous.post(address)
        assert response.status_code == 302 and response.url.startswith("/login/"), address


def test_an_account_without_a_role_sees_nothing(migration, failed_user, roleless_user):
    client = Client()
    client.force_login(roleless_user)
    for address in read_urls(migration, failed_user) + change_urls(migration, failed_user):
        assert client.get(address).status_code == 403, address


def test_changes_take_a_post_only(migration, failed_user, admin_client):
    for address in change_urls(migration, failed_user):
        assert admin_client.get(address).status_code == 405, address


def test_an_admin_pauses_and_resumes_the_copy(migration, admin_client):
    admin_client.post(reverse("dashboard_pause", args=[migration.pk]))
    migration.refresh_from_db()
    paused = migration.copy_paused
    page = admin_client.get(reverse("dashboard", args=[migration.pk])).content.decode()

    admin_client.post(reverse("dashboard_resume", args=[migration.pk]))

    migration.refresh_from_db()
    assert paused and not migration.copy_paused
    assert "The copy is paused" in page and "Resume the copy" in page
    actions = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["paused the copy", "resumed the copy"]


def test_an_admin_retries_the_failed_mailboxes(migration, admin_client):
    response = admin_client.post(reverse("dashboard_retry_failed", args=[migration.pk]))

    assert response.status_code == 302 and response.url == reverse("dashboard", args=[migration.pk])
    assert not MailboxCopy.objects.filter(state__in=[State.FAILED, State.NEEDS_ATTENTION]).exists()
    assert AuditEntry.objects.get().detail == "Mailboxes: 4"


def test_an_admin_retries_one_user_as_a_delta_from_their_page(
    migration, failed_user, admin_client
):
    response = admin_client.post(
        reverse("dashboard_retry_user", args=[migration.pk, failed_user.pk]),
        {"kind": "delta", "from": "detail"},
    )

    assert response.url == reverse("mailbox_detail", args=[migration.pk, failed_user.pk])
    copy = MailboxCopy.objects.get(mailbox_user=failed_user)
    assert (copy.state, copy.run_kind) == (State.WAITING, "delta")
    assert AuditEntry.objects.get().subject == failed_user.sam


def test_an_admin_runs_a_delta_of_every_copied_mailbox(migration, admin_client):
    admin_client.post(reverse("dashboard_delta", args=[migration.pk]))

    assert not MailboxCopy.objects.filter(state=State.DONE).exists()
    assert MailboxCopy.objects.filter(run_kind="delta").count() == 2


def test_an_admin_switches_notifications_off_and_it_is_recorded(migration, admin_client):
    admin_client.post(
        reverse("dashboard_notifications", args=[migration.pk]),
        {"notify_failures": "on", "notify_finished": "on"},
    )

    migration.refresh_from_db()
    assert (migration.notify_failures, migration.notify_finished, migration.notify_daily) == (
        True, True, False
    )
    assert AuditEntry.objects.get().detail == "Switched off: a daily summary while copies run"
