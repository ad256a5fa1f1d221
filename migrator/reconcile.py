"""Before a delta copy: what the user did on the source since an earlier copy, carried over to
the target, whose copies are ours to change as long as the user does not work there.

A message the user moved to another folder on the source is moved on the target too, instead
of being copied into the new folder while its old copy stays behind: it ends up there once.
A message the user deleted on the source is reported with its folder, subject and date, and
removed from the target only when the caller asks (`CopyOptions.remove_deleted`). Messages are
recognised across folders by identity and internal date, as the copy recognises them within
one (migrator.identity); only the folders of the plan are looked at, and the source is only
ever read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import imapclient

from migrator.connection import Connection
from migrator.errors import CommandRefused
from migrator.folders import FolderPlan
from migrator.identity import MessageMeta
from migrator.inventory import read_inventory
from migrator.matching import match_messages
from migrator.options import CopyOptions
from migrator.report import FolderResult, MessageProblem, ProblemKind
from migrator.text import say

KEPT = say("No longer on the source (deleted there since an earlier copy); kept on the target.")
REMOVED = say(
    "No longer on the source (deleted there since an earlier copy); removed from the target "
    "as asked."
)
CANNOT_REMOVE = say(
    "No longer on the source (deleted there since an earlier copy); kept on the target, which "
    "cannot remove single messages (it has no UIDPLUS)."
)


def wanted(options: CopyOptions) -> bool:
    """Whether a copy with these options looks at the source's moves and deletions first."""
    return not options.dry_run and (
        options.follow_moves or options.report_deleted or options.remove_deleted
    )


@dataclass
class Reconciliation:
    """What was found and done on the target before the copy, by source folder."""

    moved_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: dict[str, list[MessageProblem]] = field(default_factory=lambda: defaultdict(list))

    def merged(self, results: Iterable[FolderResult]) -> list[FolderResult]:
        """The copy's folder results with the moves and deletions added."""
        return [
            replace(
                result,
                moved=result.moved + self.moved_in.get(result.source, 0),
                problems=result.problems + tuple(self.problems.get(result.source, ())),
            )
            for result in results
        ]


def reconcile(
    source: Connection, target: Connection, plans: Sequence[FolderPlan], options: CopyOptions
) -> Reconciliation:
    """Move on the target what was moved on the source; report what was deleted there (and
    remove it with `options.remove_deleted`). Run again after a broken connection, it starts
    from what both servers hold, like the copy."""
    lacking: dict[tuple[bytes, int], list[FolderPlan]] = defaultdict(list)
    leftovers: list[tuple[FolderPlan, list[MessageMeta]]] = []
    for plan in plans:
        compared = _compare(source, target, plan, options)
        if compared is None:
            continue
        missing, extra = compared
        for message in missing:
            lacking[(message.key, message.timestamp)].append(plan)
        if extra:
            leftovers.append((plan, extra))
    done = Reconciliation()
    removable = target.capability("UIDPLUS")  # UID EXPUNGE: only the messages meant
    movable = removable or target.capability("MOVE")
    for plan, extra in leftovers:
        moves: dict[FolderPlan, list[int]] = defaultdict(list)
        gone: list[MessageMeta] = []
        for message in extra:
            into = lacking.get((message.key, message.timestamp))
            if into and options.follow_moves and movable:
                moves[into.pop(0)].append(message.uid)
            else:
                gone.append(message)
        remove = options.remove_deleted and removable and bool(gone)
        if moves or remove:
            _change(target, plan, moves, [m.uid for m in gone] if remove else [])
        for destination, uids in moves.items():
            done.moved_in[destination.source] += len(uids)
        if options.report_deleted or options.remove_deleted:
            detail = REMOVED if remove else CANNOT_REMOVE if options.remove_deleted else KEPT
            kind = ProblemKind.REMOVED if remove else ProblemKind.DELETED_ON_SOURCE
            done.problems[plan.source].extend(_problem(m, kind, detail) for m in gone)
    return done


def _compare(
    source: Connection, target: Connection, plan: FolderPlan, options: CopyOptions
) -> tuple[list[MessageMeta], list[MessageMeta]] | None:
    """The source's messages the target folder lacks (that the copy would bring), and the
    target's messages the source folder does not hold (any more); None when either folder
    cannot be opened (the copy reports why), or is not copied at all."""
    if plan.target is None or not plan.selectable:
        return None
    try:
        source_messages = read_inventory(source, plan.source, readonly=True).messages
        target_messages = read_inventory(target, plan.target, readonly=True).messages
    except CommandRefused:
        return None
    match = match_messages(source_messages, target_messages)
    missing = [m for m in match.missing if not m.stub and not (m.deleted and options.skip_deleted)]
    return missing, match.foreign + match.surplus


def _change(
    target: Connection, plan: FolderPlan, moves: dict[FolderPlan, list[int]], remove: list[int]
) -> None:
    assert plan.target is not None
    client = target.client
    with target.errors(say("moving and removing messages in {folder}", folder=repr(plan.target))):
        target.select(plan.target, readonly=False)
        for destination, uids in moves.items():
            if target.capability("MOVE"):
                client.move(uids, destination.target)
            else:
                client.copy(uids, destination.target)
                _expunge(client, uids)
        if remove:
            _expunge(client, remove)


def _expunge(client: imapclient.IMAPClient, uids: list[int]) -> None:
    """Only these messages (UID EXPUNGE): others marked \\Deleted stay."""
    client.add_flags(uids, [b"\\Deleted"], silent=True)
    client.uid_expunge(uids)


def _problem(message: MessageMeta, kind: ProblemKind, detail: str) -> MessageProblem:
    # No UID: the problem's UID names a source message, and this one is only on the target.
    return MessageProblem(
        kind, detail, None, message.subject, message.internal_date.isoformat(), message.size
    )
