"""Which message is which on both sides: an identity from a few stable headers.

The identity is the Message-ID together with a digest of Date, From, Subject and the first
Received line (the digest alone when there is no Message-ID); never the size, which Exchange
only estimates. Header values are normalised so that what the target legitimately does to a
message keeps its identity: Cyrus turns 8-bit header bytes into `X`, and a repair (explicit
option) turns them into encoded words and drops NUL bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

IDENTITY_HEADERS = (b"MESSAGE-ID", b"DATE", b"FROM", b"SUBJECT", b"RECEIVED")
HEADER_ITEM = b"BODY.PEEK[HEADER.FIELDS (" + b" ".join(IDENTITY_HEADERS) + b")]"

# What Exchange sends instead of a message it cannot convert to MIME.
STUB_SUBJECT = "retrieval using the imap4 protocol failed for the following message"
STUB_SENDER = "microsoft exchange"

_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(rb"(?<=\?=)\s+(?==\?)")
_QUOTED_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_SPACE = re.compile(rb"\s+")


@dataclass(frozen=True, slots=True)
class MessageMeta:
    """What is known of one message without its body. Kept small: a folder's inventory holds
    one per message (a datetime with its zone object would be most of the size)."""

    uid: int
    key: bytes  # the identity, 16 bytes
    timestamp: int  # the internal date, seconds since the epoch
    zone_minutes: int  # the internal date's UTC offset, kept for the APPEND
    size: int  # RFC822.SIZE: an estimate on Exchange
    flags: tuple[bytes, ...]
    subject: str  # for reports only, shortened
    stub: bool = False  # an Exchange conversion stub

    @property
    def internal_date(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, _zone(self.zone_minutes))

    @property
    def deleted(self) -> bool:
        return b"\\Deleted" in self.flags


@functools.cache
def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def parse_header_fields(block: bytes) -> dict[bytes, bytes]:
    """The first occurrence of each header field in a header block, unfolded; names upper."""
    fields: dict[bytes, bytes] = {}
    for line in _FOLD.sub(b"", block).split(b"\n"):
        name, colon, value = line.partition(b":")
        if not colon or not name or name[0] in b" \t":
            continue
        fields.setdefault(name.strip().upper(), value.strip())
    return fields


def normalise_value(value: bytes) -> bytes:
    """A header value as every copy of the message shows it: encoded words decoded to their
    bytes, 8-bit bytes as `X` (Cyrus' munging), no NULs, whitespace collapsed."""
    if b"=?" in value:
        value = _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub(b"", value))
    value = _EIGHT_BIT.sub(b"X", value.replace(b"\x00", b""))
    return _SPACE.sub(b" ", value).strip()


def identity_key(fields: dict[bytes, bytes]) -> bytes:
    parts = [normalise_value(fields.get(name, b"")) for name in IDENTITY_HEADERS]
    return hashlib.sha256(b"\x00".join(parts)).digest()[:16]


def is_conversion_stub(fields: dict[bytes, bytes]) -> bool:
    subject = normalise_value(fields.get(b"SUBJECT", b"")).decode("ascii", "replace").lower()
    sender = normalise_value(fields.get(b"FROM", b"")).decode("ascii", "replace").lower()
    return subject.startswith(STUB_SUBJECT) and STUB_SENDER in sender


def display_subject(fields: dict[bytes, bytes], limit: int = 100) -> str:
    """The subject for a report: encoded words decoded where possible, shortened."""
    raw = fields.get(b"SUBJECT", b"")
    text = (
        _ENCODED_WORD.sub(_decode_word_text, _BETWEEN_WORDS.sub(b"", raw)) if b"=?" in raw else raw
    )
    subject = _SPACE.sub(b" ", text).decode("utf-8", "replace").strip()
    return subject if len(subject) <= limit else subject[: limit - 1] + "…"


def body_digest(message: bytes) -> bytes:
    """A digest of a message's body (after the header) that survives NUL removal and line-end
    repair: only needed to tell apart twins with the same headers and internal date."""
    _header, body = split_message(message)
    return hashlib.sha256(body.replace(b"\r", b"").replace(b"\x00", b"")).digest()[:16]


def split_message(message: bytes) -> tuple[bytes, bytes]:
    """Header block (with its final line end) and body."""
    end, body = _header_end(message)
    return message[:end], message[body:]


def header_of(message: bytes) -> bytes:
    """The header block, without copying the body."""
    return message[: _header_end(message)[0]]


def _header_end(message: bytes) -> tuple[int, int]:
    """Where the header block ends (after its last line end) and where the body starts."""
    crlf = message.find(b"\r\n\r\n")
    lf = message.find(b"\n\n", 0, crlf if crlf >= 0 else len(message))
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf + 2, crlf + 4
    if lf >= 0:
        return lf + 1, lf + 2
    return len(message), len(message)


def _decode_word(match: re.Match[bytes]) -> bytes:
    encoding, text = match.group(2).upper(), match.group(3)
    try:
        if encoding == b"B":
            return base64.b64decode(text + b"=" * (-len(text) % 4))
        return _QUOTED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.replace(b"_", b" "))
    except (binascii.Error, ValueError):
        return match.group(0)


def _decode_word_text(match: re.Match[bytes]) -> bytes:
    raw = _decode_word(match)
    charset = match.group(1).decode("ascii", "replace").split("*")[0]
    try:
        return raw.decode(charset, "replace").encode("utf-8")
    except LookupError:
        return raw
