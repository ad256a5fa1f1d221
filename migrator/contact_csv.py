"""Internal Exchange addresses in Outlook's contact export (`.csv`), replaced by SMTP addresses.

Outlook exports contacts with a header line in the language of the installation: English
("E-mail Address", "E-mail Type", "E-mail 2 Address" ...) or German ("E-Mail-Adresse",
"E-Mail-Typ", "E-Mail 2: Adresse" ...), every field in double quotes, CRLF, in UTF-8 with a
byte order mark or, in older versions, Windows-1252. An Exchange contact's address is its X500
DN with the type "EX".

Every cell whose whole text is an internal address is replaced, whatever its column (so a
header in another language works too); where the address column has its type column beside
it ("E-mail 2 Type" for "E-mail 2 Address"), an "EX" there becomes "SMTP". The file is split
into cells with their positions and checked against Python's csv module reading the same
text; only the replaced cells are rewritten (quoted as they were), so the rest of the file
keeps its bytes, encoding and byte order mark.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass

from migrator.address_report import Conversion, Resolver, UnreadableFile
from migrator.exchange_addresses import parse_internal_address
from migrator.file_text import decode_text, read_text_bytes
from migrator.internal_addresses import AddressMap
from migrator.text import say

_ADDRESS_COLUMN = re.compile(r"e-?mail\s*(\d*)\s*:?\s*-?\s*(?:address|adresse)", re.IGNORECASE)
_TYPE_COLUMN = re.compile(r"e-?mail\s*(\d*)\s*:?\s*-?\s*(?:type|typ)", re.IGNORECASE)
_NAME_COLUMNS = ({"first name", "vorname"}, {"last name", "nachname"})
EXCHANGE_TYPES = frozenset({"EX", "X500"})
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Cell:
    start: int  # span in the text, quotes included
    end: int
    text: str
    quoted: bool


def convert_contact_csv(
    data: bytes, addresses: AddressMap, *, name: str = "", allow_suffix: bool = True
) -> Conversion:
    """The contact CSV with internal addresses replaced, and the report. Raises
    UnreadableFile when `data` cannot be decoded or is no well-formed CSV."""
    original = read_text_bytes(data)
    text, codec = decode_text(original.body)
    delimiter = _delimiter(text)
    try:
        rows = _rows(text, delimiter)
        _check_with_csv_module(text, delimiter, rows)
    except UnreadableFile as e:
        raise UnreadableFile(
            say("this is no readable {kind} file: {problem}", kind="CSV", problem=str(e))
        ) from None
    header: list[str] = []
    if rows and not any(parse_internal_address(cell.text) for cell in rows[0][1]):
        header = [cell.text.strip() for cell in rows[0][1]]
    types = _type_columns(header)
    names = [
        next((i for i, h in enumerate(header) if h.lower() in wanted), None)
        for wanted in _NAME_COLUMNS
    ]
    resolver = Resolver(addresses, allow_suffix=allow_suffix)
    replaced: dict[int, tuple[int, str, bool]] = {}  # start -> (end, new text, quoted)
    for line, cells in rows[1 if header else 0 :]:
        for column, cell in enumerate(cells):
            found = parse_internal_address(cell.text)
            if found is None:
                continue
            where = _where(line, column, header, cells, names)
            address = resolver.address_for(found, where, line, charset=codec)
            if address is None:
                continue
            replaced[cell.start] = (cell.end, found.scheme + address, cell.quoted)
            type_column = types.get(column)
            if type_column is not None and type_column < len(cells):
                kind = cells[type_column]
                if kind.text.strip().upper() in EXCHANGE_TYPES:
                    replaced[kind.start] = (kind.end, "SMTP", kind.quoted)
    out = _splice(text, replaced, delimiter)
    return Conversion(original.restore(out.encode(codec)), resolver.report(name, "csv"))


def _delimiter(text: str) -> str:
    """The delimiter used most often outside quotes on the first line."""
    first, in_quotes = [], False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            break
        elif not in_quotes:
            first.append(char)
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows(text: str, delimiter: str) -> list[tuple[int, list[Cell]]]:
    """(line number, cells) per record, with each cell's span in `text`."""
    breaks = [m.start() for m in re.finditer("\n", text)]
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    rows = []
    position, end = 0, len(text)
    while position < end:
        line = bisect.bisect_right(breaks, position - 1) + 1
        cells = []
        while True:
            start = position
            if text.startswith('"', position):
                parts, position = [], position + 1
                while True:
                    close = text.find('"', position)
                    if close < 0:
                        raise UnreadableFile(
                            say("the quoted field on line {number} never ends", number=line)
                        )
                    parts.append(text[position:close])
                    if text.startswith('"', close + 1):
                        parts.append('"')
                        position = close + 2
                        continue
                    position = close + 1
                    break
                cells.append(Cell(start, position, "".join(parts), True))
            else:
                match = unquoted.match(text, position)
                assert match is not None
                position = match.end()
                cells.append(Cell(start, position, match[0], False))
            if text.startswith(delimiter, position):
                position += len(delimiter)
                continue
            break
        if position < end and text[position] not in "\r\n":
            at = bisect.bisect_right(breaks, position - 1) + 1
            raise UnreadableFile(say("line {number} has text after a closing quote", number=at))
        position += 2 if text.startswith("\r\n", position) else 1
        rows.append((line, cells))
    return rows


def _check_with_csv_module(text: str, delimiter: str, rows: list[tuple[int, list[Cell]]]) -> None:
    try:
        expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise UnreadableFile(
            say("Python's CSV reader refuses it: {problem}", problem=str(e))
        ) from None
    mine = [[cell.text for cell in cells] for _, cells in rows]
    mine = [[] if row == [""] else row for row in mine]
    if mine != expected:
        raise UnreadableFile(say("its quoting is ambiguous (CSV readers would not agree on it)"))


def _type_columns(header: list[str]) -> dict[int, int]:
    """Address column -> the type column of the same number."""
    addresses, types = {}, {}
    for index, title in enumerate(header):
        if match := _ADDRESS_COLUMN.fullmatch(title):
            addresses[match[1] or "1"] = index
        elif match := _TYPE_COLUMN.fullmatch(title):
            types[match[1] or "1"] = index
    return {index: types[number] for number, index in addresses.items() if number in types}


def _where(
    line: int, column: int, header: list[str], cells: list[Cell], names: list[int | None]
) -> str:
    person = " ".join(cells[i].text.strip() for i in names if i is not None and i < len(cells))
    person = person.strip()
    if column < len(header) and header[column]:
        heading = header[column]
        if person:
            return say(
                "line {number}, “{heading}” of “{person}”",
                number=line,
                heading=heading,
                person=person,
            )
        return say("line {number}, “{heading}”", number=line, heading=heading)
    if person:
        return say(
            "line {number}, column {column} of “{person}”",
            number=line,
            column=column + 1,
            person=person,
        )
    return say("line {number}, column {column}", number=line, column=column + 1)


def _splice(text: str, replaced: dict[int, tuple[int, str, bool]], delimiter: str) -> str:
    out, position = [], 0
    for start in sorted(replaced):
        end, value, quoted = replaced[start]
        out.append(text[position:start])
        needs_quotes = quoted or any(c in value for c in (delimiter, '"', "\r", "\n"))
        out.append('"' + value.replace('"', '""') + '"' if needs_quotes else value)
        position = end
    out.append(text[position:])
    return "".join(out)
