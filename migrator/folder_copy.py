"""Copying one folder: both inventories, what is missing on the target, bodies fetched in
batches bounded by count and bytes while the previous batch is being appended, the problems
found on the way, and the verification.

Nothing here trusts a local record of what was copied before: every attempt starts from what
the target holds, so an attempt that broke off anywhere is simply followed by another.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import BinaryIO

from migrator import bandwidth
from migrator.connection import Connection
from migrator.errors import CommandRefused
from migrator.folders import FolderPlan
from migrator.identity import MessageMeta, body_digest, header_of
from migrator.inventory import Inventory, read_inventory, read_messages
from migrator.matching import match_messages
from migrator.options import CopyOptions
from migrator.progress import BatchDone, FolderStarted, ProgressEvent
from migrator.repair import content_issues, header_has_eight_bit, repair_message
from migrator.report import (
    FolderResult,
    FolderStatus,
    MessageProblem,
    ProblemKind,
    Severity,
    Verification,
)
from migrator.text import say
from migrator.verify import verify_folder
from migrator.wire import CHUNK, Outgoing, append_messages, fetch_bodies, fetch_body_to_file

SYSTEM_FLAGS = {b"\\Seen", b"\\Answered", b"\\Flagged", b"\\Draft", b"\\Deleted"}
_HEAD_BYTES = 1 << 18  # enough of a large message to see its header
VANISHED = say("Expunged on the source during the copy.")


class Stopped(Exception):
    """A cancel request arrived; the folder stops between batches."""


@dataclass
class FolderState:
    """What a folder's copy has done so far; it outlives an attempt cut short by a broken
    connection, so the counts add up over attempts."""

    plan: FolderPlan
    source_messages: int = 0
    source_bytes: int = 0
    already_present: int | None = None
    to_copy: int = 0
    copied: int = 0
    bytes_copied: int = 0
    flags_updated: int = 0
    problems: dict[tuple[int | None, ProblemKind], MessageProblem] = field(default_factory=dict)
    dropped_keywords: Counter = field(default_factory=Counter)
    verification: Verification | None = None
    announced: bool = False  # FolderStarted was sent
    missing_at_start: set[int] | None = None  # source UIDs the first attempt found missing

    def add(self, problem: MessageProblem) -> bool:
        """Keep a problem; False when an earlier attempt reported it already."""
        key = (problem.uid, problem.kind)
        new = key not in self.problems
        self.problems[key] = problem
        return new

    def not_expected(self) -> set[int]:
        """Source UIDs that are not meant to be on the target."""
        return {
            p.uid
            for p in self.problems.values()
            if p.uid is not None
            and p.severity in (Severity.EXCLUDED, Severity.SKIPPED, Severity.FAILED)
        }

    def mark(self) -> tuple[int, int]:
        return self.copied, len(self.problems)

    def result(self, status: FolderStatus, reason: str = "") -> FolderResult:
        problems = list(self.problems.values())
        if self.dropped_keywords:
            keywords = ", ".join(
                k.decode("utf-8", "replace") for k in sorted(self.dropped_keywords)
            )
            problems.append(
                MessageProblem(
                    ProblemKind.FLAGS_DROPPED,
                    say(
                        "The target does not keep the keywords {keywords}; messages copied "
                        "without them: {count}.",
                        keywords=keywords,
                        count=sum(self.dropped_keywords.values()),
                    ),
                )
            )
        return FolderResult(
            source=self.plan.source,
            target=self.plan.target,
            status=status,
            reason=" ".join(r for r in (reason, *self.plan.notes) if r),
            source_messages=self.source_messages,
            source_bytes=self.source_bytes,
            copied=self.copied,
            already_present=self.already_present or 0,
            to_copy=self.to_copy,
            flags_updated=self.flags_updated,
            bytes_copied=self.bytes_copied,
            problems=tuple(problems),
            verification=self.verification,
        )


@dataclass
class _Prepared:
    """A message fetched and ready to append, with what to check afterwards."""

    meta: MessageMeta
    outgoing: Outgoing
    header: bytes  # the source's header, to see whether the target rewrote it
    repaired: bool = False

    def issues(self) -> list[str]:
        """What the target may refuse in it; only looked for when it was refused (a scan of
        every byte would cost more than the copy's own work)."""
        if self.repaired:
            return []
        body = self.outgoing.body
        return content_issues(body if isinstance(body, bytes) else self.header)


class FolderCopy:
    """One attempt at one folder, over one source and one target connection."""

    def __init__(
        self,
        plan: FolderPlan,
        source: Connection,
        target: Connection,
        options: CopyOptions,
        state: FolderState,
        emit: Callable[[ProgressEvent], None],
        stop: threading.Event,
    ) -> None:
        self.plan = plan
        self.target_name: str = plan.target or ""
        self.source = source
        self.target = target
        self.options = options
        self.state = state
        self.emit = emit
        self.stop = stop
        self.size_limit: int | None = None
        self.keeps = _FlagsKept((b"\\*",))
        self.appended: dict[int, MessageMeta] = {}  # target UID -> source message
        self.unconfirmed = 0  # appended without a UID in the answer
        # The process's cap on the bytes read and written (migrator.bandwidth), if any.
        self.reading = bandwidth.shared("source", options.max_bytes_per_second)
        self.writing = bandwidth.shared("target", options.max_bytes_per_second)

    def run(self) -> None:
        self.size_limit = self._size_limit()
        source_inventory = read_inventory(self.source, self.plan.source, readonly=True)
        if self.options.only_since is not None:
            source_inventory = _arrived_since(source_inventory, self.options.only_since)
        target_inventory = self._target_inventory()
        match = match_messages(
            source_inventory.messages, target_inventory.messages, self._body_digests
        )
        to_copy, problems = self._sort_out(match.missing)
        state = self.state
        state.source_messages = len(source_inventory.messages)
        state.source_bytes = source_inventory.size
        state.to_copy = len(to_copy)
        self._count_arrivals(match.present, match.missing)
        new = tuple(p for p in problems if state.add(p))
        if not state.announced:
            state.announced = True
            self.emit(
                FolderStarted(
                    self.plan.source,
                    self.plan.target,
                    state.source_messages,
                    state.source_bytes,
                    len(to_copy),
                    len(match.present),
                )
            )
        if new:
            self.emit(BatchDone(self.plan.source, 0, 0, new))
        if self.options.dry_run:
            return
        self.keeps = _FlagsKept(target_inventory.permanent_flags)
        if self.options.sync_flags_of_existing:
            self._sync_flags(match.present)
        before = target_inventory.messages
        del match, target_inventory
        if to_copy:
            self._copy(to_copy)
        if self.options.verify:
            after = self._target_after_copy(before) if to_copy else before
            state.verification = verify_folder(
                source_inventory.messages, after, state.not_expected()
            )

    def _target_after_copy(self, before: Sequence[MessageMeta]) -> Sequence[MessageMeta]:
        """What the target holds now, for the verification. By UID, from the server's list of
        UIDs: what was there before, and what the server said it stored under which UID
        (APPENDUID); messages it holds besides are read. Reading every header back instead
        (`verify_by_reading`, or when an append gave no UID) costs the target a sixth more."""
        if self.unconfirmed or self.options.verify_by_reading:
            return read_inventory(self.target, self.target_name, readonly=False).messages
        listing = say("listing the messages of {folder}", folder=repr(self.target_name))
        with self.target.errors(listing):
            if self.target.selected != self.target_name:
                self.target.select(self.target_name, readonly=False)
            uids = set(self.target.client.search("ALL"))
        known = {m.uid: m for m in before if m.uid in uids}
        stored = [replace(m, uid=uid) for uid, m in self.appended.items() if uid in uids]
        others = sorted(uids - known.keys() - self.appended.keys())
        return [*known.values(), *stored, *read_messages(self.target, others)]

    def _count_arrivals(
        self, present: Sequence[tuple[MessageMeta, MessageMeta]], missing: Sequence[MessageMeta]
    ) -> None:
        """On a first attempt, note what is missing; on a later one, count as copied what
        arrived although the connection broke before the server's answer did."""
        state = self.state
        if state.missing_at_start is None:
            state.missing_at_start = {m.uid for m in missing}
            state.already_present = len(present)
            return
        arrived = [s for s, _copy in present if s.uid in state.missing_at_start]
        unanswered = len(arrived) - state.copied
        if unanswered > 0:
            size = max(sum(s.size for s in arrived) - state.bytes_copied, 0)
            state.copied += unanswered
            state.bytes_copied += size
            self.emit(BatchDone(self.plan.source, unanswered, size))

    # --- what to copy -------------------------------------------------------------------------

    def _target_inventory(self) -> Inventory:
        if self.options.dry_run and self.target_name not in self._existing_targets():
            return Inventory(self.target_name, None, (b"\\*",), ())
        return read_inventory(self.target, self.target_name, readonly=self.options.dry_run)

    def _existing_targets(self) -> set[str]:
        with self.target.errors(say("listing folders")):
            return {name for _flags, _sep, name in self.target.client.list_folders()}

    def _sort_out(
        self, missing: Sequence[MessageMeta]
    ) -> tuple[list[MessageMeta], list[MessageProblem]]:
        """Split what is missing into what to copy and what stays behind, with the reason."""
        limit = self.size_limit
        to_copy, problems = [], []
        for m in sorted(missing, key=lambda m: m.uid):
            if m.deleted and self.options.skip_deleted:
                flagged = say("Flagged \\Deleted on the source.")
                problems.append(_problem(m, ProblemKind.DELETED, flagged))
            elif m.stub:
                problems.append(
                    _problem(
                        m,
                        ProblemKind.CONVERSION_STUB,
                        say(
                            "Exchange could not convert this message of {date} in {folder} and "
                            "sent a stub instead; open it in Outlook or OWA and forward or export "
                            "it.",
                            date=_day(m),
                            folder=repr(self.plan.source),
                        ),
                    )
                )
            elif limit is not None and m.size > limit:
                problems.append(_too_large(m, m.size, limit))
            else:
                to_copy.append(m)
        return to_copy, problems

    def _size_limit(self) -> int | None:
        limits = [self.options.max_message_bytes]
        append_limit = self.target.capability_value("APPENDLIMIT")
        if append_limit and append_limit.isdigit():
            limits.append(int(append_limit))
        known = [n for n in limits if n]
        return min(known) if known else None

    def _body_digests(
        self, sources: Sequence[MessageMeta], targets: Sequence[MessageMeta]
    ) -> tuple[dict[int, bytes], dict[int, bytes]]:
        """Twins with the same headers and internal date, told apart by their bodies."""
        return self._digests(self.source, sources), self._digests(self.target, targets)

    @staticmethod
    def _digests(connection: Connection, messages: Sequence[MessageMeta]) -> dict[int, bytes]:
        digests = {}
        with connection.errors(say("reading messages to tell twins apart")):
            for m in messages:  # one at a time: twins may be large
                body = fetch_bodies(connection.client, [m.uid]).get(m.uid)
                if body is not None:
                    digests[m.uid] = body_digest(body)
        return digests

    # --- flags of messages already there ------------------------------------------------------

    def _sync_flags(self, pairs: Sequence[tuple[MessageMeta, MessageMeta]]) -> None:
        """Mirror the source's flags onto messages already on the target (before cutover)."""
        changes: dict[tuple[tuple[bytes, ...], tuple[bytes, ...]], list[int]] = {}
        for source, copy in pairs:
            wanted = set(self._flags_for(source, count_dropped=False))
            managed = {f for f in copy.flags if f in SYSTEM_FLAGS or not f.startswith(b"\\")}
            managed.discard(b"\\Deleted")
            add, remove = wanted - set(copy.flags), managed - wanted
            if add or remove:
                changes.setdefault((tuple(sorted(add)), tuple(sorted(remove))), []).append(copy.uid)
        client = self.target.client
        with self.target.errors(say("updating flags in {folder}", folder=repr(self.target_name))):
            for (add, remove), uids in changes.items():
                if add:
                    client.add_flags(uids, add, silent=True)
                if remove:
                    client.remove_flags(uids, remove, silent=True)
                self.state.flags_updated += len(uids)

    def _flags_for(self, message: MessageMeta, *, count_dropped: bool = True) -> tuple[bytes, ...]:
        flags = []
        for flag in message.flags:
            if flag == b"\\Deleted" and self.options.skip_deleted:
                continue
            if self.keeps(flag):
                flags.append(flag)
            elif count_dropped:
                self.state.dropped_keywords[flag] += 1
        return tuple(flags)

    # --- copying ------------------------------------------------------------------------------

    def _copy(self, messages: Sequence[MessageMeta]) -> None:
        """Fetch batch n+1 from the source while batch n goes to the target."""
        batches = make_batches(
            messages,
            self.options.batch_messages,
            # Under a bandwidth cap a batch holds at most a second's worth: an even pace.
            min(self.options.batch_bytes, self.options.max_bytes_per_second or 1 << 62),
            self.options.stream_threshold,
        )
        if not batches:
            return
        with _Prefetcher(self._fetch_batch, batches, self.stop) as fetched:
            for prepared, problems in fetched:
                try:
                    self._append(prepared, problems)
                finally:
                    for item in prepared:
                        if not isinstance(item.outgoing.body, bytes):
                            item.outgoing.body.close()

    def _fetch_batch(
        self, batch: Sequence[MessageMeta]
    ) -> tuple[list[_Prepared], list[MessageProblem]]:
        problems: list[MessageProblem] = []
        self._pace(self.reading, sum(m.size for m in batch))
        if len(batch) == 1 and batch[0].size > self.options.stream_threshold:
            prepared = self._fetch_large(batch[0], problems)
            return ([prepared] if prepared else []), problems
        bodies = self._fetch_small(batch, problems)
        ready = []
        for m in batch:
            body = bodies.get(m.uid)
            if body is None:
                if not any(p.uid == m.uid for p in problems):
                    problems.append(_problem(m, ProblemKind.VANISHED, VANISHED))
                continue
            item = self._prepare(m, body, len(body), body, problems)
            if item:
                ready.append(item)
        return ready, problems

    def _fetch_small(
        self, batch: Sequence[MessageMeta], problems: list[MessageProblem]
    ) -> dict[int, bytes]:
        doing = say("fetching messages from {folder}", folder=repr(self.plan.source))
        try:
            with self.source.errors(doing):
                return fetch_bodies(self.source.client, [m.uid for m in batch])
        except CommandRefused as refused:
            if len(batch) == 1:
                problems.append(_problem(batch[0], ProblemKind.FETCH_FAILED, str(refused)))
                return {}
        bodies: dict[int, bytes] = {}
        for m in batch:  # one by one, to find the message the server can't deliver
            bodies.update(self._fetch_small([m], problems))
        return bodies

    def _fetch_large(self, m: MessageMeta, problems: list[MessageProblem]) -> _Prepared | None:
        spool: BinaryIO = tempfile.TemporaryFile(prefix="migrator-")  # noqa: SIM115
        try:
            fetching = say("fetching a message from {folder}", folder=repr(self.plan.source))
            with self.source.errors(fetching):
                size = fetch_body_to_file(self.source.client, m.uid, spool)
            if size is None:
                problems.append(_problem(m, ProblemKind.VANISHED, VANISHED))
                spool.close()
                return None
            spool.seek(0)
            head = header_of(spool.read(_HEAD_BYTES))
            if self.options.repair and _needs_repair(spool, head):
                # Rare: a large message to repair is repaired in memory.
                spool.seek(0)
                whole = spool.read()
                spool.close()
                return self._prepare(m, whole, len(whole), whole, problems)
            return self._prepare(m, spool, size, head, problems)
        except BaseException:
            spool.close()
            raise

    def _prepare(
        self,
        m: MessageMeta,
        body: bytes | BinaryIO,
        size: int,
        head: bytes,
        problems: list[MessageProblem],
    ) -> _Prepared | None:
        limit = self.size_limit
        if limit is not None and size > limit:
            problems.append(_too_large(m, size, limit))
            if not isinstance(body, bytes):
                body.close()
            return None
        header = header_of(head)
        issues = content_issues(body) if self.options.repair and isinstance(body, bytes) else []
        if issues:
            body = repair_message(body)
            size = len(body)
            header = header_of(body)
            repaired = " ".join((say("Repaired for the target."), *issues))
            problems.append(_problem(m, ProblemKind.REPAIRED, repaired))
        outgoing = Outgoing(m.flags, m.internal_date, body, size)
        return _Prepared(m, outgoing, header, repaired=bool(issues))

    def _append(self, prepared: list[_Prepared], problems: list[MessageProblem]) -> None:
        outgoing = [
            Outgoing(
                self._flags_for(p.meta),
                p.meta.internal_date,
                p.outgoing.body,
                p.outgoing.size,
            )
            for p in prepared
        ]
        self._pace(self.writing, sum(item.size for item in outgoing))
        with self.target.errors(say("appending to {folder}", folder=repr(self.target_name))):
            outcomes = (
                append_messages(self.target.client, self.target_name, outgoing) if outgoing else []
            )
        copied = copied_bytes = 0
        to_check: dict[int, _Prepared] = {}
        for item, outcome in zip(prepared, outcomes, strict=True):
            if outcome.ok:
                copied += 1
                copied_bytes += item.outgoing.size
                if outcome.uid is None:
                    self.unconfirmed += 1
                else:
                    self.appended[outcome.uid] = item.meta
                if outcome.uid is not None and header_has_eight_bit(item.header):
                    to_check[outcome.uid] = item
                continue
            issues = item.issues()
            hint = (*issues, say("The option --repair fixes that.")) if issues else ()
            refused = say("The target refused it ({answer}).", answer=outcome.answer)
            problems.append(_problem(item.meta, ProblemKind.REJECTED, " ".join((refused, *hint))))
        problems.extend(self._rewritten(to_check))
        self.state.copied += copied
        self.state.bytes_copied += copied_bytes
        new = tuple(p for p in problems if self.state.add(p))
        self.emit(BatchDone(self.plan.source, copied, copied_bytes, new))

    def _rewritten(self, appended: dict[int, _Prepared]) -> list[MessageProblem]:
        """Messages with 8-bit header bytes whose header the target changed (Cyrus: `X`)."""
        if not appended:
            return []
        reading = say("reading back headers in {folder}", folder=repr(self.target_name))
        with self.target.errors(reading):
            if self.target.selected != self.target_name:
                self.target.select(self.target_name, readonly=False)
            stored = self.target.client.fetch(list(appended), [b"BODY.PEEK[HEADER]"])
        problems = []
        for uid, item in appended.items():
            header = stored.get(uid, {}).get(b"BODY[HEADER]")
            if header is not None and header.rstrip(b"\r\n") != item.header.rstrip(b"\r\n"):
                problems.append(
                    _problem(
                        item.meta,
                        ProblemKind.REWRITTEN,
                        say(
                            "The target replaced the 8-bit bytes in its headers; the option "
                            "--repair encodes them instead."
                        ),
                    )
                )
        return problems

    def _pace(self, cap: bandwidth.Bandwidth | None, size: int) -> None:
        """Wait while the bytes would exceed the bandwidth cap; a stop ends the wait."""
        if cap is not None:
            cap.take(size, self.stop)
            if self.stop.is_set():
                raise Stopped()


class _FlagsKept:
    """Which flags the target keeps, from its PERMANENTFLAGS (`\\*`: any keyword)."""

    def __init__(self, permanent_flags: Sequence[bytes]) -> None:
        self.listed = set(permanent_flags)
        self.any_keyword = b"\\*" in self.listed

    def __call__(self, flag: bytes) -> bool:
        return flag in SYSTEM_FLAGS or self.any_keyword or flag in self.listed


def make_batches(
    messages: Sequence[MessageMeta], max_count: int, max_bytes: int, stream_threshold: int
) -> list[list[MessageMeta]]:
    """Batches bounded by count and bytes, in UID order (the target's UIDs follow the source's
    order); a message above `stream_threshold` goes alone."""
    batches: list[list[MessageMeta]] = []
    current: list[MessageMeta] = []
    current_bytes = 0
    for m in messages:
        large = m.size > stream_threshold
        full = len(current) >= max_count or current_bytes + m.size > max_bytes
        if current and (large or full):
            batches.append(current)
            current, current_bytes = [], 0
        if large:
            batches.append([m])
            continue
        current.append(m)
        current_bytes += m.size
    if current:
        batches.append(current)
    return batches


class _Prefetcher:
    """Runs `fetch` over the batches in a thread of its own while the consumer appends the
    batch before, so that both servers work at once. At most two batches are held (the one
    being appended, the one being fetched): memory stays bounded by the batch size. Errors of
    the fetching thread are raised in the consumer."""

    IN_FLIGHT = 2
    _DONE = object()

    def __init__(
        self,
        fetch: Callable[[Sequence[MessageMeta]], tuple[list[_Prepared], list[MessageProblem]]],
        batches: list[list[MessageMeta]],
        stop: threading.Event,
    ) -> None:
        self.fetch = fetch
        self.batches = batches
        self.stop = stop
        self.ready: queue.Queue = queue.Queue()
        self.slots = threading.Semaphore(self.IN_FLIGHT)
        self.abandoned = threading.Event()
        self.thread = threading.Thread(target=self._run, name="prefetch", daemon=True)

    def __enter__(self) -> Iterator[tuple[list[_Prepared], list[MessageProblem]]]:
        self.thread.start()
        return self._consume()

    def __exit__(self, *exc_info: object) -> None:
        self.abandoned.set()
        self.thread.join()
        while not self.ready.empty():
            item = self.ready.get_nowait()
            if isinstance(item, tuple):
                _close(item)

    def _consume(self) -> Iterator[tuple[list[_Prepared], list[MessageProblem]]]:
        while True:
            item = self.ready.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            self.slots.release()

    def _run(self) -> None:
        try:
            for batch in self.batches:
                if not self._take_slot():
                    return
                if self.stop.is_set():
                    raise Stopped()
                self.ready.put(self.fetch(batch))
            self.ready.put(self._DONE)
        except BaseException as error:  # handed to the consumer, raised there
            self.ready.put(error)

    def _take_slot(self) -> bool:
        while not self.abandoned.is_set():
            if self.slots.acquire(timeout=0.05):
                return True
        return False


def _needs_repair(spool: BinaryIO, head: bytes) -> bool:
    if content_issues(head):
        return True
    spool.seek(0)
    carried = b""  # a CR ending one chunk makes the LF starting the next no bare one
    while chunk := spool.read(CHUNK):
        if content_issues(b"x: y\r\n\r\n" + carried + chunk):
            return True
        carried = b"\r" if chunk.endswith(b"\r") else b""
    return False


def _arrived_since(inventory: Inventory, moment: datetime) -> Inventory:
    """Only the messages whose internal date is `moment` or later."""
    since = moment.timestamp()
    return replace(inventory, messages=tuple(m for m in inventory.messages if m.timestamp >= since))


def _close(item: tuple[list[_Prepared], list[MessageProblem]]) -> None:
    for prepared in item[0]:
        if not isinstance(prepared.outgoing.body, bytes):
            prepared.outgoing.body.close()


def _problem(m: MessageMeta, kind: ProblemKind, detail: str) -> MessageProblem:
    return MessageProblem(kind, detail, m.uid, m.subject, m.internal_date.isoformat(), m.size)


def _too_large(m: MessageMeta, size: int, limit: int) -> MessageProblem:
    return _problem(
        m,
        ProblemKind.TOO_LARGE,
        say("{size} bytes, more than the {limit} the copy may append.", size=size, limit=limit),
    )


def _day(m: MessageMeta) -> str:
    return m.internal_date.strftime("%Y-%m-%d %H:%M")
