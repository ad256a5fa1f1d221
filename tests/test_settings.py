"""Settings come from the environment, with safe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from wizard.settings import database_from_url, envbool

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "SITE_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


def test_check_deploy_is_clean_with_production_like_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env={
            "VAR_DIR": str(tmp_path),
            "SITE_URL": "https://migrator.example.com",
            "SECRET_KEY": Fernet.generate_key().decode() * 2,
            "SECRETS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_generates_the_secret_key_once_and_keeps_it_in_var(tmp_path):
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "wizard.settings"}
    run = lambda: manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1]  # noqa: E731
    first = run()
    assert len(first) >= 50
    assert run() == first
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_debug_is_off_unless_asked_for(tmp_path):
    script = "from django.conf import settings; print(settings.DEBUG)"
    output = manage("shell", "-c", script, env={"VAR_DIR": str(tmp_path)}).stdout
    assert output.split()[-1] == "False"


@pytest.mark.parametrize("value", ["yes", "maybe", "2"])
def test_booleans_reject_yes_ish_values(monkeypatch, value):
    monkeypatch.setenv("SOME_FLAG", value)
    with pytest.raises(ValueError, match="SOME_FLAG"):
        envbool("SOME_FLAG", False)


def test_database_urls_for_sqlite_and_postgres():
    assert database_from_url("sqlite:////srv/db.sqlite3")["NAME"] == "/srv/db.sqlite3"
    pg = database_from_url("postgres://mig:s%40cret@db.example.com:5433/migrator")
    assert (pg["ENGINE"], pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"], pg["PASSWORD"]) == (
        "django.db.backends.postgresql", "db.example.com", "5433", "migrator", "mig", "s@cret",
    )
    with pytest.raises(ValueError, match="DATABASE_URL"):
        database_from_url("mysql://x/y")
