"""The Dovecot servers look like Exchange and like the Intra2net server, and log in like them."""

from __future__ import annotations

import imaplib
import poplib
import ssl
import time

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers.dovecot import DovecotServer
from tests.servers.mail import Seed, make_message, seed_mailbox
from tests.servers_selftest.conftest import PASSWORD


def _folders(client: IMAPClient) -> dict[str, set[bytes]]:
    return {name: set(flags) for flags, _sep, name in client.list_folders()}


def test_source_lists_exchange_folders_with_slash_and_special_use(exchange_dovecot):
    client = exchange_dovecot.connect("anna")
    folders = _folders(client)
    namespace = client.namespace()
    client.logout()
    assert namespace.personal == (("", "/"),)
    assert namespace.shared == (("Public Folders/", "/"),)
    expected = {
        "Sent Items": b"\\Sent", "Deleted Items": b"\\Trash", "Drafts": b"\\Drafts",
        "Junk Email": b"\\Junk", "Archive": b"\\Archive",
    }
    for name, use in expected.items():
        assert use in folders[name]
    assert "INBOX" in folders


def test_master_user_logs_in_both_ways(exchange_dovecot):
    plain = IMAPClient(exchange_dovecot.host, exchange_dovecot.port, ssl=False)
    plain.login(f"anna*{exchange_dovecot.admin_user}", exchange_dovecot.admin_password)
    sasl = exchange_dovecot.connect("anna")  # SASL PLAIN, authorization identity anna
    for client in (plain, sasl):
        assert "Sent Items" in _folders(client)
        client.logout()
    with pytest.raises(LoginError, match="AUTHORIZATIONFAILED"):
        exchange_dovecot.connect("nobody")


def test_wrong_password_fails_quickly(exchange_dovecot):
    for _ in range(3):  # no growing penalty either
        started = time.monotonic()
        with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
            exchange_dovecot.connect("anna", "wrong")
        assert time.monotonic() - started < 2
    exchange_dovecot.connect("anna", PASSWORD).logout()


def test_users_come_and_go_while_running(exchange_dovecot):
    exchange_dovecot.add_user("temp", "first")
    exchange_dovecot.connect("temp", "first").logout()
    exchange_dovecot.add_user("temp", "second")
    exchange_dovecot.connect("temp", "second").logout()
    exchange_dovecot.remove_user("temp")
    with pytest.raises(LoginError):
        exchange_dovecot.connect("temp", "second")


def test_tls_on_imaps_and_starttls_for_localhost(exchange_dovecot):
    context = ssl.create_default_context(cafile=str(exchange_dovecot.ca_file))
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # Python 3.13's default
    implicit = IMAPClient("localhost", exchange_dovecot.imaps_port, ssl_context=context)
    implicit.login("anna", PASSWORD)
    implicit.logout()
    starttls = IMAPClient("localhost", exchange_dovecot.port, ssl=False)
    starttls.starttls(context)
    starttls.login("anna", PASSWORD)
    starttls.logout()
    untrusted = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient("localhost", exchange_dovecot.imaps_port, ssl_context=untrusted)


def test_pop3_serves_the_inbox(exchange_dovecot):
    messages = [Seed(make_message(f"pop {n}")) for n in range(3)]
    seed_mailbox(exchange_dovecot, "claire", {"INBOX": messages})
    pop = poplib.POP3(exchange_dovecot.host, exchange_dovecot.pop3_port, timeout=10)
    pop.user("claire")
    pop.pass_(PASSWORD)
    count, _size = pop.stat()
    assert count >= 3
    assert b"Subject: pop 0" in b"\r\n".join(pop.retr(1)[1])
    pop.quit()


def test_public_folders_are_a_namespace_of_their_own(exchange_dovecot):
    name = exchange_dovecot.add_public_folder("Team/Ankündigungen")
    assert name == "Public Folders/Team/Ankündigungen"
    seed_mailbox(exchange_dovecot, "anna", {name: [Seed(make_message("to everyone"))]})
    client = exchange_dovecot.connect("joerg")
    assert client.select_folder(name, readonly=True)[b"EXISTS"] == 1
    client.logout()


def test_target_lists_folders_under_inbox_with_dot(intra2net_dovecot):
    client = intra2net_dovecot.connect("anna")
    folders = _folders(client)
    namespace = client.namespace()
    client.logout()
    assert namespace.personal == (("INBOX.", "."),)
    assert {"INBOX", "INBOX.Sent", "INBOX.Drafts", "INBOX.Trash", "INBOX.Spam"} <= set(folders)
    assert b"\\Sent" in folders["INBOX.Sent"]
    assert b"\\Junk" in folders["INBOX.Spam"]


def test_target_has_keywords_quota_and_acl(intra2net_dovecot: DovecotServer):
    intra2net_dovecot.add_user("small", PASSWORD, quota_kb=100)
    client = intra2net_dovecot.connect("small")
    assert b"\\*" in client.select_folder("INBOX")[b"PERMANENTFLAGS"]
    _roots, quotas = client.get_quota_root("INBOX")
    assert quotas[0].resource == "STORAGE" and quotas[0].limit == 100
    with pytest.raises(imaplib.IMAP4.error, match=r"(?i)quota"):
        client.append("INBOX", make_message("too big", size=200_000))
    client.setacl("INBOX", "anna", "lr")
    assert (b"anna", b"lr") in client.getacl("INBOX")
    client.logout()
    default = intra2net_dovecot.connect("anna")
    _roots, quotas = default.get_quota_root("INBOX")
    assert quotas[0].limit >= 1024 * 1024
    default.logout()
