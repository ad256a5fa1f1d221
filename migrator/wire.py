"""The copy's hot path on the IMAP wire, beside imaplib: MULTIAPPEND or pipelined APPENDs,
and FETCHes parsed lean, with large bodies streamed instead of held.

imaplib sends one command at a time, holds every literal in memory and parses answers at a
cost that shows in a profile. Here a batch goes out in one MULTIAPPEND (or APPENDs back to
back, with non-synchronizing literals where the server has LITERAL+) and the answers are read
afterwards; a large body goes from one socket to a file and from the file to the other socket
in chunks. These functions use the connection between imaplib's own commands, with tags of
their own, and leave it as they found it.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import imapclient
from imapclient import imap_utf7
from imapclient.datetime_util import datetime_to_INTERNALDATE
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from migrator.text import say

CHUNK = 1 << 20
_SMALL = 1 << 16
_LITERAL = re.compile(rb"\{(\d+)\}$")
_BODY_HEAD = re.compile(rb"BODY\[\] \{\d+\}$", re.IGNORECASE)
_HEADER_HEAD = re.compile(rb"BODY\[HEADER\.FIELDS [^\]]*\] \{\d+\}$", re.IGNORECASE)
_HEADER_QUOTED = re.compile(rb'BODY\[HEADER\.FIELDS [^\]]*\] "((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)", re.IGNORECASE)
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"', re.IGNORECASE)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)
_DATE = re.compile(rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)")
_MONTHS = {
    m: n for n, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)
}
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)
_APPENDUID_SET = re.compile(rb"\[APPENDUID \d+ ([\d:,]+)\]", re.IGNORECASE)
_tags = itertools.count(1)


@dataclass(frozen=True)
class Outgoing:
    """One message to append: its bytes in memory, or a file of `size` bytes."""

    flags: tuple[bytes, ...]
    internal_date: datetime
    body: bytes | BinaryIO
    size: int


@dataclass(frozen=True)
class AppendOutcome:
    ok: bool
    answer: str  # the server's text, for a report when it said NO
    uid: int | None = None  # from APPENDUID, where the server has UIDPLUS


def append_messages(
    client: imapclient.IMAPClient, folder: str, messages: Sequence[Outgoing]
) -> list[AppendOutcome]:
    """APPEND the messages to `folder`; one outcome per message, in order.

    With MULTIAPPEND they go in one command, which the server stores in one transaction (on
    Dovecot and Cyrus far faster than a commit per message). It is all or nothing: when the
    server refuses it, the messages go again one by one, so that only the bad ones fail."""
    if len(messages) > 1 and client.has_capability("MULTIAPPEND"):
        outcomes = _multiappend(client, folder, messages)
        if outcomes is not None:
            return outcomes
    return _pipelined_appends(client, folder, messages)


def _multiappend(
    client: imapclient.IMAPClient, folder: str, messages: Sequence[Outgoing]
) -> list[AppendOutcome] | None:
    """One APPEND command with every message; None when the server refused it."""
    imap = client._imap
    literal_plus = client.has_capability("LITERAL+")
    tag = _new_tag()
    answers: dict[bytes, tuple[bytes, bytes]] = {}
    prefix = b"%s APPEND %s " % (tag, _quote(imap_utf7.encode(folder)))
    for n, message in enumerate(messages):
        head = prefix if n == 0 else b" "
        head += _message_head(message, literal_plus)
        if literal_plus:
            _send_literal(imap, head, message, end=b"")
        else:
            imap.send(head)
            if not _await_continuation(imap, tag, answers):
                break
            _send_literal(imap, b"", message, end=b"")
    else:
        imap.send(b"\r\n")
    while tag not in answers:
        _read_response(imap, answers)
    status, text = answers[tag]
    if status != b"OK":
        return None
    uids = _uid_set(text)
    if len(uids) != len(messages):
        uids = [None] * len(messages)
    return [AppendOutcome(True, text.decode("utf-8", "replace"), uid) for uid in uids]


def _pipelined_appends(
    client: imapclient.IMAPClient, folder: str, messages: Sequence[Outgoing]
) -> list[AppendOutcome]:
    imap = client._imap
    literal_plus = client.has_capability("LITERAL+")
    mailbox = _quote(imap_utf7.encode(folder))
    tags: list[bytes] = []
    answers: dict[bytes, tuple[bytes, bytes]] = {}
    for message in messages:
        tag = _new_tag()
        tags.append(tag)
        head = b"%s APPEND %s %s" % (tag, mailbox, _message_head(message, literal_plus))
        if literal_plus:
            _send_literal(imap, head, message)
        else:
            imap.send(head)
            if _await_continuation(imap, tag, answers):
                _send_literal(imap, b"", message)
    while any(tag not in answers for tag in tags):
        _read_response(imap, answers)
    outcomes = []
    for tag in tags:
        status, text = answers[tag]
        uid = _APPENDUID.search(text)
        outcomes.append(
            AppendOutcome(
                status == b"OK", text.decode("utf-8", "replace"), int(uid.group(1)) if uid else None
            )
        )
    return outcomes


def fetch_bodies(client: imapclient.IMAPClient, uids: Sequence[int]) -> dict[int, bytes]:
    """BODY.PEEK[] of the messages with these UIDs in the selected folder; UIDs that no longer
    exist are missing from the answer."""
    bodies: dict[int, bytes] = {}
    for text, literals in _fetch(client, _uid_list(uids), b"(UID BODY.PEEK[])"):
        uid = _UID.search(text)
        body = next((data for head, data in literals if _BODY_HEAD.search(head)), None)
        if uid and body is not None:
            bodies[int(uid.group(1))] = body
    return bodies


def fetch_body_to_file(client: imapclient.IMAPClient, uid: int, out: BinaryIO) -> int | None:
    """Stream one message's BODY.PEEK[] into `out`; its size, or None when it is gone."""
    written: list[int] = []

    def into_file(head: bytes, size: int) -> bool:
        if written or not _BODY_HEAD.search(head):
            return False
        remaining = size
        while remaining:
            chunk = client._imap.read(min(CHUNK, remaining))
            if not chunk:
                raise _closed(say("the server closed the connection in the middle of a message"))
            out.write(chunk)
            remaining -= len(chunk)
        written.append(size)
        return True

    for _response in _fetch(client, b"%d" % uid, b"(UID BODY.PEEK[])", stream=into_file):
        pass
    return written[0] if written else None


@dataclass(frozen=True, slots=True)
class Metadata:
    uid: int
    flags: tuple[bytes, ...]
    timestamp: int  # INTERNALDATE
    zone_minutes: int
    size: int  # RFC822.SIZE
    header: bytes  # the header fields asked for


def fetch_metadata(
    client: imapclient.IMAPClient, uids: Sequence[int], header_item: bytes
) -> list[Metadata]:
    """UID, FLAGS, INTERNALDATE, RFC822.SIZE and some header fields (with BODY.PEEK) of the
    messages with these UIDs. Parsed here: imapclient's general parser costs more CPU than
    the rest of a copy together."""
    items = b"(UID FLAGS INTERNALDATE RFC822.SIZE " + header_item + b")"
    found: dict[int, dict[str, object]] = {}
    for text, literals in _fetch(client, _uid_list(uids), items):
        uid = _UID.search(text)
        if not uid:
            continue
        data = found.setdefault(int(uid.group(1)), {})
        if flags := _FLAGS.search(text):
            data["flags"] = tuple(flags.group(1).split())
        if date := _INTERNALDATE.search(text):
            data["date"] = date.group(1)
        if size := _SIZE.search(text):
            data["size"] = int(size.group(1))
        header = next((data for head, data in literals if _HEADER_HEAD.search(head)), None)
        if header is None and (quoted := _HEADER_QUOTED.search(text)):
            header = quoted.group(1)
        if header is not None:
            data["header"] = header
    result = []
    for uid, data in found.items():
        timestamp, zone = _internal_date(data.get("date"))
        result.append(
            Metadata(
                uid,
                data.get("flags", ()),  # type: ignore[arg-type]
                timestamp,
                zone,
                data.get("size", 0),  # type: ignore[arg-type]
                data.get("header", b""),  # type: ignore[arg-type]
            )
        )
    return result


def _internal_date(text: object) -> tuple[int, int]:
    """`17-May-2023 09:30:00 +0200` as seconds since the epoch and the offset in minutes."""
    match = _DATE.match(text) if isinstance(text, bytes) else None
    if not match:
        return 0, 0
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    offset = (int(zone_hours) * 60 + int(zone_minutes)) * (-1 if sign == b"-" else 1)
    moment = (int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute), int(second))
    return calendar.timegm((*moment, 0, 0, 0)) - offset * 60, offset


def _fetch(
    client: imapclient.IMAPClient,
    uid_set: bytes,
    items: bytes,
    *,
    stream: Callable[[bytes, int], bool] | None = None,
) -> Iterator[tuple[bytes, list[tuple[bytes, bytes]]]]:
    """Send a UID FETCH and yield each untagged response: its text (literals left out) and its
    literals, each with the text that precedes it. `stream` may take a literal off the socket
    itself (it returns True when it did)."""
    imap = client._imap
    tag = _new_tag()
    imap.send(b"%s UID FETCH %s %s\r\n" % (tag, uid_set, items))
    while True:
        line = _line(imap)
        if line.startswith(tag + b" "):
            status, _, text = line[len(tag) + 1 :].partition(b" ")
            if status.upper() != b"OK":
                reason = text.decode("utf-8", "replace")
                raise IMAPClientError(say("UID FETCH failed: {reason}", reason=reason))
            return
        if line.startswith(b"* BYE"):
            raise IMAPClientAbortError(line.decode("utf-8", "replace"))
        text_parts, literals = [line], []
        while literal := _LITERAL.search(line):
            size = int(literal.group(1))
            if stream is None or not stream(line, size):
                literals.append((line, _read_exactly(imap, size)))
            line = _line(imap)
            text_parts.append(line)
        yield b" ".join(text_parts), literals


def _uid_list(uids: Sequence[int]) -> bytes:
    """`1:5,8,10:12` for 1,2,3,4,5,8,10,11,12: short commands for long runs of UIDs."""
    runs: list[list[int]] = []
    for uid in sorted(uids):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return b",".join(b"%d" % a if a == b else b"%d:%d" % (a, b) for a, b in runs)


def _message_head(message: Outgoing, literal_plus: bool) -> bytes:
    return b'(%s) "%s" {%d%s}\r\n' % (
        b" ".join(message.flags),
        datetime_to_INTERNALDATE(message.internal_date).encode(),
        message.size,
        b"+" if literal_plus else b"",
    )


def _uid_set(answer: bytes) -> list[int | None]:
    """The UIDs of an `[APPENDUID validity 4:6,9]` answer, in order."""
    found = _APPENDUID_SET.search(answer)
    if not found:
        return []
    uids: list[int | None] = []
    for part in found.group(1).split(b","):
        first, _, last = part.partition(b":")
        low, high = int(first), int(last or first)
        step = 1 if high >= low else -1
        uids.extend(range(low, high + step, step))
    return uids


def _send_literal(imap, head: bytes, message: Outgoing, end: bytes = b"\r\n") -> None:
    if isinstance(message.body, bytes):
        if message.size < _SMALL:
            imap.send(head + message.body + end)
            return
        if head:
            imap.send(head)
        imap.send(message.body)
    else:
        if head:
            imap.send(head)
        message.body.seek(0)
        while chunk := message.body.read(CHUNK):
            imap.send(chunk)
    if end:
        imap.send(end)


def _await_continuation(imap, tag: bytes, answers: dict[bytes, tuple[bytes, bytes]]) -> bool:
    """Read until the server asks for the literal (True) or answers the command (False)."""
    while True:
        line = _line(imap)
        if line.startswith(b"+"):
            return True
        _record(imap, line, answers)
        if tag in answers:
            return False


def _read_response(imap, answers: dict[bytes, tuple[bytes, bytes]]) -> None:
    _record(imap, _line(imap), answers)


def _record(imap, line: bytes, answers: dict[bytes, tuple[bytes, bytes]]) -> None:
    if line.startswith(b"* BYE"):
        raise IMAPClientAbortError(line.decode("utf-8", "replace"))
    if line.startswith(b"*") or line.startswith(b"+"):
        while literal := _LITERAL.search(line):
            _read_exactly(imap, int(literal.group(1)))
            line = _line(imap)
        return
    tag, _, rest = line.partition(b" ")
    status, _, text = rest.partition(b" ")
    answers[tag] = (status.upper(), text)


def _line(imap) -> bytes:
    line = imap.readline()
    if not line:
        raise _closed(say("the server closed the connection"))
    return line.rstrip(b"\r\n")


def _read_exactly(imap, size: int) -> bytes:
    data = imap.read(size)
    if len(data) != size:
        raise _closed(say("the server closed the connection in the middle of an answer"))
    return data


def _closed(reason: str) -> IMAPClientAbortError:
    # migrator.connection drops the "socket error: " as it does imaplib's.
    return IMAPClientAbortError("socket error: " + reason)


def _new_tag() -> bytes:
    return b"mc%d" % next(_tags)


def _quote(name: bytes) -> bytes:
    return b'"' + name.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
