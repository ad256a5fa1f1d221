"""Public folders over IMAP: finding them in the source's shared namespace, naming them on the
target, and sharing them with groups through the IMAP ACL extension (RFC 4314).

Old Exchange (2003) shows its public folders as a shared namespace (NAMESPACE's third part,
`(("Public Folders/" "/"))`); modern Exchange shows none, and the folders move through
Outlook. `list_shared_folders` logs in with the administrator's own login (public folders
look the same to everybody) and lists the folders of every shared namespace with their message
counts and sizes. The folders are then copied with `copy_mailbox` and
`FolderRules(only=...)`, once, into shared folders on the target: never into every user's
mailbox. `describe_target` tells where such folders can go and whether the target has ACL;
`grant_access` sets the rights.

Rights, as RFC 4314 letters, in the four levels the Intra2net server gives a group on a
shared folder:

- `read`: `lrs` — see the folder, read its messages, keep one's own "seen" state
- `flags`: `lrsw` — and change flags (flagged, answered, keywords)
- `write`: `lrswite` — and add messages, delete them and expunge the deleted
- `admin`: `lrswipkxtea` — and post to it, create and delete subfolders, change the rights

How a group is named in an ACL differs between servers: Cyrus (the Intra2net server's IMAP
server) writes `group:NAME`, Dovecot `$NAME`. The caller builds the identifier.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from migrator.connection import Connection
from migrator.endpoints import Credentials, ImapEndpoint
from migrator.errors import CommandRefused, PermanentError
from migrator.text import say

FETCH_CHUNK = 1000  # messages per size FETCH, for servers without STATUS=SIZE


class Rights(StrEnum):
    READ = "read"
    FLAGS = "flags"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def letters(self) -> str:
        return RIGHT_LETTERS[self]

    @property
    def label(self) -> str:
        return RIGHT_LABELS[self]


RIGHT_LETTERS = {
    Rights.READ: "lrs",
    Rights.FLAGS: "lrsw",
    Rights.WRITE: "lrswite",
    Rights.ADMIN: "lrswipkxtea",
}
RIGHT_LABELS = {
    Rights.READ: "read",
    Rights.FLAGS: "read and change flags",
    Rights.WRITE: "read, write and delete",
    Rights.ADMIN: "everything, with subfolders and rights",
}


class AclUnsupported(PermanentError):
    """The server has no ACL extension: the rights must be set by hand."""


@dataclass(frozen=True)
class SharedFolder:
    """A folder of a shared namespace; counts are None for a folder that holds no messages
    by design (\\Noselect) or could not be examined."""

    name: str
    namespace: str
    selectable: bool
    messages: int | None = None
    bytes: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class SharedFolderListing:
    separator: str
    namespaces: tuple[str, ...]  # the prefixes of the shared namespaces
    folders: tuple[SharedFolder, ...]

    @property
    def found(self) -> bool:
        return bool(self.namespaces)


def list_shared_folders(endpoint: ImapEndpoint, credentials: Credentials) -> SharedFolderListing:
    """Every folder of the server's shared namespaces, with message counts and sizes; no
    namespaces (and no folders) when NAMESPACE shows none. Raises a MigratorError when the
    server cannot be reached or the login is refused."""
    connection = Connection(endpoint, credentials, "source")
    try:
        with connection.errors(say("reading the namespaces")):
            client = connection.client
            shared = client.namespace().shared if client.has_capability("NAMESPACE") else None
        namespaces = tuple((prefix, separator or "/") for prefix, separator in shared or ())
        folders: list[SharedFolder] = []
        for prefix, separator in namespaces:
            folders.extend(_folders_of(connection, prefix, separator))
        separator = namespaces[0][1] if namespaces else "/"
        return SharedFolderListing(
            separator, tuple(prefix for prefix, _ in namespaces), tuple(folders)
        )
    finally:
        connection.logout()


def _folders_of(connection: Connection, prefix: str, separator: str) -> list[SharedFolder]:
    with connection.errors(say("listing the folders of {namespace}", namespace=repr(prefix))):
        listed = connection.client.list_folders(pattern=(prefix or "") + "*")
    sized = connection.capability("STATUS=SIZE")
    folders = []
    for flags, _delimiter, name in sorted(listed, key=lambda item: item[2]):
        if name == prefix or name + separator == prefix:
            continue
        names = {_text(flag).lower() for flag in flags}
        if names & {"\\noselect", "\\nonexistent"}:
            folders.append(SharedFolder(name, prefix, selectable=False))
            continue
        try:
            messages, size = _size(connection, name, sized)
        except CommandRefused as refused:
            folders.append(SharedFolder(name, prefix, True, problem=str(refused)))
            continue
        folders.append(SharedFolder(name, prefix, True, messages, size))
    return folders


def _size(connection: Connection, name: str, sized: bool) -> tuple[int, int]:
    """Messages and bytes: STATUS where the server counts sizes, else the sum of
    RFC822.SIZE (Exchange's are estimates, close enough for a plan)."""
    client = connection.client
    if sized:
        with connection.errors(say("counting the messages of {folder}", folder=repr(name))):
            status = client.folder_status(name, [b"MESSAGES", b"SIZE"])
        return status.get(b"MESSAGES", 0), status.get(b"SIZE", 0)
    answer = connection.select(name, readonly=True)
    messages = answer.get(b"EXISTS", 0)
    total = 0
    if messages:
        with connection.errors(say("reading the sizes in {folder}", folder=repr(name))):
            uids = client.search("ALL")
            for start in range(0, len(uids), FETCH_CHUNK):
                fetched = client.fetch(uids[start : start + FETCH_CHUNK], [b"RFC822.SIZE"])
                total += sum(data.get(b"RFC822.SIZE", 0) for data in fetched.values())
    with contextlib.suppress(Exception):
        client.unselect_folder()
    connection.selected = None
    return messages, total


# --- the target ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetLayout:
    """Where folders can go on the target, as the administrator's login sees it."""

    separator: str
    personal_prefix: str
    shared_prefixes: tuple[str, ...]
    acl: bool

    def default_prefix(self) -> str:
        """The target's shared namespace when it has a named one; else a folder "Public
        Folders" in the administrator's own mailbox, shared from there through the ACL."""
        named = [prefix for prefix in self.shared_prefixes if prefix]
        if named:
            return named[0]
        return f"{self.personal_prefix}Public Folders{self.separator}"


def describe_target(endpoint: ImapEndpoint, credentials: Credentials) -> TargetLayout:
    connection = Connection(endpoint, credentials, "target")
    try:
        with connection.errors(say("reading the namespaces")):
            client = connection.client
            separator, personal, shared = "/", "", ()
            if client.has_capability("NAMESPACE"):
                namespaces = client.namespace()
                if namespaces.personal:
                    personal, separator = namespaces.personal[0]
                shared = tuple(prefix for prefix, _ in namespaces.shared or ())
            else:
                _flags, delimiter, _name = client.list_folders("", "")[0]
                separator = _text(delimiter) or "/"
            acl = client.has_capability("ACL")
        return TargetLayout(separator or "/", personal or "", shared, acl)
    finally:
        connection.logout()


def target_name(
    source_name: str,
    namespace: str,
    source_separator: str,
    prefix: str,
    target_separator: str,
    replacement: str = "_",
) -> str:
    """Where a public folder goes: `prefix` followed by the folder's path below its
    namespace, in the target's separator (a target separator inside a name becomes
    `replacement`)."""
    relative = source_name[len(namespace) :] if source_name.startswith(namespace) else source_name
    parts = [
        part.replace(target_separator, replacement)
        for part in relative.split(source_separator)
        if part
    ]
    return prefix + target_separator.join(parts)


@dataclass(frozen=True)
class Grant:
    folder: str
    identifier: str  # as the target names the group in an ACL
    rights: Rights


@dataclass(frozen=True)
class GrantResult:
    grant: Grant
    ok: bool
    message: str


def grant_access(
    endpoint: ImapEndpoint, credentials: Credentials, grants: Iterable[Grant]
) -> list[GrantResult]:
    """SETACL for every grant; each one's outcome. Raises AclUnsupported when the target has
    no ACL extension, and a MigratorError when it cannot be reached or the login fails."""
    connection = Connection(endpoint, credentials, "target")
    try:
        if not connection.capability("ACL"):
            raise AclUnsupported(
                say(
                    "The IMAP server {server} has no ACL extension: set the rights in its "
                    "administration instead.",
                    server=str(endpoint),
                )
            )
        results = []
        for grant in grants:
            if not grant.identifier.isascii():
                results.append(
                    GrantResult(
                        grant,
                        False,
                        say(
                            "{group} is not ASCII and cannot be sent over IMAP: set these rights "
                            "by hand.",
                            group=repr(grant.identifier),
                        ),
                    )
                )
                continue
            try:
                setting = say("setting the rights of {group}", group=repr(grant.identifier))
                with connection.errors(setting):
                    connection.client.setacl(
                        grant.folder, _quoted(grant.identifier), grant.rights.letters
                    )
            except CommandRefused as refused:
                results.append(GrantResult(grant, False, str(refused)))
                continue
            results.append(GrantResult(grant, True, f"{grant.identifier}: {grant.rights.letters}"))
        return results
    finally:
        connection.logout()


def _quoted(identifier: str) -> str:
    """An ACL identifier as an IMAP string (imapclient sends it as it is, and group names
    hold spaces)."""
    if identifier and all(c.isalnum() or c in "._-:$=@" for c in identifier):
        return identifier
    return '"' + identifier.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
