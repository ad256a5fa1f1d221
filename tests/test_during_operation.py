"""A migration during operation through the actions, with the real servers and a real worker:
a wave pre-staged while its users work on Exchange, delta copies that follow what they do
there, the nightly delta from Celery beat's schedule, and each user's cutover in the order that
loses nothing."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from celery.beat import Scheduler
from celery.schedules import crontab
from django.conf import settings

from tests.dashboard_data import account_on_both, migration_on, person
from tests.helpers import wait_until
from tests.servers.mail import Seed, make_message, seed_mailbox
from wizard import actions
from wizard.celery import app as celery_app
from wizard.models import AuditEntry, CopyRun, CutoverTick, MailboxCopy, Migration
from wizard.steps import CHECKLIST, STEP_BY_KEY

pytestmark = pytest.mark.django_db(transaction=True)

State, Phase = MailboxCopy.State, MailboxCopy.Phase
BUSY = (State.WAITING, State.QUEUED, State.COPYING, State.VERIFYING)
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- helpers ----------------------------------------------------------------------------------


def settled(user, timeout: float = 60) -> MailboxCopy:
    """The user's copy once nothing of it waits or runs."""

    def idle():
        copy = MailboxCopy.objects.filter(mailbox_user=user).first()
        return copy if copy is not None and copy.state not in BUSY else None

    return wait_until(idle, timeout, interval=0.05)


def mover(migration, source_imap, target_imap, name: str, folders: dict | None = None):
    """A selected user with a mailbox on both servers, Exchange's seeded with `folders`."""
    login = account_on_both(source_imap, target_imap, name)
    user = person(migration, name, source_login=login, target_login=login, selected=True)
    seed_mailbox(source_imap, login, folders or {"INBOX": [Seed(make_message(f"Hi {name}"))]})
    return user


def in_sync(migration, admin_user, *users) -> None:
    actions.prestage(migration, migration.mailbox_users.filter(pk__in=[u.pk for u in users]),
                     admin_user)
    for user in users:
        assert settled(user).phase == Phase.IN_SYNC


def routing_done(migration, admin_user) -> None:
    actions.set_step_status(migration, "servers", "done", admin_user)
    for key, _text in STEP_BY_KEY["routing"].confirmations:
        actions.confirm(migration, key, admin_user)


def subjects(server, user, folder: str) -> dict[str, tuple[str, ...]]:
    """Subject -> flags of every message in the folder; a subject twice fails the test."""
    client = server.connect(user.target_login)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        items = ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]
        fetched = client.fetch(uids, items) if uids else {}
        found = {}
        for data in fetched.values():
            subject = data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
            subject = subject.removeprefix("Subject: ")
            assert subject not in found, f"{subject!r} is twice in {folder}"
            found[subject] = tuple(sorted(f.decode() for f in data[b"FLAGS"] if f != b"\\Recent"))
        return found
    finally:
        client.logout()


def on_exchange(source_imap, user):
    return source_imap.connect(user.source_login)


def uid_of(client, folder: str, subject: str) -> int:
    client.select_folder(folder)
    (uid,) = client.search(["SUBJECT", subject])
    return uid


def problems(user, folder: str) -> list[dict]:
    return user.folder_results.get(source_name=folder).problems


# --- pre-stage and delta copies ---------------------------------------------------------------


def test_a_prestaged_wave_is_in_sync_while_the_others_wait_and_the_limit_holds(
    celery_worker, admin_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap, parallel_copies=1)
    sales = [mover(migration, source_imap, target_imap, f"sales{n}") for n in range(3)]
    later = mover(migration, source_imap, target_imap, "later")
    wave = actions.save_wave(migration, "Sales", date(2026, 5, 4), admin_user)
    actions.assign_waves(migration, {u.pk: wave.pk for u in sales}, admin_user)

    assert actions.prestage(migration, wave.users.all(), admin_user) == 3
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    most_at_once = 0
    while copies.filter(mailbox_user__in=sales, state__in=BUSY).exists():
        most_at_once = max(
            most_at_once, copies.filter(state__in=(State.QUEUED, State.COPYING)).count()
        )
        time.sleep(0.02)

    assert most_at_once == 1  # parallel_copies, pre-stage or not
    for user in sales:
        copy = settled(user)
        assert (copy.phase, copy.state) == (Phase.IN_SYNC, State.DONE)
        assert copy.last_delta_at is not None
        assert user.copy_runs.get().kind == CopyRun.Kind.PRESTAGE
    # Copy rows exist for everybody (a pre-stage makes them), but a planned user is not copied.
    assert copies.get(mailbox_user=later).phase == Phase.PLANNED
    assert not later.copy_runs.exists()
    assert AuditEntry.objects.filter(action="pre-staged the mailbox: in sync").count() == 3


def test_a_delta_follows_moves_and_flags_and_reports_deletions_until_removal_is_asked(
    celery_worker, admin_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = mover(migration, source_imap, target_imap, "anna", {
        "INBOX": [Seed(make_message(s), ("\\Seen",), DAY) for s in
                  ("Kept", "To flag", "To move", "To delete")],
        "Projects": [Seed(make_message("Filed"), (), DAY)],
    })
    in_sync(migration, admin_user, anna)

    # Anna goes on working on Exchange.
    exchange = on_exchange(source_imap, anna)
    exchange.append("INBOX", make_message("New mail"), (), DAY + timedelta(days=1))
    exchange.add_flags(uid_of(exchange, "INBOX", "To flag"), [b"\\Flagged"])
    exchange.move(uid_of(exchange, "INBOX", "To move"), "Projects")
    exchange.delete_messages(uid_of(exchange, "INBOX", "To delete"))
    exchange.expunge()
    actions.queue_deltas(migration, migration.mailbox_users.all(), admin_user)
    copy = settled(anna)

    assert (copy.phase, copy.state, copy.run_kind) == (Phase.IN_SYNC, State.DONE, "delta")
    assert subjects(target_imap, anna, "INBOX") == {
        "Kept": ("\\Seen",),
        "To flag": ("\\Flagged", "\\Seen"),
        "To delete": ("\\Seen",),
        "New mail": (),
    }
    assert subjects(target_imap, anna, "INBOX.Projects") == {"Filed": (), "To move": ("\\Seen",)}
    (deleted,) = problems(anna, "INBOX")
    assert (deleted["kind"], deleted["subject"]) == ("deleted_on_source", "To delete")
    assert anna.folder_results.get(source_name="Projects").moved == 1

    actions.queue_delta(anna, admin_user, remove_deleted=True)
    copy = settled(anna)
    assert set(subjects(target_imap, anna, "INBOX")) == {"Kept", "To flag", "New mail"}
    assert problems(anna, "INBOX")[0]["kind"] == "removed_from_target"
    assert copy.remove_deleted is False  # for that one run only


def test_the_nightly_delta_is_in_beats_schedule_and_queues_one_for_every_user_in_sync(
    celery_worker, admin_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = mover(migration, source_imap, target_imap, "anna")
    bernd = mover(migration, source_imap, target_imap, "bernd")
    planned = mover(migration, source_imap, target_imap, "planned")
    in_sync(migration, admin_user, anna, bernd)
    Migration.objects.filter(pk=migration.pk).update(scheduled_deltas=True)
    unscheduled = migration_on(source_imap, target_imap, scheduled_deltas=False)
    other = mover(unscheduled, source_imap, target_imap, "other")
    in_sync(unscheduled, admin_user, other)
    exchange = on_exchange(source_imap, anna)
    exchange.append("INBOX", make_message("Overnight"))

    entry = settings.CELERY_BEAT_SCHEDULE["delta-syncs"]
    assert entry["task"] == "wizard.tasks.queue_scheduled_deltas"
    assert entry["schedule"] == crontab(
        hour=settings.DELTA_SYNC_HOUR, minute=settings.DELTA_SYNC_MINUTE
    )
    # Celery beat's own logic: the entry is due once its time has passed since its last run,
    # and is sent through the broker to the worker.
    beat = Scheduler(app=celery_app)
    nightly = beat.schedule["delta-syncs"]
    nightly.last_run_at = nightly.default_now() - timedelta(days=1)
    assert nightly.is_due().is_due
    beat.apply_entry(nightly, producer=beat.producer)

    wait_until(lambda: anna.copy_runs.filter(kind="delta").exists()
               and bernd.copy_runs.filter(kind="delta").exists(), 60)
    assert settled(anna).phase == settled(bernd).phase == Phase.IN_SYNC
    assert "Overnight" in subjects(target_imap, anna, "INBOX")
    assert not planned.copy_runs.exists()
    assert not other.copy_runs.filter(kind="delta").exists()
    assert AuditEntry.objects.get(migration=migration, action="queued delta copies").actor_label \
        == "the nightly schedule"


# --- the cutover ------------------------------------------------------------------------------


def test_a_cutover_in_order_brings_every_message_and_opens_the_checklist(
    celery_worker, admin_user, helpdesk_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = mover(migration, source_imap, target_imap, "anna")
    in_sync(migration, admin_user, anna)
    with pytest.raises(actions.ActionRefused, match=r"step 28\.2 \(Mail routing"):
        actions.start_cutover(anna, admin_user)
    routing_done(migration, admin_user)

    actions.start_cutover(anna, admin_user)
    with pytest.raises(actions.ActionRefused, match="in their order"):
        actions.confirm_cutover(anna, "routing", admin_user)
    settled(anna)
    assert CutoverTick.objects.get(mailbox_user=anna, key="last_delta").ticked_by == "copy worker"
    # Mail that reaches Exchange before the switch, even after Outlook is closed.
    exchange = on_exchange(source_imap, anna)
    exchange.append("INBOX", make_message("Before the switch"))
    actions.confirm_cutover(anna, "outlook_closed", admin_user)
    actions.confirm_cutover(anna, "routing", admin_user)
    copy = settled(anna)

    assert copy.phase == Phase.CHECKLIST
    assert anna.copy_runs.first().kind == CopyRun.Kind.FINAL
    assert set(subjects(target_imap, anna, "INBOX")) == {"Hi anna", "Before the switch"}
    ticks = {t.key: t.ticked_by for t in anna.cutover_ticks.all()}
    assert ticks == {
        "last_delta": "copy worker", "outlook_closed": "alice-admin", "routing": "alice-admin",
        "final_delta": "copy worker", "verified": "copy worker",
    }
    for entry in CHECKLIST[:-1]:
        actions.tick(anna, entry.key, helpdesk_user)
    assert MailboxCopy.objects.get(mailbox_user=anna).phase == Phase.CHECKLIST
    actions.tick(anna, CHECKLIST[-1].key, "Anna (own sign-off link)")
    assert MailboxCopy.objects.get(mailbox_user=anna).phase == Phase.DONE
    assert AuditEntry.objects.filter(subject="anna", action__startswith="completed the move")


def test_the_cutover_refuses_to_finish_while_the_final_delta_fails(
    celery_worker, admin_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = mover(migration, source_imap, target_imap, "anna")
    in_sync(migration, admin_user, anna)
    routing_done(migration, admin_user)
    actions.start_cutover(anna, admin_user)
    settled(anna)
    actions.confirm_cutover(anna, "outlook_closed", admin_user)

    target_imap.remove_user(anna.target_login)  # the Intra2net account is gone
    actions.confirm_cutover(anna, "routing", admin_user)
    copy = settled(anna)
    assert (copy.phase, copy.state) == (Phase.CUTTING_OVER, State.FAILED)
    with pytest.raises(actions.ActionRefused, match="did not finish"):
        actions.finish_cutover(anna, admin_user, accept_problems=True)
    assert MailboxCopy.objects.get(mailbox_user=anna).phase == Phase.CUTTING_OVER
    with pytest.raises(actions.ActionRefused, match="run the final delta"):
        actions.queue_delta(anna, admin_user)
    with pytest.raises(actions.ActionRefused, match="already goes to the Intra2net server"):
        actions.cancel_cutover(anna, admin_user)

    target_imap.add_user(anna.target_login, "back again")
    actions.run_final_delta(anna, admin_user)
    assert settled(anna).phase == Phase.CHECKLIST
    assert list(anna.copy_runs.filter(kind="final").values_list("outcome", flat=True)) == [
        "done", "failed",
    ]


def test_after_the_cutover_a_delta_keeps_what_the_user_changed_on_the_new_server(
    celery_worker, admin_user, source_imap, target_imap
):
    migration = migration_on(source_imap, target_imap)
    anna = mover(migration, source_imap, target_imap, "anna", {
        "INBOX": [Seed(make_message(s), ("\\Seen",), DAY) for s in ("Read", "Deleted later")],
    })
    in_sync(migration, admin_user, anna)
    routing_done(migration, admin_user)
    actions.start_cutover(anna, admin_user)
    settled(anna)
    actions.confirm_cutover(anna, "outlook_closed", admin_user)
    actions.confirm_cutover(anna, "routing", admin_user)
    assert settled(anna).phase == Phase.CHECKLIST

    # Anna works on the Intra2net server; a late message and a flag still change on Exchange.
    target = target_imap.connect(anna.target_login)
    target.remove_flags(uid_of(target, "INBOX", "Read"), [b"\\Seen"])
    target.add_flags(uid_of(target, "INBOX", "Read"), [b"\\Flagged"])
    target.delete_messages(uid_of(target, "INBOX", "Deleted later"))
    target.expunge()
    exchange = on_exchange(source_imap, anna)
    exchange.add_flags(uid_of(exchange, "INBOX", "Read"), [b"\\Answered"])
    exchange.append("INBOX", make_message("Late"), (), datetime.now(UTC))
    actions.queue_delta(anna, admin_user)

    copy = settled(anna)
    assert (copy.phase, copy.state) == (Phase.CHECKLIST, State.DONE)
    assert subjects(target_imap, anna, "INBOX") == {"Read": ("\\Flagged",), "Late": ()}
    with pytest.raises(actions.ActionRefused, match="nothing is removed there"):
        actions.queue_delta(anna, admin_user, remove_deleted=True)
