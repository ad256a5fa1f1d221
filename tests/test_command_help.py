"""`manage.py COMMAND --help` reads in the installation's language (DEFAULT_LANGUAGE): the
command's description and its options' help are German or English, the option names, choices
and metavars stay exactly as they are, and argparse's `%(default)s` still shows the default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# command: its description, an option and that option's help in English, then the German
HELP = {
    "adduser": (
        "Create an account for a migration admin or a helpdesk member.",
        "--password-env VAR",
        "read the password from this variable (else it is asked for twice)",
        "Legt ein Konto für einen Migrations-Admin oder ein Mitglied des Helpdesks an.",
        "das Passwort aus dieser Variablen lesen (sonst wird es zweimal abgefragt)",
    ),
    "convertaddresses": (
        "Replace Exchange's internal addresses in .vcf, .ics and .csv files by SMTP addresses.",
        "--directory FILE",
        "the JSON printed by “importdirectory --json”",
        "Ersetzt die internen Adressen von Exchange in .vcf-, .ics- und .csv-Dateien durch "
        "SMTP-Adressen.",
        "das JSON, das „importdirectory --json“ ausgibt",
    ),
    "copymailbox": (
        "Copy one mailbox over IMAP; running it again copies only what is missing.",
        "--map SRC=DST",
        "rename source folders matching the regular expression SRC (whole name) to DST; "
        "subfolders follow",
        "Kopiert ein Postfach über IMAP; ein erneuter Lauf kopiert nur, was noch fehlt.",
        "Quellordner, deren ganzer Name auf den regulären Ausdruck SRC passt, in DST "
        "umbenennen; Unterordner folgen",
    ),
    "ensureadmin": (
        "Create the account 'admin' with a generated password if no migration admin exists.",
        None,  # it has no options of its own
        None,
        "Legt das Konto „admin“ mit einem erzeugten Passwort an, wenn es noch keinen "
        "Migrations-Admin gibt.",
        None,
    ),
    "importdirectory": (
        "Read users, groups and contacts from Active Directory and print them.",
        "--bind BIND",
        "user@domain (UPN), DOMAIN\\user or a DN",
        "Liest Benutzer, Gruppen und Kontakte aus dem Active Directory und gibt sie aus.",
        "benutzer@domäne (UPN), DOMÄNE\\benutzer oder ein DN",
    ),
}


def help_of(command: str, language: str) -> str:
    """The command's --help, its lines joined (argparse wraps them to the terminal's width)."""
    done = subprocess.run(
        [sys.executable, "manage.py", command, "--help"],
        cwd=ROOT,
        env={**os.environ, "DEFAULT_LANGUAGE": language, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


@pytest.mark.parametrize("command", sorted(HELP))
def test_it_reads_in_german_when_the_installation_is_german(command):
    description, option, _, german_description, german_help = HELP[command]
    text = help_of(command, "de")
    assert german_description in text
    assert option is None or f"{option} {german_help}" in text
    assert description not in text


@pytest.mark.parametrize("command", sorted(HELP))
def test_it_reads_in_english_when_the_installation_is_english(command):
    description, option, option_help, german_description, _ = HELP[command]
    text = help_of(command, "en")
    assert description in text
    assert option is None or f"{option} {option_help}" in text
    assert german_description not in text


def test_copymailbox_keeps_its_options_choices_and_defaults_in_german():
    text = help_of("copymailbox", "de")
    assert "Quellserver: --source URL imaps://host:port, imap://host:port?starttls oder" in text
    assert "Zielserver: --target URL" in text
    assert (
        "--source-admin-mode {master,plain} SASL PLAIN mit Autorisierungsidentität (Exchange) "
        "oder Anmeldung als Master-User USER*ADMIN (Dovecot); Standard: plain"
    ) in text
    assert (
        "--target-password-env VAR die Variable, die das Passwort enthält (bei --target-admin "
        "das des Administrators)"
    ) in text
    assert "--batch-messages N Nachrichten je Stapel (Standard: 200)" in text
    assert "--target-master-separator SEP" in text and "(Standard: *)" in text
    for option in ("--source-user USER", "--exclude REGEX", "--max-bytes-per-second BYTES"):
        assert option in text


def test_copymailbox_shows_its_defaults_in_english():
    text = help_of("copymailbox", "en")
    assert "source: --source URL imaps://host:port" in text
    assert "--batch-messages N messages per batch (default: 200)" in text
    assert "--connections N folders copied side by side (default: 1)" in text


def test_adduser_and_importdirectory_keep_their_choices_and_defaults_in_german():
    assert "--role {admin,helpdesk} admin darf alles ändern; helpdesk liest" in help_of(
        "adduser", "de"
    )
    text = help_of("importdirectory", "de")
    assert "--page-size PAGE_SIZE Einträge je Seite (Standard: 500)" in text
    assert "--json ein JSON-Objekt ausgeben" in text
