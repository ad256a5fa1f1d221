"""Samba answers like Active Directory, seeded with tests/servers/directory_seed.py."""

from __future__ import annotations

import socket
import ssl

import ldap3
import pytest
from ldap3.core.exceptions import LDAPSocketOpenError

from tests.servers import directory_seed as seed

IN_CHAIN = "1.2.840.113556.1.4.1941"
BIT_AND = "1.2.840.113556.1.4.803"


def test_ldaps_bind_is_verified_against_the_ca(samba_dc):
    connection = samba_dc.connect()
    assert connection.bound and connection.server.ssl
    connection.unbind()
    strict = ssl.create_default_context(cafile=str(samba_dc.ca_file))
    strict.verify_flags |= ssl.VERIFY_X509_STRICT  # Python 3.13's default
    raw = socket.create_connection((samba_dc.host, 636), timeout=10)
    with strict.wrap_socket(raw, server_hostname=samba_dc.tls_name) as tls:
        assert tls.getpeercert()["subjectAltName"] == (("DNS", samba_dc.tls_name),)
    wrong_name = ldap3.Tls(
        validate=ssl.CERT_REQUIRED, ca_certs_file=str(samba_dc.ca_file), valid_names=["dc9.x"]
    )
    server = ldap3.Server(samba_dc.host, port=636, use_ssl=True, tls=wrong_name)
    with pytest.raises(LDAPSocketOpenError):
        ldap3.Connection(server, samba_dc.admin_bind, samba_dc.admin_password, auto_bind=True)


def test_plain_ldap_simple_bind_and_user_passwords(samba_dc):
    server = ldap3.Server(samba_dc.ldap_url)
    admin = ldap3.Connection(server, samba_dc.admin_bind, samba_dc.admin_password, auto_bind=True)
    assert admin.bound
    admin.unbind()
    anna = samba_dc.connect(f"{seed.ANNA.sam}@{seed.DNS_DOMAIN}", seed.PASSWORDS["anna.schmidt"])
    assert anna.bound
    anna.unbind()


def test_paged_search_returns_every_user(samba_dc):
    connection = samba_dc.connect()
    results = connection.extend.standard.paged_search(
        seed.BASE_DN, "(&(objectCategory=person)(objectClass=user)(mail=*))",
        attributes=["sAMAccountName"], paged_size=500, generator=False,
    )
    entries = [r for r in results if r["type"] == "searchResEntry"]  # not the referrals
    names = {e["attributes"]["sAMAccountName"] for e in entries}
    expected = {a.sam for a in (*seed.MAIL_USERS, *seed.SYSTEM_ACCOUNTS)}
    assert len(entries) > 1000 and names == expected
    connection.unbind()


def test_disabled_accounts_have_bit_2(samba_dc):
    connection = samba_dc.connect()
    connection.search(
        seed.STAFF_OU, f"(userAccountControl:{BIT_AND}:=2)",
        attributes=["sAMAccountName", "userAccountControl"],
    )
    assert [e.sAMAccountName.value for e in connection.entries] == [seed.DISABLED_USER.sam]
    assert connection.entries[0].userAccountControl.value & 2
    connection.unbind()


def test_nested_group_membership_in_chain(samba_dc):
    connection = samba_dc.connect()
    connection.search(
        seed.BASE_DN, f"(memberOf:{IN_CHAIN}:={seed.SALES.dn})", attributes=["cn"]
    )
    members = {e.entry_dn for e in connection.entries}
    assert seed.ANNA.dn in members  # through Sales-Munich
    assert {seed.CLAIRE.dn, seed.SALES_MUNICH.dn, seed.CONTACTS[0].dn} <= members
    connection.search(seed.ALL_STAFF.dn, "(objectClass=group)", attributes=["member"])
    assert len(connection.entries[0].member.values) == len(seed.ALL_STAFF.members)
    connection.unbind()


def test_exchange_addresses_come_back(samba_dc):
    connection = samba_dc.connect()
    for account in (seed.JOERG, seed.CONTACTS[0], seed.SYSTEM_ACCOUNTS[1]):
        connection.search(
            account.dn, "(objectClass=*)", search_scope=ldap3.BASE,
            attributes=["proxyAddresses", "legacyExchangeDN", "displayName", "objectGUID"],
        )
        entry = connection.entries[0]
        assert set(entry.proxyAddresses.values) == set(account.proxy_addresses)
        assert entry.legacyExchangeDN.value == account.legacy_exchange_dn
        assert entry.displayName.value == account.cn
    connection.search(seed.SALES.dn, "(objectClass=*)", attributes=["proxyAddresses"])
    assert any(a.startswith("X500:") for a in connection.entries[0].proxyAddresses.values)
    connection.unbind()
