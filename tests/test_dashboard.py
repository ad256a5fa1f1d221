"""The copy dashboard and a user's page: a real copy between the test's Dovecots through the real
worker, shown user by user with totals on top; filters, search, sorting and paging; the live
fragment; a constant number of queries however many users; the stale-data warning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
from tests.servers.mail import Seed, make_message, seed_mailbox
from wizard import actions
from wizard.models import AuditEntry, MailboxCopy, Migration

State = MailboxCopy.State


def url(name: str, migration: Migration, *args) -> str:
    return reverse(name, args=[migration.pk, *args])


def text(response) -> str:
    return response.content.decode()


# --- a real copy ----------------------------------------------------------------------------


@pytest.fixture
def copied(celery_worker, source_imap, target_imap, admin_user):
    """Three people copied for real: Anna's mailbox arrives whole, one of Bruno's messages is
    too large for the 1 MB limit, and Gina has no mailbox on Exchange at all."""
    migration = migration_on(source_imap, target_imap, max_message_mb=1)
    anna = account_on_both(source_imap, target_imap, "anna")
    bruno = account_on_both(source_imap, target_imap, "bruno")
    seed_mailbox(source_imap, anna, {
        "INBOX": [Seed(make_message(f"Offer {i}")) for i in range(3)],
        "Sent Items": [Seed(make_message(f"Re: Offer {i}")) for i in range(2)],
    })
    seed_mailbox(source_imap, bruno, {
        "INBOX": [Seed(make_message("Plans")),
                  Seed(make_message("Scan of the contract", attachment_size=1_500_000))],
    })
    users = {
        "anna": person(migration, anna, "Anna Schmidt"),
        "bruno": person(migration, bruno, "Bruno Keller"),
        "gina": person(migration, "gina-nomailbox", "Gina Ghost"),
    }
    start_copy(migration, admin_user)
    copies_settled(migration)
    return migration, users


@pytest.mark.django_db(transaction=True)
def test_it_shows_every_user_of_a_real_copy_with_totals_on_top(copied, admin_client):
    migration, _ = copied
    states = {c.mailbox_user.display_name: c.state for c in MailboxCopy.objects.all()}
    assert states == {
        "Anna Schmidt": State.DONE,
        "Bruno Keller": State.NEEDS_ATTENTION,
        "Gina Ghost": State.FAILED,
    }

    page = text(admin_client.get(url("dashboard", migration)))

    assert "Anna Schmidt" in page and "Bruno Keller" in page and "Gina Ghost" in page
    assert '<span class="figure">3</span> users' in page
    assert '<span class="figure fail">2</span>' in page  # Bruno and Gina have errors
    assert "6 of 7 messages" in page  # Bruno's large message stays behind
    assert "5 of 5 msgs" in page and "1 of 2 msgs" in page
    assert ">login as admin acting for gina-nomailbox refused</td>" in page  # one sentence
    assert page.count('<td class="number">0 of 7</td>') == 3  # no checklist ticked yet
    assert page.count(">Retry</button>") == 2  # Bruno's and Gina's, for the admin


@pytest.mark.django_db(transaction=True)
def test_a_users_page_shows_folders_problems_runs_checklist_and_audit(
    copied, admin_client, admin_user
):
    migration, users = copied
    actions.tick(users["bruno"], "open_outlook", admin_user)

    page = text(admin_client.get(url("mailbox_detail", migration, users["bruno"].pk)))

    assert "<td>INBOX</td>" in page and "<td>Sent Items</td>" in page
    assert "1 too large" in page and "“Scan of the contract”" in page
    assert "more than the 1048576 the copy may append" in page  # the engine's reason
    assert "Done with problems" in page  # the run's outcome in the timeline
    assert "Checklist (1 of 7)" in page and "☑" in page
    assert "alice-admin" in page and "ticked: Step 9: Open the user" in page  # the audit entry
    anna = text(admin_client.get(url("mailbox_detail", migration, users["anna"].pk)))
    assert "INBOX.Sent" in anna and "5 of 5 messages" in anna
    assert '<span class="figure"><span class="ok">yes</span></span> verified' in anna
    gina = text(admin_client.get(url("mailbox_detail", migration, users["gina"].pk)))
    assert "[AUTHORIZATIONFAILED]" in gina and "No folder has been looked at yet" in gina


@pytest.mark.django_db(transaction=True)
def test_the_live_fragment_is_the_rows_and_totals_alone_and_keeps_the_filters(
    copied, admin_client
):
    migration, _ = copied

    fragment = text(admin_client.get(url("dashboard_rows", migration) + "?show=failed&q=gina"))

    assert not fragment.lstrip().startswith("<!doctype")
    assert fragment.lstrip().startswith('<div id="live"')
    assert 'hx-trigger="every 5s"' in fragment
    assert "show=failed" in fragment and "q=gina" in fragment
    assert "Gina Ghost" in fragment and "Anna Schmidt" not in fragment


# --- filters, search, sorting, pages: rows as the workers leave them --------------------------


@pytest.fixture
def crowd(db):
    """60 users, ten in each shape: done, copying, failed, needs attention, waiting, queued."""
    migration = Migration.objects.create(name="Crowd")
    users_with_progress(migration, 60)
    return migration


def names_on(response) -> list[str]:
    return [row.user.sam for row in response.context["rows"]]


def test_the_state_filter_shows_only_that_state(crowd, admin_client):
    response = admin_client.get(url("dashboard", crowd) + "?show=failed")

    assert len(names_on(response)) == 10
    assert {row.state for row in response.context["rows"]} == {State.FAILED}


def test_users_without_a_copy_row_yet_count_as_waiting(crowd, admin_client):
    person(crowd, "latecomer")

    response = admin_client.get(url("dashboard", crowd) + "?show=waiting")

    assert "latecomer" in names_on(response)
    assert response.context["totals"].by_state[State.WAITING] == 11


def test_has_errors_shows_failed_and_unfinished_copies_with_problems(crowd, admin_client):
    response = admin_client.get(url("dashboard", crowd) + "?show=errors")

    assert {row.state for row in response.context["rows"]} == {
        State.FAILED, State.NEEDS_ATTENTION
    }
    assert len(names_on(response)) == 20


def test_the_wave_filter_shows_only_that_waves_users(crowd, admin_client):
    wave = crowd.waves.create(name="Buchhaltung")
    first_five = crowd.mailbox_users.order_by("sam")[:5]
    crowd.mailbox_users.filter(pk__in=[u.pk for u in first_five]).update(wave=wave)

    page = admin_client.get(url("dashboard", crowd))
    assert (f"wave-{wave.pk}", "Wave: Buchhaltung") in page.context["filters"]
    response = admin_client.get(url("dashboard", crowd) + f"?show=wave-{wave.pk}")

    assert sorted(names_on(response)) == sorted(u.sam for u in first_five)


def test_search_finds_users_by_name_or_address(crowd, admin_client):
    by_name = admin_client.get(url("dashboard", crowd) + "?q=User 00007")
    by_address = admin_client.get(url("dashboard", crowd) + "?q=user00042@corp")

    assert names_on(by_name) == ["user00007"]
    assert names_on(by_address) == ["user00042"]


def test_sorting_by_progress_puts_the_furthest_first_and_reverses(crowd, admin_client):
    furthest = admin_client.get(url("dashboard", crowd) + "?sort=-progress")
    least = admin_client.get(url("dashboard", crowd) + "?sort=progress")

    assert furthest.context["rows"][0].state == State.DONE
    assert least.context["rows"][0].fraction == 0
    fractions = [row.fraction for row in furthest.context["rows"]]
    assert fractions == sorted(fractions, reverse=True)


def test_sorting_by_state_puts_what_needs_a_look_first(crowd, admin_client):
    rows = admin_client.get(url("dashboard", crowd)).context["rows"]

    assert rows[0].state == State.FAILED
    assert rows[10].state == State.NEEDS_ATTENTION


def test_pages_hold_fifty_users_and_keep_the_filters(crowd, admin_client):
    first = admin_client.get(url("dashboard", crowd) + "?sort=name")
    second = admin_client.get(url("dashboard", crowd) + "?sort=name&page=2")

    assert len(names_on(first)) == 50 and len(names_on(second)) == 10
    assert names_on(second)[0] == "user00050"
    assert "sort=name&amp;page=2" in text(first)


def test_a_running_copy_shows_its_folder_progress_pace_and_eta(crowd, admin_client):
    rows = admin_client.get(url("dashboard", crowd) + "?show=copying").context["rows"]
    row = rows[0]

    assert row.percent == 25
    assert row.bytes_per_second == pytest.approx(7_000_000 / 600, rel=0.05)
    assert row.eta == pytest.approx(timedelta(minutes=30), abs=timedelta(seconds=5))
    page = text(admin_client.get(url("dashboard", crowd) + "?show=copying"))
    assert "Inbox/Projects" in page and "100 of 400 msgs" in page and "30 min" in page


def test_totals_count_users_per_state_and_work_done_of_total(crowd, admin_client):
    totals = admin_client.get(url("dashboard", crowd)).context["totals"]

    assert totals.users == 60
    assert totals.by_state == {
        State.FAILED: 10, State.NEEDS_ATTENTION: 10, State.COPYING: 10, State.VERIFYING: 0,
        State.QUEUED: 10, State.PAUSED: 0, State.WAITING: 10, State.DONE: 10,
    }
    # done: 120 each; copying: 100 of 400; needs attention: 48 of 50; waiting/queued: planned.
    assert totals.messages_done == 10 * (120 + 100 + 48)
    assert totals.messages_total == 10 * (120 + 400 + 50 + 300 + 10)
    assert totals.bytes_per_second == pytest.approx(10 * 7_000_000 / 600, rel=0.05)


# --- a constant number of queries ----------------------------------------------------------


def queries_for(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["dashboard", "dashboard_rows"])
def test_the_dashboard_needs_as_many_queries_for_300_users_as_for_10(
    name, admin_client, django_assert_max_num_queries
):
    migration = Migration.objects.create(name="Growing")
    users_with_progress(migration, 10)
    few = queries_for(admin_client, url(name, migration))

    users_with_progress(migration, 290, start=10)

    with django_assert_max_num_queries(few):
        admin_client.get(url(name, migration))
    assert queries_for(admin_client, url(name, migration) + "?show=errors&sort=-size") == few
    assert few <= 12


# --- the stale-data warning ------------------------------------------------------------------


def test_a_copy_that_has_written_nothing_for_over_a_minute_is_called_stale(crowd, admin_client):
    quiet = MailboxCopy.objects.filter(mailbox_user__migration=crowd, state=State.COPYING)
    quiet.filter(pk=quiet.first().pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=90)
    )

    fragment = text(admin_client.get(url("dashboard_rows", crowd)))

    assert "The figures may be stale" in fragment
    assert "1 running copy has written no progress for more than 60 s" in fragment
    assert fragment.count('<tr class="stale">') == 1


def test_fresh_progress_shows_no_warning(crowd, admin_client):
    fragment = text(admin_client.get(url("dashboard_rows", crowd)))

    assert "may be stale" not in fragment


def test_queued_copies_that_no_worker_takes_are_called_stale(db, admin_client, admin_user):
    migration = Migration.objects.create(name="No worker")
    users_with_progress(migration, 6)
    MailboxCopy.objects.filter(state=State.COPYING).update(state=State.DONE)
    MailboxCopy.objects.filter(state=State.DONE).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    actions.audit(migration, admin_user, "started the copy")
    fresh = text(admin_client.get(url("dashboard_rows", migration)))
    AuditEntry.objects.update(at=timezone.now() - timedelta(minutes=3))

    stale = text(admin_client.get(url("dashboard_rows", migration)))

    assert "may be stale" not in fresh
    assert "Mailboxes have been queued for 3 min without a worker taking one" in stale
