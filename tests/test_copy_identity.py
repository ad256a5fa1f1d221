"""Message identity, matching and repair: the rules that make the copy idempotent, without a
server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migrator.identity import (
    MessageMeta,
    body_digest,
    display_subject,
    identity_key,
    is_conversion_stub,
    parse_header_fields,
)
from migrator.matching import match_messages
from migrator.repair import content_issues, repair_message

DAY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HEADER = (
    b"Received: from mx1.example by exchange; Fri, 1 Mar 2024 12:00:00 +0000\r\n"
    b"Received: from elsewhere; Fri, 1 Mar 2024 11:59:00 +0000\r\n"
    b"Message-ID: <1@corp.example>\r\nFrom: Anna <anna@example.com>\r\n"
    b"Subject: Quarterly\r\n report\r\nDate: Fri, 1 Mar 2024 12:00:00 +0000\r\n"
)


def key_of(header: bytes) -> bytes:
    return identity_key(parse_header_fields(header))


def meta(uid: int, key: bytes = b"k", when: datetime = DAY, flags=()) -> MessageMeta:
    return MessageMeta(uid, key, int(when.timestamp()), 0, 100, tuple(flags), f"message {uid}")


def test_it_takes_the_first_received_line_and_unfolds_headers():
    fields = parse_header_fields(HEADER)
    assert fields[b"RECEIVED"].startswith(b"from mx1.example")
    assert fields[b"SUBJECT"] == b"Quarterly report"


def test_the_identity_depends_on_message_id_and_stable_headers_not_on_size_or_other_headers():
    assert key_of(HEADER) == key_of(HEADER + b"X-Size-Estimate: 12345\r\n")
    assert key_of(HEADER) != key_of(HEADER.replace(b"<1@", b"<2@"))
    assert key_of(HEADER) != key_of(HEADER.replace(b"Quarterly", b"Monthly"))


def test_a_message_without_message_id_is_identified_by_its_headers_alone():
    no_id = HEADER.replace(b"Message-ID: <1@corp.example>\r\n", b"")
    assert key_of(no_id) == key_of(no_id)
    assert key_of(no_id) != key_of(
        no_id.replace(b"11:59", b"11:58").replace(b"12:00:00", b"12:01:00")
    )


def test_cyrus_munging_and_repair_keep_the_identity_of_an_8bit_header():
    raw = HEADER.replace(b"Quarterly", "Grüße aus Köln".encode())
    munged = HEADER.replace(b"Quarterly", b"GrXXXXe aus KXXln")
    repaired = repair_message(raw + b"\r\nbody\r\n")
    assert b"=?utf-8?Q?Gr=C3=BC=C3=9Fe?=" in repaired
    assert not content_issues(repaired)
    assert key_of(raw) == key_of(munged) == key_of(repaired.split(b"\r\n\r\n")[0] + b"\r\n")


def test_repair_drops_nul_bytes_and_ends_lines_with_crlf():
    message = b"Subject: x\nFrom: a@b\n\nline\x00one\nline two\n"
    assert content_issues(message) == ["It holds NUL bytes.", "It has bare line feeds."]
    assert repair_message(message) == b"Subject: x\r\nFrom: a@b\r\n\r\nlineone\r\nline two\r\n"
    assert body_digest(message) == body_digest(repair_message(message))


def test_it_recognises_exchanges_conversion_stubs():
    stub = (
        b"From: Microsoft Exchange Server\r\n"
        b"Subject: Retrieval using the IMAP4 protocol failed for the following message: 7\r\n"
    )
    assert is_conversion_stub(parse_header_fields(stub))
    assert not is_conversion_stub(parse_header_fields(HEADER))


def test_subjects_for_reports_are_decoded():
    fields = parse_header_fields(
        b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_zur=C3=BCck?=\r\n"
    )
    assert display_subject(fields) == "Grüße zurück"


def test_two_identical_messages_need_two_copies():
    match = match_messages([meta(1), meta(2)], [meta(10)])
    assert [m.uid for m in match.missing] == [2]
    assert len(match.present) == 1


def test_twins_are_told_apart_by_internal_date():
    early, late = meta(1, when=DAY), meta(2, when=DAY + timedelta(hours=1), flags=[b"\\Seen"])
    match = match_messages([early, late], [meta(10, when=DAY + timedelta(hours=1))])
    assert [m.uid for m in match.missing] == [1]


def test_twins_with_the_same_date_are_told_apart_by_their_bodies():
    sources, targets = [meta(1), meta(2, flags=[b"\\Flagged"])], [meta(10)]
    digests = ({1: b"body one", 2: b"body two"}, {10: b"body two"})
    match = match_messages(sources, targets, lambda s, t: digests)
    assert [m.uid for m in match.missing] == [1]
    assert [(s.uid, t.uid) for s, t in match.present] == [(2, 10)]


def test_equal_twins_keep_their_own_flags():
    seen, unseen = meta(1, flags=[b"\\Seen"]), meta(2)
    match = match_messages(
        [seen, unseen], [meta(10)], lambda s, t: ({1: b"x", 2: b"x"}, {10: b"x"})
    )
    assert [m.uid for m in match.missing] == [1]


def test_extra_copies_and_foreign_messages_are_told_apart():
    match = match_messages([meta(1)], [meta(10), meta(11), meta(12, key=b"other")])
    assert [m.uid for m in match.surplus] == [11]
    assert [m.uid for m in match.foreign] == [12]
