"""Before a delta copy: what the user did on the source since an earlier copy, carried over to
the target, whose copies are ours to change as long as the user does not work there.

A message the user moved to another folder on the source is moved on the target too, instead
of being copied into the new folder while its old copy stays behind: it ends up there once.
A message the user deleted on the source is reported with its folder, subject and date, and
removed from the target only when the caller asks (`CopyOptions.remove_deleted`). Messages are
recognised across folders by identity and internal date, as the copy recognises them within
one (migrator.identity); the source is only ever read.

Besides the folders of the plan, the target folders earlier copies made for source folders that
are gone now (`CopyOptions.earlier_folders`: the user renamed or deleted the folder) are looked
at, with `follow_moves` only: their messages follow the user's move into the folders that hold
them on the source now, what is left is treated like a deleted message, and the emptied folder
is removed with `remove_deleted`, else kept and reported. A target folder no earlier copy made,
or one the plan copies into, is never touched.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import imapclient

from migrator.connection import Connection
from migrator.errors import CommandRefused
from migrator.folders import FolderListing, FolderPlan, list_folders
from migrator.identity import MessageMeta
from migrator.inventory import read_inventory
from migrator.matching import match_messages
from migrator.options import CopyOptions
from migrator.report import FolderResult, FolderStatus, MessageProblem, ProblemKind
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
    # The target folders of earlier copies whose source folder is gone, as they were left.
    left_behind: list[FolderResult] = field(default_factory=list)

    def merged(self, results: Iterable[FolderResult]) -> list[FolderResult]:
        """The copy's folder results with the moves and deletions added, then the folders
        left behind."""
        return [
            replace(
                result,
                moved=result.moved + self.moved_in.get(result.source, 0),
                problems=result.problems + tuple(self.problems.get(result.source, ())),
            )
            for result in results
        ] + self.left_behind


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
    for plan, extra in leftovers:
        _carry_over(target, plan, extra, lacking, options, done)
    orphans, listing = _gone_from_source(target, plans, options)
    remaining = listing.names()
    for plan in orphans:  # deepest first: a parent can go once its subfolders went
        result = _empty_out(target, plan, lacking, options, done, listing.separator, remaining)
        if result is not None:
            done.left_behind.append(result)
    return done


def _empty_out(
    target: Connection,
    plan: FolderPlan,
    lacking: dict[tuple[bytes, int], list[FolderPlan]],
    options: CopyOptions,
    done: Reconciliation,
    separator: str,
    remaining: set[str],
) -> FolderResult | None:
    """A target folder whose source folder is gone: its messages carried over as the user
    moved or deleted them, then the folder removed or kept; None when it cannot be opened."""
    assert plan.target is not None
    try:
        messages = list(read_inventory(target, plan.target, readonly=True).messages)
    except CommandRefused:
        return None
    moved, left = _carry_over(target, plan, messages, lacking, options, done)
    kept = _remove_folder(target, plan.target, left, options, separator, remaining)
    reasons = [say("Renamed or deleted on the source since an earlier copy.")]
    if moved:
        reasons.append(
            say(
                "Messages moved on the target into the folders that hold them on the source "
                "now: {count}.",
                count=moved,
            )
        )
    reasons.append(
        kept
        or say(
            "The emptied folder {folder} was removed from the target as asked.",
            folder=repr(plan.target),
        )
    )
    return FolderResult(
        plan.source,
        plan.target if kept else None,  # None: no folder any more, none to look at next time
        FolderStatus.GONE,
        " ".join(reasons),
        problems=tuple(done.problems.pop(plan.source, ())),
    )


def _carry_over(
    target: Connection,
    plan: FolderPlan,
    extra: list[MessageMeta],
    lacking: dict[tuple[bytes, int], list[FolderPlan]],
    options: CopyOptions,
    done: Reconciliation,
) -> tuple[int, int]:
    """Move the folder's messages the source holds elsewhere now into those folders, report
    (and remove, as asked) the others; how many were moved, and how many are left."""
    removable = target.capability("UIDPLUS")  # UID EXPUNGE: only the messages meant
    movable = removable or target.capability("MOVE")
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
    return sum(len(uids) for uids in moves.values()), 0 if remove else len(gone)


def _gone_from_source(
    target: Connection, plans: Sequence[FolderPlan], options: CopyOptions
) -> tuple[list[FolderPlan], FolderListing]:
    """The target folders of earlier copies whose source folder is gone, deepest first, with
    the target's folders (when there are any such); none without `follow_moves`. A folder the
    plan copies into is the plan's, and INBOX always stays."""
    sources = {p.source for p in plans}
    planned = {p.target for p in plans if p.target}
    candidates = {
        target_name: source_name
        for source_name, target_name in options.earlier_folders
        if options.follow_moves
        and source_name not in sources
        and target_name not in planned
        and target_name.upper() != "INBOX"
    }
    if not candidates:
        return [], FolderListing("/", "", (), ())
    with target.errors(say("listing folders")):
        listing = list_folders(target.client)
    existing = {f.name for f in listing.folders if f.selectable}
    orphans = [FolderPlan(s, t) for t, s in candidates.items() if t in existing]
    # A subfolder's name is longer than its parent's.
    return sorted(orphans, key=lambda p: len(p.target or ""), reverse=True), listing


def _remove_folder(
    target: Connection,
    folder: str,
    left: int,
    options: CopyOptions,
    separator: str,
    remaining: set[str],
) -> str:
    """Remove the emptied folder (with `remove_deleted`): "" when it is gone, else why it
    stays."""
    if not options.remove_deleted:
        return say(
            "The folder stays on the target until a delta copy removes what was deleted on "
            "the source; messages left in it: {count}.",
            count=left,
        )
    if left:
        return say("The folder stays on the target, with messages left in it: {count}.", count=left)
    if any(name.startswith(folder + separator) for name in remaining):
        return say("The folder stays on the target: it has subfolders.")
    removing = say("removing {folder}", folder=repr(folder))
    try:
        target.select("INBOX", readonly=True)  # not the folder itself while it is removed
        with target.errors(removing):
            target.client.delete_folder(folder)
    except CommandRefused as refused:
        return say("The folder stays on the target: {error}", error=str(refused))
    remaining.discard(folder)
    with contextlib.suppress(CommandRefused), target.errors(removing):
        target.client.unsubscribe_folder(folder)
    return ""


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
