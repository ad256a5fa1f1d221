"""Internal addresses in Outlook's vCards are replaced by SMTP addresses; every other byte of the
file stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vobject

from migrator.internal_addresses import AddressMap, MapEntry, build_address_map
from migrator.vcards import convert_vcards

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"


@pytest.fixture(scope="module")
def addresses() -> AddressMap:
    return build_address_map(json.loads((FIXTURES / "directory.json").read_text("utf-8")))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_outlooks_vcard_21_keeps_every_byte_but_the_two_address_lines(addresses):
    original = fixture("outlook-2.1-joerg-mueller.vcf")

    conversion = convert_vcards(original, addresses, name="joerg.vcf")

    assert conversion.data == original.replace(
        b"EMAIL;PREF;INTERNET:IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28"
        b"FYDIBOHF23SPDLT+29_CN=RECIPIENTS_CN=JMUELLER@corp.example\r\n",
        b"EMAIL;PREF;INTERNET:joerg.mueller@corp.example\r\n",
    ).replace(
        b"EMAIL;X500:/O=CORP/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=JMUELLER\r\n",
        b"EMAIL;INTERNET:joerg.mueller@corp.example\r\n",
    )
    assert conversion.data != original
    report = conversion.report
    assert (report.name, report.kind, report.replaced, report.unresolved) == (
        "joerg.vcf", "vcard", 2, ()
    )
    assert [(r.where, r.address, r.how) for r in report.replacements] == [
        ("line 14, EMAIL of the card “Jörg Müller”", "joerg.mueller@corp.example", "exact"),
        ("line 15, EMAIL of the card “Jörg Müller”", "joerg.mueller@corp.example", "exact"),
    ]


def test_windows_1252_text_beside_a_utf8_line_a_quoted_printable_label_and_a_photo_survive(
    addresses,
):
    converted = convert_vcards(fixture("outlook-2.1-joerg-mueller.vcf"), addresses).data
    assert "FN;CHARSET=Windows-1252:Jörg Müller\r\n".encode("cp1252") in converted
    assert '<label align="right" color="626262">Geschäftlich</label>'.encode() in converted
    assert b"K=F6nigstra=DFe 12=0D=0A=\r\n70173 Stuttgart=0D=0A=\r\nDeutschland\r\n" in converted
    assert b"AAAAAAD/2gAIAQEAAD8AKp//2Q==\r\n\r\nREV:" in converted


def test_a_quoted_printable_address_with_a_soft_line_break_is_one_value(addresses):
    original = fixture("outlook-2.1-team.vcf")

    conversion = convert_vcards(original, addresses)

    assert conversion.data == original.replace(
        b"EMAIL;PREF;INTERNET;ENCODING=QUOTED-PRINTABLE:/o=3DCorp/ou=3DExchange Administra=\r\n"
        b"tive Group (FYDIBOHF23SPDLT)/cn=3DRecipients/cn=3Dpwagner\r\n",
        b"EMAIL;PREF;INTERNET;ENCODING=QUOTED-PRINTABLE:peter.wagner@corp.example\r\n",
    ).replace(
        f"EMAIL;PREF;EX:{LEGACY}/cn=aschmidt\r\n".encode(),
        b"EMAIL;PREF;INTERNET:anna.schmidt@corp.example\r\n",
    )


def test_an_address_found_by_ignoring_exchanges_suffix_is_reported_for_a_check(addresses):
    report = convert_vcards(fixture("outlook-2.1-team.vcf"), addresses).report
    assert [(r.where, r.original, r.address) for r in report.suffix_matches] == [
        ("line 16, EMAIL of the card “Anna Schmidt”", f"{LEGACY}/cn=aschmidt",
         "anna.schmidt@corp.example"),
    ]


def test_without_suffix_matching_that_address_stays_as_it_was(addresses):
    original = fixture("outlook-2.1-team.vcf")
    conversion = convert_vcards(original, addresses, allow_suffix=False)
    assert f"EMAIL;PREF;EX:{LEGACY}/cn=aschmidt\r\n".encode() in conversion.data
    assert [u.where for u in conversion.report.unresolved] == [
        "line 16, EMAIL of the card “Anna Schmidt”"
    ]


def test_folded_vcard_30_lines_are_replaced_and_refolded_only_where_changed(addresses):
    original = fixture("outlook-3.0-kollegen.vcf")

    conversion = convert_vcards(original, addresses)

    assert conversion.data == original.replace(
        b"EMAIL;TYPE=X500:/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/\r\n"
        b" cn=Recipients/cn=aschmidt-4f2a9c\r\n",
        b"EMAIL;TYPE=INTERNET:anna.schmidt@corp.example\r\n",
    ).replace(
        b"EMAIL;type=INTERNET;type=pref:/O=CORP/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/"
        b"CN=JMUELLER\r\n",
        b"EMAIL;type=INTERNET;type=pref:joerg.mueller@corp.example\r\n",
    ).replace(
        b"EMAIL;TYPE=INTERNET:IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20\r\n"
        b" +28FYDIBOHF23SPDLT+29_cn=Recipients_cn=Vertrieb@corp.example\r\n",
        b"EMAIL;TYPE=INTERNET:vertrieb@corp.example\r\n",
    ).replace(
        b"X-EXCHANGE-ADDRESS:EX:/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23S\r\n"
        b" PDLT)/cn=Recipients/cn=Vertrieb\r\n",
        b"X-EXCHANGE-ADDRESS:vertrieb@corp.example\r\n",
    )
    assert conversion.report.replaced == 4


def test_an_address_nobody_has_any_more_is_reported_with_where_it_was(addresses):
    original = fixture("outlook-3.0-kollegen.vcf")
    conversion = convert_vcards(original, addresses)
    [unresolved] = conversion.report.unresolved
    assert unresolved.where == "line 23, EMAIL of the card “Thomas Bauer”"
    assert unresolved.address.endswith("_CN=RECIPIENTS_CN=TBAUER@corp.example")
    assert unresolved.dn.endswith("/CN=RECIPIENTS/CN=TBAUER")
    assert unresolved.reason.startswith("not in the directory")
    assert b"_CN=RECIPIENTS_CN=TBAUER@corp.example\r\n" in conversion.data


def test_a_line_folded_inside_a_utf8_character_survives(addresses):
    converted = convert_vcards(fixture("outlook-3.0-kollegen.vcf"), addresses).data
    assert b"NOTE:Ansprechpartner f\xc3\r\n \xbcr die Messe in M\xc3\xbcnchen.\r\n" in converted


def test_the_converted_cards_still_parse_with_vobject(addresses):
    converted = convert_vcards(fixture("outlook-3.0-kollegen.vcf"), addresses).data
    cards = list(vobject.readComponents(converted.decode("utf-8", "surrogateescape")))
    assert [[email.value for email in card.email_list] for card in cards] == [
        ["anna.schmidt@corp.example", "anna.schmidt@corp.example"],
        ["joerg.mueller@corp.example"],
        ["IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28FYDIBOHF23SPDLT+29_"
         "CN=RECIPIENTS_CN=TBAUER@corp.example"],
        ["vertrieb@corp.example"],
    ]


def card(*lines: str, version: str = "3.0") -> bytes:
    body = ["BEGIN:VCARD", f"VERSION:{version}", "FN:Jane Doe", *lines, "END:VCARD"]
    return "".join(line + "\r\n" for line in body).encode()


JANE = AddressMap([MapEntry("/o=A/cn=jane", "jane.doe@corp.example", "user", "jane")])


@pytest.mark.parametrize(("written", "expected"), [
    ("EMAIL;TYPE=INTERNET,X500:/o=A/cn=jane", "EMAIL;TYPE=INTERNET:jane.doe@corp.example"),
    ("EMAIL;TYPE=x500;TYPE=pref:/o=A/cn=jane",
     "EMAIL;TYPE=internet;TYPE=pref:jane.doe@corp.example"),
    ("EMAIL;TYPE=EX:EX:/o=A/cn=jane", "EMAIL;TYPE=INTERNET:jane.doe@corp.example"),
    ("item1.EMAIL;TYPE=X400:/o=A/cn=jane", "item1.EMAIL;TYPE=INTERNET:jane.doe@corp.example"),
])
def test_an_exchange_address_type_becomes_internet_once(written, expected):
    converted = convert_vcards(card(written), JANE).data
    assert converted == card(expected)


def test_a_vcard_21_exchange_type_token_is_renamed_or_dropped():
    written = card("EMAIL;INTERNET;X500:/o=A/cn=jane", "EMAIL;PREF;EX:/o=A/cn=jane", version="2.1")
    converted = convert_vcards(written, JANE).data
    assert converted == card("EMAIL;INTERNET:jane.doe@corp.example",
                             "EMAIL;PREF;INTERNET:jane.doe@corp.example", version="2.1")


LONG = AddressMap([
    MapEntry("/o=A/cn=x", "a.very.long.address.for.testing.folds@subsidiary.corp.example", "user",
             "x"),
])


def test_a_vcard_30_line_that_grows_beyond_75_octets_is_folded():
    converted = convert_vcards(card("EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=PREF:EX:/o=A/cn=x"), LONG)
    assert converted.data == card(
        "EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=PREF:a.very.long.address.for.testing.fol\r\n"
        " ds@subsidiary.corp.example"
    )
    assert max(len(line) for line in converted.data.split(b"\r\n")) == 75


def test_a_vcard_21_line_is_never_folded_as_21_readers_would_keep_the_space():
    written = card("EMAIL;INTERNET;WORK;PREF:EX:/o=A/cn=x", version="2.1")
    converted = convert_vcards(written, LONG)
    assert converted.data == card(
        "EMAIL;INTERNET;WORK;PREF:a.very.long.address.for.testing.folds@subsidiary.corp.example",
        version="2.1",
    )


def test_an_smtp_address_and_free_text_mentioning_a_dn_are_left_alone():
    written = card("EMAIL;TYPE=INTERNET:jane@corp.example", "NOTE:was /o=A/cn=jane before")
    conversion = convert_vcards(written, JANE)
    assert conversion.data == written
    assert (conversion.report.replaced, conversion.report.unresolved) == (0, ())
