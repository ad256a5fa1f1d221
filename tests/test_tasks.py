"""Tasks run in a real Celery worker through a real Redis, with ids as their only arguments."""

from __future__ import annotations

import json

import pytest
from celery.signals import before_task_publish

from tests.helpers import wait_until
from wizard import actions
from wizard.models import AuditEntry, ImapServer, Migration

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published():
    messages = []

    def record(body=None, headers=None, **kwargs):
        messages.append(json.dumps([body, headers], default=str))

    before_task_publish.connect(record, weak=False)
    yield messages
    before_task_publish.disconnect(record)


def source_server(source_imap, password: str) -> ImapServer:
    # As on Exchange, the administrator who impersonates users needs a mailbox of its own.
    source_imap.add_user(source_imap.admin_user, source_imap.admin_password)
    return ImapServer.objects.create(
        migration=Migration.objects.create(name="Corp"),
        role=ImapServer.Role.SOURCE,
        host=source_imap.host,
        port=source_imap.port,
        security=ImapServer.Security.PLAIN,
        login_mode=ImapServer.LoginMode.ADMIN_MASTER,
        admin_user=source_imap.admin_user,
        admin_password=password,
    )


def checked(server: ImapServer) -> ImapServer:
    done = ImapServer.objects.filter(pk=server.pk, checked_at__isnull=False)
    return wait_until(done.first)


def test_a_server_check_runs_in_the_worker_with_only_an_id_in_the_message(
    celery_worker, source_imap, admin_user, published
):
    server = source_server(source_imap, source_imap.admin_password)

    actions.check_imap_server(server, admin_user)

    result = checked(server)
    assert result.check_ok is True
    assert "login works" in result.check_message
    assert len(published) == 1
    body, _headers = json.loads(published[0])
    assert body[0] == [server.pk]
    assert source_imap.admin_password not in published[0]
    assert AuditEntry.objects.get(action="checked the IMAP server").actor == admin_user


def test_a_wrong_password_is_reported_without_the_password(celery_worker, source_imap, admin_user):
    wrong = "Wr0ng-but-secret-pw"
    server = source_server(source_imap, wrong)

    actions.check_imap_server(server, admin_user)

    result = checked(server)
    assert result.check_ok is False
    assert "refused" in result.check_message
    assert wrong not in result.check_message
