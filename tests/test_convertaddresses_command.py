"""`manage.py convertaddresses`: its arguments, its report and its exit codes are an interface."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.directory_data import LEGACY, sample_snapshot
from wizard import actions
from wizard.directory_store import store_snapshot
from wizard.models import MailboxUser, Migration

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
DIRECTORY = FIXTURES / "directory.json"
EXPORTS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".vcf", ".ics", ".csv"))


def convertaddresses(*args: str | Path) -> tuple[int, str, str]:
    """Run the command in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("convertaddresses", *map(str, args), stdout=out, stderr=err)
        status = 0
    except SystemExit as e:
        status = int(e.code or 0)
    return status, out.getvalue(), err.getvalue()


def test_it_converts_every_input_into_the_output_directory_and_reports_as_json(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "convertaddresses", "--directory", str(DIRECTORY),
         *[str(FIXTURES / name) for name in EXPORTS],
         "--output-dir", str(tmp_path / "out"), "--report", str(tmp_path / "report.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 1, result.stderr  # Thomas Bauer is in several files
    assert result.stderr == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == EXPORTS
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert [(f["name"], f["replaced"], len(f["unresolved"])) for f in report["files"]] == [
        ("outlook-2.1-joerg-mueller.vcf", 2, 0),
        ("outlook-2.1-team.vcf", 2, 0),
        ("outlook-3.0-kollegen.vcf", 4, 1),
        ("outlook-aufgaben.ics", 3, 2),
        ("outlook-besprechung.ics", 5, 1),
        ("outlook-contacts-en.csv", 2, 0),
        ("outlook-kontakte-de.csv", 3, 1),
    ]
    assert report["files"][2]["unresolved"][0]["where"] == (
        "line 23, EMAIL of the card “Thomas Bauer”"
    )
    assert "outlook-2.1-team.vcf: 2 replaced, 0 unresolved" in result.stdout
    assert "matched without Exchange's suffix: please check" in result.stdout


def test_it_exits_0_when_every_address_was_resolved(tmp_path):
    status, out, err = convertaddresses(
        "--directory", DIRECTORY, FIXTURES / "outlook-2.1-joerg-mueller.vcf",
        "--output-dir", tmp_path,
    )
    assert (status, err) == (0, "")
    assert out == "outlook-2.1-joerg-mueller.vcf: 2 replaced, 0 unresolved\n"
    converted = (tmp_path / "outlook-2.1-joerg-mueller.vcf").read_bytes()
    assert b"EMAIL;PREF;INTERNET:joerg.mueller@corp.example\r\n" in converted


def test_an_unreadable_input_is_one_line_on_stderr_exit_2_and_the_others_are_converted(tmp_path):
    broken = tmp_path / "in" / "broken.vcf"
    broken.parent.mkdir()
    broken.write_bytes(b"This is a letter, not a card.\r\n")

    status, _, err = convertaddresses(
        "--directory", DIRECTORY, broken, FIXTURES / "outlook-2.1-joerg-mueller.vcf",
        tmp_path / "in" / "missing.ics", "--output-dir", tmp_path / "out",
        "--report", tmp_path / "report.json",
    )

    assert status == 2
    assert err.splitlines() == [
        f"convertaddresses: {broken}: this is no readable vCard file: line 1 is no content "
        "line (NAME;PARAMS:value): 'This is a letter, not a card.'",
        f"convertaddresses: {tmp_path / 'in' / 'missing.ics'}: cannot be read (No such file or "
        "directory)",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "outlook-2.1-joerg-mueller.vcf"
    ]
    files = json.loads((tmp_path / "report.json").read_text("utf-8"))["files"]
    assert files[0]["name"] == "broken.vcf"
    assert files[0]["error"].startswith("this is no readable vCard file")
    assert files[1]["replaced"] == 2


def test_exact_only_leaves_a_dn_without_exchanges_suffix_unresolved(tmp_path):
    status, out, _ = convertaddresses(
        "--directory", DIRECTORY, FIXTURES / "outlook-2.1-team.vcf", "--output-dir", tmp_path,
        "--exact-only",
    )
    assert status == 1
    assert "outlook-2.1-team.vcf: 1 replaced, 1 unresolved" in out
    assert "line 16, EMAIL of the card “Anna Schmidt”" in out


def test_it_never_writes_over_its_input(tmp_path):
    source = tmp_path / "kollegen.vcf"
    shutil.copy(FIXTURES / "outlook-3.0-kollegen.vcf", source)
    status, _, err = convertaddresses("--directory", DIRECTORY, source, "--output-dir", tmp_path)
    assert status == 2
    assert "the output directory is where the input is" in err
    assert source.read_bytes() == (FIXTURES / "outlook-3.0-kollegen.vcf").read_bytes()


def test_two_inputs_of_the_same_name_are_not_written_over_each_other(tmp_path):
    other = tmp_path / "other" / "outlook-2.1-team.vcf"
    other.parent.mkdir()
    other.write_bytes(b"BEGIN:VCARD\r\nEND:VCARD\r\n")
    status, _, err = convertaddresses(
        "--directory", DIRECTORY, FIXTURES / "outlook-2.1-team.vcf", other,
        "--output-dir", tmp_path / "out",
    )
    assert status == 2
    assert "another input is named outlook-2.1-team.vcf too" in err
    assert (tmp_path / "out" / "outlook-2.1-team.vcf").read_bytes() != other.read_bytes()


def test_a_directory_file_that_is_not_the_import_json_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "d.json").write_text('{"accounts": []}')
    (tmp_path / "e.json").write_text("users:")
    for name, message in (("d.json", "is not what “importdirectory --json” prints"),
                          ("e.json", "is not JSON")):
        status, _, err = convertaddresses(
            "--directory", tmp_path / name, FIXTURES / "outlook-aufgaben.ics",
            "--output-dir", tmp_path / "out",
        )
        assert status == 2
        assert len(err.splitlines()) == 1
        assert message in err


# --- the directory imported in the wizard ------------------------------------------------------

MEETING = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Sales\r\n"
    b"ORGANIZER:MAILTO:IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT"
    b"+29_cn=Recipients_cn=jdoe@corp.example\r\n"
    b"ATTENDEE:mailto:/o=Corp/cn=sales\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def imported(db, admin_user):
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, sample_snapshot())
    return migration


@pytest.fixture
def meeting(tmp_path) -> Path:
    path = tmp_path / "meeting.ics"
    path.write_bytes(MEETING)
    return path


def test_without_directory_file_it_uses_the_imported_directory(imported, meeting, tmp_path):
    status, out, err = convertaddresses(meeting, "--output-dir", tmp_path / "out")
    assert (status, err) == (0, "")
    assert "meeting.ics: 2 replaced, 0 unresolved" in out
    converted = (tmp_path / "out" / "meeting.ics").read_bytes()
    assert converted == MEETING.replace(
        b"IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_cn=Recip"
        b"ients_cn=jdoe@corp.example", b"jdoe@corp.example"
    ).replace(b"/o=Corp/cn=sales", b"sales@corp.example")


def test_the_admins_edited_primary_address_is_the_one_written(imported, meeting, tmp_path,
                                                              admin_user):
    jdoe = MailboxUser.objects.get(migration=imported, sam="jdoe")
    assert jdoe.x500 == [f"{LEGACY}/cn=jdoe"]
    actions.edit_mailbox_user(jdoe, {"primary_address": "john.doe@corp.example"}, admin_user)
    convertaddresses(meeting, "--output-dir", tmp_path / "out", "--migration", imported.pk)
    assert b"ORGANIZER:MAILTO:john.doe@corp.example\r\n" in (
        (tmp_path / "out" / "meeting.ics").read_bytes()
    )


def test_without_an_imported_directory_it_says_so_and_exits_2(db, meeting, tmp_path):
    status, _, err = convertaddresses(meeting, "--output-dir", tmp_path / "out")
    assert status == 2
    assert err == ("convertaddresses: no migration in the database; give --directory FILE "
                   "instead\n")


def test_a_migration_without_a_directory_import_is_named(imported, meeting, tmp_path, admin_user):
    empty = actions.create_migration("Empty", Migration.Mode.OFFLINE, admin_user)
    status, _, err = convertaddresses(meeting, "--output-dir", tmp_path, "--migration", empty.pk)
    assert status == 2
    assert "the migration “Empty” has no imported directory" in err
    status, _, err = convertaddresses(meeting, "--output-dir", tmp_path, "--migration", 9999)
    assert (status, err) == (2, "convertaddresses: no migration 9999 in the database; give "
                                "--directory FILE instead\n")
