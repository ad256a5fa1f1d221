"""Verification of a copied folder: the source's messages against the target's, by identity
and internal date, as multisets."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from migrator.identity import MessageMeta
from migrator.matching import match_messages
from migrator.report import Verification
from migrator.text import say

LISTED = 20  # missing or surplus messages named in a report, per folder


def verify_folder(
    source: Sequence[MessageMeta],
    target: Sequence[MessageMeta],
    not_expected: Collection[int] = (),
) -> Verification:
    """Compare; `not_expected` are source UIDs left out on purpose or reported as failed."""
    match = match_messages(source, target)
    missing = [m for m in match.missing if m.uid not in not_expected]
    return Verification(
        missing=tuple(describe(m) for m in missing[:LISTED]) + _more(len(missing)),
        surplus=tuple(describe(m) for m in match.surplus[:LISTED]) + _more(len(match.surplus)),
        foreign=len(match.foreign),
    )


def describe(message: MessageMeta) -> str:
    subject = message.subject or say("(no subject)")
    return f"{subject} ({message.internal_date.isoformat()})"


def _more(count: int) -> tuple[str, ...]:
    return (say("… and {count} more", count=count - LISTED),) if count > LISTED else ()
