"""A folder's inventory: UID, flags, internal date, size and identity of every message, read in
batched FETCHes of headers only (BODY.PEEK, so the source stays unread)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from migrator.connection import Connection
from migrator.identity import (
    HEADER_ITEM,
    MessageMeta,
    display_subject,
    identity_key,
    is_conversion_stub,
    parse_header_fields,
)
from migrator.text import say
from migrator.wire import Metadata, fetch_metadata

FETCH_CHUNK = 1000  # messages per metadata FETCH


@dataclass(frozen=True)
class Inventory:
    folder: str
    uidvalidity: int | None
    permanent_flags: tuple[bytes, ...]
    messages: tuple[MessageMeta, ...]

    @property
    def size(self) -> int:
        return sum(m.size for m in self.messages)


def read_inventory(connection: Connection, folder: str, *, readonly: bool) -> Inventory:
    """Select `folder` (EXAMINE when read-only) and read what is known of every message."""
    answer = connection.select(folder, readonly=readonly)
    messages: list[MessageMeta] = []
    if answer.get(b"EXISTS", 0):
        with connection.errors(say("listing the messages of {folder}", folder=repr(folder))):
            uids = connection.client.search("ALL")
        messages = read_messages(connection, uids)
    return Inventory(
        folder,
        answer.get(b"UIDVALIDITY"),
        tuple(answer.get(b"PERMANENTFLAGS", ())),
        tuple(messages),
    )


def read_messages(connection: Connection, uids: Sequence[int]) -> list[MessageMeta]:
    """What is known of the messages with these UIDs in the selected folder, in UID order."""
    messages: list[MessageMeta] = []
    flag_sets: dict[tuple[bytes, ...], tuple[bytes, ...]] = {}
    reading = say("reading the messages of {folder}", folder=repr(connection.selected))
    with connection.errors(reading):
        for chunk in _chunks(sorted(uids), FETCH_CHUNK):
            fetched = fetch_metadata(connection.client, chunk, HEADER_ITEM)
            messages.extend(_meta(m, flag_sets) for m in sorted(fetched, key=_uid))
    return messages


def _meta(data: Metadata, flag_sets: dict[tuple[bytes, ...], tuple[bytes, ...]]) -> MessageMeta:
    fields = parse_header_fields(data.header)
    flags = tuple(sorted(f for f in data.flags if f != b"\\Recent"))
    return MessageMeta(
        uid=data.uid,
        key=identity_key(fields),
        timestamp=data.timestamp,
        zone_minutes=data.zone_minutes,
        size=data.size,
        # Interned: a folder's messages share a handful of flag sets.
        flags=flag_sets.setdefault(flags, flags),
        subject=display_subject(fields),
        stub=is_conversion_stub(fields),
    )


def _uid(data: Metadata) -> int:
    return data.uid


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
