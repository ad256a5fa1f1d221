"""Every directory page by role: the admin changes, the helpdesk reads the users (403 on the
rest), an account without a role sees nothing, anonymous visitors go to the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.directory_data import sample_snapshot
from wizard.directory_store import store_snapshot
from wizard.models import DirectoryImport, MailboxUser, Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    migration = Migration.objects.create(name="Corp", created_by=admin_user)
    store_snapshot(migration, sample_snapshot())
    return migration


def urls(migration) -> dict[str, str]:
    m = migration.pk
    user = MailboxUser.objects.get(migration=migration, sam="jdoe").pk
    job = DirectoryImport.objects.create(migration=migration, status="done").pk
    return {
        "overview": reverse("directory", args=[m]),
        "import": reverse("directory_import", args=[m, job]),
        "users": reverse("directory_users", args=[m]),
        "user": reverse("directory_user", args=[m, user]),
        "groups": reverse("directory_groups", args=[m]),
        "connection": reverse("directory_connection", args=[m]),
        "passwords": reverse("directory_passwords", args=[m]),
        "export users": reverse("directory_export_users", args=[m]),
        "export groups": reverse("directory_export_groups", args=[m]),
    }


def post_urls(migration) -> dict[str, str]:
    m = migration.pk
    return {
        "connection": reverse("directory_connection", args=[m]),
        "start import": reverse("directory_start_import", args=[m]),
        "select": reverse("directory_select_users", args=[m]),
        "user": reverse("directory_user", args=[m, MailboxUser.objects.get(sam="jdoe").pk]),
        "passwords": reverse("directory_passwords", args=[m]),
        "purge": reverse("directory_purge_passwords", args=[m]),
        "check accounts": reverse("directory_check_accounts", args=[m]),
    }


READABLE_BY_HELPDESK = {"overview", "import", "users", "user", "groups"}


def test_anonymous_visitors_are_sent_to_the_login_page(client, migration):
    for name, url in urls(migration).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_an_account_without_a_role_gets_403_everywhere(client, roleless_user, migration):
    client.force_login(roleless_user)
    for name, url in urls(migration).items():
        assert client.get(url).status_code == 403, name
    for name, url in post_urls(migration).items():
        assert client.post(url).status_code == 403, name


def test_the_helpdesk_reads_the_users_and_groups_but_nothing_else(helpdesk_client, migration):
    for name, url in urls(migration).items():
        expected = 200 if name in READABLE_BY_HELPDESK else 403
        assert helpdesk_client.get(url).status_code == expected, name
    before = list(MailboxUser.objects.values_list("sam", "selected", "display_name"))
    for name, url in post_urls(migration).items():
        response = helpdesk_client.post(url, {"users": [1], "selected": "0",
                                              "display_name": "x", "target_login": "x"})
        assert response.status_code == 403, name
    assert list(MailboxUser.objects.values_list("sam", "selected", "display_name")) == before
    assert not DirectoryImport.objects.filter(status="queued").exists()


def test_the_helpdesk_sees_no_edit_form_and_no_admin_buttons(helpdesk_client, migration):
    page = helpdesk_client.get(urls(migration)["user"]).content.decode()
    assert "jdoe.alias@corp.example" in page
    assert "<form method=\"post\"" not in page.split("</header>", 1)[1]
    users = helpdesk_client.get(urls(migration)["users"]).content.decode()
    assert "Select ticked users" not in users


def test_the_admin_reaches_every_page(admin_client, migration):
    for name, url in urls(migration).items():
        assert admin_client.get(url).status_code == 200, name


def test_the_users_table_filters_and_searches(admin_client, migration):
    url = urls(migration)["users"]
    page = admin_client.get(url, {"show": "disabled"}).content.decode()
    assert "bwayne" in page and "jdoe" not in page
    page = admin_client.get(url, {"q": "emea"}).content.decode()
    assert "jdoe" in page and "asmith" not in page


def test_the_admin_selects_and_deselects_ticked_users(admin_client, migration, admin_user):
    ids = list(MailboxUser.objects.filter(sam__in=["jdoe", "asmith"]).values_list("pk", flat=True))
    response = admin_client.post(
        reverse("directory_select_users", args=[migration.pk]), {"users": ids, "selected": "0"}
    )
    assert response.status_code == 302
    assert not MailboxUser.objects.filter(pk__in=ids, selected=True).exists()
    assert migration.audit.filter(action="deselected users", actor=admin_user).exists()


def test_the_admin_edits_a_user_and_bad_values_are_named(admin_client, migration):
    url = urls(migration)["user"]
    response = admin_client.post(url, {
        "selected": "on", "display_name": "John Doe", "primary_address": "not-an-address",
        "aliases": "ok@corp.example\nbroken", "source_login": "jdoe", "target_login": "asmith",
    })
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in page
    assert "“broken” is not an e-mail address." in page
    assert "asmith has this login already." in page

    response = admin_client.post(url, {
        "selected": "on", "display_name": "John Doe", "primary_address": "john@corp.example",
        "aliases": "jd@corp.example, john@corp.example", "source_login": "CORP\\jdoe",
        "target_login": "john.doe",
    })
    assert response.status_code == 302
    jdoe = MailboxUser.objects.get(sam="jdoe")
    assert jdoe.aliases == ["jd@corp.example"]
    assert set(jdoe.edited_fields) == {
        "display_name", "primary_address", "aliases", "source_login", "target_login"
    }


def test_the_import_page_polls_only_its_status_part_while_running(helpdesk_client, migration):
    job = DirectoryImport.objects.create(
        migration=migration, status="running", phase="users", entries_read=500
    )
    url = reverse("directory_import", args=[migration.pk, job.pk])
    page = helpdesk_client.get(url).content.decode()
    assert "<h1>Directory import</h1>" in page
    assert 'hx-trigger="every 1s"' in page
    part = helpdesk_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<h1>" not in part
    assert "Reading users: 500 entries so far" in part

    DirectoryImport.objects.filter(pk=job.pk).update(status="done", counts={"users": 4})
    part = helpdesk_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Done: 4 users" in part
    assert "hx-trigger" not in part


def test_the_users_table_shows_the_users_the_admin_edited(admin_client, admin_user, migration):
    from wizard import actions

    actions.edit_mailbox_user(MailboxUser.objects.get(sam="jdoe"), {"display_name": "J"},
                              admin_user)
    page = admin_client.get(urls(migration)["users"], {"show": "edited"}).content.decode()
    assert "jdoe" in page and "asmith" not in page
