"""An offline migration of a few users walked through the wizard from the servers to the last
step, with the real servers and a real Celery worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import wait_until
from tests.servers import directory_seed
from tests.servers.mail import Seed, make_message, read_mailbox, seed_mailbox
from tests.servers.smtp import start_smtp
from wizard.models import (
    AuditEntry,
    CopyRun,
    Job,
    MailboxCopy,
    MailboxUser,
    Migration,
    StepState,
)
from wizard.steps import CHECKLIST

pytestmark = pytest.mark.django_db(transaction=True)

MOVING = (directory_seed.ANNA, directory_seed.JOERG, directory_seed.CLAIRE)


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory):
    with start_smtp(tmp_path_factory.mktemp("smtp")) as server:
        yield server


def server_form(prefix: str, server) -> dict:
    return {
        f"{prefix}-host": server.host,
        f"{prefix}-port": server.port,
        f"{prefix}-security": "plain",
        f"{prefix}-login_mode": "admin_master",
        f"{prefix}-admin_user": server.admin_user,
        f"{prefix}-admin_password": server.admin_password,
        f"{prefix}-master_separator": "*",
    }


def finished_job(migration: Migration, kind: str) -> Job:
    return wait_until(
        lambda: migration.jobs.filter(kind=kind, status__in=["done", "failed"]).first(), 60
    )


def post(client: Client, name: str, *args, data=None, status: int = 302):
    response = client.post(reverse(name, args=args), data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def mark(client: Client, migration: Migration, key: str, status: str = "done") -> None:
    post(client, "step_status", migration.pk, key, data={"status": status, "note": ""})
    assert StepState.objects.get(migration=migration, key=key).status == status


def test_an_offline_migration_from_servers_to_mail_flow(
    celery_worker,
    admin_client,
    helpdesk_client,
    source_imap,
    target_imap,
    directory_server,
    smtp_server,
):
    for server in (source_imap, target_imap):
        server.add_user(server.admin_user, server.admin_password)
    for person in MOVING:
        source_imap.add_user(f"{person.sam}@corp.example.test", "unused")
        target_imap.add_user(person.sam, "unused")
        seed_mailbox(
            source_imap,
            f"{person.sam}@corp.example.test",
            {
                "INBOX": [
                    Seed(
                        make_message(f"Hello {person.sam} {n}"),
                        ("\\Seen",),
                        datetime(2026, 3, n + 1, tzinfo=UTC),
                    )
                    for n in range(5)
                ],
                "Sent Items": [Seed(make_message(f"Sent by {person.sam}"), ("\\Seen",))],
                "Calendar": [Seed(make_message("not mail"))],
            },
        )

    # The migration and step 1: servers, directory, preflight.
    post(admin_client, "new_migration", data={"name": "Corp offline", "mode": "offline"})
    migration = Migration.objects.get(name="Corp offline")
    post(
        admin_client, "save_server", migration.pk, "source", data=server_form("source", source_imap)
    )
    post(
        admin_client, "save_server", migration.pk, "target", data=server_form("target", target_imap)
    )
    response = admin_client.post(
        reverse("directory_connection", args=[migration.pk]),
        {
            "url": directory_server.ldaps_url,
            "security": "ldaps",
            "tls_name": directory_server.tls_name,
            "verify_tls": "on",
            "ca_certificate": directory_server.ca_file.read_text(),
            "bind_user": directory_server.admin_bind,
            "bind_password": directory_server.admin_password,
            "base_dn": directory_server.base_dn,
            "search_filter": "",
            "save": "1",
        },
    )
    assert response.status_code in (200, 302)
    assert migration.directory.bind_password.reveal() == directory_server.admin_password

    post(admin_client, "start_job", migration.pk, "preflight")
    preflight = finished_job(migration, "preflight")
    checks = {check["name"]: check["status"] for check in preflight.checks}
    assert checks["Exchange: IMAP login"] == "pass"
    assert checks["Intra2net server: IMAP login"] == "pass"
    assert checks["Directory: bind"] == "pass"
    page = admin_client.get(reverse("step", args=[migration.pk, "servers"]))
    assert b"Directory: bind" in page.content
    mark(admin_client, migration, "servers")

    # Steps 2 and 3: the directory import, three users selected.
    post(admin_client, "directory_start_import", migration.pk)
    wait_until(lambda: migration.directory_imports.filter(status="done").exists(), 60)
    users = MailboxUser.objects.filter(migration=migration)
    users.update(selected=False)
    users.filter(sam__in=[p.sam for p in MOVING]).update(selected=True)
    mark(admin_client, migration, "accounts")
    mark(admin_client, migration, "aliases")

    # Steps 4 to 6: the copy stays locked until reception is off and the backup is confirmed.
    copy_page = admin_client.get(reverse("step", args=[migration.pk, "copy"]))
    assert b"Waits for" in copy_page.content
    assert b"step 5\xe2\x80\x936 (Backup of Exchange)" in copy_page.content
    refused = admin_client.post(reverse("copy_control", args=[migration.pk, "start"]), follow=True)
    assert b"Waits for" in refused.content
    assert not MailboxCopy.objects.filter(state="copying").exists()
    for key in (
        "reception_off",
        "owa_off",
        "outlook_closed",
        "backup_made",
        "backup_complete",
        "backup_copied",
    ):
        post(admin_client, "confirm", migration.pk, key)
    states = {s.key: s.status for s in migration.step_states.all()}
    assert states["freeze"] == states["backup"] == "done"

    # Step 7: every mailbox opens, with its size.
    post(admin_client, "start_job", migration.pk, "mailbox_check")
    check = finished_job(migration, "mailbox_check")
    assert check.checks[0]["status"] == "pass", check.checks
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    assert sorted(copies.values_list("source_messages", flat=True)) == [6, 6, 6]
    assert all(c.source_bytes > 0 and c.target_quota_bytes for c in copies)
    mark(admin_client, migration, "imap")

    # Step 8: the copy, watched until every mailbox is done and verified.
    post(admin_client, "copy_control", migration.pk, "start")
    busy = ("waiting", "queued", "copying", "verifying")
    wait_until(lambda: not copies.filter(state__in=busy).exists(), 120)
    assert list(copies.values_list("state", "last_error")) == [("done", "")] * 3
    assert all(c.verified for c in copies.all())
    arrived = read_mailbox(target_imap, "anna.schmidt")
    assert len(arrived["INBOX"]) == 5
    assert [m.flags for m in arrived["INBOX"]] == [("\\Seen",)] * 5
    assert not [name for name in arrived if "Calendar" in name]
    mark(admin_client, migration, "copy")

    # Steps 9 to 16: the helpdesk ticks one item, Anna her own through her link, the admin the rest.
    anna = users.get(sam="anna.schmidt")
    post(helpdesk_client, "tick", migration.pk, anna.pk, CHECKLIST[0].key)
    link = admin_client.get(reverse("checklist", args=[migration.pk, anna.pk])).context[
        "signoff_link"
    ]
    Client().post(link, {"key": CHECKLIST[1].key})
    assert anna.checklist_ticks.get(key=CHECKLIST[1].key).by_link
    # Skipping the checklists does not switch Exchange off while a user's list is open.
    mark(admin_client, migration, "shared_folders", "skipped")
    mark(admin_client, migration, "checklists", "skipped")
    exchange_off = admin_client.get(reverse("step", args=[migration.pk, "exchange_off"]))
    assert b"3 Outlook checklists are not finished" in exchange_off.content
    refused = admin_client.post(
        reverse("confirm", args=[migration.pk, "exchange_disabled"]), follow=True
    )
    assert b"Exchange is still needed" in refused.content
    mark(admin_client, migration, "checklists", "in_progress")
    assert AuditEntry.objects.filter(action__startswith="reopened step 9").exists()
    for user in users.filter(selected=True):
        for entry in CHECKLIST:
            post(admin_client, "tick", migration.pk, user.pk, entry.key)
    mark(admin_client, migration, "checklists")

    # Steps 18 and 19.
    post(admin_client, "confirm", migration.pk, "exchange_disabled")
    assert StepState.objects.get(migration=migration, key="exchange_off").status == "done"
    post(
        admin_client,
        "mail_flow_settings",
        migration.pk,
        data={
            "mail_domain": "",
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
        },
    )
    post(admin_client, "start_job", migration.pk, "mail_flow")
    assert finished_job(migration, "mail_flow").checks[0]["status"] == "pass"
    mark(admin_client, migration, "mail_flow")

    overview = admin_client.get(reverse("migration", args=[migration.pk]))
    assert overview.content.count(b'class="badge done"') == 10  # shared folders: skipped
    actions = set(AuditEntry.objects.filter(migration=migration).values_list("action", flat=True))
    assert {"started the copy", "confirmed", "ticked"} <= actions
    assert AuditEntry.objects.filter(actor_label__contains="own sign-off link").exists()


@pytest.fixture
def ready_migration(admin_user, source_imap, target_imap):
    """A migration whose copy may start, with two users whose mailboxes hold mail."""
    for server in (source_imap, target_imap):
        server.add_user(server.admin_user, server.admin_password)
    migration = Migration.objects.create(name="Trial", mode="during_operation")
    for role, server in (("source", source_imap), ("target", target_imap)):
        migration.imap_servers.create(
            role=role,
            host=server.host,
            port=server.port,
            security="plain",
            login_mode="admin_master",
            admin_user=server.admin_user,
            admin_password=server.admin_password,
        )
    for key in ("servers", "accounts", "aliases", "imap"):
        StepState.objects.create(migration=migration, key=key, status="done")
    for name in ("trial.one", "trial.two"):
        login = f"{name}-{migration.pk}"
        source_imap.add_user(login, "unused")
        target_imap.add_user(login, "unused")
        seed_mailbox(
            source_imap,
            login,
            {
                "INBOX": [Seed(make_message(f"{name} {n}", size=20_000)) for n in range(20)],
            },
        )
        MailboxUser.objects.create(
            migration=migration,
            guid=login,
            sam=name,
            source_login=login,
            target_login=login,
            selected=True,
        )
    return migration


def test_a_trial_copy_measures_the_speed_for_the_time_plan(
    celery_worker, admin_client, ready_migration
):
    migration = ready_migration
    post(admin_client, "start_job", migration.pk, "mailbox_check")
    finished_job(migration, "mailbox_check")
    trial_user = migration.mailbox_users.order_by("sam").first()
    post(admin_client, "trial_copy", migration.pk, trial_user.pk)
    wait_until(lambda: Migration.objects.get(pk=migration.pk).trial_bytes_per_second, 60)

    page = admin_client.get(reverse("step", args=[migration.pk, "imap"]))
    assert "hours" in page.context["plan"]
    assert b"An offline weekend is enough." in page.content
    copy = MailboxCopy.objects.get(mailbox_user=trial_user)
    assert copy.state == "waiting"  # the real copy takes it again
    assert trial_user.copy_runs.get().kind == "trial"


def test_a_paused_copy_starts_nothing_until_it_is_resumed(
    celery_worker, admin_client, ready_migration
):
    migration = ready_migration
    post(admin_client, "copy_control", migration.pk, "pause")
    post(admin_client, "copy_control", migration.pk, "start")  # starting clears the pause
    copies = MailboxCopy.objects.filter(mailbox_user__migration=migration)
    wait_until(lambda: copies.filter(state="done").count() == 2, 60)

    post(admin_client, "copy_control", migration.pk, "pause")
    post(admin_client, "copy_control", migration.pk, "delta")
    assert set(copies.values_list("state", flat=True)) == {"waiting"}
    post(admin_client, "copy_control", migration.pk, "resume")
    wait_until(lambda: copies.filter(state="done").count() == 2, 60)
    runs = CopyRun.objects.filter(mailbox_user__migration=migration)
    assert sorted(runs.values_list("kind", "messages_copied")) == [
        ("delta", 0),
        ("delta", 0),
        ("full", 20),
        ("full", 20),
    ]
