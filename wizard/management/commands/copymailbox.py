"""`manage.py copymailbox`: one mailbox from Exchange to the Intra2net server, from the shell.

A thin command line over `migrator.copy.copy_mailbox`; it uses no database. Exit status 0 when
everything was copied and verified, 1 when the copy finished but messages that should have
been copied were skipped or failed (or it was stopped), 2 when it could not run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import time
from typing import NoReturn

from django.core.management.base import BaseCommand

from migrator.copy import copy_mailbox
from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, parse_imap_url
from migrator.errors import BadArguments, MigratorError
from migrator.folders import FolderRules
from migrator.options import CopyOptions
from migrator.progress import BatchDone, FolderFinished, FolderStarted, ProgressEvent, Retrying
from migrator.report import CopyReport, FolderResult, FolderStatus, Severity

ADMIN_MODES = {"plain": LoginMode.ADMIN_PLAIN, "master": LoginMode.ADMIN_MASTER}


class Command(BaseCommand):
    help = "Copy one mailbox over IMAP; running it again copies only what is missing."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        for side in ("source", "target"):
            group = parser.add_argument_group(side)
            group.add_argument(
                f"--{side}",
                required=True,
                metavar="URL",
                help="imaps://host:port, imap://host:port?starttls or imap://host:port",
            )
            group.add_argument(
                f"--{side}-user", required=True, metavar="USER", help="the mailbox's user"
            )
            group.add_argument(
                f"--{side}-admin",
                metavar="ADMIN",
                help="log in as this administrator acting for the user",
            )
            group.add_argument(
                f"--{side}-admin-mode",
                choices=sorted(ADMIN_MODES),
                default="plain",
                help="SASL PLAIN with authorization identity (Exchange), or "
                "master-user login USER*ADMIN (Dovecot)",
            )
            group.add_argument(f"--{side}-master-separator", default="*", metavar="SEP")
            group.add_argument(
                f"--{side}-password-env",
                required=True,
                metavar="VAR",
                help=f"the variable holding the password (the admin's, with --{side}-admin)",
            )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="REGEX",
            help="leave out source folders whose name matches",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="SRC=DST",
            help="rename source folders matching the regular expression SRC "
            "(whole name) to DST; subfolders follow",
        )
        parser.add_argument(
            "--max-size", type=int, metavar="BYTES", help="skip and report larger messages"
        )
        parser.add_argument("--ca-file", metavar="FILE", help="CA certificates to verify TLS with")
        parser.add_argument(
            "--insecure",
            action="store_true",
            help="do not verify TLS certificates (said in the output)",
        )
        parser.add_argument("--dry-run", action="store_true", help="plan and count, write nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="encode 8-bit header bytes and drop NUL bytes the target refuses",
        )
        parser.add_argument(
            "--sync-flags",
            action="store_true",
            help="also update flags of messages already on the target",
        )
        parser.add_argument(
            "--verify-full",
            action="store_true",
            help="verify by reading every copied header back (slower for the target)",
        )
        parser.add_argument(
            "--connections",
            type=int,
            default=CopyOptions.connections,
            metavar="N",
            help="folders copied side by side",
        )
        parser.add_argument(
            "--batch-messages",
            type=int,
            default=CopyOptions.batch_messages,
            metavar="N",
            help="messages per batch",
        )
        parser.add_argument(
            "--max-bytes-per-second",
            type=int,
            metavar="BYTES",
            help="cap the bandwidth, each way (a daytime copy should not hurt users)",
        )

    def handle(self, *args, **opts):
        as_json = opts["json"]
        # imapclient says "Connection closed" at INFO; the output is ours to write.
        logging.getLogger("imapclient").setLevel(logging.WARNING)
        try:
            source, target, source_login, target_login, options = _inputs(opts)
        except MigratorError as e:
            self._fail(str(e), as_json)
        stop = _StopOnSignal()
        progress = None if as_json else _PrintedProgress(self.stderr)
        if opts["insecure"]:
            self.stderr.write("warning: --insecure: TLS certificates are not verified")
        try:
            report = copy_mailbox(
                source,
                target,
                source_login,
                target_login,
                options=options,
                progress=progress,
                should_stop=stop,
            )
        except MigratorError as e:
            self._fail(str(e), as_json)
        finally:
            stop.restore()
        if as_json:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            self.stdout.write(_summary(report))
        sys.exit(0 if report.complete else 1)

    def _fail(self, message: str, as_json: bool) -> NoReturn:
        self.stderr.write(f"copymailbox: {message}")
        if as_json:
            self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        sys.exit(2)


def _inputs(opts: dict) -> tuple[ImapEndpoint, ImapEndpoint, Credentials, Credentials, CopyOptions]:
    """The engine's inputs from the command line; BadArguments when they don't add up."""
    source = parse_imap_url(opts["source"], ca_file=opts["ca_file"], insecure=opts["insecure"])
    target = parse_imap_url(opts["target"], ca_file=opts["ca_file"], insecure=opts["insecure"])
    for pattern in opts["exclude"]:
        _compile(pattern, "--exclude")
    renames = []
    for rule in opts["map"]:
        pattern, equals, replacement = rule.partition("=")
        if not equals or not pattern or not replacement:
            raise BadArguments(f"--map {rule!r}: write SRC=DST")
        _compile(pattern, "--map")
        renames.append((pattern, replacement))
    if opts["max_size"] is not None and opts["max_size"] <= 0:
        raise BadArguments("--max-size must be a positive number of bytes")
    if opts["connections"] < 1 or opts["batch_messages"] < 1:
        raise BadArguments("--connections and --batch-messages must be at least 1")
    if opts["max_bytes_per_second"] is not None and opts["max_bytes_per_second"] <= 0:
        raise BadArguments("--max-bytes-per-second must be a positive number")
    options = CopyOptions(
        folder_rules=FolderRules(exclude=tuple(opts["exclude"]), rename=tuple(renames)),
        max_message_bytes=opts["max_size"],
        dry_run=opts["dry_run"],
        repair=opts["repair"],
        sync_flags_of_existing=opts["sync_flags"],
        verify_by_reading=opts["verify_full"],
        connections=opts["connections"],
        batch_messages=opts["batch_messages"],
        max_bytes_per_second=opts["max_bytes_per_second"],
    )
    return (source, target, _credentials(opts, "source"), _credentials(opts, "target"), options)


def _credentials(opts: dict, side: str) -> Credentials:
    variable = opts[f"{side}_password_env"]
    password = os.environ.get(variable)
    if not password:
        raise BadArguments(f"the variable {variable} (the {side} password) is not set or empty")
    admin = opts[f"{side}_admin"]
    if not admin:
        return Credentials(opts[f"{side}_user"], password)
    return Credentials(
        opts[f"{side}_user"],
        password,
        ADMIN_MODES[opts[f"{side}_admin_mode"]],
        admin=admin,
        master_separator=opts[f"{side}_master_separator"],
    )


def _compile(pattern: str, option: str) -> None:
    try:
        re.compile(pattern)
    except re.error as e:
        raise BadArguments(f"{option} {pattern!r} is no regular expression: {e}") from None


class _StopOnSignal:
    """Ctrl-C or TERM asks the copy to stop cleanly between batches; a second Ctrl-C breaks."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = {
            sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum, frame) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class _PrintedProgress:
    """Progress on stderr: a line per folder, and per batch at most once a second."""

    def __init__(self, out) -> None:
        self.out = out
        self.totals: dict[str, tuple[int, int]] = {}  # folder -> (to copy, copied)
        self.last_line = 0.0

    def report(self, event: ProgressEvent) -> None:
        if isinstance(event, FolderStarted):
            self.totals[event.source] = (event.to_copy, 0)
            if event.to_copy:
                self.out.write(
                    f"{event.source}: {event.messages} messages, {event.already_present} on "
                    f"the target already, {event.to_copy} to copy"
                )
        elif isinstance(event, BatchDone) and event.copied:
            to_copy, copied = self.totals.get(event.source, (0, 0))
            self.totals[event.source] = (to_copy, copied + event.copied)
            if time.monotonic() - self.last_line >= 1.0:
                self.last_line = time.monotonic()
                self.out.write(f"{event.source}: copied {copied + event.copied}/{to_copy}")
        elif isinstance(event, Retrying):
            self.out.write(
                f"{event.source}: {event.reason}; trying again in {event.delay_seconds:g} s"
            )
        elif isinstance(event, FolderFinished):
            self.out.write(_folder_line(event.result))


def _folder_line(folder: FolderResult) -> str:
    if folder.status == FolderStatus.EXCLUDED:
        return f"{folder.source}: left out ({folder.reason})"
    line = f"{folder.source} -> {folder.target}: "
    if folder.status == FolderStatus.FAILED:
        return line + f"FAILED: {folder.reason}"
    if folder.status == FolderStatus.PLANNED:
        line += (
            f"{folder.source_messages} messages ({_megabytes(folder.source_bytes)}), "
            f"{folder.to_copy} to copy, {folder.already_present} already there"
        )
    else:
        line += f"{folder.copied} copied, {folder.already_present} already there" + (
            " (stopped)" if folder.status == FolderStatus.STOPPED else ""
        )
    if folder.skipped or folder.failed:
        line += f", {folder.skipped} skipped, {folder.failed} failed"
    if folder.verification and not folder.verification.ok:
        line += (
            f", NOT VERIFIED: {len(folder.verification.missing)} missing, "
            f"{len(folder.verification.surplus)} surplus"
        )
    if folder.reason:
        line += f" ({folder.reason})"
    return line


def _summary(report: CopyReport) -> str:
    lines = []
    if report.dry_run:
        lines.append("Dry run: nothing was written.")
        lines.extend(_folder_line(f) for f in report.folders)
    problems = report.problems(Severity.SKIPPED, Severity.FAILED, Severity.NOTE)
    if problems:
        lines.append("Messages to look at:")
        for folder, p in problems:
            lines.append(
                f"  {folder.source}: {p.kind.value}: {p.subject or '(no subject)'!r} of "
                f"{p.date or 'unknown date'}: {p.detail}"
            )
    lines.extend(f"warning: {w}" for w in report.warnings)
    verdict = (
        "verified"
        if report.verified
        else "stopped before the end"
        if report.stopped
        else "not verified"
        if not report.dry_run
        else "planned"
    )
    lines.append(
        f"Copied {report.messages_copied} messages ({_megabytes(report.bytes_copied)}) in "
        f"{report.seconds:.1f} s; {verdict}."
    )
    return "\n".join(lines)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
