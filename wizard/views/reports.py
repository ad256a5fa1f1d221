"""The copy's results for admins and the helpdesk: CSV and JSON exports of per-user and
per-folder results, streamed, and a printable final report of the whole migration, which can
be downloaded as one self-contained HTML file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.contrib.staticfiles import finders
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation

from wizard import copy_status, procedure, results
from wizard.models import Migration
from wizard.recorded import recorded
from wizard.roles import staff_required
from wizard.steps import STEPS


@staff_required
def users_csv(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    rows = (
        {**row, "last_error": recorded(row["last_error"])}
        for row in results.user_results(migration)
    )
    return _csv(rows, results.USER_FIELDS, migration, "users")


@staff_required
def users_json(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    return _json(results.user_results(migration), migration, "users")


@staff_required
def folders_csv(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    rows = (
        {
            **row,
            "left_out": recorded(row["left_out"]),
            "problems": "; ".join(
                results.problem_text({**p, "detail": recorded(p.get("detail", ""))})
                for p in row["problems"]
            ),
        }
        for row in results.folder_results(migration)
    )
    return _csv(rows, results.FOLDER_FIELDS, migration, "folders")


@staff_required
def folders_json(request, migration_id: int):
    migration = get_object_or_404(Migration, pk=migration_id)
    return _json(results.folder_results(migration), migration, "folders")


@staff_required
def final_report(request, migration_id: int):
    """What was done, when and by whom, and every user's result. `?download` gives the same
    report as a file that carries its stylesheet, to keep with the migration's papers."""
    migration = get_object_or_404(Migration.objects.select_related("created_by"), pk=migration_id)
    now = timezone.now()
    states = procedure.step_states(migration)
    context = {
        "migration": migration,
        "now": now,
        "steps": [(step, states[step.key]) for step in STEPS],
        "confirmations": _confirmations(migration),
        "totals": copy_status.totals_of(migration, now),
        "rows": copy_status.rows_of(
            copy_status.user_rows(migration, sort="name").iterator(chunk_size=1000), now
        ),
        "audit": migration.audit.filter(subject="").order_by("at", "id"),
        "downloading": "download" in request.GET,
    }
    if not context["downloading"]:
        return render(request, "dashboard/final_report.html", context)
    with open(finders.find("css/app.css"), encoding="utf-8") as stylesheet:
        context["stylesheet"] = stylesheet.read()
    response = render(request, "dashboard/final_report_file.html", context)
    response["Content-Disposition"] = _attachment(migration, "final-report", "html", now)
    return response


def _confirmations(migration: Migration) -> list[tuple[str, object]]:
    """(what was confirmed, the Confirmation) in the procedure's order."""
    confirmed = {c.key: c for c in migration.confirmations.all()}
    return [
        (text, confirmed[key])
        for step in STEPS
        for key, text in step.confirmations
        if key in confirmed
    ]


class _Line:
    """A file-like object for csv.writer that hands back each line instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _csv(rows: Iterable[dict], fields: tuple[str, ...], migration: Migration, what: str):
    writer = csv.writer(_Line(), lineterminator="\r\n")
    headings = [str(results.HEADINGS[name]) for name in fields]
    language = translation.get_language()

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(headings)  # the BOM makes spreadsheets read UTF-8
        # Streamed after the view has returned: the problems' reasons in the page's language.
        with translation.override(language):
            for row in rows:
                yield writer.writerow([_cell(row[name]) for name in fields])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(migration, what, "csv")
    return response


def _cell(value) -> object:
    """None as an empty cell; text that a spreadsheet would run as a formula is defused (names
    and subjects come from outside)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _json(rows: Iterable[dict], migration: Migration, what: str):
    head = json.dumps({
        "migration": {"id": migration.pk, "name": migration.name},
        "generated_at": timezone.now().isoformat(),
    })

    language = translation.get_language()

    def chunks() -> Iterator[str]:
        yield head[:-1] + f', "{what}": ['
        with translation.override(language):
            for index, row in enumerate(rows):
                yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = _attachment(migration, what, "json")
    return response


def _attachment(migration: Migration, what: str, extension: str, at=None) -> str:
    stamp = timezone.localtime(at or timezone.now()).strftime("%Y%m%d-%H%M")
    return f'attachment; filename="migration-{migration.pk}-{what}-{stamp}.{extension}"'
