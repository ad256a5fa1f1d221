"""The pages of a migration during operation: the routing step, the waves page (lists without
JavaScript, a drop saved at once, the CSV import), each user's cutover page and the dashboard's
phase, tried by the cast: an admin, the helpdesk (reads only), nobody logged in."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.dashboard_data import person
from wizard import actions
from wizard.models import AuditEntry, CutoverTick, MailboxCopy, Migration, StepState, Wave
from wizard.steps import STEP_BY_KEY

pytestmark = pytest.mark.django_db

Phase = MailboxCopy.Phase


@pytest.fixture
def migration(admin_user):
    return actions.create_migration("Live", Migration.Mode.DURING_OPERATION, admin_user)


@pytest.fixture
def people(migration):
    anna = person(migration, "anna", selected=True)
    bernd = person(migration, "bernd", selected=True)
    MailboxCopy.objects.create(mailbox_user=anna, state="done", phase=Phase.IN_SYNC)
    return anna, bernd


def url(name: str, *args) -> str:
    return reverse(name, args=args)


# --- the routing step -------------------------------------------------------------------------


def test_only_a_migration_during_operation_has_the_routing_step(admin_user, admin_client):
    offline = actions.create_migration("Weekend", Migration.Mode.OFFLINE, admin_user)
    page = admin_client.get(url("migration", offline.pk))
    assert page.context["steps"][3].state.status == StepState.Status.SKIPPED
    assert b"Waves and cutovers" not in page.content
    assert admin_client.get(url("waves", offline.pk)).status_code == 404


def test_the_routing_step_is_done_when_its_settings_are_confirmed(migration, admin_client):
    page = admin_client.get(url("migration", migration.pk))
    assert b"Waves and cutovers" in page.content
    step = admin_client.get(url("step", migration.pk, "routing"))
    assert b"forwards every mail domain" in step.content
    actions.set_step_status(migration, "servers", "done", migration.created_by)
    for key, _text in STEP_BY_KEY["routing"].confirmations:
        assert admin_client.post(url("confirm", migration.pk, key)).status_code == 302
    assert StepState.objects.get(migration=migration, key="routing").status == "done"


# --- the waves page ---------------------------------------------------------------------------


def test_the_admin_groups_users_with_the_lists_and_the_helpdesk_only_reads(
    migration, people, admin_client, helpdesk_client
):
    anna, bernd = people
    sales = actions.save_wave(migration, "Sales", date(2026, 5, 4), migration.created_by)
    page = admin_client.get(url("waves", migration.pk))
    assert page.status_code == 200
    assert f'name="wave-{anna.pk}"'.encode() in page.content
    assert b"data-wave-board" in page.content and b"In sync" in page.content

    saved = admin_client.post(url("waves_assign", migration.pk), {
        f"wave-{anna.pk}": str(sales.pk), f"wave-{bernd.pk}": "",
    })
    assert saved.status_code == 302
    assert list(sales.users.values_list("sam", flat=True)) == ["anna"]
    entry = AuditEntry.objects.get(action="grouped users into waves")
    assert entry.detail == "Into wave “Sales”: anna"

    readonly = helpdesk_client.get(url("waves", migration.pk))
    assert readonly.status_code == 200 and b"Sales" in readonly.content
    assert b"<select" not in readonly.content and b"data-wave-board" not in readonly.content
    for name, *args in (("waves_assign",), ("wave_create",), ("waves_import",),
                        ("waves_settings",), ("waves_copy", "prestage"),
                        ("wave_delete", sales.pk)):
        assert helpdesk_client.post(url(name, migration.pk, *args)).status_code == 403
    assert Client().get(url("waves", migration.pk)).status_code == 302  # to the login


def test_a_user_dropped_on_a_wave_is_saved_at_once(migration, people, admin_client):
    anna, _bernd = people
    sales = actions.save_wave(migration, "Sales", None, migration.created_by)
    dropped = admin_client.post(url("waves_assign", migration.pk),
                                {"user": anna.pk, "wave": sales.pk})
    assert dropped.status_code == 204
    anna.refresh_from_db()
    assert anna.wave == sales
    gone = admin_client.post(url("waves_assign", migration.pk), {"user": anna.pk, "wave": 999})
    assert gone.status_code == 409


def test_waves_are_created_renamed_and_deleted_keeping_their_users(
    migration, people, admin_client
):
    anna, _bernd = people
    admin_client.post(url("wave_create", migration.pk), {"name": "Sales", "planned_for": ""})
    sales = Wave.objects.get(migration=migration)
    refused = admin_client.post(url("wave_create", migration.pk), {"name": "sales"}, follow=True)
    assert "There is a wave called" in refused.content.decode()
    admin_client.post(url("wave_edit", migration.pk, sales.pk),
                      {"name": "Sales team", "planned_for": "2026-05-04"})
    sales.refresh_from_db()
    assert (sales.name, sales.planned_for) == ("Sales team", date(2026, 5, 4))
    actions.assign_waves(migration, {anna.pk: sales.pk}, migration.created_by)
    admin_client.post(url("wave_delete", migration.pk, sales.pk))
    anna.refresh_from_db()
    assert anna.wave is None and not Wave.objects.exists()


def test_a_wave_list_with_bad_rows_stores_nothing_until_the_good_rows_are_accepted(
    migration, people, admin_client
):
    def upload(text: str, **extra):
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {"file": SimpleUploadedFile("waves.csv", text.encode()), **extra}
        return admin_client.post(url("waves_import", migration.pk), data)

    content = "user,wave,date\nanna,Sales,2026-05-04\nnobody,Sales,\nbernd,Support,4.5.2026\n"
    refused = upload(content)
    assert refused.status_code == 400
    assert "Row 3: no user “nobody” in the directory import" in refused.content.decode()
    assert "2 rows are good" in refused.content.decode()
    assert not Wave.objects.exists()

    assert upload(content, accept_good_rows="on").status_code == 302
    waves = {w.name: w for w in Wave.objects.filter(migration=migration)}
    assert {n: w.planned_for for n, w in waves.items()} == {
        "Sales": date(2026, 5, 4), "Support": date(2026, 5, 4)
    }
    assert set(waves["Sales"].users.values_list("sam", flat=True)) == {"anna"}
    assert AuditEntry.objects.get(action="imported waves").detail == (
        "Users: 2, new waves: 2, bad rows left out: 1"
    )


def test_the_sync_settings_switch_the_nightly_delta_and_cap_the_bandwidth(
    migration, admin_client
):
    saved = admin_client.post(url("waves_settings", migration.pk), {"bandwidth_cap_kb": "512"})
    assert saved.status_code == 302
    migration.refresh_from_db()
    assert (migration.scheduled_deltas, migration.bandwidth_cap_kb) == (False, 512)
    bad = admin_client.post(url("waves_settings", migration.pk), {"bandwidth_cap_kb": "1"})
    assert bad.status_code == 400 and b"Between 16 KB/s" in bad.content


# --- the cutover page and the dashboard ---------------------------------------------------------


def test_the_cutover_page_lists_the_steps_in_order_and_only_admins_get_buttons(
    migration, people, admin_client, helpdesk_client
):
    anna, bernd = people
    page = admin_client.get(url("cutover", migration.pk, anna.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("A last delta copy") < text.index("closed Outlook") < text.index(
        "e-mail addresses to their account on the Intra2net server"
    ) < text.index("The final delta copy") < text.index("Outlook checklist</a>: 0 of 7")
    assert "The cutover waits for step 28.2" in text  # the routing step is not done

    MailboxCopy.objects.filter(mailbox_user=anna).update(phase=Phase.CUTTING_OVER)
    CutoverTick.objects.create(mailbox_user=anna, key="last_delta", ticked_by="copy worker")
    admin_page = admin_client.get(url("cutover", migration.pk, anna.pk)).content.decode()
    assert "Confirm</button>" in admin_page and "Cancel the cutover" in admin_page
    helpdesk_page = helpdesk_client.get(url("cutover", migration.pk, anna.pk))
    assert helpdesk_page.status_code == 200
    assert "<button" not in helpdesk_page.content.decode().split("<main>")[1]
    answer = helpdesk_client.post(url("cutover_action", migration.pk, anna.pk, "confirm"),
                                  {"key": "outlook_closed"})
    assert answer.status_code == 403
    assert admin_client.get(url("cutover", migration.pk, bernd.pk)).status_code == 200


def test_a_cutover_item_is_confirmed_by_an_admin_in_its_order(migration, people, admin_client):
    anna, _bernd = people
    MailboxCopy.objects.filter(mailbox_user=anna).update(phase=Phase.CUTTING_OVER)
    early = admin_client.post(url("cutover_action", migration.pk, anna.pk, "confirm"),
                              {"key": "outlook_closed"}, follow=True)
    assert "in their order" in early.content.decode()
    CutoverTick.objects.create(mailbox_user=anna, key="last_delta", ticked_by="copy worker")
    admin_client.post(url("cutover_action", migration.pk, anna.pk, "confirm"),
                      {"key": "outlook_closed"})
    tick = CutoverTick.objects.get(mailbox_user=anna, key="outlook_closed")
    assert tick.ticked_by == "alice-admin"
    refused = admin_client.post(url("cutover_action", migration.pk, anna.pk, "finish"),
                                follow=True)
    assert "The final delta copy has not run yet." in refused.content.decode()


def test_the_dashboard_shows_where_each_user_stands_in_the_move(migration, people, admin_client):
    anna, _bernd = people
    page = admin_client.get(url("dashboard", migration.pk)).content.decode()
    assert f'href="{url("cutover", migration.pk, anna.pk)}"' in page
    assert "badge phase-in_sync" in page and "badge phase-planned" in page
    only = admin_client.get(url("dashboard", migration.pk) + "?show=phase-in_sync")
    assert [row.user.sam for row in only.context["rows"]] == ["anna"]
