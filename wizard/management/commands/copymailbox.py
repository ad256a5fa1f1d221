"""`manage.py copymailbox`: one mailbox from Exchange to the Intra2net server, from the shell.

A thin command line over `migrator.copy.copy_mailbox`; it uses no database. Exit status 0 when
everything was copied and verified, 1 when the copy finished but messages that should have
been copied were skipped or failed (or it was stopped), 2 when it could not run. What it prints
for a person is in the language of the settings (DEFAULT_LANGUAGE); `--json` stays English.
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
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from migrator.copy import copy_mailbox
from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, parse_imap_url
from migrator.errors import BadArguments, MigratorError
from migrator.folders import FolderRules
from migrator.options import CopyOptions
from migrator.progress import BatchDone, FolderFinished, FolderStarted, ProgressEvent, Retrying
from migrator.report import CopyReport, FolderResult, FolderStatus, Severity
from migrator.text import say
from wizard.recorded import recorded
from wizard.results import PROBLEM_LABELS

ADMIN_MODES = {"plain": LoginMode.ADMIN_PLAIN, "master": LoginMode.ADMIN_MASTER}


class Command(BaseCommand):
    requires_system_checks: list[str] = []

    # A property, so that --help reads in the installation's language (argparse cannot take
    # gettext_lazy's strings).
    @property
    def help(self) -> str:
        return _("Copy one mailbox over IMAP; running it again copies only what is missing.")

    def add_arguments(self, parser):
        titles = {
            "source": pgettext("copymailbox's options", "source"),
            "target": pgettext("copymailbox's options", "target"),
        }
        for side in ("source", "target"):
            group = parser.add_argument_group(titles[side])
            group.add_argument(
                f"--{side}",
                required=True,
                metavar="URL",
                help=_("imaps://host:port, imap://host:port?starttls or imap://host:port"),
            )
            group.add_argument(
                f"--{side}-user", required=True, metavar="USER", help=_("the mailbox's user")
            )
            group.add_argument(
                f"--{side}-admin",
                metavar="ADMIN",
                help=_("log in as this administrator acting for the user"),
            )
            group.add_argument(
                f"--{side}-admin-mode",
                choices=sorted(ADMIN_MODES),
                default="plain",
                help=_(
                    "SASL PLAIN with authorization identity (Exchange), or master-user login "
                    "USER*ADMIN (Dovecot); default: %(default)s"
                ),
            )
            group.add_argument(
                f"--{side}-master-separator",
                default="*",
                metavar="SEP",
                help=_("what joins USER and ADMIN in a master-user login (default: %(default)s)"),
            )
            group.add_argument(
                f"--{side}-password-env",
                required=True,
                metavar="VAR",
                help=_("the variable holding the password (the admin's, with %(option)s)")
                % {"option": f"--{side}-admin"},
            )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="REGEX",
            help=_("leave out source folders whose name matches"),
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="SRC=DST",
            help=_(
                "rename source folders matching the regular expression SRC (whole name) to DST; "
                "subfolders follow"
            ),
        )
        parser.add_argument(
            "--max-size", type=int, metavar="BYTES", help=_("skip and report larger messages")
        )
        parser.add_argument(
            "--ca-file", metavar="FILE", help=_("CA certificates to verify TLS with")
        )
        parser.add_argument(
            "--insecure",
            action="store_true",
            help=_("do not verify TLS certificates (said in the output)"),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("plan and count, write nothing")
        )
        parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
        parser.add_argument(
            "--repair",
            action="store_true",
            help=_("encode 8-bit header bytes and drop NUL bytes the target refuses"),
        )
        parser.add_argument(
            "--sync-flags",
            action="store_true",
            help=_("also update flags of messages already on the target"),
        )
        parser.add_argument(
            "--verify-full",
            action="store_true",
            help=_("verify by reading every copied header back (slower for the target)"),
        )
        parser.add_argument(
            "--connections",
            type=int,
            default=CopyOptions.connections,
            metavar="N",
            help=_("folders copied side by side (default: %(default)s)"),
        )
        parser.add_argument(
            "--batch-messages",
            type=int,
            default=CopyOptions.batch_messages,
            metavar="N",
            help=_("messages per batch (default: %(default)s)"),
        )
        parser.add_argument(
            "--max-bytes-per-second",
            type=int,
            metavar="BYTES",
            help=_("cap the bandwidth, each way (a daytime copy should not hurt users)"),
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
            self.stderr.write(_("warning: --insecure: TLS certificates are not verified"))
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
        self.stderr.write(f"copymailbox: {recorded(message)}")
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
            raise BadArguments(say("--map {rule}: write SRC=DST.", rule=repr(rule)))
        _compile(pattern, "--map")
        renames.append((pattern, replacement))
    if opts["max_size"] is not None and opts["max_size"] <= 0:
        raise BadArguments(say("The option --max-size must be a positive number of bytes."))
    if opts["connections"] < 1 or opts["batch_messages"] < 1:
        raise BadArguments(
            say("The options --connections and --batch-messages must be at least 1.")
        )
    if opts["max_bytes_per_second"] is not None and opts["max_bytes_per_second"] <= 0:
        raise BadArguments(say("The option --max-bytes-per-second must be a positive number."))
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
        if side == "source":
            raise BadArguments(
                say(
                    "The variable {variable} (the source password) is not set or empty.",
                    variable=variable,
                )
            )
        raise BadArguments(
            say(
                "The variable {variable} (the target password) is not set or empty.",
                variable=variable,
            )
        )
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
        raise BadArguments(
            say(
                "{option} {pattern} is no regular expression: {reason}",
                option=option,
                pattern=repr(pattern),
                reason=str(e),
            )
        ) from None


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
                    ngettext(
                        "%(folder)s: %(messages)d message, %(present)d on the target already, "
                        "%(to_copy)d to copy",
                        "%(folder)s: %(messages)d messages, %(present)d on the target already, "
                        "%(to_copy)d to copy",
                        event.messages,
                    )
                    % {
                        "folder": event.source,
                        "messages": event.messages,
                        "present": event.already_present,
                        "to_copy": event.to_copy,
                    }
                )
        elif isinstance(event, BatchDone) and event.copied:
            to_copy, copied = self.totals.get(event.source, (0, 0))
            self.totals[event.source] = (to_copy, copied + event.copied)
            if time.monotonic() - self.last_line >= 1.0:
                self.last_line = time.monotonic()
                self.out.write(
                    _("%(folder)s: copied %(copied)d/%(total)d")
                    % {"folder": event.source, "copied": copied + event.copied, "total": to_copy}
                )
        elif isinstance(event, Retrying):
            self.out.write(
                _("%(folder)s: %(reason)s; trying again in %(seconds)s s")
                % {
                    "folder": event.source,
                    "reason": recorded(event.reason),
                    "seconds": _number(event.delay_seconds),
                }
            )
        elif isinstance(event, FolderFinished):
            self.out.write(_folder_line(event.result))


def _folder_line(folder: FolderResult) -> str:
    reason = recorded(folder.reason)
    if folder.status == FolderStatus.EXCLUDED:
        return _("%(folder)s: left out. %(reason)s") % {"folder": folder.source, "reason": reason}
    line = f"{folder.source} -> {folder.target}: "
    if folder.status == FolderStatus.FAILED:
        return line + _("FAILED: %(reason)s") % {"reason": reason}
    if folder.status == FolderStatus.PLANNED:
        line += ngettext(
            "%(messages)d message (%(size)s), %(to_copy)d to copy, %(present)d already there",
            "%(messages)d messages (%(size)s), %(to_copy)d to copy, %(present)d already there",
            folder.source_messages,
        ) % {
            "messages": folder.source_messages,
            "size": _megabytes(folder.source_bytes),
            "to_copy": folder.to_copy,
            "present": folder.already_present,
        }
    elif folder.status == FolderStatus.STOPPED:
        line += _("%(copied)d copied, %(present)d already there (stopped)") % {
            "copied": folder.copied,
            "present": folder.already_present,
        }
    else:
        line += _("%(copied)d copied, %(present)d already there") % {
            "copied": folder.copied,
            "present": folder.already_present,
        }
    if folder.skipped or folder.failed:
        line += _(", %(skipped)d skipped, %(failed)d failed") % {
            "skipped": folder.skipped,
            "failed": folder.failed,
        }
    if folder.verification and not folder.verification.ok:
        line += _(", NOT VERIFIED: %(missing)d missing, %(surplus)d surplus") % {
            "missing": len(folder.verification.missing),
            "surplus": len(folder.verification.surplus),
        }
    if reason:
        line += f" ({reason})"
    return line


def _summary(report: CopyReport) -> str:
    lines = []
    if report.dry_run:
        lines.append(_("Dry run: nothing was written."))
        lines.extend(_folder_line(f) for f in report.folders)
    problems = report.problems(Severity.SKIPPED, Severity.FAILED, Severity.NOTE)
    if problems:
        lines.append(_("Messages to look at:"))
        for folder, p in problems:
            lines.append(
                "  "
                + _("%(folder)s: %(problem)s: %(subject)s (%(date)s): %(detail)s")
                % {
                    "folder": folder.source,
                    "problem": PROBLEM_LABELS.get(p.kind.value, p.kind.value),
                    "subject": repr(p.subject) if p.subject else _("(no subject)"),
                    "date": p.date or _("date unknown"),
                    "detail": recorded(p.detail),
                }
            )
    lines.extend(_("warning: %(warning)s") % {"warning": recorded(w)} for w in report.warnings)
    if report.verified:
        verdict = pgettext("the copy's outcome", "verified")
    elif report.stopped:
        verdict = pgettext("the copy's outcome", "stopped before the end")
    elif not report.dry_run:
        verdict = pgettext("the copy's outcome", "not verified")
    else:
        verdict = pgettext("the copy's outcome", "planned")
    lines.append(
        ngettext(
            "Copied %(messages)d message (%(size)s) in %(seconds)s s; %(verdict)s.",
            "Copied %(messages)d messages (%(size)s) in %(seconds)s s; %(verdict)s.",
            report.messages_copied,
        )
        % {
            "messages": report.messages_copied,
            "size": _megabytes(report.bytes_copied),
            "seconds": _number(report.seconds, 1),
            "verdict": verdict,
        }
    )
    return "\n".join(lines)


def _megabytes(size: int) -> str:
    return f"{_number(size / 1e6, 1)} MB"


def _number(value: float, places: int | None = None) -> str:
    """A number as the language writes it ("2.5" or "2,5"); whole seconds without places."""
    if places is None:
        places = 0 if float(value).is_integer() else 1
    return formats.number_format(value, places)
