"""The progress sink: a one-method protocol the copy reports to, and the events it receives.

Events carry increments (a batch copied, problems found), so a sink adds them up; they arrive
in batches, never per message, and always on the thread that called the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from migrator.report import FolderResult, MessageProblem


@dataclass(frozen=True)
class FolderFound:
    source: str
    target: str | None
    messages: int | None  # from STATUS; None when the folder is left out or not selectable
    excluded_because: str = ""


@dataclass(frozen=True)
class FoldersFound:
    """The plan: every source folder, where it goes, or why it is left out."""

    folders: tuple[FolderFound, ...]


@dataclass(frozen=True)
class FolderStarted:
    """A folder's inventory is read; `current folder` for a dashboard."""

    source: str
    target: str | None
    messages: int
    bytes: int
    to_copy: int
    already_present: int


@dataclass(frozen=True)
class BatchDone:
    """Messages copied since the last event of this folder, and problems newly found."""

    source: str
    copied: int
    bytes_copied: int
    problems: tuple[MessageProblem, ...] = ()


@dataclass(frozen=True)
class Retrying:
    source: str
    attempt: int
    delay_seconds: float
    reason: str


@dataclass(frozen=True)
class FolderFinished:
    result: FolderResult


ProgressEvent = FoldersFound | FolderStarted | BatchDone | Retrying | FolderFinished


class ProgressSink(Protocol):
    def report(self, event: ProgressEvent) -> None:
        """Take one event; called often, so a slow sink should throttle its own writes."""


class NullProgress:
    def report(self, event: ProgressEvent) -> None:
        pass


class RecordingProgress:
    """Keeps every event, for tests and for callers that look at them afterwards."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []

    def report(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def of_type(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]
