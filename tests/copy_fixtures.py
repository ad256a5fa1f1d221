"""Helpers for the mail copy's tests: users of their own on the shared servers, an Exchange
mailbox seeded through IMAP, and snapshots of a mailbox to compare source and target by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from imapclient import IMAPClient

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.identity import body_digest, identity_key, parse_header_fields, split_message

DAY = datetime(2023, 5, 17, 9, 30, tzinfo=UTC)
STUB = (
    b"From: Microsoft Exchange Server\r\nTo: user@corp.example\r\n"
    b"Subject: Retrieval using the IMAP4 protocol failed for the following message: 42\r\n"
    b"Date: Wed, 17 May 2023 09:30:00 +0000\r\n\r\nThe server couldn't retrieve the message.\r\n"
)


def new_user(server, prefix: str = "u") -> str:
    """A user of this test's own on a shared server (the master admin logs in for them)."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    server.add_user(name, "pw-" + name)
    return name


def endpoint(server, port: int | None = None, host: str | None = None) -> ImapEndpoint:
    return ImapEndpoint(host or server.host, port or server.port, Security.PLAIN, timeout=20)


def admin_login(server, user: str, mode: LoginMode = LoginMode.ADMIN_PLAIN) -> Credentials:
    return Credentials(user, server.admin_password, mode, admin=server.admin_user)


def message(
    subject: str,
    *,
    message_id: str | None = "auto",
    body: str | bytes = "Hello,\r\nsee you.\r\n",
    sender: str = "Anna Example <anna@example.com>",
    date: str = "Wed, 17 May 2023 09:30:00 +0000",
    extra_headers: bytes = b"",
) -> bytes:
    if message_id == "auto":
        message_id = f"<{uuid.uuid4().hex}@corp.example>"
    headers = [
        b"Received: from mx1.example by exchange.corp.example; " + date.encode(),
        b"From: " + sender.encode(),
        b"To: user@corp.example",
        b"Subject: " + subject.encode(),
        b"Date: " + date.encode(),
    ]
    if message_id:
        headers.append(b"Message-ID: " + message_id.encode())
    text = body.encode() if isinstance(body, str) else body
    return b"\r\n".join(headers) + b"\r\n" + extra_headers + b"\r\n" + text


def append(
    client: IMAPClient,
    folder: str,
    raw: bytes,
    flags: tuple[bytes, ...] = (),
    when: datetime = DAY,
) -> None:
    client.append(folder, raw, flags=flags, msg_time=when)


def ensure_folder(client: IMAPClient, folder: str) -> None:
    if not client.folder_exists(folder):
        client.create_folder(folder)


def seed_exchange_mailbox(client: IMAPClient) -> None:
    """Exchange's folder set with the cases the copy must get right."""
    for folder in (
        "Projects",
        "Projects/2024",
        "Projects/2024/Q1 & Q2",
        "Kunden",
        "Kunden/Müller & Söhne",
        "Version 1.5",
        "Empty",
        "Calendar",
        "Contacts",
        "Sync Issues",
        "Sync Issues/Conflicts",
    ):
        ensure_folder(client, folder)
    twin = message("Delivered twice", message_id="<twice@corp.example>")
    append(client, "INBOX", message("Plain"), (b"\\Seen",), DAY)
    append(client, "INBOX", message("Answered"), (b"\\Seen", b"\\Answered"), DAY + timedelta(1))
    append(client, "INBOX", message("Flagged and labelled"), (b"\\Flagged", b"$Label1"))
    append(client, "INBOX", twin, (b"\\Seen",), DAY + timedelta(2))
    append(client, "INBOX", twin, (b"\\Seen",), DAY + timedelta(2))  # two stay two
    append(client, "INBOX", message("Gone", message_id="<gone@x>"), (b"\\Deleted",))
    append(client, "INBOX", STUB)
    append(client, "INBOX", message("No id", message_id=None), (), DAY + timedelta(3))
    header_8bit = "Grüße aus Köln".encode()
    append(client, "INBOX", message("x").replace(b"Subject: x", b"Subject: " + header_8bit))
    big_body = (b"0123456789abcdef" * 63 + b"\r\n") * 10_300  # about 10 MB
    append(client, "INBOX", message("Large attachment", body=big_body), (b"\\Seen",))
    draft = message("Draft without id", message_id=None, date="Thu, 18 May 2023 10:00:00 +0000")
    append(client, "Drafts", draft, (b"\\Draft",), DAY)
    append(client, "Drafts", draft.replace(b"see you", b"see you soon"), (b"\\Draft",), DAY)
    append(client, "Sent Items", message("Sent one"), (b"\\Seen",), DAY + timedelta(5))
    append(client, "Projects/2024/Q1 & Q2", message("Nested"), (), DAY + timedelta(6))
    append(client, "Kunden/Müller & Söhne", message("Umlaut folder"), (b"\\Seen",))
    append(client, "Version 1.5", message("Dotted folder"))
    append(client, "Calendar", message("Team meeting"))
    append(client, "Contacts", message("Bob"))


@dataclass(frozen=True, order=True)
class Snapshot:
    """One message as compared between source and target."""

    key: bytes
    body: bytes
    date: int
    flags: tuple[bytes, ...]


def snapshot(client: IMAPClient, folder: str) -> list[Snapshot]:
    """Identity, body digest, internal date and flags of every message, sorted."""
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    if not uids:
        return []
    data = client.fetch(uids, [b"FLAGS", b"INTERNALDATE", b"BODY.PEEK[]"])
    result = []
    for item in data.values():
        raw = item[b"BODY[]"]
        flags = tuple(sorted(f for f in item[b"FLAGS"] if f != b"\\Recent"))
        when = item[b"INTERNALDATE"]
        if when.tzinfo is None:
            when = when.astimezone()
        key = identity_key(parse_header_fields(split_message(raw)[0]))
        result.append(Snapshot(key, body_digest(raw), int(when.timestamp()), flags))
    return sorted(result)


def uids_and_flags(client: IMAPClient) -> dict[str, dict[int, tuple[bytes, ...]]]:
    """Every folder's UIDs with their flags: proof that the source stayed as it was."""
    state = {}
    for _flags, _sep, name in client.list_folders():
        client.select_folder(name, readonly=True)
        uids = client.search("ALL")
        fetched = client.fetch(uids, [b"FLAGS"]) if uids else {}
        state[name] = {
            uid: tuple(sorted(f for f in v[b"FLAGS"] if f != b"\\Recent"))
            for uid, v in fetched.items()
        }
    return state
