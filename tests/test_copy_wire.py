"""The copy's wire-level helpers and batching, without a server: what Exchange, Dovecot and
Cyrus answer is parsed right, and batches stay within their bounds."""

from __future__ import annotations

from datetime import UTC, datetime

from imapclient.exceptions import IMAPClientError

from migrator.connection import refusal
from migrator.errors import CommandRefused, Throttled
from migrator.folder_copy import make_batches
from migrator.identity import MessageMeta
from migrator.wire import _internal_date, _uid_list, _uid_set


def test_internal_dates_keep_their_moment_and_zone():
    assert _internal_date(b"17-May-2023 09:30:00 +0200") == (
        int(datetime(2023, 5, 17, 7, 30, tzinfo=UTC).timestamp()),
        120,
    )
    assert _internal_date(b" 7-Jan-2024 23:00:00 -0500")[1] == -300


def test_uid_sets_are_written_as_ranges_and_read_back_in_order():
    assert _uid_list([8, 1, 2, 3, 5, 7]) == b"1:3,5,7:8"
    assert _uid_set(b"[APPENDUID 38505 3955:3957,3960] APPEND completed") == [
        3955,
        3956,
        3957,
        3960,
    ]


def test_exchange_throttling_is_transient_with_its_backoff():
    answer = IMAPClientError(
        "fetch failed: Request is throttled. Suggested Backoff Time: 2500 milliseconds"
    )
    throttled = refusal(answer, "source", "exchange.corp:993", "fetching")
    assert isinstance(throttled, Throttled) and throttled.backoff_seconds == 2.5
    other = refusal(
        IMAPClientError("BAD Command Argument Error. 11"), "target", "i2n.corp:993", "fetching"
    )
    assert isinstance(other, CommandRefused)


def test_batches_are_bounded_by_count_and_bytes_and_large_messages_go_alone():
    def message(uid: int, size: int) -> MessageMeta:
        return MessageMeta(uid, b"k", 0, 0, size, (), "")

    messages = [message(1, 400), message(2, 400), message(3, 5000), message(4, 100)]
    messages += [message(n, 10) for n in range(5, 9)]
    batches = make_batches(messages, max_count=3, max_bytes=1000, stream_threshold=2000)
    assert [[m.uid for m in b] for b in batches] == [[1, 2], [3], [4, 5, 6], [7, 8]]
