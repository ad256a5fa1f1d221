"""Ports, start failures, the TCP proxy and Redis."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis as redis_client
from imapclient import IMAPClient

from tests.servers.mail import Seed, make_message, seed_mailbox
from tests.servers.ports import (
    ServerStartError,
    free_port,
    random_loopback_address,
    wait_for_port,
)
from tests.servers.process import ServerProcess
from tests.servers.proxy import TcpProxy
from tests.servers_selftest.conftest import PASSWORD


def test_free_port_and_loopback_address():
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        wait_for_port("127.0.0.1", port, timeout=1)
    address = random_loopback_address()
    assert address.startswith("127.") and address != "127.0.0.1"


def test_a_server_that_dies_raises_with_its_log(tmp_path: Path):
    class Broken(ServerProcess):
        def __init__(self) -> None:
            self.log_path = tmp_path / "broken.log"
            self._launch(["sh", "-c", "echo 'fatal: no such setting'; exit 3"])
            self._wait_ready("127.0.0.1", [free_port()], timeout=10)

    with pytest.raises(ServerStartError, match=r"(?s)exited with status 3.*no such setting"):
        Broken()


def test_cut_drops_imap_connections_but_accepts_new_ones(exchange_dovecot):
    with TcpProxy(exchange_dovecot.host, exchange_dovecot.port) as proxy:
        client = IMAPClient(proxy.host, proxy.port, ssl=False, timeout=10)
        client.login("anna", PASSWORD)
        proxy.cut()
        with pytest.raises((OSError, IMAPClient.AbortError)):
            client.noop()
        again = IMAPClient(proxy.host, proxy.port, ssl=False, timeout=10)
        again.login("anna", PASSWORD)
        again.logout()
        assert proxy.accepted == 2 and proxy.cuts == 1


def test_cut_after_drops_a_connection_mid_fetch(exchange_dovecot):
    big = [Seed(make_message(f"big {n}", size=50_000)) for n in range(4)]
    seed_mailbox(exchange_dovecot, "joerg", {"Big": big})
    with TcpProxy(exchange_dovecot.host, exchange_dovecot.port) as proxy:
        client = IMAPClient(proxy.host, proxy.port, ssl=False, timeout=10)
        client.login("joerg", PASSWORD)
        client.select_folder("Big", readonly=True)
        proxy.cut_after(bytes_from_server=120_000)
        with pytest.raises((OSError, IMAPClient.AbortError)):
            client.fetch(client.search(), ["BODY.PEEK[]"])
        again = IMAPClient(proxy.host, proxy.port, ssl=False, timeout=10)
        again.login("joerg", PASSWORD)
        again.select_folder("Big", readonly=True)
        assert len(again.fetch(again.search(), ["BODY.PEEK[]"])) == 4
        again.logout()
        assert proxy.cuts == 1


def test_redis_answers_ping(redis_instance):
    assert redis_instance.url == f"redis://127.0.0.1:{redis_instance.port}/0"
    assert redis_client.Redis.from_url(redis_instance.url).ping()
