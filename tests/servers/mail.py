"""Building test messages, seeding mailboxes and reading them back, over IMAP.

Folder names given to `seed_mailbox()` use "/" as the separator whatever the server's is, and
are relative to the personal namespace: on a server whose personal prefix is "INBOX." the
folder "Sent" becomes "INBOX.Sent" (and "INBOX/Sent" is the same folder). Names may contain
non-ASCII characters and "&"; imapclient encodes them in modified UTF-7.

`read_mailbox()` returns names as the server shows them (decoded, with its own separator),
flags as sorted strings without \\Recent and internal dates as timezone-aware datetimes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses
from pathlib import Path

from imapclient import IMAPClient

from tests.servers.dovecot import DovecotServer
from tests.servers.imap import ImapServer

DEFAULT_DATE = datetime(2024, 1, 15, 9, 30, tzinfo=timezone(timedelta(hours=1)))
_FILLER_LINE = "The quick brown fox jumps over the lazy dog while the migration copies mail.\r\n"
_MAILDIR_FLAGS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S",
                  "\\Deleted": "T"}
_ADDRESS_HEADERS = {"From", "To", "Cc", "Bcc", "Reply-To", "Sender"}
_APPEND_BATCH_BYTES = 8_000_000
_FETCH_BATCH = 500


@dataclass(frozen=True)
class Seed:
    """A message to put into a folder, with its flags and internal date (None: now)."""

    message: bytes
    flags: tuple[str, ...] = ()
    internal_date: datetime | None = None


@dataclass(frozen=True)
class StoredMessage:
    """A message as the server keeps it."""

    uid: int
    flags: tuple[str, ...]
    internal_date: datetime
    body: bytes


def make_message(
    subject: str,
    *,
    sender: str = "Anna Schmidt <anna.schmidt@example.com>",
    to: str = "Claire Dubois <claire.dubois@example.com>",
    date: datetime | None = None,
    message_id: bool | str | None = True,
    body: str = "Hello,\n\nthis is a test message.\n\nRegards\n",
    size: int | None = None,
    attachment_size: int = 0,
    extra_headers: Mapping[str, str] | None = None,
    raw_8bit_header: bool = False,
) -> bytes:
    """An RFC 5322 message with CRLF line ends, the same bytes for the same arguments.

    `message_id`: True derives one from the arguments, a string is used as it is, None or
    False leaves the header out (as Exchange does for drafts). `size` pads the text to about
    that many bytes in total; `attachment_size` adds a base64 attachment of that many bytes.
    Non-ASCII header values are RFC 2047 encoded, unless `raw_8bit_header` asks for raw UTF-8
    (which then also adds an `X-Greeting: Grüße` header so that there is always one).
    """
    date = date or DEFAULT_DATE
    digest = hashlib.sha256(
        repr((subject, sender, to, date, body, size, attachment_size, extra_headers,
              raw_8bit_header)).encode()
    ).hexdigest()
    headers = {"From": sender, "To": to, "Subject": subject, "Date": format_datetime(date)}
    if message_id is True:
        headers["Message-ID"] = f"<{digest[:24]}@test.example.com>"
    elif message_id:
        headers["Message-ID"] = message_id
    headers["MIME-Version"] = "1.0"
    headers.update(extra_headers or {})
    if raw_8bit_header:
        headers["X-Greeting"] = "Grüße"

    text = body.replace("\r\n", "\n").replace("\n", "\r\n")
    encoding = "7bit" if text.isascii() else "8bit"
    if attachment_size:
        boundary = f"=_part_{digest[:16]}"
        headers["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
        encoded = base64.encodebytes(_attachment_bytes(digest, attachment_size)).decode()
        before = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
        )
        after = (
            f"\r\n--{boundary}\r\nContent-Type: application/octet-stream; name=attachment.bin"
            "\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=attachment.bin\r\n\r\n"
            + encoded.replace("\n", "\r\n")
            + f"--{boundary}--\r\n"
        )
    else:
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Transfer-Encoding"] = encoding
        before = after = ""
    head = b"".join(_header_line(name, value, raw_8bit_header) for name, value in headers.items())

    def assemble(text: str) -> bytes:
        return head + b"\r\n" + (before + text + after).encode()

    if size is not None:
        text += "" if text.endswith("\r\n") else "\r\n"
        missing = size - len(assemble(text))
        text += _FILLER_LINE * max(0, missing // len(_FILLER_LINE))
    return assemble(text)


def _header_line(name: str, value: str, raw: bool) -> bytes:
    if value.isascii() or raw:
        return f"{name}: {value}\r\n".encode()
    if name in _ADDRESS_HEADERS:  # encode display names only, never the addresses
        pairs = getaddresses([value])
        encoded = ", ".join(formataddr(pair, charset="utf-8") for pair in pairs)
    else:
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode()


def _attachment_bytes(digest: str, size: int) -> bytes:
    blocks = (hashlib.sha256(f"{digest}:{i}".encode()).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def imap_folder_name(server: ImapServer, name: str) -> str:
    """The server's name for a "/"-separated folder name relative to the personal namespace."""
    full = server.separator.join(name.split("/"))
    if not (full + server.separator).startswith(server.personal_prefix):
        full = server.personal_prefix + full
    return full


def seed_mailbox(
    server: ImapServer, user: str, folders: Mapping[str, Sequence[Seed]]
) -> None:
    """Create and subscribe the folders and APPEND the messages, over one connection.

    Uses MULTIAPPEND (one command per folder and about 8 MB) when the server offers it.
    """
    client = server.connect(user)
    try:
        _create_folders(client, server, folders)
        multiappend = client.has_capability("MULTIAPPEND")
        for name, seeds in folders.items():
            folder = imap_folder_name(server, name)
            if multiappend:
                for batch in _batches(seeds):
                    client.multiappend(folder, [_append_item(seed) for seed in batch])
            else:
                for seed in seeds:
                    client.append(folder, seed.message, seed.flags, seed.internal_date)
    finally:
        client.logout()


def _create_folders(
    client: IMAPClient, server: ImapServer, folders: Mapping[str, Sequence[Seed]]
) -> None:
    existing = {name for _flags, _sep, name in client.list_folders()}
    for name in folders:
        folder = imap_folder_name(server, name)
        if folder not in existing:
            client.create_folder(folder)
            existing.add(folder)
        client.subscribe_folder(folder)


def _batches(seeds: Sequence[Seed]) -> Iterator[Sequence[Seed]]:
    start, size = 0, 0
    for index, seed in enumerate(seeds):
        if size and size + len(seed.message) > _APPEND_BATCH_BYTES:
            yield seeds[start:index]
            start, size = index, 0
        size += len(seed.message)
    if start < len(seeds):
        yield seeds[start:]


def _append_item(seed: Seed) -> dict[str, object]:
    item: dict[str, object] = {"msg": seed.message, "flags": seed.flags}
    if seed.internal_date is not None:
        item["date"] = seed.internal_date
    return item


def folder_names(server: ImapServer, user: str) -> list[str]:
    """Every selectable folder of the user, sorted, as the server names them."""
    client = server.connect(user)
    try:
        return _selectable(client)
    finally:
        client.logout()


def _selectable(client: IMAPClient) -> list[str]:
    skip = {b"\\Noselect", b"\\NonExistent"}
    return sorted(
        name for flags, _sep, name in client.list_folders() if not skip.intersection(flags)
    )


def read_mailbox(server: ImapServer, user: str) -> dict[str, list[StoredMessage]]:
    """Every selectable folder of the user with its messages in UID order."""
    client = server.connect(user)
    client.normalise_times = False
    try:
        mailbox = {}
        for folder in _selectable(client):
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            messages = []
            for start in range(0, len(uids), _FETCH_BATCH):
                chunk = uids[start : start + _FETCH_BATCH]
                fetched = client.fetch(chunk, ["FLAGS", "INTERNALDATE", "BODY.PEEK[]"])
                for uid in chunk:
                    data = fetched[uid]
                    flags = tuple(sorted(
                        flag.decode() for flag in data[b"FLAGS"] if flag != b"\\Recent"
                    ))
                    messages.append(
                        StoredMessage(uid, flags, data[b"INTERNALDATE"], data[b"BODY[]"])
                    )
            mailbox[folder] = messages
        return mailbox
    finally:
        client.logout()


def write_maildir(
    server: DovecotServer, user: str, folders: Mapping[str, Sequence[Seed]]
) -> None:
    """Seed a Dovecot mailbox by writing Maildir files: for corpora of thousands of messages.

    The folders are created and subscribed over IMAP; messages go straight into `cur/` with
    their flags in the `:2,` info (keywords through `dovecot-keywords`) and the internal date
    as the file's mtime. Dovecot indexes them at the next access.
    """
    client = server.connect(user)
    try:
        _create_folders(client, server, folders)
    finally:
        client.logout()
    counter = 0
    for name, seeds in folders.items():
        path = server.folder_path(user, imap_folder_name(server, name))
        keywords = _read_keywords(path)
        for seed in seeds:
            counter += 1
            letters = _maildir_letters(seed.flags, keywords)
            stamp = seed.internal_date.timestamp() if seed.internal_date else time.time()
            file = path / "cur" / (
                f"{int(stamp)}.M{counter}P{os.getpid()}.seed,S={len(seed.message)}:2,{letters}"
            )
            file.write_bytes(seed.message)
            os.utime(file, (stamp, stamp))
        if keywords:
            lines = "".join(f"{index} {word}\n" for word, index in keywords.items())
            (path / "dovecot-keywords").write_text(lines)
    server.fix_ownership(user)


def _read_keywords(folder: Path) -> dict[str, int]:
    file = folder / "dovecot-keywords"
    if not file.exists():
        return {}
    pairs = (line.split(" ", 1) for line in file.read_text().splitlines())
    return {word: int(index) for index, word in pairs}


def _maildir_letters(flags: Sequence[str], keywords: dict[str, int]) -> str:
    letters = []
    for flag in flags:
        if flag in _MAILDIR_FLAGS:
            letters.append(_MAILDIR_FLAGS[flag])
        elif not flag.startswith("\\"):
            index = keywords.setdefault(flag, len(keywords))
            if index >= 26:
                raise ValueError("Maildir holds at most 26 keywords per folder")
            letters.append(chr(ord("a") + index))
    return "".join(sorted(letters))
