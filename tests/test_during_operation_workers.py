"""Several workers on one broker: the Redis lock per mailbox keeps two of them off one mailbox,
and a mailbox whose worker was killed in the middle of a copy is finished by another one, exactly,
once the lock has expired. Workers are the test's worker thread and `celery worker` processes on
the same Redis and database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery.signals import task_success
from django.utils import timezone

from tests.dashboard_data import account_on_both, migration_on, person
from tests.helpers import database_url, wait_until
from tests.servers.mail import Seed, make_message, read_mailbox, seed_mailbox
from wizard import actions, locks
from wizard.celery import app as celery_app
from wizard.models import CopyRun, MailboxCopy, Migration
from wizard.tasks import requeue_orphaned_copies, run_mailbox_copy

pytestmark = pytest.mark.django_db(transaction=True)

State, Phase = MailboxCopy.State, MailboxCopy.Phase
BUSY = (State.WAITING, State.QUEUED, State.COPYING, State.VERIFYING)
LOCK_SECONDS = 4
ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def worker_process(name: str, log_dir: Path) -> Iterator[subprocess.Popen]:
    """`celery -A wizard worker` in a process of its own, on the test's broker and database,
    with mailbox locks that expire after a few seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "MAILBOX_LOCK_SECONDS": str(LOCK_SECONDS),
    }
    node = f"{name}@{os.uname().nodename}"
    log = (log_dir / f"{name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wizard", "worker", "--pool", "solo",
         "--hostname", node, "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until(lambda: celery_app.control.ping([node], timeout=0.5), 30, interval=0.2)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


@contextlib.contextmanager
def thread_worker_aside(worker) -> Iterator[None]:
    """The worker thread takes no tasks meanwhile, so that the test knows which worker does."""
    control = {"destination": [worker.hostname], "reply": True, "limit": 1, "timeout": 5}
    assert celery_app.control.cancel_consumer("celery", **control)
    try:
        yield
    finally:
        assert celery_app.control.add_consumer("celery", **control)


@pytest.fixture
def results():
    """What the tasks run by the worker thread returned."""
    found: list[str] = []

    def record(sender=None, result=None, **kwargs):
        if sender is not None and sender.name == run_mailbox_copy.name:
            found.append(result)

    task_success.connect(record, weak=False)
    yield found
    task_success.disconnect(record)


def settled(user, timeout: float = 60) -> MailboxCopy:
    def idle():
        copy = MailboxCopy.objects.filter(mailbox_user=user).first()
        return copy if copy is not None and copy.state not in BUSY else None

    return wait_until(idle, timeout, interval=0.05)


def user_in_sync(admin_user, source_imap, target_imap, messages: int):
    migration = migration_on(source_imap, target_imap)
    login = account_on_both(source_imap, target_imap, "anna")
    anna = person(migration, "anna", source_login=login, target_login=login, selected=True)
    seed_mailbox(source_imap, login, {"INBOX": [Seed(make_message("Before", size=2_000))]})
    actions.prestage(migration, migration.mailbox_users.all(), admin_user)
    assert settled(anna).phase == Phase.IN_SYNC
    seed_mailbox(source_imap, login, {
        "INBOX": [Seed(make_message(f"New {n}", size=30_000)) for n in range(messages)],
    })
    return migration, anna


def cap_bandwidth(migration: Migration, kilobytes: int | None) -> None:
    Migration.objects.filter(pk=migration.pk).update(bandwidth_cap_kb=kilobytes)


def identities(server, login: str) -> list[bytes]:
    """Every INBOX message's bytes, sorted: the same list on both sides is an exact copy."""
    return sorted(message.body for message in read_mailbox(server, login)["INBOX"])


def test_a_lock_lives_while_renewed_expires_without_its_holder_and_notices_a_loss(
    redis_server, settings
):
    settings.LOCK_REDIS_URL = redis_server.url
    with locks.MailboxLock(9001, seconds=0.6) as lock:
        time.sleep(1.5)  # more than twice its life: the renewals keep it
        assert locks.holder(9001) == lock.token
        assert not locks.MailboxLock(9001).acquire()
    assert locks.holder(9001) is None

    # A worker that died renews nothing: its lock is gone once it has expired.
    locks.client().set(locks.key_of(9002), "dead-host:1:x", px=600)
    assert not locks.MailboxLock(9002).acquire()
    time.sleep(0.8)
    with locks.MailboxLock(9002) as lock:
        assert lock.held

    # A lock that vanished behind its holder's back (Redis lost it) stops the copy.
    with locks.MailboxLock(9003, seconds=0.6) as lock:
        locks.client().delete(locks.key_of(9003))
        assert lock.lost.wait(2)


def test_a_mailbox_whose_lock_another_worker_holds_is_left_alone(
    celery_worker, admin_user, source_imap, target_imap, results
):
    _migration, anna = user_in_sync(admin_user, source_imap, target_imap, messages=2)

    with locks.MailboxLock(anna.pk, seconds=30) as elsewhere:  # a worker on another host
        assert elsewhere.held
        actions.queue_delta(anna, admin_user)
        wait_until(lambda: f"mailbox {anna.pk}: another worker is copying it" in results, 30)
        assert not anna.copy_runs.filter(kind="delta").exists()
        assert MailboxCopy.objects.get(mailbox_user=anna).state == State.QUEUED

    run_mailbox_copy.delay(anna.pk)
    assert settled(anna).state == State.DONE
    assert anna.copy_runs.filter(kind="delta").count() == 1
    wait_until(lambda: locks.holder(anna.pk) is None, 10)  # released as the task ends


def test_two_workers_given_one_mailbox_twice_copy_it_once(
    celery_worker, admin_user, source_imap, target_imap, results, tmp_path
):
    migration, anna = user_in_sync(admin_user, source_imap, target_imap, messages=20)
    cap_bandwidth(migration, 200)  # about three seconds: both messages arrive meanwhile

    with worker_process("second", tmp_path):
        results.clear()
        actions.queue_delta(anna, admin_user)
        wait_until(lambda: locks.holder(anna.pk), 30, interval=0.02)
        run_mailbox_copy.delay(anna.pk)  # the same mailbox again, for any of the two workers
        settled(anna)
        wait_until(lambda: "another worker is copying it" in _all_results(results, tmp_path), 30)

    assert anna.copy_runs.filter(kind="delta").count() == 1
    assert identities(target_imap, anna.target_login) == identities(
        source_imap, anna.source_login
    )


def _all_results(thread_results: list[str], log_dir: Path) -> str:
    return "\n".join(thread_results) + (log_dir / "second.log").read_text()


def test_a_worker_killed_in_the_middle_of_a_delta_is_replaced_and_the_copy_is_exact(
    celery_worker, admin_user, source_imap, target_imap, tmp_path, settings
):
    settings.MAILBOX_LOCK_SECONDS = LOCK_SECONDS
    migration, anna = user_in_sync(admin_user, source_imap, target_imap, messages=40)
    cap_bandwidth(migration, 150)  # some eight seconds: time to kill it on the way
    copies = MailboxCopy.objects.filter(mailbox_user=anna)

    with thread_worker_aside(celery_worker):
        with worker_process("doomed", tmp_path) as doomed:
            actions.queue_delta(anna, admin_user)
            wait_until(lambda: copies.filter(state=State.COPYING, messages_done__gte=8), 30)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
        assert locks.holder(anna.pk) is not None  # still held by the dead worker
        assert requeue_orphaned_copies() == "0 copies of crashed workers queued again"

        # Once the lock has expired, a worker starting now takes the mailbox up again.
        wait_until(lambda: locks.holder(anna.pk) is None, LOCK_SECONDS + 5)
        lock_age = timedelta(seconds=LOCK_SECONDS)
        wait_until(lambda: timezone.now() - copies.get().heartbeat_at > lock_age, 10)
        cap_bandwidth(migration, None)
        with worker_process("replacement", tmp_path):
            requeue_orphaned_copies.delay()
            copy = settled(anna)

    assert (copy.state, copy.phase) == (State.DONE, Phase.IN_SYNC)
    assert identities(target_imap, anna.target_login) == identities(
        source_imap, anna.source_login
    )
    runs = list(anna.copy_runs.filter(kind="delta").order_by("started_at"))
    assert [run.outcome for run in runs] == [CopyRun.Outcome.FAILED, CopyRun.Outcome.DONE]
    assert "crashed or killed" in runs[0].error
    assert 0 < runs[1].messages_copied < 40  # it went on where the killed one stopped
