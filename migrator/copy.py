"""Copying a mailbox from one IMAP server to another: `copy_mailbox`, the engine's entry point.

It logs in to both servers, plans the folders, creates the missing ones on the target (parents
first, subscribed), then copies folders side by side over a few pairs of connections. A broken
connection is reopened with backoff and the folder copied again from what the target holds,
so the copy resumes where it was. Progress events and cancel polling stay on the caller's
thread, whatever threads do the copying.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from migrator.connection import Connection
from migrator.endpoints import Credentials, ImapEndpoint, Security
from migrator.errors import (
    CommandRefused,
    ConnectionLost,
    LoginRefused,
    MigratorError,
    PermanentError,
    ServerUnreachable,
    Throttled,
    TlsFailed,
    TransientError,
)
from migrator.folder_copy import FolderCopy, FolderState, Stopped
from migrator.folders import FolderListing, FolderPlan, list_folders, parents_first, plan_folders
from migrator.options import CopyOptions
from migrator.progress import (
    BatchDone,
    FolderFinished,
    FolderFound,
    FoldersFound,
    NullProgress,
    ProgressEvent,
    ProgressSink,
    Retrying,
)
from migrator.reconcile import Reconciliation, reconcile
from migrator.reconcile import wanted as reconcile_wanted
from migrator.report import CopyReport, FolderResult, FolderStatus, Verification
from migrator.text import say

T = TypeVar("T")
STOP_POLL_SECONDS = 0.5
STOP_WAIT_SECONDS = 1.0
log = logging.getLogger(__name__)


def copy_mailbox(
    source: ImapEndpoint,
    target: ImapEndpoint,
    source_credentials: Credentials,
    target_credentials: Credentials,
    *,
    options: CopyOptions | None = None,
    progress: ProgressSink | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CopyReport:
    """Copy every mail folder of one mailbox; what is on the target already stays and is not
    copied again. Raises a MigratorError when the copy cannot run at all (login refused,
    server unreachable, connection lost for good); everything else is in the report."""
    options = options or CopyOptions()
    sink = progress or NullProgress()
    started = time.monotonic()
    source_main = Connection(source, source_credentials, "source")
    target_main = Connection(target, target_credentials, "target")
    try:
        source_main.open()
        target_main.open()
        pair = _Pair(source_main, target_main)
        plans, listing, found = _retrying(lambda: _set_up(pair, options), pair, options)
        sink.report(FoldersFound(found))
        # A delta copy first carries the user's moves and deletions over (migrator.reconcile).
        reconciled = Reconciliation()
        if reconcile_wanted(options):
            reconciled = _retrying(
                lambda: reconcile(pair.source, pair.target, plans, options), pair, options
            )
            for result in reconciled.left_behind:
                sink.report(FolderFinished(result))
        largest_first = {f.source: -(f.messages or 0) for f in found}
        run = _Run(plans, largest_first, listing, options, sink, should_stop)
        results = reconciled.merged(run.copy(source_main, target_main))
    finally:
        source_main.logout()
        target_main.logout()
    stopped = any(r.status == FolderStatus.STOPPED for r in results)
    return CopyReport(
        folders=tuple(results),
        seconds=time.monotonic() - started,
        dry_run=options.dry_run,
        stopped=stopped,
        warnings=tuple(_warnings(source, "source") + _warnings(target, "target")),
    )


def _set_up(
    pair: _Pair, options: CopyOptions
) -> tuple[list[FolderPlan], _TargetFolders, tuple[FolderFound, ...]]:
    """Plan the folders, count their messages, and create the missing ones on the target."""
    with pair.source.errors(say("listing folders")):
        source_listing = list_folders(pair.source.client)
    with pair.target.errors(say("listing folders")):
        target_listing = list_folders(pair.target.client)
    plans = plan_folders(source_listing, target_listing, options.folder_rules)
    found = tuple(_found(p, pair.source) for p in plans)
    failed = {} if options.dry_run else _create_folders(pair.target, plans, target_listing)
    return plans, _TargetFolders(target_listing.separator, failed), found


def _retrying(set_up: Callable[[], T], pair: _Pair, options: CopyOptions) -> T:
    """Run `set_up` again after a broken connection, as the folder copies do."""
    for delay in (*options.retry_delays, None):
        try:
            return set_up()
        except TransientError as error:
            if delay is None:
                raise
            pair.close()
            time.sleep(max(delay, error.backoff_seconds if isinstance(error, Throttled) else 0))
            pair.reopen()
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _TargetFolders:
    separator: str
    failed: dict[str, str]  # target folders that could not be created, with the answer


def _found(plan: FolderPlan, source: Connection) -> FolderFound:
    messages = None
    if not plan.excluded and plan.selectable:
        counting = say("counting the messages of {folder}", folder=repr(plan.source))
        with contextlib.suppress(CommandRefused), source.errors(counting):
            messages = source.client.folder_status(plan.source, [b"MESSAGES"]).get(b"MESSAGES")
    return FolderFound(plan.source, plan.target, messages, plan.excluded_because)


def _create_folders(
    target: Connection, plans: list[FolderPlan], listing: FolderListing
) -> dict[str, str]:
    """Create what is missing, parents before children, and subscribe; the folders that could
    not be created, with the server's answer."""
    existing = listing.names()
    wanted = [p.target for p in plans if p.target]
    uses = {p.target: p.create_as for p in plans if p.target and p.create_as}
    failed: dict[str, str] = {}
    client = target.client
    for name in parents_first(wanted, listing):
        if name in existing:
            continue
        try:
            with target.errors(say("creating {folder}", folder=repr(name))):
                _create(target, name, uses.get(name))
        except CommandRefused as refused:
            with target.errors(say("listing folders")):
                if not client.folder_exists(name):
                    failed[name] = str(refused)
    for name in wanted:
        if name not in failed:
            subscribing = say("subscribing {folder}", folder=repr(name))
            with contextlib.suppress(CommandRefused), target.errors(subscribing):
                client.subscribe_folder(name)
    return failed


def _create(target: Connection, name: str, special_use: str | None) -> None:
    """CREATE, marked with its SPECIAL-USE where the server takes that (RFC 6154), so that
    mail programs find the new Sent or Trash folder; unmarked where it doesn't."""
    client = target.client
    if special_use and target.capability("CREATE-SPECIAL-USE"):
        encoded = client._normalise_folder(name)
        answer, _text = client._imap._simple_command("CREATE", encoded, f"(USE ({special_use}))")
        if answer == "OK":
            return
    client.create_folder(name)


def _warnings(endpoint: ImapEndpoint, role: str) -> list[str]:
    server = str(endpoint)
    if endpoint.security == Security.PLAIN and role == "source":
        return [
            say("The connection to the source server {server} is not encrypted.", server=server)
        ]
    if endpoint.security == Security.PLAIN:
        return [
            say("The connection to the target server {server} is not encrypted.", server=server)
        ]
    if not endpoint.verify_tls and role == "source":
        return [
            say(
                "TLS certificate verification is off for the source server {server}.", server=server
            )
        ]
    if not endpoint.verify_tls:
        return [
            say(
                "TLS certificate verification is off for the target server {server}.", server=server
            )
        ]
    return []


@dataclass
class _Pair:
    source: Connection
    target: Connection

    def reopen(self) -> None:
        self.source.open()
        self.target.open()

    def close(self) -> None:
        self.source.close()
        self.target.close()


class _Run:
    """Folders copied side by side by worker threads; events come back through a queue so
    that the sink and `should_stop` are only ever called on the caller's thread."""

    def __init__(
        self,
        plans: list[FolderPlan],
        order: dict[str, int],
        target_folders: _TargetFolders,
        options: CopyOptions,
        sink: ProgressSink,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.plans = plans
        self.order = order
        self.failed_creates = target_folders.failed
        self.separator = target_folders.separator
        self.options = options
        self.sink = sink
        self.should_stop = should_stop or (lambda: False)
        self.events: queue.Queue[tuple[ProgressEvent, threading.Event | None]] = queue.Queue()
        self.stop = threading.Event()
        self.todo: queue.Queue[FolderPlan] = queue.Queue()
        self.results: dict[str, FolderResult] = {}
        self.fatal: list[MigratorError] = []
        self.last_wait = 0.0  # when a worker last waited for the relay of a batch

    def copy(self, source: Connection, target: Connection) -> list[FolderResult]:
        # Largest folders first, so that side by side copies end at about the same time.
        for plan in sorted(self.plans, key=lambda p: self.order.get(p.source, 0)):
            result = self._without_copy(plan)
            if result is None:
                self.todo.put(plan)
            else:
                self.results[plan.source] = result
                self.sink.report(FolderFinished(result))
        pairs = [_Pair(source, target)]
        for _ in range(min(self.options.connections, self.todo.qsize()) - 1):
            pair = _Pair(
                Connection(source.endpoint, source.credentials, "source"),
                Connection(target.endpoint, target.credentials, "target"),
            )
            try:
                pair.reopen()
            except MigratorError:  # a server's connection limit: fewer workers, same result
                pair.close()
                break
            pairs.append(pair)
        workers = [
            threading.Thread(target=self._work, args=(pair,), name=f"copy-{n}", daemon=True)
            for n, pair in enumerate(pairs)
        ]
        for worker in workers:
            worker.start()
        try:
            self._relay(workers)
        finally:
            # Also when the sink or should_stop raised: workers stop before the caller goes on.
            self.stop.set()
            for worker in workers:
                worker.join()
        for pair in pairs[1:]:
            pair.source.logout()
            pair.target.logout()
        if self.fatal:
            raise self.fatal[0]
        return [self.results[p.source] for p in self.plans if p.source in self.results]

    def _without_copy(self, plan: FolderPlan) -> FolderResult | None:
        """Results of folders that need no worker: left out, not selectable, not creatable."""
        if plan.excluded:
            return FolderResult(plan.source, None, FolderStatus.EXCLUDED, plan.excluded_because)
        assert plan.target is not None
        failed = next(
            (
                answer
                for name, answer in self.failed_creates.items()
                if plan.target == name or plan.target.startswith(name + self.separator)
            ),
            None,
        )
        if failed:
            return FolderResult(plan.source, plan.target, FolderStatus.FAILED, failed)
        if not plan.selectable:
            status = FolderStatus.PLANNED if self.options.dry_run else FolderStatus.COPIED
            reason = " ".join((say("Holds no messages on the source."), *plan.notes))
            return FolderResult(
                plan.source, plan.target, status, reason, verification=Verification()
            )
        return None

    def emit(self, event: ProgressEvent) -> None:
        """From a worker: hand the event over. After a batch, about once a second, wait until
        the caller's thread has passed it on and asked `should_stop`: a stop comes at most a
        second of batches late, and the first batch always waits (a stop asked for at once is
        obeyed at once). Waiting after every batch cost a tenth of the speed on a busy machine."""
        now = time.monotonic()
        if not isinstance(event, BatchDone) or now - self.last_wait < STOP_WAIT_SECONDS:
            self.events.put((event, None))
            return
        self.last_wait = now
        relayed = threading.Event()
        self.events.put((event, relayed))
        while not relayed.wait(0.1) and not self.stop.is_set():
            pass

    def _relay(self, workers: list[threading.Thread]) -> None:
        last_poll = 0.0
        while any(w.is_alive() for w in workers) or not self.events.empty():
            try:
                event, relayed = self.events.get(timeout=0.1)
            except queue.Empty:
                event, relayed = None, None
            if event is not None:
                self.sink.report(event)
            now = time.monotonic()
            due = relayed is not None or now - last_poll >= STOP_POLL_SECONDS
            if due and not self.stop.is_set():
                last_poll = now
                if self.should_stop():
                    self.stop.set()
            if relayed is not None:
                relayed.set()

    def _work(self, pair: _Pair) -> None:
        while not self.fatal:
            try:
                plan = self.todo.get_nowait()
            except queue.Empty:
                return
            try:
                result = self._copy_folder(plan, pair)
            except MigratorError as fatal:
                self.fatal.append(fatal)
                self.stop.set()
                return
            except Exception as bug:  # reported, not lost with its thread
                log.exception("copying %r failed", plan.source)
                failed = say(
                    "Copying {folder} failed: {error}", folder=repr(plan.source), error=repr(bug)
                )
                self.fatal.append(MigratorError(failed))
                self.stop.set()
                return
            self.results[plan.source] = result
            self.emit(FolderFinished(result))

    def _copy_folder(self, plan: FolderPlan, pair: _Pair) -> FolderResult:
        """One folder, attempted again after each broken connection until it gives no more
        progress; raises only when the servers cannot be reached any more."""
        state = FolderState(plan)
        failures = 0
        while True:
            if self.stop.is_set():
                return state.result(FolderStatus.STOPPED)
            before = state.mark()
            copy = FolderCopy(
                plan,
                pair.source,
                pair.target,
                self.options,
                state,
                self.emit,
                self.stop,
            )
            try:
                copy.run()
                done = FolderStatus.PLANNED if self.options.dry_run else FolderStatus.COPIED
                return state.result(done)
            except Stopped:
                pair.close()
                return state.result(FolderStatus.STOPPED)
            except (TransientError, ServerUnreachable) as broken:
                pair.close()
                error = (
                    broken if isinstance(broken, TransientError) else ConnectionLost(str(broken))
                )
                failures = 0 if state.mark() != before else failures
                failures += 1
                if failures > len(self.options.retry_delays):
                    gave_up = say(
                        "Gave up after {attempts} attempts: {error}",
                        attempts=failures,
                        error=str(error),
                    )
                    return state.result(FolderStatus.FAILED, gave_up)
                if not self._wait_and_reopen(plan, pair, error, failures):
                    return state.result(FolderStatus.STOPPED)
            except (LoginRefused, TlsFailed):
                raise
            except PermanentError as error:
                pair.close()
                return state.result(FolderStatus.FAILED, str(error))

    def _wait_and_reopen(
        self, plan: FolderPlan, pair: _Pair, error: TransientError, failures: int
    ) -> bool:
        """Back off, then log in again; False when a cancel request came meanwhile. Raises
        ConnectionLost when the servers stay unreachable for all the delays."""
        delays = self.options.retry_delays
        delay = delays[failures - 1]
        if isinstance(error, Throttled):
            delay = max(delay, error.backoff_seconds)
        for retry in range(failures, len(delays) + 1):
            self.emit(Retrying(plan.source, retry, delay, str(error)))
            if self.stop.wait(delay):
                return False
            try:
                pair.reopen()
                return True
            except (ServerUnreachable, TransientError) as unreachable:
                error = ConnectionLost(str(unreachable))
                delay = delays[min(retry, len(delays) - 1)]
        raise ConnectionLost(
            say(
                "Gave up after {attempts} attempts: {error}", attempts=len(delays), error=str(error)
            )
        )
