"""The map from internal addresses to SMTP addresses, built from the directory import, and the
X500 addresses offered as aliases."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from migrator.errors import BadArguments
from migrator.exchange_addresses import decode_imceaex
from migrator.internal_addresses import (
    AddressMap,
    MapEntry,
    address_map_csv,
    build_address_map,
    imceaex_aliases,
    x500_aliases,
)

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
LEGACY = "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"


@pytest.fixture(scope="module")
def directory() -> dict:
    return json.loads((FIXTURES / "directory.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def addresses(directory) -> AddressMap:
    return build_address_map(directory)


def test_every_dn_of_users_groups_and_contacts_is_in_the_map(addresses):
    assert [(e.dn.rpartition("/")[2], e.address, e.kind) for e in addresses.entries] == [
        ("cn=jmueller", "joerg.mueller@corp.example", "user"),
        ("cn=JMueller", "joerg.mueller@corp.example", "user"),
        ("cn=aschmidt-4f2a9c", "anna.schmidt@corp.example", "user"),
        ("cn=pwagner", "peter.wagner@corp.example", "user"),
        ("cn=pwagner", "peter.wagner@corp.example", "user"),
        ("cn=svc-scan", "", "user"),
        ("cn=Vertrieb", "vertrieb@corp.example", "group"),
        ("cn=kanzleihuber", "kanzlei@huber-steuer.example", "contact"),
    ]
    assert len(addresses) == 8


def test_dns_match_case_insensitively(addresses):
    result = addresses.resolve(f"{LEGACY}/cn=JMUELLER".upper())
    assert (result.address, result.how) == ("joerg.mueller@corp.example", "exact")
    old = addresses.resolve("/O=CORP/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=JMUELLER")
    assert old.address == "joerg.mueller@corp.example"


def test_a_group_and_a_contact_resolve_to_their_mail(addresses):
    assert addresses.resolve(f"{LEGACY}/cn=vertrieb").address == "vertrieb@corp.example"
    assert addresses.resolve(f"{LEGACY}/cn=kanzleihuber").address == "kanzlei@huber-steuer.example"


def test_an_unknown_dn_stays_unresolved_with_a_reason(addresses):
    result = addresses.resolve(f"{LEGACY}/cn=tbauer")
    assert result.address is None
    assert result.reason.startswith("not in the directory")


def test_a_recipient_without_an_smtp_address_is_named_in_the_reason(addresses):
    result = addresses.resolve(f"{LEGACY}/cn=svc-scan")
    assert result.address is None
    assert result.reason == "the user “svc-scan” has no SMTP address"


def test_a_dn_without_exchanges_suffix_matches_the_one_recipient_with_it(addresses):
    result = addresses.resolve(f"{LEGACY}/cn=aschmidt")
    assert (result.address, result.how) == ("anna.schmidt@corp.example", "suffix")
    assert result.matched_dn == f"{LEGACY}/cn=aschmidt-4f2a9c"


def test_a_dn_with_another_suffix_matches_too_but_not_when_suffixes_are_off(addresses):
    assert addresses.resolve(f"{LEGACY}/cn=aschmidt-9e8d7c").address == "anna.schmidt@corp.example"
    result = addresses.resolve(f"{LEGACY}/cn=aschmidt", allow_suffix=False)
    assert result.address is None


def test_a_suffix_shared_by_two_recipients_is_not_guessed():
    addresses = AddressMap([
        MapEntry(f"{LEGACY}/cn=jdoe-1a2b3c", "john.doe@corp.example", "user", "jdoe"),
        MapEntry(f"{LEGACY}/cn=jdoe-4d5e6f", "jane.doe@corp.example", "user", "jdoe2"),
    ])
    result = addresses.resolve(f"{LEGACY}/cn=jdoe")
    assert result.address is None
    assert "john.doe@corp.example, jane.doe@corp.example" in result.reason


def test_two_suffixed_dns_of_the_same_recipient_still_match():
    addresses = AddressMap([
        MapEntry(f"{LEGACY}/cn=jdoe-1a2b3c", "john.doe@corp.example", "user", "jdoe"),
        MapEntry(f"{LEGACY}/cn=jdoe-4d5e6f", "John.Doe@corp.example", "user", "jdoe"),
    ])
    assert addresses.resolve(f"{LEGACY}/cn=jdoe").address == "john.doe@corp.example"


def test_the_suffix_must_sit_on_the_same_path():
    addresses = AddressMap([MapEntry(f"{LEGACY}/cn=jdoe-1a2b3c", "j@corp.example", "user", "j")])
    assert addresses.resolve("/o=Other/cn=Recipients/cn=jdoe").address is None


def test_a_dn_of_two_recipients_is_a_conflict_and_never_resolves():
    addresses = AddressMap([
        MapEntry(f"{LEGACY}/cn=shared", "a@corp.example", "user", "a"),
        MapEntry(f"{LEGACY}/cn=SHARED", "b@corp.example", "contact", "B"),
    ])
    assert addresses.conflicts == {f"{LEGACY}/cn=shared": ("a@corp.example", "b@corp.example")}
    assert "belongs to several recipients" in addresses.resolve(f"{LEGACY}/cn=shared").reason


def test_a_directory_of_another_shape_is_refused():
    for bad in ([], {"people": []}, {"users": {}}, {"users": [{"x500": "/o=a"}]},
                {"users": [{"primary": 5}]}):
        with pytest.raises(BadArguments):
            build_address_map(bad)


def test_missing_keys_and_nulls_are_taken_as_empty():
    addresses = build_address_map({"users": [{"sam": "x", "primary": None}], "groups": None})
    assert len(addresses) == 0


def test_the_map_exports_as_csv(addresses):
    rows = list(csv.reader(io.StringIO(address_map_csv(addresses))))
    assert rows[0] == ["internal_address", "smtp_address", "kind", "name"]
    assert rows[1] == [f"{LEGACY}/cn=jmueller", "joerg.mueller@corp.example", "user", "jmueller"]
    assert rows[6] == [f"{LEGACY}/cn=svc-scan", "", "user", "svc-scan"]
    assert len(rows) == 9


def test_a_name_that_looks_like_a_formula_is_defused_in_the_csv():
    entry = MapEntry(f"{LEGACY}/cn=x", "x@corp.example", "contact", "=HYPERLINK()")
    addresses = AddressMap([entry])
    assert "'=HYPERLINK()" in address_map_csv(addresses)


def test_each_user_gets_imceaex_aliases_in_the_domain_of_the_primary_address(directory):
    aliases = {a.sam: a for a in x500_aliases(directory)}
    assert set(aliases) == {"jmueller", "aschmidt", "pwagner"}  # svc-scan has no domain
    joerg = aliases["jmueller"]
    assert joerg.aliases == (
        "IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_"
        "cn=Recipients_cn=jmueller@corp.example",
        "IMCEAEX-_o=Corp_ou=First+20Administrative+20Group_cn=Recipients_cn=JMueller@corp.example",
    )
    assert [decode_imceaex(alias) for alias in joerg.aliases] == list(joerg.dns)


def test_the_alias_domain_can_be_given_and_a_user_without_primary_then_has_aliases(directory):
    aliases = {a.sam: a for a in x500_aliases(directory, domain="corp.local")}
    assert aliases["svc-scan"].aliases == (
        "IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_"
        "cn=Recipients_cn=svc-scan@corp.local",
    )


def test_the_same_dn_twice_gives_one_alias():
    assert imceaex_aliases(["/o=A/cn=x", "/O=A/CN=X", ""], "a.example") == (
        "IMCEAEX-_o=A_cn=x@a.example",
    )
