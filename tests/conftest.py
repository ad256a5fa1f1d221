"""Fixtures shared by every test: the real servers (started once per run), a real Celery worker,
and the cast of people who use the wizard."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from tests.servers import dovecot, redis, samba
from wizard.celery import app as celery_app
from wizard.roles import Role, give_role

PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session) -> None:
    """The German catalogue compiled, as `make test` does, for a bare `pytest` too."""
    subprocess.run([Path(__file__).parent.parent / "scripts" / "compile-messages.sh"], check=True)


# --- servers, started once per test run -------------------------------------------------------


@pytest.fixture(autouse=True)
def installation_language_again():
    """A German request leaves German active in the thread (LocaleMiddleware does not switch
    back): the next test starts in the installation's language again."""
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    with redis.start_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def source_imap(tmp_path_factory):
    """Dovecot set up like Exchange: separator '/', Exchange's folders, a master admin."""
    with dovecot.start_exchange_like(tmp_path_factory.mktemp("source")) as server:
        yield server


@pytest.fixture(scope="session")
def source_imap_tls(tmp_path_factory):
    """The Exchange-like source with a certificate from a throwaway CA (`ca_file`): IMAPS on
    `imaps_port`, STARTTLS on `port`."""
    with dovecot.start_exchange_like(tmp_path_factory.mktemp("source-tls"), tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def target_imap(tmp_path_factory):
    """Dovecot set up like the Intra2net server's Cyrus: separator '.', folders under INBOX."""
    with dovecot.start_intra2net_like(tmp_path_factory.mktemp("target")) as server:
        yield server


@pytest.fixture(scope="session")
def directory_server(tmp_path_factory):
    """Samba as an Active Directory domain controller, seeded (tests/servers/directory_seed.py)."""
    with samba.start_samba(tmp_path_factory.mktemp("samba")) as server:
        yield server


@pytest.fixture(scope="session")
def celery_worker(redis_server, django_db_setup, django_db_blocker):
    """A real Celery worker, in a thread, taking the project's tasks from a real Redis."""
    celery_app.conf.broker_url = redis_server.url
    celery_app.conf.task_always_eager = False
    with django_db_blocker.unblock(), start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        yield worker


# --- the cast ---------------------------------------------------------------------------------


def _account(name: str, role: Role | None):
    user = get_user_model().objects.create_user(name, password=PASSWORD)
    if role:
        give_role(user, role)
    return user


@pytest.fixture
def admin_user(db):
    return _account("alice-admin", Role.ADMIN)


@pytest.fixture
def helpdesk_user(db):
    return _account("harry-helpdesk", Role.HELPDESK)


@pytest.fixture
def roleless_user(db):
    return _account("nobody", None)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return _logged_in(admin_user)


@pytest.fixture
def helpdesk_client(helpdesk_user):
    return _logged_in(helpdesk_user)
