"""Preflight checks against real servers: each says pass, warning or fail in one sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.preflight import (
    Status,
    check_certificate,
    check_distinct_addresses,
    check_imap,
    check_name,
    check_port,
    check_servers,
)
from tests.servers.ports import free_port


@pytest.fixture(scope="module")
def admin_mailbox(source_imap_tls):
    source_imap_tls.add_user(source_imap_tls.admin_user, source_imap_tls.admin_password)
    return Credentials(
        source_imap_tls.admin_user,
        source_imap_tls.admin_password,
        LoginMode.ADMIN_PLAIN,
        admin=source_imap_tls.admin_user,
    )


def imaps(server, **changes) -> ImapEndpoint:
    values = {"security": Security.IMAPS, "ca_file": str(server.ca_file), "timeout": 10}
    return ImapEndpoint("localhost", server.imaps_port, **{**values, **changes})


def test_a_trusted_certificate_passes_with_its_days_left(source_imap_tls):
    check = check_certificate("Exchange", imaps(source_imap_tls))
    assert check.status == Status.PASS
    assert "days left" in check.sentence


def test_starttls_is_checked_the_same_way(source_imap_tls):
    endpoint = ImapEndpoint(
        "localhost", source_imap_tls.port, Security.STARTTLS, str(source_imap_tls.ca_file)
    )
    assert check_certificate("Exchange", endpoint).status == Status.PASS


def test_a_self_signed_certificate_fails_unless_verification_is_off(source_imap_tls):
    untrusted = check_certificate("Exchange", imaps(source_imap_tls, ca_file=None))
    assert untrusted.status == Status.FAIL
    assert "CA file" in untrusted.sentence
    unverified = check_certificate(
        "Exchange", imaps(source_imap_tls, ca_file=None, verify_tls=False)
    )
    assert unverified.status == Status.WARNING
    assert "switched off" in unverified.sentence


def test_a_certificate_for_another_name_fails(source_imap_tls):
    check = check_certificate(
        "Exchange",
        ImapEndpoint(
            "127.0.0.2", source_imap_tls.imaps_port, Security.IMAPS, str(source_imap_tls.ca_file)
        ),
    )
    assert check.status == Status.FAIL


def test_an_expired_certificate_fails(source_imap_tls):
    later = datetime.now(UTC) + timedelta(days=3650)
    check = check_certificate("Exchange", imaps(source_imap_tls), now=later)
    assert check.status == Status.FAIL
    assert "expired" in check.sentence


def test_plain_imap_is_a_warning(source_imap):
    endpoint = ImapEndpoint(source_imap.host, source_imap.port, Security.PLAIN)
    check = check_certificate("Exchange", endpoint)
    assert check.status == Status.WARNING
    assert "not encrypted" in check.sentence


def test_names_ports_and_addresses():
    assert check_name("Exchange", "localhost").status == Status.PASS
    unknown = check_name("Exchange", "no-such-host.invalid")
    assert unknown.status == Status.FAIL
    assert "does not resolve" in unknown.sentence
    assert check_distinct_addresses("127.0.0.1", "127.0.0.2").status == Status.PASS
    same = check_distinct_addresses("localhost", "127.0.0.1")
    assert same.status == Status.FAIL
    assert "side by side" in same.sentence
    closed = check_port("Exchange", "127.0.0.1", free_port())
    assert closed.status == Status.FAIL
    assert "Nothing answers" in closed.sentence


def test_the_admin_login_and_the_capabilities_are_reported(source_imap_tls, admin_mailbox):
    login, capabilities = check_imap("Exchange", imaps(source_imap_tls), admin_mailbox, ("IDLE",))
    assert (login.status, capabilities.status) == (Status.PASS, Status.PASS)
    assert "separator '/'" in login.sentence


def test_a_missing_capability_says_what_it_means_for_the_copy(target_imap):
    endpoint = ImapEndpoint(target_imap.host, target_imap.port, Security.PLAIN)
    (capabilities,) = check_imap("Intra2net server", endpoint, None, ("MULTIAPPEND",))
    assert capabilities.status == Status.WARNING
    assert "appended one by one" in capabilities.sentence
    assert "before login" in capabilities.sentence


def test_a_wrong_admin_password_fails_without_showing_it(source_imap_tls):
    wrong = Credentials("admin", "Not-the-Password-42", LoginMode.ADMIN_PLAIN, admin="admin")
    (login,) = check_imap("Exchange", imaps(source_imap_tls), wrong, ())
    assert login.status == Status.FAIL
    assert "refused" in login.sentence
    assert "Not-the-Password-42" not in login.sentence


def test_all_server_checks_in_order(source_imap_tls, target_imap, admin_mailbox):
    checks = check_servers(
        imaps(source_imap_tls),
        ImapEndpoint("127.0.0.1", target_imap.port, Security.PLAIN),
        admin_mailbox,
        None,
    )
    names = [check.name for check in checks]
    assert names[:3] == [
        "Exchange: name",
        "Intra2net server: name",
        "Exchange and Intra2net server are different machines",
    ]
    by_name = {check.name: check for check in checks}
    assert by_name["Exchange: IMAP login"].status == Status.PASS
    assert by_name["Exchange: TLS certificate"].status == Status.PASS
    assert by_name["Intra2net server: TLS certificate"].status == Status.WARNING
    # Both run on this one machine in the tests, which the manual does not allow.
    assert by_name[names[2]].status == Status.FAIL
