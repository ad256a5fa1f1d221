"""Exchange's internal addresses in the forms Outlook writes them, and the IMCEAEX encoding."""

from __future__ import annotations

import pytest

from migrator.errors import BadArguments
from migrator.exchange_addresses import (
    AddressForm,
    decode_imceaex,
    dn_stem,
    imceaex_address,
    parse_internal_address,
)

LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe"
ENCODED = ("IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_"
           "cn=Recipients_cn=jdoe@corp.example")


def test_it_decodes_the_imceaex_address_from_the_notes():
    address = ("IMCEAEX-_O=ORG_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28FYDIBOHF23SPDLT+29_"
               "CN=JDOE@domain")
    assert decode_imceaex(address) == (
        "/O=ORG/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=JDOE"
    )


def test_the_encoder_is_the_exact_inverse_of_the_decoder():
    assert imceaex_address(LEGACY, "corp.example") == ENCODED
    assert decode_imceaex(ENCODED) == LEGACY


@pytest.mark.parametrize("dn", [
    LEGACY,
    "/o=Corp/ou=First Administrative Group/cn=Recipients/cn=first.last",
    "/o=Corp/ou=Site_A+B/cn=Recipients/cn=o'brien@home",  # characters that need encoding
    "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=Jörg Müller",
    "/o=Corp/cn=Recipients/cn=5b4b3e54c0c44af1a3ba5e5ad1f3ac5b-jdoe",
])
def test_any_dn_survives_encoding_and_decoding(dn):
    encoded = imceaex_address(dn, "corp.example")
    assert decode_imceaex(encoded) == dn
    assert imceaex_address(decode_imceaex(encoded), "corp.example") == encoded
    local_part = encoded.rpartition("@")[0]
    assert local_part.isascii()
    assert not set(local_part) & set(' ()/@,;:<>[]\\"')


def test_plus_underscore_and_non_ascii_are_encoded_as_utf8_bytes():
    assert imceaex_address("/o=A+B/cn=x_y/cn=ö", "d.example") == (
        "IMCEAEX-_o=A+2BB_cn=x+5Fy_cn=+C3+B6@d.example"
    )


def test_an_address_cannot_be_made_without_a_usable_domain():
    for domain in ("", "a@b", "corp example"):
        with pytest.raises(BadArguments):
            imceaex_address(LEGACY, domain)


def test_a_damaged_escape_is_refused_by_the_decoder():
    with pytest.raises(ValueError, match="two hex digits"):
        decode_imceaex("IMCEAEX-_o=Corp_cn=a+2@corp.example")
    with pytest.raises(ValueError):
        decode_imceaex("jdoe@corp.example")


@pytest.mark.parametrize(("written", "form", "scheme"), [
    (LEGACY, AddressForm.DN, ""),
    (LEGACY.upper(), AddressForm.DN, ""),
    (f"EX:{LEGACY}", AddressForm.EX, ""),
    (f"X500:{LEGACY}", AddressForm.X500, ""),
    (f"x500:{LEGACY}", AddressForm.X500, ""),
    (ENCODED, AddressForm.IMCEAEX, ""),
    (f"MAILTO:{ENCODED}", AddressForm.IMCEAEX, "MAILTO:"),
    (f"mailto:{LEGACY}", AddressForm.DN, "mailto:"),
    (f"  mailto:EX:{LEGACY} ", AddressForm.EX, "mailto:"),
])
def test_it_recognises_every_form_outlook_writes(written, form, scheme):
    found = parse_internal_address(written)
    assert found is not None
    assert (found.form, found.scheme) == (form, scheme)
    assert found.dn.lower() == LEGACY.lower()
    assert found.text == written.strip()


@pytest.mark.parametrize("value", [
    "jdoe@corp.example",
    "mailto:jdoe@corp.example",
    "Jörg Müller",
    f"Old address: {LEGACY}",  # a DN mentioned in a text is left alone
    "EX:jdoe",
    "",
])
def test_anything_else_is_not_an_internal_address(value):
    assert parse_internal_address(value) is None


def test_an_imceaex_address_without_a_dn_is_still_internal_but_has_no_dn():
    found = parse_internal_address("IMCEAEX-garbage+zz@corp.example")
    assert found is not None
    assert (found.form, found.dn) == (AddressForm.IMCEAEX, "")


def test_exchanges_hex_suffix_is_cut_off_for_the_stem():
    assert dn_stem(LEGACY + "-1a2b3c") == LEGACY.casefold()
    assert dn_stem(LEGACY.upper() + "-4F2A9C") == LEGACY.casefold()


@pytest.mark.parametrize("dn", [
    LEGACY,
    "/o=Corp/cn=Recipients/cn=room-101",  # digits only: a name, not a suffix
    "/o=Corp/cn=Recipients/cn=team-cafe",  # letters only: a name, not a suffix
    "/o=Corp/cn=Recipients/cn=jdoe-1a",  # too short
])
def test_names_that_merely_end_in_a_dash_have_no_stem(dn):
    assert dn_stem(dn) is None
