"""docker-compose.yml describes the production shape; no Docker engine runs here, so its
commands are checked against the code they name."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_it_has_the_production_services():
    assert {"postgres", "redis", "web", "worker"} <= set(services())


def test_the_web_command_names_an_existing_wsgi_application():
    command = services()["web"]["command"]
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_the_worker_command_names_the_celery_app_with_the_project_tasks():
    command = services()["worker"]["command"]
    assert command[:2] == ["celery", "--app"]
    app = importlib.import_module(command[2]).celery_app
    app.loader.import_default_modules()
    assert "wizard.tasks.run_imap_server_check" in app.tasks


def test_configuration_comes_only_from_the_environment():
    documented = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for name in ("web", "worker"):
        service = services()[name]
        assert service["env_file"] == ".env"
        assert set(service["environment"]) <= documented
        assert "volumes" not in service
    assert (ROOT / "Dockerfile").exists()
