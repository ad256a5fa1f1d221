"""What a mailbox copy did: per folder counts, every message that was not copied and why, the
verification, and the command line's JSON shape of it all."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from migrator.text import say


class Severity(StrEnum):
    """How a problem counts: `excluded` by a rule (no failure), `skipped` although it should
    have been copied, `failed`, or a `note` about a message that was copied."""

    EXCLUDED = "excluded"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOTE = "note"


class ProblemKind(StrEnum):
    DELETED = "deleted"  # flagged \Deleted on the source
    TOO_LARGE = "too_large"
    CONVERSION_STUB = "conversion_stub"  # Exchange could not convert the message
    REJECTED = "rejected"  # the target answered NO
    FETCH_FAILED = "fetch_failed"
    VANISHED = "vanished"  # expunged on the source while the copy ran
    INVALID_CONTENT = "invalid_content"  # 8-bit header bytes or NULs the target may not take
    REWRITTEN = "rewritten"  # the target changed the message's bytes
    REPAIRED = "repaired"  # changed on purpose (--repair)
    FLAGS_DROPPED = "flags_dropped"  # keywords the target's PERMANENTFLAGS refuse
    # Deleted on the source since an earlier copy (migrator.reconcile), kept on the target or
    # removed from it as asked.
    DELETED_ON_SOURCE = "deleted_on_source"
    REMOVED = "removed_from_target"


SEVERITY = {
    ProblemKind.DELETED: Severity.EXCLUDED,
    ProblemKind.VANISHED: Severity.EXCLUDED,
    ProblemKind.TOO_LARGE: Severity.SKIPPED,
    ProblemKind.CONVERSION_STUB: Severity.FAILED,
    ProblemKind.REJECTED: Severity.FAILED,
    ProblemKind.FETCH_FAILED: Severity.FAILED,
    ProblemKind.INVALID_CONTENT: Severity.NOTE,
    ProblemKind.REWRITTEN: Severity.NOTE,
    ProblemKind.REPAIRED: Severity.NOTE,
    ProblemKind.FLAGS_DROPPED: Severity.NOTE,
    ProblemKind.DELETED_ON_SOURCE: Severity.NOTE,
    ProblemKind.REMOVED: Severity.NOTE,
}


@dataclass(frozen=True)
class MessageProblem:
    """One message that was not copied as it is, named so that a person can find it."""

    kind: ProblemKind
    detail: str
    uid: int | None = None
    subject: str = ""
    date: str = ""  # the internal date, ISO 8601
    size: int | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "uid": self.uid,
            "subject": self.subject,
            "date": self.date,
            "size": self.size,
            "detail": self.detail,
        }


class FolderStatus(StrEnum):
    COPIED = "copied"
    PLANNED = "planned"  # --dry-run
    EXCLUDED = "excluded"  # left out by rule: non-mail folder, exclusion, shared namespace
    FAILED = "failed"
    STOPPED = "stopped"  # a cancel request came first
    # A target folder an earlier copy made, whose source folder the user renamed or deleted
    # since (migrator.reconcile): emptied into the folders its messages are in now, and
    # removed or kept.
    GONE = "gone_from_source"


@dataclass(frozen=True)
class Verification:
    """Source against target after the copy, by message identity and internal date.

    `missing`: expected on the target and not there; `surplus`: on the target more often than
    on the source; `foreign`: on the target with no counterpart on the source (mail that arrived
    there directly, or was deleted on the source)."""

    missing: tuple[str, ...] = ()
    surplus: tuple[str, ...] = ()
    foreign: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.surplus


@dataclass(frozen=True)
class FolderResult:
    source: str
    target: str | None
    status: FolderStatus
    reason: str = ""  # why excluded, failed or renamed
    source_messages: int = 0
    source_bytes: int = 0
    copied: int = 0
    already_present: int = 0
    to_copy: int = 0  # what a dry run would copy
    flags_updated: int = 0
    bytes_copied: int = 0
    problems: tuple[MessageProblem, ...] = ()
    verification: Verification | None = None
    moved: int = 0  # moved here on the target, as the user had moved them on the source

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    @property
    def skipped(self) -> int:
        """Not copied on purpose: excluded by rule (\\Deleted) or too large."""
        return self.count(Severity.EXCLUDED) + self.count(Severity.SKIPPED)

    @property
    def failed(self) -> int:
        return self.count(Severity.FAILED)

    @property
    def complete(self) -> bool:
        """Everything that should be on the target is, as far as this folder goes."""
        if self.status in (FolderStatus.FAILED, FolderStatus.STOPPED):
            return False
        if self.count(Severity.SKIPPED) or self.failed:
            return False
        return self.verification is None or self.verification.ok

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "status": self.status.value,
            "reason": self.reason,
            "source_messages": self.source_messages,
            "source_bytes": self.source_bytes,
            "copied": self.copied,
            "already_present": self.already_present,
            "skipped": self.skipped,
            "failed": self.failed,
            "flags_updated": self.flags_updated,
            "moved": self.moved,
            "bytes_copied": self.bytes_copied,
            "problems": [p.to_json() for p in self.problems],
        }
        if self.status == FolderStatus.PLANNED:
            data["to_copy"] = self.to_copy
        if self.verification is not None:
            data["verification"] = {
                "missing": list(self.verification.missing),
                "surplus": list(self.verification.surplus),
                "foreign": self.verification.foreign,
            }
        return data


@dataclass(frozen=True)
class CopyReport:
    folders: tuple[FolderResult, ...]
    seconds: float
    dry_run: bool = False
    stopped: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def messages_copied(self) -> int:
        return sum(f.copied for f in self.folders)

    @property
    def bytes_copied(self) -> int:
        return sum(f.bytes_copied for f in self.folders)

    @property
    def verified(self) -> bool:
        """Every folder that was copied was compared with its source and matched."""
        if self.dry_run or self.stopped:
            return False
        copied = [
            f for f in self.folders if f.status not in (FolderStatus.EXCLUDED, FolderStatus.GONE)
        ]
        return all(f.verification is not None and f.verification.ok for f in copied)

    @property
    def complete(self) -> bool:
        """Exit status 0: everything copied and verified; rule-based exclusions don't count."""
        return self.verified and all(f.complete for f in self.folders)

    def summary(self) -> str:
        """A few sentences for a log, a task result or the dashboard."""
        failed = sum(f.failed for f in self.folders)
        skipped = sum(f.count(Severity.SKIPPED) for f in self.folders)
        broken = [f.source for f in self.folders if f.status == FolderStatus.FAILED]
        amounts = {
            "messages": self.messages_copied,
            "size": f"{self.bytes_copied / 1e6:.1f}",
            "seconds": f"{self.seconds:.1f}",
        }
        if self.dry_run:
            sentences = [say("Messages planned: {messages} ({size} MB) in {seconds} s.", **amounts)]
        else:
            sentences = [say("Messages copied: {messages} ({size} MB) in {seconds} s.", **amounts)]
        if skipped or failed:
            sentences.append(
                say("Skipped: {skipped}, failed: {failed}.", skipped=skipped, failed=failed)
            )
        if broken:
            sentences.append(say("Folders that failed: {folders}.", folders=", ".join(broken)))
        if self.stopped:
            sentences.append(say("Stopped before the end."))
        elif self.verified:
            sentences.append(say("Verified."))
        elif not self.dry_run:
            sentences.append(say("NOT verified."))
        return " ".join(sentences)

    def problems(self, *severities: Severity) -> list[tuple[FolderResult, MessageProblem]]:
        return [
            (folder, p)
            for folder in self.folders
            for p in folder.problems
            if not severities or p.severity in severities
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "folders": [f.to_json() for f in self.folders],
            "messages_copied": self.messages_copied,
            "bytes_copied": self.bytes_copied,
            "seconds": round(self.seconds, 3),
            "verified": self.verified,
            "dry_run": self.dry_run,
            "stopped": self.stopped,
            "warnings": list(self.warnings),
        }
