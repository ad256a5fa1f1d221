"""E-mail to the admins: a copy that fails for good, the end of the whole copy (once), a daily
summary while the copy runs; each switchable. And the throughput samples the chart is drawn
from."""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.dashboard_data import (
    account_on_both,
    copies_settled,
    migration_on,
    person,
    start_copy,
    users_with_progress,
)
from tests.helpers import wait_until
from tests.servers.mail import Seed, make_message, seed_mailbox
from wizard import notifications, throughput
from wizard.models import CopyRun, MailboxCopy, Migration, StepState, ThroughputSample
from wizard.roles import Role, give_role

State = MailboxCopy.State


@pytest.fixture
def admins(admin_user, helpdesk_user):
    """Alice (admin) and a superuser have addresses; the helpdesk has one too but is no admin;
    an admin without an address cannot be written to."""
    admin_user.email = "alice@corp.example"
    admin_user.save()
    get_user_model().objects.create_superuser("root", email="root@corp.example")
    helpdesk_user.email = "harry@corp.example"
    helpdesk_user.save()
    give_role(get_user_model().objects.create_user("quiet-admin"), Role.ADMIN)
    return ["alice@corp.example", "root@corp.example"]


def finished_run(user, outcome=CopyRun.Outcome.DONE, error: str = "") -> CopyRun:
    return CopyRun.objects.create(
        mailbox_user=user, outcome=outcome, finished_at=timezone.now(), error=error
    )


# --- through the real worker ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_copy_that_fails_mails_the_admins_and_so_does_its_end(
    celery_worker, source_imap, target_imap, admin_user, admins
):
    migration = migration_on(source_imap, target_imap)
    anna = account_on_both(source_imap, target_imap, "anna")
    seed_mailbox(source_imap, anna, {"INBOX": [Seed(make_message("Hello"))]})
    person(migration, anna, "Anna Schmidt")
    gina = person(migration, "gina-nomailbox", "Gina Ghost")

    start_copy(migration, admin_user)
    copies_settled(migration)
    wait_until(lambda: len(mail.outbox) >= 2)

    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["[Corp] The copy is finished", "[Corp] The copy of gina-nomailbox failed"]
    failed = next(m for m in mail.outbox if "failed" in m.subject)
    assert sorted(failed.to) == admins
    assert reverse("mailbox_detail", args=[migration.pk, gina.pk]) in failed.body
    finished = next(m for m in mail.outbox if "finished" in m.subject)
    assert "Failed: 1" in finished.body
    migration.refresh_from_db()
    assert migration.finished_notified_at is not None


# --- the decisions, one by one --------------------------------------------------------------


@pytest.fixture
def migration(db):
    migration = Migration.objects.create(name="Corp")
    users_with_progress(migration, 6)
    return migration


def test_only_admins_with_an_address_are_written_to(admins):
    assert notifications.admin_addresses() == admins


def test_a_failed_run_mails_the_admins_with_its_reason(migration, admins):
    user = migration.mailbox_users.get(copy__state=State.FAILED)
    run = finished_run(user, CopyRun.Outcome.FAILED, "Login refused by Exchange.")

    notifications.send_copy_notifications(run.pk)

    [message] = mail.outbox
    assert message.subject == f"[Corp] The copy of {user.sam} failed"
    assert "Login refused by Exchange." in message.body
    assert sorted(message.to) == admins


def test_a_mail_server_that_never_answers_does_not_hold_the_worker(migration, admins, settings):
    """It accepts the connection and says nothing: the task gives up after EMAIL_TIMEOUT."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    user = migration.mailbox_users.get(copy__state=State.FAILED)
    run = finished_run(user, CopyRun.Outcome.FAILED, "Login refused by Exchange.")
    with socket.create_server(("127.0.0.1", 0)) as silent:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        settings.EMAIL_TIMEOUT = 1
        with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
            notifications.send_copy_notifications(run.pk)


def test_no_failure_mail_when_switched_off(migration, admins):
    Migration.objects.filter(pk=migration.pk).update(notify_failures=False)
    user = migration.mailbox_users.get(copy__state=State.FAILED)

    notifications.send_copy_notifications(finished_run(user, CopyRun.Outcome.FAILED).pk)

    assert mail.outbox == []


def test_no_mail_while_mailboxes_are_still_to_be_copied(migration, admins):
    user = migration.mailbox_users.get(copy__state=State.DONE)

    notifications.send_copy_notifications(finished_run(user).pk)

    assert mail.outbox == []


def test_the_end_of_the_copy_is_told_once_and_again_after_a_later_run(migration, admins):
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    copies.update(state=State.DONE)
    user = migration.mailbox_users.first()
    first = finished_run(user)

    notifications.send_copy_notifications(first.pk)
    notifications.send_copy_notifications(first.pk)  # a second copy ended at the same moment
    told = len(mail.outbox)
    CopyRun.objects.filter(pk=first.pk).update(started_at=timezone.now() - timedelta(hours=1))
    Migration.objects.filter(pk=migration.pk).update(
        finished_notified_at=timezone.now() - timedelta(minutes=30)
    )
    notifications.send_copy_notifications(finished_run(user, CopyRun.Outcome.DONE).pk)

    assert told == 1
    assert [m.subject for m in mail.outbox] == ["[Corp] The copy is finished"] * 2
    assert "Done: 6" in mail.outbox[0].body


def test_no_end_of_copy_mail_when_switched_off(migration, admins):
    MailboxCopy.objects.update(state=State.DONE)
    Migration.objects.filter(pk=migration.pk).update(notify_finished=False)

    notifications.send_copy_notifications(finished_run(migration.mailbox_users.first()).pk)

    assert mail.outbox == []


def test_a_daily_summary_goes_out_while_the_copy_step_runs(migration, admins):
    idle = Migration.objects.create(name="Not started")
    users_with_progress(idle, 3, start=100)
    StepState.objects.create(migration=migration, key="copy",
                             status=StepState.Status.IN_PROGRESS)

    result = notifications.send_daily_summaries()

    [summary] = mail.outbox
    assert result == "1 migrations summarized"
    assert summary.subject == "[Corp] Daily summary: 1 of 6 mailboxes copied"
    assert "Copying: 1" in summary.body and "Failed: 1" in summary.body
    assert reverse("dashboard", args=[migration.pk]) in summary.body


def test_no_daily_summary_when_switched_off(migration, admins):
    StepState.objects.create(migration=migration, key="copy",
                             status=StepState.Status.IN_PROGRESS)
    Migration.objects.filter(pk=migration.pk).update(notify_daily=False)

    notifications.send_daily_summaries()

    assert mail.outbox == []


# --- the throughput chart's samples ---------------------------------------------------------


def test_a_sample_is_taken_of_each_migration_with_copies_running(migration):
    idle = Migration.objects.create(name="Idle")

    throughput.record_throughput_samples()

    [sample] = ThroughputSample.objects.all()
    assert sample.migration == migration and sample.copying == 1
    # the finished runs' bytes and what the running copy has copied so far
    assert sample.bytes_copied == 6 * 1000 + 7_000_000
    assert not idle.throughput_samples.exists()


def test_samples_older_than_a_week_go_when_the_next_are_taken(migration):
    now = timezone.now()
    for days_ago in (8, 6):
        ThroughputSample.objects.create(
            migration=migration, at=now - timedelta(days=days_ago), bytes_copied=1, copying=1
        )

    throughput.record_throughput_samples()

    ages = sorted(round((now - at) / timedelta(days=1)) for at in
                  ThroughputSample.objects.values_list("at", flat=True))
    assert ages == [0, 6]  # the new sample, and the one of six days ago


def test_the_chart_is_drawn_from_the_samples(migration, admin_client):
    now = timezone.now()
    for minutes_ago, copied in ((3, 0), (2, 60_000_000), (1, 180_000_000)):
        ThroughputSample.objects.create(
            migration=migration, at=now - timedelta(minutes=minutes_ago),
            bytes_copied=copied, copying=2,
        )

    page = admin_client.get(reverse("dashboard", args=[migration.pk])).content.decode()

    assert throughput.bytes_per_second(migration, now) == [
        (now - timedelta(minutes=2), 1_000_000.0), (now - timedelta(minutes=1), 2_000_000.0)
    ]
    assert '<polyline class="line"' in page
    assert "2.0\xa0MB/s" in page  # the top of the scale


def test_without_samples_the_chart_says_when_it_will_fill_in(migration, admin_client):
    page = admin_client.get(reverse("dashboard", args=[migration.pk])).content.decode()

    assert "<polyline" not in page and "The chart fills in while copies run" in page
