"""The real Cyrus IMAP starts, takes APPENDs and lets its admin act for a user."""

from __future__ import annotations

from imapclient import IMAPClient

from tests.servers.mail import Seed, make_message, read_mailbox, seed_mailbox


def test_cyrus_looks_like_the_intra2net_server(cyrus_imap):
    client = cyrus_imap.connect("anna")
    assert b"Cyrus IMAP" in client.welcome
    assert client.namespace().personal == (("INBOX.", "."),)
    assert {b"MULTIAPPEND", b"UIDPLUS", b"SPECIAL-USE", b"QUOTA"} <= set(client.capabilities())
    client.logout()


def test_cyrus_accepts_an_append(cyrus_imap):
    message = make_message("for Cyrus", attachment_size=1000)
    seed_mailbox(cyrus_imap, "anna", {"Sent": [Seed(message, ("\\Seen", "$Label1"))]})
    [stored] = read_mailbox(cyrus_imap, "anna")["INBOX.Sent"]
    assert stored.body == message and stored.flags == ("$Label1", "\\Seen")


def test_admin_acts_for_a_user_and_any_password_logs_in(cyrus_imap):
    cyrus_imap.add_user("bob", "whatever")
    as_bob = cyrus_imap.connect("bob", "any password at all")
    as_bob.create_folder("INBOX.Projects")
    as_bob.logout()
    proxied = cyrus_imap.connect("bob")  # admin, authorization identity bob
    assert "INBOX.Projects" in [name for _f, _s, name in proxied.list_folders()]
    proxied.logout()
    admin = cyrus_imap.connect_admin()
    assert admin.folder_exists("user.bob.Projects")
    admin.logout()


def test_cyrus_munges_raw_8bit_headers(cyrus_imap):
    client: IMAPClient = cyrus_imap.connect("anna")
    client.append("INBOX", make_message("raw", raw_8bit_header=True))
    client.select_folder("INBOX", readonly=True)
    uid = client.search(["SUBJECT", "raw"])[0]
    header = client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (X-GREETING)]"])[uid]
    client.logout()
    assert header[b"BODY[HEADER.FIELDS (X-GREETING)]"].startswith(b"X-Greeting: GrXXXXe")
