"""Step 17, the shared folders, against real Dovecot servers and the real Celery worker: public
folders found in the source's public namespace, chosen, copied once into shared folders on the
target (never into users' mailboxes), verified, and shared with groups through IMAP ACL
(checked with GETACL); without ACL the rights are listed; without a public namespace the step
is a checklist signed off by the helpdesk."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.directory_data import sample_snapshot
from tests.helpers import wait_until
from tests.servers import dovecot
from tests.servers.mail import folder_names, make_message, read_mailbox
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import (
    AuditEntry,
    DirectoryGroup,
    Migration,
    SharedFolder,
    SharedFolderGrant,
    SharedFolderSetup,
)

PUBLIC = {  # public folder -> messages in it
    "Projekte": 3,
    "Projekte/2024": 2,
    "Vertrieb & Marketing": 1,
    "Archiv": 4,
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Exchange 2003-like with public folders; an Intra2net-like target with ACL; a target
    without ACL; and an Exchange without public namespace."""
    base = tmp_path_factory.mktemp("shared")
    with dovecot.start_exchange_like(base / "public", public_folders=True) as public, \
            dovecot.start_intra2net_like(base / "target") as target, \
            dovecot.start_exchange_like(base / "plain") as plain, \
            dovecot.start_exchange_like(base / "modern") as modern:
        for server in (public, target, plain, modern):
            server.add_user(server.admin_user, server.admin_password)
            server.add_user("jdoe", "unused")
        client = public.connect(public.admin_user)
        for name, count in PUBLIC.items():
            folder = public.add_public_folder(name)
            for n in range(count):
                client.append(folder, make_message(f"{name} {n}"), ("\\Seen",) if n else ())
        client.append("INBOX", make_message("the admin's own mail"))
        client.logout()
        yield {"public": public, "target": target, "plain": plain, "modern": modern}


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


def make_migration(client: Client, admin_user, source, target, name: str = "Corp") -> Migration:
    migration = actions.create_migration(name, Migration.Mode.OFFLINE, admin_user)
    for role, server in (("source", source), ("target", target)):
        response = client.post(reverse("save_server", args=[migration.pk, role]),
                               server_form(role, server))
        assert response.status_code == 302, response.content.decode()[:1000]
    store_snapshot(migration, sample_snapshot())  # groups "Sales" and "EMEA Sales"
    return migration


def url(name: str, migration, *args) -> str:
    return reverse(name, args=[migration.pk, *args])


def post(client: Client, name: str, migration, *args, data=None, status: int = 302):
    response = client.post(url(name, migration, *args), data or {})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def setup_of(migration) -> SharedFolderSetup:
    return SharedFolderSetup.objects.get(migration=migration)


def settled(migration, timeout: float = 60) -> SharedFolderSetup:
    def idle() -> SharedFolderSetup | None:
        setup = setup_of(migration)
        return None if setup.busy else setup

    return wait_until(idle, timeout)


def look(client: Client, migration) -> SharedFolderSetup:
    post(client, "shared_folders_look", migration)
    return settled(migration)


def folder(migration, name: str) -> SharedFolder:
    return SharedFolder.objects.get(migration=migration, name=name)


def choose(client: Client, migration, targets: dict[str, str]) -> None:
    data = {}
    for row in SharedFolder.objects.filter(migration=migration, kind="imap"):
        data[f"target_{row.pk}"] = targets.get(row.name, row.target_name)
        if row.name in targets:
            data[f"chosen_{row.pk}"] = "on"
    post(client, "shared_folders_choose", migration, data=data)


def acl(server, folder_name: str) -> dict[str, set[str]]:
    """GETACL: identifier -> rights, without RFC 2086's obsolete "c" and "d" that Dovecot adds
    for "k"/"x" and "t"/"e" (imapclient keeps a quoted identifier's quotes)."""
    client = server.connect(server.admin_user)
    try:
        return {
            who.decode().strip('"'): set(rights.decode()) - {"c", "d"}
            for who, rights in client.getacl(folder_name)
        }
    finally:
        client.logout()


@pytest.mark.django_db(transaction=True)
def test_public_folders_are_copied_once_into_shared_folders_and_shared_with_groups(
    celery_worker, admin_client, admin_user, helpdesk_client, servers
):
    public, target = servers["public"], servers["target"]
    migration = make_migration(admin_client, admin_user, public, target)

    # The look: the public namespace, each folder with its size; the target has ACL.
    setup = look(admin_client, migration)
    assert setup.state == "idle", setup.message
    assert setup.method == "imap"
    assert setup.source_namespaces == ["Public Folders/"]
    assert setup.target_acl is True
    assert setup.target_prefix == "INBOX.Public Folders."
    found = {
        f.name: (f.messages, f.bytes > 0, f.target_name)
        for f in SharedFolder.objects.filter(migration=migration)
    }
    assert found == {
        "Public Folders/Projekte": (3, True, "INBOX.Public Folders.Projekte"),
        "Public Folders/Projekte/2024": (2, True, "INBOX.Public Folders.Projekte.2024"),
        "Public Folders/Vertrieb & Marketing": (
            1, True, "INBOX.Public Folders.Vertrieb & Marketing"
        ),
        "Public Folders/Archiv": (4, True, "INBOX.Public Folders.Archiv"),
    }
    page = helpdesk_client.get(url("shared_folders", migration)).content.decode()
    assert "Public Folders/Vertrieb &amp; Marketing" in page

    # The choice: three folders, one renamed; the archive stays behind.
    choose(admin_client, migration, {
        "Public Folders/Projekte": "INBOX.Public Folders.Projekte",
        "Public Folders/Projekte/2024": "INBOX.Public Folders.Projekte.2024",
        "Public Folders/Vertrieb & Marketing": "INBOX.Public Folders.Vertrieb",
    })
    sales = DirectoryGroup.objects.get(migration=migration, name="Sales")
    emea = DirectoryGroup.objects.get(migration=migration, name="EMEA Sales")
    post(admin_client, "shared_folders_grant", migration,
         data={"folder": "all", "group": sales.pk, "rights": "write"})
    post(admin_client, "shared_folders_grant", migration,
         data={"folder": folder(migration, "Public Folders/Projekte").pk, "group": emea.pk,
               "rights": "read"})
    assert SharedFolderGrant.objects.count() == 4

    # The copy, with the rights after it.
    post(admin_client, "shared_folders_copy", migration)
    setup = settled(migration, 120)
    assert setup.state == "done", setup.message
    assert setup.verified is True
    assert (setup.folders_done, setup.folders_total) == (3, 3)
    assert setup.messages_done == setup.messages_total == 6
    copied = read_mailbox(target, target.admin_user)
    assert {name: len(messages) for name, messages in copied.items() if "Public" in name} == {
        "INBOX.Public Folders": 0,  # the parent, created for them
        "INBOX.Public Folders.Projekte": 3,
        "INBOX.Public Folders.Projekte.2024": 2,
        "INBOX.Public Folders.Vertrieb": 1,
    }
    assert [m.flags for m in copied["INBOX.Public Folders.Projekte"]] == [
        (), ("\\Seen",), ("\\Seen",)
    ]
    assert "INBOX" in copied and not copied["INBOX"]  # the admin's own mail stays on Exchange
    # Never into a user's mailbox.
    assert not [name for name in folder_names(target, "jdoe") if "Public" in name]
    rows = SharedFolder.objects.filter(migration=migration, chosen=True)
    assert all(row.verified and row.failed == 0 for row in rows)
    assert folder(migration, "Public Folders/Archiv").verified is None

    # The rights, read back from the target.
    assert acl(target, "INBOX.Public Folders.Projekte") == {
        "admin": set("lrwstipekxa"),
        "group:Sales": set("lrswite"),
        "group:EMEA Sales": set("lrs"),
    }
    assert acl(target, "INBOX.Public Folders.Vertrieb")["group:Sales"] == set("lrswite")
    assert "group:EMEA Sales" not in acl(target, "INBOX.Public Folders.Vertrieb")
    assert all(g.applied_ok for g in SharedFolderGrant.objects.all())

    # The step page and the shared folders page show where it stands.
    step = helpdesk_client.get(reverse("step", args=[migration.pk, "shared_folders"]))
    assert "3 of 3 chosen folders copied and verified." in step.content.decode()
    page = helpdesk_client.get(url("shared_folders", migration)).content.decode()
    assert "3 copied, 0 there already, verified" in page
    assert "Set these by hand" not in page

    # A second copy adds nothing; rights changed later are set on their own.
    post(admin_client, "shared_folders_copy", migration)
    setup = settled(migration, 120)
    assert setup.state == "done", setup.message
    assert folder(migration, "Public Folders/Projekte").already_present == 3
    assert len(read_mailbox(target, target.admin_user)["INBOX.Public Folders.Projekte"]) == 3
    post(admin_client, "shared_folders_grant", migration,
         data={"folder": folder(migration, "Public Folders/Projekte/2024").pk, "group": emea.pk,
               "rights": "admin"})
    post(admin_client, "shared_folders_apply", migration)
    assert settled(migration).state == "done"
    assert acl(target, "INBOX.Public Folders.Projekte.2024")["group:EMEA Sales"] == set(
        "lrswipkxtea"
    )
    actions_done = set(AuditEntry.objects.filter(migration=migration).values_list("action",
                                                                                  flat=True))
    assert {
        "looked for public folders on Exchange", "chose the public folders to copy",
        "shared folders with a group", "started the copy of the shared folders",
        "set the rights on the shared folders",
    } <= actions_done


@pytest.mark.django_db(transaction=True)
def test_without_acl_on_the_target_the_rights_are_listed_for_the_admin(
    celery_worker, admin_client, admin_user, servers
):
    public, plain = servers["public"], servers["plain"]
    migration = make_migration(admin_client, admin_user, public, plain, "No ACL")
    setup = look(admin_client, migration)
    assert (setup.target_acl, setup.target_prefix) == (False, "Public Folders/")
    post(admin_client, "shared_folders_settings", migration,
         data={"target_prefix": "Gemeinsam", "acl_identifier": "group:{group}"})
    assert folder(migration, "Public Folders/Archiv").target_name == "Gemeinsam/Archiv"
    choose(admin_client, migration, {"Public Folders/Archiv": "Gemeinsam/Archiv"})
    sales = DirectoryGroup.objects.get(migration=migration, name="Sales")
    post(admin_client, "shared_folders_grant", migration,
         data={"folder": "all", "group": sales.pk, "rights": "flags"})

    post(admin_client, "shared_folders_copy", migration)
    setup = settled(migration, 120)

    assert setup.state == "done", setup.message
    assert "set the rights listed below by hand" in setup.message
    assert len(read_mailbox(plain, plain.admin_user)["Gemeinsam/Archiv"]) == 4
    page = admin_client.get(url("shared_folders", migration)).content.decode()
    assert "Set these by hand" in page
    assert "<td>Gemeinsam/Archiv</td><td>Sales</td><td>read and change flags</td>" in page
    assert "<code>lrsw</code>" in page


@pytest.mark.django_db(transaction=True)
def test_without_a_public_namespace_the_step_is_a_checklist_signed_off_by_the_helpdesk(
    celery_worker, admin_client, admin_user, helpdesk_client, servers
):
    migration = make_migration(admin_client, admin_user, servers["modern"], servers["target"],
                               "Modern")
    setup = look(admin_client, migration)
    assert setup.method == "outlook"
    assert "no public namespace" in setup.message
    assert not SharedFolder.objects.filter(migration=migration).exists()
    refused = helpdesk_client.post(url("shared_folders_add", migration),
                                   {"folders": "Projekte"})
    assert refused.status_code == 403

    post(admin_client, "shared_folders_add", migration,
         data={"folders": "Alle Öffentlichen Ordner/Projekte; harry\nVertrieb, Nord\n"})
    post(admin_client, "shared_folders_add", migration, data={
        "file": SimpleUploadedFile(
            "folders.csv", b"folder;who\r\nEinkauf;anna\r\nVertrieb, Nord;peter\r\n"
        ),
    })
    rows = {f.name: f.mover for f in SharedFolder.objects.filter(migration=migration)}
    assert rows == {
        "Alle Öffentlichen Ordner/Projekte": "harry",
        "Vertrieb, Nord": "peter",
        "Einkauf": "anna",
    }
    einkauf = folder(migration, "Einkauf")
    post(helpdesk_client, "shared_folders_sign_off", migration, einkauf.pk)
    einkauf.refresh_from_db()
    assert (einkauf.signed_off_by, einkauf.signed_off_at is not None) == ("harry-helpdesk", True)
    assert helpdesk_client.post(
        url("shared_folders_withdraw", migration, einkauf.pk)
    ).status_code == 403
    for page in ("step", "dashboard"):
        args = [migration.pk, "shared_folders"] if page == "step" else [migration.pk]
        shown = helpdesk_client.get(reverse(page, args=args)).content.decode()
        assert "1 of 3 folders moved through Outlook are signed off." in shown, page

    post(admin_client, "shared_folders_withdraw", migration, einkauf.pk)
    assert folder(migration, "Einkauf").signed_off_at is None
    post(admin_client, "shared_folders_remove", migration, einkauf.pk)
    assert not SharedFolder.objects.filter(name="Einkauf").exists()
    audit = list(AuditEntry.objects.filter(migration=migration).values_list("action",
                                                                            "actor_label"))
    assert ("signed off a shared folder", "harry-helpdesk") in audit
    assert ("withdrew the sign-off of a shared folder", "alice-admin") in audit
    assert ("listed public folders to move through Outlook", "alice-admin") in audit
    # Rights on folders moved through Outlook are listed for the admin to set.
    sales = DirectoryGroup.objects.get(migration=migration, name="Sales")
    post(admin_client, "shared_folders_grant", migration,
         data={"folder": folder(migration, "Vertrieb, Nord").pk, "group": sales.pk,
               "rights": "read"})
    page = admin_client.get(url("shared_folders", migration)).content.decode()
    assert "<td>Vertrieb, Nord</td><td>Sales</td><td>read</td>" in page


# --- who may do what, without servers ----------------------------------------------------------


@pytest.fixture
def quiet_migration(admin_user):
    migration = actions.create_migration("Quiet", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, sample_snapshot())
    SharedFolder.objects.create(migration=migration, kind="outlook", name="Einkauf")
    return migration


ADMIN_POSTS = (
    ("shared_folders_look", ()),
    ("shared_folders_settings", ()),
    ("shared_folders_method", ()),
    ("shared_folders_choose", ()),
    ("shared_folders_copy", ()),
    ("shared_folders_grant", ()),
    ("shared_folders_apply", ()),
    ("shared_folders_add", ()),
)


@pytest.mark.django_db
def test_the_helpdesk_reads_and_signs_off_but_changes_nothing_else(
    helpdesk_client, quiet_migration
):
    migration = quiet_migration
    einkauf = folder(migration, "Einkauf")
    assert helpdesk_client.get(url("shared_folders", migration)).status_code == 200
    assert helpdesk_client.get(url("shared_folders_status", migration)).status_code == 200
    for name, args in (
        *ADMIN_POSTS,
        ("shared_folders_withdraw", (einkauf.pk,)),
        ("shared_folders_remove", (einkauf.pk,)),
    ):
        assert helpdesk_client.post(url(name, migration, *args)).status_code == 403, name
    grant = SharedFolderGrant.objects.create(
        folder=einkauf, group=DirectoryGroup.objects.get(migration=migration, name="Sales")
    )
    assert helpdesk_client.post(
        url("shared_folders_revoke", migration, grant.pk)
    ).status_code == 403
    assert helpdesk_client.post(
        url("shared_folders_sign_off", migration, einkauf.pk)
    ).status_code == 302


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login(quiet_migration):
    anonymous = Client()
    migration = quiet_migration
    einkauf = folder(migration, "Einkauf")
    for name in ("shared_folders", "shared_folders_status"):
        response = anonymous.get(url(name, migration))
        assert response.status_code == 302 and "/login/" in response["Location"]
    for name, args in (*ADMIN_POSTS, ("shared_folders_sign_off", (einkauf.pk,))):
        response = anonymous.post(url(name, migration, *args))
        assert response.status_code == 302 and "/login/" in response["Location"], name


@pytest.mark.django_db
def test_copying_needs_chosen_folders_and_the_administrators_logins(
    admin_client, quiet_migration
):
    response = admin_client.post(url("shared_folders_copy", quiet_migration), follow=True)
    assert "Enter both IMAP servers in step 1 first." in response.content.decode()
    response = admin_client.post(url("shared_folders_look", quiet_migration), follow=True)
    assert "Enter both IMAP servers in step 1 first." in response.content.decode()
    assert not SharedFolderSetup.objects.filter(migration=quiet_migration).exclude(
        state="idle"
    ).exists()


@pytest.mark.django_db
def test_a_bad_prefix_or_group_form_is_refused(admin_client, quiet_migration):
    response = admin_client.post(url("shared_folders_settings", quiet_migration),
                                 {"target_prefix": "x", "acl_identifier": "group Sales"})
    assert response.status_code == 400
    assert "Write it with {group}" in response.content.decode()
