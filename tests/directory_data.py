"""A small directory snapshot, as the engine returns it, for tests of what the wizard does with
one (the engine itself is tested against the real Samba in test_directory_engine.py)."""

from __future__ import annotations

from dataclasses import replace

from migrator.directory import (
    DirectoryContact,
    DirectoryGroup,
    DirectorySnapshot,
    DirectoryUser,
    LeftOut,
)

BASE = "OU=Staff,DC=corp,DC=example,DC=test"
LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"


def user(sam: str, guid: str, **changes) -> DirectoryUser:
    values = dict(
        guid=guid, dn=f"CN={sam},{BASE}", sam=sam, upn=f"{sam}@corp.example.test",
        display_name=sam.title(), given_name=sam[:1].upper(), surname=sam[1:].title(),
        primary=f"{sam}@corp.example", aliases=(f"{sam}.alias@corp.example",),
        x500=(f"{LEGACY}/cn={sam}",),
        disabled=False, groups=(),
    )
    values.update(changes)
    return DirectoryUser(**values)


def sample_snapshot() -> DirectorySnapshot:
    users = (
        user("asmith", "00000000-0000-0000-0000-00000000000a", groups=("Sales",)),
        user("bwayne", "00000000-0000-0000-0000-00000000000b", disabled=True),
        user("jdoe", "00000000-0000-0000-0000-00000000000c", groups=("EMEA Sales", "Sales")),
        user("svc-scan", "00000000-0000-0000-0000-00000000000d", primary=None, aliases=(), x500=()),
    )
    groups = (
        DirectoryGroup("00000000-0000-0000-0000-0000000000e1", f"CN=EMEA Sales,{BASE}",
                       "EMEA Sales", None, (), (), members=("jdoe",)),
        DirectoryGroup("00000000-0000-0000-0000-0000000000e2", f"CN=Sales,{BASE}", "Sales",
                       "sales@corp.example", (), ("/o=Corp/cn=sales",),
                       members=("asmith", "jdoe"), subgroups=("EMEA Sales",)),
    )
    contacts = (
        DirectoryContact("00000000-0000-0000-0000-0000000000c1", f"CN=Partner,{BASE}",
                         "Partner", "partner@external.example", ()),
    )
    left_out = (LeftOut("user", "krbtgt", "Kerberos service account"),)
    return DirectorySnapshot(users, groups, contacts, left_out)


def changed(snapshot: DirectorySnapshot, who: str, **changes) -> DirectorySnapshot:
    """The snapshot with one user's values changed (a new account name in the groups too)."""
    users = tuple(replace(u, **changes) if u.sam == who else u for u in snapshot.users)
    new_name = changes.get("sam", who)
    groups = tuple(
        replace(g, members=tuple(new_name if m == who else m for m in g.members))
        for g in snapshot.groups
    )
    return replace(snapshot, users=users, groups=groups)
