"""vCard and iCalendar files as content lines that can be changed one at a time while every
other byte stays as it was.

Two readings of the same file are kept side by side:

- **vobject's**: the library splits the text into logical lines and parses each one (name,
  parameters, and the value with quoted-printable and CHARSET= decoded). Converters decide
  on what it read: that is where the file is parsed with a proper library.
- **the bytes'**: the same logical lines as spans of physical lines, unfolded, with each
  parameter's span, so that a changed line is rewritten textually, refolded, and put back
  in place of its physical lines. Lines nobody changed are copied byte for byte, whatever
  their encoding (Outlook mixes Windows-1252 and UTF-8 in one vCard) and folding.

Both readings split lines by vobject's rules (RFC folding, vCard 2.1's quoted-printable soft
line breaks, blank lines end a line) and must agree line by line; BEGIN and END must nest.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from vobject.base import ContentLine as LibraryLine
from vobject.base import ParseError, getLogicalLines, textLineToContentLine

from migrator.address_report import UnreadableFile
from migrator.file_text import TextBytes, decode_line, read_text_bytes
from migrator.text import say

FOLD_WIDTH = 75  # octets per physical line (RFC 5545, RFC 2426)
QP_WIDTH = 76  # characters per quoted-printable line, "=" included

_NAME = re.compile(rb"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)")
_PARAM_NAME = re.compile(rb"[A-Za-z0-9_-]+")
_UNQUOTED = re.compile(rb'[^";:,]*')
_LABELS = ("SUMMARY", "FN")  # what names a component in messages


@dataclass(frozen=True)
class ParamValue:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Param:
    """`;NAME=value,...` of one line; `start`/`end` span it in the unfolded line (both 0 for
    a parameter a converter made up)."""

    name: str
    values: tuple[ParamValue, ...] = ()
    start: int = 0
    end: int = 0

    @property
    def key(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class Component:
    name: str  # VCARD, VEVENT...
    parent: int  # index in ContentFile.components, -1 at the top
    line: int
    label: str = ""
    version: str = ""


@dataclass(frozen=True)
class Line:
    """One logical line: physical lines `first` to `last` (exclusive, 0-based), `number` the
    1-based number of the first one, `raw` the unfolded bytes."""

    number: int
    first: int
    last: int
    raw: bytes = field(repr=False)
    group: str
    name: str  # upper case, as vobject names it
    name_end: int
    params: tuple[Param, ...]
    value_start: int
    library: LibraryLine = field(repr=False)
    component: int = -1

    @property
    def value(self) -> str:
        """The value as vobject decoded it (quoted-printable and CHARSET undone)."""
        return self.library.value

    @property
    def quoted_printable(self) -> bool:
        return any(
            p.key == "QUOTED-PRINTABLE"
            or (p.key == "ENCODING" and any(v.text.upper() == "QUOTED-PRINTABLE" for v in p.values))
            for p in self.params
        )

    @property
    def charset(self) -> str | None:
        for param in self.params:
            if param.key == "CHARSET" and param.values:
                return param.values[0].text
        return None

    def has_param_value(self, param: Param, value: ParamValue) -> bool:
        """Whether vobject read the same value for this parameter (a guard against the two
        readings disagreeing)."""
        return value.text in self.library.params.get(param.key, ())


class ContentFile:
    """A vCard or iCalendar file whose top-level components must all be `top`."""

    def __init__(self, data: bytes, *, top: str) -> None:
        self.top = top
        self._text: TextBytes = read_text_bytes(data)
        self._physical = _physical_lines(self._text.body)
        decoded = [decode_line(content + eol) for content, eol in self._physical]
        self.components: list[Component] = []
        try:
            spans = _logical_spans(self._physical, decoded)
            library = _library_lines("".join(decoded), spans)
            self.lines: list[Line] = self._lines(spans, library)
        except UnreadableFile as e:
            kind = {"VCARD": "vCard", "VCALENDAR": "iCalendar"}.get(top, top)
            raise UnreadableFile(
                say("this is no readable {kind} file: {problem}", kind=kind, problem=str(e))
            ) from None
        self._rewritten: dict[int, bytes] = {}  # first physical line -> new bytes
        self._eol = next((eol for _, eol in self._physical if eol), b"\r\n")
        self._indent = next(
            (content[:1] for content, _ in self._physical[1:] if content[:1] in (b" ", b"\t")),
            b" ",
        )

    @property
    def body(self) -> bytes:
        return self._text.body

    # --- reading ----------------------------------------------------------------------

    def _lines(self, spans: list[tuple[int, int, bytes]], library: list[LibraryLine]) -> list[Line]:
        lines: list[Line] = []
        stack: list[int] = []
        for (first, last, raw), parsed in zip(spans, library, strict=True):
            number = first + 1
            parts = _tokenize(raw)
            if parts is None or parts[1] != parsed.name:
                raise UnreadableFile(
                    say(
                        "line {number} cannot be taken apart: {text}",
                        number=number,
                        text=_show(raw),
                    )
                )
            group, name, name_end, params, value_start = parts
            if name == "BEGIN":
                parent = stack[-1] if stack else -1
                if parent == -1 and parsed.value.upper() != self.top:
                    raise UnreadableFile(
                        say(
                            "line {number} begins a {component} where a {top} belongs",
                            number=number,
                            component=parsed.value,
                            top=self.top,
                        )
                    )
                self.components.append(Component(parsed.value.upper(), parent, number))
                stack.append(len(self.components) - 1)
            elif not stack:
                raise UnreadableFile(
                    say(
                        "line {number} is outside any BEGIN:{top} … END:{top}: {text}",
                        number=number,
                        top=self.top,
                        text=_show(raw),
                    )
                )
            component = stack[-1]
            lines.append(
                Line(
                    number,
                    first,
                    last,
                    raw,
                    group,
                    name,
                    name_end,
                    params,
                    value_start,
                    parsed,
                    component,
                )
            )
            if name == "END":
                if parsed.value.upper() != self.components[component].name:
                    raise UnreadableFile(
                        say(
                            "line {number} ends {component}, but {open} is open",
                            number=number,
                            component=parsed.value,
                            open=self.components[component].name,
                        )
                    )
                stack.pop()
            else:
                self._note(component, name, parsed.value)
        if stack:
            open_one = self.components[stack[-1]]
            raise UnreadableFile(
                say(
                    "BEGIN:{component} on line {number} is never ended",
                    component=open_one.name,
                    number=open_one.line,
                )
            )
        if not self.components:
            raise UnreadableFile(say("there is no BEGIN:{top} in it", top=self.top))
        return lines

    def _note(self, index: int, name: str, value: str) -> None:
        component = self.components[index]
        if name in _LABELS and not component.label:
            label = value.replace("\\,", ",").replace("\\;", ";").strip()
            label = label if len(label) <= 60 else label[:59] + "…"
            self.components[index] = replace(component, label=label)
        elif name == "VERSION":
            self.components[index] = replace(component, version=value.strip())

    def labelled(self, line: Line) -> tuple[Component | None, Component | None]:
        """The component `line` is in, and the nearest one (itself or a parent) with a label."""
        if line.component < 0:
            return None, None
        own = self.components[line.component]
        index = line.component
        while index >= 0 and not self.components[index].label:
            index = self.components[index].parent
        return own, (self.components[index] if index >= 0 else None)

    def version(self, line: Line) -> str:
        index = line.component
        while index >= 0:
            if self.components[index].version:
                return self.components[index].version
            index = self.components[index].parent
        return ""

    # --- writing ----------------------------------------------------------------------

    def rewrite(
        self,
        line: Line,
        *,
        value: str | None = None,
        params: Mapping[int, Param | None] | None = None,
        fold: bool = True,
    ) -> None:
        """Replace `line`: its value with `value` (encoded as the line's was), parameters by
        index with new ones (None drops one). Lines are folded at 75 octets when `fold`
        (vCard 2.1 has folding rules of its own and is left unfolded); quoted-printable
        values get soft line breaks instead."""
        params = params or {}
        charset = line.charset or "utf-8"
        head = bytearray(line.raw[: line.name_end])
        for index, param in enumerate(line.params):
            if index not in params:
                head += line.raw[param.start : param.end]
            elif (new := params[index]) is not None:
                head += _render_param(new, charset)
        head += b":"
        if value is None:
            body = line.raw[line.value_start :]
            quoted_printable = line.quoted_printable and b"=\n" in body
        else:
            body = value.encode(charset)
            quoted_printable = line.quoted_printable
            if quoted_printable:
                body = _qp_encode(body)
        if quoted_printable:
            body = body.replace(b"=\n", b"")
            pieces = _qp_pieces(bytes(head) + body, len(head))
        elif fold:
            pieces = _fold_pieces(bytes(head) + body)
        else:
            pieces = [bytes(head) + body]
        first, *rest = pieces
        joiner = b"" if quoted_printable else self._line_indent(line)
        line_break = self._physical[line.first][1] or self._eol
        out = first + b"".join(line_break + joiner + piece for piece in rest)
        # The last physical line's end stays as it was (none at the very end of a file).
        self._rewritten[line.first] = out + self._physical[line.last - 1][1]

    def _line_indent(self, line: Line) -> bytes:
        if line.last - line.first > 1:
            start = self._physical[line.first + 1][0][:1]
            if start in (b" ", b"\t"):
                return start
        return self._indent

    def to_bytes(self) -> bytes:
        """The file with the rewritten lines, in its original encoding."""
        out = bytearray()
        by_first = {line.first: line for line in self.lines}
        index = 0
        while index < len(self._physical):
            if index in self._rewritten:
                out += self._rewritten[index]
                index = by_first[index].last
                continue
            content, eol = self._physical[index]
            out += content + eol
            index += 1
        return self._text.restore(bytes(out))


def _physical_lines(body: bytes) -> list[tuple[bytes, bytes]]:
    """(content, line end) pairs; lines end at LF as in vobject (a CR before it belongs to the
    line end)."""
    parts = body.split(b"\n")
    lines = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if last and not part:
            break
        content = part.rstrip(b"\r")
        lines.append((content, part[len(content) :] + (b"" if last else b"\n")))
    return lines


def _logical_spans(
    physical: list[tuple[bytes, bytes]], decoded: list[str]
) -> list[tuple[int, int, bytes]]:
    """(first, last, unfolded bytes) per logical line, by vobject's getLogicalLines rules."""
    spans: list[tuple[int, int, bytes]] = []
    current: list | None = None  # [first, last, raw bytes, text]
    soft_break = False
    for index, (content, _) in enumerate(physical):
        text = decoded[index].rstrip("\r\n")
        if text.rstrip() == "":
            if current:
                spans.append((current[0], current[1], bytes(current[2])))
            current, soft_break = None, False
            continue
        if soft_break and current is not None:
            current[2] += b"\n" + content
            current[3] += "\n" + text
            soft_break = False
        elif text[0] in " \t" and current is not None:
            current[2] += content[1:]
            current[3] += text[1:]
        elif text[0] in " \t":
            current = [index, index, bytearray(content[1:]), text[1:]]
        else:
            if current:
                spans.append((current[0], current[1], bytes(current[2])))
            current = [index, index, bytearray(content), text]
        current[1] = index + 1
        soft_break = current[3].endswith("=") and "quoted-printable" in current[3].lower()
    if current:
        spans.append((current[0], current[1], bytes(current[2])))
    return spans


def _library_lines(text: str, spans: list[tuple[int, int, bytes]]) -> list[LibraryLine]:
    lines: list[LibraryLine] = []
    for index, (logical, _) in enumerate(getLogicalLines(io.StringIO(text), allowQP=True)):
        number = spans[index][0] + 1 if index < len(spans) else "?"
        try:
            lines.append(textLineToContentLine(logical, number))
        except ParseError:
            raise UnreadableFile(
                say(
                    "line {number} is no content line (NAME;PARAMS:value): {text}",
                    number=number,
                    text=_show(logical),
                )
            ) from None
        except (LookupError, UnicodeError, ValueError) as e:
            raise UnreadableFile(
                say(
                    "the value on line {number} cannot be decoded: {problem}",
                    number=number,
                    problem=str(e),
                )
            ) from None
    if len(lines) != len(spans):
        raise UnreadableFile(say("the lines of the file cannot be told apart consistently"))
    return lines


def _tokenize(raw: bytes) -> tuple[str, str, int, tuple[Param, ...], int] | None:
    """(group, NAME, end of the name, parameters, start of the value) or None."""
    match = _NAME.match(raw)
    if match is None:
        return None
    group = (match[1] or b"").decode("ascii")
    name = match[2].decode("ascii").upper().replace("_", "-")
    position = name_end = match.end()
    params = []
    while raw[position : position + 1] == b";":
        start = position
        found = _PARAM_NAME.match(raw, position + 1)
        if found is None:
            return None
        position = found.end()
        values: list[ParamValue] = []
        if raw[position : position + 1] == b"=":
            position += 1
            while True:
                if raw[position : position + 1] == b'"':
                    close = raw.find(b'"', position + 1)
                    if close < 0:
                        return None
                    values.append(ParamValue(decode_line(raw[position + 1 : close]), True))
                    position = close + 1
                else:
                    text = _UNQUOTED.match(raw, position)
                    assert text is not None
                    values.append(ParamValue(decode_line(text[0])))
                    position = text.end()
                if raw[position : position + 1] != b",":
                    break
                position += 1
        params.append(Param(found[0].decode("ascii"), tuple(values), start, position))
    if raw[position : position + 1] != b":":
        return None
    return group, name, name_end, tuple(params), position + 1


def _render_param(param: Param, charset: str) -> bytes:
    out = b";" + param.name.encode("ascii")
    if param.values:
        out += b"=" + b",".join(_render_value(value, charset) for value in param.values)
    return out


def _render_value(value: ParamValue, charset: str) -> bytes:
    text = value.text.encode(charset)
    if value.quoted or any(c in text for c in b",;:"):
        return b'"' + text + b'"'
    return text


def _qp_encode(data: bytes) -> bytes:
    out = bytearray()
    for index, byte in enumerate(data):
        last = index == len(data) - 1
        if (33 <= byte <= 126 and byte != ord("=")) or (byte in (9, 32) and not last):
            out.append(byte)
        else:
            out += b"=%02X" % byte
    return bytes(out)


def _qp_pieces(raw: bytes, value_start: int) -> list[bytes]:
    """Quoted-printable soft line breaks: each piece but the last ends in "=", none splits an
    "=XX" escape, and the break never falls before the value."""
    pieces = []
    start = 0
    while len(raw) - start > QP_WIDTH:
        cut = max(start + QP_WIDTH - 1, value_start)
        for back in (1, 2):
            if raw[cut - back : cut - back + 1] == b"=" and cut - back >= value_start:
                cut -= back
                break
        if cut <= start or cut >= len(raw):
            break
        pieces.append(raw[start:cut] + b"=")
        start = cut
    pieces.append(raw[start:])
    return pieces


def _fold_pieces(raw: bytes) -> list[bytes]:
    """At most 75 octets a physical line (the continuation's indent included), never
    splitting a UTF-8 character."""
    pieces = []
    start, limit = 0, FOLD_WIDTH
    while len(raw) - start > limit:
        cut = start + limit
        while cut > start + 1 and 0x80 <= raw[cut] <= 0xBF:
            cut -= 1
        pieces.append(raw[start:cut])
        start, limit = cut, FOLD_WIDTH - 1
    pieces.append(raw[start:])
    return pieces


def _show(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = decode_line(text)
    text = text.replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:59] + "…")
