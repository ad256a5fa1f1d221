"""Every page is reachable only by the roles that should see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wizard.models import AuditEntry, Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    return Migration.objects.create(name="Corp", created_by=admin_user)


def test_anonymous_visitors_are_sent_to_the_login_page(client, migration):
    urls = (reverse("start"), reverse("new_migration"), reverse("migration", args=[migration.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_account_without_a_role_sees_nothing(client, roleless_user, migration):
    client.force_login(roleless_user)
    assert client.get(reverse("start")).status_code == 403
    assert client.get(reverse("migration", args=[migration.pk])).status_code == 403


def test_the_admin_sees_the_start_page_and_can_create_a_migration(admin_client):
    page = admin_client.get(reverse("start"))
    assert page.status_code == 200
    assert b"New migration" in page.content

    response = admin_client.post(reverse("new_migration"), {"name": "Corp 2026", "mode": "offline"})
    created = Migration.objects.get(name="Corp 2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("migration", args=[created.pk])
    entry = AuditEntry.objects.get(migration=created)
    assert (entry.actor_label, entry.action) == ("alice-admin", "created the migration")


def test_the_form_says_what_is_wrong(admin_client):
    response = admin_client.post(reverse("new_migration"), {"name": "", "mode": "sideways"})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert b"Select a valid choice" in response.content
    assert not Migration.objects.exists()


def test_the_helpdesk_reads_but_gets_403_on_admin_pages(helpdesk_client, migration):
    page = helpdesk_client.get(reverse("start"))
    assert page.status_code == 200
    assert b"New migration" not in page.content
    assert helpdesk_client.get(reverse("migration", args=[migration.pk])).status_code == 200
    assert helpdesk_client.get(reverse("new_migration")).status_code == 403
    response = helpdesk_client.post(reverse("new_migration"), {"name": "x", "mode": "offline"})
    assert response.status_code == 403
    assert Migration.objects.count() == 1


@pytest.mark.parametrize("step", ["servers", "mail_flow"])
def test_the_helpdesk_reads_the_settings_in_fields_it_cannot_change(
    step, helpdesk_client, admin_client, migration
):
    address = reverse("step", args=[migration.pk, step])
    read_only = helpdesk_client.get(address).content.decode()
    assert '<fieldset class="form-fields" disabled>' in read_only
    assert "<input" in read_only and ">Save</button>" not in read_only
    editable = admin_client.get(address).content.decode()
    assert '<fieldset class="form-fields">' in editable and ">Save</button>" in editable
