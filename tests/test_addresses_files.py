"""What every converted file has in common: chosen by its extension, unchanged where nothing is
replaced, stable when converted again, in its own encoding, and one clear error when it
cannot be read."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from migrator.address_conversion import convert_file
from migrator.address_report import UnreadableFile
from migrator.errors import PermanentError
from migrator.internal_addresses import AddressMap, build_address_map

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
EXPORTS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".vcf", ".ics", ".csv"))


@pytest.fixture(scope="module")
def addresses() -> AddressMap:
    return build_address_map(json.loads((FIXTURES / "directory.json").read_text("utf-8")))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_there_are_vcard_icalendar_and_csv_fixtures():
    assert {Path(name).suffix for name in EXPORTS} == {".vcf", ".ics", ".csv"}
    assert len(EXPORTS) >= 7


@pytest.mark.parametrize("name", EXPORTS)
def test_with_nothing_resolvable_every_export_comes_back_byte_for_byte(name):
    conversion = convert_file(name, fixture(name), AddressMap([]))
    assert conversion.data == fixture(name)
    assert conversion.report.replaced == 0
    assert conversion.report.unresolved  # every fixture holds internal addresses


@pytest.mark.parametrize("name", EXPORTS)
def test_converting_a_converted_file_again_changes_nothing(name, addresses):
    first = convert_file(name, fixture(name), addresses)
    second = convert_file(name, first.data, addresses)
    assert first.report.replaced > 0
    assert second.data == first.data
    assert second.report.replaced == 0
    assert [u.address for u in second.report.unresolved] == [
        u.address for u in first.report.unresolved
    ]


def test_the_extension_chooses_the_converter_in_any_case(addresses):
    conversion = convert_file("Kollegen.VCF", fixture("outlook-3.0-kollegen.vcf"), addresses)
    assert (conversion.report.name, conversion.report.kind) == ("Kollegen.VCF", "vcard")
    assert convert_file("x.ics", fixture("outlook-aufgaben.ics"), addresses).report.kind == (
        "icalendar"
    )


def test_a_utf16_export_stays_utf16_with_its_byte_order_mark(addresses):
    text = fixture("outlook-besprechung.ics").decode("utf-8")
    utf16 = codecs.BOM_UTF16_LE + text.encode("utf-16-le")

    conversion = convert_file("besprechung.ics", utf16, addresses)

    expected = convert_file("besprechung.ics", text.encode(), addresses).data.decode("utf-8")
    assert conversion.data == codecs.BOM_UTF16_LE + expected.encode("utf-16-le")
    assert conversion.report.replaced == 5


def test_a_utf8_byte_order_mark_is_kept(addresses):
    data = codecs.BOM_UTF8 + fixture("outlook-3.0-kollegen.vcf")
    conversion = convert_file("k.vcf", data, addresses)
    assert conversion.data.startswith(codecs.BOM_UTF8 + b"BEGIN:VCARD\r\n")
    assert conversion.report.replaced == 4


def test_a_file_without_a_line_end_at_the_end_keeps_it_that_way():
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:/o=A/cn=jane\r\nEND:VCARD"
    jane = build_address_map({"users": [{"sam": "jane", "primary": "jane@a.example",
                                          "x500": ["/o=A/cn=jane"]}]})
    converted = convert_file("j.vcf", data, jane).data
    assert converted == b"BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:jane@a.example\r\nEND:VCARD"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.vcf", b"", "the file is empty"),
    ("blank.ics", b"\r\n \r\n", "the file is empty"),
    ("photo.vcf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("calendar.vcf", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
     "no readable vCard file: line 1 begins a VCALENDAR where a VCARD belongs"),
    ("letter.ics", b"Sehr geehrte Damen und Herren,\r\nanbei der Termin.\r\n",
     "no readable iCalendar file: line 1 is no content line"),
    ("open.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\n", "BEGIN:VCARD on line 1 is never ended"),
    ("crossed.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
     "line 3 ends VTODO, but VEVENT is open"),
    ("charset.vcf", b"BEGIN:VCARD\r\nNOTE;CHARSET=klingon;ENCODING=QUOTED-PRINTABLE:=E4\r\n"
                    b"END:VCARD\r\n", "the value on line 2 cannot be decoded"),
    ("open-quote.csv", b'"Name","E-mail Address"\r\n"Jane,x\r\n', "on line 2 never ends"),
    ("stray.csv", b'"Name","E-mail"x\r\n', "line 1 has text after a closing quote"),
    ("bytes.csv", b"a,b\r\n\x81\x8d,\x8f\x90\r\n", "neither UTF-8 nor Windows-1252"),
    ("half.ics", b"\xff\xfeB\x00\x00\xd8", "starts like UTF-16 text but is not"),
    ("notes.txt", b"hello", "only .vcf, .ics and .csv files"),
])
def test_unreadable_input_raises_one_clear_error(name, data, message):
    with pytest.raises(UnreadableFile, match=message.replace("(", r"\(")) as raised:
        convert_file(name, data, AddressMap([]))
    assert isinstance(raised.value, PermanentError)
    assert "\n" not in str(raised.value)
