"""Reading the people, groups and contacts that move from Active Directory.

`import_directory(endpoint, bind, options=..., progress=...)` returns a `DirectorySnapshot`:
users with their addresses and (nested) group memberships, groups with their members, mail
enabled contacts, and what was left out and why. Searches are paged (Simple Paged Results), so
directories beyond AD's 1,000-entry page limit come back whole; nested groups are resolved here
from the groups' `member` lists, with one search for all groups instead of one per group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from ldap3 import BASE, SUBTREE, Connection
from ldap3.core import exceptions as ldap_errors
from ldap3.operation.search import parse_filter

from migrator import directory_entries as entries
from migrator.directory_session import (
    DirectoryBind,
    DirectoryEndpoint,
    close_quietly,
    open_directory,
)
from migrator.errors import BadArguments, ConnectionLost, MigratorError
from migrator.text import say

PAGED_RESULTS = "1.2.840.113556.1.4.319"
USERS = "(&(objectCategory=person)(objectClass=user))"
GROUPS = "(objectClass=group)"
CONTACTS = "(objectClass=contact)"
ADDRESS_ATTRIBUTES = ["objectGUID", "cn", "mail", "proxyAddresses", "legacyExchangeDN"]
USER_ATTRIBUTES = [
    *ADDRESS_ATTRIBUTES,
    "sAMAccountName",
    "userPrincipalName",
    "displayName",
    "givenName",
    "sn",
    "userAccountControl",
    "preferredLanguage",
]
GROUP_ATTRIBUTES = [*ADDRESS_ATTRIBUTES, "sAMAccountName", "member", "isCriticalSystemObject"]
CONTACT_ATTRIBUTES = [*ADDRESS_ATTRIBUTES, "displayName"]
# The phases of an import (EntriesRead.phase) as said in a sentence.
PHASES = {"users": say("the users"), "groups": say("the groups"), "contacts": say("the contacts")}


@dataclass(frozen=True)
class EntriesRead:
    """How far the import got: entries read so far in a phase (users, groups, contacts)."""

    phase: str
    count: int


class ImportProgress(Protocol):
    """The import's progress sink, like the copy's: one method, called after every page."""

    def report(self, event: EntriesRead) -> None: ...


class _Silent:
    def report(self, event: EntriesRead) -> None:
        pass


@dataclass(frozen=True)
class ImportOptions:
    """What to read: below `base_dn`; `user_filter` (an LDAP filter) narrows the users only."""

    base_dn: str
    user_filter: str = ""
    page_size: int = 500
    keep_system_accounts: bool = False


@dataclass(frozen=True)
class DirectoryUser:
    guid: str
    dn: str
    sam: str
    upn: str
    display_name: str
    given_name: str
    surname: str
    primary: str | None
    aliases: tuple[str, ...]
    x500: tuple[str, ...]
    disabled: bool
    groups: tuple[str, ...] = ()  # names, nested memberships included
    preferred_language: str = ""  # as the directory writes it: "de-DE", "en", or nothing

    def to_json(self) -> dict:
        return {
            "guid": self.guid,
            "sam": self.sam,
            "upn": self.upn,
            "display_name": self.display_name,
            "primary": self.primary,
            "aliases": list(self.aliases),
            "x500": list(self.x500),
            "disabled": self.disabled,
            "groups": list(self.groups),
        }


@dataclass(frozen=True)
class DirectoryGroup:
    guid: str
    dn: str
    name: str
    mail: str | None
    aliases: tuple[str, ...]
    x500: tuple[str, ...]
    members: tuple[str, ...] = ()  # account names of the users, nested groups resolved
    subgroups: tuple[str, ...] = ()  # names of the groups directly inside this one

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "mail": self.mail,
            "members": list(self.members),
            "x500": list(self.x500),
        }


@dataclass(frozen=True)
class DirectoryContact:
    guid: str
    dn: str
    name: str
    mail: str
    x500: tuple[str, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "mail": self.mail, "x500": list(self.x500)}


@dataclass(frozen=True)
class LeftOut:
    kind: str  # user, group or contact
    name: str
    reason: str
    dn: str = ""
    guid: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class DirectorySnapshot:
    users: tuple[DirectoryUser, ...]
    groups: tuple[DirectoryGroup, ...]
    contacts: tuple[DirectoryContact, ...]
    left_out: tuple[LeftOut, ...]
    pages: int = field(default=0, compare=False)  # search result pages received

    def to_json(self) -> dict:
        return {
            "users": [user.to_json() for user in self.users],
            "groups": [group.to_json() for group in self.groups],
            "contacts": [contact.to_json() for contact in self.contacts],
            "left_out": [entry.to_json() for entry in self.left_out],
        }


def normalise_filter(user_filter: str) -> str:
    """The filter in parentheses, checked; raises BadArguments saying what is wrong."""
    text = user_filter.strip()
    if not text:
        return ""
    if not text.startswith("("):
        text = f"({text})"
    try:
        parse_filter(text, None, True, True, None, False)
    except ldap_errors.LDAPException as e:
        raise BadArguments(
            say(
                "the LDAP filter {filter} is not valid: {reason}",
                filter=repr(user_filter),
                reason=e,
            )
        ) from None
    return text


def import_directory(
    endpoint: DirectoryEndpoint,
    bind: DirectoryBind,
    *,
    options: ImportOptions,
    progress: ImportProgress | None = None,
) -> DirectorySnapshot:
    """Read everything that moves; raises a MigratorError the admin can act on."""
    progress = progress or _Silent()
    user_filter = normalise_filter(options.user_filter)
    connection = open_directory(endpoint, bind, options.base_dn)
    try:
        _require_base(connection, options.base_dn)
        reader = _PagedReader(connection, options.base_dn, options.page_size, progress)
        users, left_out = _read_users(reader, user_filter, options.keep_system_accounts)
        raw_groups = list(reader.search("groups", GROUPS, GROUP_ATTRIBUTES))
        contacts, left_contacts = _read_contacts(reader)
    finally:
        close_quietly(connection)
    groups, left_groups = _resolve_groups(raw_groups, users)
    return DirectorySnapshot(
        users=tuple(sorted(users.values(), key=lambda u: u.sam.lower())),
        groups=groups,
        contacts=contacts,
        left_out=tuple(sorted(left_out + left_groups + left_contacts, key=_left_out_order)),
        pages=reader.pages,
    )


@dataclass(frozen=True)
class DirectoryProbe:
    bound_as: str
    server_name: str
    base_dn: str

    def summary(self) -> str:
        if self.server_name:
            return say(
                "Bound as {user} on {server}; the base DN {base_dn} exists.",
                user=self.bound_as,
                server=self.server_name,
                base_dn=self.base_dn,
            )
        return say(
            "Bound as {user}; the base DN {base_dn} exists.",
            user=self.bound_as,
            base_dn=self.base_dn,
        )


def probe_directory(
    endpoint: DirectoryEndpoint, bind: DirectoryBind, base_dn: str
) -> DirectoryProbe:
    """Connect, bind and look at the base DN: the wizard's "test connection"."""
    connection = open_directory(endpoint, bind, base_dn)
    try:
        _require_base(connection, base_dn)
        connection.search("", "(objectClass=*)", BASE, attributes=["dnsHostName"])
        root = connection.response[0].get("raw_attributes", {}) if connection.response else {}
        return DirectoryProbe(connection.user, entries.text(root, "dnsHostName"), base_dn)
    except ldap_errors.LDAPException as e:
        raise ConnectionLost(
            say(
                "the directory server {endpoint} stopped answering: {reason}",
                endpoint=endpoint,
                reason=e,
            )
        ) from None
    finally:
        close_quietly(connection)


def _left_out_order(entry: LeftOut) -> tuple:
    return ({"user": 0, "contact": 1}.get(entry.kind, 2), entry.name.lower())


class _PagedReader:
    """Paged subtree searches below one base, counting pages and telling the progress sink."""

    def __init__(self, connection: Connection, base: str, page_size: int, progress) -> None:
        self.connection = connection
        self.base = base
        self.page_size = page_size
        self.progress = progress
        self.pages = 0

    def search(self, phase: str, search_filter: str, attributes: list[str]) -> Iterator[tuple]:
        cookie: bytes | None = None
        done = 0
        while True:
            try:
                ok = self.connection.search(
                    self.base,
                    search_filter,
                    SUBTREE,
                    attributes=attributes,
                    paged_size=self.page_size,
                    paged_cookie=cookie,
                )
            except ldap_errors.LDAPException as e:
                raise ConnectionLost(
                    say(
                        "the directory stopped answering while reading {what}: {reason}",
                        what=PHASES[phase],
                        reason=e,
                    )
                ) from None
            result = self.connection.result or {}
            if not ok and result.get("description") != "success":
                raise _search_failure(phase, result)
            self.pages += 1
            for item in self.connection.response or ():
                if item.get("type") == "searchResEntry":
                    done += 1
                    yield item["dn"], item["raw_attributes"]
            self.progress.report(EntriesRead(phase, done))
            control = (result.get("controls") or {}).get(PAGED_RESULTS) or {}
            cookie = (control.get("value") or {}).get("cookie")
            if not cookie:
                return


def _search_failure(phase: str, result: dict) -> MigratorError:
    description = result.get("description") or "error"
    what = PHASES[phase]
    if description == "noSuchObject":
        return BadArguments(say("the base DN does not exist (while reading {what})", what=what))
    if description in ("insufficientAccessRights", "operationsError"):
        return BadArguments(
            say("the bind account may not read {what}: {reason}", what=what, reason=description)
        )
    detail = f"{description} {result.get('message') or ''}".strip()
    return BadArguments(say("reading {what} failed: {reason}", what=what, reason=detail))


def _require_base(connection: Connection, base_dn: str) -> None:
    try:
        connection.search(base_dn, "(objectClass=*)", BASE, attributes=["objectClass"])
    except ldap_errors.LDAPInvalidDnError:
        raise BadArguments(say("{base_dn} is not a valid DN", base_dn=repr(base_dn))) from None
    except ldap_errors.LDAPException as e:
        raise ConnectionLost(say("the directory stopped answering: {reason}", reason=e)) from None
    description = (connection.result or {}).get("description")
    if description == "noSuchObject":
        raise BadArguments(
            say("the base DN {base_dn} does not exist in this directory", base_dn=base_dn)
        )
    if description == "invalidDNSyntax":
        raise BadArguments(say("{base_dn} is not a valid DN", base_dn=repr(base_dn)))
    if description != "success":
        raise BadArguments(
            say(
                "the base DN {base_dn} cannot be read: {reason}",
                base_dn=base_dn,
                reason=description,
            )
        )


def _read_users(reader: _PagedReader, user_filter: str, keep_system: bool):
    users: dict[str, DirectoryUser] = {}  # by lower-cased DN, for the group members
    left_out: list[LeftOut] = []
    search_filter = f"(&{USERS}{user_filter})" if user_filter else USERS
    for dn, attributes in reader.search("users", search_filter, USER_ATTRIBUTES):
        sam = entries.text(attributes, "sAMAccountName")
        reason = entries.system_account_reason(attributes, dn)
        if reason and not keep_system:
            name = entries.rdn_value(dn) or sam
            left_out.append(LeftOut("user", name, reason, dn, entries.guid(attributes)))
            continue
        found = entries.addresses(attributes)
        users[dn.lower()] = DirectoryUser(
            guid=entries.guid(attributes),
            dn=dn,
            sam=sam,
            upn=entries.text(attributes, "userPrincipalName"),
            display_name=entries.text(attributes, "displayName") or entries.rdn_value(dn),
            given_name=entries.text(attributes, "givenName"),
            surname=entries.text(attributes, "sn"),
            primary=found.primary,
            aliases=found.aliases,
            x500=found.x500,
            disabled=entries.is_disabled(attributes),
            preferred_language=entries.text(attributes, "preferredLanguage"),
        )
    return users, left_out


def _read_contacts(reader: _PagedReader):
    contacts: list[DirectoryContact] = []
    left_out: list[LeftOut] = []
    for dn, attributes in reader.search("contacts", CONTACTS, CONTACT_ATTRIBUTES):
        name = entries.text(attributes, "displayName") or entries.rdn_value(dn)
        found = entries.addresses(attributes)
        if not found.primary:
            left_out.append(
                LeftOut(
                    "contact",
                    name,
                    say("contact without an e-mail address"),
                    dn,
                    entries.guid(attributes),
                )
            )
            continue
        contacts.append(
            DirectoryContact(entries.guid(attributes), dn, name, found.primary, found.x500)
        )
    contacts.sort(key=lambda c: c.name.lower())
    return tuple(contacts), left_out


def _resolve_groups(raw_groups: list[tuple], users: dict[str, DirectoryUser]):
    """Groups with their members, nested groups resolved (cycles are allowed in AD), and the
    users' memberships filled in. Built-in groups still count for nesting, but are left out."""
    members_of = {
        dn.lower(): [m.decode().lower() for m in a.get("member") or ()] for dn, a in raw_groups
    }
    names = {
        dn.lower(): entries.rdn_value(dn) or entries.text(a, "sAMAccountName")
        for dn, a in raw_groups
    }
    groups: list[DirectoryGroup] = []
    left_out: list[LeftOut] = []
    memberships: dict[str, list[str]] = {}
    for dn, attributes in raw_groups:
        name = names[dn.lower()]
        reason = entries.system_group_reason(attributes, dn)
        if reason:
            left_out.append(LeftOut("group", name, reason, dn, entries.guid(attributes)))
            continue
        member_dns = _nested_members(dn.lower(), members_of)
        member_users = sorted(
            (users[m] for m in member_dns if m in users), key=lambda u: u.sam.lower()
        )
        for user in member_users:
            memberships.setdefault(user.dn.lower(), []).append(name)
        found = entries.addresses(attributes)
        groups.append(
            DirectoryGroup(
                guid=entries.guid(attributes),
                dn=dn,
                name=name,
                mail=found.primary,
                aliases=found.aliases,
                x500=found.x500,
                members=tuple(user.sam for user in member_users),
                subgroups=tuple(sorted(names[m] for m in members_of[dn.lower()] if m in names)),
            )
        )
    for key, user in users.items():
        users[key] = _with_groups(user, memberships.get(key, []))
    groups.sort(key=lambda g: g.name.lower())
    return tuple(groups), left_out


def _nested_members(group_dn: str, members_of: dict[str, list[str]]) -> set[str]:
    """Every DN inside the group, through any depth of nesting."""
    seen: set[str] = set()
    stack = list(members_of.get(group_dn, ()))
    while stack:
        dn = stack.pop()
        if dn in seen or dn == group_dn:
            continue
        seen.add(dn)
        stack.extend(members_of.get(dn, ()))
    return seen


def _with_groups(user: DirectoryUser, groups: list[str]) -> DirectoryUser:
    return replace(user, groups=tuple(sorted(groups, key=str.lower)))
