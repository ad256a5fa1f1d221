"""How an uploaded text file is encoded, so that a converted copy can be written back in the
same bytes: a byte order mark stays, UTF-16 stays UTF-16, and everything not replaced is
copied as it was.

Outlook writes UTF-8 (with or without a byte order mark), Windows-1252 in older versions and
in vCard 2.1 (even mixed with UTF-8 in one file), and UTF-16 for "Unicode" exports. UTF-16
is handled by working on a UTF-8 copy and encoding the result back, which gives the same
bytes for everything unchanged.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from migrator.address_report import UnreadableFile
from migrator.text import say

_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class TextBytes:
    """A file's text as bytes in an ASCII-compatible encoding, without the byte order mark."""

    body: bytes = field(repr=False)
    bom: bytes = b""
    utf16: str | None = None  # the codec of the original when it was UTF-16

    def restore(self, body: bytes) -> bytes:
        """The file as it is to be written: `body` in the original's encoding and mark."""
        if self.utf16:
            return self.bom + body.decode("utf-8").encode(self.utf16)
        return self.bom + body


def read_text_bytes(data: bytes) -> TextBytes:
    """Raises UnreadableFile for an empty file or one that is binary rather than text."""
    if not data.strip():
        raise UnreadableFile(say("the file is empty"))
    for bom, codec in _UTF16:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise UnreadableFile(say("the file starts like UTF-16 text but is not")) from None
            return TextBytes(text.encode("utf-8"), bom, codec)
    if b"\x00" in data:
        raise UnreadableFile(say("the file is binary, not text (it holds NUL bytes)"))
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return TextBytes(data[len(bom) :], bom)


def decode_text(body: bytes) -> tuple[str, str]:
    """The text and its codec: UTF-8 when the bytes are UTF-8, else Windows-1252. Raises
    UnreadableFile when they are neither."""
    for codec in ("utf-8", "cp1252"):
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(
        say("the text is neither UTF-8 nor Windows-1252; save it again as UTF-8 and retry")
    )


def decode_line(line: bytes) -> str:
    """One line for a parser: UTF-8 when it is, else Windows-1252 (Outlook mixes the two in
    one vCard file); never fails."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")
