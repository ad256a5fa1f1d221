"""Point a migration at the sandbox, as an admin would in step 1, and import the directory.

Run inside the site's environment (demo/site.py does):
`python -m demo.configure SANDBOX_JSON CREDENTIALS_JSON`. It creates the accounts `admin` and
`helpdesk` with new passwords, an offline migration with both IMAP servers, the directory
connection and the mail flow settings entered through the wizard's own forms and actions, runs
the directory import, and writes the logins and every moving user's sign-off link to
CREDENTIALS_JSON. The admin carries on with step 1's preflight checks.
"""

from __future__ import annotations

import os

import django
from django.utils.translation import gettext_noop

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard.settings")
django.setup()

import json
import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from migrator.directory import probe_directory
from migrator.errors import MigratorError
from wizard import actions
from wizard.celery import app as celery_app
from wizard.crypto import Secret
from wizard.engine_inputs import directory_bind, directory_endpoint
from wizard.forms import DirectoryConnectionForm, ImapServerForm, MailFlowForm
from wizard.models import DirectoryImport, DirectoryServer, ImapServer, Migration
from wizard.roles import Role, give_role
from wizard.signoff import make_signoff_token

MIGRATION_NAME = "Corp: Exchange to Intra2net (demo)"


class ConfigureError(RuntimeError):
    """The sandbox could not be set up in the wizard; the message says which part failed."""


def configure(sandbox: dict) -> dict:
    """Accounts, the migration and its import; returns the demo's credentials."""
    logins = {
        "admin": _account("admin", Role.ADMIN),
        "helpdesk": _account("helpdesk", Role.HELPDESK),
    }
    admin = get_user_model().objects.get(username="admin")
    migration = actions.create_migration(MIGRATION_NAME, Migration.Mode.OFFLINE, admin)
    for role in (ImapServer.Role.SOURCE, ImapServer.Role.TARGET):
        _save_imap_server(migration, role, sandbox[role], admin)
    _save_directory(migration, sandbox["directory"], admin)
    _save_mail_flow(migration, sandbox["smtp"], admin)
    _import_directory(migration, admin)
    users = migration.mailbox_users.filter(selected=True).order_by("sam")
    return {
        "url": f"{settings.SITE_URL}/",
        **logins,
        "signoff_links": [
            settings.SITE_URL + reverse("signoff", args=[make_signoff_token(user.pk)])
            for user in users
        ],
    }


def _account(username: str, role: Role) -> dict:
    password = secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(username, password=password)
    give_role(user, role)
    return {"username": username, "password": password}


def _save_imap_server(migration: Migration, role: str, server: dict, admin) -> None:
    form = ImapServerForm(
        {
            "host": server["host"],
            "port": server["port"],
            "security": ImapServer.Security.PLAIN,
            "login_mode": ImapServer.LoginMode.ADMIN_MASTER,
            "admin_user": server["admin_user"],
            "admin_password": server["admin_password"],
            "master_separator": "*",
        },
        instance=ImapServer(migration=migration, role=role),
        role=role,
    )
    if not form.is_valid():
        raise ConfigureError(f"the {role} IMAP server: {form.errors.as_text()}")
    saved = form.save()
    actions.audit(
        migration, admin, gettext_noop("saved the IMAP server"), detail=actions.server_text(saved)
    )


def _save_directory(migration: Migration, directory: dict, admin) -> None:
    form = DirectoryConnectionForm(
        {**directory, "security": DirectoryConnectionForm.Security.LDAPS, "verify_tls": "on"}
    )
    if not form.is_valid():
        raise ConfigureError(f"the directory connection: {form.errors.as_text()}")
    values = form.server_values()
    # Tested before it is saved, as the wizard's "Save" does.
    candidate = DirectoryServer(**{k: v for k, v in values.items() if k != "bind_password"})
    candidate.bind_password = Secret(values["bind_password"])
    try:
        probe = probe_directory(
            directory_endpoint(candidate), directory_bind(candidate), candidate.base_dn
        )
    except MigratorError as e:
        raise ConfigureError(f"the directory connection: {e}") from None
    actions.save_directory_server(migration, values, admin, check=probe.summary())


def _save_mail_flow(migration: Migration, smtp: dict, admin) -> None:
    form = MailFlowForm(
        {"mail_domain": "", "smtp_host": smtp["host"], "smtp_port": smtp["port"]},
        instance=migration,
    )
    if not form.is_valid():
        raise ConfigureError(f"the mail flow settings: {form.errors.as_text()}")
    form.save()
    actions.audit(migration, admin, gettext_noop("changed the mail flow settings"))


def _import_directory(migration: Migration, admin) -> None:
    # The import task runs here, in this process, instead of in a worker: the demo's links
    # need its users before the worker has even started.
    celery_app.conf.task_always_eager = True
    job = actions.start_directory_import(migration, admin)
    job = DirectoryImport.objects.get(pk=job.pk)
    if job.status != DirectoryImport.Status.DONE:
        raise ConfigureError(f"the directory import: {job.status} {job.error}")


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read: it holds passwords."""
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m demo.configure SANDBOX_JSON CREDENTIALS_JSON", file=sys.stderr)
        return 2
    sandbox = json.loads(Path(argv[0]).read_text())
    try:
        credentials = configure(sandbox)
    except ConfigureError as e:
        print(f"demo: cannot set up {e}", file=sys.stderr)
        return 1
    write_private(Path(argv[1]), json.dumps(credentials, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
