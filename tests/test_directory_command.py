"""`manage.py importdirectory`: its flags, its JSON and its exit codes are an interface."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import directory_seed as seed
from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def importdirectory(*args: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "importdirectory", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "AD_PASSWORD": password},
    )


def flags(server, *extra: str) -> list[str]:
    return [
        "--url", server.ldaps_url, "--bind", server.admin_bind, "--password-env", "AD_PASSWORD",
        "--base-dn", server.base_dn, "--ca-file", str(server.ca_file),
        "--tls-name", server.tls_name, *extra,
    ]


@pytest.fixture(scope="module")
def printed(directory_server):
    result = importdirectory(*flags(directory_server, "--json"),
                             password=directory_server.admin_password)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_it_prints_one_json_object_of_the_documented_shape(printed):
    assert list(printed) == ["users", "groups", "contacts", "left_out"]
    assert {tuple(user) for user in printed["users"]} == {(
        "guid", "sam", "upn", "display_name", "primary", "aliases", "x500", "disabled", "groups"
    )}
    assert {tuple(group) for group in printed["groups"]} == {("name", "mail", "members", "x500")}
    assert {tuple(contact) for contact in printed["contacts"]} == {("name", "mail", "x500")}
    assert {tuple(entry) for entry in printed["left_out"]} == {("name", "reason")}


def test_the_json_holds_the_directorys_values(printed):
    anna = next(user for user in printed["users"] if user["sam"] == "anna.schmidt")
    assert anna["primary"] == "anna.schmidt@example.com"
    assert anna["aliases"] == ["a.schmidt@example.com", "anna.schmidt@corp.example.test"]
    assert anna["x500"] == [seed.legacy_dn("anna.schmidt"), f"{seed.EXCHANGE_DN}aschmidt"]
    assert anna["groups"] == ["All Staff", "Sales", "Sales-Munich"]
    assert anna["disabled"] is False
    peter = next(user for user in printed["users"] if user["sam"] == "peter.altmann")
    assert peter["disabled"] is True
    sales = next(group for group in printed["groups"] if group["name"] == "Sales")
    assert sales["mail"] == "sales@example.com"
    assert "claire.dubois" in sales["members"] and "user0010" in sales["members"]
    assert sales["x500"] == [seed.legacy_dn("sales"), f"{seed.EXCHANGE_DN}sales"]
    assert len(printed["users"]) > 1000
    assert {"name": "krbtgt", "reason": "Kerberos service account"} in printed["left_out"]
    assert [c["mail"] for c in printed["contacts"]] == [c.mail for c in seed.CONTACTS]


def test_a_wrong_password_exits_2_with_one_line(directory_server):
    result = importdirectory(*flags(directory_server, "--json"), password="wrong")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"importdirectory: the directory ldaps://{directory_server.host}:636 refused the bind "
        f"as {directory_server.admin_bind}: wrong name or password"
    ]


def test_an_unreachable_server_exits_2_with_one_line(directory_server):
    args = flags(directory_server, "--json")
    args[1] = f"ldaps://127.0.0.1:{free_port()}"
    result = importdirectory(*args, password="whatever")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "cannot reach the directory server" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_password_variable_exits_2(directory_server):
    result = importdirectory(*flags(directory_server), password="")
    assert result.returncode == 2
    assert result.stderr.strip() == "importdirectory: the variable AD_PASSWORD is not set or empty"


def test_plain_ldap_only_when_asked_and_with_a_warning(directory_server):
    args = ["--url", directory_server.ldap_url, "--bind", "CORP\\Administrator",
            "--password-env", "AD_PASSWORD", "--base-dn", directory_server.base_dn,
            "--filter", "(sAMAccountName=anna.schmidt)"]
    # Without --plain, ldap:// means StartTLS, whose certificate is then checked.
    refused = importdirectory(*args, password=directory_server.admin_password)
    assert refused.returncode == 2
    assert "certificate" in refused.stderr

    result = importdirectory(*args, "--plain", password=directory_server.admin_password)
    assert result.returncode == 0, result.stderr
    assert "warning: plain LDAP" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("1 user, 3 groups, 2 contacts")


def test_insecure_skips_the_certificate_check(directory_server):
    args = ["--url", directory_server.ldaps_url, "--bind", directory_server.admin_bind,
            "--password-env", "AD_PASSWORD", "--base-dn", directory_server.base_dn,
            "--insecure", "--filter", "(sAMAccountName=joerg.mueller)", "--json"]
    result = importdirectory(*args, password=directory_server.admin_password)
    assert result.returncode == 0, result.stderr
    assert [user["display_name"] for user in json.loads(result.stdout)["users"]] == [
        "Jörg Müller"
    ]
