"""Folder planning: where each Exchange folder goes on the Intra2net server, and what is left
out and why, without a server."""

from __future__ import annotations

from migrator.folders import (
    FolderListing,
    FolderRules,
    ListedFolder,
    SpecialFolderNames,
    parents_first,
    plan_folders,
)


def listing(separator: str, prefix: str, *folders: str | tuple[str, set[str]]) -> FolderListing:
    listed = []
    for folder in folders:
        name, flags = (folder, set()) if isinstance(folder, str) else folder
        listed.append(ListedFolder(name, frozenset(f.lower() for f in flags)))
    return FolderListing(separator, prefix, (), tuple(listed))


CYRUS = listing(".", "INBOX.", "INBOX")


def targets(source: FolderListing, target: FolderListing = CYRUS, **rules) -> dict[str, str | None]:
    return {p.source: p.target for p in plan_folders(source, target, FolderRules(**rules))}


def test_it_translates_the_separator_and_puts_folders_under_the_personal_prefix():
    source = listing("/", "", "INBOX", "Projects", "Projects/2024", "Projects/2024/Q1")
    assert targets(source) == {
        "INBOX": "INBOX",
        "Projects": "INBOX.Projects",
        "Projects/2024": "INBOX.Projects.2024",
        "Projects/2024/Q1": "INBOX.Projects.2024.Q1",
    }


def test_inbox_subfolders_stay_below_inbox():
    assert targets(listing("/", "", "INBOX", "INBOX/Orders")) == {
        "INBOX": "INBOX",
        "INBOX/Orders": "INBOX.Orders",
    }


def test_non_ascii_and_ampersand_names_are_kept():
    source = listing("/", "", "Kunden/Müller & Söhne", "Tom & Jerry")
    assert targets(source)["Kunden/Müller & Söhne"] == "INBOX.Kunden.Müller & Söhne"
    assert targets(source)["Tom & Jerry"] == "INBOX.Tom & Jerry"


def test_the_targets_separator_in_a_source_name_is_replaced_and_reported():
    plan = plan_folders(listing("/", "", "Version 1.5"), CYRUS, FolderRules())[0]
    assert plan.target == "INBOX.Version 1_5"
    assert "'.'" in plan.notes[0] and "Version 1_5" in plan.notes[0]


def test_special_folders_map_onto_the_targets_special_use_folders():
    source = listing(
        "/",
        "",
        ("Sent Items", {"\\Sent"}),
        "Deleted Items",
        "Junk Email",
        "Drafts",
        "Sent Items/2019",
    )
    target = listing(".", "INBOX.", "INBOX", ("INBOX.Gesendet", {"\\Sent"}))
    assert targets(source, target) == {
        "Sent Items": "INBOX.Gesendet",
        "Sent Items/2019": "INBOX.Gesendet.2019",
        "Deleted Items": "INBOX.Trash",
        "Junk Email": "INBOX.Spam",
        "Drafts": "INBOX.Drafts",
    }


def test_special_folders_the_target_lacks_are_created_with_their_special_use():
    source = listing("/", "", ("Sent Items", {"\\Sent"}), "Deleted Items", "Sent Items/2019")
    target = listing(".", "INBOX.", "INBOX", ("INBOX.Gesendet", {"\\Sent"}))
    plans = {p.source: p.create_as for p in plan_folders(source, target, FolderRules())}
    assert plans == {"Sent Items": None, "Deleted Items": "\\Trash", "Sent Items/2019": None}


def test_special_folder_names_are_configurable_and_recognised_in_german():
    source = listing("/", "", "Gesendete Elemente", "Gelöschte Elemente")
    names = SpecialFolderNames(sent="Sent Messages", trash="Deleted Messages")
    assert targets(source, special_names=names) == {
        "Gesendete Elemente": "INBOX.Sent Messages",
        "Gelöschte Elemente": "INBOX.Deleted Messages",
    }


def test_non_mail_folders_and_their_subfolders_are_left_out_with_the_reason():
    source = listing(
        "/",
        "",
        "Calendar",
        "Calendar/Birthdays",
        "Kontakte",
        "Sync Issues/Conflicts",
        "Projects/Notes",
        "Outbox",
    )
    plans = {p.source: p for p in plan_folders(source, CYRUS, FolderRules())}
    assert plans["Calendar"].target is None
    assert "calendar" in plans["Calendar"].excluded_because
    assert plans["Calendar/Birthdays"].target is None
    assert "contacts" in plans["Kontakte"].excluded_because
    assert plans["Sync Issues/Conflicts"].target is None
    assert plans["Outbox"].target is None
    assert plans["Projects/Notes"].target == "INBOX.Projects.Notes"


def test_non_mail_folders_can_be_copied_when_asked():
    assert targets(listing("/", "", "Notes"), skip_non_mail=False) == {"Notes": "INBOX.Notes"}


def test_user_exclusions_are_regular_expressions():
    plans = plan_folders(
        listing("/", "", "INBOX", "Old/2010", "Older"), CYRUS, FolderRules(exclude=(r"^Old/",))
    )
    assert [(p.source, p.excluded_because) for p in plans if p.excluded] == [
        ("Old/2010", "Excluded by the rule '^Old/'.")
    ]


def test_rename_rules_move_a_folder_with_its_subfolders():
    source = listing("/", "", "Alt", "Alt/2019", "Alternatives")
    assert targets(source, rename=((r"Alt", r"Archive/Old"),)) == {
        "Alt": "INBOX.Archive.Old",
        "Alt/2019": "INBOX.Archive.Old.2019",
        "Alternatives": "INBOX.Alternatives",
    }


def test_two_source_folders_landing_on_one_name_are_told_apart_visibly():
    plans = plan_folders(listing("/", "", "INBOX", "INBOX/Orders", "Orders"), CYRUS, FolderRules())
    by_source = {p.source: p for p in plans}
    assert by_source["INBOX/Orders"].target == "INBOX.Orders"
    assert by_source["Orders"].target == "INBOX.Orders (2)"
    assert "INBOX/Orders" in by_source["Orders"].notes[0]


def test_shared_namespaces_are_left_out():
    source = FolderListing(
        "/", "", ("Public Folders/",), (ListedFolder("Public Folders/Team", frozenset()),)
    )
    plan = plan_folders(source, CYRUS, FolderRules())[0]
    assert plan.target is None and "shared namespace" in plan.excluded_because


def test_parents_are_created_before_children():
    assert parents_first(["INBOX.A.B.C", "INBOX.D", "INBOX"], CYRUS) == [
        "INBOX.A",
        "INBOX.D",
        "INBOX.A.B",
        "INBOX.A.B.C",
    ]
