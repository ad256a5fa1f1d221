"""The engine's part of step 17: planning only the chosen folders (also out of a shared
namespace), listing a public namespace with sizes, naming folders on the target, and the ACL
rights, against real Dovecot servers."""

from __future__ import annotations

import pytest

from migrator.connection import Connection
from migrator.endpoints import Credentials, ImapEndpoint, Security
from migrator.folders import FolderListing, FolderRules, ListedFolder, plan_folders
from migrator.shared_folders import (
    AclUnsupported,
    Grant,
    Rights,
    _size,
    describe_target,
    grant_access,
    list_shared_folders,
    target_name,
)
from tests.servers import dovecot
from tests.servers.mail import make_message
from wizard.models import SharedFolderGrant

# --- planning --------------------------------------------------------------------------------

SOURCE = FolderListing(
    "/", "", ("Public Folders/",),
    tuple(ListedFolder(name, frozenset()) for name in (
        "INBOX", "Sent Items", "Calendar", "Public Folders/Projekte",
        "Public Folders/Projekte/2024", "Public Folders/Kalender",
    )),
)
TARGET = FolderListing(".", "INBOX.", (), (ListedFolder("INBOX", frozenset()),))


def test_only_the_chosen_folders_are_planned_to_exactly_their_given_names():
    rules = FolderRules(only=(
        ("Public Folders/Projekte", "shared.Projekte"),
        ("Public Folders/Projekte/2024", "shared.Projekte.2024"),
        ("Public Folders/Kalender", "shared.Kalender"),
    ))
    plans = {p.source: p for p in plan_folders(SOURCE, TARGET, rules)}

    assert {name: p.target for name, p in plans.items()} == {
        "INBOX": None,
        "Sent Items": None,
        "Calendar": None,
        "Public Folders/Projekte": "shared.Projekte",
        "Public Folders/Projekte/2024": "shared.Projekte.2024",
        "Public Folders/Kalender": "shared.Kalender",  # chosen: no non-mail rule applies
    }
    assert plans["INBOX"].excluded_because == "Not among the chosen folders."


def test_without_only_the_shared_namespace_stays_left_out():
    plans = {p.source: p for p in plan_folders(SOURCE, TARGET, FolderRules())}
    assert plans["Public Folders/Projekte"].target is None
    assert "shared namespace" in plans["Public Folders/Projekte"].excluded_because
    assert plans["INBOX"].target == "INBOX"


def test_two_folders_given_the_same_target_name_are_told_apart():
    rules = FolderRules(only=(
        ("Public Folders/Projekte", "shared.P"), ("Public Folders/Kalender", "shared.P"),
    ))
    targets = sorted(p.target for p in plan_folders(SOURCE, TARGET, rules) if p.target)
    assert targets == ["shared.P", "shared.P (2)"]


def test_a_target_name_is_the_prefix_and_the_path_below_the_namespace():
    assert target_name("Public Folders/A/B", "Public Folders/", "/", "INBOX.Shared.", ".") == (
        "INBOX.Shared.A.B"
    )
    assert target_name("Public Folders/v1.5", "Public Folders/", "/", "", ".") == "v1_5"


def test_the_wizards_rights_are_the_engines():
    assert {value for value, _ in SharedFolderGrant.Rights.choices} == {r.value for r in Rights}
    for value, label in SharedFolderGrant.Rights.choices:
        assert label.endswith(f"({Rights(value).letters})")


# --- against the servers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def exchange_2003(tmp_path_factory):
    with dovecot.start_exchange_like(
        tmp_path_factory.mktemp("exchange-2003"), public_folders=True
    ) as server:
        server.add_user(server.admin_user, server.admin_password)
        client = server.connect(server.admin_user)
        for name, count in (("Projekte", 2), ("Projekte/2024", 0), ("Ablage & Archiv", 3)):
            folder = server.add_public_folder(name)
            for n in range(count):
                client.append(folder, make_message(f"{name} {n}", size=2000 + n))
        client.logout()
        yield server


@pytest.fixture(scope="module")
def intra2net(tmp_path_factory):
    with dovecot.start_intra2net_like(tmp_path_factory.mktemp("intra2net")) as server:
        server.add_user(server.admin_user, server.admin_password)
        yield server


def endpoint(server) -> ImapEndpoint:
    return ImapEndpoint(server.host, server.port, Security.PLAIN)


def admin(server) -> Credentials:
    return Credentials(server.admin_user, server.admin_password)


def test_it_lists_the_public_namespace_with_message_counts_and_sizes(exchange_2003):
    listing = list_shared_folders(endpoint(exchange_2003), admin(exchange_2003))

    assert listing.found and listing.namespaces == ("Public Folders/",)
    assert listing.separator == "/"
    sizes = {f.name: (f.messages, f.bytes) for f in listing.folders}
    assert set(sizes) == {
        "Public Folders/Projekte", "Public Folders/Projekte/2024", "Public Folders/Ablage & Archiv"
    }
    assert sizes["Public Folders/Projekte/2024"] == (0, 0)
    assert sizes["Public Folders/Projekte"][0] == 2
    assert sizes["Public Folders/Ablage & Archiv"][0] == 3
    assert sizes["Public Folders/Ablage & Archiv"][1] > 5000


def test_without_status_size_the_sizes_are_summed_from_the_messages(exchange_2003):
    connection = Connection(endpoint(exchange_2003), admin(exchange_2003), "source")
    try:
        summed = _size(connection, "Public Folders/Ablage & Archiv", sized=False)
        counted = _size(connection, "Public Folders/Ablage & Archiv", sized=True)
    finally:
        connection.logout()
    assert summed == counted


def test_a_server_without_a_public_namespace_shows_none(intra2net):
    listing = list_shared_folders(endpoint(intra2net), admin(intra2net))
    assert not listing.found and listing.folders == ()


def test_the_target_layout_and_its_acl(intra2net, exchange_2003):
    layout = describe_target(endpoint(intra2net), admin(intra2net))
    assert (layout.separator, layout.personal_prefix, layout.acl) == (".", "INBOX.", True)
    assert layout.default_prefix() == "INBOX.Public Folders."
    other = describe_target(endpoint(exchange_2003), admin(exchange_2003))
    assert (other.acl, other.default_prefix()) == (False, "Public Folders/")


def test_rights_are_set_per_group_and_a_refusal_is_reported(intra2net):
    client = intra2net.connect(intra2net.admin_user)
    client.create_folder("INBOX.Geteilt")
    client.logout()
    results = grant_access(endpoint(intra2net), admin(intra2net), [
        Grant("INBOX.Geteilt", "group:Vertrieb Süd", Rights.READ),
        Grant("INBOX.Geteilt", 'group:Team "A"', Rights.FLAGS),
        Grant("INBOX.Fehlt", "group:Team", Rights.READ),
    ])
    assert [r.ok for r in results] == [False, True, False]
    assert "not ASCII" in results[0].message
    assert results[1].message == 'group:Team "A": lrsw'
    assert "refused" in results[2].message


def test_a_target_without_acl_is_said_so(exchange_2003):
    with pytest.raises(AclUnsupported, match="has no ACL extension"):
        grant_access(endpoint(exchange_2003), admin(exchange_2003),
                     [Grant("INBOX", "group:x", Rights.READ)])
