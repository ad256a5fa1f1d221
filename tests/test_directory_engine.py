"""The directory engine against the real Samba AD of the test run (tests/servers/samba.py),
seeded with more than 1,000 users (tests/servers/directory_seed.py, whose values we expect)."""

from __future__ import annotations

import pytest

from migrator.directory import ImportOptions, import_directory, probe_directory
from migrator.directory_session import DirectoryBind, LdapSecurity, parse_ldap_url
from migrator.errors import BadArguments, LoginRefused, ServerUnreachable, TlsFailed
from tests.servers import directory_seed as seed
from tests.servers.ports import free_port


@pytest.fixture(scope="module")
def ldaps(directory_server):
    return parse_ldap_url(
        directory_server.ldaps_url, ca_file=str(directory_server.ca_file),
        tls_name=directory_server.tls_name,
    )


@pytest.fixture(scope="module")
def admin(directory_server):
    return DirectoryBind(directory_server.admin_bind, directory_server.admin_password)


@pytest.fixture(scope="module")
def snapshot(ldaps, admin):
    return import_directory(ldaps, admin, options=ImportOptions(seed.BASE_DN, page_size=400))


def by_sam(snapshot):
    return {user.sam: user for user in snapshot.users}


def test_more_than_a_thousand_users_come_back_whole_over_several_pages(snapshot):
    people = {user.sam for user in seed.USERS}
    assert len(people) > 1000
    # The built-in Administrator is a person's account too (with no mailbox here).
    assert {user.sam for user in snapshot.users} == people | {"Administrator"}
    assert snapshot.pages >= 3 + 2  # users in 400s, then groups and contacts


def test_the_primary_address_the_aliases_and_the_internal_exchange_addresses(snapshot):
    anna = by_sam(snapshot)["anna.schmidt"]
    assert anna.primary == "anna.schmidt@example.com"
    assert anna.aliases == ("a.schmidt@example.com", "anna.schmidt@corp.example.test")
    assert anna.x500 == (seed.legacy_dn("anna.schmidt"), f"{seed.EXCHANGE_DN}aschmidt")
    assert (anna.upn, anna.display_name) == ("anna.schmidt@corp.example.test", "Anna Schmidt")
    assert (anna.given_name, anna.surname) == ("Anna", "Schmidt")
    assert len(anna.guid) == 36


def test_every_seeded_mail_user_has_exactly_its_addresses(snapshot):
    users = by_sam(snapshot)
    for expected in seed.MAIL_USERS:
        got = users[expected.sam]
        smtp = [a for a in expected.proxy_addresses if a.lower().startswith("smtp:")]
        x500 = [a[5:] for a in expected.proxy_addresses if a.startswith("X500:")]
        assert got.primary == expected.mail, expected.sam
        assert list(got.aliases) == [a[5:] for a in smtp[1:]], expected.sam
        assert list(got.x500) == [expected.legacy_exchange_dn, *x500], expected.sam
        assert got.display_name == expected.cn


def test_non_ascii_names_arrive_intact(snapshot):
    joerg = by_sam(snapshot)["joerg.mueller"]
    assert (joerg.display_name, joerg.given_name, joerg.surname) == (
        "Jörg Müller", "Jörg", "Müller"
    )


def test_the_disabled_user_is_marked_and_nobody_else(snapshot):
    assert [u.sam for u in snapshot.users if u.disabled] == [seed.DISABLED_USER.sam]


def test_a_user_without_mail_has_no_addresses(snapshot):
    scanner = by_sam(snapshot)[seed.NON_MAIL_USER.sam]
    assert (scanner.primary, scanner.aliases, scanner.x500) == (None, (), ())


def test_nested_groups_are_resolved_into_members_and_memberships(snapshot):
    groups = {group.name: group for group in snapshot.groups}
    assert set(groups) == {group.cn for group in seed.GROUPS}
    munich = {seed.ANNA.sam, seed.JOERG.sam, *(u.sam for u in seed.ORDINARY_USERS[:10])}
    assert set(groups["Sales-Munich"].members) == munich
    assert set(groups["Sales"].members) == munich | {seed.CLAIRE.sam}  # the contact is no user
    assert groups["Sales"].subgroups == ("Sales-Munich",)
    assert len(groups["All Staff"].members) == len(seed.ALL_STAFF.members) > 1000
    users = by_sam(snapshot)
    assert users["anna.schmidt"].groups == ("All Staff", "Sales", "Sales-Munich")
    assert users["claire.dubois"].groups == ("All Staff", "Sales")
    assert users["user0011"].groups == ("All Staff",)


def test_a_mail_enabled_group_keeps_its_address_and_x500(snapshot):
    sales = next(group for group in snapshot.groups if group.name == "Sales")
    assert (sales.mail, sales.aliases) == ("sales@example.com", ("vertrieb@example.com",))
    assert sales.x500 == (seed.legacy_dn("sales"), f"{seed.EXCHANGE_DN}sales")


def test_mail_enabled_contacts_are_read_as_external_addresses(snapshot):
    assert [(c.name, c.mail, c.x500) for c in snapshot.contacts] == [
        (c.cn, c.mail, (c.legacy_exchange_dn, c.proxy_addresses[1][5:])) for c in seed.CONTACTS
    ]


def test_system_accounts_are_left_out_with_a_reason(snapshot):
    left_out = {entry.name: entry.reason for entry in snapshot.left_out if entry.kind == "user"}
    assert left_out == {
        "krbtgt": "Kerberos service account",
        "Guest": "built-in guest account",
        "HealthMailbox0123456789abcdef": "Exchange health mailbox",
        "SystemMailbox{1f05a927-89c0-4725-adca-4527114196a1}": "Exchange system mailbox",
        "DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}":
            "Exchange discovery search mailbox",
        "FederatedEmail.4c1f4d8b-8179-4148-93bf-00a95fa1e042": "Exchange federation mailbox",
        "Migration.8f3e7716-2011-43e4-96b1-aba62d229136": "Exchange migration mailbox",
    }
    groups = {e.name: e.reason for e in snapshot.left_out if e.kind == "group"}
    assert groups["Domain Users"] == groups["Administrators"] == "built-in Windows group"
    system = {account.sam for account in seed.SYSTEM_ACCOUNTS}
    assert not system & {user.sam for user in snapshot.users}


def test_system_accounts_can_be_kept_when_asked(ldaps, admin):
    options = ImportOptions(seed.BASE_DN, user_filter="(cn=HealthMailbox*)",
                            keep_system_accounts=True)
    kept = import_directory(ldaps, admin, options=options)
    assert [user.sam for user in kept.users] == ["HealthMailbox0123456"]


def test_a_filter_narrows_the_users_but_not_the_groups(ldaps, admin):
    options = ImportOptions(seed.BASE_DN, user_filter="givenName=Anna")
    narrowed = import_directory(ldaps, admin, options=options)
    assert [user.sam for user in narrowed.users] == ["anna.schmidt"]
    sales = next(group for group in narrowed.groups if group.name == "Sales")
    assert sales.members == ("anna.schmidt",)


def test_progress_is_reported_page_by_page(ldaps, admin):
    seen = []

    class Recorder:
        def report(self, event) -> None:
            seen.append((event.phase, event.count))

    import_directory(ldaps, admin, options=ImportOptions(seed.BASE_DN, page_size=500),
                     progress=Recorder())
    users = [count for phase, count in seen if phase == "users"]
    assert users[:2] == [500, 1000] and users[-1] > 1000
    assert [phase for phase, _ in seen][-2:] == ["groups", "contacts"]


@pytest.mark.parametrize("name", [
    "Administrator@corp.example.test",  # UPN
    "CORP\\Administrator",  # down-level
    f"CN=Administrator,CN=Users,{seed.BASE_DN}",  # DN
    "Administrator",  # completed to the implicit UPN
])
def test_every_form_of_bind_name_works(ldaps, directory_server, name):
    probe = probe_directory(ldaps, DirectoryBind(name, directory_server.admin_password),
                            seed.BASE_DN)
    assert probe.summary().startswith("Bound as ")
    assert probe.summary().endswith(f"the base DN {seed.BASE_DN} exists.")


def test_an_ordinary_users_bind_is_enough_to_read(ldaps):
    password = seed.PASSWORDS["anna.schmidt"]
    snapshot = import_directory(ldaps, DirectoryBind("CORP\\anna.schmidt", password),
                                options=ImportOptions(seed.BASE_DN))
    assert len(snapshot.users) > 1000


def test_a_wrong_password_is_refused_in_one_sentence(ldaps):
    with pytest.raises(LoginRefused) as refused:
        import_directory(ldaps, DirectoryBind("CORP\\Administrator", "wrong"),
                         options=ImportOptions(seed.BASE_DN))
    assert str(refused.value) == (
        f"the directory {ldaps} refused the bind as CORP\\Administrator: wrong name or password"
    )


def test_an_unreachable_server_says_so():
    endpoint = parse_ldap_url(f"ldaps://127.0.0.1:{free_port()}", insecure=True)
    with pytest.raises(ServerUnreachable, match=r"cannot reach the directory server .*refused"):
        probe_directory(endpoint, DirectoryBind("x@y", "z"), seed.BASE_DN)


def test_a_base_dn_that_does_not_exist_is_named(ldaps, admin):
    with pytest.raises(BadArguments, match=r"the base DN OU=Nowhere,.* does not exist"):
        probe_directory(ldaps, admin, f"OU=Nowhere,{seed.BASE_DN}")


def test_starttls_and_plain_ldap_work_too(directory_server, admin):
    starttls = parse_ldap_url(directory_server.ldap_url, ca_file=str(directory_server.ca_file),
                              tls_name=directory_server.tls_name)
    plain = parse_ldap_url(directory_server.ldap_url, plain=True)
    assert (starttls.security, plain.security) == (LdapSecurity.STARTTLS, LdapSecurity.PLAIN)
    for endpoint in (starttls, plain):
        assert probe_directory(endpoint, admin, seed.BASE_DN).bound_as == admin.user


def test_the_certificate_is_checked_against_the_tls_name(directory_server, admin):
    by_address = parse_ldap_url(directory_server.ldaps_url, ca_file=str(directory_server.ca_file))
    with pytest.raises(TlsFailed, match=r"not issued for 127.*give that name as the TLS name"):
        probe_directory(by_address, admin, seed.BASE_DN)


def test_an_unknown_ca_is_refused_unless_verification_is_off(directory_server, admin):
    no_ca = parse_ldap_url(directory_server.ldaps_url, tls_name=directory_server.tls_name)
    with pytest.raises(TlsFailed, match="cannot be verified; give the CA file"):
        probe_directory(no_ca, admin, seed.BASE_DN)
    starttls_no_ca = parse_ldap_url(directory_server.ldap_url, tls_name=directory_server.tls_name)
    with pytest.raises(TlsFailed):
        probe_directory(starttls_no_ca, admin, seed.BASE_DN)
    insecure = parse_ldap_url(directory_server.ldaps_url, insecure=True)
    assert probe_directory(insecure, admin, seed.BASE_DN).bound_as == admin.user
