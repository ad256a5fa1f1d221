"""Step 19's checks: the Intra2net server's SMTP port, and the MX records of the domain."""

from __future__ import annotations

import pytest

from migrator.mailflow import check_mx, check_smtp
from migrator.preflight import Status
from tests.servers.dns import start_dns
from tests.servers.ports import free_port
from tests.servers.smtp import start_smtp


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory):
    with start_smtp(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory):
    with start_dns(
        tmp_path_factory.mktemp("dns"),
        mx={
            "moved.example.test": [(10, "intra2net.moved.example.test")],
            "still.example.test": [
                (10, "exchange.still.example.test"),
                (20, "backup.example.test"),
            ],
        },
        hosts={
            "intra2net.moved.example.test": "127.0.0.1",
            "exchange.still.example.test": "192.0.2.25",
        },
    ) as server:
        yield server


def test_an_answering_smtp_port_passes_with_its_greeting(smtp_server):
    check = check_smtp(smtp_server.host, smtp_server.port)
    assert check.status == Status.PASS
    assert "Answers:" in check.sentence


def test_a_closed_smtp_port_fails():
    check = check_smtp("127.0.0.1", free_port(), timeout=3)
    assert check.status == Status.FAIL
    assert "does not answer" in check.sentence


def test_an_mx_pointing_at_the_intra2net_server_passes(dns_server):
    check = check_mx("moved.example.test", "127.0.0.1", dns_server.host, dns_server.port)
    assert check.status == Status.PASS
    assert "intra2net.moved.example.test" in check.sentence


def test_an_mx_still_pointing_at_exchange_is_a_warning_listing_the_records(dns_server):
    check = check_mx("still.example.test", "127.0.0.1", dns_server.host, dns_server.port)
    assert check.status == Status.WARNING
    assert "still goes to exchange.still.example.test" in check.sentence
    assert "(MX records: 10 exchange.still.example.test, 20 backup.example.test)" in check.sentence


def test_a_domain_without_mx_is_a_warning(dns_server):
    check = check_mx("nothing.example.test", "127.0.0.1", dns_server.host, dns_server.port)
    assert check.status == Status.WARNING
    assert "could not be read" in check.sentence
