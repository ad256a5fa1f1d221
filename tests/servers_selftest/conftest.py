"""Each test server started once for the harness' own tests (no Django involved)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import cyrus, dovecot, redis, samba
from tests.servers.cyrus import CyrusServer
from tests.servers.dovecot import DovecotServer
from tests.servers.redis import RedisServer
from tests.servers.samba import SambaDC

PASSWORD = "secret-1"


@pytest.fixture(scope="session")
def exchange_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    """The Exchange-like source with every option: TLS, POP3 and public folders."""
    directory = tmp_path_factory.mktemp("exchange")
    with dovecot.start_exchange_like(directory, tls=True, pop3=True, public_folders=True) as server:
        for user in ("anna", "joerg", "claire"):
            server.add_user(user, PASSWORD)
        yield server


@pytest.fixture(scope="session")
def intra2net_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    with dovecot.start_intra2net_like(tmp_path_factory.mktemp("intra2net")) as server:
        for user in ("anna", "joerg", "claire"):
            server.add_user(user, PASSWORD)
        yield server


@pytest.fixture(scope="session")
def cyrus_imap() -> Iterator[CyrusServer]:
    # Not below pytest's temporary folder: user cyrus cannot enter /tmp/pytest-of-root.
    directory = Path(tempfile.mkdtemp(prefix="selftest-cyrus-"))
    try:
        with cyrus.start_cyrus(directory) as server:
            server.add_user("anna", PASSWORD)
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def samba_dc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaDC]:
    with samba.start_samba(tmp_path_factory.mktemp("samba")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis.start_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server
