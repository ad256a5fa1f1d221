"""Step 7: before anything is copied, can every mailbox be opened over IMAP, how big is it, and
will it fit into the user's quota on the Intra2net server?"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from migrator.connection import Connection
from migrator.endpoints import Credentials, ImapEndpoint
from migrator.errors import MigratorError
from migrator.folders import FolderRules, list_folders, plan_folders
from migrator.text import say

SIZE_CHUNK = 5000  # messages per FETCH of sizes


@dataclass(frozen=True)
class MailboxToCheck:
    key: str
    source_credentials: Credentials
    target_credentials: Credentials | None  # None: the target can't be logged into for it


@dataclass(frozen=True)
class MailboxCheck:
    key: str
    source_ok: bool
    message: str
    messages: int | None = None
    bytes: int | None = None  # Exchange's estimated sizes, good for planning
    quota_bytes: int | None = None
    used_bytes: int | None = None


def check_mailbox(
    source: ImapEndpoint,
    target: ImapEndpoint,
    mailbox: MailboxToCheck,
    rules: FolderRules | None = None,
) -> MailboxCheck:
    """Log into the source and add up the mail folders (the ones the copy would take); then
    read the target's quota for the user where the target offers QUOTA."""
    connection = Connection(source, mailbox.source_credentials, "source")
    try:
        connection.open()
        messages, size = _mailbox_size(connection, rules or FolderRules())
    except MigratorError as e:
        return MailboxCheck(mailbox.key, False, str(e))
    finally:
        connection.logout()
    quota, used, note = _quota(target, mailbox.target_credentials)
    return MailboxCheck(mailbox.key, True, note, messages, size, quota, used)


def check_mailboxes(
    source: ImapEndpoint,
    target: ImapEndpoint,
    mailboxes: Iterable[MailboxToCheck],
    *,
    parallel: int = 4,
    rules: FolderRules | None = None,
) -> Iterator[MailboxCheck]:
    """Check many mailboxes, `parallel` at a time (Exchange limits connections per server);
    results come as they finish."""
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        yield from pool.map(lambda m: check_mailbox(source, target, m, rules), mailboxes)


def _mailbox_size(connection: Connection, rules: FolderRules) -> tuple[int, int]:
    with connection.errors(say("listing folders")):
        listing = list_folders(connection.client)
    plans = plan_folders(listing, listing, rules)
    messages = size = 0
    for plan in plans:
        if plan.excluded or not plan.selectable:
            continue
        if not connection.select(plan.source, readonly=True).get(b"EXISTS", 0):
            continue
        with connection.errors(say("reading the sizes in {folder}", folder=repr(plan.source))):
            uids = connection.client.search("ALL")
            messages += len(uids)
            for start in range(0, len(uids), SIZE_CHUNK):
                fetched = connection.client.fetch(
                    uids[start : start + SIZE_CHUNK], [b"RFC822.SIZE"]
                )
                size += sum(data.get(b"RFC822.SIZE", 0) for data in fetched.values())
    return messages, size


def _quota(
    target: ImapEndpoint, credentials: Credentials | None
) -> tuple[int | None, int | None, str]:
    if credentials is None:
        return None, None, say("Quota not read: no login for the Intra2net server.")
    connection = Connection(target, credentials, "target")
    try:
        connection.open()
        if not connection.capability("QUOTA"):
            return None, None, say("The Intra2net server does not tell quotas over IMAP.")
        with connection.errors(say("reading the quota")):
            _roots, quotas = connection.client.get_quota_root("INBOX")
    except MigratorError as e:
        return None, None, say("Quota not read: {reason}", reason=e)
    finally:
        connection.logout()
    storage = [q for q in quotas if q.resource.upper() == "STORAGE"]
    if not storage:
        return None, None, say("No storage quota on the Intra2net server.")
    return storage[0].limit * 1024, storage[0].usage * 1024, ""
