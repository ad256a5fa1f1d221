"""The engine's English sentences in the reader's language: every template the code writes with
say() is well formed and has its German with the same fields, a real preflight run reads German
on a German page and stays English on an English one, and the values inside a sentence (host
names, folder names) are never translated."""

from __future__ import annotations

import string

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from migrator.endpoints import Credentials, ImapEndpoint, LoginMode, Security
from migrator.preflight import Status, check_imap, check_name, check_port, check_servers
from migrator.text import say
from tests.servers.ports import free_port
from tests.test_i18n import ENGLISH, GERMAN, english_words_in, visible_text
from wizard import actions
from wizard.models import Job, Migration
from wizard.recorded import recorded, templates


def fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_every_template_has_plain_fields_and_text_of_its_own():
    found = [template for template, *_ in templates()]
    assert "{host}:{port} accepts connections." in found
    for template in found:
        assert all(field.isidentifier() for field in fields(template)), template
        literal = "".join(part for part, *_ in string.Formatter().parse(template))
        assert literal.strip(" .:;,()"), template


# Templates whose German reads the same.
SAME_IN_GERMAN = {"Exchange", "{label}: {old} → {new}", "{server}: IMAP"}


def test_every_template_has_its_german_with_the_same_fields():
    untranslated = set()
    with translation.override("de"):
        for template, *_ in templates():
            german = translation.gettext(template)
            if german == template:
                untranslated.add(template)
            assert fields(german) == fields(template), template
    assert untranslated == SAME_IN_GERMAN


@pytest.fixture
def closed_port():
    return free_port()


def test_a_check_reads_german_and_its_values_stay_as_they_were(closed_port):
    check = check_port(say("Intra2net server"), "127.0.0.1", closed_port)
    assert check.status == Status.FAIL
    assert check.sentence.startswith(f"Nothing answers on 127.0.0.1:{closed_port} (")
    with translation.override("de"):
        assert recorded(check.name) == f"Intra2net-Server: Port {closed_port}"
        assert recorded(check.sentence).startswith(f"Auf 127.0.0.1:{closed_port} antwortet nichts")
        assert recorded(check.sentence).endswith("prüfen Sie Adresse und Firewall.")
    with translation.override("en"):
        assert recorded(check.sentence) == check.sentence


def test_a_value_that_is_a_word_of_the_interface_is_not_translated():
    """A host called "Save" stays "Save", though the catalogue has "Speichern" for the button."""
    check = check_name(say("Exchange"), "Save")
    assert check.status == Status.FAIL
    with translation.override("de"):
        assert translation.gettext("Save") == "Speichern"
        assert recorded(check.sentence).startswith("Save lässt sich nicht auflösen (")


def test_sentences_joined_into_one_text_are_each_said_in_german(target_imap):
    endpoint = ImapEndpoint(target_imap.host, target_imap.port, Security.PLAIN)
    (capabilities,) = check_imap(say("Intra2net server"), endpoint, None, ("NO-SUCH-EXTENSION",))
    assert capabilities.sentence == (
        "NO-SUCH-EXTENSION is missing. "
        "(Read before login: servers show some capabilities only after it.)"
    )
    with translation.override("de"):
        assert recorded(capabilities.sentence) == (
            "NO-SUCH-EXTENSION fehlt. "
            "(Vor der Anmeldung gelesen: manche Fähigkeiten zeigen Server erst danach.)"
        )


def test_text_the_engine_did_not_write_is_left_as_it_is():
    with translation.override("de"):
        assert recorded("Posteingang/Projekt 2026") == "Posteingang/Projekt 2026"
        assert recorded("") == ""


@pytest.fixture
def preflight_job(admin_user, source_imap_tls, target_imap):
    """A preflight run against the real servers, stored as the worker stores it."""
    source_imap_tls.add_user(source_imap_tls.admin_user, source_imap_tls.admin_password)
    checks = check_servers(
        ImapEndpoint(
            "localhost", source_imap_tls.imaps_port, Security.IMAPS,
            ca_file=str(source_imap_tls.ca_file), timeout=10,
        ),
        ImapEndpoint("127.0.0.1", target_imap.port, Security.PLAIN),
        Credentials(
            source_imap_tls.admin_user, source_imap_tls.admin_password, LoginMode.ADMIN_PLAIN,
            admin=source_imap_tls.admin_user,
        ),
        None,
    )
    migration = actions.create_migration("Corp", Migration.Mode.OFFLINE, admin_user)
    return Job.objects.create(
        migration=migration, kind=Job.Kind.PREFLIGHT, status=Job.Status.DONE,
        created_by="alice-admin", finished_at=timezone.now(),
        checks=[check.to_json() for check in checks],
    )


def test_a_real_preflight_run_reads_german_on_a_german_page(preflight_job, admin_client):
    address = reverse("job", args=[preflight_job.migration_id, preflight_job.pk])
    german = visible_text(admin_client.get(address, **GERMAN))
    for expected in (
        "Exchange: Name", "Intra2net-Server: Name",
        "Exchange und Intra2net-Server sind verschiedene Rechner",
        "Exchange: TLS-Zertifikat", "Gültig für localhost und vertrauenswürdig",
        "Intra2net-Server: TLS-Zertifikat", "Die Verbindung ist nicht verschlüsselt",
        "Exchange: IMAP-Anmeldung", "meldet sich an; Ordnertrenner '/'",
    ):
        assert expected in german
    assert english_words_in(german) == []
    english = visible_text(admin_client.get(address, **ENGLISH))
    assert "Valid for localhost and trusted" in english and "Gültig" not in english


def test_the_reading_that_explains_most_of_the_text_wins():
    """"Gave up after {attempts} attempts: {error}" matches the whole text, swallowing the
    next sentence into its error; read sentence by sentence, all of it is the engine's."""
    lost = say("connection lost while logging in as {user}: {reason}", user="jdoe", reason="EOF.")
    text = " ".join(
        (say("Gave up after {attempts} attempts: {error}", attempts=3, error=lost),
         say("Holds calendar items, not mail."))
    )
    with translation.override("de"):
        assert recorded(text) == (
            "Nach 3 Versuchen aufgegeben: die Verbindung brach bei der Anmeldung als jdoe ab: EOF. "
            "Enthält Kalendereinträge, keine E-Mails."
        )


def test_a_number_with_a_fraction_follows_the_language():
    text = say(
        "Messages copied: {messages} ({size} MB) in {seconds} s.",
        messages=1200, size="3.5", seconds="12.8",
    )
    with translation.override("de"):
        assert "(3,5 MB)" in recorded(text) and "12,8 s" in recorded(text)
        assert "1200" in recorded(text)
