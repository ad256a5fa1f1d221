"""Steps 14 and 15 in the wizard: the map of internal addresses (page and CSV) and the
converter page, with the realistic Outlook exports of tests/fixtures/addresses/."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from migrator.address_conversion import convert_file
from migrator.directory import (
    DirectoryContact,
    DirectoryGroup,
    DirectorySnapshot,
    DirectoryUser,
)
from migrator.internal_addresses import build_address_map
from tests.test_convertaddresses_command import convertaddresses
from wizard import actions
from wizard.directory_store import directory_json, store_snapshot
from wizard.models import AuditEntry, Migration

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "addresses"
DIRECTORY = json.loads((FIXTURES / "directory.json").read_text("utf-8"))
EXPORTS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".vcf", ".ics", ".csv"))


def snapshot_of(directory: dict) -> DirectorySnapshot:
    """The fixture directory as the import would have read it from AD."""
    users = tuple(
        DirectoryUser(
            guid=u["guid"], dn=f"CN={u['sam']},DC=corp", sam=u["sam"], upn=u["upn"],
            display_name=u["display_name"], given_name="", surname="", primary=u["primary"],
            aliases=tuple(u["aliases"]), x500=tuple(u["x500"]), disabled=u["disabled"],
            groups=tuple(u["groups"]),
        )
        for u in directory["users"]
    )
    groups = tuple(
        DirectoryGroup(f"group-{n}", f"CN={g['name']},DC=corp", g["name"], g["mail"], (),
                       tuple(g["x500"]), members=tuple(g["members"]))
        for n, g in enumerate(directory["groups"])
    )
    contacts = tuple(
        DirectoryContact(f"contact-{n}", f"CN={c['name']},DC=corp", c["name"], c["mail"],
                         tuple(c["x500"]))
        for n, c in enumerate(directory["contacts"])
    )
    return DirectorySnapshot(users, groups, contacts, ())


@pytest.fixture(autouse=True)
def conversions_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def migration(admin_user):
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    store_snapshot(migration, snapshot_of(DIRECTORY))
    return migration


def upload(*names: str, extra: dict[str, bytes] | None = None) -> list[SimpleUploadedFile]:
    files = [SimpleUploadedFile(name, (FIXTURES / name).read_bytes()) for name in names]
    files += [SimpleUploadedFile(name, data) for name, data in (extra or {}).items()]
    return files


def convert(client: Client, migration, files, **data):
    response = client.post(
        reverse("address_convert", args=[migration.pk]), {"files": files, **data}, follow=True
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def download_url(response, migration) -> str:
    return reverse("address_download", args=[migration.pk, response.context["token"]])


# --- the map ---------------------------------------------------------------------------------


def test_the_imported_directory_is_what_the_command_reads(migration):
    def entries(directory):
        return sorted(build_address_map(directory).entries, key=lambda e: e.dn)

    assert entries(directory_json(migration)) == entries(DIRECTORY)


def test_the_map_page_lists_every_internal_address_with_its_smtp_address(
    migration, helpdesk_client
):
    response = helpdesk_client.get(reverse("address_map", args=[migration.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["total"] == len(build_address_map(DIRECTORY).entries)
    assert "/o=Corp/ou=First Administrative Group/cn=Recipients/cn=JMueller" in page
    assert "joerg.mueller@corp.example" in page
    assert "kanzlei@huber-steuer.example" in page
    assert "1 of recipients without an e-mail address" in page  # svc-scan


def test_the_map_page_searches_and_pages(migration, admin_client):
    url = reverse("address_map", args=[migration.pk])
    found = admin_client.get(url, {"q": "wagner"})
    assert [e.address for e in found.context["page"]] == ["peter.wagner@corp.example"] * 2
    nothing = admin_client.get(url, {"q": "nobody-like-this"})
    assert b"Nothing matches." in nothing.content
    assert admin_client.get(url, {"page": "99"}).status_code == 200


def test_the_map_downloads_as_csv_with_a_byte_order_mark(migration, helpdesk_client):
    response = helpdesk_client.get(reverse("address_map_csv", args=[migration.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="addresses-{migration.pk}-map.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffinternal_address,smtp_address,kind,name\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [
        "/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=Vertrieb",
        "vertrieb@corp.example", "group", "Vertrieb",
    ] in rows
    assert len(rows) == 1 + len(build_address_map(DIRECTORY).entries)


def test_without_a_directory_import_the_pages_say_so(admin_user, admin_client):
    empty = actions.create_migration("Empty", Migration.Mode.OFFLINE, admin_user)
    assert b"import the directory" in admin_client.get(
        reverse("address_map", args=[empty.pk])
    ).content
    page = admin_client.get(reverse("address_convert", args=[empty.pk]))
    assert b"The directory is not imported yet" in page.content
    refused = admin_client.post(
        reverse("address_convert", args=[empty.pk]), {"files": upload("outlook-aufgaben.ics")}
    )
    assert refused.status_code == 200 and refused.context["token"] == ""


# --- the converter ---------------------------------------------------------------------------


def test_every_export_comes_back_converted_as_the_command_converts_it(
    migration, helpdesk_client, tmp_path
):
    response = convert(helpdesk_client, migration, upload(*EXPORTS))

    files = response.context["files"]
    assert [(f["name"], f["replaced"], len(f["unresolved"])) for f in files] == [
        ("outlook-2.1-joerg-mueller.vcf", 2, 0),
        ("outlook-2.1-team.vcf", 2, 0),
        ("outlook-3.0-kollegen.vcf", 4, 1),
        ("outlook-aufgaben.ics", 3, 2),
        ("outlook-besprechung.ics", 5, 1),
        ("outlook-contacts-en.csv", 2, 0),
        ("outlook-kontakte-de.csv", 3, 1),
    ]
    archive = helpdesk_client.get(download_url(response, migration))
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        converted = {name: z.read(name) for name in z.namelist()}
    assert sorted(converted) == EXPORTS
    # Byte for byte what the engine and `convertaddresses` write for the same directory.
    status, _, _ = convertaddresses(
        "--directory", FIXTURES / "directory.json", *[FIXTURES / n for n in EXPORTS],
        "--output-dir", tmp_path,
    )
    assert status == 1
    for name in EXPORTS:
        assert converted[name] == (tmp_path / name).read_bytes(), name
        expected = convert_file(name, (FIXTURES / name).read_bytes(), build_address_map(DIRECTORY))
        assert converted[name] == expected.data


def test_a_converted_file_differs_from_its_export_only_where_an_address_was_replaced(
    migration, admin_client
):
    name = "outlook-2.1-joerg-mueller.vcf"
    original = (FIXTURES / name).read_bytes()
    response = convert(admin_client, migration, upload(name))

    single = admin_client.get(download_url(response, migration))
    data = b"".join(single.streaming_content)
    assert single["Content-Disposition"] == f'attachment; filename="{name}"'
    changed = {item["line"] for item in response.context["files"][0]["replacements"]}
    assert changed == {14, 15}
    before, after = original.split(b"\r\n"), data.split(b"\r\n")
    assert len(before) == len(after)
    for number, (old, new) in enumerate(zip(before, after, strict=True), start=1):
        assert (old == new) == (number not in changed), number
    assert after[13] == b"EMAIL;PREF;INTERNET:joerg.mueller@corp.example"


def test_the_page_reports_unresolved_addresses_and_suffix_matches(migration, admin_client):
    response = convert(admin_client, migration, upload("outlook-3.0-kollegen.vcf",
                                                       "outlook-2.1-team.vcf"))

    page = response.content.decode()
    assert "line 23, EMAIL of the card “Thomas Bauer”" in page
    assert "not in the directory" in page
    assert "Matched without Exchange's <code>-&lt;hex&gt;</code> suffix" in page
    assert "anna.schmidt@corp.example" in page
    assert "Download the 2 converted files (zip)" in page


def test_exact_only_leaves_suffix_matches_unresolved(migration, admin_client):
    response = convert(admin_client, migration, upload("outlook-2.1-team.vcf"), exact_only="on")
    (team,) = response.context["files"]
    assert (team["replaced"], len(team["unresolved"]), team["suffix_matches"]) == (1, 1, [])


def test_an_unreadable_file_gets_its_own_message_and_the_others_still_convert(
    migration, admin_client
):
    response = convert(admin_client, migration, upload(
        "outlook-aufgaben.ics",
        extra={"brief.vcf": b"This is a letter, not a card.\r\n", "notes.txt": b"hello"},
    ))

    page = response.content.decode()
    assert ("brief.vcf: this is no readable vCard file: line 1 is no content line "
            "(NAME;PARAMS:value): &#x27;This is a letter, not a card.&#x27;") in page
    assert "notes.txt: only .vcf, .ics and .csv files can be converted" in page
    assert "Download the converted file" in page
    single = admin_client.get(download_url(response, migration))
    assert single["Content-Disposition"] == 'attachment; filename="outlook-aufgaben.ics"'
    report = admin_client.get(download_url(response, migration), {"name": "report.json"})
    files = json.loads(report.content)["files"]
    assert [f["name"] for f in files] == ["outlook-aufgaben.ics", "brief.vcf", "notes.txt"]
    assert "error" in files[1] and "error" not in files[0]


def test_converting_changes_nothing_in_the_database(migration, helpdesk_client):
    before = AuditEntry.objects.count()
    convert(helpdesk_client, migration, upload("outlook-aufgaben.ics"))
    assert AuditEntry.objects.count() == before


def test_conversions_older_than_an_hour_are_removed(migration, admin_client, settings):
    old = convert(admin_client, migration, upload("outlook-aufgaben.ics")).context["token"]
    folder = settings.VAR_DIR / "conversions" / old
    stamp = folder.stat().st_mtime - 2 * 3600
    os.utime(folder, (stamp, stamp))
    convert(admin_client, migration, upload("outlook-aufgaben.ics"))
    assert not folder.exists()
    assert admin_client.get(
        reverse("address_download", args=[migration.pk, old])
    ).status_code == 404


def test_only_the_session_that_uploaded_downloads(migration, admin_client, helpdesk_client):
    response = convert(admin_client, migration, upload("outlook-aufgaben.ics"))
    url = download_url(response, migration)
    assert admin_client.get(url).status_code == 200
    assert helpdesk_client.get(url).status_code == 404
    other = reverse("address_convert", args=[migration.pk])
    assert helpdesk_client.get(other, {"result": response.context["token"]}).context[
        "files"
    ] == []
    assert admin_client.get(
        reverse("address_download", args=[migration.pk, "not-a-token-at-all-x"])
    ).status_code == 404


# --- who may do what -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(migration):
    anonymous = Client()
    for url in (
        reverse("address_map", args=[migration.pk]),
        reverse("address_map_csv", args=[migration.pk]),
        reverse("address_convert", args=[migration.pk]),
        reverse("address_download", args=[migration.pk, "x" * 24]),
    ):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    posted = anonymous.post(reverse("address_convert", args=[migration.pk]),
                            {"files": upload("outlook-aufgaben.ics")})
    assert posted.status_code == 302


def test_a_user_without_a_role_is_refused(migration, roleless_user):
    client = Client()
    client.force_login(roleless_user)
    assert client.get(reverse("address_map", args=[migration.pk])).status_code == 403
    assert client.get(reverse("address_convert", args=[migration.pk])).status_code == 403


def test_the_checklist_and_step_pages_link_to_the_converter(migration, helpdesk_client):
    user = migration.mailbox_users.first()
    converter = reverse("address_convert", args=[migration.pk]).encode()
    checklist = helpdesk_client.get(reverse("checklist", args=[migration.pk, user.pk]))
    assert checklist.content.count(converter) >= 3  # items 14 and 15, and the note
    step = helpdesk_client.get(reverse("step", args=[migration.pk, "checklists"]))
    assert converter in step.content
