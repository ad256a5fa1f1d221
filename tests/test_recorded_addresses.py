"""The converter of internal addresses in both languages: the engine says why an address stayed
and why a file cannot be read in English (so the report and the JSON stay English), and the
German page and `convertaddresses` in a German installation say the same in German, with the
addresses, names and file names as they were."""

from __future__ import annotations

import html
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from migrator.address_conversion import convert_file
from migrator.address_report import UnreadableFile
from migrator.internal_addresses import build_address_map
from tests.test_addresses_page import snapshot_of
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import Migration
from wizard.recorded import recorded

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
DIRECTORY = json.loads((FIXTURES / "directory.json").read_text("utf-8"))
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
LETTER = b"This is a letter, not a card.\r\n"
TASKS = "outlook-aufgaben.ics"
SVC_SCAN = "line 22, ORGANIZER of the task “Scanner-Ablage aufräumen”"


def unresolved_in(name: str):
    data = (FIXTURES / name).read_bytes()
    return convert_file(name, data, build_address_map(DIRECTORY)).report.unresolved


def test_the_engine_says_in_english_why_an_address_stayed_and_recorded_says_it_in_german():
    [unknown, without_smtp] = unresolved_in(TASKS)

    assert (without_smtp.where, without_smtp.reason) == (
        SVC_SCAN,
        "the user “svc-scan” has no SMTP address",
    )
    assert unknown.reason.startswith("not in the directory")
    with translation.override("de"):
        assert recorded(without_smtp.where) == (
            "Zeile 22, ORGANIZER der Aufgabe „Scanner-Ablage aufräumen“"
        )
        assert recorded(without_smtp.reason) == "der Benutzer „svc-scan“ hat keine SMTP-Adresse"
        assert recorded(unknown.reason) == (
            "nicht im Verzeichnis: Der Empfänger wurde vielleicht gelöscht oder vom "
            "Verzeichnisimport nicht erfasst"
        )
        assert recorded(without_smtp.address) == without_smtp.address


def test_where_an_address_sits_is_said_in_german_for_cards_lists_and_alarms():
    calendar = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Review of Q3\r\nBEGIN:VALARM\r\n"
        b"ATTENDEE:mailto:/o=Corp/cn=gone\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [alarm] = convert_file("review.ics", calendar, build_address_map(DIRECTORY)).report.unresolved
    [card] = unresolved_in("outlook-3.0-kollegen.vcf")
    [row] = unresolved_in("outlook-kontakte-de.csv")

    assert alarm.where == "line 5, ATTENDEE of an alarm of the event “Review of Q3”"
    with translation.override("de"):
        assert recorded(alarm.where) == (
            "Zeile 5, ATTENDEE einer Erinnerung des Termins „Review of Q3“"
        )
        assert recorded(card.where) == "Zeile 23, EMAIL der Visitenkarte „Thomas Bauer“"
        assert recorded(row.where) == "Zeile 4, „E-Mail-Adresse“ von „Thomas Bauer“"


def test_a_broken_files_error_is_english_from_the_engine_and_german_through_recorded():
    with pytest.raises(UnreadableFile) as raised:
        convert_file("letter.vcf", LETTER, build_address_map(DIRECTORY))

    error = str(raised.value)
    assert error == (
        "this is no readable vCard file: line 1 is no content line (NAME;PARAMS:value): "
        "'This is a letter, not a card.'"
    )
    with translation.override("de"):
        assert recorded(error) == (
            "dies ist keine lesbare vCard-Datei: Zeile 1 ist keine Inhaltszeile "
            "(NAME;PARAMS:value): 'This is a letter, not a card.'"
        )


# --- the German conversion page ---------------------------------------------------------------


@pytest.fixture
def migration(db, admin_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, snapshot_of(DIRECTORY))
    return migration


def convert_in_german(client, migration, *files: tuple[str, bytes]):
    uploads = [SimpleUploadedFile(name, data) for name, data in files]
    response = client.post(
        reverse("address_convert", args=[migration.pk]), {"files": uploads}, follow=True, **GERMAN
    )
    assert response.status_code == 200
    return response, html.unescape(response.content.decode())


def test_the_german_page_says_why_an_address_stayed_and_keeps_the_address(
    migration, helpdesk_client
):
    response, page = convert_in_german(
        helpdesk_client, migration, (TASKS, (FIXTURES / TASKS).read_bytes())
    )

    [_, without_smtp] = unresolved_in(TASKS)
    assert (
        "<td>Zeile 22, ORGANIZER der Aufgabe „Scanner-Ablage aufräumen“</td>"
        f"<td><code>{without_smtp.address}</code></td>"
        "<td>der Benutzer „svc-scan“ hat keine SMTP-Adresse</td>"
    ) in page
    assert "Zeile 6, ATTENDEE der Aufgabe „Angebot für Müller & Söhne prüfen“, Parameter CN" in page
    assert "has no SMTP address" not in page and "of the task" not in page
    report = helpdesk_client.get(
        reverse("address_download", args=[migration.pk, response.context["token"]]),
        {"name": "report.json"},
    ).json()
    assert (
        report["files"][0]["unresolved"][1]["reason"] == "the user “svc-scan” has no SMTP address"
    )


def test_the_german_page_says_why_a_file_could_not_be_read(migration, admin_client):
    tasks = (TASKS, (FIXTURES / TASKS).read_bytes())
    response, page = convert_in_german(
        admin_client, migration, ("letter.vcf", LETTER), ("notes.txt", b"hello"), tasks, tasks
    )

    assert (
        "letter.vcf: dies ist keine lesbare vCard-Datei: Zeile 1 ist keine Inhaltszeile "
        "(NAME;PARAMS:value): 'This is a letter, not a card.'"
    ) in page
    assert "notes.txt: nur .vcf-, .ics- und .csv-Dateien lassen sich umwandeln" in page
    assert (
        f"{TASKS}: eine andere Datei heißt ebenfalls {TASKS}; diese wurde nicht umgewandelt"
    ) in page
    assert "no readable" not in page and "can be converted" not in page
    errors = [f.get("error") for f in response.context["files"]]
    assert errors[1:] == [
        "only .vcf, .ics and .csv files can be converted",
        None,
        f"another file is named {TASKS} too; it was not converted",
    ]


# --- convertaddresses in a German installation --------------------------------------------------


def test_convertaddresses_tells_a_german_admin_in_german_and_reports_in_english(tmp_path):
    broken = tmp_path / "broken.vcf"
    broken.write_bytes(LETTER)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "convertaddresses",
            "--directory",
            str(FIXTURES / "directory.json"),
            str(FIXTURES / "outlook-2.1-team.vcf"),
            str(FIXTURES / TASKS),
            str(broken),
            "--output-dir",
            str(tmp_path / "out"),
            "--report",
            str(tmp_path / "report.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEFAULT_LANGUAGE": "de"},
    )

    assert result.returncode == 2, result.stderr
    [_, without_smtp] = unresolved_in(TASKS)
    assert result.stdout.splitlines() == [
        "outlook-2.1-team.vcf: 2 ersetzt, 0 nicht aufgelöst",
        "  Zeile 16, EMAIL der Visitenkarte „Anna Schmidt“: anna.schmidt@corp.example (ohne die "
        "Endung von Exchange zugeordnet: bitte prüfen)",
        "outlook-aufgaben.ics: 3 ersetzt, 2 nicht aufgelöst",
        "  Zeile 19, ATTENDEE der Aufgabe „Scanner-Ablage aufräumen“: "
        + unresolved_in(TASKS)[0].address
        + ": nicht im Verzeichnis: Der Empfänger wurde vielleicht gelöscht oder vom "
        "Verzeichnisimport nicht erfasst",
        "  Zeile 22, ORGANIZER der Aufgabe „Scanner-Ablage aufräumen“: "
        f"{without_smtp.address}: der Benutzer „svc-scan“ hat keine SMTP-Adresse",
    ]
    assert result.stderr == (
        f"convertaddresses: {broken}: dies ist keine lesbare vCard-Datei: Zeile 1 ist keine "
        "Inhaltszeile (NAME;PARAMS:value): 'This is a letter, not a card.'\n"
    )
    files = json.loads((tmp_path / "report.json").read_text("utf-8"))["files"]
    assert files[1]["unresolved"][1]["where"] == SVC_SCAN
    assert files[1]["unresolved"][1]["reason"] == "the user “svc-scan” has no SMTP address"
    assert files[2]["error"].startswith("this is no readable vCard file: line 1 is no content")


def convertaddresses_in_german(*args) -> tuple[int, str]:
    err = io.StringIO()
    try:
        with translation.override("de"):
            call_command("convertaddresses", *map(str, args), stdout=io.StringIO(), stderr=err)
    except SystemExit as e:
        return int(e.code or 0), err.getvalue()
    return 0, err.getvalue()


def test_convertaddresses_says_in_german_what_is_wrong_with_the_directory(db, tmp_path):
    (tmp_path / "shape.json").write_text('{"users": [5]}')
    (tmp_path / "broken.json").write_text("users:")
    inputs = (FIXTURES / TASKS, "--output-dir", tmp_path / "out")

    assert convertaddresses_in_german("--directory", tmp_path / "shape.json", *inputs) == (
        2,
        "convertaddresses: Eintrag 1 von „users“ im Verzeichnis ist kein Objekt\n",
    )
    status, err = convertaddresses_in_german("--directory", tmp_path / "broken.json", *inputs)
    assert status == 2
    assert err.startswith(f"convertaddresses: {tmp_path / 'broken.json'} ist kein JSON: ")
    assert convertaddresses_in_german(*inputs) == (
        2,
        "convertaddresses: keine Migration in der Datenbank; geben Sie stattdessen "
        "--directory FILE an\n",
    )
