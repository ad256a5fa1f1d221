"""The wizard's steps: locks in the manual's order, confirmations, reopening, the audit log, the
checklists and sign-off links, bad input, and who may do what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from wizard import actions
from wizard.models import AuditEntry, ImapServer, MailboxCopy, MailboxUser, Migration, StepState
from wizard.signoff import make_signoff_token
from wizard.steps import CHECKLIST, STEPS

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    return actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)


def person(migration, sam: str) -> MailboxUser:
    return MailboxUser.objects.create(
        migration=migration,
        guid=f"guid-{sam}",
        sam=sam,
        display_name=sam.title(),
        primary_address=f"{sam}@corp.example",
        selected=True,
    )


def done(migration, actor, *keys: str) -> None:
    for key in keys:
        actions.set_step_status(migration, key, StepState.Status.DONE, actor)


# --- locks ------------------------------------------------------------------------------------


def test_steps_unlock_in_the_manuals_order(migration, admin_user):
    with pytest.raises(actions.ActionRefused, match="Waits for step 1"):
        actions.set_step_status(migration, "accounts", StepState.Status.DONE, admin_user)
    done(migration, admin_user, "servers", "accounts")
    assert StepState.objects.get(migration=migration, key="accounts").changed_by == "alice-admin"


def test_offline_the_copy_waits_for_the_freeze_and_the_backup(migration, admin_user):
    done(migration, admin_user, "servers", "accounts", "aliases", "imap")
    with pytest.raises(actions.ActionRefused, match="Backup of Exchange"):
        actions.start_copy(migration, admin_user)
    with pytest.raises(actions.ActionRefused, match="Waits for step 4"):
        actions.confirm(migration, "backup_made", admin_user)
    for key in ("reception_off", "owa_off", "outlook_closed"):
        actions.confirm(migration, key, admin_user)
    for key in ("backup_made", "backup_complete", "backup_copied"):
        actions.confirm(migration, key, admin_user)
    assert actions.start_copy(migration, admin_user) == 0


def test_during_operation_there_is_no_freeze(admin_user):
    migration = actions.create_migration("Live", Migration.Mode.DURING_OPERATION, admin_user)
    done(migration, admin_user, "servers", "accounts", "imap")
    actions.start_copy(migration, admin_user)
    page = Client()
    page.force_login(admin_user)
    overview = page.get(reverse("migration", args=[migration.pk]))
    assert overview.content.count(b'class="badge skipped"') == 2


def test_a_step_with_confirmations_is_done_only_when_all_are_given(migration, admin_user):
    done(migration, admin_user, "servers", "accounts", "aliases")
    actions.confirm(migration, "reception_off", admin_user)
    with pytest.raises(actions.ActionRefused, match="2 confirmations are missing"):
        actions.set_step_status(migration, "freeze", StepState.Status.DONE, admin_user)
    assert StepState.objects.get(migration=migration, key="freeze").status == "in_progress"
    actions.withdraw_confirmation(migration, "reception_off", admin_user)
    assert not migration.confirmations.exists()


def test_exchange_cannot_be_switched_off_while_a_copy_is_unfinished(migration, admin_user):
    anna = person(migration, "anna")
    MailboxCopy.objects.create(mailbox_user=anna, state=MailboxCopy.State.FAILED)
    for step in STEPS:
        if step.key not in ("exchange_off", "mail_flow"):
            StepState.objects.create(migration=migration, key=step.key, status="skipped")
    with pytest.raises(actions.ActionRefused, match="1 mailboxes are not copied"):
        actions.confirm(migration, "exchange_disabled", admin_user)


def test_reopening_a_step_is_recorded(migration, admin_user):
    done(migration, admin_user, "servers")
    actions.set_step_status(migration, "servers", StepState.Status.IN_PROGRESS, admin_user, "typo")
    entry = AuditEntry.objects.filter(action__startswith="reopened").get()
    assert (entry.action, entry.detail) == (
        "reopened step 1 (Servers and preflight checks)",
        "typo",
    )


# --- pages, forms and roles -------------------------------------------------------------------


def test_every_step_page_renders_for_admin_and_helpdesk(migration, admin_client, helpdesk_client):
    for step in STEPS:
        url = reverse("step", args=[migration.pk, step.key])
        assert admin_client.get(url).status_code == 200, step.key
        page = helpdesk_client.get(url)
        assert page.status_code == 200
        assert b"Mark done" not in page.content
    assert admin_client.get(reverse("step", args=[migration.pk, "nonsense"])).status_code == 404


def test_a_server_form_says_what_is_wrong_and_saves_nothing(migration, admin_client):
    response = admin_client.post(
        reverse("save_server", args=[migration.pk, "source"]),
        {
            "source-host": "mail.corp.example:993",
            "source-port": "99999",
            "source-security": "imaps",
            "source-login_mode": "admin_plain",
            "source-admin_user": "",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "without a port" in text
    assert "from 1 to 65535" in text
    assert "Name the administrator" in text
    assert not ImapServer.objects.exists()


def test_a_saved_password_stays_when_the_field_is_left_empty(migration, admin_client):
    form = {
        "target-host": "i2n.corp.example",
        "target-port": "993",
        "target-security": "imaps",
        "target-verify_tls": "on",
        "target-login_mode": "admin_plain",
        "target-admin_user": "cyrus",
        "target-admin_password": "S3cret-admin",
        "target-master_separator": "*",
    }
    admin_client.post(reverse("save_server", args=[migration.pk, "target"]), form)
    form["target-admin_password"] = ""
    form["target-port"] = "9993"
    admin_client.post(reverse("save_server", args=[migration.pk, "target"]), form)
    server = ImapServer.objects.get(migration=migration, role="target")
    assert (server.port, server.admin_password.reveal()) == (9993, "S3cret-admin")
    page = admin_client.get(reverse("step", args=[migration.pk, "servers"]))
    assert b"S3cret-admin" not in page.content


def test_copy_settings_are_validated(migration, admin_client):
    response = admin_client.post(
        reverse("copy_settings", args=[migration.pk]), {"parallel_copies": 0, "max_message_mb": 5}
    )
    assert response.status_code == 400
    assert b"Between 1 and 32" in response.content


def changing_urls(migration, user) -> list[str]:
    args = [migration.pk]
    return [
        reverse("new_migration"),
        reverse("step_status", args=[*args, "servers"]),
        reverse("confirm", args=[*args, "reception_off"]),
        reverse("save_server", args=[*args, "source"]),
        reverse("start_job", args=[*args, "preflight"]),
        reverse("copy_settings", args=args),
        reverse("copy_control", args=[*args, "start"]),
        reverse("trial_copy", args=[*args, user.pk]),
        reverse("mail_flow_settings", args=args),
        reverse("untick", args=[*args, user.pk, CHECKLIST[0].key]),
    ]


def test_the_helpdesk_gets_403_on_every_change_but_may_tick(migration, helpdesk_client):
    anna = person(migration, "anna")
    for url in changing_urls(migration, anna):
        assert helpdesk_client.post(url, {"status": "done"}).status_code == 403, url
    assert helpdesk_client.get(reverse("audit", args=[migration.pk])).status_code == 403
    assert not AuditEntry.objects.exclude(action="created the migration").exists()
    response = helpdesk_client.post(reverse("tick", args=[migration.pk, anna.pk, "export"]))
    assert response.status_code == 302
    assert anna.checklist_ticks.get().ticked_by == "harry-helpdesk"


def test_anonymous_visitors_are_sent_to_log_in(migration, client):
    anna = person(migration, "anna")
    urls = [*changing_urls(migration, anna), reverse("checklist", args=[migration.pk, anna.pk])]
    for url in urls:
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- checklists and sign-off links ------------------------------------------------------------


def test_a_sign_off_link_shows_one_users_checklist_and_ticks_only_theirs(migration, client):
    anna, bert = person(migration, "anna"), person(migration, "bert")
    url = reverse("signoff", args=[make_signoff_token(anna.pk)])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Anna" in page.content
    assert b"Bert" not in page.content
    assert b"/migrations/" not in page.content
    client.post(url, {"key": "install_client"})
    assert list(anna.checklist_ticks.values_list("key", "by_link")) == [("install_client", True)]
    assert not bert.checklist_ticks.exists()
    assert client.get(reverse("checklist", args=[migration.pk, bert.pk])).status_code == 302


def test_a_forged_sign_off_link_is_refused(migration, client):
    anna = person(migration, "anna")
    token = make_signoff_token(anna.pk)
    response = client.get(reverse("signoff", args=[token[:-2] + "xx"]))
    assert response.status_code == 403
    assert b"not valid" in response.content


def test_the_checklist_prints_without_buttons(migration, admin_client):
    anna = person(migration, "anna")
    actions.tick(anna, "export", "harry")
    page = admin_client.get(reverse("checklist", args=[migration.pk, anna.pk]) + "?print=1")
    text = page.content.decode()
    assert "1 of 7 done" in text
    assert "harry" in text
    assert "Tick</button>" not in text


def test_the_audit_log_filters_by_who_and_user(migration, admin_client, admin_user):
    anna = person(migration, "anna")
    actions.tick(anna, "export", "harry")
    actions.tick(anna, "import", admin_user)
    page = admin_client.get(reverse("audit", args=[migration.pk]), {"who": "harry"})
    entries = list(page.context["page"])
    assert [(e.actor_label, e.subject) for e in entries] == [("harry", "anna")]
    page = admin_client.get(reverse("audit", args=[migration.pk]), {"q": "created"})
    assert [e.action for e in page.context["page"]] == ["created the migration"]
