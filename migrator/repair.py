"""Messages the Intra2net server (Cyrus) rejects or rewrites, found and, on request, repaired.

Cyrus refuses NUL bytes and may refuse bare line feeds; it rewrites raw 8-bit header bytes to
`X` (or refuses them). A repair encodes such header words as RFC 2047 encoded words (keeping
their bytes), drops NULs and ends every line with CRLF. Nothing is repaired unless asked for.
"""

from __future__ import annotations

import re

from migrator.identity import header_of, split_message
from migrator.text import say

_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
_HEADER_LINE = re.compile(rb"^([^:\s]+:|[ \t]+)(.*)$", re.DOTALL)
_WORDS = re.compile(rb"(\s+)")
_Q_SAFE = re.compile(rb"[A-Za-z0-9!*+\-/]")
_ENCODED_WORD_BYTES = 40  # raw bytes per encoded word, keeps each well under 75 characters


def content_issues(message: bytes) -> list[str]:
    """What in this message the target may refuse or rewrite, a sentence each for a report."""
    header = header_of(message)
    issues = []
    if _EIGHT_BIT.search(header):
        issues.append(say("Its headers hold 8-bit bytes."))
    if b"\x00" in message:
        issues.append(say("It holds NUL bytes."))
    if _BARE_LF.search(message):
        issues.append(say("It has bare line feeds."))
    return issues


def header_has_eight_bit(message: bytes) -> bool:
    return bool(_EIGHT_BIT.search(header_of(message)))


def repair_message(message: bytes) -> bytes:
    """The message with 8-bit header words encoded, NULs dropped and CRLF line ends."""
    message = message.replace(b"\x00", b"")
    message = _BARE_LF.sub(b"\r\n", _BARE_CR.sub(b"\r\n", message))
    header, body = split_message(message)
    if not _EIGHT_BIT.search(header):
        return message
    lines = header.split(b"\r\n")
    fixed = [_encode_line(line) if _EIGHT_BIT.search(line) else line for line in lines]
    return b"\r\n".join(fixed) + b"\r\n" + body


def _encode_line(line: bytes) -> bytes:
    match = _HEADER_LINE.match(line)
    if not match:
        return _EIGHT_BIT.sub(b"?", line)
    lead, value = match.groups()
    pieces = _WORDS.split(value)  # words and the whitespace between them
    out: list[bytes] = []
    run: list[bytes] = []
    for piece in pieces:
        is_space = bool(piece) and piece.isspace()
        if run and (is_space or _EIGHT_BIT.search(piece)):
            run.append(piece)
            continue
        if _EIGHT_BIT.search(piece):
            run = [piece]
            continue
        if run:
            out.append(_flush(run))
            run = []
        out.append(piece)
    if run:
        out.append(_flush(run))
    return lead + b"".join(out)


def _flush(run: list[bytes]) -> bytes:
    """A run of 8-bit words as encoded words; trailing whitespace stays outside them."""
    trailing = b""
    while run and run[-1].isspace():
        trailing = run.pop() + trailing
    raw = b"".join(run)
    charset = _charset(raw)
    words = [_q_encode(chunk, charset) for chunk in _chunks(raw, charset)]
    return b"\r\n ".join(words) + trailing


def _charset(raw: bytes) -> bytes:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return b"windows-1252"  # what raw 8-bit mail from Outlook usually is
    return b"utf-8"


def _chunks(raw: bytes, charset: bytes) -> list[bytes]:
    if charset != b"utf-8":
        return [raw[i : i + _ENCODED_WORD_BYTES] for i in range(0, len(raw), _ENCODED_WORD_BYTES)]
    chunks, current = [], b""
    for char in raw.decode("utf-8"):
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > _ENCODED_WORD_BYTES:
            chunks.append(current)
            current = b""
        current += encoded
    return [*chunks, current] if current else chunks


def _q_encode(raw: bytes, charset: bytes) -> bytes:
    text = b"".join(
        b"_" if byte == 0x20 else bytes([byte]) if _Q_SAFE.match(bytes([byte])) else b"=%02X" % byte
        for byte in raw
    )
    return b"=?" + charset + b"?Q?" + text + b"?="
