"""Internal addresses in Outlook's contact export (CSV, German and English) are replaced by SMTP
addresses; every other byte, the encoding and the byte order mark stay as they were."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from migrator.contact_csv import convert_contact_csv
from migrator.internal_addresses import AddressMap, MapEntry, build_address_map

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
OLD = "/o=Corp/ou=First Administrative Group/cn=Recipients"


@pytest.fixture(scope="module")
def addresses() -> AddressMap:
    return build_address_map(json.loads((FIXTURES / "directory.json").read_text("utf-8")))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_german_windows_1252_export_keeps_every_byte_but_the_replaced_cells(addresses):
    original = fixture("outlook-kontakte-de.csv")

    conversion = convert_contact_csv(original, addresses, name="kontakte.csv")

    assert conversion.data == original.replace(
        f'"{LEGACY}/cn=jmueller","EX"'.encode(), b'"joerg.mueller@corp.example","SMTP"'
    ).replace(
        b'"IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_'
        b'cn=Recipients_cn=pwagner@corp.example","SMTP"',
        b'"peter.wagner@corp.example","SMTP"',
    ).replace(
        f'"{OLD}/cn=pwagner","EX"'.encode(), b'"peter.wagner@corp.example","SMTP"'
    )
    assert "Königstraße".encode("cp1252") in conversion.data
    assert [r.where for r in conversion.report.replacements] == [
        "line 2, “E-Mail-Adresse” of “Jörg Müller”",
        "line 6, “E-Mail-Adresse” of “Peter Wagner”",
        "line 6, “E-Mail 2: Adresse” of “Peter Wagner”",
    ]


def test_the_departed_colleague_stays_and_a_note_over_two_lines_survives(addresses):
    original = fixture("outlook-kontakte-de.csv")
    conversion = convert_contact_csv(original, addresses)
    [unresolved] = conversion.report.unresolved
    assert (unresolved.where, unresolved.address) == (
        "line 4, “E-Mail-Adresse” of “Thomas Bauer”", f"{LEGACY}/cn=tbauer"
    )
    assert f'"{LEGACY}/cn=tbauer","EX"'.encode() in conversion.data
    assert b'"Hat das Unternehmen verlassen.\r\nNachfolger: Peter Wagner, ""Einkauf"""' in (
        conversion.data
    )


def test_an_english_utf8_export_keeps_its_byte_order_mark_and_free_text(addresses):
    original = fixture("outlook-contacts-en.csv")

    conversion = convert_contact_csv(original, addresses)

    assert conversion.data.startswith(b"\xef\xbb\xbf\"Title\",\"First Name\"")
    assert conversion.data == original.replace(
        f'"{LEGACY}/cn=aschmidt-4f2a9c","EX"'.encode(), b'"anna.schmidt@corp.example","SMTP"'
    ).replace(
        b'"IMCEAEX-_O=CORP_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=JMUELLER'
        b'@corp.example","SMTP"',
        b'"joerg.mueller@corp.example","SMTP"',
    )
    assert f"Old address: {LEGACY}/cn=aschmidt (kept as text)".encode() in conversion.data


def test_the_converted_file_reads_the_same_as_before_except_the_replaced_cells(addresses):
    original = fixture("outlook-kontakte-de.csv")
    converted = convert_contact_csv(original, addresses).data

    def rows(data: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(data.decode("cp1252"), newline="")))

    before, after = rows(original), rows(converted)
    changed = {(r, c) for r, row in enumerate(before) for c, cell in enumerate(row)
               if cell != after[r][c]}
    assert [len(row) for row in before] == [len(row) for row in after] == [92] * 5
    headers = {before[0][c] for _, c in changed}
    assert headers == {"E-Mail-Adresse", "E-Mail-Typ", "E-Mail 2: Adresse", "E-Mail 2: Typ"}
    assert len(changed) == 5  # three addresses, two types that were EX


JANE = AddressMap([MapEntry("/o=A/cn=jane", "jane@corp.example", "user", "jane")])


def test_unquoted_cells_and_semicolons_are_kept_as_written():
    written = "Name;E-Mail-Adresse;E-Mail-Typ\nJane;/o=A/cn=jane;EX\nBob;bob@x.example;SMTP\n"
    converted = convert_contact_csv(written.encode(), JANE).data
    assert converted.decode() == (
        "Name;E-Mail-Adresse;E-Mail-Typ\nJane;jane@corp.example;SMTP\nBob;bob@x.example;SMTP\n"
    )


def test_a_header_in_another_language_still_gets_its_addresses_replaced():
    written = b'"Nom","Adresse de messagerie"\r\n"Jane","EX:/o=A/cn=jane"\r\n'
    conversion = convert_contact_csv(written, JANE)
    assert conversion.data == b'"Nom","Adresse de messagerie"\r\n"Jane","jane@corp.example"\r\n'
    assert conversion.report.replacements[0].where == "line 2, “Adresse de messagerie”"


def test_a_file_without_a_header_is_read_from_its_first_line():
    conversion = convert_contact_csv(b"Jane,/o=A/cn=jane\n", JANE)
    assert conversion.data == b"Jane,jane@corp.example\n"
    assert conversion.report.replacements[0].where == "line 1, column 2"
