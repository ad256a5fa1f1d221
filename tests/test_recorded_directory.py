"""The directory's and the CSV uploads' sentences in the reader's language: the engine writes
English against the real Samba AD, the wizard's pages, the preflight check and `importdirectory`
show it in German, and the names inside (accounts, users, waves) stay as they are. The JSON of
`importdirectory` stays English whatever the language: other tools read it."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from migrator.directory import ImportOptions, import_directory, probe_directory
from migrator.directory_session import DirectoryBind, parse_ldap_url
from migrator.errors import LoginRefused
from migrator.preflight import Status, check_directory_bind
from migrator.wave_csv import read_wave_csv
from tests.dashboard_data import person
from tests.test_i18n import GERMAN
from wizard import actions
from wizard.directory_store import finish_import, store_snapshot
from wizard.models import DirectoryImport, Migration
from wizard.recorded import recorded

pytestmark = pytest.mark.django_db

# anna.schmidt is a person, krbtgt is left out as a system account, peter.altmann is disabled.
FEW = "(|(sAMAccountName=anna.schmidt)(sAMAccountName=krbtgt)(sAMAccountName=peter.altmann))"


@pytest.fixture(scope="module")
def ldaps(directory_server):
    return parse_ldap_url(
        directory_server.ldaps_url,
        ca_file=str(directory_server.ca_file),
        tls_name=directory_server.tls_name,
    )


@pytest.fixture(scope="module")
def admin(directory_server):
    return DirectoryBind(directory_server.admin_bind, directory_server.admin_password)


@pytest.fixture(scope="module")
def few(ldaps, admin, directory_server):
    options = ImportOptions(directory_server.base_dn, user_filter=FEW)
    return import_directory(ldaps, admin, options=options)


@pytest.fixture
def migration(admin_user):
    return Migration.objects.create(name="Corp", created_by=admin_user)


def test_a_refused_bind_reads_german_and_the_names_in_it_stay(ldaps):
    with pytest.raises(LoginRefused) as refused:
        probe_directory(ldaps, DirectoryBind("CORP\\Administrator", "wrong"), "DC=corp")
    english = str(refused.value)
    assert english == (
        f"the directory {ldaps} refused the bind as CORP\\Administrator: wrong name or password"
    )
    with translation.override("de"):
        assert recorded(english) == (
            f"das Verzeichnis {ldaps} hat die Anmeldung als CORP\\Administrator abgelehnt: "
            "falscher Name oder falsches Passwort"
        )
    with translation.override("en"):
        assert recorded(english) == english


def test_the_preflight_checks_bind_reads_german(ldaps, admin, directory_server):
    check = check_directory_bind(ldaps, admin, directory_server.base_dn)
    assert check.status == Status.PASS
    assert check.sentence.startswith(f"Bound as {admin.user}")
    assert check.sentence.endswith(f"; the base DN {directory_server.base_dn} exists.")
    with translation.override("de"):
        assert recorded(check.name) == "Verzeichnis: Anmeldung (Bind)"
        german = recorded(check.sentence)
    assert german.startswith(f"Angemeldet als {admin.user}")
    assert german.endswith(f"; der Basis-DN {directory_server.base_dn} existiert.")


def test_the_connection_form_says_in_german_why_the_bind_failed(
    admin_client, migration, directory_server
):
    data = {
        "url": directory_server.ldaps_url,
        "security": "ldaps",
        "tls_name": directory_server.tls_name,
        "verify_tls": "on",
        "ca_certificate": directory_server.ca_file.read_text(),
        "bind_user": "CORP\\Administrator",
        "bind_password": "wrong",
        "base_dn": directory_server.base_dn,
        "search_filter": "",
        "test": "1",
    }
    url = reverse("directory_connection", args=[migration.pk])
    page = admin_client.post(url, data, **GERMAN).content.decode()
    assert "Die Verbindung funktioniert nicht: das Verzeichnis ldaps://" in page
    assert "als CORP\\Administrator abgelehnt: falscher Name oder falsches Passwort." in page
    assert "wrong name" not in page

    tested = admin_client.post(
        url, {**data, "bind_password": directory_server.admin_password}, **GERMAN
    ).content.decode()
    assert "Angemeldet als CORP\\Administrator" in tested


def test_a_left_out_entrys_reason_is_german_on_the_german_directory_page(
    admin_client, migration, few
):
    assert ("krbtgt", "Kerberos service account") in {(e.name, e.reason) for e in few.left_out}
    store_snapshot(migration, few)
    url = reverse("directory", args=[migration.pk])

    german = admin_client.get(url, **GERMAN).content.decode()
    assert "<td>krbtgt</td><td>Benutzer</td><td>Kerberos-Dienstkonto</td>" in german
    assert "eingebaute Windows-Gruppe" in german
    assert "Kerberos service account" not in german
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kerberos service account" in english


def test_the_changes_of_a_reimport_are_listed_in_german(admin_client, migration, few):
    store_snapshot(migration, few)
    anna = next(user for user in few.users if user.sam == "anna.schmidt")
    again = replace(
        few,
        users=tuple(
            replace(user, display_name="Anna S.", disabled=True, aliases=())
            if user is anna
            else user
            for user in few.users
        ),
    )
    changes = store_snapshot(migration, again)
    job = DirectoryImport.objects.create(migration=migration, created_by=migration.created_by)
    finish_import(job.pk, changes=changes)
    texts = {entry["text"] for entry in changes.entries}
    assert f"display name: “{anna.display_name}” → “Anna S.”" in texts
    assert "now disabled in the directory" in texts

    url = reverse("directory_import", args=[migration.pk, job.pk])
    page = admin_client.get(url, **GERMAN).content.decode()
    assert f"Anzeigename: “{anna.display_name}” → “Anna S.”" in page
    assert "jetzt im Verzeichnis deaktiviert" in page
    assert f"Alias-Adressen: {', '.join(anna.aliases)} → (keine)" in page


def test_a_failed_imports_error_is_german_on_its_page(admin_client, migration, ldaps):
    with pytest.raises(LoginRefused) as refused:
        probe_directory(ldaps, DirectoryBind("CORP\\Administrator", "wrong"), "DC=corp")
    job = DirectoryImport.objects.create(migration=migration, created_by=migration.created_by)
    finish_import(job.pk, error=str(refused.value))
    url = reverse("directory_import", args=[migration.pk, job.pk])
    page = admin_client.get(url, **GERMAN).content.decode()
    assert "Der Import ist fehlgeschlagen: das Verzeichnis" in page
    assert "abgelehnt: falscher Name oder falsches Passwort" in page


def test_a_broken_wave_line_is_german_with_its_line_number():
    parsed = read_wave_csv(b"anna,Sales,soon\nSave,Sales,\n", {"anna": "1"})
    first, second = (str(problem) for problem in parsed.problems)
    assert first == "Row 1: “soon” is not a date (2026-05-04 or 4.5.2026)"
    with translation.override("de"):
        assert recorded(first) == "Zeile 1: „soon“ ist kein Datum (2026-05-04 oder 4.5.2026)"
        # "Save" is a user's name here, though the catalogue has "Speichern" for the button.
        assert recorded(second) == "Zeile 2: kein Benutzer „Save“ im Verzeichnisimport"


def test_the_waves_page_names_the_bad_lines_in_german(admin_user, admin_client):
    migration = actions.create_migration("Live", Migration.Mode.DURING_OPERATION, admin_user)
    person(migration, "anna", selected=True)
    person(migration, "bernd", selected=True)
    content = "anna,Sales,2026-05-04\nbernd,Sales,2026-05-05\nnobody,Sales,\n"
    upload = SimpleUploadedFile("waves.csv", content.encode())
    page = admin_client.post(
        reverse("waves_import", args=[migration.pk]), {"file": upload}, **GERMAN
    ).content.decode()
    assert "Zeile 3: kein Benutzer „nobody“ im Verzeichnisimport" in page
    assert "Zeile 1: die Welle „Sales“ hat mehr als ein Datum: 2026-05-04, 2026-05-05" in page


def test_the_password_page_names_the_bad_rows_in_german(admin_client, migration, few):
    store_snapshot(migration, few)
    upload = SimpleUploadedFile("pw.csv", b"anna.schmidt,Pw-1\nghost,Pw-2\nanna.schmidt,Pw-3\n")
    page = admin_client.post(
        reverse("directory_passwords", args=[migration.pk]), {"file": upload}, **GERMAN
    ).content.decode()
    assert "Zeile 2: kein Benutzer „ghost“ im Verzeichnisimport" in page
    assert "Zeile 1: „anna.schmidt“ ist doppelt: Derselbe Benutzer steht in den Zeilen 1, 3" in page
    empty = admin_client.post(
        reverse("directory_passwords", args=[migration.pk]),
        {"file": SimpleUploadedFile("pw.csv", b"\n\n")},
        **GERMAN,
    ).content.decode()
    assert "Die Datei ist leer." in empty


def run_importdirectory(server, *extra: str, password: str, monkeypatch) -> tuple[str, str, int]:
    monkeypatch.setenv("AD_PASSWORD", password)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(
            "importdirectory",
            "--url",
            server.ldaps_url,
            "--bind",
            server.admin_bind,
            "--password-env",
            "AD_PASSWORD",
            "--base-dn",
            server.base_dn,
            "--ca-file",
            str(server.ca_file),
            "--tls-name",
            server.tls_name,
            *extra,
            stdout=out,
            stderr=err,
        )
    except SystemExit as stopped:
        code = stopped.code
    return out.getvalue(), err.getvalue(), code


def test_importdirectory_speaks_german_to_a_german_admin(directory_server, monkeypatch):
    with translation.override("de"):
        out, err, code = run_importdirectory(
            directory_server,
            "--filter",
            FEW,
            password=directory_server.admin_password,
            monkeypatch=monkeypatch,
        )
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert any(
            line.startswith("peter.altmann\t") and line.endswith(" (deaktiviert)") for line in lines
        )
        assert lines[-1].startswith("2 Benutzer, ")
        assert lines[-1].endswith(" ausgelassen")

        out, err, code = run_importdirectory(
            directory_server, password="wrong", monkeypatch=monkeypatch
        )
    assert (code, out) == (2, "")
    assert err.strip() == (
        f"importdirectory: das Verzeichnis ldaps://{directory_server.host}:636 hat die "
        f"Anmeldung als {directory_server.admin_bind} abgelehnt: falscher Name oder falsches "
        "Passwort"
    )


def test_importdirectorys_json_stays_english_in_german(directory_server, monkeypatch):
    with translation.override("de"):
        out, err, code = run_importdirectory(
            directory_server,
            "--filter",
            FEW,
            "--json",
            password=directory_server.admin_password,
            monkeypatch=monkeypatch,
        )
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert {"name": "krbtgt", "reason": "Kerberos service account"} in printed["left_out"]
