"""The copy's reports: per-user and per-folder results as CSV and JSON, read back as a
spreadsheet or a script would, and the printable final report with who did what and when."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from tests.dashboard_data import person, users_with_progress
from wizard import actions
from wizard.models import Confirmation, FolderResult, MailboxCopy, Migration, StepState

State = MailboxCopy.State
TOO_LARGE = {
    "kind": "too_large", "severity": "skipped", "uid": 7, "subject": "Scan of the contract",
    "date": "2024-01-15T09:30:00+01:00", "size": 1_500_000, "detail": "1.4 MB, the limit is 1 MB",
}


@pytest.fixture
def migration(db):
    migration = Migration.objects.create(name="Corp")
    users_with_progress(migration, 6)
    bruno = migration.mailbox_users.get(sam="user00003")  # needs attention
    FolderResult.objects.create(
        mailbox_user=bruno, source_name="INBOX", target_name="INBOX", source_messages=2,
        copied=1, skipped=1, problems=[TOO_LARGE], verified=True,
    )
    FolderResult.objects.create(
        mailbox_user=bruno, source_name="Calendar", left_out="not a mail folder",
    )
    return migration


def download(client, name: str, migration: Migration):
    response = client.get(reverse(name, args=[migration.pk]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode("utf-8")


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_users_csv_has_a_row_per_user_with_their_results(migration, helpdesk_client):
    response, text = download(helpdesk_client, "report_users_csv", migration)

    rows = read_csv(text)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="migration-' in response["Content-Disposition"]
    assert [row["account"] for row in rows] == [f"user{i:05d}" for i in range(6)]
    failed = rows[2]
    assert failed["state"] == "failed"
    assert failed["last_error"] == "Login refused by Exchange. Check the password."
    copying = rows[1]
    assert (copying["messages_done"], copying["messages_total"]) == ("100", "400")
    assert copying["checklist_ticked"] == "1" and copying["checklist_total"] == "7"
    assert rows[0]["verified"] == "True" and rows[4]["verified"] == ""


def test_the_users_json_says_the_same_in_types_a_script_can_use(migration, admin_client):
    _, text = download(admin_client, "report_users_json", migration)

    data = json.loads(text)
    assert data["migration"] == {"id": migration.pk, "name": "Corp"}
    users = {user["account"]: user for user in data["users"]}
    assert len(users) == 6
    assert users["user00000"]["verified"] is True
    assert users["user00000"]["bytes_done"] == 9_000_000
    assert users["user00003"]["state"] == "needs_attention"
    assert users["user00003"]["runs"] == 1
    assert users["user00004"]["started_at"] is None


def test_a_migration_without_users_exports_an_empty_list(db, admin_client):
    empty = Migration.objects.create(name="Empty")

    _, text = download(admin_client, "report_users_json", empty)

    assert json.loads(text)["users"] == []


def test_the_folders_csv_gives_each_skip_its_reason(migration, admin_client):
    _, text = download(admin_client, "report_folders_csv", migration)

    rows = read_csv(text)
    assert [(row["account"], row["source"]) for row in rows] == [
        ("user00003", "INBOX"), ("user00003", "Calendar")
    ]
    inbox, calendar = rows
    assert (inbox["copied"], inbox["skipped"], inbox["verified"]) == ("1", "1", "True")
    assert inbox["problems"] == (
        "too large: “Scan of the contract”: 1.4 MB, the limit is 1 MB"
    )
    assert calendar["left_out"] == "not a mail folder"


def test_the_folders_json_lists_every_problem_with_a_reason(migration, admin_client):
    _, text = download(admin_client, "report_folders_json", migration)

    folders = json.loads(text)["folders"]
    assert folders[0]["problems"] == [{**TOO_LARGE, "reason": "too large"}]
    assert folders[1]["problems"] == []


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused(migration, admin_client):
    person(migration, "zed", name="=HYPERLINK(\"http://evil.example\")")

    _, text = download(admin_client, "report_users_csv", migration)

    assert read_csv(text)[-1]["name"] == "'=HYPERLINK(\"http://evil.example\")"


def test_the_final_report_says_what_was_done_when_and_by_whom(migration, admin_client, admin_user):
    StepState.objects.create(migration=migration, key="servers", status=StepState.Status.DONE,
                             changed_by="alice-admin")
    Confirmation.objects.create(migration=migration, key="reception_off", confirmed_by="bob")
    actions.pause_copy(migration, admin_user)

    page = admin_client.get(reverse("final_report", args=[migration.pk])).content.decode()

    assert "Final report: Corp" in page
    assert "1. Servers and preflight checks" in page
    assert "Reception of new e-mail on Exchange is switched off." in page
    assert "paused the copy" in page and "alice-admin" in page
    assert "User 00003" in page and "2 messages too large." in page
    assert "Download as a file" in page


def test_the_final_report_downloads_as_one_file_with_its_stylesheet_inside(
    migration, helpdesk_client
):
    response = helpdesk_client.get(reverse("final_report", args=[migration.pk]) + "?download")

    page = response.content.decode()
    assert re.fullmatch(
        r'attachment; filename="migration-\d+-final-report-\d{8}-\d{4}\.html"',
        response["Content-Disposition"],
    )
    assert "<style>:root" in page and "@media print" in page
    assert "/static/" not in page and "<script" not in page
    assert "Final report: Corp" in page and "User 00005" in page
