"""Seeding and reading mailboxes keeps every byte, flag, keyword, date and folder name."""

from __future__ import annotations

import email
import time
from datetime import datetime, timedelta, timezone

from tests.servers.dovecot import DovecotServer
from tests.servers.mail import (
    Seed,
    folder_names,
    imap_folder_name,
    make_message,
    read_mailbox,
    seed_mailbox,
    write_maildir,
)

WHEN = datetime(2023, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
ODD_FOLDER = "Kunden & Partner/Müller GmbH"  # "&" and non-ASCII: modified UTF-7 on the wire


def _corpus() -> dict[str, list[Seed]]:
    return {
        "INBOX": [
            Seed(make_message("Grüße aus München", size=20_000), ("\\Seen", "$Label1"), WHEN),
            Seed(make_message("no id", message_id=None), ("\\Flagged", "\\Answered"), WHEN),
        ],
        ODD_FOLDER: [
            Seed(make_message("attachment", attachment_size=3000), ("NonJunk",), WHEN),
            Seed(make_message("draft"), ("\\Draft", "\\Deleted"), WHEN + timedelta(days=1)),
        ],
    }


def test_make_message_is_deterministic_crlf_and_sized():
    first = make_message("Hello", size=10_000, attachment_size=500)
    assert first == make_message("Hello", size=10_000, attachment_size=500)
    assert first != make_message("Hello!", size=10_000, attachment_size=500)
    assert b"\n" not in first.replace(b"\r\n", b"")
    assert 9_800 <= len(first) <= 10_000
    parsed = email.message_from_bytes(first)
    assert parsed["Message-ID"] and parsed.is_multipart()
    assert len(parsed.get_payload()[1].get_payload(decode=True)) == 500
    assert "Message-ID" not in email.message_from_bytes(make_message("x", message_id=None))
    assert make_message("Grüße").isascii()
    assert b"Gr\xc3\xbc\xc3\x9fe" in make_message("x", raw_8bit_header=True)


def _assert_round_trip(server: DovecotServer, user: str) -> None:
    corpus = _corpus()
    seed_mailbox(server, user, corpus)
    stored = read_mailbox(server, user)
    for name, seeds in corpus.items():
        messages = stored[imap_folder_name(server, name)]
        assert [m.body for m in messages] == [s.message for s in seeds]
        assert [m.flags for m in messages] == [tuple(sorted(s.flags)) for s in seeds]
        assert [m.internal_date for m in messages] == [s.internal_date for s in seeds]
    assert imap_folder_name(server, ODD_FOLDER) in folder_names(server, user)


def test_round_trip_on_the_source(exchange_dovecot):
    _assert_round_trip(exchange_dovecot, "joerg")
    assert "Kunden & Partner/Müller GmbH" in folder_names(exchange_dovecot, "joerg")


def test_round_trip_on_the_target(intra2net_dovecot):
    _assert_round_trip(intra2net_dovecot, "joerg")
    assert "INBOX.Kunden & Partner.Müller GmbH" in folder_names(intra2net_dovecot, "joerg")


def test_a_message_copied_by_hand_arrives(exchange_dovecot, intra2net_dovecot):
    message = make_message("copied by hand", attachment_size=2000)
    seed_mailbox(exchange_dovecot, "claire", {"Sent Items": [Seed(message, ("\\Seen",), WHEN)]})
    source = exchange_dovecot.connect("claire")
    source.select_folder("Sent Items", readonly=True)
    uid = source.search(["SUBJECT", "copied by hand"])[0]
    fetched = source.fetch([uid], ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])[uid]
    source.logout()
    target = intra2net_dovecot.connect("claire")
    flags = [flag for flag in fetched[b"FLAGS"] if flag != b"\\Recent"]  # APPEND refuses it
    target.append("INBOX.Sent", fetched[b"BODY[]"], flags, fetched[b"INTERNALDATE"])
    target.logout()
    [arrived] = read_mailbox(intra2net_dovecot, "claire")["INBOX.Sent"]
    assert arrived.body == message and arrived.flags == ("\\Seen",)


def test_seeding_a_thousand_messages_takes_seconds(intra2net_dovecot):
    seeds = [Seed(make_message(f"bulk {n}", size=5000), ("\\Seen",), WHEN) for n in range(1000)]
    started = time.monotonic()
    seed_mailbox(intra2net_dovecot, "claire", {"Bulk": seeds})
    assert time.monotonic() - started < 10  # about 0.3 s on an idle machine
    assert len(read_mailbox(intra2net_dovecot, "claire")["INBOX.Bulk"]) == 1000


def test_writing_maildir_files_directly(exchange_dovecot):
    seeds = [
        Seed(make_message(f"fast {n}"), ("\\Seen",) if n % 2 else ("$Label2",), WHEN)
        for n in range(2000)
    ]
    write_maildir(exchange_dovecot, "anna", {"Archive/2023": seeds})
    messages = read_mailbox(exchange_dovecot, "anna")["Archive/2023"]
    assert [m.body for m in messages] == [s.message for s in seeds]
    assert {m.flags for m in messages} == {("\\Seen",), ("$Label2",)}
    assert {m.internal_date for m in messages} == {WHEN}
