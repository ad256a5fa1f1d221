"""Per-user and per-folder results of a migration's copy as plain records, for the CSV and JSON
exports and the final report. Read in chunks, so that 5,000 users with their folders do not
have to fit in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wizard.copy_status import rows_of, user_rows
from wizard.models import CopyRun, FolderResult, Migration

CHUNK = 1000

USER_FIELDS = (
    "account",
    "name",
    "address",
    "state",
    "messages_total",
    "messages_done",
    "bytes_total",
    "bytes_done",
    "skipped",
    "failed",
    "retries",
    "runs",
    "verified",
    "started_at",
    "finished_at",
    "last_error",
    "checklist_ticked",
    "checklist_total",
)

FOLDER_FIELDS = (
    "account",
    "source",
    "target",
    "left_out",
    "source_messages",
    "copied",
    "already_present",
    "skipped",
    "failed",
    "verified",
    "problems",
)

# The CSV files' headings: the fields' names in English (which tools may rely on), the words
# of the page's language otherwise.
HEADINGS = {
    "account": pgettext_lazy("CSV heading", "account"),
    "name": pgettext_lazy("CSV heading", "name"),
    "address": pgettext_lazy("CSV heading", "address"),
    "state": pgettext_lazy("CSV heading", "state"),
    "messages_total": pgettext_lazy("CSV heading", "messages_total"),
    "messages_done": pgettext_lazy("CSV heading", "messages_done"),
    "bytes_total": pgettext_lazy("CSV heading", "bytes_total"),
    "bytes_done": pgettext_lazy("CSV heading", "bytes_done"),
    "skipped": pgettext_lazy("CSV heading", "skipped"),
    "failed": pgettext_lazy("CSV heading", "failed"),
    "retries": pgettext_lazy("CSV heading", "retries"),
    "runs": pgettext_lazy("CSV heading", "runs"),
    "verified": pgettext_lazy("CSV heading", "verified"),
    "started_at": pgettext_lazy("CSV heading", "started_at"),
    "finished_at": pgettext_lazy("CSV heading", "finished_at"),
    "last_error": pgettext_lazy("CSV heading", "last_error"),
    "checklist_ticked": pgettext_lazy("CSV heading", "checklist_ticked"),
    "checklist_total": pgettext_lazy("CSV heading", "checklist_total"),
    "source": pgettext_lazy("CSV heading", "source"),
    "target": pgettext_lazy("CSV heading", "target"),
    "left_out": pgettext_lazy("CSV heading", "left_out"),
    "source_messages": pgettext_lazy("CSV heading", "source_messages"),
    "copied": pgettext_lazy("CSV heading", "copied"),
    "already_present": pgettext_lazy("CSV heading", "already_present"),
    "problems": pgettext_lazy("CSV heading", "problems"),
}

# What a problem's kind means, for people (the engine's ProblemKind values, and its folder
# statuses for a folder that failed as a whole).
PROBLEM_LABELS = {
    "deleted": _("marked deleted on Exchange"),
    "too_large": _("too large"),
    "conversion_stub": _("Exchange could not convert it"),
    "rejected": _("rejected by the server"),
    "fetch_failed": _("could not be read from Exchange"),
    "vanished": _("deleted on Exchange during the copy"),
    "invalid_content": _("invalid bytes in the header"),
    "rewritten": _("changed by the server"),
    "repaired": _("repaired"),
    "flags_dropped": _("flags the server does not keep"),
    "deleted_on_source": _("deleted on Exchange since the pre-stage, still here"),
    "removed_from_target": _("deleted on Exchange, removed here too"),
    "failed": _("the folder failed"),
    "stopped": _("the copy was stopped"),
    "excluded": _("excluded folder"),
    "gone_from_source": _("folder renamed or deleted on Exchange"),
    "copied": _("note"),
    "planned": _("note"),
}


def user_results(migration: Migration) -> Iterator[dict]:
    """One record per selected user, sorted by account name."""
    runs = (
        CopyRun.objects.filter(mailbox_user=OuterRef("pk"))
        .order_by()
        .values("mailbox_user")
        .annotate(n=Count("id"))
        .values("n")
    )
    users = user_rows(migration, sort="name").annotate(
        runs=Coalesce(Subquery(runs, output_field=IntegerField()), 0)
    )
    now = timezone.now()
    for row in rows_of(users.iterator(chunk_size=CHUNK), now):
        copy = row.copy
        yield {
            "account": row.user.sam,
            "name": row.user.display_name,
            "address": row.user.primary_address,
            "state": row.state,
            "messages_total": row.messages_total,
            "messages_done": row.messages_done,
            "bytes_total": row.bytes_total,
            "bytes_done": row.bytes_done,
            "skipped": copy.skipped if copy else 0,
            "failed": copy.failed if copy else 0,
            "retries": copy.retries if copy else 0,
            "runs": row.user.runs,
            "verified": copy.verified if copy else None,
            "started_at": _iso(copy.started_at if copy else None),
            "finished_at": _iso(copy.finished_at if copy else None),
            "last_error": copy.last_error if copy else "",
            "checklist_ticked": row.checklist_ticked,
            "checklist_total": row.checklist_total,
        }


def folder_results(migration: Migration) -> Iterator[dict]:
    """One record per folder of every selected user, by account name and folder order."""
    folders = (
        FolderResult.objects.filter(mailbox_user__migration=migration, mailbox_user__selected=True)
        .select_related("mailbox_user")
        .order_by("mailbox_user__sam", "mailbox_user_id", "id")
    )
    for folder in folders.iterator(chunk_size=CHUNK):
        yield {
            "account": folder.mailbox_user.sam,
            "source": folder.source_name,
            "target": folder.target_name,
            "left_out": folder.left_out,
            "source_messages": folder.source_messages,
            "copied": folder.copied,
            "already_present": folder.already_present,
            "skipped": folder.skipped,
            "failed": folder.failed,
            "verified": folder.verified,
            "problems": [with_reason(p) for p in folder.problems],
        }


def with_reason(problem: dict) -> dict:
    """The engine's problem with a `reason` a person can read."""
    kind = problem.get("kind", "")
    return {**problem, "reason": str(PROBLEM_LABELS.get(kind, kind.replace("_", " ")))}


def problem_text(problem: dict) -> str:
    """One problem in a line: reason, the message it concerns, the server's words."""
    parts = [problem.get("reason") or str(PROBLEM_LABELS.get(problem.get("kind", ""), ""))]
    if problem.get("subject"):
        parts.append(f"“{problem['subject']}”")
    if problem.get("detail"):
        parts.append(str(problem["detail"]))
    return ": ".join(part for part in parts if part)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
