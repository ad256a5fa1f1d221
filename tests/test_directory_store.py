"""What an import writes: users matched by objectGUID, never duplicated, changes listed, and the
admin's edits kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.directory_data import changed, sample_snapshot, user
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import DirectoryGroup, LeftOutEntry, MailboxUser, Migration

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(admin_user):
    return Migration.objects.create(name="Corp", created_by=admin_user)


def texts(changes) -> list[tuple[str, str, str]]:
    return [(c["kind"], c["name"], c["text"]) for c in changes.entries]


def test_a_first_import_creates_users_groups_memberships_and_what_was_left_out(migration):
    changes = store_snapshot(migration, sample_snapshot())

    jdoe = MailboxUser.objects.get(migration=migration, sam="jdoe")
    assert jdoe.primary_address == "jdoe@corp.example"
    assert jdoe.aliases == ["jdoe.alias@corp.example"]
    assert jdoe.x500[0].startswith("/o=Corp/ou=Exchange Administrative Group")
    assert (jdoe.source_login, jdoe.target_login) == ("jdoe@corp.example.test", "jdoe")
    assert sorted(g.name for g in jdoe.groups.all()) == ["EMEA Sales", "Sales"]
    assert sorted(m.sam for m in DirectoryGroup.objects.get(name="Sales").members.all()) == [
        "asmith", "jdoe"
    ]
    assert list(LeftOutEntry.objects.values_list("name", "reason")) == [
        ("krbtgt", "Kerberos service account")
    ]
    assert changes.counts["users_added"] == 4
    assert changes.counts["users"] == 4


def test_disabled_users_and_users_without_an_address_are_not_selected(migration):
    store_snapshot(migration, sample_snapshot())
    selected = dict(MailboxUser.objects.values_list("sam", "selected"))
    assert selected == {"asmith": True, "bwayne": False, "jdoe": True, "svc-scan": False}
    assert MailboxUser.objects.get(sam="bwayne").disabled


def test_importing_the_same_directory_again_changes_nothing(migration):
    store_snapshot(migration, sample_snapshot())
    changes = store_snapshot(migration, sample_snapshot())
    assert changes.entries == []
    assert MailboxUser.objects.count() == 4
    assert DirectoryGroup.objects.count() == 2


def test_a_reimport_updates_what_changed_and_lists_it(migration):
    store_snapshot(migration, sample_snapshot())
    snapshot = changed(sample_snapshot(), "asmith", display_name="Anna Smith",
                       aliases=("anna@corp.example",), groups=())
    snapshot = replace(snapshot, groups=tuple(
        replace(g, members=("jdoe",)) if g.name == "Sales" else g for g in snapshot.groups
    ))
    changes = store_snapshot(migration, snapshot)

    asmith = MailboxUser.objects.get(sam="asmith")
    assert asmith.display_name == "Anna Smith"
    assert asmith.aliases == ["anna@corp.example"]
    assert list(asmith.groups.all()) == []
    assert texts(changes) == [
        ("changed", "asmith", "display name: “Asmith” → “Anna Smith”"),
        ("changed", "asmith", "alias addresses: asmith.alias@corp.example → anna@corp.example"),
        ("changed", "asmith", "no longer in the group Sales"),
    ]


def test_a_reimport_keeps_what_the_admin_edited_and_says_so(migration, admin_user):
    store_snapshot(migration, sample_snapshot())
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.edit_mailbox_user(
        jdoe, {"display_name": "John Doe (Sales)", "target_login": "john.doe"}, admin_user
    )

    changes = store_snapshot(migration, changed(sample_snapshot(), "jdoe", display_name="J. Doe"))

    jdoe.refresh_from_db()
    assert (jdoe.display_name, jdoe.target_login) == ("John Doe (Sales)", "john.doe")
    assert jdoe.directory_values["display_name"] == "J. Doe"
    assert texts(changes) == [
        ("kept_edit", "jdoe",
         "display name: kept your “John Doe (Sales)”; the directory now says “J. Doe”"),
    ]


def test_resetting_a_user_takes_the_directorys_values_back(migration, admin_user):
    store_snapshot(migration, sample_snapshot())
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.edit_mailbox_user(jdoe, {"target_login": "john.doe"}, admin_user)
    store_snapshot(migration, changed(sample_snapshot(), "jdoe", sam="jdoe2"))

    actions.reset_mailbox_user(MailboxUser.objects.get(pk=jdoe.pk), admin_user)

    jdoe.refresh_from_db()
    assert (jdoe.sam, jdoe.target_login, jdoe.edited_fields) == ("jdoe2", "jdoe2", [])


def test_an_edit_back_to_the_directorys_value_is_no_edit_any_more(migration, admin_user):
    store_snapshot(migration, sample_snapshot())
    jdoe = MailboxUser.objects.get(sam="jdoe")
    actions.edit_mailbox_user(jdoe, {"display_name": "X"}, admin_user)
    actions.edit_mailbox_user(jdoe, {"display_name": "Jdoe"}, admin_user)
    assert MailboxUser.objects.get(pk=jdoe.pk).edited_fields == []


def test_users_who_left_the_directory_are_kept_and_marked_and_may_come_back(migration):
    store_snapshot(migration, sample_snapshot())
    without = replace(sample_snapshot(), users=tuple(
        u for u in sample_snapshot().users if u.sam != "asmith"
    ))
    without = replace(without, groups=tuple(
        replace(g, members=tuple(m for m in g.members if m != "asmith")) for g in without.groups
    ))
    changes = store_snapshot(migration, without)
    assert texts(changes) == [
        ("removed", "asmith", "is no longer in the directory (kept here)")
    ]
    assert not MailboxUser.objects.get(sam="asmith").in_directory

    changes = store_snapshot(migration, sample_snapshot())
    assert texts(changes) == [
        ("returned", "asmith", "is back in the directory"),
        ("changed", "asmith", "now in the group Sales"),
    ]
    assert MailboxUser.objects.get(sam="asmith").in_directory
    assert MailboxUser.objects.count() == 4


def test_a_new_user_is_added_without_listing_its_groups_as_changes(migration):
    store_snapshot(migration, sample_snapshot())
    snapshot = sample_snapshot()
    newcomer = user("cnew", "00000000-0000-0000-0000-00000000000f", groups=("Sales",))
    snapshot = replace(
        snapshot, users=(*snapshot.users, newcomer),
        groups=tuple(replace(g, members=(*g.members, "cnew")) if g.name == "Sales" else g
                     for g in snapshot.groups),
    )
    changes = store_snapshot(migration, snapshot)
    assert texts(changes) == [("added", "cnew", "")]
    assert [g.name for g in MailboxUser.objects.get(sam="cnew").groups.all()] == ["Sales"]


def test_two_migrations_keep_their_users_apart(migration):
    other = Migration.objects.create(name="Other")
    store_snapshot(migration, sample_snapshot())
    store_snapshot(other, sample_snapshot())
    assert MailboxUser.objects.filter(migration=other).count() == 4
    assert MailboxUser.objects.filter(migration=migration).count() == 4
